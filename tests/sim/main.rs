//! Integration tests of the simulator over real HTTP on loopback.

mod common;

mod bad_input;
mod compat;
mod faults;
mod inquiry;
mod ledger_props;
mod oauth;
mod quirks;
mod transfer;
mod users;
