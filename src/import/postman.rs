//! `obharness import postman`: a Postman collection (schema v2.1, as the KFTC test bed hands
//! out) becomes one scenario per request folder.
//!
//! - A request whose method and path are in the catalogue becomes a `call:` with only the
//!   fields it sets (`with:`); the runner builds the rest. `bank_tran_id` and `tran_dtime` are
//!   left to the runner (fresh per run), and so are the institution's credentials
//!   (`client_id`, `client_secret`, `wd_pass_phrase`), which come from the target profile.
//! - Any other request becomes a raw `request:` step.
//! - `Authorization: Bearer {{token}}` becomes `as:` (the API's own credential for calls;
//!   `institution` or `user` for raw requests, by the variable's name). A literal token is
//!   never written.
//! - `{{var}}` becomes `${var}`; variables that are not built-ins are listed in `vars:` with
//!   their value from the collection or environment. Secrets are never written: a field that
//!   needs a secret variable is left to the runner, or the item is skipped.
//! - Postman test scripts are kept as comments, marked as not converted.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{ImportError, ImportReport, Skipped};
use crate::protocol::{Api, ApiId, ParamsIn};
use crate::scenario::load::BUILTIN_VARS;

/// Largest collection or environment file read.
const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

// ------------------------------------------------------------------ Postman's format (v2.1)

#[derive(Debug, Deserialize)]
struct Collection {
    info: Info,
    #[serde(default)]
    item: Vec<Item>,
    #[serde(default)]
    variable: Vec<Variable>,
}

#[derive(Debug, Deserialize)]
struct Info {
    name: String,
}

#[derive(Debug, Deserialize)]
struct Item {
    #[serde(default)]
    name: String,
    /// Present on folders.
    item: Option<Vec<Item>>,
    /// Present on requests.
    request: Option<RequestOrUrl>,
    #[serde(default)]
    event: Vec<Event>,
}

/// A request, or (Postman's short form) just its URL.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum RequestOrUrl {
    Url(String),
    Request(Box<Request>),
}

#[derive(Debug, Deserialize)]
struct Request {
    method: Option<String>,
    #[serde(default)]
    header: HeaderList,
    url: Option<UrlOrText>,
    body: Option<Body>,
    auth: Option<Auth>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(untagged)]
