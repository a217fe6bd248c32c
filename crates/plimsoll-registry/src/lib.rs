//! OCI Distribution v2 client: the first stage of the pipeline, from an image reference to
//! manifests, configs and layer byte streams.
//!
//! - [`Reference`]: parsing and Docker-style normalisation (`alpine` →
//!   `docker.io/library/alpine:latest`).
//! - [`RegistryClient`]: anonymous, basic and bearer-token auth (the `WWW-Authenticate`
//!   challenge flow, tokens cached per scope), credentials from a [`CredentialStore`] that only
//!   ever hands a secret to the host it belongs to, retries with exponential backoff that
//!   honour `Retry-After`, plain-HTTP fallback for loopback registries; manifest digests by
//!   `HEAD` ([`RegistryClient::manifest_digest`]).
//! - Listing: [`RegistryClient::catalog`] (`/v2/_catalog`) and [`RegistryClient::tags`]
//!   (`/v2/<name>/tags/list`), following `Link: <…>; rel="next"` pages on the same host only.
//! - Vendor APIs: [`RegistryClient::api_get`], JSON GETs to Harbor's, Quay's, Docker Hub's
//!   own APIs with the caller's [`ApiAuth`], redirects and next pages only on the same host;
//!   [`RegistryClient::api_post_form`] for a token grant (IBM Cloud IAM);
//!   [`RegistryClient::registry_api_get`] for vendor extensions on the registry host behind
//!   its own token service (ACR's `/acr/v1`), with the scope the vendor names.
//! - [`manifest`]: parsing of OCI/Docker manifests and indexes (schema 1 refused with a clear
//!   error) and platform selection, also used for OCI layouts and docker archives.
//!
//! Manifests and configs are small and verified against their digest here; layer blobs are
//! returned as streams and verified by the layer walk as it reads them, so no byte is hashed
//! twice. Redirects (blob storage on S3 and the like) are followed by reqwest, which drops the
//! `Authorization` header whenever the redirect leaves the host.
//!
//! Depends only on `plimsoll-types`.
//!
//! ```
//! use plimsoll_registry::Reference;
//! let r: Reference = "alpine:3.19".parse().unwrap();
//! assert_eq!(r.to_string(), "docker.io/library/alpine:3.19");
//! assert_eq!(r.repository(), "library/alpine");
//! ```

mod api;
mod auth;
mod client;
mod error;
mod listing;
pub mod manifest;
mod reference;

pub use crate::api::{ApiAuth, ApiResponse};
pub use crate::auth::{CredentialStore, Credentials, SharedCredentials};
pub use crate::client::{ByteStream, RegistryClient, RegistryClientBuilder};
pub use crate::error::{Error, Result};
pub use crate::listing::MAX_PAGE_SIZE;
pub use crate::manifest::{FetchedManifest, Manifest, PlatformManifest};
pub use crate::reference::{DOCKER_HUB, Reference};
