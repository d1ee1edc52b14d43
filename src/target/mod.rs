//! Where requests go: the embedded simulator (default) or any URL, with its credentials
//! (read from environment variables the profile names, never from files in the repo),
//! declared capabilities, test data and code overrides.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::protocol::RspCode;
use crate::scenario::error::InputError;
use crate::scenario::input::load_yaml;
use crate::scenario::model::Capability;
use crate::sim::{Quirk, SimConfig};

pub mod admin;
pub mod call;
pub mod expect;
pub mod record;
pub mod request;
pub mod session;
pub mod step;

pub use crate::scenario::url::{UrlError, check_base_url, join_path};

/// A target profile as written in `scenarios/targets/NAME.yaml`.
#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TargetProfile {
    pub name: String,
    /// `embedded` (an in-process simulator per scenario) or `url`.
    #[serde(default)]
    pub kind: TargetKind,
    /// Base URL for `kind: url`.
    pub base_url: Option<String>,
    #[serde(default)]
    pub capabilities: Vec<Capability>,
    /// Environment variable holding an obharness simulator's admin token (`/_sim/`), which
    /// gives fixtures, clock control, fault injection and ledger inspection on a URL target.
    pub admin_token_env: Option<String>,
    #[serde(default)]
    pub credentials: Credentials,
    /// Test data of a target without an admin API.
    #[serde(default)]
    pub data: BTreeMap<String, String>,
    /// Codes this target answers instead of the project's choices, e.g. `{A0301: A0011}`.
    #[serde(default)]
    pub code_overrides: BTreeMap<String, String>,
    /// Money-moving calls are refused (scenario skipped) unless this is true; the embedded
    /// simulator always allows them.
    #[serde(default)]
    pub allow_transfers: bool,
    /// Compare responses with golden snapshots (default: embedded only, where the data are ours).
    pub golden: Option<bool>,
    /// A PEM file of certificates to trust besides the system's, for an HTTPS target with a
    /// private CA (what `obharness sim --tls --tls-ca-out FILE` writes); relative to this file.
    pub tls_ca_file: Option<std::path::PathBuf>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum TargetKind {
    #[default]
    Embedded,
    Url,
}

/// Names of environment variables holding secrets.
#[derive(Debug, Clone, Default, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Credentials {
    pub client_id_env: Option<String>,
    pub client_secret_env: Option<String>,
    /// A user access token (scopes login inquiry transfer) for targets without headless consent.
    pub user_token_env: Option<String>,
}

/// A target ready to open sessions on.
#[derive(Debug, Clone)]
pub struct Target {
    pub profile: TargetProfile,
    /// Defect modes for the embedded simulator.
    pub quirks: Vec<Quirk>,
    /// An admin token known at run time (a simulator this process started), before
    /// `admin_token_env` is consulted.
    pub admin_token: Option<String>,
    /// Certificates to trust besides the system's (`tls_ca_file`, or a simulator this
    /// process started with TLS).
    pub tls_roots: Vec<reqwest::Certificate>,
    /// Other processes load this target at the same time (the shards of a run across
    /// machines): a session never resets it under them.
    pub shared: bool,
    /// Run the embedded simulator on a runtime of its own with this many threads (a load
    /// run: see `sim::start_embedded_apart`); `None` runs it on the caller's runtime.
    pub embedded_threads: Option<usize>,
}

impl Target {
    /// The embedded simulator, optionally with defect modes.
    pub fn embedded(quirks: Vec<Quirk>) -> Target {
        Target {
            profile: TargetProfile {
                name: "embedded simulator".into(),
                kind: TargetKind::Embedded,
                base_url: None,
                capabilities: vec![
                    Capability::ClockControl,
                    Capability::FaultInjection,
                    Capability::Fixtures,
                    Capability::LedgerInspection,
                    Capability::SourceAddressBinding,
                ],
                admin_token_env: None,
                credentials: Credentials::default(),
                data: BTreeMap::new(),
                code_overrides: BTreeMap::new(),
                allow_transfers: true,
                golden: Some(true),
                tls_ca_file: None,
            },
            quirks,
            admin_token: None,
            tls_roots: Vec::new(),
            shared: false,
            embedded_threads: None,
        }
    }