enum HeaderList {
    List(Vec<KeyValue>),
    Text(String),
    #[default]
    None,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum UrlOrText {
    Text(String),
    Url(Url),
}

#[derive(Debug, Deserialize)]
struct Url {
    raw: Option<String>,
    query: Option<Vec<KeyValue>>,
}

#[derive(Debug, Deserialize)]
struct KeyValue {
    key: String,
    #[serde(default)]
    value: Option<Value>,
    #[serde(default)]
    disabled: bool,
    /// `file` entries of form-data.
    #[serde(rename = "type")]
    kind: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Body {
    mode: Option<String>,
    raw: Option<String>,
    #[serde(default)]
    urlencoded: Vec<KeyValue>,
    #[serde(default)]
    formdata: Vec<KeyValue>,
}

#[derive(Debug, Deserialize)]
struct Auth {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    bearer: Vec<KeyValue>,
}

#[derive(Debug, Deserialize)]
struct Event {
    listen: String,
    script: Option<Script>,
}

#[derive(Debug, Deserialize)]
struct Script {
    #[serde(default)]
    exec: ScriptLines,
}

#[derive(Debug, Default, Deserialize)]
#[serde(untagged)]
enum ScriptLines {
    Lines(Vec<String>),
    Text(String),
    #[default]
    None,
}

#[derive(Debug, Deserialize)]
struct Variable {
    key: String,
    value: Option<Value>,
    #[serde(default)]
    disabled: bool,
}

#[derive(Debug, Deserialize)]
struct Environment {
    #[serde(default)]
    values: Vec<EnvValue>,
}

#[derive(Debug, Deserialize)]
struct EnvValue {
    key: String,
    value: Option<Value>,
    #[serde(default = "enabled")]
    enabled: bool,
}

fn enabled() -> bool {
    true
}

impl HeaderList {
    /// The enabled headers, from the list form or the raw `Key: value` lines.
    fn entries(&self) -> Vec<(String, String)> {
        match self {
            HeaderList::List(list) => list.iter().filter(|h| !h.disabled).map(|h| (h.key.clone(), h.text())).collect(),
            HeaderList::Text(text) => text
                .lines()
                .filter_map(|l| l.split_once(':'))
                .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
                .collect(),
            HeaderList::None => Vec::new(),
        }
    }
}

impl KeyValue {
    fn text(&self) -> String {
        value_text(self.value.as_ref())
    }
}

fn value_text(v: Option<&Value>) -> String {
    match v {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

// ------------------------------------------------------------------ what is written

/// One step as written.
#[derive(Debug, Serialize)]
struct StepOut {
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    call: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    request: Option<RawOut>,
    #[serde(rename = "as", skip_serializing_if = "Option::is_none")]
    credential: Option<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    headers: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Map::is_empty")]
    with: Map<String, Value>,
    /// Imported steps check only that the target answered (the Postman tests are comments).
    expect: ExpectOut,
    /// Imported answers are the target's data, not the simulator's: no golden snapshot.
    golden: bool,
}

#[derive(Debug, Serialize)]
struct RawOut {
    method: String,
    path: String,
}

#[derive(Debug, Serialize)]
struct ExpectOut {
    status: u16,
}

struct Converted {
    step: StepOut,
    /// Comment lines written above the step.
    notes: Vec<String>,
    /// Non-built-in variables the step uses.
    vars: BTreeSet<String>,
}

/// A folder's requests, as one scenario.
struct Folder<'a> {
    /// Folder names from the collection's root.
    trail: Vec<String>,
    requests: Vec<&'a Item>,
}

// ------------------------------------------------------------------ reading

fn read(path: &Path) -> Result<String, ImportError> {
    let err = |source| ImportError::Read { path: path.to_path_buf(), source };
    let meta = std::fs::metadata(path).map_err(err)?;
    if !meta.is_file() {
        return Err(ImportError::Invalid { path: path.to_path_buf(), message: "not a regular file".into() });
    }
    if meta.len() > MAX_FILE_BYTES {
        return Err(ImportError::Invalid {
            path: path.to_path_buf(),
            message: format!("{} bytes, more than the {MAX_FILE_BYTES} an import reads", meta.len()),
        });
    }
    let bytes = std::fs::read(path).map_err(err)?;
    String::from_utf8(bytes)
        .map_err(|_| ImportError::Invalid { path: path.to_path_buf(), message: "not UTF-8 text".into() })
}

fn parse<T: serde::de::DeserializeOwned>(path: &Path, text: &str) -> Result<T, ImportError> {
    let mut de = serde_json::Deserializer::from_str(text);
    serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let inner = e.inner();
        let at = e.path().to_string();
        let message = if at == "." { inner.to_string() } else { format!("{at}: {inner}") };
        ImportError::Parse { path: path.to_path_buf(), line: inner.line(), column: inner.column(), message }
    })
}

/// Imports `collection` (with `environment`'s values) into scenario files under `out`.
pub fn import(collection: &Path, environment: Option<&Path>, out: &Path) -> Result<ImportReport, ImportError> {
    let c: Collection = parse(collection, &read(collection)?)?;
    let mut values: BTreeMap<String, String> =
        c.variable.iter().filter(|v| !v.disabled).map(|v| (v.key.clone(), value_text(v.value.as_ref()))).collect();
    if let Some(env) = environment {
        let e: Environment = parse(env, &read(env)?)?;
        values.extend(e.values.iter().filter(|v| v.enabled).map(|v| (v.key.clone(), value_text(v.value.as_ref()))));
    }
    let mut folders = Vec::new();
    collect(&c.item, Vec::new(), &mut folders);
    std::fs::create_dir_all(out).map_err(|source| ImportError::Write { path: out.to_path_buf(), source })?;
    let mut report = ImportReport::default();
    let mut ids = BTreeSet::new();
    for folder in &folders {
        let mut steps = Vec::new();
        for item in &folder.requests {
            let place = folder.trail.iter().chain([&item.name]).cloned().collect::<Vec<_>>().join(" / ");
            match convert(item) {
                Ok(step) => steps.push(step),
                Err(why) => report.skipped.push(Skipped { item: place, why }),
            }
        }
        if steps.is_empty() {
            continue;
        }
        let id = unique_id(&c.info.name, &folder.trail, &mut ids);
        let file = out.join(format!("{}.yaml", id.to_lowercase()));
        let text = scenario_text(&id, &c.info.name, &folder.trail, &steps, &values);
        std::fs::write(&file, text).map_err(|source| ImportError::Write { path: file.clone(), source })?;
        report.written.push(file);
    }
    Ok(report)
}

/// Folders that hold requests, depth first; requests at the root form the collection's own.
fn collect<'a>(items: &'a [Item], trail: Vec<String>, out: &mut Vec<Folder<'a>>) {
    let requests: Vec<&Item> = items.iter().filter(|i| i.item.is_none()).collect();
    if !requests.is_empty() {
        out.push(Folder { trail: trail.clone(), requests });
    }
    for sub in items.iter().filter_map(|i| Some((i, i.item.as_ref()?))) {
        let mut t = trail.clone();
        t.push(sub.0.name.clone());
        collect(sub.1, t, out);
    }
}

