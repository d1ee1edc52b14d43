//! The `obharness` command: argument parsing only; the library does the work.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use obharness::sim::{self, Quirk, SimConfig};
use obharness::spec::RspCode;

#[derive(Parser)]
#[command(
    name = "obharness",
    version,
    about = "Conformance and load-test harness for the Korean Open Banking API (KFTC v2.0)"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the Open Banking center simulator until Ctrl-C.
    Sim(SimArgs),
}

#[derive(clap::Args)]
struct SimArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Admin API token (header X-Sim-Admin-Token); generated and printed when absent.
    #[arg(long, env = "OBH_SIM_ADMIN_TOKEN", hide_env_values = true)]
    admin_token: Option<String>,
    /// Test data file (YAML or JSON) replacing the built-in fixture.
    #[arg(long, value_name = "FILE")]
    fixtures: Option<PathBuf>,
    /// Make the simulator deliberately non-conformant (repeatable).
    #[arg(long, value_enum, value_name = "NAME")]
    quirk: Vec<Quirk>,
    /// Start the virtual clock here (RFC 3339, e.g. 2026-03-02T10:00:00+09:00) instead of now.
    #[arg(long, value_name = "TIME")]
    clock_start: Option<String>,
    /// Answer at any hour instead of A0020 outside 00:05–23:55.
    #[arg(long)]
    no_operating_hours: bool,
    /// Believe X-Forwarded-For from this proxy address (repeatable).
    #[arg(long, value_name = "IP")]
    trusted_proxy: Vec<IpAddr>,
    /// The rsp_code for callers outside the IP whitelist.
    #[arg(long, default_value = "A0301", value_name = "CODE")]
    access_denied_code: String,
    /// Request journal size (entries kept).
    #[arg(long, default_value_t = 10_000)]
    journal_capacity: usize,
    /// tokio worker threads (1 is best when a load generator shares the machine).
    #[arg(long, default_value_t = 1)]
    workers: usize,
}

fn main() -> ExitCode {
    tracing_subscriber::fmt().with_env_filter(tracing_subscriber::EnvFilter::from_default_env()).init();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Sim(args) => run_sim(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run_sim(args: SimArgs) -> anyhow::Result<()> {
    let fixture = match &args.fixtures {
        Some(path) => sim::Fixture::load(path)?,
        None => sim::Fixture::default(),
    };
    let clock_start = args
        .clock_start
        .as_deref()
        .map(|s| {
            chrono::DateTime::parse_from_rfc3339(s)
                .map_err(|e| anyhow::anyhow!("--clock-start '{s}': {e} (expected e.g. 2026-03-02T10:00:00+09:00)"))
        })
        .transpose()?;
    let access_denied_code = RspCode::from_code(&args.access_denied_code)
        .ok_or_else(|| anyhow::anyhow!("--access-denied-code '{}' is not a known rsp_code", args.access_denied_code))?;
    let config = SimConfig {
        fixture,
        clock_start,
        operating_hours: !args.no_operating_hours,
        quirks: args.quirk,
        access_denied_code,
        trusted_proxies: args.trusted_proxy,
        admin_token: args.admin_token,
        journal_capacity: args.journal_capacity,
        fixture_origin: args.fixtures,
        ..SimConfig::default()
    };
    sim::run_standalone(sim::StandaloneOptions { listen: args.listen, workers: args.workers }, config)
}
