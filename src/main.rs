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
    Run(RunArgs),
    /// Certify an institution's own client: the simulator plays the center and judges its journal.
    CertifyClient(CertifyArgs),
    /// Run a load profile (goose) against the embedded simulator or a target.
    Load(LoadArgs),
    /// Differential checking: random operation sequences on a target and a clean reference
    /// simulator in lockstep; a disagreement is shrunk and written as a scenario.
    Diff(DiffArgs),
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
struct RunArgs {
    /// Scenario files or directories.
    #[arg(default_value = "scenarios/conformance")]
    paths: Vec<PathBuf>,
    /// Target profile (scenarios/targets/NAME.yaml); default: the embedded simulator.
    #[arg(long, value_name = "FILE")]
    target: Option<PathBuf>,
    /// Scenarios at a time (default: the number of cores).
    #[arg(long, short = 'j')]
    jobs: Option<usize>,
    /// Only scenarios whose id or title contains this text.
    #[arg(long)]
    filter: Option<String>,
    /// Only scenarios with this tag (repeatable: all must match).
    #[arg(long)]
    tag: Vec<String>,
    /// Stop starting scenarios after the first failure.
    #[arg(long)]
    fail_fast: bool,
    /// Start the embedded simulator with a defect mode (repeatable), to see the suite bite.
    #[arg(long, value_enum, value_name = "NAME")]
    sim_quirk: Vec<Quirk>,
    /// Write a JUnit XML report.
    #[arg(long, value_name = "FILE")]
    junit: Option<PathBuf>,
    /// Write the run model as JSON.
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
    /// Scenario ids expected to fail (one per line); their failure passes, their passing fails.
    #[arg(long, value_name = "FILE")]
    expected_failures: Option<PathBuf>,
    /// Write new and changed golden snapshots.
    #[arg(long)]
    bless: bool,
    /// Where golden snapshots live.
    #[arg(long, default_value = "golden", value_name = "DIR")]
    golden_dir: PathBuf,
    #[command(flatten)]
    outputs: OutputArgs,
    #[command(flatten)]
    evidence: EvidenceArgs,
}

#[derive(clap::Args)]
#[command(group(clap::ArgGroup::new("trigger").required(true).args(["trigger_cmd", "trigger_url"])))]
struct CertifyArgs {
    /// Client scenario files or directories.
    #[arg(default_value = "scenarios/client")]
    paths: Vec<PathBuf>,
    /// Where the simulator listens (the client's base URL).
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Command that runs the client once; inputs arrive as OBH_* environment variables.
    #[arg(long, value_name = "COMMAND")]
    trigger_cmd: Option<String>,
    /// The client's own endpoint, POSTed the inputs as JSON.
    #[arg(long, value_name = "URL")]
    trigger_url: Option<String>,
    /// Fail (instead of warn) when the client sends JSON numbers where KFTC's examples have
    /// strings (rule string-typed-fields).
    #[arg(long)]
    strict_string_fields: bool,
    /// Serve the simulator over HTTPS with a certificate made at start; the client gets the CA
    /// to trust as OBH_TLS_CA_FILE.
    #[arg(long)]
    tls: bool,
    /// Where to write that CA certificate (default: a file in the temporary directory).
    #[arg(long, value_name = "FILE")]
    tls_ca_out: Option<PathBuf>,
    /// Write a JUnit XML report.
    #[arg(long, value_name = "FILE")]
    junit: Option<PathBuf>,
    /// Write the run model as JSON.
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
    #[command(flatten)]
    outputs: OutputArgs,
    #[command(flatten)]
    evidence: EvidenceArgs,
}

/// A signed evidence bundle of the run, for run and certify-client.
#[derive(clap::Args)]
struct EvidenceArgs {
    /// Write an evidence bundle of the run (reports, inputs, transcript, facts; `obharness
    /// verify` checks it).
    #[arg(long, value_name = "FILE.obh")]
    evidence: Option<PathBuf>,
    /// Sign the bundle with this Ed25519 private key (`obharness keygen`); default: the key in
    /// $OBH_SIGN_KEY, else unsigned.
    #[arg(long, value_name = "FILE", requires = "evidence")]
    sign_key: Option<PathBuf>,
}