// ------------------------------------------------------------------ one request

/// A `{{name}}` reference, or a Postman dynamic variable (`{{$guid}}`), which has no
/// equivalent.
fn translate(text: &str, vars: &mut BTreeSet<String>) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let Some(len) = rest[start + 2..].find("}}") else {
            out.push_str(&rest[start..]);
            return Ok(out);
        };
        let name = rest[start + 2..start + 2 + len].trim();
        if name.starts_with('$') {
            return Err(format!("the Postman dynamic variable {{{{{name}}}}} has no equivalent"));
        }
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(format!("the variable name {{{{{name}}}}} is not a scenario variable name"));
        }
        if !BUILTIN_VARS.contains(&name) {
            vars.insert(name.to_string());
        }
        out.push_str("${");
        out.push_str(name);
        out.push('}');
        rest = &rest[start + 2 + len + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

fn translate_value(v: &Value, vars: &mut BTreeSet<String>) -> Result<Value, String> {
    Ok(match v {
        Value::String(s) => Value::String(translate(s, vars)?),
        Value::Array(items) => Value::Array(items.iter().map(|i| translate_value(i, vars)).collect::<Result<_, _>>()?),
        Value::Object(m) => Value::Object(
            m.iter().map(|(k, x)| Ok((k.clone(), translate_value(x, vars)?))).collect::<Result<_, String>>()?,
        ),
        // Scenario values are text; numbers are written as their decimal text.
        Value::Number(n) => Value::String(n.to_string()),
        other => other.clone(),
    })
}

/// Variable names that hold secrets, which are never written into a scenario.
fn is_secret_name(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    ["secret", "token", "password", "passwd", "pass_phrase", "passphrase", "api_key", "apikey"]
        .iter()
        .any(|s| n.contains(s))
}

/// Fields the runner fills from the target (credentials) or fresh (ids, times).
const LEFT_TO_THE_RUNNER: &[&str] =
    &["bank_tran_id", "tran_dtime", "client_id", "client_secret", "wd_pass_phrase", "redirect_uri"];

/// The method, the path (after the collection's base URL) and the query of a raw URL.
fn split_url(raw: &str) -> Result<(String, Vec<(String, String)>), String> {
    let raw = raw.trim();
    let after_base = if let Some(rest) = raw.strip_prefix("{{") {
        let end = rest.find("}}").ok_or("an unclosed {{ in the URL")?;
        &rest[end + 2..]
    } else if let Some(pos) = raw.find("://") {
        let rest = &raw[pos + 3..];
        rest.find('/').map(|i| &rest[i..]).unwrap_or("")
    } else {
        raw
    };
    let (path, query) = after_base.split_once('?').unwrap_or((after_base, ""));
    let path = if path.starts_with('/') { path.to_string() } else { format!("/{path}") };
    let query = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (k.to_string(), v.to_string())
        })
        .collect();
    Ok((path, query))
}