    /// An obharness simulator at `base_url` whose admin token this process holds.
    pub fn simulator_at(base_url: &str, admin_token: &str) -> Target {
        let mut t = Target::embedded(Vec::new());
        t.profile.name = format!("obharness simulator at {base_url}");
        t.profile.kind = TargetKind::Url;
        t.profile.base_url = Some(base_url.to_string());
        t.profile.golden = Some(false);
        t.admin_token = Some(admin_token.to_string());
        t
    }

    /// Loads a profile; errors name the file, line and column.
    pub fn load(path: &Path, quirks: Vec<Quirk>) -> Result<Target, InputError> {
        let (text, profile): (String, TargetProfile) = load_yaml(path, "target profile")?;
        for (from, to) in &profile.code_overrides {
            for code in [from, to] {
                if RspCode::from_code(code).is_none() {
                    return Err(InputError::new(path, format!("code_overrides: '{code}' is not a known rsp_code"))
                        .find(&text, code, 1));
                }
            }
        }
        if profile.kind == TargetKind::Url && profile.base_url.is_none() {
            return Err(InputError::new(path, "kind: url needs base_url").find(&text, "kind:", 1));
        }
        if let Some(base) = &profile.base_url
            && let Err(e) = check_base_url(base)
        {
            return Err(InputError::new(path, e.to_string()).find(&text, "base_url:", 1));
        }
        if profile.kind == TargetKind::Embedded {
            let mut t = Target::embedded(quirks);
            t.profile.name = profile.name;
            t.profile.code_overrides = profile.code_overrides;
            return Ok(t);
        }
        if !quirks.is_empty() {
            return Err(InputError::new(path, "--sim-quirk applies to the embedded simulator only"));
        }
        let tls_roots = match &profile.tls_ca_file {
            None => Vec::new(),
            Some(file) => {
                let ca_path = path.parent().unwrap_or(Path::new(".")).join(file);
                let at = |why: String| InputError::new(path, why).find(&text, "tls_ca_file", 1);
                let pem = std::fs::read(&ca_path)
                    .map_err(|e| at(format!("tls_ca_file: cannot read {}: {e}", ca_path.display())))?;
                let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| {
                    at(format!("tls_ca_file: {} is not a PEM certificate bundle: {e}", ca_path.display()))
                })?;
                if certs.is_empty() {
                    return Err(at(format!("tls_ca_file: {} holds no certificate", ca_path.display())));
                }
                certs
            }
        };
        Ok(Target { profile, quirks, admin_token: None, tls_roots, shared: false, embedded_threads: None })
    }

    /// The HTTP client settings of requests to this target.
    pub fn http_client(&self) -> reqwest::ClientBuilder {
        http_client(&self.tls_roots)
    }

    pub fn capabilities(&self) -> BTreeSet<Capability> {
        self.profile.capabilities.iter().copied().collect()
    }

    pub fn is_embedded(&self) -> bool {
        self.profile.kind == TargetKind::Embedded
    }

    /// Whether requests to this target stay on this machine: the embedded simulator, or a URL
    /// whose host is a loopback address or `localhost` (its server then shares the cores with
    /// the load generator).
    pub fn is_local(&self) -> bool {
        if self.is_embedded() {
            return true;
        }
        let Some(url) = self.profile.base_url.as_deref().and_then(|u| reqwest::Url::parse(u).ok()) else {
            return false;
        };
        let host = url.host_str().unwrap_or("").trim_start_matches('[').trim_end_matches(']');
        host.eq_ignore_ascii_case("localhost")
            || host.to_ascii_lowercase().ends_with(".localhost")
            || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
    }

    pub fn golden(&self) -> bool {
        self.profile.golden.unwrap_or(self.is_embedded())
    }

    /// The code this target answers where the scenario expects `code`.
    pub fn expected_code(&self, code: &str) -> String {
        self.profile.code_overrides.get(code).cloned().unwrap_or_else(|| code.to_string())
    }

    /// The simulator configuration of an embedded session.
    pub fn sim_config(&self) -> SimConfig {
        let mut config = SimConfig::embedded();
        config.quirks = self.quirks.clone();
        if let Some(to) = self.profile.code_overrides.get(RspCode::AccessDenied.code())
            && let Some(code) = RspCode::from_code(to)
        {
            config.access_denied_code = code;
        }
        config
    }

    /// What reports say about this target.
    pub fn info(&self) -> crate::report::TargetInfo {
        crate::report::TargetInfo {
            name: self.profile.name.clone(),
            base_url: self.base_url_label(),
            quirks: self.quirks.iter().map(|q| q.name().to_string()).collect(),
            capabilities: self.capabilities().iter().map(|c| c.name().to_string()).collect(),
        }
    }

    pub fn base_url_label(&self) -> String {
        self.profile.base_url.clone().unwrap_or_else(|| "in-process (127.0.0.1:ephemeral)".into())
    }
}

