use std::path::PathBuf;

use crate::RunId;

/// The cause of an [`Error`] from a lower layer (`SQLite`, zstd, JSON). Boxed so the driver stays
/// out of this crate's public API.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Errors of the results store. Each names the store (or lock) file it is about; the lower-level
/// cause is the [`source`](std::error::Error::source), never repeated in the message.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The store file cannot be created.
    #[error("cannot create store {path}")]
    CreateFile {
        /// The store file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The directory that should hold the store cannot be created.
    #[error("cannot create the directory of store {path}")]
    CreateDir {
        /// The store file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// `SQLite` cannot open or create the store file.
    #[error("cannot open store {path}")]
    Open {
        /// The store file.
        path: PathBuf,
        /// Why.
        #[source]
        source: BoxError,
    },
    /// Pending schema migrations failed (or an applied one differs from this binary's copy).
    #[error("cannot migrate store {path} to the current schema")]
    Migrate {
        /// The store file.
        path: PathBuf,
        /// Why.
        #[source]
        source: BoxError,
    },
    /// The store was written by a newer Plimsoll; it was left untouched.
    #[error(
        "store {path} has schema version {found}, newer than this Plimsoll knows ({known}): \
         upgrade Plimsoll or use another store (the store was left untouched)"
    )]
    TooNew {
        /// The store file.
        path: PathBuf,
        /// The newest migration applied to the store.
        found: i64,
        /// The newest migration this binary embeds.
        known: i64,
    },
    /// A query failed.
    #[error("store {path}: cannot {action}")]
    Query {
        /// The store file.
        path: PathBuf,
        /// What was being done (`read layer facts`).
        action: &'static str,
        /// Why.
        #[source]
        source: BoxError,
    },
    /// A value cannot be serialised or compressed for storage.
    #[error("store {path}: cannot encode {what}")]
    Encode {
        /// The store file.
        path: PathBuf,
        /// The value (`the inventory of sha256:…`).
        what: String,
        /// Why.
        #[source]
        source: BoxError,
    },
    /// A stored value cannot be decoded (corrupt, or written by an incompatible version).
    #[error("store {path}: stored {what} is unreadable")]
    Corrupt {
        /// The store file.
        path: PathBuf,
        /// The value (`layer facts of sha256:…`).
        what: String,
        /// Why.
        #[source]
        source: BoxError,
    },
    /// Another process (or handle) holds the run lock.
    #[error("another scan run holds the run lock {path} ({holder})")]
    RunInProgress {
        /// The lock file.
        path: PathBuf,
        /// What the holder wrote into the lock file: its pid and start time.
        holder: String,
    },
    /// The run lock file cannot be opened, locked or written.
    #[error("cannot take the run lock {path}")]
    Lock {
        /// The lock file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// No run has this id.
    #[error("store {path}: no scan run {run}")]
    UnknownRun {
        /// The store file.
        path: PathBuf,
        /// The id asked for.
        run: RunId,
    },
}

/// Result with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