/// The catalogue API at `method path`; the token endpoint's three grants by `grant_type`.
fn catalogue_api(method: &str, path: &str, fields: &Map<String, Value>) -> Option<&'static Api> {
    let path = path.trim_end_matches('/');
    if path == ApiId::OauthToken.api().path {
        let grant = fields.get("grant_type").and_then(Value::as_str).unwrap_or("");
        return match grant {
            "authorization_code" => Some(ApiId::OauthToken.api()),
            "refresh_token" => Some(ApiId::OauthTokenRefresh.api()),
            "client_credentials" => Some(ApiId::OauthTokenClient.api()),
            _ => None,
        };
    }
    Api::all().find(|a| a.method.eq_ignore_ascii_case(method) && a.path == path)
}

/// A raw JSON body whose `{{var}}` references may stand unquoted (`"tran_amt": {{amount}}`).
fn json_body(raw: &str) -> Option<Value> {
    if raw.trim().is_empty() {
        return Some(Value::Object(Map::new()));
    }
    if let Ok(v) = serde_json::from_str(raw) {
        return Some(v);
    }
    // Quote references outside strings, then parse again.
    let mut quoted = String::with_capacity(raw.len() + 16);
    let mut in_string = false;
    let mut escaped = false;
    let mut chars = raw.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if in_string {
            quoted.push(c);
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
            continue;
        }
        if c == '"' {
            in_string = true;
            quoted.push(c);
        } else if c == '{' && raw[i..].starts_with("{{") {
            let end = raw[i..].find("}}")? + i + 2;
            quoted.push('"');
            quoted.push_str(&raw[i..end]);
            quoted.push('"');
            while chars.peek().is_some_and(|(j, _)| *j < end) {
                chars.next();
            }
        } else {
            quoted.push(c);
        }
    }
    serde_json::from_str(&quoted).ok()
}

/// The bearer token reference of a request: a `{{variable}}` name, or a literal.
enum Bearer {
    Variable(String),
    Literal,
}

fn bearer(req: &Request) -> Option<Bearer> {
    let from_header = req
        .header
        .entries()
        .into_iter()
        .filter(|(k, _)| k.eq_ignore_ascii_case("authorization"))
        .find_map(|(_, v)| v.strip_prefix("Bearer ").map(str::to_string));
    let from_auth = req
        .auth
        .as_ref()
        .filter(|a| a.kind == "bearer")
        .and_then(|a| a.bearer.iter().find(|b| b.key == "token").map(KeyValue::text));
    let token = from_header.or(from_auth)?;
    let token = token.trim();
    match token.strip_prefix("{{").and_then(|t| t.strip_suffix("}}")) {
        Some(name) => Some(Bearer::Variable(name.trim().to_string())),
        None => Some(Bearer::Literal),
    }
}

/// Whether a token variable's name says it is the institution's (`oob`) token.
fn institution_token_name(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    ["oob", "client", "inst", "org", "center", "sa_token"].iter().any(|s| n.contains(s))
}

