use std::io;
use std::path::PathBuf;

/// Why the vulnerability database could not be opened, read, imported or downloaded.
///
/// Bad *records* are not errors: an import skips them and counts them in its
/// [`ImportReport`](crate::ImportReport). An `Error` means the whole operation failed and, for an
/// import, that the previous database is still the current one.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// No database has been built at this path yet.
    #[error(
        "no vulnerability database at {}; run `plimsoll db import DIR` or `plimsoll db update`",
        path.display()
    )]
    Missing {
        /// The database directory.
        path: PathBuf,
    },
    /// The database was written by a Plimsoll with another on-disk schema.
    #[error(
        "vulnerability database at {} has schema version {found}, this plimsoll reads version {expected}; run `plimsoll db update` or `plimsoll db import DIR` again to rebuild it",
        path.display()
    )]
    SchemaMismatch {
        /// The database directory.
        path: PathBuf,
        /// Schema version stored in the database.
        found: u32,
        /// Schema version this build reads and writes.
        expected: u32,
    },
    /// A database file exists but its content is not what this schema writes.
    #[error("vulnerability database file {} is corrupt: {reason}", path.display())]
    Corrupt {
        /// The damaged file.
        path: PathBuf,
        /// What was wrong with it.
        reason: String,
    },
    /// Reading a database file failed.
    #[error("reading vulnerability database file {} failed", path.display())]
    ReadDb {
        /// The file.
        path: PathBuf,
        /// The I/O or decoding error.
        #[source]
        source: io::Error,
    },
    /// Writing the new database failed; the previous database is still current.
    #[error("writing vulnerability database at {} failed", path.display())]
    WriteDb {
        /// The file or directory being written.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
    /// Another process holds the database's import lock.
    #[error(
        "another import or update of the vulnerability database at {} is running",
        path.display()
    )]
    Locked {
        /// The database directory.
        path: PathBuf,
    },
    /// An import source could not be read (a record inside it being bad is not this error).
    #[error("reading import source {location} failed")]
    ReadSource {
        /// The directory, file, archive entry or URL.
        location: String,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
    /// A zip archive is unreadable as a whole (bad central directory, truncated file).
    #[error("zip archive {} is unreadable", path.display())]
    Zip {
        /// The archive.
        path: PathBuf,
        /// The zip error.
        #[source]
        source: zip::result::ZipError,
    },
    /// A source path is neither a directory, a zip archive, a JSON file nor a Debian
    /// security-tracker list.
    #[error(
        "import source {} is neither a directory, a zip archive, a JSON file nor a Debian security-tracker list",
        path.display()
    )]
    UnknownSource {
        /// The path given.
        path: PathBuf,
    },
    /// A source holds no document at all (no JSON, no tracker list), which is almost always a
    /// wrong path.
    #[error("import source {location} contains no JSON files or Debian tracker lists")]
    EmptySource {
        /// The source.
        location: String,
    },
    /// The HTTP request for a feed failed (connection, TLS, body).
    #[error("downloading {url} failed")]
    Http {
        /// The URL.
        url: String,
        /// The client error.
        #[source]
        source: reqwest::Error,
    },
    /// The server answered a feed request with an unexpected status.
    #[error("downloading {url} failed: the server answered {status}")]
    HttpStatus {
        /// The URL.
        url: String,
        /// The HTTP status code.
        status: u16,
    },
    /// The body ended before the announced length.
    #[error("downloading {url} failed: received {received} of {expected} bytes")]
    Truncated {
        /// The URL.
        url: String,
        /// Bytes received.
        received: u64,
        /// `Content-Length` announced.
        expected: u64,
    },
    /// The blocking import task of an update panicked or was cancelled.
    #[error("the import task of the update did not finish")]
    Task(#[source] tokio::task::JoinError),
}

/// Result with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
