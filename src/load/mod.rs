//! Load runs: profiles, the goose engine with HDR recording, thresholds and baselines.

pub mod profile;
pub mod recorder;
pub mod verdict;