fn script_lines(item: &Item) -> Vec<String> {
    item.event
        .iter()
        .filter(|e| e.listen == "test")
        .filter_map(|e| e.script.as_ref())
        .flat_map(|s| match &s.exec {
            ScriptLines::Lines(lines) => lines.clone(),
            ScriptLines::Text(t) => t.lines().map(str::to_string).collect(),
            ScriptLines::None => Vec::new(),
        })
        .filter(|l| !l.trim().is_empty())
        .collect()
}

fn convert(item: &Item) -> Result<Converted, String> {
    let short_form;
    let req = match item.request.as_ref() {
        None => return Err("no request".into()),
        Some(RequestOrUrl::Url(url)) => {
            short_form = Request {
                method: None,
                header: HeaderList::None,
                url: Some(UrlOrText::Text(url.clone())),
                body: None,
                auth: None,
            };
            &short_form
        }
        Some(RequestOrUrl::Request(r)) => r.as_ref(),
    };
    let method = req.method.clone().unwrap_or_else(|| "GET".into()).to_ascii_uppercase();
    let (raw_url, query_list) = match &req.url {
        None => return Err("no URL".into()),
        Some(UrlOrText::Text(t)) => (t.clone(), None),
        Some(UrlOrText::Url(u)) => (u.raw.clone().ok_or("the URL has no raw form")?, u.query.as_ref()),
    };
    let (path, raw_query) = split_url(&raw_url)?;
    let query: Vec<(String, String)> = match query_list {
        Some(list) => list.iter().filter(|q| !q.disabled).map(|q| (q.key.clone(), q.text())).collect(),
        None => raw_query,
    };

    // The request's fields: the query of a GET, the body of anything else.
    let mut notes = Vec::new();
    let mut fields = Map::new();
    for (k, v) in &query {
        fields.insert(k.clone(), Value::String(v.clone()));
    }
    if let Some(body) = &req.body {
        match body.mode.as_deref() {
            Some("raw") => {
                let raw = body.raw.clone().unwrap_or_default();
                match json_body(&raw) {
                    Some(Value::Object(m)) => fields.extend(m),
                    Some(_) => return Err("the raw body is JSON but not an object".into()),
                    None => return Err("the raw body is not JSON".into()),
                }
            }
            Some(mode @ ("urlencoded" | "formdata")) => {
                let list = if mode == "urlencoded" { &body.urlencoded } else { &body.formdata };
                for kv in list.iter().filter(|kv| !kv.disabled) {
                    if kv.kind.as_deref() == Some("file") {
                        return Err(format!("the form field '{}' is a file upload", kv.key));
                    }
                    fields.insert(kv.key.clone(), Value::String(kv.text()));
                }
            }
            Some("none") | None => {}
            Some(other) => return Err(format!("a {other} body has no scenario equivalent")),
        }
    }

    let api = catalogue_api(&method, &path, &fields);
    let known = |a: &Api, k: &str| a.request.iter().any(|f| f.name == k);
    let api = api.filter(|a| {
        let unknown: Vec<&String> = fields.keys().filter(|k| !known(a, k)).collect();
        if !unknown.is_empty() {
            let names: Vec<&str> = unknown.iter().map(|s| s.as_str()).collect();
            notes.push(format!(
                "fields not in the catalogue of {} ({}): sent as a raw request",
                a.key,
                names.join(", ")
            ));
        }
        unknown.is_empty()
    });

    let mut vars = BTreeSet::new();
    let mut with = Map::new();
    let mut left = Vec::new();
    for (k, v) in &fields {
        if api.is_some() && LEFT_TO_THE_RUNNER.contains(&k.as_str()) {
            left.push(k.clone());
            continue;
        }
        let mut used = BTreeSet::new();
        let value = translate_value(v, &mut used)?;
        if let Some(secret) = used.iter().find(|n| is_secret_name(n)) {
            match api {
                Some(_) => {
                    left.push(k.clone());
                    continue;
                }
                None => return Err(format!("field '{k}' needs the secret variable {{{{{secret}}}}}, never written")),
            }
        }
        // A `req_list` item's ids and times are fresh per run too.
        let value = match (api, value) {
            (Some(_), Value::Array(items)) => Value::Array(
                items
                    .into_iter()
                    .map(|mut i| {
                        if let Some(m) = i.as_object_mut() {
                            for f in ["bank_tran_id", "tran_dtime"] {
                                if m.remove(f).is_some() && !left.contains(&format!("{k}[].{f}")) {
                                    left.push(format!("{k}[].{f}"));
                                }
                            }
                        }
                        i
                    })
                    .collect(),
            ),
            (_, v) => v,
        };
        vars.extend(used);
        with.insert(k.clone(), value);
    }
    if !left.is_empty() {
        notes.push(format!("left to the runner (fresh per run, or the target's credentials): {}", left.join(", ")));
    }

    let mut headers = BTreeMap::new();
    for (key, raw) in req.header.entries() {
        let skip = ["authorization", "content-type", "accept", "user-agent", "content-length"];
        if skip.contains(&key.to_ascii_lowercase().as_str()) {
            continue;
        }
        let mut used = BTreeSet::new();
        let value = translate(&raw, &mut used)?;
        if used.iter().any(|n| is_secret_name(n)) {
            return Err(format!("header '{key}' needs a secret variable, never written"));
        }
        vars.extend(used);
        headers.insert(key, value);
    }

    let credential = match (api, bearer(req)) {
        // A catalogue call uses the API's own credential (user or institution token).
        (Some(_), Some(Bearer::Literal)) => {
            notes.push("a literal bearer token was not written: the API's own credential is used".into());
            None
        }
        (Some(_), _) => None,
        (None, Some(Bearer::Variable(name))) => {
            Some(if institution_token_name(&name) { "institution" } else { "user" }.to_string())
        }
        (None, Some(Bearer::Literal)) => {
            notes.push("a literal bearer token was not written: the user's token is used".into());
            Some("user".into())
        }
        (None, None) => Some("none".into()),
    };

    let (call, request) = match api {
        Some(a) => (Some(a.key), None),
        None => {
            let path = translate(&path, &mut vars)?;
            // A raw GET sends `with:` as its query; other methods as the JSON body. A form
            // body has no raw equivalent.
            let form = req.body.as_ref().and_then(|b| b.mode.as_deref()).is_some_and(|m| m != "raw" && m != "none");
            if form && method != "GET" {
                return Err("a form body to an API outside the catalogue has no scenario equivalent".into());
            }
            (None, Some(RawOut { method: method.clone(), path }))
        }
    };
    if let Some(a) = api
        && a.params_in == ParamsIn::Query
        && req.body.as_ref().is_some_and(|b| b.raw.as_ref().is_some_and(|r| !r.trim().is_empty()))
    {
        notes.push(format!("{} takes query parameters: the body's fields are sent as the query", a.key));
    }
    for line in script_lines(item) {
        notes.push(format!("postman test (not converted): {line}"));
    }
    let name = if item.name.trim().is_empty() { format!("{method} {path}") } else { item.name.trim().to_string() };
    Ok(Converted {
        step: StepOut {
            name,
            call,
            request,
            credential,
            headers,
            with,
            expect: ExpectOut { status: 200 },
            golden: false,
        },
        notes,
        vars,
    })
}

