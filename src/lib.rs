//! obharness: conformance and load-test harness for the Korean Open Banking API (KFTC API
//! v2.0), with a faithful, stateful simulator of the center as its default target.

pub mod spec;
