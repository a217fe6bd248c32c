//! Errors of the crate: only building an allow-list from configuration can fail.

/// What went wrong.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An allow-list names a rule the scanner does not have (a typo would allow nothing).
    #[error("unknown secret rule `{rule}` in allow-list (known: {known})")]
    UnknownRule {
        /// The id given.
        rule: String,
        /// The built-in rule ids, comma-separated.
        known: String,
    },
    /// An allow-list path glob is empty.
    #[error("empty path glob in secret allow-list")]
    EmptyGlob,
    /// An allow-list path glob could not be compiled.
    #[error("invalid path glob `{glob}` in secret allow-list")]
    BadGlob {
        /// The glob given.
        glob: String,
        /// Why the translated pattern failed.
        #[source]
        source: Box<regex::Error>,
    },
}

/// Result with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
