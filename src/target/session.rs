//! A scenario's connection to its target: HTTP clients (per source address), the target's
//! test data, credentials obtained on demand, variables, fresh bank_tran_ids, and the
//! simulator admin API where the target has one.

use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;
use std::sync::atomic::{AtomicU32, Ordering};

use serde_json::Value;
use tokio::sync::Mutex;

use super::admin::{AdminError, SimAdmin};
use super::record::SendRecorded;
use crate::protocol::time::{kst, tran_dtime};
use crate::scenario::plan::Credential;
use crate::sim::SimHandle;
use crate::target::{Target, TargetData, TargetKind};

/// Why a session could not open, or a credential could not be had.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SessionError {
    #[error(transparent)]
    Admin(#[from] AdminError),
    #[error("cannot start the embedded simulator: {0}")]
    Embedded(String),
    #[error("cannot build the HTTP client: {0}")]
    Client(String),
    #[error("{setting}: environment variable {var} is not set")]
    MissingEnv { setting: &'static str, var: String },
    #[error("{0}")]
    Credential(String),
    #[error("{0}")]
    Profile(String),
    #[error("{url} does not answer ({why})")]
    Unreachable { url: String, why: String },
}

pub struct Session {
    pub base_url: String,
    pub data: TargetData,
    /// Keeps an embedded simulator alive for the scenario.
    sim: Option<SimHandle>,
    admin: Option<SimAdmin>,
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
    pub async fn open(target: &Target) -> Result<Session, SessionError> {
        let http = target.http_client().build().map_err(|e| SessionError::Client(e.to_string()))?;
        let (base_url, sim, admin) = match target.profile.kind {
            TargetKind::Embedded => {
                let handle = match target.embedded_threads {
                    Some(threads) => crate::sim::start_embedded_apart(target.sim_config(), threads).await,
                    None => crate::sim::start_embedded(target.sim_config()).await,
                }
                .map_err(|e| SessionError::Embedded(e.to_string()))?;
                let base = handle.base_url();
                let admin = SimAdmin::new(&base, handle.admin_token(), http.clone());
                (base, Some(handle), Some(admin))
            }
            TargetKind::Url => {
                let base = target.profile.base_url.clone().unwrap_or_default().trim_end_matches('/').to_string();
                let token = match (&target.admin_token, &target.profile.admin_token_env) {
                    (Some(t), _) => Some(t.clone()),
                    (None, Some(var)) => Some(
                        std::env::var(var)
                            .map_err(|_| SessionError::MissingEnv { setting: "admin_token_env", var: var.clone() })?,
                    ),
                    (None, None) => None,
                };
                let admin = token.map(|t| SimAdmin::new(&base, &t, http.clone()));
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
        session.data = match &session.admin {
            Some(admin) => {
                if session.sim.is_none() && !target.shared {
                    admin.reset().await?;
                }
                TargetData::from_fixture(&admin.fixture().await?)
            }
            None => TargetData::from_profile(&target.profile).map_err(SessionError::Profile)?,
        };
        Ok(session)
    }

    /// Checks a URL target once, before any scenario: its credentials and admin token are
    /// set (a session opens: an obharness simulator is reset and read), and it answers at all.
    /// The error names what to set or why the target cannot be reached.
    pub async fn check_target(target: &Target) -> Result<(), SessionError> {
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
                SessionError::Unreachable { url: session.base_url.clone(), why }
            })?;
        }
        Ok(())
    }

    /// The simulator's admin API, when the target is an obharness simulator.
    pub fn admin(&self) -> Result<&SimAdmin, AdminError> {
        self.admin.as_ref().ok_or(AdminError::NoAdmin)
    }

    /// The target's `tran_dtime` now: the simulator's virtual clock, or local KST.
    pub async fn tran_dtime(&self) -> String {
        if let Some(sim) = &self.sim {
            return tran_dtime(sim.center.now());
        }
        if let Some(admin) = &self.admin
            && let Ok(clock) = admin.clock().await
        {
            return clock.tran_dtime;
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
    pub async fn client(&self, from: Option<IpAddr>) -> Result<reqwest::Client, SessionError> {
        let Some(ip) = from else { return Ok(self.http.clone()) };
        let mut bound = self.bound.lock().await;
        if let Some(c) = bound.get(&ip) {
            return Ok(c.clone());
        }
        let c = crate::target::http_client(&self.tls_roots)
            .local_address(ip)
            .build()
            .map_err(|e| SessionError::Client(format!("cannot bind to {ip}: {e}")))?;
        bound.insert(ip, c.clone());
        Ok(c)
    }

    /// The access token a credential stands for (`None` for [`Credential::None`]); user and
    /// institution tokens are obtained once and cached. `render` fills the credential's
    /// templates (`user:${seq}`, `${token}`).
    pub async fn token_for(
        &self,
        credential: &Credential,
        render: &(dyn Fn(&crate::scenario::template::Template) -> Result<String, String> + Sync),
    ) -> Result<Option<String>, SessionError> {
        let key = match credential {
            Credential::None => return Ok(None),
            Credential::Token(t) => return render(t).map(Some).map_err(SessionError::Credential),
            Credential::User => format!("user:{}", self.data.get("user_seq_no")),
            Credential::UserSeq(seq) => format!("user:{}", render(seq).map_err(SessionError::Credential)?),
            Credential::Institution => "institution".to_string(),
        };
        if let Some(t) = self.tokens.lock().await.get(&key) {
            return Ok(Some(t.clone()));
        }
        let token = match key.strip_prefix("user:") {
            Some(seq) => self.user_token(seq).await?,
            None => self.institution_token().await?,
        };
        self.tokens.lock().await.insert(key, token.clone());
        Ok(Some(token))
    }

    /// What reports must not show of this session: its secrets (institution secret,
    /// withdrawal pass phrase, tokens, admin token) and its full account numbers.
    pub async fn scrubber(&self) -> crate::report::redact::Scrubber {
        let mut s = crate::report::redact::Scrubber::default();
        s.secret(&self.data.client_secret).secret(&self.data.wd_pass_phrase);
        if let Some(admin) = &self.admin {
            s.secret(admin.token());
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

    async fn institution_token(&self) -> Result<String, SessionError> {
        let form = [
            ("client_id", self.data.client_id.as_str()),
            ("client_secret", self.data.client_secret.as_str()),
            ("scope", "oob"),
            ("grant_type", "client_credentials"),
        ];
        self.token_request(&form).await
    }

    async fn user_token(&self, seq: &str) -> Result<String, SessionError> {
        if self.admin.is_none() {
            if seq != self.data.get("user_seq_no") {
                return Err(SessionError::Credential(format!(
                    "user:{seq} needs headless consent (the fixtures capability); this target has one user token"
                )));
            }
            let var = self.user_token_env.as_ref().ok_or_else(|| {
                SessionError::Credential("no headless consent on this target: set credentials.user_token_env".into())
            })?;
            return std::env::var(var)
                .map_err(|_| SessionError::MissingEnv { setting: "credentials.user_token_env", var: var.clone() });
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
            .map_err(|e| SessionError::Credential(format!("authorize: {e}")))?;
        let code = r
            .headers()
            .get("location")
            .and_then(|l| l.to_str().ok())
            .and_then(|l| reqwest::Url::parse(l).ok())
            .and_then(|u| u.query_pairs().find(|(k, _)| k == "code").map(|(_, v)| v.to_string()))
            .ok_or_else(|| {
                SessionError::Credential(format!(
                    "authorize for user {seq} did not redirect with a code (HTTP {})",
                    r.status()
                ))
            })?;
        let form = [
            ("code", code.as_str()),
            ("client_id", self.data.client_id.as_str()),
            ("client_secret", self.data.client_secret.as_str()),
            ("redirect_uri", self.data.redirect_uri.as_str()),
            ("grant_type", "authorization_code"),
        ];
        self.token_request(&form).await
    }

    async fn token_request(&self, form: &[(&str, &str)]) -> Result<String, SessionError> {
        let failed = |e: reqwest::Error| SessionError::Credential(format!("token: {e}"));
        let v: Value = self
            .http
            .post(format!("{}/oauth/2.0/token", self.base_url))
            .form(form)
            .send_recorded()
            .await
            .map_err(failed)?
            .json()
            .await
            .map_err(failed)?;
        v["access_token"].as_str().map(str::to_string).ok_or_else(|| {
            SessionError::Credential(format!("token request refused: {} {}", v["rsp_code"], v["rsp_message"]))
        })
    }
}

fn random_prefix() -> String {
    use rand::Rng;
    const CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    let mut rng = rand::rng();
    (0..4).map(|_| CHARS[rng.random_range(0..CHARS.len())] as char).collect()
}
