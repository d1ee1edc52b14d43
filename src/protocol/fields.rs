//! Field definitions with their wire formats, and the generic validation the simulator
//! applies to every request before a handler sees it.

use serde::Serialize;
use serde_json::Value;

/// A field's wire format, in the notation of the KFTC specification.
#[derive(Debug, Clone, Copy, Serialize)]
#[serde(tag = "kind", content = "len", rename_all = "snake_case")]
pub enum Format {
    /// `AN(n)`: printable ASCII, at most `n` characters.
    An(u16),
    /// `N(n)`: exactly `n` digits (dates, times, codes).
    N(u16),
    /// A decimal string of at most `n` digits (amounts, counts).
    Digits(u16),
    /// `AH(n)`: free text (Korean allowed), at most `n` characters.
    Text(u16),
    /// One of a fixed set of values.
    #[serde(skip)]
    OneOf(&'static [&'static str]),
    /// A list of records (`req_list`, `res_list`).
    #[serde(skip)]
    List(&'static [Field]),
}

impl Format {
    /// The notation used in error messages and documentation (`AN24`, `N14`, …).
    pub fn notation(&self) -> String {
        match self {
            Format::An(n) => format!("AN{n}"),
            Format::N(n) => format!("N{n}"),
            Format::Digits(n) => format!("N..{n}"),
            Format::Text(n) => format!("AH{n}"),
            Format::OneOf(values) => format!("one of {}", values.join("|")),
            Format::List(_) => "list".to_string(),
        }
    }
}

/// One field of a request or response.
#[derive(Debug, Clone, Copy)]
pub struct Field {
    pub name: &'static str,
    pub format: Format,
    pub required: bool,
    pub doc: &'static str,
}

/// A required field.
pub const fn req(name: &'static str, format: Format, doc: &'static str) -> Field {
    Field { name, format, required: true, doc }
}

/// An optional field.
pub const fn opt(name: &'static str, format: Format, doc: &'static str) -> Field {
    Field { name, format, required: false, doc }
}

/// Why a request field was rejected; rendered into the `A0004` message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FieldError {
    #[error("필수 항목 누락: {field}")]
    Missing { field: String },
    #[error("항목 형식 오류: {field} must be a string ({expected})")]
    NotAString { field: String, expected: String },
    #[error("항목 형식 오류: {field} must be a list of records")]
    NotAList { field: String },
    #[error("항목 길이 오류: {field} is {len} characters, at most {max} allowed ({expected})")]
    TooLong { field: String, len: usize, max: usize, expected: String },
    #[error("항목 형식 오류: {field} '{value}' is not {expected}")]
    BadFormat { field: String, value: String, expected: String },
    #[error("필수 항목 공백: {field} is blank (자금세탁방지 성명)")]
    Blank { field: String },
}

/// Names the anti-money-laundering rules need (요청고객성명, 최종수취고객성명): where
/// required, a blank or all-space name is as good as none. Other required text fields
/// (print contents and the like) may legitimately be blank.
pub const AML_NAME_FIELDS: &[&str] = &["req_client_name", "recv_client_name"];

impl Field {
    /// Checks one value against the field's format; `path` prefixes nested names.
    pub fn check(&self, value: Option<&Value>, path: &str) -> Result<(), FieldError> {
        let name = || if path.is_empty() { self.name.to_string() } else { format!("{path}.{}", self.name) };
        let value = match value {
            None | Some(Value::Null) => {
                return if self.required { Err(FieldError::Missing { field: name() }) } else { Ok(()) };
            }
            Some(v) => v,
        };
        if let Format::List(fields) = self.format {
            let Value::Array(items) = value else {
                return Err(FieldError::NotAList { field: name() });
            };
            for (i, item) in items.iter().enumerate() {
                let Value::Object(map) = item else {
                    return Err(FieldError::NotAList { field: name() });
                };
                let prefix = format!("{}[{i}]", name());
                for f in fields {
                    f.check(map.get(f.name), &prefix)?;
                }
            }
            return Ok(());
        }
        let Value::String(s) = value else {
            return Err(FieldError::NotAString { field: name(), expected: self.format.notation() });
        };
        check_str(self.format, s).map_err(|e| match e {
            StrError::TooLong { len, max } => {
                FieldError::TooLong { field: name(), len, max, expected: self.format.notation() }
            }
            StrError::BadFormat => FieldError::BadFormat {
                field: name(),
                value: s.chars().take(40).collect(),
                expected: self.format.notation(),
            },
        })
    }
}

enum StrError {
    TooLong { len: usize, max: usize },
    BadFormat,
}