impl From<EvidenceArgs> for Option<commands::EvidenceOut> {
    fn from(a: EvidenceArgs) -> Self {
        a.evidence.map(|file| commands::EvidenceOut { file, sign_key: a.sign_key })
    }
}

#[derive(clap::Args)]
struct DiffArgs {
    /// Target profile; default: the embedded simulator (with --sim-quirk, a broken one).
    #[arg(long, value_name = "FILE")]
    target: Option<PathBuf>,
    /// Random cases to try (shrinking comes on top).
    #[arg(long, default_value_t = 500, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    cases: u32,
    /// Seed of the case generator (default: random, printed); the same seed gives the same
    /// cases and the same written scenario.
    #[arg(long)]
    seed: Option<u64>,
    /// Operations per case, at most.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=64))]
    max_steps: u16,
    /// No new case starts after this many seconds.
    #[arg(long, default_value_t = 300, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    max_seconds: u64,
    /// Where the minimal disagreeing scenario goes (default: reports/diff-SEED.yaml).
    #[arg(long, value_name = "FILE")]
    write_scenario: Option<PathBuf>,
    /// Start the embedded simulator under test with a defect mode (repeatable).
    #[arg(long, value_enum, value_name = "NAME")]
    sim_quirk: Vec<Quirk>,
    /// Write a JUnit XML report.
    #[arg(long, value_name = "FILE")]
    junit: Option<PathBuf>,
    /// Write the run model as JSON.
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
    #[command(flatten)]
    outputs: OutputArgs,
}

#[derive(clap::Args)]
struct LoadArgs {
    /// The load profile (scenarios/load/NAME.yaml).
    profile: PathBuf,
    /// Target profile; default: the profile's `target`, else the embedded simulator.
    #[arg(long, value_name = "FILE")]
    target: Option<PathBuf>,
    /// Write the run model (with HDR histograms) as JSON.
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
    /// Write a JUnit XML report (one testcase per threshold).
    #[arg(long, value_name = "FILE")]
    junit: Option<PathBuf>,
    /// Compare p95, p99 and throughput per API with an earlier run's JSON.
    #[arg(long, value_name = "FILE")]
    baseline: Option<PathBuf>,
    /// Largest regression allowed against the baseline.
    #[arg(long, default_value = "10%", value_parser = commands::parse_percent, value_name = "PERCENT")]
    max_regression: f64,
    /// Highest error rate (refused or failed requests) a run may have and pass, thresholds or
    /// not; overrides the profile's max_error_rate (default 1%).
    #[arg(long, value_parser = commands::parse_percent, value_name = "PERCENT")]
    max_error_rate: Option<f64>,
    /// tokio worker threads (default: 1 against a URL target — fastest when it shares the
    /// machine, 62.6k vs 53.4k req/s with 2 on 2 cores — every core for the embedded simulator).
    #[arg(long)]
    workers: Option<usize>,
    /// Run shard K of N of the profile, for a run across machines (docs/scale-out.md): K/N
    /// with 1 ≤ K ≤ N, or index=I/N with I from 0 (Kubernetes' JOB_COMPLETION_INDEX).
    #[arg(long, value_name = "K/N", value_parser = obharness::load::shard::Shard::parse)]
    shard: Option<obharness::load::shard::Shard>,
    /// Start the measured window at this instant (RFC 3339, e.g. 2026-03-02T10:00:00Z), once
    /// the target answers; every shard of a run gets the same one.
    #[arg(long, value_name = "TIME")]
    start_at: Option<String>,
    /// How late after --start-at a start still counts as on time.
    #[arg(long, default_value = "1s", value_parser = parse_span, value_name = "DURATION")]
    start_tolerance: std::time::Duration,
    #[command(flatten)]
    outputs: OutputArgs,
}

fn parse_span(s: &str) -> Result<std::time::Duration, String> {
    obharness::load::profile::Span::parse(s).map(|s| s.0)
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
    Merge(MergeArgs),
}

