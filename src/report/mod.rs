//! Reports: one run model ([`model::RunReport`]) and renderers that are pure functions of it.

pub mod html;
pub mod json;
pub mod junit;
pub mod load_terminal;
pub mod markdown;
pub mod model;
pub mod redact;
pub mod scale_out;
pub mod stamp;
pub mod svg;
pub mod terminal;
pub mod view;

pub use model::{CheckFailure, Outcome, RunReport, ScenarioResult, StepResult, Summary, TargetInfo};
