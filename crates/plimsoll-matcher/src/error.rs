/// Why matching could not run at all (per-package problems are reported in the outcome).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The vulnerability database could not be read.
    #[error(transparent)]
    Database(#[from] plimsoll_vulndb::Error),
}

/// Result with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
