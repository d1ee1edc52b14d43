//! A small institution backend's transfer code against the 오픈뱅킹 center (KFTC API v2.0):
//! the reference client of `obharness certify-client`. `client_correct` runs it as the
//! KFTC handling table requires; `client_careless` with [`Careless`] on, which adds exactly
//! two mistakes (see `flows.rs`) and one habit the advisory rule string-typed-fields names
//! (amounts as JSON numbers, see `config.rs`).
//!
//! Input: the `OBH_*` environment variables (see `config.rs`). Output: one JSON line on
//! stdout, `{"outcome": "succeeded" | "failed" | "unknown", "detail": "…"}`, exit 0; logs on
//! stderr. Exit 2 for bad environment, 3 when the center cannot be reached for the first
//! token (nothing on stdout in both cases). The whole run is bounded (≈19 s), and every
//! HTTP request by 5 s.

mod center;
mod config;
mod flows;
mod ids;

use std::process::ExitCode;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use center::{Center, TokenError};
use config::{Action, Config};

/// The run's time budget (the harness allows 20 s).
const RUN_BUDGET: Duration = Duration::from_secs(19);

/// Switches on the careless client's two mistakes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Careless(pub bool);

/// What the client believes happened to the customer's request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Succeeded,
    Failed,
    Unknown,
}

impl Outcome {
    fn as_str(self) -> &'static str {
        match self {
            Outcome::Succeeded => "succeeded",
            Outcome::Failed => "failed",
            Outcome::Unknown => "unknown",
        }
    }
}

/// The one line the harness reads.
#[derive(Debug, Clone)]
pub struct Report {
    pub outcome: Outcome,
    pub detail: String,
}

impl Report {
    pub fn new(outcome: Outcome, detail: impl Into<String>) -> Report {
        Report { outcome, detail: detail.into() }
    }

    fn json_line(&self) -> String {
        let detail = serde_json::Value::String(self.detail.clone());
        format!(r#"{{"outcome": "{}", "detail": {detail}}}"#, self.outcome.as_str())
    }
}

static LOG_PREFIX: OnceLock<String> = OnceLock::new();

/// One line on stderr.
pub fn log(msg: &str) {
    eprintln!("{} {msg}", LOG_PREFIX.get().map(String::as_str).unwrap_or("[client]"));
}

/// The examples' `main`.
pub fn main(careless: Careless) -> ExitCode {
    let started = Instant::now();
    let name = if careless.0 { "client_careless" } else { "client_correct" };
    let cfg = match Config::from_env() {
        Ok(cfg) => Config { numeric_amounts: careless.0, ..cfg },
        Err(e) => {
            eprintln!("{name}: {e}");
            return ExitCode::from(2);
        }
    };
    let _ = LOG_PREFIX.set(format!("[{name} {}]", cfg.scenario));
    let runtime = match tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("{name}: cannot start the async runtime: {e}");
            return ExitCode::from(3);
        }
    };
    log(&format!("{} of {} won against {}", cfg.action, cfg.amount, cfg.base_url));
    match runtime.block_on(run(&cfg, careless, started + RUN_BUDGET)) {
        Ok(report) => {
            log(&format!("outcome {}: {}", report.outcome.as_str(), report.detail));
            println!("{}", report.json_line());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{name}: {e}");
            ExitCode::from(3)
        }
    }
}

/// Gets the token the action starts with, then runs the action's flow. `Err` only when the
/// center cannot be reached at all for that first token.
async fn run(cfg: &Config, careless: Careless, deadline: Instant) -> Result<Report, String> {
    let mut c = Center::new(cfg, deadline)?;
    let first = match cfg.action {
        Action::Withdraw | Action::Balance => c.user_token(false).await.map(drop),
        Action::Deposit => c.institution_token().await.map(drop),
    };
    match first {
        Ok(()) => {}
        Err(e @ TokenError::Unreachable(_)) => return Err(e.to_string()),
        Err(e @ TokenError::Refused(_)) => return Ok(Report::new(Outcome::Failed, format!("{}: {e}", cfg.action))),
    }
    Ok(match cfg.action {
        Action::Withdraw => flows::withdraw(&mut c, careless).await,
        Action::Deposit => flows::deposit(&mut c, careless).await,
        Action::Balance => flows::balance(&mut c).await,
    })
}
