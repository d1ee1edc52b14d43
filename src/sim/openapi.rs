//! An OpenAPI 3.1 description of the 22 APIs as the simulator serves them.
//!
//! The document is generated from the catalogue in [`crate::protocol`] rather than written by
//! hand, so it cannot drift from what the simulator validates and answers: every path,
//! method, field format, scope, flag and response code below is read from there. Only the
//! shape of OpenAPI itself, and how the OAuth endpoints answer outside the envelope (a
//! consent page, a redirect, errors as `rsp_code` + `rsp_message`), are known here.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use crate::protocol::catalogue::{BANK_FIELDS, ENVELOPE};
use crate::protocol::codes::RspCode;
use crate::protocol::fields::{Field, Format};
use crate::protocol::{Api, Consent, ParamsIn, Scope};

/// The name of the bearer-token security scheme in `components.securitySchemes`.
const BEARER: &str = "bearer";

/// Paths under this prefix answer in the center's JSON envelope.
const ENVELOPE_PREFIX: &str = "/v2.0/";

/// The OpenAPI document describing every API of the catalogue.
///
/// APIs that share a path and method (the three grants of `/oauth/2.0/token`) become one
/// operation, because OpenAPI allows only one operation per path and method.
#[must_use]
pub fn openapi_document() -> Value {
    let operations = operations();
    json!({
        "openapi": "3.1.0",
        "info": info(),
        "servers": [{"url": "/"}],
        "tags": tags(&operations),
        "paths": paths(&operations),
        "components": {
            "securitySchemes": {
                BEARER: {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "Access token from /oauth/2.0/token, \
                                    sent as `Authorization: Bearer <token>`",
                }
            }
        },
    })
}

/// The `info` object; the description states the error convention up front because it is
/// the one thing a generic OpenAPI client gets wrong (it expects errors as 4xx/5xx).
fn info() -> Value {
    json!({
        "title": "obharness Open Banking simulator",
        "version": env!("CARGO_PKG_VERSION"),
        "description": format!(
            "The Korean Open Banking center (KFTC API v2.0) as simulated by obharness, \
             generated from its API catalogue. Business errors are answered with HTTP 200: \
             the outcome is the `rsp_code` of the JSON envelope ({success} is success), \
             not the HTTP status. {}",
            error_note(),
            success = RspCode::Success.code(),
        ),
    })
}

/// APIs of the catalogue served by one path and method; the lead (first in catalogue
/// order) names the operation.
struct Operation {
    lead: &'static Api,
    members: Vec<&'static Api>,
}

impl Operation {
    /// The catalogue ids served by this operation, in catalogue order.
    fn keys(&self) -> Vec<&'static str> {
        self.members.iter().map(|a| a.key).collect()
    }

    /// The tag: the first segment of the stable id (`transfer.withdraw` → `transfer`).
    fn tag(&self) -> &'static str {
        self.lead.key.split('.').next().unwrap_or(self.lead.key)
    }
}

/// Groups the catalogue by path and method, keeping catalogue order.
fn operations() -> Vec<Operation> {
    let mut ops: Vec<Operation> = Vec::new();
    for api in Api::all() {
        match ops.iter_mut().find(|op| op.lead.path == api.path && op.lead.method == api.method) {
            Some(op) => op.members.push(api),
            None => ops.push(Operation { lead: api, members: vec![api] }),
        }
    }
    ops
}

/// The top-level tag list, in the order the tags first appear in the catalogue.
fn tags(ops: &[Operation]) -> Value {
    let mut names: Vec<&str> = Vec::new();
    for op in ops {
        if !names.contains(&op.tag()) {
            names.push(op.tag());
        }
    }
    names.into_iter().map(|name| json!({"name": name})).collect()
}

/// The `paths` object: one path item per path, one operation per method.
fn paths(ops: &[Operation]) -> Value {
    let mut items: BTreeMap<&str, Map<String, Value>> = BTreeMap::new();
    for op in ops {
        items.entry(op.lead.path).or_default().insert(op.lead.method.to_ascii_lowercase(), operation(op));
    }
    Value::Object(items.into_iter().map(|(path, item)| (path.to_string(), Value::Object(item))).collect())
}

