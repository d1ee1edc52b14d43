//! The HTML consent screen of 사용자인증 and 계좌등록확인: choose a test user, see their
//! accounts, approve. Approving submits the same request with `sim_user_seq_no`, so the
//! browser path and the headless path are one code path.

use serde_json::{Map, Value};

use super::center::Center;
use crate::protocol::ApiId;
use crate::protocol::time::tran_dtime;

/// Escapes text for HTML element content and quoted attributes.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

pub fn render(center: &Center, api: ApiId, params: &Map<String, Value>) -> String {
    let title = api.api().name;
    let purpose = match api {
        ApiId::OauthAuthorizeAccount => "출금동의와 금융정보 제3자제공동의를 다시 확인합니다 (1년 갱신).",
        _ => "이용기관이 아래 권한으로 계좌에 접근하는 것에 동의합니다.",
    };
    let hidden: String = params
        .iter()
        .filter(|(k, _)| k.as_str() != "sim_user_seq_no")
        .map(|(k, v)| format!(r#"<input type="hidden" name="{}" value="{}">"#, esc(k), esc(v.as_str().unwrap_or(""))))
        .collect();
    let w = center.world();
    let mut users = String::new();
    for (i, u) in w.users.iter().enumerate().filter(|(_, u)| !u.closed) {
        let accounts: String = u
            .accounts
            .iter()
            .map(|a| {
                let a = &w.accounts[*a];
                let agreed = a.transfer_agree.or(a.inquiry_agree).map(tran_dtime).unwrap_or_else(|| "미동의".into());
                format!(
                    "<li>{} {} <span class=muted>({}, 동의 {})</span></li>",
                    esc(a.bank_name()),
                    esc(&a.masked()),
                    esc(&a.alias),
                    esc(&agreed)
                )
            })
            .collect();
        users.push_str(&format!(
            r#"<label class=user><input type="radio" name="sim_user_seq_no" value="{seq}"{checked}> <b>{name}</b> <span class=muted>{seq}</span><ul>{accounts}</ul></label>"#,
            seq = esc(&u.user_seq_no),
            name = esc(&u.name),
            checked = if i == 0 { " checked" } else { "" },
        ));
    }
    let scope = params.get("scope").and_then(Value::as_str).unwrap_or("");
    format!(
        r#"<!doctype html>
<html lang="ko"><head><meta charset="utf-8"><title>{title} — obharness simulator</title>
<style>
body{{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;color:#222}}
h1{{font-size:1.4rem}} .muted{{color:#777;font-size:.9em}} .user{{display:block;border:1px solid #ddd;border-radius:6px;padding:.6rem;margin:.5rem 0}}
ul{{margin:.3rem 0 0 1.5rem;padding:0}} button{{font-size:1rem;padding:.5rem 1.5rem;background:#1a5fb4;color:#fff;border:0;border-radius:4px}}
.scope{{background:#eef;padding:.1rem .4rem;border-radius:3px}}
</style></head>
<body><h1>{title}</h1>
<p>{purpose}</p>
<p>이용기관: <b>{inst}</b> · 요청 권한: <span class=scope>{scope}</span></p>
<form method="get" action="{path}">{hidden}
<fieldset><legend>테스트 사용자</legend>{users}</fieldset>
<p><button type="submit">동의하고 계속</button></p>
</form>
<p class=muted>obharness simulator — 테스트 데이터입니다.</p>
</body></html>"#,
        title = esc(title),
        purpose = esc(purpose),
        inst = esc(&center.institution().name),
        scope = esc(scope),
        path = esc(api.api().path),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_neutralises_markup() {
        assert_eq!(
            esc(r#"<script>alert("x")</script>&'"#),
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;"
        );
    }
}
