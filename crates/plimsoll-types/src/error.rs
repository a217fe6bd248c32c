/// Errors from parsing the shared models.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A digest string is not `algorithm:hex` with a known algorithm and length.
    #[error("invalid digest `{0}`: expected `sha256:` followed by 64 lowercase hex digits")]
    InvalidDigest(String),
    /// A platform string is not `os/arch[/variant]`.
    #[error("invalid platform `{0}`: expected `os/arch` or `os/arch/variant`")]
    InvalidPlatform(String),
    /// A severity name is not one of the five buckets.
    #[error("invalid severity `{0}`: expected UNKNOWN, LOW, MEDIUM, HIGH or CRITICAL")]
    InvalidSeverity(String),
}

/// Result with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