/// One operation object. The flags of a merged operation are set when any member's is,
/// since each of them only ever adds a restriction.
fn operation(op: &Operation) -> Value {
    let mut o = Map::new();
    o.insert("operationId".into(), json!(op.lead.key));
    o.insert("summary".into(), json!(op.members.iter().map(|a| a.name).collect::<Vec<_>>().join(" / ")));
    o.insert("description".into(), json!(description(op)));
    o.insert("tags".into(), json!([op.tag()]));
    o.insert("x-api-ids".into(), json!(op.keys()));
    // Where each member's field sets come from (protocol::catalogue), so a reader can check them.
    let mut sources: Vec<&str> = op.members.iter().map(|a| a.source).collect();
    sources.dedup();
    o.insert("x-source".into(), json!(sources));
    let params = query_parameters(op);
    if !params.is_empty() {
        o.insert("parameters".into(), Value::Array(params));
    }
    if let Some(body) = request_body(op) {
        o.insert("requestBody".into(), body);
    }
    o.insert("responses".into(), responses(op));
    let scopes = scopes(op);
    if !scopes.is_empty() {
        o.insert("security".into(), json!([{ BEARER: [] }]));
        o.insert("x-scopes".into(), json!(scopes));
    }
    o.insert("x-money-moving".into(), json!(op.members.iter().any(|a| a.money_moving)));
    o.insert("x-whitelist-only".into(), json!(op.members.iter().any(|a| a.whitelist_only)));
    if let Some(consent) = op.members.iter().find_map(|a| a.consent) {
        o.insert("x-consent".into(), json!(consent_name(consent)));
    }
    Value::Object(o)
}

/// The consent of the account an API relies on; its absence or expiry is a business error
/// (an `rsp_code`), so a client needs to know which one to keep current.
fn consent_name(consent: Consent) -> &'static str {
    match consent {
        Consent::Inquiry => "inquiry",
        Consent::Transfer => "transfer",
    }
}

/// The operation's description; a merged operation names every id it serves and the
/// field that tells them apart, so a reader can find each catalogue entry.
fn description(op: &Operation) -> String {
    let [single] = op.members.as_slice() else {
        let field = discriminator(op);
        let each: Vec<String> = op
            .members
            .iter()
            .map(|a| match field.and_then(|f| Some((f, single_value(a, f)?))) {
                Some((f, value)) => format!("`{}` ({}, {f}={value})", a.key, a.name),
                None => format!("`{}` ({})", a.key, a.name),
            })
            .collect();
        let told_apart = field.map(|f| format!(", told apart by `{f}`")).unwrap_or_default();
        return format!("Serves {} catalogue APIs{told_apart}: {}.", op.members.len(), each.join(", "));
    };
    format!("Catalogue API `{}` ({}).", single.key, single.name)
}

/// The request field whose fixed value differs between the members of a merged
/// operation (`grant_type` for the token endpoint), if there is one.
fn discriminator(op: &Operation) -> Option<&'static str> {
    op.lead.request.iter().map(|f| f.name).find(|&name| {
        let values: Option<Vec<&str>> = op.members.iter().map(|a| single_value(a, name)).collect();
        values.is_some_and(|mut v| {
            let n = v.len();
            v.sort_unstable();
            v.dedup();
            v.len() == n
        })
    })
}

/// The only value a request field of `api` may take, when its format fixes one.
fn single_value(api: &Api, name: &str) -> Option<&'static str> {
    match api.request.iter().find(|f| f.name == name)?.format {
        Format::OneOf([value]) => Some(value),
        _ => None,
    }
}

/// The scopes granting access to the operation, any one of which suffices.
fn scopes(op: &Operation) -> Vec<&'static str> {
    let mut all: Vec<Scope> = Vec::new();
    for scope in op.members.iter().flat_map(|a| a.scopes) {
        if !all.contains(scope) {
            all.push(*scope);
        }
    }
    all.into_iter().map(Scope::as_str).collect()
}

