use crate::Vendor;

/// What went wrong discovering a registry's contents. The registry's own error is the
/// `source` (boxed, to keep `Result` small), so messages do not repeat it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A registry `type` that is not in [`Vendor::ALL`].
    #[error("unknown registry type `{name}`; known types: {known}")]
    UnknownType {
        /// As configured.
        name: String,
        /// The accepted names, comma-separated.
        known: String,
    },
    /// The registry's configuration does not suit its vendor.
    #[error("registry {registry}: {reason}")]
    Config {
        /// Registry host.
        registry: String,
        /// What is wrong.
        reason: String,
    },
    /// A vendor API answered something its documentation does not describe.
    #[error("{registry}: unexpected answer from {url}: {reason}")]
    Api {
        /// Registry host.
        registry: String,
        /// URL requested (no query).
        url: String,
        /// What is wrong.
        reason: String,
    },
    /// Listing the repositories failed.
    #[error("cannot list the repositories of {registry}")]
    Repositories {
        /// Registry host.
        registry: String,
        /// The registry's error.
        #[source]
        source: Box<plimsoll_registry::Error>,
    },
    /// Listing the tags of one repository failed.
    #[error("cannot list the tags of {registry}/{repository}")]
    Tags {
        /// Registry host.
        registry: String,
        /// Repository.
        repository: String,
        /// The registry's error ([`plimsoll_registry::Error::RepositoryUnknown`] for a
        /// repository the registry does not know).
        #[source]
        source: Box<plimsoll_registry::Error>,
    },
    /// An AWS configuration that cannot work (checked before or while resolving it).
    #[error("{reason}")]
    AwsConfig {
        /// What is wrong, naming the key.
        reason: String,
    },
    /// An AWS API call failed (the SDK's message, which never holds credentials).
    #[error("{target}: {action} failed: {reason}")]
    Aws {
        /// What was asked about: a registry host, an account, a role.
        target: String,
        /// The API action.
        action: &'static str,
        /// The error with its causes.
        reason: String,
    },
    /// A Google access token could not be had for a service account.
    #[error("{registry}: no access token for {account} from {token_host}: {reason}")]
    Google {
        /// Registry host.
        registry: String,
        /// The service account's e-mail address.
        account: String,
        /// The token endpoint's host.
        token_host: String,
        /// What failed (never the key or a token).
        reason: String,
    },
    /// A vendor whose registries come from [`crate::resolve`], asked for through
    /// [`crate::discovery`].
    #[error("`{vendor}` registries are found with plimsoll_vendors::resolve")]
    NeedsResolve {
        /// The vendor.
        vendor: Vendor,
    },
}

/// Result with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
