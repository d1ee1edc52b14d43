//! String templates (`"${before}"`, `"M202601315U${serial}"`) and the integer arithmetic
//! that numeric expectations use (`"${before} - 1000"`).
//!
//! Templates are parsed when a scenario is loaded, so a malformed `${` is reported with
//! its file position before anything is sent.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

/// A parsed template: literal text and `${name}` references.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    source: String,
    parts: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Text(String),
    Var(String),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    #[error("unclosed '${{' in \"{0}\"")]
    Unclosed(String),
    #[error("empty or invalid variable name '${{{name}}}' in \"{source_text}\" (use letters, digits and _)")]
    BadName { name: String, source_text: String },
    #[error("unknown variable '${{{name}}}'{hint}")]
    Unknown { name: String, hint: String },
    #[error("'{expr}' is not integer arithmetic (numbers and variables with + - *): {why}")]
    Arithmetic { expr: String, why: String },
    #[error("\"{source_text}\" expands to more than {limit} bytes")]
    TooLong { source_text: String, limit: usize },
}

/// Most bytes one rendered template may hold: variables referring to variables cannot
/// multiply into gigabytes.
pub const MAX_RENDERED: usize = 1024 * 1024;

impl Template {
    pub fn parse(source: &str) -> Result<Template, TemplateError> {
        let mut parts = Vec::new();
        let mut rest = source;
        while let Some(start) = rest.find("${") {
            if start > 0 {
                parts.push(Part::Text(rest[..start].to_string()));
            }
            let after = &rest[start + 2..];
            let end = after.find('}').ok_or_else(|| TemplateError::Unclosed(source.to_string()))?;
            let name = &after[..end];
            if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return Err(TemplateError::BadName { name: name.to_string(), source_text: source.to_string() });
            }
            parts.push(Part::Var(name.to_string()));
            rest = &after[end + 1..];
        }
        if !rest.is_empty() {
            parts.push(Part::Text(rest.to_string()));
        }
        Ok(Template { source: source.to_string(), parts })
    }

    /// The most bytes this template can expand to, given each variable's largest size.
    pub fn max_len(&self, size_of: &dyn Fn(&str) -> usize) -> usize {
        self.parts.iter().fold(0usize, |n, p| match p {
            Part::Text(t) => n.saturating_add(t.len()),
            Part::Var(v) => n.saturating_add(size_of(v)),
        })
    }

    /// A template that is plain text.
    pub fn literal(text: &str) -> Template {
        Template { source: text.to_string(), parts: vec![Part::Text(text.to_string())] }
    }

    pub fn source(&self) -> &str {
        &self.source
    }

    /// The variables the template refers to.
    pub fn vars(&self) -> impl Iterator<Item = &str> {
        self.parts.iter().filter_map(|p| match p {
            Part::Var(v) => Some(v.as_str()),
            Part::Text(_) => None,
        })
    }

    /// Substitutes every reference; `lookup` returns `None` for an unknown name.
    pub fn render(&self, lookup: &dyn Fn(&str) -> Option<String>) -> Result<String, TemplateError> {
        let mut out = String::with_capacity(self.source.len());
        for p in &self.parts {
            match p {
                Part::Text(t) => out.push_str(t),
                Part::Var(v) => out.push_str(
                    &lookup(v).ok_or_else(|| TemplateError::Unknown { name: v.clone(), hint: String::new() })?,
                ),
            }
            if out.len() > MAX_RENDERED {
                return Err(TemplateError::TooLong { source_text: self.source.clone(), limit: MAX_RENDERED });
            }
        }
        Ok(out)
    }

    /// Renders with a map of values.
    pub fn render_with(&self, vars: &BTreeMap<String, String>) -> Result<String, TemplateError> {
        self.render(&|name| vars.get(name).cloned())
    }
}

impl fmt::Display for Template {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

impl<'de> Deserialize<'de> for Template {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // Scalars of any kind are accepted as text: `tran_amt: 1000` means "1000".
        let value = serde_json::Value::deserialize(d)?;
        let text = match value {
            serde_json::Value::String(s) => s,
            serde_json::Value::Number(n) => n.to_string(),
            serde_json::Value::Bool(b) => b.to_string(),
            other => return Err(serde::de::Error::custom(format!("expected text, found {other}"))),
        };
        Template::parse(&text).map_err(serde::de::Error::custom)
    }
}

