//! A scenario's connection to its target: HTTP clients (per source address), the target's
//! test data, credentials obtained on demand, variables, fresh bank_tran_ids, and the
//! simulator admin API where the target has one.

use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;
use std::sync::atomic::{AtomicU32, Ordering};

use serde_json::{Value, json};
use tokio::sync::Mutex;

use crate::evidence::transcript::SendRecorded;
use crate::protocol::time::{kst, tran_dtime};
use crate::sim::SimHandle;
use crate::target::{Target, TargetData, TargetKind};

pub struct Session {
    pub base_url: String,
    pub data: TargetData,
    /// Keeps an embedded simulator alive for the scenario.
    sim: Option<SimHandle>,
    admin: Option<(String, String)>,
    http: reqwest::Client,
    tls_roots: Vec<reqwest::Certificate>,
    bound: Mutex<HashMap<IpAddr, reqwest::Client>>,
    tokens: Mutex<HashMap<String, String>>,
    user_token_env: Option<String>,
    id_prefix: String,
    id_counter: AtomicU32,
    pub vars: BTreeMap<String, String>,
}

impl Session {
    /// Opens a session: an embedded simulator of its own, or the URL target (reset first
    /// when it is an obharness simulator with an admin token).
    pub async fn open(target: &Target) -> Result<Session, String> {
        let http = target.http_client().build().map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        let (base_url, sim, admin) = match target.profile.kind {
            TargetKind::Embedded => {
                let handle = crate::sim::start_embedded(target.sim_config())
                    .await
                    .map_err(|e| format!("cannot start the embedded simulator: {e}"))?;
                let base = handle.base_url();
                let admin = (base.clone(), handle.admin_token().to_string());
                (base, Some(handle), Some(admin))
            }
            TargetKind::Url => {
                let base = target.profile.base_url.clone().unwrap_or_default().trim_end_matches('/').to_string();
                let admin = match &target.profile.admin_token_env {
                    _ if target.admin_token.is_some() => target.admin_token.clone().map(|t| (base.clone(), t)),
                    Some(var) => Some((
                        base.clone(),
                        std::env::var(var)
                            .map_err(|_| format!("admin_token_env: environment variable {var} is not set"))?,
                    )),
                    None => None,
                };
                (base, None, admin)
            }
        };
        let mut session = Session {
            base_url,
            data: TargetData::default(),
            sim,
            admin,
            http,
            tls_roots: target.tls_roots.clone(),
            bound: Mutex::new(HashMap::new()),
            tokens: Mutex::new(HashMap::new()),
            user_token_env: target.profile.credentials.user_token_env.clone(),
            id_prefix: random_prefix(),
            id_counter: AtomicU32::new(0),
            vars: BTreeMap::new(),
        };
        session.data = if session.admin.is_some() {
            if session.sim.is_none() {
                session.admin_post("/_sim/reset", json!({})).await?;
            }
            TargetData::from_fixture(&session.admin_get("/_sim/fixture").await?)
        } else {
            TargetData::from_profile(&target.profile)?
        };
        Ok(session)
    }

    /// Checks a URL target once, before any scenario: its credentials and admin token are
    /// set (a session opens: an obharness simulator is reset and read), and it answers at all.
    /// The error names what to set or why the target cannot be reached.
    pub async fn check_target(target: &Target) -> Result<(), String> {
        let session = Session::open(target).await?;
        if session.admin.is_none() {
            // Any HTTP answer will do: the point is that something listens at base_url.
            session.http.get(&session.base_url).send_recorded().await.map_err(|e| {
                let mut why = e.to_string();
                let mut source = std::error::Error::source(&e);
                while let Some(s) = source {
                    why = format!("{why}: {s}");
                    source = s.source();
                }
                format!("{} does not answer ({why})", session.base_url)
            })?;
        }
        Ok(())
    }

    pub fn has_admin(&self) -> bool {
        self.admin.is_some()
    }

