//! Request bodies parsed the way a strict center parses them: a key twice in one object is
//! a format error, not "the last one wins" (which let a second `tran_amt` move money the
//! first one did not say). serde_json has no such switch, so this is its `Value` visitor
//! with one check added; it costs one map lookup per key, as building a `Value` does.

use std::fmt;

use serde::Deserialize;
use serde::de::{self, MapAccess, SeqAccess, Visitor};
use serde_json::map::Entry;
use serde_json::{Map, Value};

/// Parses a JSON document, refusing duplicate keys at any depth (with line and column).
pub fn from_slice(bytes: &[u8]) -> Result<Value, serde_json::Error> {
    serde_json::from_slice::<Strict>(bytes).map(|s| s.0)
}

struct Strict(Value);

impl<'de> Deserialize<'de> for Strict {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(StrictVisitor).map(Strict)
    }
}

struct StrictVisitor;

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
        while let Some(Strict(v)) = seq.next_element()? {
            items.push(v);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Value, A::Error> {
        let mut map = Map::new();
        while let Some(key) = access.next_key::<String>()? {
            let Strict(value) = access.next_value()?;
            match map.entry(key) {
                Entry::Vacant(slot) => {
                    slot.insert(value);
                }
                Entry::Occupied(slot) => {
                    return Err(de::Error::custom(format_args!("duplicate key '{}'", slot.key())));
                }
            }
        }
        Ok(Value::Object(map))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_like_serde_json_without_duplicates() {
        let text = br#"{"a": [1, -2, 3.5, true, null, "x"], "b": {"c": "d"}, "e": 18446744073709551615}"#;
        assert_eq!(from_slice(text).unwrap(), serde_json::from_slice::<Value>(text).unwrap());
    }

    #[test]
    fn a_key_twice_is_an_error_at_any_depth() {
        let err = from_slice(br#"{"tran_amt": "1000", "tran_amt": "4000000"}"#).unwrap_err();
        assert!(err.to_string().starts_with("duplicate key 'tran_amt' at line 1"), "{err}");
        let err = from_slice(br#"{"req_list": [{"tran_amt": "1", "x": 0, "tran_amt": "2"}]}"#).unwrap_err();
        assert!(err.to_string().contains("duplicate key 'tran_amt'"), "{err}");
        // The same key in two different objects is fine.
        assert!(from_slice(br#"[{"a": 1}, {"a": 2}]"#).is_ok());
    }

    #[test]
    fn deep_nesting_is_still_refused() {
        let deep = "[".repeat(10_000);
        assert!(from_slice(deep.as_bytes()).is_err());
    }
}
