//! OAuth 2.0 state: authorization codes, access and refresh tokens.
//!
//! Access tokens are JWTs shaped like the center's (HS256; `aud` = user_seq_no for user tokens,
//! client_use_code for institution tokens; `scope` array; `iss`; `exp`; `jti`), signed with a
//! per-simulator secret, so clients that decode the token to read user_seq_no or the expiry
//! work unchanged. The simulator's own table stays the authority (revocation, refresh):
//! lookups on the hot path take a read lock only and never parse the token.

use std::collections::HashMap;

use chrono::{DateTime, Duration, FixedOffset};
use parking_lot::{Mutex, RwLock};
use rand::Rng;
use rand::distr::Alphanumeric;

use crate::protocol::Scope;

/// Access tokens live 90 days (expires_in 7775999).
pub const TOKEN_LIFETIME_SECS: i64 = 7_775_999;
/// Refresh tokens outlive their access token by ten days. [project rule]
pub const REFRESH_LIFETIME_SECS: i64 = TOKEN_LIFETIME_SECS + 10 * 86_400;
/// Authorization codes must be redeemed within ten minutes. [project rule]
pub const CODE_LIFETIME_SECS: i64 = 600;

/// A set of scopes, as granted to a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Scopes(u8);

impl Scopes {
    pub fn contains(self, s: Scope) -> bool {
        self.0 & bit(s) != 0
    }

    pub fn with(self, s: Scope) -> Scopes {
        Scopes(self.0 | bit(s))
    }

    pub fn any_of(self, scopes: &[Scope]) -> bool {
        scopes.iter().any(|s| self.contains(*s))
    }

    /// Parses a space-separated list (`login inquiry transfer`); unknown names are errors.
    pub fn parse(list: &str) -> Result<Scopes, String> {
        list.split_whitespace().try_fold(Scopes::default(), |acc, s| {
            Scope::parse(s).map(|s| acc.with(s)).ok_or_else(|| format!("unknown scope '{s}'"))
        })
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub fn is_subset_of(self, other: Scopes) -> bool {
        self.0 & !other.0 == 0
    }

    /// The granted scopes in canonical order.
    pub fn iter(self) -> impl Iterator<Item = Scope> {
        [Scope::Login, Scope::Inquiry, Scope::Transfer, Scope::Oob, Scope::Sa]
            .into_iter()
            .filter(move |s| self.contains(*s))
    }

    pub fn to_wire(self) -> String {
        self.iter().map(Scope::as_str).collect::<Vec<_>>().join(" ")
    }
}

fn bit(s: Scope) -> u8 {
    match s {
        Scope::Login => 1,
        Scope::Inquiry => 2,
        Scope::Transfer => 4,
        Scope::Oob => 8,
        Scope::Sa => 16,
    }
}

/// Who a token speaks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    User(String),
    Institution,
}

#[derive(Debug, Clone)]
pub struct TokenInfo {
    pub subject: Subject,
    pub scopes: Scopes,
    pub expires_at: DateTime<FixedOffset>,
    pub refresh_token: Option<String>,
}

#[derive(Debug, Clone)]
pub struct CodeGrant {
    pub user_seq_no: String,
    pub scopes: Scopes,
    pub redirect_uri: String,
    pub expires_at: DateTime<FixedOffset>,
}

#[derive(Debug, Clone)]
struct RefreshGrant {
    user_seq_no: String,
    scopes: Scopes,
    expires_at: DateTime<FixedOffset>,
    access_token: String,
}

/// What a token check concluded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenCheck {
    Valid { subject: Subject, scopes: Scopes },
    Unknown,
    Expired,
}

pub struct Tokens {
    access: RwLock<HashMap<String, TokenInfo>>,
    refresh: Mutex<HashMap<String, RefreshGrant>>,
    codes: Mutex<HashMap<String, CodeGrant>>,
    /// The HS256 key of this simulator's JWTs; new at every start.
    signing_key: aws_lc_rs::hmac::Key,
}

impl Default for Tokens {
    fn default() -> Self {
        let secret: [u8; 32] = rand::rng().random();
        Tokens {
            access: RwLock::default(),
            refresh: Mutex::default(),
            codes: Mutex::default(),
            signing_key: aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, &secret),
        }
    }
}

/// The `iss` claim of the center's tokens. source: decoded test-bed access tokens
/// (docs/simulator.md, "Tokens").
pub const TOKEN_ISSUER: &str = "https://www.openbanking.or.kr";

/// The claims of an access token, as the center puts them.
#[derive(Debug, serde::Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct Claims {
    /// user_seq_no (user tokens) or client_use_code (institution tokens).
    pub aud: String,
    pub scope: Vec<String>,
    pub iss: String,
    /// Expiry, seconds since the Unix epoch.
    pub exp: i64,
    pub jti: String,
}