    pub async fn admin_get(&self, path: &str) -> Result<Value, String> {
        let (base, token) = self.admin.as_ref().ok_or("the target has no simulator admin API")?;
        let r = self
            .http
            .get(format!("{base}{path}"))
            .header("X-Sim-Admin-Token", token)
            .send_recorded()
            .await
            .map_err(|e| format!("GET {path}: {e}"))?;
        admin_answer(path, r).await
    }

    pub async fn admin_post(&self, path: &str, body: Value) -> Result<Value, String> {
        let (base, token) = self.admin.as_ref().ok_or("the target has no simulator admin API")?;
        let r = self
            .http
            .post(format!("{base}{path}"))
            .header("X-Sim-Admin-Token", token)
            .json(&body)
            .send_recorded()
            .await
            .map_err(|e| format!("POST {path}: {e}"))?;
        admin_answer(path, r).await
    }

    pub async fn admin_delete(&self, path: &str) -> Result<Value, String> {
        let (base, token) = self.admin.as_ref().ok_or("the target has no simulator admin API")?;
        let r = self
            .http
            .delete(format!("{base}{path}"))
            .header("X-Sim-Admin-Token", token)
            .send_recorded()
            .await
            .map_err(|e| format!("DELETE {path}: {e}"))?;
        admin_answer(path, r).await
    }

    /// The target's `tran_dtime` now: the simulator's virtual clock, or local KST.
    pub async fn tran_dtime(&self) -> String {
        if let Some(sim) = &self.sim {
            return tran_dtime(sim.center.now());
        }
        if self.admin.is_some()
            && let Ok(v) = self.admin_get("/_sim/clock").await
            && let Some(t) = v["tran_dtime"].as_str()
        {
            return t.to_string();
        }
        tran_dtime(chrono::Utc::now().with_timezone(&kst()))
    }

    /// A bank_tran_id never used before in this session, in the target's layout. The random
    /// prefix keeps ids unique across runs on the same day against a shared target.
    pub fn new_bank_tran_id(&self) -> String {
        let n = self.id_counter.fetch_add(1, Ordering::Relaxed) + 1;
        format!("{}U{}{:05}", self.data.get("client_use_code"), self.id_prefix, n % 100_000)
    }

    /// The certificates this session's target is trusted by, besides the system's.
    pub fn tls_roots(&self) -> &[reqwest::Certificate] {
        &self.tls_roots
    }

    /// The client sending from `from` (another loopback address), or the default one.
    pub async fn client(&self, from: Option<IpAddr>) -> Result<reqwest::Client, String> {
        let Some(ip) = from else { return Ok(self.http.clone()) };
        let mut bound = self.bound.lock().await;
        if let Some(c) = bound.get(&ip) {
            return Ok(c.clone());
        }
        let c = crate::target::http_client(&self.tls_roots)
            .local_address(ip)
            .build()
            .map_err(|e| format!("cannot bind to {ip}: {e}"))?;
        bound.insert(ip, c.clone());
        Ok(c)
    }

    /// The access token for a credential name: `user`, `user:SEQ`, `institution`.
    pub async fn token(&self, credential: &str) -> Result<String, String> {
        let key = if credential == "user" {
            format!("user:{}", self.data.get("user_seq_no"))
        } else {
            credential.to_string()
        };
        if let Some(t) = self.tokens.lock().await.get(&key) {
            return Ok(t.clone());
        }
        let token = if key == "institution" {
            self.institution_token().await?
        } else if let Some(seq) = key.strip_prefix("user:") {
            self.user_token(seq).await?
        } else {
            return Err(format!("unknown credential '{credential}'"));
        };
        self.tokens.lock().await.insert(key, token.clone());
        Ok(token)
    }

