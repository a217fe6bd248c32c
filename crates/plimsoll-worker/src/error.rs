use std::path::PathBuf;

/// Why a registry scan, a re-match or an export could not run at all. Failures of single
/// images are not errors: they are outcomes, counted and stored, and the run goes on.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A configuration value is missing, out of range or inconsistent.
    #[error("configuration: {0}")]
    Config(String),
    /// The results store failed.
    #[error(transparent)]
    Store(#[from] plimsoll_store::Error),
    /// The vulnerability database failed.
    #[error(transparent)]
    VulnDb(#[from] plimsoll_vulndb::Error),
    /// Building a registry client failed (a CA file, say).
    #[error("registry `{registry}`: {source}")]
    Registry {
        /// The registry's name.
        registry: String,
        /// What failed.
        #[source]
        source: plimsoll_registry::Error,
    },
    /// Matching could not read the vulnerability database.
    #[error(transparent)]
    Matching(#[from] plimsoll_matcher::Error),
    /// Writing a report failed.
    #[error("{path}: {reason}")]
    Output {
        /// The file or directory.
        path: PathBuf,
        /// What failed.
        reason: String,
    },
    /// A background task died (a bug, or the runtime shutting down).
    #[error("internal task failed: {0}")]
    Task(String),
}

/// This crate's result.
pub type Result<T, E = Error> = std::result::Result<T, E>;
