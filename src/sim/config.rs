//! How a simulator is set up: listener-independent options and defect modes.

use std::net::IpAddr;
use std::path::PathBuf;

use chrono::{DateTime, FixedOffset, TimeZone};
use serde::Serialize;

use super::fixture::Fixture;
use crate::spec::RspCode;
use crate::spec::time::kst;

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
    /// Largest request body accepted; larger ones get A0004.
    pub max_body_bytes: usize,
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
            max_body_bytes: 64 * 1024,
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::ValueEnum;

    #[test]
    fn quirk_names_on_the_command_line_match_the_documented_ones() {
        for q in Quirk::value_variants() {
            assert_eq!(q.to_possible_value().unwrap().get_name(), q.name());
        }
    }
}
