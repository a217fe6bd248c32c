use std::path::PathBuf;

use plimsoll_types::Digest;

/// What went wrong talking to a registry. Messages name the registry, repository or URL and
/// never include credentials or tokens.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The reference string does not parse.
    #[error("invalid image reference `{reference}`: {reason}")]
    InvalidReference {
        /// As given.
        reference: String,
        /// What is wrong.
        reason: String,
    },
    /// `~/.docker/config.json` (or the given file) cannot be used.
    #[error("cannot read Docker credentials from {path}: {reason}")]
    DockerConfig {
        /// File path.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// A `--ca-cert` file cannot be used.
    #[error("cannot use CA certificate {path}: {reason}")]
    CaCert {
        /// File path.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The configured proxy cannot be used.
    #[error("cannot use the proxy: {reason}")]
    Proxy {
        /// What is wrong.
        reason: String,
    },
    /// The proxy wants credentials, or refused the configured ones: a 407, or a 401 the
    /// proxy answered itself (tinyproxy's answer to a wrong password).
    #[error(
        "the proxy refused to forward the request to {url} ({status} from the proxy itself{what}); check the proxy's user and password (`proxy`, `proxy_password_env`)"
    )]
    ProxyRefused {
        /// URL requested (no query).
        url: String,
        /// 407 or 401.
        status: u16,
        /// `: Proxy Authentication Required` for a 407, else empty.
        what: &'static str,
    },
    /// The HTTP client could not be built.
    #[error("cannot build the HTTP client")]
    Client(#[source] reqwest::Error),
    /// The registry could not be reached or the connection broke.
    #[error("cannot reach {url}")]
    Transport {
        /// URL requested.
        url: String,
        /// Transport error.
        #[source]
        source: reqwest::Error,
    },
    /// 401: no credentials, or the registry rejected them.
    #[error(
        "authentication failed for {registry}/{repository} (401{detail}); pass --username/--password or log in with `docker login {registry}`"
    )]
    Unauthorized {
        /// Registry host.
        registry: String,
        /// Repository.
        repository: String,
        /// `: CODE: message` from the registry, or empty.
        detail: String,
    },
    /// 403: the credentials are valid but may not pull this repository.
    #[error("access to {registry}/{repository} denied (403{detail})")]
    Denied {
        /// Registry host.
        registry: String,
        /// Repository.
        repository: String,
        /// `: CODE: message` from the registry, or empty.
        detail: String,
    },
    /// 404 on a manifest or blob.
    #[error("{what} not found (404{detail})")]
    NotFound {
        /// ``manifest `1` `` or `blob sha256:…`.
        what: String,
        /// `: CODE: message` from the registry, or empty.
        detail: String,
    },
    /// 404 on a repository's tag list: the registry does not know the repository.
    #[error("repository {registry}/{repository} not found (404{detail})")]
    RepositoryUnknown {
        /// Registry host.
        registry: String,
        /// Repository.
        repository: String,
        /// `: CODE: message` from the registry (`NAME_UNKNOWN`), or empty.
        detail: String,
    },
    /// 401/403 on `/v2/_catalog`: listing repositories needs rights that pulling does not.
    #[error(
        "listing the repositories of {registry} was refused ({status}{detail}); the `_catalog` API needs credentials granted the `registry:catalog:*` scope (pass --username/--password or log in with `docker login {registry}`)"
    )]
    CatalogDenied {
        /// Registry host.
        registry: String,
        /// 401 or 403.
        status: u16,
        /// `: CODE: message` from the registry, or empty.
        detail: String,
    },
    /// A `Link: <…>; rel="next"` header that cannot be followed.
    #[error("cannot follow the next-page link `{link}` of {url}: {reason}")]
    PageLink {
        /// The page that sent the link (no query).
        url: String,
        /// The link as sent.
        link: String,
        /// Why it is refused.
        reason: String,
    },
    /// A vendor API (Harbor, Quay, Docker Hub…) refused the request: 401 or 403.
    #[error(
        "the API at {url} refused the request ({status}{detail}); check the registry's user and password (robot account or token) and its permissions"
    )]
    ApiRefused {
        /// URL requested (no query).
        url: String,
        /// 401 or 403.
        status: u16,
        /// The API's own message, or empty.
        detail: String,
    },
    /// A vendor API answered with a redirect to another host (or scheme). Not followed: the
    /// request carries the API's credentials, which belong to its own host only.
    #[error(
        "the API at {url} redirected to {to}, another host; not followed, so its credentials stay with their own host"
    )]
    ApiRedirect {
        /// URL requested (no query).
        url: String,
        /// Where it pointed (scheme, host and port only).
        to: String,
    },
    /// A listing page (catalog, tags) that is not the JSON the spec describes.
    #[error("malformed answer from {url}: {reason}")]
    InvalidResponse {
        /// URL requested (no query).
        url: String,
        /// Parser message.
        reason: String,
    },
    /// A repository or registry name that cannot be put in a URL.
    #[error("invalid {what} `{name}`")]
    InvalidName {
        /// `registry host` or `repository name`.
        what: &'static str,
        /// As given.
        name: String,
    },
    /// Any other unexpected HTTP status.
    #[error("{url} answered {status}{detail}")]
    Status {
        /// URL requested.
        url: String,
        /// HTTP status.
        status: u16,
        /// `: CODE: message` from the registry, or empty.
        detail: String,
    },
    /// 429/5xx persisted through every retry.
    #[error("{url} still failing after {attempts} attempts (last: {last})")]
    RetriesExhausted {
        /// URL requested.
        url: String,
        /// Attempts made.
        attempts: u32,
        /// Last status or error.
        last: String,
    },
    /// The token endpoint did not give a usable token.
    #[error("token request to {realm} failed: {reason}")]
    Token {
        /// The realm URL (no query, no credentials).
        realm: String,
        /// What went wrong.
        reason: String,
    },
    /// A Docker schema 1 manifest: deprecated since 2017, no longer pullable by Docker itself.
    #[error(
        "Docker schema 1 manifest: deprecated and not supported; re-push the image with a current client (schema 2 or OCI)"
    )]
    Schema1 {
        /// The reference.
        reference: String,
    },
    /// A manifest of a media type that is not an image or an index.
    #[error("unsupported manifest media type `{media_type}`")]
    UnsupportedMediaType {
        /// The reference.
        reference: String,
        /// The media type.
        media_type: String,
    },
    /// The manifest JSON does not parse.
    #[error("malformed manifest: {reason}")]
    InvalidManifest {
        /// The reference.
        reference: String,
        /// Parser message.
        reason: String,
    },
    /// Content does not hash to the digest it was requested by.
    #[error("{what}: content digest mismatch: expected {expected}, got {actual}")]
    DigestMismatch {
        /// What was fetched.
        what: String,
        /// The digest asked for.
        expected: Digest,
        /// The digest of the bytes received.
        actual: Digest,
    },
    /// A manifest or config larger than any real one.
    #[error("{what} exceeds {limit} bytes; refusing to buffer it")]
    TooLarge {
        /// What was fetched.
        what: String,
        /// The cap.
        limit: u64,
    },
    /// No manifest of an index matches the requested platform.
    #[error("no image for platform {wanted} in the index; available: {available}")]
    NoMatchingPlatform {
        /// The reference.
        reference: String,
        /// The platform requested.
        wanted: String,
        /// Platforms in the index, comma-separated.
        available: String,
    },
}

/// Result with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
