//! A faithful, stateful simulator of the Open Banking center and its participating banks:
//! OAuth, users, accounts, a double-entry ledger, consents on a virtual clock, the
//! bank_tran_id registry, the IP whitelist, fault injection, defect modes, a request
//! journal and an admin API. It is the default target (in-process, on an ephemeral
//! loopback port) and a standalone server (`obharness sim`).

pub mod admin;
pub mod api;
pub mod auth;
pub mod center;
pub mod clock;
pub mod config;
pub mod consent_page;
pub mod faults;
pub mod fixture;
pub mod forwarded;
pub mod http;
pub mod journal;
pub mod ledger;
pub mod oauth;
pub mod openapi;
pub mod registry;
pub mod server;
pub mod strict_json;
pub mod tls;

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::watch;

pub use center::Center;
pub use config::{ConfigError, Quirk, SimConfig};
pub use fixture::Fixture;

/// A running simulator; dropping it stops accepting connections.
pub struct SimHandle {
    pub addr: SocketAddr,
    /// Whether the listener speaks HTTPS (`--tls`).
    pub tls: bool,
    pub center: Arc<Center>,
    shutdown: watch::Sender<bool>,
    running: Option<Running>,
}

/// Where a simulator's server runs, to wait for it to stop.
enum Running {
    /// A task on the caller's runtime.
    Task(tokio::task::JoinHandle<()>),
    /// A runtime on a thread of its own ([`start_embedded_apart`]): told when it has stopped.
    Apart(tokio::sync::oneshot::Receiver<()>),
}

impl SimHandle {
    /// `http://127.0.0.1:PORT` (`https://` over TLS).
    pub fn base_url(&self) -> String {
        let scheme = if self.tls { "https" } else { "http" };
        format!("{scheme}://{}", self.addr)
    }

    pub fn admin_token(&self) -> &str {
        &self.center.admin_token
    }

    /// Stops the listener and every open connection, and waits for it.
    pub async fn shutdown(mut self) {
        let _ = self.shutdown.send(true);
        match self.running.take() {
            Some(Running::Task(task)) => {
                let _ = task.await;
            }
            Some(Running::Apart(stopped)) => {
                let _ = stopped.await;
            }
            None => {}
        }
    }
}

impl Drop for SimHandle {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
    }
}

/// Starts a simulator on an already-bound listener, on the current tokio runtime. A
/// configuration that must not start (see [`SimConfig::validate`]) is an `InvalidInput` error.
pub fn start_on(listener: TcpListener, config: SimConfig) -> std::io::Result<SimHandle> {
    config.validate().map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
    let addr = listener.local_addr()?;
    let acceptor = match &config.tls {
        Some(material) => Some(material.acceptor().map_err(std::io::Error::other)?),
        None => None,
    };
    let tls = acceptor.is_some();
    let center = Center::new(config);
    let (tx, rx) = watch::channel(false);
    let router = server::router(center.clone());
    let task = tokio::spawn(server::serve(listener, router, rx, center.config.request_timeout, acceptor));
    Ok(SimHandle { addr, tls, center, shutdown: tx, running: Some(Running::Task(task)) })
}

/// Starts a simulator on `addr` (use port 0 for an ephemeral port).
pub async fn start(addr: SocketAddr, config: SimConfig) -> std::io::Result<SimHandle> {
    start_on(TcpListener::bind(addr).await?, config)
}

/// The embedded default target: the fixed clock start and default fixture on `127.0.0.1:0`.
pub async fn start_embedded(config: SimConfig) -> std::io::Result<SimHandle> {
    start(SocketAddr::from(([127, 0, 0, 1], 0)), config).await
}

/// The simulator's own runtime: with one thread, a current-thread runtime (no work-stealing
/// machinery, no wake-ups across threads), else `workers` worker threads.
fn runtime(workers: usize) -> std::io::Result<tokio::runtime::Runtime> {
    if workers <= 1 {
        tokio::runtime::Builder::new_current_thread().enable_all().build()
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(workers)
            .thread_name("obharness-sim")
            .enable_all()
            .build()
    }
}

