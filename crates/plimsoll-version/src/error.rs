/// Why a version could not be parsed or compared.
///
/// A version that its scheme cannot read is always an error, never a guess: a scanner that
/// silently ordered an unreadable version would report it vulnerable or safe at random.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The string is not a version of the scheme; `reason` names the rule it breaks.
    #[error("invalid {scheme} version {version:?}: {reason}")]
    InvalidVersion {
        /// The scheme's [`name`](crate::VersionScheme::name).
        scheme: &'static str,
        /// The string as given.
        version: String,
        /// The broken rule, e.g. "nothing after the epoch colon".
        reason: &'static str,
    },
    /// The PEP 440 parser (`pep440_rs`) rejected the string.
    #[error("invalid pep440 version {version:?}")]
    InvalidPep440 {
        /// The string as given.
        version: String,
        /// The parser's own diagnosis.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// Two versions of different schemes have no order.
    #[error("cannot order a {left} version against a {right} version")]
    SchemeMismatch {
        /// Scheme of the left-hand version.
        left: &'static str,
        /// Scheme of the right-hand version.
        right: &'static str,
    },
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub(crate) fn invalid(scheme: &'static str, version: &str, reason: &'static str) -> Self {
        Error::InvalidVersion {
            scheme,
            version: version.to_owned(),
            reason,
        }
    }
}
