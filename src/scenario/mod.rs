//! The YAML scenario language: the format as typed ([`model`]), loading and checking it
//! into a plan ([`load`]), templates, JSONPath.

pub mod error;
pub mod input;
pub mod jsonpath;
pub mod load;
pub mod model;
pub mod pattern;
pub mod plan;
pub mod template;
pub mod url;

pub use error::{InputError, InputErrors};
pub use load::{LoadedScenario, load};
pub use model::{Capability, Scenario, Step};
pub use plan::{Credential, PlanStep, StepKind};
