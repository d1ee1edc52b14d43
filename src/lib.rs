//! obharness: conformance and load-test harness for the Korean Open Banking API (KFTC API
//! v2.0), with a faithful, stateful simulator of the center as its default target.
//!
//! - [`protocol`]: the protocol, once (catalogue, field formats, codes and their handling).
//! - [`sim`]: the simulator of the center, embedded or standalone.

pub mod certify;
pub mod commands;
pub mod conform;
pub mod diff;
pub mod evidence;
pub mod exit;
pub mod golden;
pub mod import;
pub mod load;
pub mod memory;
pub mod protocol;
pub mod report;
pub mod scenario;
pub mod sim;
pub mod target;
