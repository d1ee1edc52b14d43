//! A small JSONPath subset for captures and expectations: `$`, `.name`, `['name']`, `[n]`.
//! Parsed at load time, so a bad path is reported before anything is sent.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonPath {
    source: String,
    segments: Vec<Segment>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Key(String),
    Index(usize),
}

impl JsonPath {
    pub fn parse(s: &str) -> Result<JsonPath, String> {
        let err = |why: &str| format!("JSONPath '{s}': {why} (supported: $, .name, ['name'], [n])");
        let mut rest = s.strip_prefix('$').ok_or_else(|| err("must start with '$'"))?;
        let mut segments = Vec::new();
        while !rest.is_empty() {
            if let Some(r) = rest.strip_prefix('.') {
                let end = r.find(['.', '[']).unwrap_or(r.len());
                let name = &r[..end];
                if name.is_empty() || name == "*" {
                    return Err(err("empty or wildcard name"));
                }
                segments.push(Segment::Key(name.to_string()));
                rest = &r[end..];
            } else if let Some(r) = rest.strip_prefix("['") {
                let end = r.find("']").ok_or_else(|| err("unclosed ['"))?;
                segments.push(Segment::Key(r[..end].to_string()));
                rest = &r[end + 2..];
            } else if let Some(r) = rest.strip_prefix('[') {
                let end = r.find(']').ok_or_else(|| err("unclosed ["))?;
                let n = r[..end].parse().map_err(|_| err(&format!("'{}' is not an index", &r[..end])))?;
                segments.push(Segment::Index(n));
                rest = &r[end + 1..];
            } else {
                return Err(err(&format!("unexpected '{rest}'")));
            }
        }
        Ok(JsonPath { source: s.to_string(), segments })
    }

    pub fn select<'a>(&self, v: &'a Value) -> Option<&'a Value> {
        self.segments.iter().try_fold(v, |v, seg| match seg {
            Segment::Key(k) => v.get(k),
            Segment::Index(i) => v.get(i),
        })
    }

    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// The top-level field name, when the path is `$.name`.
    pub fn top_field(&self) -> Option<&str> {
        match self.segments.as_slice() {
            [Segment::Key(k)] => Some(k),
            _ => None,
        }
    }
}

impl fmt::Display for JsonPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

impl<'de> Deserialize<'de> for JsonPath {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        JsonPath::parse(&String::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

impl Serialize for JsonPath {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.source)
    }
}

impl schemars::JsonSchema for JsonPath {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "JsonPath".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "type": "string", "pattern": "^\\$", "description": "$, .name, ['name'], [n]" })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn selects_keys_and_indexes() {
        let v = json!({"res_list": [{"bank_rsp_code": "000"}], "a b": 1});
        assert_eq!(JsonPath::parse("$.res_list[0].bank_rsp_code").unwrap().select(&v), Some(&json!("000")));
        assert_eq!(JsonPath::parse("$['a b']").unwrap().select(&v), Some(&json!(1)));
        assert_eq!(JsonPath::parse("$").unwrap().select(&v), Some(&v));
        assert_eq!(JsonPath::parse("$.missing").unwrap().select(&v), None);
    }

    #[test]
    fn rejects_what_it_does_not_support() {
        for bad in ["res_list", "$.a[x]", "$..a", "$.a[", "$.*"] {
            assert!(JsonPath::parse(bad).is_err(), "{bad}");
        }
    }
}
