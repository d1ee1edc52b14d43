//! Expectations on one answer; each that fails becomes a [`CheckFailure`] that names what
//! was expected and what came back.

use serde_json::Value;

use crate::report::CheckFailure;
use crate::scenario::model::{Expect, JsonCheck};
use crate::scenario::template::{Template, TemplateError, eval_int};
use crate::spec::ApiId;
use crate::spec::fields::check_response;
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
        None if matches!(status, Some(200) | Some(302)) => Some("A0000".into()),
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
    let check_schema = e.schema.unwrap_or(actual_rsp.as_deref() == Some("A0000"));
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

fn check_json(
    c: &JsonCheck,
    body: &Value,
    out: &mut Vec<CheckFailure>,
    render: &dyn Fn(&Template) -> Result<String, TemplateError>,
) {
    let value = c.path.select(body);
    let label = |op: &str| format!("{} {op}", c.path);
    if let Some(exists) = c.exists
        && exists != value.is_some()
    {
        out.push(fail(label("exists"), exists.to_string(), (!exists).to_string()));
        return;
    }
    let needs_value = c.equals.is_some()
        || c.regex.is_some()
        || c.len.is_some()
        || [&c.eq_num, &c.lt, &c.lte, &c.gt, &c.gte].iter().any(|t| t.is_some());
    let Some(value) = value else {
        if needs_value {
            out.push(fail(label("exists"), "a value", "absent"));
        }
        return;
    };
    let actual = text_of(value);
    if let Some(t) = &c.equals {
        match render(t) {
            Ok(expected) if expected == actual => {}
            Ok(expected) => out.push(fail(label("equals"), expected, actual.clone())),
            Err(e) => out.push(fail(label("equals"), t.source(), format!("cannot render: {e}"))),
        }
    }
    if let Some(re) = &c.regex {
        match regex::Regex::new(re) {
            Ok(r) if r.is_match(&actual) => {}
            Ok(_) => out.push(fail(label("regex"), re.clone(), actual.clone())),
            Err(e) => out.push(fail(label("regex"), re.clone(), e.to_string())),
        }
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
