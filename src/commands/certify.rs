//! `obharness certify-client`: an institution's client judged by the simulator.

use super::*;

#[derive(clap::Args)]
#[command(group(clap::ArgGroup::new("trigger").required(true).args(["trigger_cmd", "trigger_url"])))]
pub struct CertifyCommand {
    /// Client scenario files or directories.
    #[arg(default_value = "scenarios/client")]
    pub paths: Vec<PathBuf>,
    /// Where the simulator listens (the client's base URL).
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: std::net::SocketAddr,
    /// Command that runs the client once; inputs arrive as OBH_* environment variables.
    #[arg(long, value_name = "COMMAND")]
    pub trigger_cmd: Option<String>,
    /// The client's own endpoint, POSTed the inputs as JSON.
    #[arg(long, value_name = "URL")]
    pub trigger_url: Option<String>,
    /// Fail (instead of warn) when the client sends JSON numbers where KFTC's examples have
    /// strings (rule string-typed-fields).
    #[arg(long)]
    pub strict_string_fields: bool,
    /// Serve the simulator over HTTPS with a certificate made at start; the client gets the CA
    /// to trust as OBH_TLS_CA_FILE.
    #[arg(long)]
    pub tls: bool,
    /// Where to write that CA certificate (default: a file in the temporary directory).
    #[arg(long, value_name = "FILE")]
    pub tls_ca_out: Option<PathBuf>,
    /// Write a JUnit XML report.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Write the run model as JSON.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    #[command(flatten)]
    pub outputs: Outputs,
    #[command(flatten)]
    pub evidence: EvidenceArgs,
}

impl CertifyCommand {
    /// How the client is run (clap insists on exactly one of the two).
    pub fn trigger(&self) -> crate::certify::Trigger {
        match (&self.trigger_cmd, &self.trigger_url) {
            (Some(cmd), _) => crate::certify::Trigger::Command(cmd.clone()),
            (None, Some(url)) => crate::certify::Trigger::Url(url.clone()),
            (None, None) => unreachable!("clap requires one trigger"),
        }
    }
}

/// `obharness certify-client`: returns the exit code.
pub fn certify(cmd: CertifyCommand) -> anyhow::Result<u8> {
    let scenarios = match crate::certify::scenario::load(&cmd.paths) {
        Ok(s) => s,
        Err(errors) => {
            eprintln!("{errors}");
            return Ok(exit::USAGE);
        }
    };
    let mut evidence = match cmd.evidence.start(scenarios.iter().map(|s| s.path.as_path())) {
        Ok(e) => e,
        Err(code) => return Ok(code),
    };
    let style = terminal::Style::from_env();
    let runtime =
        tokio::runtime::Builder::new_multi_thread().enable_all().build().context("cannot start the runtime")?;
    let report = runtime.block_on(async {
        let mut config = crate::sim::SimConfig::embedded();
        let mut ca_file = None;
        if cmd.tls || cmd.tls_ca_out.is_some() {
            let material = crate::sim::tls::TlsMaterial::generate(cmd.listen.ip())?;
            let path = cmd.tls_ca_out.clone().unwrap_or_else(|| {
                std::env::temp_dir().join(format!("obharness-certify-ca-{}.pem", std::process::id()))
            });
            std::fs::write(&path, &material.trust_pem).with_context(|| format!("cannot write {}", path.display()))?;
            ca_file = Some(path);
            config.tls = Some(material);
        }
        let sim =
            crate::sim::start(cmd.listen, config).await.with_context(|| format!("cannot listen on {}", cmd.listen))?;
        let mut target = Target::simulator_at(&sim.base_url(), sim.admin_token());
        if let Some(path) = &ca_file {
            let pem = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
            target.tls_roots = reqwest::Certificate::from_pem_bundle(&pem)?;
            target.profile.tls_ca_file = Some(path.clone());
            say!("  TLS: the client trusts {} (OBH_TLS_CA_FILE)", path.display());
        }
        if let Some(c) = &mut evidence {
            c.target(&target);
        }
        let target = Arc::new(target);
        say!(
            "obharness certify-client: {} scenario(s); the simulator plays the center at {}",
            scenarios.len(),
            sim.base_url()
        );
        let progress_style = style;
        let progress: Arc<dyn Fn(&report::ScenarioResult) + Send + Sync> =
            Arc::new(move |r| say!("{}", terminal::scenario_line(r, &progress_style)));
        let report = crate::certify::run(scenarios, target, &cmd.trigger(), cmd.strict_string_fields, progress).await;
        sim.shutdown().await;
        anyhow::Ok(report)
    })?;
    finish_bundled(
        &report,
        evidence,
        &style,
        cmd.junit.as_deref(),
        cmd.json.as_deref(),
        &cmd.outputs,
        "client-certification",
    )
}
