//! Starting points for scenario authors: other tools' files turned into obharness scenarios.
//! Each importer writes YAML that passes `obharness run`'s load-time checks and lists, by
//! name, everything it could not convert.

pub mod postman;

use std::path::PathBuf;

/// What an import wrote and what it left out.
#[derive(Debug, Default)]
pub struct ImportReport {
    /// The scenario files written.
    pub written: Vec<PathBuf>,
    /// Items that were not converted, each with the item's name and the reason.
    pub skipped: Vec<Skipped>,
}

/// An item that was not converted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// The item's place in its file (`Folder / Request`).
    pub item: String,
    pub why: String,
}

/// Why an import could not run at all.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("cannot read {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{path}:{line}:{column}: {message}")]
    Parse { path: PathBuf, line: usize, column: usize, message: String },
    #[error("{path}: {message}")]
    Invalid { path: PathBuf, message: String },
    #[error("cannot write {path}: {source}")]
    Write { path: PathBuf, source: std::io::Error },
}