fn check_str(format: Format, s: &str) -> Result<(), StrError> {
    match format {
        Format::An(max) => {
            let len = s.len();
            if len > max as usize {
                return Err(StrError::TooLong { len, max: max as usize });
            }
            if !s.bytes().all(|b| (0x20..0x7f).contains(&b)) {
                return Err(StrError::BadFormat);
            }
        }
        Format::N(n) => {
            if s.len() > n as usize {
                return Err(StrError::TooLong { len: s.len(), max: n as usize });
            }
            if s.len() != n as usize || !s.bytes().all(|b| b.is_ascii_digit()) {
                return Err(StrError::BadFormat);
            }
        }
        Format::Digits(max) => {
            if s.len() > max as usize {
                return Err(StrError::TooLong { len: s.len(), max: max as usize });
            }
            if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
                return Err(StrError::BadFormat);
            }
        }
        Format::Text(max) => {
            let len = s.chars().count();
            if len > max as usize {
                return Err(StrError::TooLong { len, max: max as usize });
            }
            if s.chars().any(char::is_control) {
                return Err(StrError::BadFormat);
            }
        }
        Format::OneOf(values) => {
            if !values.contains(&s) {
                return Err(StrError::BadFormat);
            }
        }
        Format::List(_) => return Err(StrError::BadFormat),
    }
    Ok(())
}

/// Checks a request object against its field list; the first problem wins, in field order,
/// so the message is deterministic.
pub fn check_fields(fields: &[Field], map: &serde_json::Map<String, Value>) -> Result<(), FieldError> {
    for f in fields {
        let v = map.get(f.name);
        if f.required && matches!(v, Some(Value::String(s)) if s.is_empty()) && !matches!(f.format, Format::Text(_)) {
            return Err(FieldError::Missing { field: f.name.to_string() });
        }
        f.check(v, "")?;
    }
    blank_aml_names(fields, map)
}

/// Refuses a required AML name that is blank, in the request and in its lists (names are
/// built only for the error, so a good request allocates nothing here).
fn blank_aml_names(fields: &[Field], map: &serde_json::Map<String, Value>) -> Result<(), FieldError> {
    for f in fields {
        match (f.format, map.get(f.name)) {
            (Format::List(inner), Some(Value::Array(items))) => {
                for (i, item) in items.iter().enumerate() {
                    if let Value::Object(m) = item {
                        blank_aml_names(inner, m).map_err(|e| match e {
                            FieldError::Blank { field } => {
                                FieldError::Blank { field: format!("{}[{i}].{field}", f.name) }
                            }
                            other => other,
                        })?;
                    }
                }
            }
            (_, Some(Value::String(s))) if f.required && s.trim().is_empty() && AML_NAME_FIELDS.contains(&f.name) => {
                return Err(FieldError::Blank { field: f.name.to_string() });
            }
            _ => {}
        }
    }
    Ok(())
}

/// Checks an answer against its field list: required fields must be present, but the
/// center sends blanks for values it does not have (`maturity_date: ""`), so an empty
/// string passes where a request would be rejected.
pub fn check_response(fields: &[Field], map: &serde_json::Map<String, Value>) -> Result<(), FieldError> {
    check_answer(fields, map, "")
}

/// Names of the keys an answer carries that its field list does not know, at every level
/// (`res_list[0].rsp_code`): what a strict client (Jackson with FAIL_ON_UNKNOWN_PROPERTIES,
/// the default) refuses to parse.
pub fn unknown_answer_fields(fields: &[Field], map: &serde_json::Map<String, Value>) -> Vec<String> {
    fn walk(fields: &[Field], map: &serde_json::Map<String, Value>, at: &str, out: &mut Vec<String>) {
        for (key, value) in map {
            let name = if at.is_empty() { key.clone() } else { format!("{at}.{key}") };
            match fields.iter().find(|f| f.name == key) {
                None => out.push(name),
                Some(Field { format: Format::List(inner), .. }) => {
                    for (i, item) in value.as_array().into_iter().flatten().enumerate() {
                        if let Value::Object(m) = item {
                            walk(inner, m, &format!("{name}[{i}]"), out);
                        }
                    }
                }
                Some(_) => {}
            }
        }
    }
    let mut out = Vec::new();
    walk(fields, map, "", &mut out);
    out
}

