//! The `obharness` command: argument parsing only; the library does the work.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use obharness::protocol::RspCode;
use obharness::sim::{self, Quirk, SimConfig};
use obharness::{commands, exit};

/// mimalloc rather than glibc's malloc: the simulator allocates and frees many small blocks
/// per request, and hyper a fresh read buffer; measured in benches/README.md ("Allocator").
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
    /// Run conformance scenarios against the embedded simulator or a target.
    Run(commands::RunCommand),
    /// Certify an institution's own client: the simulator plays the center and judges its journal.
    CertifyClient(commands::CertifyCommand),
    /// Run a load profile (goose) against the embedded simulator or a target.
    Load(commands::LoadCommand),
    /// Differential checking: random operation sequences on a target and a clean reference
    /// simulator in lockstep; a disagreement is shrunk and written as a scenario.
    Diff(commands::DiffCommand),
    /// Run the Open Banking center simulator until Ctrl-C.
    Sim(SimArgs),
    /// Re-render a saved run (`--json` output) as HTML and/or Markdown, or take an evidence
    /// bundle's own reports out of it (after checking it); `report merge` adds up the shards of
    /// a run across machines.
    Report(ReportArgs),
    /// Write a new Ed25519 key pair for signing evidence bundles: FILE (private, mode 0600) and
    /// FILE.pub (for whoever verifies).
    Keygen {
        /// The private key file; the public key goes to FILE.pub.
        #[arg(value_name = "FILE")]
        path: PathBuf,
        /// Replace an existing key pair.
        #[arg(long)]
        force: bool,
    },
    /// Check an evidence bundle offline: every hash, the transcript's chain, the signature and
    /// the reports against the run model. Exits 0 valid, 1 tampered, 2 unreadable.
    Verify {
        /// The bundle (`--evidence FILE.obh` of run or certify-client).
        bundle: PathBuf,
        /// The signer's public key (`obharness keygen`'s FILE.pub): the bundle must be signed
        /// by it. Without it the bundle's own key is named, not checked.
        #[arg(long, value_name = "FILE")]
        pubkey: Option<PathBuf>,
    },
    /// Turn another tool's files into scenarios.
    #[command(subcommand)]
    Import(ImportCommand),
    /// Print the JSON Schema of a file format, for editors.
    Schema {
        /// scenario, fragment or target
        #[arg(value_parser = ["scenario", "fragment", "target"])]
        what: String,
    },
}

#[derive(clap::Subcommand)]
enum ImportCommand {
    /// A Postman collection (v2.1): one scenario per request folder. Exits 1 when an item
    /// could not be converted (each is listed), 2 on an unreadable file.
    Postman {
        /// The collection (JSON, Postman schema v2.1).
        collection: PathBuf,
        /// A Postman environment whose values fill the collection's variables.
        #[arg(long, value_name = "FILE")]
        env: Option<PathBuf>,
        /// Where to write the scenarios.
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
    },
}

#[derive(clap::Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
struct ReportArgs {
    #[command(subcommand)]
    merge: Option<ReportCommand>,
    /// The run model JSON written by `run --json` or `load --json`, or an evidence bundle.
    #[arg(required = true)]
    json: Option<PathBuf>,
    /// Write the HTML report to FILE; without FILE, to the temporary directory, opened.
    #[arg(long, value_name = "FILE", num_args = 0..=1)]
    html: Option<Option<PathBuf>>,
    /// Write the Markdown summary to FILE; without FILE, to stdout.
    #[arg(long, value_name = "FILE", num_args = 0..=1)]
    markdown: Option<Option<PathBuf>>,
}

