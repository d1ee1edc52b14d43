//! `obharness sim` in a process of its own, on a free loopback port (its first line names the
//! base URL), killed when dropped. Shared by the test binaries that need one.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

pub struct Standalone {
    pub child: Child,
    pub base: String,
}

impl Standalone {
    /// Starts `obharness sim --listen 127.0.0.1:0` with `args` added.
    pub fn start(args: &[&str]) -> Standalone {
        let mut child = Command::new(env!("CARGO_BIN_EXE_obharness"))
            .args(["sim", "--listen", "127.0.0.1:0"])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut first = String::new();
        out.read_line(&mut first).unwrap();
        // Keep reading, so the simulator never writes into a closed pipe.
        std::thread::spawn(move || std::io::copy(&mut out, &mut std::io::sink()));
        let base = first.trim().rsplit(' ').next().unwrap().to_string();
        assert!(base.starts_with("http://127.0.0.1:"), "{first}");
        Standalone { child, base }
    }
}

impl Drop for Standalone {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
