//! What a bundle says about the run besides its results: the tool (version, git commit, the
//! SHA-256 of the binary that ran), the machine (OS, cores, CPU, memory), the clocks (the wall
//! clock of the run, the simulator's virtual clock) and the command line.

use std::thread::JoinHandle;

use serde::{Deserialize, Serialize};

/// The git commit this binary was built from ("unknown" outside a git checkout).
pub const GIT_COMMIT: &str = env!("OBH_GIT_COMMIT");

/// The tool that made a bundle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tool {
    pub name: String,
    pub version: String,
    pub git_commit: String,
    /// SHA-256 (hex) of the executable that ran, or why it could not be read.
    pub binary_sha256: String,
}

impl Tool {
    /// `obharness 0.1.0 (commit 542116a…)`.
    pub fn describe(&self) -> String {
        let commit: String = self.git_commit.chars().take(12).collect();
        format!("{} {} (commit {commit})", self.name, self.version)
    }

    /// Whether this binary has the same version and commit, so its renderers are the ones
    /// that made the bundle's reports.
    pub fn same_build_as_this(&self) -> bool {
        self.version == env!("CARGO_PKG_VERSION") && self.git_commit == GIT_COMMIT && GIT_COMMIT != "unknown"
    }
}

/// Hashes the running executable on a thread of its own (a debug build is a few hundred MB),
/// started when a run starts and joined when its bundle is written.
pub struct BinaryHash(Option<JoinHandle<String>>);

impl BinaryHash {
    pub fn start() -> BinaryHash {
        BinaryHash(Some(std::thread::spawn(|| match std::env::current_exe() {
            Ok(path) => sha256_file(&path).unwrap_or_else(|e| format!("unreadable: {}: {e}", path.display())),
            Err(e) => format!("unknown: {e}"),
        })))
    }

    pub fn tool(mut self) -> Tool {
        let binary_sha256 = self
            .0
            .take()
            .and_then(|h| h.join().ok())
            .unwrap_or_else(|| "unknown: the hashing thread failed".to_string());
        Tool {
            name: "obharness".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            git_commit: GIT_COMMIT.into(),
            binary_sha256,
        }
    }
}

fn sha256_file(path: &std::path::Path) -> std::io::Result<String> {
    use std::io::Read;
    let mut f = std::fs::File::open(path)?;
    let mut ctx = aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA256);
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        ctx.update(&buf[..n]);
    }
    Ok(super::hex(ctx.finish().as_ref()))
}

/// The machine the run ran on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Machine {
    /// `linux`, `macos`, `windows` (Rust's `std::env::consts::OS`).
    pub os: String,
    pub arch: String,
    /// The distribution (`/etc/os-release`'s PRETTY_NAME), where known.
    pub os_release: Option<String>,
    /// The kernel release, where known.
    pub kernel: Option<String>,
    /// Cores this process could use.
    pub cores: usize,
    pub cpu: Option<String>,
    pub memory_bytes: Option<u64>,
}

impl Machine {
    pub fn now() -> Machine {
        let read = |p: &str| std::fs::read_to_string(p).ok();
        let os_release = read("/etc/os-release").and_then(|t| {
            t.lines().find_map(|l| l.strip_prefix("PRETTY_NAME=")).map(|v| v.trim().trim_matches('"').to_string())
        });
        let cpu = read("/proc/cpuinfo").and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_string())
        });
        let memory_bytes = read("/proc/meminfo").and_then(|t| {
            let kib: u64 = t
                .lines()
                .find_map(|l| l.strip_prefix("MemTotal:"))?
                .trim()
                .trim_end_matches("kB")
                .trim()
                .parse()
                .ok()?;
            Some(kib * 1024)
        });
        Machine {
            os: std::env::consts::OS.into(),
            arch: std::env::consts::ARCH.into(),
            os_release,
            kernel: read("/proc/sys/kernel/osrelease").map(|s| s.trim().to_string()),
            cores: std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
            cpu,
            memory_bytes,
        }
    }
}

/// The clocks a run used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Clocks {
    /// The wall clock: when the run started and the bundle was made (UTC, RFC 3339), and the
    /// machine's offset from UTC then.
    pub real_started_at: String,
    pub real_finished_at: String,
    pub real_utc_offset: String,
    /// Elapsed time on the monotonic clock, milliseconds.
    pub monotonic_ms: u64,
    /// The target's clock as scenarios saw it: the simulator's virtual clock (and where it
    /// starts), or the target's own.
    pub virtual_clock: String,
    /// Scenarios that moved the simulator's virtual clock (`advance_clock` steps), by id.
    pub virtual_clock_moved_by: Vec<String>,
}

/// The command that made a bundle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invocation {
    /// The arguments, known secret values scrubbed.
    pub argv: Vec<String>,
    /// The working directory the paths in `argv` and the run model are relative to.
    pub cwd: String,
}

impl Invocation {
    pub fn now() -> Invocation {
        Invocation {
            argv: std::env::args().collect(),
            cwd: std::env::current_dir().map(|d| d.display().to_string()).unwrap_or_default(),
        }
    }
}

/// `facts.json` of a bundle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Facts {
    pub tool: Tool,
    pub machine: Machine,
    pub clocks: Clocks,
    pub command: Invocation,
    /// Files the run read that could not be bundled (with why), if any.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_bundled: Vec<String>,
}
