//! Expectations on one answer; each that fails becomes a [`CheckFailure`] that names what
//! was expected and what came back.

use serde_json::Value;

use crate::protocol::ApiId;
use crate::protocol::codes::RspCode;
use crate::protocol::fields::check_response;
use crate::report::CheckFailure;
use crate::scenario::model::{Expect, JsonCheck};
use crate::scenario::template::{Template, TemplateError, eval_int};
use crate::target::Target;

/// One answer as the checks see it.
pub struct Answer<'a> {
    pub status: Option<u16>,
    pub body: Option<&'a Value>,
    /// The transport error when there was no answer.
    pub error: Option<&'a str>,
}

/// The rsp_code of an answer; an OAuth success (a token or a redirect) counts as `A0000`.
pub fn effective_rsp_code(status: Option<u16>, body: &Value) -> Option<String> {
    match body.get("rsp_code").and_then(Value::as_str) {
        Some(c) => Some(c.to_string()),
        None if matches!(status, Some(200) | Some(302)) => Some(RspCode::Success.code().into()),
        None => None,
    }
}

fn fail(expectation: impl Into<String>, expected: impl Into<String>, actual: impl Into<String>) -> CheckFailure {
    CheckFailure { expectation: expectation.into(), expected: expected.into(), actual: actual.into(), diff: None }
}

/// Text of a JSON value as a scenario compares it.
pub fn text_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "null".into(),
        other => other.to_string(),
    }
}

/// Evaluates `expect` (or the defaults when absent) against an answer.
pub fn evaluate(
    expect: Option<&Expect>,
    api: Option<ApiId>,
    answer: &Answer<'_>,
    target: &Target,
    render: &dyn Fn(&Template) -> Result<String, TemplateError>,
) -> Vec<CheckFailure> {
    let default = Expect::default();
    let e = expect.unwrap_or(&default);
    let mut out = Vec::new();
    if e.no_response {
        if answer.error.is_none() {
            out.push(fail(
                "no_response",
                "the connection closed without an answer",
                format!("HTTP {}", answer.status.unwrap_or(0)),
            ));
        }
        return out;
    }
    let (Some(status), Some(body)) = (answer.status, answer.body) else {
        out.push(fail(
            "an answer",
            "an HTTP response",
            format!("no response: {}", answer.error.unwrap_or("unknown error")),
        ));
        return out;
    };
    let is_authorize = matches!(api, Some(ApiId::OauthAuthorize | ApiId::OauthAuthorizeAccount));
    let expected_status = e.status.or(if api.is_some() && !is_authorize { Some(200) } else { None });
    if let Some(s) = expected_status
        && s != status
    {
        out.push(fail("HTTP status", s.to_string(), status.to_string()));
        return out;
    }
    let actual_rsp = effective_rsp_code(Some(status), body);
    let rendered_ok = |t: &Template, what: &str, out: &mut Vec<CheckFailure>| match render(t) {
        Ok(s) => Some(s),
        Err(err) => {
            out.push(fail(what.to_string(), t.source().to_string(), format!("cannot render: {err}")));
            None
        }
    };
    if let Some(codes) = &e.rsp_code {
        let expected: Vec<String> = codes
            .items()
            .into_iter()
            .filter_map(|t| rendered_ok(t, "rsp_code", &mut out))
            .map(|c| target.expected_code(&c))
            .collect();
        let actual = actual_rsp.clone().unwrap_or_else(|| "<none>".into());
        if !expected.contains(&actual) {
            let msg = body.get("rsp_message").and_then(Value::as_str).map(|m| format!(" ({m})")).unwrap_or_default();
            out.push(fail("rsp_code", expected.join(" or "), format!("{actual}{msg}")));
        }
    }
    if let Some(codes) = &e.bank_rsp_code {
        let expected: Vec<String> =
            codes.items().into_iter().filter_map(|t| rendered_ok(t, "bank_rsp_code", &mut out)).collect();
        let actual = body.get("bank_rsp_code").map(text_of).unwrap_or_else(|| "<none>".into());
        if !expected.contains(&actual) {
            out.push(fail("bank_rsp_code", expected.join(" or "), actual));
        }
    }
    let check_schema = e.schema.unwrap_or(actual_rsp.as_deref() == Some(RspCode::Success.code()));
    if check_schema
        && let Some(api) = api.filter(|a| a.api().path.starts_with("/v2.0/"))
        && let Some(map) = body.as_object()
        && let Err(err) = check_response(api.api().response, map)
    {
        out.push(fail(format!("response schema of {api}"), "the catalogue's response fields", err.to_string()));
    }
    for c in &e.json {
        check_json(c, body, &mut out, render);
    }
    out
}