/// Query parameters of the members that take them; a name shared by several members
/// appears once and is required only if every such member requires it.
fn query_parameters(op: &Operation) -> Vec<Value> {
    let members: Vec<&Api> = op.members.iter().copied().filter(|a| a.params_in == ParamsIn::Query).collect();
    let mut seen: Vec<&str> = Vec::new();
    let mut params = Vec::new();
    for field in members.iter().flat_map(|a| a.request) {
        if seen.contains(&field.name) {
            continue;
        }
        seen.push(field.name);
        let required = members.iter().all(|a| a.request.iter().any(|f| f.name == field.name && f.required));
        params.push(json!({
            "name": field.name,
            "in": "query",
            "required": required,
            "description": field.doc,
            "schema": format_schema(field.format),
        }));
    }
    params
}

/// The media type a body-carrying API is sent as; `None` for query-string APIs.
fn media_type(params_in: ParamsIn) -> Option<&'static str> {
    match params_in {
        ParamsIn::Query => None,
        ParamsIn::Json => Some("application/json"),
        ParamsIn::Form => Some("application/x-www-form-urlencoded"),
    }
}

/// The request body; members sharing a media type are alternatives (`oneOf`).
fn request_body(op: &Operation) -> Option<Value> {
    let mut by_type: BTreeMap<&str, Vec<&Api>> = BTreeMap::new();
    for api in &op.members {
        if let Some(media) = media_type(api.params_in) {
            by_type.entry(media).or_default().push(api);
        }
    }
    if by_type.is_empty() {
        return None;
    }
    let content: Map<String, Value> = by_type
        .into_iter()
        .map(|(media, apis)| {
            let schemas = apis.iter().map(|a| titled(object_schema(a.request), a)).collect();
            (media.to_string(), json!({"schema": alternatives(schemas)}))
        })
        .collect();
    Some(json!({"required": true, "content": content}))
}

/// Labels a member's schema with its id, so the branches of a `oneOf` are identifiable.
fn titled(mut schema: Value, api: &Api) -> Value {
    if let Some(obj) = schema.as_object_mut() {
        obj.insert("title".into(), json!(api.key));
        obj.insert("description".into(), json!(api.name));
    }
    schema
}

/// One schema as is; several as a `oneOf` of objects. Identical schemas are kept once,
/// so members with the same answer (the token grants) do not produce a trivial `oneOf`.
fn alternatives(schemas: Vec<Value>) -> Value {
    let mut unique: Vec<Value> = Vec::new();
    for schema in schemas {
        if !unique.contains(&schema) {
            unique.push(schema);
        }
    }
    match unique.len() {
        1 => unique.remove(0),
        _ => json!({"type": "object", "oneOf": unique}),
    }
}

/// How an API answers, which decides the shape of its `responses`.
enum Answer {
    /// `/v2.0/…`: JSON in the center's envelope, business errors included.
    Envelope,
    /// The authorize endpoints: a consent page, then a redirect to `redirect_uri`.
    Redirect,
    /// The other OAuth endpoints: plain JSON.
    PlainJson,
}

/// Classifies an API by what the catalogue says of it: the `/v2.0/` prefix means the
/// envelope, and the only GET endpoints outside it are the browser-facing authorize pages.
fn answer(api: &Api) -> Answer {
    if api.path.starts_with(ENVELOPE_PREFIX) {
        Answer::Envelope
    } else if api.method == "GET" {
        Answer::Redirect
    } else {
        Answer::PlainJson
    }
}

/// The `responses` object of an operation.
fn responses(op: &Operation) -> Value {
    match answer(op.lead) {
        Answer::Envelope => envelope_responses(op),
        Answer::Redirect => redirect_responses(op.lead),
        Answer::PlainJson => {
            let schemas = op.members.iter().map(|a| object_schema(a.response)).collect();
            let content = json!({"application/json": {"schema": alternatives(schemas)}});
            let description = format!("OK. {}", oauth_error_note());
            json!({"200": {"description": description, "content": content}})
        }
    }
}

/// A `/v2.0/` answer: always HTTP 200, the outcome in `rsp_code`.
fn envelope_responses(op: &Operation) -> Value {
    let schemas = op.members.iter().map(|a| with_rsp_code_enum(object_schema(a.response))).collect();
    json!({
        "200": {
            "description": format!(
                "The answer, for success and business errors alike; \
                 the schema is the {} (success) shape. {}",
                RspCode::Success.code(),
                error_note(),
            ),
            "content": {"application/json": {"schema": alternatives(schemas)}},
        }
    })
}

