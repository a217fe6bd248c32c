//! The crate's one error type: only configuration can fail; deliveries report outcomes instead.

/// A notification sink that cannot be built from its configuration.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The `url` of a webhook or Slack sink is not an absolute `http`/`https` URL.
    #[error("notification sink {sink}: url is not an absolute http(s) URL")]
    InvalidUrl {
        /// The sink's name (never the URL: a Slack URL is a secret).
        sink: String,
    },
    /// The syslog `address` is not `IP:PORT`.
    #[error("notification sink {sink}: syslog address {address:?} is not IP:PORT")]
    InvalidAddress {
        /// The sink's name.
        sink: String,
        /// The configured address.
        address: String,
    },
    /// `max_attempts` is zero.
    #[error("notification sink {sink}: max_attempts must be at least 1")]
    ZeroAttempts {
        /// The sink's name.
        sink: String,
    },
    /// The HTTP client could not be built (TLS set-up).
    #[error("notification sink {sink}: cannot build the HTTP client")]
    HttpClient {
        /// The sink's name.
        sink: String,
        /// What reqwest reported.
        #[source]
        source: reqwest::Error,
    },
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
