//! The YAML scenario language: the format as typed ([`model`]), loading and checking it
//! into a plan ([`load`]), templates, JSONPath, and the request builder shared with the
//! load engine ([`request`]).

pub mod error;
pub mod input;
pub mod jsonpath;
pub mod load;
pub mod model;
pub mod request;
pub mod template;

pub use error::{InputError, InputErrors};
pub use load::{LoadedScenario, load};
pub use model::{Capability, Scenario, Step};
