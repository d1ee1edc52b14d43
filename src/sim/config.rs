//! How a simulator is set up: listener-independent options and defect modes.

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use chrono::{DateTime, FixedOffset, TimeZone};
use serde::Serialize;

use super::fixture::Fixture;
use crate::protocol::RspCode;
use crate::protocol::time::kst;

/// A deliberate non-conformance, so the conformance suite can prove it catches real defects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Quirk {
    /// A reused bank_tran_id is answered A0326 but the money moves again.
    DoubleDebitOnDuplicate,
    /// Transfer APIs accept callers from any address.
    IgnoreIpWhitelist,
    /// Consents never expire (no A0316/A0319).
    ConsentNeverExpires,
    /// 이체결과조회 reports every known transfer as completed, moved or not.
    ResultInquiryLies,
    /// An injected A0017/311 on withdraw still moves the money.
    CommitOnA0017,
    /// Malformed JSON bodies get HTTP 500 instead of 200 + A0004.
    #[value(name = "http-500-on-bad-json")]
    Http500OnBadJson,
}

impl Quirk {
    /// The name used by `--quirk` and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Quirk::DoubleDebitOnDuplicate => "double-debit-on-duplicate",
            Quirk::IgnoreIpWhitelist => "ignore-ip-whitelist",
            Quirk::ConsentNeverExpires => "consent-never-expires",
            Quirk::ResultInquiryLies => "result-inquiry-lies",
            Quirk::CommitOnA0017 => "commit-on-a0017",
            Quirk::Http500OnBadJson => "http-500-on-bad-json",
        }
    }
}

/// The fixed instant the embedded simulator's clock starts at, inside business hours, so
/// runs are reproducible: 2026-03-02 10:00:00 KST (a Monday).
pub fn embedded_clock_start() -> DateTime<FixedOffset> {
    kst().with_ymd_and_hms(2026, 3, 2, 10, 0, 0).single().expect("valid instant")
}

#[derive(Debug, Clone)]
pub struct SimConfig {
    pub fixture: Fixture,
    /// Where the virtual clock starts; `None` = wall-clock time.
    pub clock_start: Option<DateTime<FixedOffset>>,
    pub operating_hours: bool,
    pub quirks: Vec<Quirk>,
    /// The code a non-whitelisted caller gets on transfer APIs. [project rule: A0301]
    pub access_denied_code: RspCode,
    /// Peers whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<IpAddr>,
    /// `X-Sim-Admin-Token`; `None` = generate one.
    pub admin_token: Option<String>,
    pub journal_capacity: usize,
    /// Memory the journal may hold (bodies, queries, paths and bookkeeping); the oldest
    /// entries go first when it is full.
    pub journal_max_bytes: usize,
    /// Largest request body accepted; larger ones get A0004.
    pub max_body_bytes: usize,
    /// Time a whole request (headers and body) may take to arrive, counted from when the
    /// connection is ready for it; slower peers are cut off.
    pub request_timeout: Duration,
    /// Where the fixture came from, for messages.
    pub fixture_origin: Option<PathBuf>,
    /// Serve HTTPS with this certificate (`--tls`); `None` = plain HTTP.
    pub tls: Option<super::tls::TlsMaterial>,
    /// Refuse JSON numbers where the reference has strings (A0004) instead of reading them as text.
    pub strict_string_fields: bool,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            fixture: Fixture::default(),
            clock_start: None,
            operating_hours: true,
            quirks: Vec::new(),
            access_denied_code: RspCode::AccessDenied,
            trusted_proxies: Vec::new(),
            admin_token: None,
            journal_capacity: 10_000,
            journal_max_bytes: 32 * 1024 * 1024,
            max_body_bytes: 64 * 1024,
            request_timeout: Duration::from_secs(30),
            fixture_origin: None,
            tls: None,
            strict_string_fields: false,
        }
    }
}

impl SimConfig {
    /// The configuration of the in-process simulator the runner and tests use: the fixed
    /// clock start, the default fixture.
    pub fn embedded() -> Self {
        SimConfig { clock_start: Some(embedded_clock_start()), ..SimConfig::default() }
    }

    pub fn has(&self, quirk: Quirk) -> bool {
        self.quirks.contains(&quirk)
    }

    /// Refuses settings that would make the simulator unsafe or unable to keep its formats.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if let Some(token) = &self.admin_token {
            if token.trim().is_empty() {
                return Err(ConfigError::EmptyAdminToken);
            }
            if !token.bytes().all(|b| b.is_ascii_graphic()) {
                return Err(ConfigError::AdminTokenNotPrintable);
            }
        }
        if let Some(start) = self.clock_start
            && (!super::clock::in_range(start) || start > super::clock::latest())
        {
            return Err(ConfigError::ClockStartOutOfRange { start: start.to_rfc3339() });
        }
        if self.request_timeout.is_zero() {
            return Err(ConfigError::ZeroRequestTimeout);
        }
        Ok(())
    }
}

/// A simulator configuration that must not start.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error(
        "the admin token is empty: it would open the admin API to anyone; give a non-empty --admin-token or OBH_SIM_ADMIN_TOKEN, or leave both unset to have one generated"
    )]
    EmptyAdminToken,
    #[error("the admin token must be printable ASCII without spaces (it travels in the X-Sim-Admin-Token header)")]
    AdminTokenNotPrintable,
    #[error("clock start {start} is outside the center's date formats (1000-01-01 to 9999-12-31 00:00 KST)")]
    ClockStartOutOfRange { start: String },
    #[error("the request timeout must be longer than zero")]
    ZeroRequestTimeout,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::ValueEnum;

    #[test]
    fn configurations_that_must_not_start_are_refused() {
        let with = |f: fn(&mut SimConfig)| {
            let mut c = SimConfig::embedded();
            f(&mut c);
            c.validate()
        };
        assert_eq!(with(|_| {}), Ok(()));
        assert_eq!(with(|c| c.admin_token = Some("s3cret".into())), Ok(()));
        assert_eq!(with(|c| c.admin_token = Some(String::new())), Err(ConfigError::EmptyAdminToken));
        assert_eq!(with(|c| c.admin_token = Some(" \t".into())), Err(ConfigError::EmptyAdminToken));
        assert_eq!(with(|c| c.admin_token = Some("a b".into())), Err(ConfigError::AdminTokenNotPrintable));
        assert_eq!(with(|c| c.request_timeout = Duration::ZERO), Err(ConfigError::ZeroRequestTimeout));
        let early = with(|c| c.clock_start = Some(kst().with_ymd_and_hms(999, 12, 31, 0, 0, 0).unwrap()));
        assert!(matches!(early, Err(ConfigError::ClockStartOutOfRange { .. })), "{early:?}");
        let late = with(|c| c.clock_start = Some(kst().with_ymd_and_hms(9999, 12, 31, 23, 0, 0).unwrap()));
        assert!(matches!(late, Err(ConfigError::ClockStartOutOfRange { .. })), "{late:?}");
        let last = with(|c| c.clock_start = Some(kst().with_ymd_and_hms(9999, 12, 30, 23, 0, 0).unwrap()));
        assert_eq!(last, Ok(()));
    }

    #[test]
    fn quirk_names_on_the_command_line_match_the_documented_ones() {
        for q in Quirk::value_variants() {
            assert_eq!(q.to_possible_value().unwrap().get_name(), q.name());
        }
    }
}