/// Starts the embedded simulator on a tokio runtime of its own, on threads of its own
/// (`workers`; 1 is a current-thread runtime on one thread). A load run in the same process
/// then shares the cores with it as a separate generator would, instead of queueing its
/// requests behind the simulator's tasks on the same workers. The runtime ends when the
/// handle is shut down or dropped.
pub async fn start_embedded_apart(config: SimConfig, workers: usize) -> std::io::Result<SimHandle> {
    let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
    std::thread::Builder::new().name("obharness-sim".into()).spawn(move || {
        let runtime = match runtime(workers) {
            Ok(r) => r,
            Err(e) => {
                let _ = ready_tx.send(Err(e));
                return;
            }
        };
        runtime.block_on(async move {
            let mut handle = match start_embedded(config).await {
                Ok(h) => h,
                Err(e) => {
                    let _ = ready_tx.send(Err(e));
                    return;
                }
            };
            let (stopped_tx, stopped_rx) = tokio::sync::oneshot::channel();
            let task = handle.running.replace(Running::Apart(stopped_rx));
            // A caller that went away drops the handle, which stops the server.
            drop(ready_tx.send(Ok(handle)));
            if let Some(Running::Task(task)) = task {
                let _ = task.await;
            }
            let _ = stopped_tx.send(());
        });
    })?;
    ready_rx.await.map_err(|_| std::io::Error::other("the simulator's thread ended before it started"))?
}

/// Options of `obharness sim` beyond the simulator's own configuration.
pub struct StandaloneOptions {
    pub listen: SocketAddr,
    /// tokio worker threads; one is best when a load generator shares the machine.
    pub workers: usize,
    /// Where to write the certificate a client should trust (`--tls-ca-out`).
    pub tls_ca_out: Option<std::path::PathBuf>,
}

/// Runs a standalone simulator until Ctrl-C, printing its addresses and admin token.
pub fn run_standalone(opts: StandaloneOptions, config: SimConfig) -> anyhow::Result<()> {
    use anyhow::Context;
    config.validate()?;
    let runtime = runtime(opts.workers).context("cannot start the tokio runtime")?;
    // A closed stdout (`obharness sim | head -1`) must not bring the simulator down.
    macro_rules! say {
        ($($arg:tt)*) => {{
            use std::io::Write;
            let _ = writeln!(std::io::stdout(), $($arg)*);
        }};
    }
    runtime.block_on(async move {
        let quirks: Vec<&str> = config.quirks.iter().map(|q| q.name()).collect();
        let trust_pem = config.tls.as_ref().map(|m| m.trust_pem.clone());
        let handle = start(opts.listen, config).await.with_context(|| format!("cannot listen on {}", opts.listen))?;
        let base = handle.base_url();
        say!("obharness simulator listening on {base}");
        say!("  API:      {base}/v2.0/…  {base}/oauth/2.0/…");
        say!("  OpenAPI:  {base}/openapi.json");
        say!("  admin:    {base}/_sim/  (header X-Sim-Admin-Token: {})", handle.admin_token());
        say!("  clock:    {}", handle.center.now().to_rfc3339());
        if let Some(pem) = trust_pem {
            match &opts.tls_ca_out {
                Some(path) => {
                    std::fs::write(path, &pem).with_context(|| format!("cannot write {}", path.display()))?;
                    say!(
                        "  TLS:      trust {} (e.g. curl --cacert {0}, reqwest Certificate::from_pem,",
                        path.display()
                    );
                    say!("            Java keytool -importcert -file {0}, NODE_EXTRA_CA_CERTS={0})", path.display());
                }
                None => {
                    say!("  TLS:      trust this certificate (or pass --tls-ca-out FILE to have it written):");
                    say!("{}", pem.trim_end());
                }
            }
        }
        if !quirks.is_empty() {
            say!("  DEFECT MODES ON (non-conformant on purpose): {}", quirks.join(", "));
        }
        tokio::signal::ctrl_c().await.context("cannot wait for Ctrl-C")?;
        say!("stopping");
        handle.shutdown().await;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_simulator_on_a_thread_of_its_own_answers_and_stops() {
        for threads in [1, 2] {
            let handle = start_embedded_apart(SimConfig::embedded(), threads).await.unwrap();
            let url = format!("{}/openapi.json", handle.base_url());
            let answer = reqwest::get(&url).await.unwrap();
            assert_eq!(answer.status(), 200);
            // The caller sees the same center the server changes.
            assert!(handle.center.now() > chrono::DateTime::<chrono::Utc>::MIN_UTC);
            handle.shutdown().await;
            assert!(reqwest::get(&url).await.is_err(), "stopped with {threads} thread(s)");
        }
    }
}
