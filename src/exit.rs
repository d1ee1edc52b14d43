//! Exit codes, each with one meaning.

/// Everything passed (skipped scenarios do not fail a run).
pub const SUCCESS: u8 = 0;
/// A check failed, or a threshold or baseline was breached.
pub const FAILURES: u8 = 1;
/// Usage or configuration error: bad arguments, unreadable or invalid input files.
pub const USAGE: u8 = 2;
