//! Reference client "careless": the same backend code as `client_correct` with two mistakes
//! switched on: an unknown outcome (no answer, A0007, A0003) makes it re-send the transfer
//! under a new bank_tran_id instead of asking 이체결과조회, and a withdraw refused with
//! A0017/311 is repeated with the same bank_tran_id (up to 2 more times). `obharness
//! certify-client` must fail it.
//!
//! Environment and output: see `examples/client/mod.rs`.

#[path = "client/mod.rs"]
mod client;

fn main() -> std::process::ExitCode {
    client::main(client::Careless(true))
}
