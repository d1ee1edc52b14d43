//! The protocol, once: the API catalogue, field formats, typed identifiers and the
//! response-code table with each code's required handling.
//!
//! The simulator, the runner, the load engine and the reports read this module; nothing
//! else hard-codes an API path or a response code.

pub mod banks;
pub mod catalogue;
pub mod codes;
pub mod fields;
pub mod ids;
pub mod rules;
pub mod time;

pub use catalogue::{Api, ApiId, Consent, ParamsIn, Scope};
pub use codes::{BankRspCode, Handling, RspCode};
pub use fields::{Field, Format};
pub use ids::{Amount, BankTranId, ClientUseCode, FintechUseNum, IdError, TranDtime, UserSeqNo};

/// The closest known name to `name`, for "did you mean …?" hints.
pub fn suggest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (strsim::damerau_levenshtein(name, c), c))
        .filter(|(d, c)| *d <= 3.max(c.len() / 4))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}
