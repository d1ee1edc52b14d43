//! Reports: one run model ([`model::RunReport`]) and renderers that are pure functions of it.

pub mod json;
pub mod junit;
pub mod model;
pub mod terminal;

pub use model::{CheckFailure, Outcome, RunReport, ScenarioResult, StepResult, Summary, TargetInfo};