impl Serialize for Template {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.source)
    }
}

impl schemars::JsonSchema for Template {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Template".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": ["string", "number", "boolean"],
            "description": "Text with ${variable} references"
        })
    }
}

/// Evaluates integer arithmetic over an already-rendered expression: `1000000 - 1000`.
pub fn eval_int(expr: &str) -> Result<i128, TemplateError> {
    let err = |why: &str| TemplateError::Arithmetic { expr: expr.to_string(), why: why.to_string() };
    let mut tokens = Vec::new();
    let mut chars = expr.chars().peekable();
    while let Some(&c) = chars.peek() {
        match c {
            ' ' | '\t' => {
                chars.next();
            }
            '+' | '-' | '*' => {
                tokens.push(c.to_string());
                chars.next();
            }
            '0'..='9' => {
                let mut n = String::new();
                while let Some(&d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                    n.push(d);
                    chars.next();
                }
                tokens.push(n);
            }
            other => return Err(err(&format!("unexpected '{other}'"))),
        }
    }
    // term ((+|-) term)*, term = factor (* factor)*, factor = -? number
    let mut pos = 0;
    let factor = |pos: &mut usize| -> Result<i128, TemplateError> {
        let negative = tokens.get(*pos).is_some_and(|t| t == "-");
        if negative {
            *pos += 1;
        }
        let t = tokens.get(*pos).ok_or_else(|| err("missing number"))?;
        let n: i128 = t.parse().map_err(|_| err(&format!("'{t}' is not a number")))?;
        *pos += 1;
        Ok(if negative { -n } else { n })
    };
    let term = |pos: &mut usize| -> Result<i128, TemplateError> {
        let mut v = factor(pos)?;
        while tokens.get(*pos).is_some_and(|t| t == "*") {
            *pos += 1;
            v = v.checked_mul(factor(pos)?).ok_or_else(|| err("overflow"))?;
        }
        Ok(v)
    };
    let mut value = term(&mut pos)?;
    while let Some(op) = tokens.get(pos).cloned() {
        pos += 1;
        let rhs = term(&mut pos)?;
        value = match op.as_str() {
            "+" => value.checked_add(rhs),
            "-" => value.checked_sub(rhs),
            _ => return Err(err(&format!("unexpected '{op}'"))),
        }
        .ok_or_else(|| err("overflow"))?;
    }
    Ok(value)
}

/// Renders every string of a JSON structure as a template (`req_list` items and the like).
pub fn render_value(
    v: &serde_json::Value,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<serde_json::Value, TemplateError> {
    use serde_json::Value;
    Ok(match v {
        Value::String(s) => Value::String(Template::parse(s)?.render(lookup)?),
        Value::Array(items) => Value::Array(items.iter().map(|i| render_value(i, lookup)).collect::<Result<_, _>>()?),
        Value::Object(m) => Value::Object(
            m.iter().map(|(k, i)| Ok((k.clone(), render_value(i, lookup)?))).collect::<Result<_, TemplateError>>()?,
        ),
        other => other.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_variables_and_text() {
        let t = Template::parse("M202601315U${serial}").unwrap();
        assert_eq!(t.vars().collect::<Vec<_>>(), ["serial"]);
        let vars = BTreeMap::from([("serial".to_string(), "000000001".to_string())]);
        assert_eq!(t.render_with(&vars).unwrap(), "M202601315U000000001");
        assert!(matches!(t.render_with(&BTreeMap::new()), Err(TemplateError::Unknown { .. })));
    }

    #[test]
    fn rejects_malformed_references() {
        assert!(matches!(Template::parse("${open"), Err(TemplateError::Unclosed(_))));
        assert!(matches!(Template::parse("${}"), Err(TemplateError::BadName { .. })));
        assert!(matches!(Template::parse("${a b}"), Err(TemplateError::BadName { .. })));
    }

    #[test]
    fn integer_arithmetic() {
        assert_eq!(eval_int("1000000 - 1000").unwrap(), 999_000);
        assert_eq!(eval_int("2 + 3 * 4").unwrap(), 14);
        assert_eq!(eval_int("-5 + 10").unwrap(), 5);
        assert!(eval_int("10 / 2").is_err());
        assert!(eval_int("abc").is_err());
        assert!(eval_int("1 +").is_err());
    }
}