/// The HTTP client settings every request to a target uses: no redirects followed
/// (사용자인증 answers 302), answers read as sent, a 30 s bound, and the target's own CA
/// (`tls_roots`) trusted besides the system's.
pub fn http_client(tls_roots: &[reqwest::Certificate]) -> reqwest::ClientBuilder {
    // goose turns on reqwest's gzip feature for the whole build; answers are checked as sent.
    let builder = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_gzip()
        .timeout(std::time::Duration::from_secs(30));
    if tls_roots.is_empty() { builder } else { builder.tls_certs_merge(tls_roots.to_vec()) }
}

/// The test data a session knows about the target: who the institution and users are.
#[derive(Debug, Clone, Default)]
pub struct TargetData {
    pub values: BTreeMap<String, String>,
    pub client_id: String,
    /// Kept out of reports and logs.
    pub client_secret: String,
    pub redirect_uri: String,
    pub wd_pass_phrase: String,
    pub birth_date: String,
}

impl TargetData {
    pub fn get(&self, name: &str) -> &str {
        self.values.get(name).map(String::as_str).unwrap_or("")
    }

    /// From a simulator's `GET /_sim/fixture`.
    pub fn from_fixture(f: &serde_json::Value) -> TargetData {
        let s = |v: &serde_json::Value| v.as_str().unwrap_or("").to_string();
        let inst = &f["institution"];
        let user = &f["users"][0];
        let other = &f["users"][1];
        let mut values = BTreeMap::new();
        for (k, v) in [
            ("client_use_code", &inst["client_use_code"]),
            ("institution_name", &inst["name"]),
            ("cntr_account_num", &inst["cntr_account_num"]),
            ("cntr_bank_code", &inst["cntr_bank_code"]),
            ("user_seq_no", &user["user_seq_no"]),
            ("user_name", &user["user_name"]),
            ("fintech_use_num", &user["accounts"][0]["fintech_use_num"]),
            ("fintech_use_num_2", &user["accounts"][1]["fintech_use_num"]),
            ("account_num", &user["accounts"][0]["account_num"]),
            ("bank_code_std", &user["accounts"][0]["bank_code_std"]),
            ("other_user_seq_no", &other["user_seq_no"]),
            ("other_fintech_use_num", &other["accounts"][0]["fintech_use_num"]),
        ] {
            values.insert(k.to_string(), s(v));
        }
        TargetData {
            values,
            client_id: s(&inst["client_id"]),
            client_secret: s(&inst["client_secret"]),
            redirect_uri: s(&inst["redirect_uri"]),
            wd_pass_phrase: s(&inst["wd_pass_phrase"]),
            birth_date: s(&user["birth_date"]),
        }
    }

    /// From a profile's `data:` and the environment variables it names.
    pub fn from_profile(p: &TargetProfile) -> Result<TargetData, String> {
        let env = |name: &Option<String>, what: &str| -> Result<String, String> {
            match name {
                None => Ok(String::new()),
                Some(var) => std::env::var(var).map_err(|_| format!("{what}: environment variable {var} is not set")),
            }
        };
        Ok(TargetData {
            values: p.data.clone(),
            client_id: env(&p.credentials.client_id_env, "credentials.client_id_env")?,
            client_secret: env(&p.credentials.client_secret_env, "credentials.client_secret_env")?,
            redirect_uri: p.data.get("redirect_uri").cloned().unwrap_or_default(),
            wd_pass_phrase: p.data.get("wd_pass_phrase").cloned().unwrap_or_default(),
            birth_date: p.data.get("birth_date").cloned().unwrap_or_default(),
        })
    }
}
