//! Exit codes, each with one meaning.

/// Everything passed (skipped scenarios do not fail a run).
pub const SUCCESS: u8 = 0;
/// A check failed, or a threshold or baseline was breached.
pub const FAILURES: u8 = 1;
/// Usage or configuration error: bad arguments, unreadable or invalid input files.
pub const USAGE: u8 = 2;
/// A load run stopped by SIGINT (Ctrl-C), reported as interrupted: 128 + 2.
pub const INTERRUPTED: u8 = 130;
/// A load run stopped by SIGTERM, reported as interrupted: 128 + 15.
pub const TERMINATED: u8 = 143;
/// Stdout was closed under us (`obharness run | head -2`): ended quietly, as a shell reports a
/// process ended by SIGPIPE (128 + 13).
pub const BROKEN_PIPE: u8 = 141;

/// Ends the process quietly when `e` says stdout's reader went away; other errors are the
/// caller's.
pub fn quit_on_broken_pipe(e: &std::io::Error) {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        std::process::exit(i32::from(BROKEN_PIPE));
    }
}