fn check_answer(fields: &[Field], map: &serde_json::Map<String, Value>, at: &str) -> Result<(), FieldError> {
    for f in fields {
        let name = if at.is_empty() { f.name.to_string() } else { format!("{at}.{}", f.name) };
        match (map.get(f.name), f.format) {
            (Some(Value::String(s)), _) if s.is_empty() => {}
            (Some(Value::Array(items)), Format::List(inner)) => {
                for (i, item) in items.iter().enumerate() {
                    let Value::Object(m) = item else { return Err(FieldError::NotAList { field: name }) };
                    check_answer(inner, m, &format!("{name}[{i}]"))?;
                }
            }
            (v, _) => f.check(v, at)?,
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const FIELDS: &[Field] = &[
        req("fintech_use_num", Format::An(24), ""),
        req("tran_dtime", Format::N(14), ""),
        req("tran_amt", Format::Digits(12), ""),
        opt("sort_order", Format::OneOf(&["D", "A"]), ""),
        opt("req_list", Format::List(&[req("tran_no", Format::Digits(3), "")]), ""),
    ];

    fn check(v: Value) -> Result<(), FieldError> {
        check_fields(FIELDS, v.as_object().unwrap())
    }

    #[test]
    fn accepts_a_valid_request() {
        let ok = json!({"fintech_use_num": "120260000001000000000001", "tran_dtime": "20260302100000",
            "tran_amt": "1000", "sort_order": "D", "req_list": [{"tran_no": "1"}]});
        assert_eq!(check(ok), Ok(()));
    }

    #[test]
    fn names_the_offending_field() {
        let err = check(json!({"fintech_use_num": "x", "tran_dtime": "2026", "tran_amt": "1"})).unwrap_err();
        assert_eq!(err.to_string(), "항목 형식 오류: tran_dtime '2026' is not N14");
        let err = check(json!({"tran_dtime": "20260302100000", "tran_amt": "1"})).unwrap_err();
        assert_eq!(err, FieldError::Missing { field: "fintech_use_num".into() });
        let err = check(json!({"fintech_use_num": "1", "tran_dtime": "20260302100000", "tran_amt": 5})).unwrap_err();
        assert!(matches!(err, FieldError::NotAString { .. }));
        let err = check(json!({"fintech_use_num": "1".repeat(25), "tran_dtime": "20260302100000", "tran_amt": "1"}))
            .unwrap_err();
        assert!(matches!(err, FieldError::TooLong { len: 25, max: 24, .. }));
        let err = check(json!({"fintech_use_num": "1", "tran_dtime": "20260302100000", "tran_amt": "1",
            "req_list": [{"tran_no": "x"}]}))
        .unwrap_err();
        assert_eq!(err.to_string(), "항목 형식 오류: req_list[0].tran_no 'x' is not N..3");
    }

    #[test]
    fn blank_aml_names_are_refused_where_required_other_blank_text_is_not() {
        const AML: &[Field] = &[
            req("req_client_name", Format::Text(20), ""),
            opt("recv_client_name", Format::Text(20), ""),
            req("print_content", Format::Text(20), ""),
            opt("req_list", Format::List(&[req("req_client_name", Format::Text(20), "")]), ""),
        ];
        let check = |v: Value| check_fields(AML, v.as_object().unwrap());
        assert_eq!(check(json!({"req_client_name": "홍길동", "print_content": "", "recv_client_name": " "})), Ok(()));
        for blank in ["", " ", "\u{3000} "] {
            let err = check(json!({"req_client_name": blank, "print_content": "x"})).unwrap_err();
            assert_eq!(err, FieldError::Blank { field: "req_client_name".into() });
        }
        let err = check(json!({"req_client_name": "a", "print_content": "", "req_list": [{"req_client_name": "b"}, {"req_client_name": "  "}]}))
            .unwrap_err();
        assert_eq!(err.to_string(), "필수 항목 공백: req_list[1].req_client_name is blank (자금세탁방지 성명)");
    }

    #[test]
    fn answers_may_carry_blanks_where_requests_may_not() {
        let map = json!({"fintech_use_num": "", "tran_dtime": "20260302100000", "tran_amt": "1"});
        assert!(check_response(FIELDS, map.as_object().unwrap()).is_ok());
        assert!(check_fields(FIELDS, map.as_object().unwrap()).is_err());
        let blank_item = json!({"fintech_use_num": "1", "tran_dtime": "20260302100000", "tran_amt": "1", "req_list": [{"tran_no": ""}]});
        assert!(check_response(FIELDS, blank_item.as_object().unwrap()).is_ok());
        let bad_item = json!({"fintech_use_num": "1", "tran_dtime": "20260302100000", "tran_amt": "1", "req_list": [{"tran_no": "x"}]});
        assert!(
            check_response(FIELDS, bad_item.as_object().unwrap())
                .unwrap_err()
                .to_string()
                .contains("req_list[0].tran_no")
        );
        let missing = json!({"tran_dtime": "20260302100000", "tran_amt": "1"});
        assert!(check_response(FIELDS, missing.as_object().unwrap()).is_err());
    }

    #[test]
    fn unknown_answer_fields_are_named_at_every_level() {
        let answer = json!({"fintech_use_num": "1", "extra": "x", "req_list": [{"tran_no": "1", "rsp_code": "A0000"}]});
        assert_eq!(unknown_answer_fields(FIELDS, answer.as_object().unwrap()), ["extra", "req_list[0].rsp_code"]);
        let clean = json!({"fintech_use_num": "1", "req_list": [{"tran_no": "1"}]});
        assert!(unknown_answer_fields(FIELDS, clean.as_object().unwrap()).is_empty());
    }
}