/// Reads the claims of a JWT without checking its signature (what a client does to learn
/// its user_seq_no or expiry).
pub fn decode_claims(token: &str) -> Option<Claims> {
    use base64::Engine;
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).ok()?;
    serde_json::from_slice(&bytes).ok()
}

pub fn random_token(len: usize) -> String {
    rand::rng().sample_iter(&Alphanumeric).take(len).map(char::from).collect()
}

/// An issued token pair, as the token endpoint answers it.
#[derive(Debug, Clone)]
pub struct Issued {
    pub access_token: String,
    pub refresh_token: Option<String>,
    pub scopes: Scopes,
    pub user_seq_no: Option<String>,
}

impl Tokens {
    /// Signs a new access token for `aud`.
    fn jwt(&self, aud: &str, scopes: Scopes, expires_at: DateTime<FixedOffset>) -> String {
        use base64::Engine;
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let claims = Claims {
            aud: aud.to_string(),
            scope: scopes.iter().map(|s| s.as_str().to_string()).collect(),
            iss: TOKEN_ISSUER.to_string(),
            exp: expires_at.timestamp(),
            jti: uuid::Uuid::new_v4().to_string(),
        };
        let mut token = b64.encode(br#"{"typ":"JWT","alg":"HS256"}"#);
        token.push('.');
        token.push_str(&b64.encode(serde_json::to_vec(&claims).expect("claims serialise")));
        let signature = aws_lc_rs::hmac::sign(&self.signing_key, token.as_bytes());
        token.push('.');
        token.push_str(&b64.encode(signature.as_ref()));
        token
    }

    /// Whether `token` carries this simulator's signature (tokens are looked up, not
    /// verified, on the hot path; this is for tests and tools).
    pub fn signature_valid(&self, token: &str) -> bool {
        use base64::Engine;
        let Some((signed, signature)) = token.rsplit_once('.') else { return false };
        let Ok(signature) = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(signature) else { return false };
        aws_lc_rs::hmac::verify(&self.signing_key, signed.as_bytes(), &signature).is_ok()
    }

    pub fn check(&self, token: &str, now: DateTime<FixedOffset>) -> TokenCheck {
        match self.access.read().get(token) {
            None => TokenCheck::Unknown,
            Some(t) if t.expires_at <= now => TokenCheck::Expired,
            Some(t) => TokenCheck::Valid { subject: t.subject.clone(), scopes: t.scopes },
        }
    }

    pub fn new_code(&self, grant: CodeGrant) -> String {
        let code = random_token(30);
        self.codes.lock().insert(code.clone(), grant);
        code
    }

    /// Redeems a code once; `None` when unknown, used, expired or for another redirect_uri.
    pub fn redeem_code(&self, code: &str, redirect_uri: &str, now: DateTime<FixedOffset>) -> Option<CodeGrant> {
        let grant = self.codes.lock().remove(code)?;
        (grant.expires_at > now && grant.redirect_uri == redirect_uri).then_some(grant)
    }

    pub fn issue_user(&self, user_seq_no: &str, scopes: Scopes, now: DateTime<FixedOffset>) -> Issued {
        let expires_at = now + Duration::seconds(TOKEN_LIFETIME_SECS);
        let access_token = self.jwt(user_seq_no, scopes, expires_at);
        let refresh_token = self.jwt(user_seq_no, scopes, now + Duration::seconds(REFRESH_LIFETIME_SECS));
        self.access.write().insert(
            access_token.clone(),
            TokenInfo {
                subject: Subject::User(user_seq_no.to_string()),
                scopes,
                expires_at,
                refresh_token: Some(refresh_token.clone()),
            },
        );
        self.refresh.lock().insert(
            refresh_token.clone(),
            RefreshGrant {
                user_seq_no: user_seq_no.to_string(),
                scopes,
                expires_at: now + Duration::seconds(REFRESH_LIFETIME_SECS),
                access_token: access_token.clone(),
            },
        );
        Issued { access_token, refresh_token: Some(refresh_token), scopes, user_seq_no: Some(user_seq_no.to_string()) }
    }

    /// An institution token (client_credentials); its `aud` is the institution's client_use_code.
    pub fn issue_institution(&self, client_use_code: &str, scopes: Scopes, now: DateTime<FixedOffset>) -> Issued {
        let expires_at = now + Duration::seconds(TOKEN_LIFETIME_SECS);
        let access_token = self.jwt(client_use_code, scopes, expires_at);
        self.access.write().insert(
            access_token.clone(),
            TokenInfo { subject: Subject::Institution, scopes, expires_at, refresh_token: None },
        );
        Issued { access_token, refresh_token: None, scopes, user_seq_no: None }
    }

    /// Exchanges a refresh token (once) for a new pair; the old access token stops working.
    pub fn refresh(
        &self,
        refresh_token: &str,
        scope: Option<Scopes>,
        now: DateTime<FixedOffset>,
    ) -> Result<Issued, &'static str> {
        let grant = {
            let mut map = self.refresh.lock();
            let g = map.get(refresh_token).ok_or("unknown or already used refresh_token")?;
            if g.expires_at <= now {
                map.remove(refresh_token);
                return Err("refresh_token expired");
            }
            if let Some(s) = scope
                && !s.is_subset_of(g.scopes)
            {
                return Err("scope exceeds the original grant");
            }
            map.remove(refresh_token).expect("present")
        };
        self.access.write().remove(&grant.access_token);
        Ok(self.issue_user(&grant.user_seq_no, scope.unwrap_or(grant.scopes), now))
    }

