//! A regular expression of a check (`regex:`), compiled once when the file loads, so a bad
//! one is reported at its position and no check compiles it again per answer.

use std::fmt;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone)]
pub struct Pattern {
    source: String,
    regex: regex::Regex,
}

impl Pattern {
    pub fn parse(s: &str) -> Result<Pattern, String> {
        regex::Regex::new(s)
            .map(|regex| Pattern { source: s.to_string(), regex })
            .map_err(|e| format!("regex '{s}': {e}"))
    }

    pub fn is_match(&self, text: &str) -> bool {
        self.regex.is_match(text)
    }

    pub fn as_str(&self) -> &str {
        &self.source
    }
}

impl PartialEq for Pattern {
    fn eq(&self, other: &Self) -> bool {
        self.source == other.source
    }
}

impl fmt::Display for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

impl<'de> Deserialize<'de> for Pattern {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Pattern::parse(&String::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

impl Serialize for Pattern {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.source)
    }
}

impl schemars::JsonSchema for Pattern {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Pattern".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "type": "string", "format": "regex" })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pattern_compiles_once_and_a_bad_one_says_why() {
        let p: Pattern = serde_yaml::from_str("'^A0[0-9]{3}$'").unwrap();
        assert!(p.is_match("A0000") && !p.is_match("B0000"));
        let e = serde_yaml::from_str::<Pattern>("'^(A'").unwrap_err().to_string();
        assert!(e.contains("regex '^(A'"), "{e}");
    }
}