/// How an error answer differs from the success schema, with the field names read from
/// the catalogue's envelope.
fn error_note() -> String {
    format!(
        "An error answer carries only the envelope ({}), plus the bank fields ({}) \
         when a participating bank answered; the other fields marked required are present \
         on success only.",
        names(ENVELOPE),
        names(BANK_FIELDS),
    )
}

/// Field names as a readable list, for descriptions.
fn names(fields: &[Field]) -> String {
    fields.iter().map(|f| f.name).collect::<Vec<_>>().join(", ")
}

/// Narrows the top-level `rsp_code` to the codes the center can answer.
fn with_rsp_code_enum(mut schema: Value) -> Value {
    let rsp_code = schema.get_mut("properties").and_then(|p| p.get_mut("rsp_code")).and_then(Value::as_object_mut);
    if let Some(rsp_code) = rsp_code {
        let codes: Vec<&str> = RspCode::ALL.iter().map(|c| c.code()).collect();
        let messages: Map<String, Value> = RspCode::ALL.iter().map(|c| (c.code().into(), json!(c.message()))).collect();
        rsp_code.insert("enum".into(), json!(codes));
        rsp_code.insert("x-enum-descriptions".into(), Value::Object(messages));
    }
    schema
}

/// The authorize endpoints: a consent page, or (headless approval) a redirect carrying
/// the callback fields.
fn redirect_responses(api: &Api) -> Value {
    json!({
        "302": {
            "description": format!(
                "Approved: redirect to `redirect_uri` with the query parameters {}.",
                names(api.response),
            ),
            "headers": {
                "Location": {
                    "description": "`redirect_uri` with the callback parameters",
                    "required": true,
                    "schema": {"type": "string", "format": "uri-reference"},
                }
            },
            "x-callback-parameters": object_schema(api.response),
        },
        "200": {
            "description": format!(
                "The consent page (text/html) when no headless approval was requested. {}",
                oauth_error_note(),
            ),
            "content": {
                "text/html": {"schema": {"type": "string"}},
                "application/json": {"schema": oauth_error_schema()},
            },
        },
    })
}

/// The fields of the envelope an OAuth endpoint keeps in an error answer.
const OAUTH_ERROR_FIELDS: [&str; 2] = ["rsp_code", "rsp_message"];

/// The OAuth endpoints answer without the full envelope, errors included.
fn oauth_error_note() -> String {
    format!(
        "Errors are answered with HTTP 200 as well, as a JSON object carrying only {}.",
        OAUTH_ERROR_FIELDS.join(" and "),
    )
}

/// An OAuth error answer, with its fields as the catalogue's envelope defines them.
fn oauth_error_schema() -> Value {
    let fields: Vec<Field> = ENVELOPE.iter().filter(|f| OAUTH_ERROR_FIELDS.contains(&f.name)).copied().collect();
    with_rsp_code_enum(object_schema(&fields))
}

/// An object schema for a field list.
fn object_schema(fields: &[Field]) -> Value {
    let properties: Map<String, Value> = fields.iter().map(|f| (f.name.to_string(), field_schema(f))).collect();
    let required: Vec<&str> = fields.iter().filter(|f| f.required).map(|f| f.name).collect();
    let mut schema = Map::new();
    schema.insert("type".into(), json!("object"));
    schema.insert("properties".into(), Value::Object(properties));
    if !required.is_empty() {
        schema.insert("required".into(), json!(required));
    }
    Value::Object(schema)
}

/// A field's schema: its format plus its documentation.
fn field_schema(field: &Field) -> Value {
    let mut schema = format_schema(field.format);
    if let Some(obj) = schema.as_object_mut()
        && !field.doc.is_empty()
    {
        obj.insert("description".into(), json!(field.doc));
    }
    schema
}

/// The JSON Schema of a wire format. Every value on the wire is a string, digits
/// included; `x-kftc-format` keeps the KFTC notation (`AN24`, `N14`) for cross-reference.
fn format_schema(format: Format) -> Value {
    let notation = format.notation();
    match format {
        Format::An(n) | Format::Text(n) => {
            json!({"type": "string", "maxLength": n, "x-kftc-format": notation})
        }
        Format::N(n) => pattern_schema(format!("^[0-9]{{{n}}}$"), notation),
        Format::Digits(n) => pattern_schema(format!("^[0-9]{{1,{n}}}$"), notation),
        Format::OneOf(values) => json!({"type": "string", "enum": values}),
        Format::List(fields) => json!({"type": "array", "items": object_schema(fields)}),
    }
}

