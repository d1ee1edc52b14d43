//! Integration tests of the simulator over real HTTP on loopback.

mod common;
#[path = "../support/standalone.rs"]
mod standalone;

mod bad_input;
mod compat;
mod faults;
mod fuzz;
mod hardening;
mod inquiry;
mod journal;
mod ledger_props;
mod oauth;
mod quirks;
mod transfer;
mod users;