    /// Revokes an access token and its refresh token; `false` when unknown.
    pub fn revoke(&self, access_token: &str) -> bool {
        let Some(info) = self.access.write().remove(access_token) else { return false };
        if let Some(r) = info.refresh_token {
            self.refresh.lock().remove(&r);
        }
        true
    }

    /// Revokes every token of a user (연결동의 해제, 탈퇴).
    pub fn revoke_user(&self, user_seq_no: &str) {
        let subject = Subject::User(user_seq_no.to_string());
        self.access.write().retain(|_, t| t.subject != subject);
        self.refresh.lock().retain(|_, g| g.user_seq_no != user_seq_no);
    }

    pub fn clear(&self) {
        self.access.write().clear();
        self.refresh.lock().clear();
        self.codes.lock().clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::config::embedded_clock_start;

    #[test]
    fn scopes_parse_and_render_in_canonical_order() {
        let s = Scopes::parse("transfer login  inquiry").unwrap();
        assert_eq!(s.to_wire(), "login inquiry transfer");
        assert!(Scopes::parse("login banana").is_err());
        assert!(Scopes::parse("login").unwrap().is_subset_of(s));
    }

    #[test]
    fn access_tokens_are_signed_jwts_with_the_centers_claims() {
        let t = Tokens::default();
        let now = embedded_clock_start();
        let user = t.issue_user("1100000001", Scopes::parse("login inquiry transfer").unwrap(), now);
        assert_eq!(user.access_token.split('.').count(), 3, "header.claims.signature");
        let claims = decode_claims(&user.access_token).unwrap();
        assert_eq!(claims.aud, "1100000001");
        assert_eq!(claims.scope, ["login", "inquiry", "transfer"]);
        assert_eq!(claims.iss, TOKEN_ISSUER);
        assert_eq!(claims.exp, now.timestamp() + TOKEN_LIFETIME_SECS);
        assert!(t.signature_valid(&user.access_token));
        let inst = t.issue_institution("M202601315", Scopes::parse("oob").unwrap(), now);
        assert_eq!(decode_claims(&inst.access_token).unwrap().aud, "M202601315");
        // A token signed by another simulator is not ours, even with the same claims.
        assert!(!Tokens::default().signature_valid(&user.access_token));
        let mut forged = user.access_token.clone();
        forged.push('x');
        assert!(!t.signature_valid(&forged));
    }

    #[test]
    fn tokens_expire_after_90_days() {
        let t = Tokens::default();
        let now = embedded_clock_start();
        let issued = t.issue_user("1100000001", Scopes::parse("login").unwrap(), now);
        assert!(matches!(t.check(&issued.access_token, now), TokenCheck::Valid { .. }));
        assert_eq!(t.check(&issued.access_token, now + Duration::days(90)), TokenCheck::Expired);
    }

    #[test]
    fn refresh_is_single_use_and_retires_the_old_access_token() {
        let t = Tokens::default();
        let now = embedded_clock_start();
        let first = t.issue_user("1100000001", Scopes::parse("login inquiry").unwrap(), now);
        let refresh = first.refresh_token.clone().unwrap();
        let second = t.refresh(&refresh, None, now).unwrap();
        assert_eq!(t.check(&first.access_token, now), TokenCheck::Unknown);
        assert!(matches!(t.check(&second.access_token, now), TokenCheck::Valid { .. }));
        assert!(t.refresh(&refresh, None, now).is_err());
    }

    #[test]
    fn codes_redeem_once_for_the_same_redirect_uri() {
        let t = Tokens::default();
        let now = embedded_clock_start();
        let grant = CodeGrant {
            user_seq_no: "1100000001".into(),
            scopes: Scopes::parse("login").unwrap(),
            redirect_uri: "http://localhost/cb".into(),
            expires_at: now + Duration::seconds(600),
        };
        let code = t.new_code(grant.clone());
        assert!(t.redeem_code(&code, "http://evil/cb", now).is_none());
        let code = t.new_code(grant);
        assert!(t.redeem_code(&code, "http://localhost/cb", now).is_some());
        assert!(t.redeem_code(&code, "http://localhost/cb", now).is_none());
    }
}
