use std::path::PathBuf;

use plimsoll_types::Digest;

/// Why an image could not be scanned. Each variant names the part that failed; the CLI
/// prefixes the image name.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The source string is not a reference, `oci-layout:` or `docker-archive:` path.
    #[error("invalid image source `{source_spec}`: {reason}")]
    InvalidSource {
        /// As given.
        source_spec: String,
        /// What is wrong.
        reason: String,
    },
    /// Talking to the registry failed.
    #[error(transparent)]
    Registry(#[from] plimsoll_registry::Error),
    /// A layer could not be analysed.
    #[error("layer {index} ({digest})")]
    Layer {
        /// Position in the manifest.
        index: usize,
        /// Blob digest.
        digest: Digest,
        /// What the walk found.
        #[source]
        source: plimsoll_layer::Error,
    },
    /// The image config is unusable.
    #[error("image config {digest}: {reason}")]
    Config {
        /// Config digest.
        digest: Digest,
        /// What is wrong.
        reason: String,
    },
    /// The manifest describes something other than a container image we can read.
    #[error("{reference}: {reason}")]
    NotAnImage {
        /// The image.
        reference: String,
        /// What is wrong.
        reason: String,
    },
    /// A local image (OCI layout, docker archive) is unreadable.
    #[error("{path}: {reason}")]
    Local {
        /// The file or directory.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// A background task died (a bug, or the runtime shutting down).
    #[error("internal task failed: {0}")]
    Task(String),
}

/// Result with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
