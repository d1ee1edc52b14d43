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
