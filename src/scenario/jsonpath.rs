//! JSONPath (RFC 9535, by `serde_json_path`) for captures and expectations: `$.name`,
//! `$['name']`, `$.list[0]`, `$.list[*]`, `$.list[?@.tran_no == '2']`, `$..name`. Parsed at
//! load time, so a bad path is reported (with its position) before anything is sent.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// What an error adds so the author can fix a path without the RFC at hand.
const FORMS: &str = "RFC 9535 JSONPath, e.g. $.name, $['a b'], $.res_list[0], $.res_list[*], \
                     $.res_list[?@.tran_no == '2'], $..bank_rsp_code";

#[derive(Debug, Clone)]
pub struct JsonPath {
    source: String,
    query: serde_json_path::JsonPath,
}

impl PartialEq for JsonPath {
    fn eq(&self, other: &Self) -> bool {
        self.source == other.source
    }
}

impl Eq for JsonPath {}

impl JsonPath {
    pub fn parse(s: &str) -> Result<JsonPath, String> {
        if !s.starts_with('$') {
            return Err(format!("JSONPath '{s}': must start with '$' ({FORMS})"));
        }
        let query = serde_json_path::JsonPath::parse(s).map_err(|e| format!("JSONPath '{s}': {e} ({FORMS})"))?;
        Ok(JsonPath { source: s.to_string(), query })
    }

    /// Every node the path selects, in document order.
    pub fn nodes<'a>(&self, v: &'a Value) -> Vec<&'a Value> {
        self.query.query(v).all()
    }

    /// The one node the path selects; `None` when it selects none or several.
    pub fn select<'a>(&self, v: &'a Value) -> Option<&'a Value> {
        self.query.query(v).exactly_one().ok()
    }

    pub fn as_str(&self) -> &str {
        &self.source
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
        schemars::json_schema!({ "type": "string", "pattern": "^\\$", "description": FORMS })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    #[test]
    fn selects_keys_indexes_wildcards_and_filters() {
        let v = json!({"res_list": [{"tran_no": "1", "bank_rsp_code": "000"}, {"tran_no": "2", "bank_rsp_code": "400"}], "a b": 1});
        assert_eq!(JsonPath::parse("$.res_list[0].bank_rsp_code").unwrap().select(&v), Some(&json!("000")));
        assert_eq!(JsonPath::parse("$['a b']").unwrap().select(&v), Some(&json!(1)));
        assert_eq!(JsonPath::parse("$").unwrap().select(&v), Some(&v));
        assert_eq!(JsonPath::parse("$.missing").unwrap().select(&v), None);
        let row = JsonPath::parse("$.res_list[?@.tran_no == '2'].bank_rsp_code").unwrap();
        assert_eq!(row.nodes(&v), [&json!("400")]);
        let all = JsonPath::parse("$.res_list[*].bank_rsp_code").unwrap();
        assert_eq!(all.nodes(&v).len(), 2);
        assert_eq!(all.select(&v), None, "several nodes are not one value");
        assert_eq!(JsonPath::parse("$..tran_no").unwrap().nodes(&v).len(), 2);
    }

    #[test]
    fn rejects_what_is_not_jsonpath_with_the_forms_it_takes() {
        for bad in ["res_list", "$.a[x]", "$.a[", "$.list[?@.x ==]"] {
            let err = JsonPath::parse(bad).unwrap_err();
            assert!(err.contains(bad) && err.contains("RFC 9535"), "{err}");
        }
    }

    /// A JSON document of strings, numbers, lists and objects whose keys need quoting now and then.
    fn document() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![any::<i32>().prop_map(Value::from), "[a-z0-9 가-힣]{0,6}".prop_map(Value::from)];
        leaf.prop_recursive(4, 40, 5, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 1..5).prop_map(Value::Array),
                prop::collection::btree_map("[a-z_]{1,6}|[a-z]{1,3} [a-z'.]{1,3}", inner, 1..5)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    /// The path to one node of `v` chosen by `choices`, written as JSONPath, and the node.
    fn walk(v: &Value, choices: &[usize]) -> (String, Value) {
        let mut path = String::from("$");
        let mut node = v;
        for c in choices {
            match node {
                Value::Array(items) => {
                    let i = c % items.len();
                    path.push_str(&format!("[{i}]"));
                    node = &items[i];
                }
                Value::Object(m) => {
                    let (k, next) = m.iter().nth(c % m.len()).expect("non-empty object");
                    path.push_str(&format!("['{}']", k.replace('\\', "\\\\").replace('\'', "\\'")));
                    node = next;
                }
                _ => break,
            }
        }
        (path, node.clone())
    }

    proptest! {
        #[test]
        fn a_path_written_to_any_node_selects_exactly_that_node(
            doc in document(),
            choices in prop::collection::vec(any::<usize>(), 0..6),
        ) {
            let (path, expected) = walk(&doc, &choices);
            let parsed = JsonPath::parse(&path).map_err(TestCaseError::fail)?;
            prop_assert_eq!(parsed.select(&doc), Some(&expected), "{}", path);
            prop_assert_eq!(parsed.nodes(&doc).len(), 1);
        }
    }
}