// ------------------------------------------------------------------ writing

/// `PM-<COLLECTION>-<FOLDER…>` in capitals, letters and digits; unique within the import.
fn unique_id(collection: &str, trail: &[String], taken: &mut BTreeSet<String>) -> String {
    let slug = |s: &str| {
        let mut out = String::new();
        for c in s.chars() {
            if c.is_ascii_alphanumeric() {
                out.push(c.to_ascii_uppercase());
            } else if !out.ends_with('-') && !out.is_empty() {
                out.push('-');
            }
        }
        out.trim_end_matches('-').to_string()
    };
    let mut parts: Vec<String> =
        std::iter::once(collection).chain(trail.iter().map(String::as_str)).map(slug).collect();
    parts.retain(|p| !p.is_empty());
    let base = if parts.is_empty() { "PM-IMPORTED".to_string() } else { format!("PM-{}", parts.join("-")) };
    let mut id = base.clone();
    let mut n = 1;
    while !taken.insert(id.clone()) {
        n += 1;
        id = format!("{base}-{n}");
    }
    id
}

/// A YAML scalar, quoted as YAML needs.
fn scalar(s: &str) -> String {
    serde_yaml::to_string(s).map(|t| t.trim_end().to_string()).unwrap_or_else(|_| format!("{s:?}"))
}