/// The value checks of `c`, in words, for a failure message.
fn summary(c: &JsonCheck) -> String {
    let mut parts = Vec::new();
    if let Some(t) = &c.equals {
        parts.push(format!("equals {}", t.source()));
    }
    if let Some(r) = &c.regex {
        parts.push(format!("regex {r}"));
    }
    for (t, op) in [(&c.eq_num, "eq_num"), (&c.lt, "lt"), (&c.lte, "lte"), (&c.gt, "gt"), (&c.gte, "gte")] {
        if let Some(t) = t {
            parts.push(format!("{op} {}", t.source()));
        }
    }
    if let Some(e) = c.exists {
        parts.push(format!("exists {e}"));
    }
    if let Some(a) = c.absent {
        parts.push(format!("absent {a}"));
    }
    if let Some(n) = c.len {
        parts.push(format!("len {n}"));
    }
    if parts.is_empty() { "(nested checks)".into() } else { parts.join(", ") }
}

fn check_json(
    c: &JsonCheck,
    body: &Value,
    out: &mut Vec<CheckFailure>,
    render: &dyn Fn(&Template) -> Result<String, TemplateError>,
) {
    let nodes = c.path.nodes(body);
    let label = |op: &str| format!("{} {op}", c.path);
    if let Some(exists) = c.exists
        && exists == nodes.is_empty()
    {
        out.push(fail(label("exists"), exists.to_string(), (!exists).to_string()));
        return;
    }
    if let Some(absent) = c.absent
        && absent != nodes.is_empty()
    {
        let actual = if nodes.is_empty() { "nothing".to_string() } else { format!("{} node(s)", nodes.len()) };
        out.push(fail(label("absent"), if absent { "nothing" } else { "a node" }, actual));
        return;
    }
    if let Some(count) = &c.count {
        let n = nodes.len();
        type Bound<'a> = (Option<usize>, &'a str, fn(usize, usize) -> bool);
        let ops: [Bound<'_>; 5] = [
            (count.eq, "eq", |a, b| a == b),
            (count.gte, "gte", |a, b| a >= b),
            (count.gt, "gt", |a, b| a > b),
            (count.lte, "lte", |a, b| a <= b),
            (count.lt, "lt", |a, b| a < b),
        ];
        for (bound, op, holds) in ops {
            if let Some(b) = bound
                && !holds(n, b)
            {
                out.push(fail(label(&format!("count {op}")), format!("{op} {b}"), n.to_string()));
            }
        }
    }
    // any / all / none: the nested check against each node, the node as its `$`.
    let passing = |inner: &JsonCheck| -> Vec<bool> {
        nodes
            .iter()
            .map(|node| {
                let mut f = Vec::new();
                check_json(inner, node, &mut f, render);
                f.is_empty()
            })
            .collect()
    };
    let describe = |inner: &JsonCheck| format!("{} {}", inner.path, summary(inner));
    if let Some(inner) = &c.any {
        let results = passing(inner);
        if !results.iter().any(|ok| *ok) {
            out.push(fail(label("any"), describe(inner), format!("none of {} node(s)", results.len())));
        }
    }
    if let Some(inner) = &c.all {
        let results = passing(inner);
        let failing: Vec<String> =
            results.iter().enumerate().filter(|(_, ok)| !**ok).map(|(i, _)| format!("#{i}")).collect();
        if !failing.is_empty() {
            out.push(fail(
                label("all"),
                describe(inner),
                format!("node(s) {} of {} do not", failing.join(", "), results.len()),
            ));
        }
    }
    if let Some(inner) = &c.none {
        let results = passing(inner);
        let matching: Vec<String> =
            results.iter().enumerate().filter(|(_, ok)| **ok).map(|(i, _)| format!("#{i}")).collect();
        if !matching.is_empty() {
            out.push(fail(
                label("none"),
                format!("no node with {}", describe(inner)),
                format!("node(s) {} of {} do", matching.join(", "), results.len()),
            ));
        }
    }
    let needs_value = c.equals.is_some()
        || c.regex.is_some()
        || c.len.is_some()
        || [&c.eq_num, &c.lt, &c.lte, &c.gt, &c.gte].iter().any(|t| t.is_some());
    if !needs_value {
        return;
    }
    let value = match nodes.as_slice() {
        [one] => *one,
        [] => {
            out.push(fail(label("exists"), "a value", "absent"));
            return;
        }
        several => {
            out.push(fail(
                label("value"),
                "exactly one node (use any, all, none or count for several)",
                format!("{} nodes", several.len()),
            ));
            return;
        }
    };
    let actual = text_of(value);
    if let Some(t) = &c.equals {
        match render(t) {
            Ok(expected) if expected == actual => {}
            Ok(expected) => out.push(fail(label("equals"), expected, actual.clone())),
            Err(e) => out.push(fail(label("equals"), t.source(), format!("cannot render: {e}"))),
        }
    }
    if let Some(re) = &c.regex
        && !re.is_match(&actual)
    {
        out.push(fail(label("regex"), re.as_str(), actual.clone()));
    }
    if let Some(n) = c.len {
        let got = value.as_array().map(Vec::len);
        if got != Some(n) {
            out.push(fail(
                label("len"),
                n.to_string(),
                got.map(|g| g.to_string()).unwrap_or_else(|| "not a list".into()),
            ));
        }
    }
    type Comparison<'a> = (&'a Option<Template>, &'a str, fn(i128, i128) -> bool);
    let comparisons: [Comparison<'_>; 5] = [
        (&c.eq_num, "eq_num", |a, b| a == b),
        (&c.lt, "lt", |a, b| a < b),
        (&c.lte, "lte", |a, b| a <= b),
        (&c.gt, "gt", |a, b| a > b),
        (&c.gte, "gte", |a, b| a >= b),
    ];
    for (t, op, holds) in comparisons {
        let Some(t) = t else { continue };
        let expected = match render(t).map_err(|e| e.to_string()).and_then(|s| eval_int(&s).map_err(|e| e.to_string()))
        {
            Ok(n) => n,
            Err(e) => {
                out.push(fail(label(op), t.source(), format!("cannot evaluate: {e}")));
                continue;
            }
        };
        match actual.trim().parse::<i128>() {
            Ok(a) if holds(a, expected) => {}
            Ok(a) => out.push(fail(label(op), format!("{op} {expected} ({})", t.source()), a.to_string())),
            Err(_) => out.push(fail(label(op), format!("{op} {expected}"), format!("'{actual}' is not an integer"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The failures of one `json:` check (YAML) against `body`.
    fn failures(check: &str, body: &Value) -> Vec<String> {
        let c: JsonCheck = serde_yaml::from_str(check).unwrap();
        let mut out = Vec::new();
        check_json(&c, body, &mut out, &|t: &Template| Ok(t.source().to_string()));
        out.iter().map(|f| format!("{}: expected {}, got {}", f.expectation, f.expected, f.actual)).collect()
    }

    fn result_answer() -> Value {
        json!({"res_cnt": "2", "res_list": [
            {"tran_no": "1", "bank_tran_id": "M202601315U000000001", "bank_rsp_code": "000", "inout_type": "입금"},
            {"tran_no": "2", "bank_tran_id": "M202601315U000000002", "bank_rsp_code": "400", "inout_type": "출금"}
        ]})
    }

    #[test]
    fn any_all_none_count_and_absent_judge_node_lists() {
        let v = result_answer();
        // "the row whose tran_no is 2 has bank_rsp_code 400"
        let row2 = "{ path: \"$.res_list[?@.tran_no == '2']\", count: { eq: 1 }, all: { path: $.bank_rsp_code, equals: \"400\" } }";
        assert_eq!(failures(row2, &v), Vec::<String>::new());
        let wrong = "{ path: \"$.res_list[?@.tran_no == '2']\", all: { path: $.bank_rsp_code, equals: \"000\" } }";
        assert_eq!(
            failures(wrong, &v),
            ["$.res_list[?@.tran_no == '2'] all: expected $.bank_rsp_code equals 000, got node(s) #0 of 1 do not"]
        );
        // "every row has a bank_tran_id", "some row is done", "no row is 출금"
        assert!(failures("{ path: \"$.res_list[*]\", all: { path: $.bank_tran_id, exists: true } }", &v).is_empty());
        assert!(
            failures("{ path: \"$.res_list[*]\", any: { path: $.bank_rsp_code, equals: \"000\" } }", &v).is_empty()
        );
        assert_eq!(
            failures("{ path: \"$.res_list[*]\", none: { path: $.inout_type, equals: 출금 } }", &v),
            ["$.res_list[*] none: expected no node with $.inout_type equals 출금, got node(s) #1 of 2 do"]
        );
        assert_eq!(
            failures("{ path: \"$.res_list[*]\", count: { gte: 3 } }", &v),
            ["$.res_list[*] count gte: expected gte 3, got 2"]
        );
        assert!(failures("{ path: \"$.res_list[?@.tran_no == '9']\", absent: true }", &v).is_empty());
        assert_eq!(
            failures("{ path: \"$.res_list[*].tran_no\", absent: true }", &v),
            ["$.res_list[*].tran_no absent: expected nothing, got 2 node(s)"]
        );
    }

    #[test]
    fn a_value_check_on_several_nodes_says_how_to_write_it() {
        let v = result_answer();
        assert_eq!(
            failures("{ path: \"$.res_list[*].bank_rsp_code\", equals: \"000\" }", &v),
            [
                "$.res_list[*].bank_rsp_code value: expected exactly one node (use any, all, none or count for several), got 2 nodes"
            ]
        );
        assert!(failures("{ path: \"$.res_list[1].bank_rsp_code\", equals: \"400\" }", &v).is_empty());
    }
}
