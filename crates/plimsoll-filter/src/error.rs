/// A filter configuration that cannot be used. Messages name the key or the pattern.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A `re:` pattern whose regular expression does not compile.
    #[error("invalid regular expression in pattern \"{pattern}\"")]
    Regex {
        /// The pattern as written (with its `re:` prefix).
        pattern: String,
        /// The regex parser's explanation.
        #[source]
        source: Box<regex::Error>,
    },
    /// An empty pattern (or a bare `re:`), which would match nothing.
    #[error("empty pattern \"{pattern}\"")]
    EmptyPattern {
        /// The pattern as written.
        pattern: String,
    },
    /// A limit outside its allowed range.
    #[error("{key} = {value} is out of range (allowed {min}..={max})")]
    OutOfRange {
        /// The configuration key (`max_age_days`).
        key: &'static str,
        /// The value given.
        value: u32,
        /// Smallest allowed.
        min: u32,
        /// Largest allowed.
        max: u32,
    },
}

impl Error {
    /// The message with its causes, for places that keep only a string (serde errors).
    pub(crate) fn with_causes(&self) -> String {
        let mut message = self.to_string();
        let mut source = std::error::Error::source(self);
        while let Some(cause) = source {
            message.push_str(": ");
            message.push_str(&cause.to_string());
            source = cause.source();
        }
        message
    }
}

/// Result with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