fn scenario_text(
    id: &str,
    collection: &str,
    trail: &[String],
    steps: &[Converted],
    values: &BTreeMap<String, String>,
) -> String {
    let folder = if trail.is_empty() { "(the collection's root)".to_string() } else { trail.join(" / ") };
    let mut out = String::new();
    out.push_str(&format!(
        "# Imported by `obharness import postman` from the collection \"{collection}\", folder {folder}.\n\
         # Imported steps check only that the target answered (HTTP 200): add the expectations\n\
         # that matter (rsp_code, json paths) and remove `golden: false` to snapshot answers.\n"
    ));
    out.push_str(&format!("id: {id}\n"));
    out.push_str(&format!("title: {}\n", scalar(&format!("{collection}: {folder}"))));
    out.push_str(&format!("spec: {}\n", scalar(&format!("imported from the Postman collection \"{collection}\""))));
    out.push_str("tags: [imported, postman]\n");
    let vars: BTreeSet<&String> = steps.iter().flat_map(|s| s.vars.iter()).collect();
    if !vars.is_empty() {
        out.push_str("vars:\n");
        for name in vars {
            match values.get(name.as_str()) {
                Some(v) => out.push_str(&format!("  {name}: {}\n", scalar(v))),
                None => out.push_str(&format!("  {name}: \"\"   # no value in the collection or environment\n")),
            }
        }
    }
    out.push_str("steps:\n");
    for s in steps {
        for note in &s.notes {
            out.push_str(&format!("  # {note}\n"));
        }
        let yaml = serde_yaml::to_string(&s.step).unwrap_or_default();
        for (i, line) in yaml.lines().enumerate() {
            let prefix = if i == 0 { "  - " } else { "    " };
            out.push_str(prefix);
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_become_templates_and_dynamic_variables_are_refused() {
        let mut vars = BTreeSet::new();
        assert_eq!(translate("{{base}}/x/{{fintech_use_num}}", &mut vars).unwrap(), "${base}/x/${fintech_use_num}");
        assert_eq!(vars.into_iter().collect::<Vec<_>>(), ["base"], "built-ins are not listed");
        assert!(translate("{{$guid}}", &mut BTreeSet::new()).unwrap_err().contains("dynamic"));
    }

    #[test]
    fn urls_lose_their_base_and_keep_their_query() {
        assert_eq!(
            split_url("{{base_url}}/v2.0/user/me?user_seq_no={{user_seq_no}}").unwrap(),
            ("/v2.0/user/me".to_string(), vec![("user_seq_no".to_string(), "{{user_seq_no}}".to_string())])
        );
        assert_eq!(split_url("https://testapi.openbanking.or.kr/oauth/2.0/token").unwrap().0, "/oauth/2.0/token");
    }

    #[test]
    fn unquoted_references_in_a_json_body_are_read() {
        let v = json_body(r#"{"tran_amt": {{amount}}, "note": "a {{b}} c", "n": 1}"#).unwrap();
        assert_eq!(v["tran_amt"], "{{amount}}");
        assert_eq!(v["note"], "a {{b}} c");
        assert!(json_body("{not json").is_none());
    }
}