#[derive(clap::Args)]
struct MergeArgs {
    /// The shards' JSON files, or directories of them (every *.json inside).
    #[arg(required = true, value_name = "SHARD.json")]
    shards: Vec<PathBuf>,
    /// Wait up to this long for every shard's file (e.g. 30m), as a merge Job started beside
    /// the shards does.
    #[arg(long, value_parser = parse_span, value_name = "DURATION")]
    wait: Option<std::time::Duration>,
    /// Write the merged run model (with HDR histograms) as JSON.
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
    /// Write a JUnit XML report (one testcase per threshold).
    #[arg(long, value_name = "FILE")]
    junit: Option<PathBuf>,
    /// Compare p95, p99 and throughput per API with an earlier run's JSON.
    #[arg(long, value_name = "FILE")]
    baseline: Option<PathBuf>,
    /// Largest regression allowed against the baseline.
    #[arg(long, default_value = "10%", value_parser = commands::parse_percent, value_name = "PERCENT")]
    max_regression: f64,
    #[command(flatten)]
    outputs: OutputArgs,
}

/// Human-facing report files, shared by run, load and certify-client.
#[derive(clap::Args)]
struct OutputArgs {
    /// Write a self-contained HTML report.
    #[arg(long, value_name = "FILE")]
    html: Option<PathBuf>,
    /// Write a Markdown summary (for CI job summaries).
    #[arg(long, value_name = "FILE")]
    markdown: Option<PathBuf>,
    /// Write the HTML report to reports/<kind>-<timestamp>.html.
    #[arg(long)]
    report: bool,
}

impl From<OutputArgs> for commands::Outputs {
    fn from(a: OutputArgs) -> Self {
        commands::Outputs { html: a.html, markdown: a.markdown, report: a.report }
    }
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
    tracing_subscriber::fmt().with_env_filter(tracing_subscriber::EnvFilter::from_default_env()).init();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run(args) => commands::run(commands::RunCommand {
            paths: args.paths,
            target: args.target,
            jobs: args.jobs,
            filter: args.filter,
            tags: args.tag,
            fail_fast: args.fail_fast,
            sim_quirks: args.sim_quirk,
            junit: args.junit,
            json: args.json,
            expected_failures: args.expected_failures,
            bless: args.bless,
            golden_dir: args.golden_dir,
            outputs: args.outputs.into(),
            evidence: args.evidence.into(),
        }),
        Command::CertifyClient(args) => commands::certify(commands::CertifyCommand {
            paths: args.paths,
            listen: args.listen,
            trigger: match (args.trigger_cmd, args.trigger_url) {
                (Some(cmd), _) => obharness::certify::Trigger::Command(cmd),
                (None, Some(url)) => obharness::certify::Trigger::Url(url),
                (None, None) => unreachable!("clap requires one trigger"),
            },
            strict_string_fields: args.strict_string_fields,
            tls: args.tls,
            tls_ca_out: args.tls_ca_out,
            junit: args.junit,
            json: args.json,
            outputs: args.outputs.into(),
            evidence: args.evidence.into(),
        }),
        Command::Load(args) => commands::load(commands::LoadCommand {
            profile: args.profile,
            target: args.target,
            json: args.json,
            junit: args.junit,
            baseline: args.baseline,
            max_regression: args.max_regression,
            workers: args.workers,
            max_error_rate: args.max_error_rate,
            shard: args.shard,
            start_at: args.start_at,
            start_tolerance: args.start_tolerance,
            outputs: args.outputs.into(),
        }),
        Command::Diff(args) => commands::diff(commands::DiffCommand {
            target: args.target,
            cases: args.cases,
            seed: args.seed,
            max_steps: args.max_steps.into(),
            max_seconds: args.max_seconds,
            write_scenario: args.write_scenario,
            sim_quirks: args.sim_quirk,
            junit: args.junit,
            json: args.json,
            outputs: args.outputs.into(),
        }),
        Command::Report(ReportArgs { merge: Some(ReportCommand::Merge(m)), .. }) => {
            commands::merge(commands::MergeCommand {
                shards: m.shards,
                wait: m.wait,
                json: m.json,
                junit: m.junit,
                baseline: m.baseline,
                max_regression: m.max_regression,
                outputs: m.outputs.into(),
            })
        }
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