/// A digit string constrained by `pattern`.
fn pattern_schema(pattern: String, notation: String) -> Value {
    json!({"type": "string", "pattern": pattern, "x-kftc-format": notation})
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::ApiId;

    /// Every operation of the document with its path and method.
    fn all_operations(doc: &Value) -> Vec<(String, String, &Value)> {
        let paths = doc["paths"].as_object().expect("paths is an object");
        paths
            .iter()
            .flat_map(|(path, item)| {
                let item = item.as_object().expect("path item is an object");
                item.iter().map(move |(method, op)| (path.clone(), method.clone(), op))
            })
            .collect()
    }

    /// Collects `schema` and everything nested in it (properties, items, oneOf branches).
    fn collect_schema<'a>(schema: &'a Value, out: &mut Vec<&'a Value>) {
        out.push(schema);
        if let Some(props) = schema.get("properties").and_then(Value::as_object) {
            props.values().for_each(|p| collect_schema(p, out));
        }
        if let Some(items) = schema.get("items") {
            collect_schema(items, out);
        }
        for key in ["oneOf", "anyOf", "allOf"] {
            if let Some(branches) = schema.get(key).and_then(Value::as_array) {
                branches.iter().for_each(|b| collect_schema(b, out));
            }
        }
    }

    /// Every schema in the document: anything under a `schema` key, or an extension
    /// holding one, and what is nested in it.
    fn all_schemas(v: &Value) -> Vec<&Value> {
        let mut out = Vec::new();
        let mut stack = vec![v];
        while let Some(v) = stack.pop() {
            match v {
                Value::Object(m) => {
                    for (k, child) in m {
                        if k == "schema" || k == "x-callback-parameters" {
                            collect_schema(child, &mut out);
                        } else {
                            stack.push(child);
                        }
                    }
                }
                Value::Array(a) => stack.extend(a),
                _ => {}
            }
        }
        out
    }

    fn request_schema<'a>(doc: &'a Value, path: &str, method: &str, media: &str) -> &'a Value {
        &doc["paths"][path][method]["requestBody"]["content"][media]["schema"]
    }

    #[test]
    fn has_the_required_top_level_objects() {
        let doc = openapi_document();
        assert_eq!(doc["openapi"], "3.1.0");
        assert_eq!(doc["info"]["title"], "obharness Open Banking simulator");
        assert_eq!(doc["info"]["version"], env!("CARGO_PKG_VERSION"));
        let description = doc["info"]["description"].as_str().expect("info.description");
        assert!(description.contains("HTTP 200") && description.contains("rsp_code"));
        assert_eq!(doc["servers"], json!([{"url": "/"}]));
        assert_eq!(doc["components"]["securitySchemes"]["bearer"]["type"], "http");
        assert_eq!(doc["components"]["securitySchemes"]["bearer"]["scheme"], "bearer");
        let tags: Vec<&str> = doc["tags"].as_array().expect("tags").iter().filter_map(|t| t["name"].as_str()).collect();
        assert_eq!(tags, ["oauth", "user", "account", "inquiry", "transfer", "return"]);
    }

    #[test]
    fn there_are_20_operations_covering_all_22_apis() {
        let doc = openapi_document();
        let ops = all_operations(&doc);
        assert_eq!(ops.len(), 20, "22 APIs, the three token grants merged into one");
        let mut ids: Vec<&str> = ops.iter().filter_map(|(_, _, op)| op["operationId"].as_str()).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), 20, "operationIds are unique");

        let token = &doc["paths"]["/oauth/2.0/token"]["post"];
        assert_eq!(token["operationId"], "oauth.token");
        let token_description = token["description"].as_str().expect("token description");
        for id in ApiId::ALL {
            let key = id.as_str();
            assert!(
                ids.contains(&key) || token_description.contains(&format!("`{key}`")),
                "{key} is neither an operationId nor named by the token operation"
            );
        }
        for key in ["oauth.token", "oauth.token_refresh", "oauth.token_client"] {
            assert!(token_description.contains(key), "{key} in {token_description}");
        }
    }

    #[test]
    fn operations_carry_id_name_tag_and_method_from_the_catalogue() {
        let doc = openapi_document();
        for api in Api::all().filter(|a| a.path != "/oauth/2.0/token") {
            let op = &doc["paths"][api.path][api.method.to_ascii_lowercase()];
            assert_eq!(op["operationId"], api.key);
            assert_eq!(op["summary"], api.name);
            let tag = api.key.split('.').next().expect("ids have a segment");
            assert_eq!(op["tags"], json!([tag]), "{}", api.key);
            assert_eq!(op["x-money-moving"], api.money_moving, "{}", api.key);
            assert_eq!(op["x-whitelist-only"], api.whitelist_only, "{}", api.key);
        }
    }

    #[test]
    fn the_token_endpoint_is_a_one_of_of_the_three_grants() {
        let doc = openapi_document();
        let schema = request_schema(&doc, "/oauth/2.0/token", "post", "application/x-www-form-urlencoded");
        let branches = schema["oneOf"].as_array().expect("oneOf");
        let grants: Vec<&Value> = branches.iter().map(|b| &b["properties"]["grant_type"]["enum"]).collect();
        assert_eq!(grants, [&json!(["authorization_code"]), &json!(["refresh_token"]), &json!(["client_credentials"])]);
        for branch in branches {
            let required = branch["required"].as_array().expect("required");
            assert!(required.contains(&json!("grant_type")));
        }
        let token = &doc["paths"]["/oauth/2.0/token"]["post"];
        assert!(token.get("security").is_none(), "the token endpoint takes client credentials, not a bearer");
        let answer = &token["responses"]["200"]["content"]["application/json"]["schema"];
        assert_eq!(answer["properties"]["token_type"]["enum"], json!(["Bearer"]));
    }

    #[test]
    fn parameters_go_where_the_catalogue_says() {
        let doc = openapi_document();
        for api in Api::all() {
            let op = &doc["paths"][api.path][api.method.to_ascii_lowercase()];
            match api.params_in {
                ParamsIn::Query => {
                    let params = op["parameters"].as_array().expect("query parameters");
                    assert_eq!(params.len(), api.request.len(), "{}", api.key);
                    for (param, field) in params.iter().zip(api.request) {
                        assert_eq!(param["name"], field.name);
                        assert_eq!(param["in"], "query");
                        assert_eq!(param["required"], field.required, "{}.{}", api.key, field.name);
                    }
                    assert!(op.get("requestBody").is_none(), "{}", api.key);
                }
                ParamsIn::Json => {
                    assert!(op["requestBody"]["content"]["application/json"].is_object())
                }
                ParamsIn::Form => {
                    assert!(op["requestBody"]["content"]["application/x-www-form-urlencoded"].is_object())
                }
            }
        }
    }

    #[test]
    fn every_schema_without_a_ref_has_a_type() {
        let doc = openapi_document();
        let schemas = all_schemas(&doc);
        assert!(schemas.len() > 400, "walked {} schemas", schemas.len());
        for schema in schemas {
            assert!(schema.get("type").is_some() || schema.get("$ref").is_some(), "no type: {schema}");
        }
    }

    #[test]
    fn no_field_is_lost_to_a_duplicate_name() {
        fn check(fields: &[Field], what: &str) {
            let schema = object_schema(fields);
            let props = schema["properties"].as_object().expect("properties");
            assert_eq!(props.len(), fields.len(), "duplicate field name in {what}");
            for f in fields {
                if let Format::List(items) = f.format {
                    check(items, &format!("{what}.{}", f.name));
                }
            }
        }
        for api in Api::all() {
            check(api.request, &format!("{} request", api.key));
            check(api.response, &format!("{} response", api.key));
        }
    }

    #[test]
    fn the_withdraw_request_requires_bank_tran_id_and_bounds_tran_amt() {
        let doc = openapi_document();
        let schema = request_schema(&doc, "/v2.0/transfer/withdraw/fin_num", "post", "application/json");
        let required = schema["required"].as_array().expect("required");
        assert!(required.contains(&json!("bank_tran_id")));
        assert_eq!(schema["properties"]["tran_amt"]["type"], "string");
        assert_eq!(schema["properties"]["tran_amt"]["pattern"], "^[0-9]{1,12}$");
        assert_eq!(schema["properties"]["tran_dtime"]["pattern"], "^[0-9]{14}$");
        assert_eq!(schema["properties"]["fintech_use_num"]["maxLength"], 24);
        let optional = &schema["properties"]["wd_print_content"];
        assert!(optional.is_object() && !required.contains(&json!("wd_print_content")));
    }

    #[test]
    fn withdraw_is_whitelist_only_money_moving_and_needs_the_transfer_scope() {
        let doc = openapi_document();
        let op = &doc["paths"]["/v2.0/transfer/withdraw/fin_num"]["post"];
        assert_eq!(op["operationId"], "transfer.withdraw");
        assert_eq!(op["x-whitelist-only"], true);
        assert_eq!(op["x-money-moving"], true);
        assert_eq!(op["x-scopes"], json!(["transfer"]));
        assert_eq!(op["security"], json!([{"bearer": []}]));
        assert_eq!(op["tags"], json!(["transfer"]));
    }

    #[test]
    fn scoped_apis_require_the_bearer_and_list_their_scopes() {
        let doc = openapi_document();
        for api in Api::all() {
            let op = &doc["paths"][api.path][api.method.to_ascii_lowercase()];
            if api.scopes.is_empty() {
                assert!(op.get("security").is_none() && op.get("x-scopes").is_none(), "{}", api.key);
            } else {
                assert_eq!(op["security"], json!([{"bearer": []}]), "{}", api.key);
                let scopes: Vec<&str> = api.scopes.iter().map(|s| s.as_str()).collect();
                assert_eq!(op["x-scopes"], json!(scopes), "{}", api.key);
            }
        }
    }

    #[test]
    fn v2_answers_list_every_rsp_code_and_explain_the_error_envelope() {
        let doc = openapi_document();
        let codes: Vec<&str> = RspCode::ALL.iter().map(|c| c.code()).collect();
        for api in Api::all().filter(|a| a.path.starts_with(ENVELOPE_PREFIX)) {
            let ok = &doc["paths"][api.path][api.method.to_ascii_lowercase()]["responses"]["200"];
            let schema = &ok["content"]["application/json"]["schema"];
            assert_eq!(schema["properties"]["rsp_code"]["enum"], json!(codes), "{}", api.key);
            assert_eq!(schema["properties"].as_object().map(Map::len), Some(api.response.len()), "{}", api.key);
            let description = ok["description"].as_str().expect("description");
            for f in ENVELOPE {
                assert!(description.contains(f.name), "{} description names {}", api.key, f.name);
            }
        }
    }

    #[test]
    fn authorize_endpoints_redirect_or_show_the_consent_page() {
        let doc = openapi_document();
        for path in ["/oauth/2.0/authorize", "/oauth/2.0/authorize_account"] {
            let responses = &doc["paths"][path]["get"]["responses"];
            assert!(responses["302"]["headers"]["Location"]["schema"].is_object(), "{path}");
            assert_eq!(responses["200"]["content"]["text/html"]["schema"]["type"], "string", "{path}");
            let callback = &responses["302"]["x-callback-parameters"]["properties"];
            assert!(callback["code"].is_object() && callback["state"].is_object(), "{path}");
        }
        let consent_page = &doc["paths"]["/oauth/2.0/authorize"]["get"]["responses"]["200"];
        let error = &consent_page["content"]["application/json"]["schema"];
        assert_eq!(error["required"], json!(OAUTH_ERROR_FIELDS));
        assert_eq!(error["properties"]["rsp_code"]["enum"].as_array().map(Vec::len), Some(RspCode::ALL.len()));
        let revoke = &doc["paths"]["/oauth/2.0/revoke"]["post"]["responses"]["200"];
        assert!(revoke["content"]["application/json"]["schema"]["properties"]["rsp_code"].is_object());
    }

    #[test]
    fn the_document_serialises_to_json_and_back() {
        let doc = openapi_document();
        let text = serde_json::to_string_pretty(&doc).expect("serialises");
        let back: Value = serde_json::from_str(&text).expect("parses");
        assert_eq!(back, doc);
        assert_eq!(openapi_document(), doc, "generation is deterministic");
    }
}