#[derive(Subcommand)]
enum ReportCommand {
    /// Add up the shards of a run across machines (`load --shard K/N --json F`): histograms
    /// exactly, per-second series by wall-clock second, thresholds evaluated again; exit 0
    /// pass, 1 fail, 2 when the files are not the shards of one run.
    Merge(commands::MergeCommand),
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
    #[arg(long, default_value = RspCode::AccessDenied.code(), value_name = "CODE")]
    access_denied_code: String,
    /// Request journal size (entries kept).
    #[arg(long, default_value_t = 10_000)]
    journal_capacity: usize,
    /// Memory the request journal may hold, in MiB (oldest entries go first).
    #[arg(long, default_value_t = 32, value_name = "MIB")]
    journal_max_mib: usize,
    /// Seconds a whole request (headers and body) may take to arrive; slower peers are cut off.
    #[arg(long, default_value_t = 30, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..=3600))]
    request_timeout: u64,
    /// tokio worker threads (1 is best when a load generator shares the machine).
    #[arg(long, default_value_t = 1)]
    workers: usize,
    /// Serve HTTPS: with a certificate generated at start (for the listen address and
    /// localhost), or the one given by --tls-cert/--tls-key.
    #[arg(long)]
    tls: bool,
    /// PEM certificate chain to serve (implies --tls; needs --tls-key).
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// PEM private key of --tls-cert.
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Write the certificate clients should trust (the generated CA) to this file.
    #[arg(long, value_name = "FILE")]
    tls_ca_out: Option<PathBuf>,
    /// Refuse JSON numbers where the reference has strings (A0004) instead of accepting them.
    #[arg(long)]
    strict_string_fields: bool,
}

fn main() -> ExitCode {
    obharness::memory::no_transparent_huge_pages();
    tracing_subscriber::fmt().with_env_filter(tracing_subscriber::EnvFilter::from_default_env()).init();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run(cmd) => commands::run(cmd),
        Command::CertifyClient(cmd) => commands::certify(cmd),
        Command::Load(cmd) => commands::load(cmd),
        Command::Diff(cmd) => commands::diff(cmd),
        Command::Report(ReportArgs { merge: Some(ReportCommand::Merge(cmd)), .. }) => commands::merge(cmd),
        Command::Report(ReportArgs { json, html, markdown, .. }) => match json {
            Some(json) => commands::report(&json, html, markdown),
            None => unreachable!("clap requires the JSON file without a subcommand"),
        },
        Command::Keygen { path, force } => obharness::evidence::command::keygen(&path, force, &mut std::io::stdout()),
        Command::Verify { bundle, pubkey } => {
            obharness::evidence::command::verify(&bundle, pubkey.as_deref(), &mut std::io::stdout())
        }
        Command::Sim(args) => run_sim(args).map(|()| exit::SUCCESS),
        Command::Import(ImportCommand::Postman { collection, env, out }) => {
            commands::import_postman(&collection, env.as_deref(), &out)
        }
        Command::Schema { what } => commands::schema(&what).map(|s| {
            println!("{s}");
            exit::SUCCESS
        }),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            if let Some(io) = e.chain().find_map(|c| c.downcast_ref::<std::io::Error>()) {
                exit::quit_on_broken_pipe(io);
            }
            eprintln!("error: {e:#}");
            ExitCode::from(exit::code_of(&e))
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
                .map_err(|e| exit::usage(format!("--clock-start '{s}': {e} (expected e.g. 2026-03-02T10:00:00+09:00)")))
        })
        .transpose()?;
    let access_denied_code = RspCode::from_code(&args.access_denied_code).ok_or_else(|| {
        exit::usage(format!("--access-denied-code '{}' is not a known rsp_code", args.access_denied_code))
    })?;
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => Some(sim::tls::TlsMaterial::from_files(cert, key)?),
        _ if args.tls || args.tls_ca_out.is_some() => Some(sim::tls::TlsMaterial::generate(args.listen.ip())?),
        _ => None,
    };
    let config = SimConfig {
        fixture,
        clock_start,
        tls,
        strict_string_fields: args.strict_string_fields,
        operating_hours: !args.no_operating_hours,
        quirks: args.quirk,
        access_denied_code,
        trusted_proxies: args.trusted_proxy,
        admin_token: args.admin_token,
        journal_capacity: args.journal_capacity,
        journal_max_bytes: args.journal_max_mib.saturating_mul(1024 * 1024),
        request_timeout: std::time::Duration::from_secs(args.request_timeout),
        fixture_origin: args.fixtures,
        ..SimConfig::default()
    };
    sim::run_standalone(
        sim::StandaloneOptions { listen: args.listen, workers: args.workers, tls_ca_out: args.tls_ca_out },
        config,
    )
}