    /// What reports must not show of this session: its secrets (institution secret,
    /// withdrawal pass phrase, tokens, admin token) and its full account numbers.
    pub async fn scrubber(&self) -> crate::report::redact::Scrubber {
        let mut s = crate::report::redact::Scrubber::default();
        s.secret(&self.data.client_secret).secret(&self.data.wd_pass_phrase);
        if let Some((_, token)) = &self.admin {
            s.secret(token);
        }
        for token in self.tokens.lock().await.values() {
            s.secret(token);
        }
        for (k, v) in &self.data.values {
            if crate::report::redact::is_account_key(k) {
                s.account(v);
            }
        }
        s
    }

    /// Forgets cached tokens (after the clock moved past their expiry, say).
    pub async fn forget_tokens(&self) {
        self.tokens.lock().await.clear();
    }

    async fn institution_token(&self) -> Result<String, String> {
        let form = [
            ("client_id", self.data.client_id.as_str()),
            ("client_secret", self.data.client_secret.as_str()),
            ("scope", "oob"),
            ("grant_type", "client_credentials"),
        ];
        self.token_request(&form).await
    }

    async fn user_token(&self, seq: &str) -> Result<String, String> {
        if self.admin.is_none() {
            if seq != self.data.get("user_seq_no") {
                return Err(format!(
                    "user:{seq} needs headless consent (the fixtures capability); this target has one user token"
                ));
            }
            let var = self
                .user_token_env
                .as_ref()
                .ok_or("no headless consent on this target: set credentials.user_token_env")?;
            return std::env::var(var)
                .map_err(|_| format!("credentials.user_token_env: environment variable {var} is not set"));
        }
        let r = self
            .http
            .get(format!("{}/oauth/2.0/authorize", self.base_url))
            .query(&[
                ("response_type", "code"),
                ("client_id", self.data.client_id.as_str()),
                ("redirect_uri", self.data.redirect_uri.as_str()),
                ("scope", "login inquiry transfer"),
                ("client_info", "obharness"),
                ("state", "0123456789abcdef0123456789abcdef"),
                ("auth_type", "0"),
                ("sim_user_seq_no", seq),
            ])
            .send_recorded()
            .await
            .map_err(|e| format!("authorize: {e}"))?;
        let code = r
            .headers()
            .get("location")
            .and_then(|l| l.to_str().ok())
            .and_then(|l| reqwest::Url::parse(l).ok())
            .and_then(|u| u.query_pairs().find(|(k, _)| k == "code").map(|(_, v)| v.to_string()))
            .ok_or_else(|| format!("authorize for user {seq} did not redirect with a code (HTTP {})", r.status()))?;
        let form = [
            ("code", code.as_str()),
            ("client_id", self.data.client_id.as_str()),
            ("client_secret", self.data.client_secret.as_str()),
            ("redirect_uri", self.data.redirect_uri.as_str()),
            ("grant_type", "authorization_code"),
        ];
        self.token_request(&form).await
    }

    async fn token_request(&self, form: &[(&str, &str)]) -> Result<String, String> {
        let v: Value = self
            .http
            .post(format!("{}/oauth/2.0/token", self.base_url))
            .form(form)
            .send_recorded()
            .await
            .map_err(|e| format!("token: {e}"))?
            .json()
            .await
            .map_err(|e| format!("token: {e}"))?;
        v["access_token"]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| format!("token request refused: {} {}", v["rsp_code"], v["rsp_message"]))
    }
}

async fn admin_answer(path: &str, r: reqwest::Response) -> Result<Value, String> {
    let status = r.status();
    let v: Value = r.json().await.unwrap_or(Value::Null);
    if status.is_success() {
        Ok(v)
    } else {
        Err(format!("{path}: HTTP {status}: {}", v["error"].as_str().unwrap_or("")))
    }
}

fn random_prefix() -> String {
    use rand::Rng;
    const CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    let mut rng = rand::rng();
    (0..4).map(|_| CHARS[rng.random_range(0..CHARS.len())] as char).collect()
}
