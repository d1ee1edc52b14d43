//! Reference client "correct": an institution backend's transfer code that follows the KFTC
//! handling table (이체결과조회 when the outcome is unknown, never a re-send; A0017/311 is a
//! refusal; 계좌등록확인 on expired consent). Used by `obharness certify-client`.
//!
//! ```text
//! cargo build --example client_correct
//! OBH_BASE_URL=http://127.0.0.1:8080 OBH_ACTION=withdraw OBH_AMOUNT=10000 … \
//!     target/debug/examples/client_correct
//! ```
//! Environment and output: see `examples/client/mod.rs`.

#[path = "client/mod.rs"]
mod client;

fn main() -> std::process::ExitCode {
    client::main(client::Careless(false))
}
