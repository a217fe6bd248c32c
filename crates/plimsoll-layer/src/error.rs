use std::io;

use plimsoll_types::Digest;

use crate::Compression;

/// Why a layer could not be walked.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The blob ended or broke inside the compressed stream.
    #[error("{compression} stream is corrupt or truncated")]
    Decompress {
        /// The compression detected from the magic bytes.
        compression: Compression,
        /// Decoder error.
        #[source]
        source: io::Error,
    },
    /// The uncompressed bytes are not a valid tar stream.
    #[error("invalid tar stream")]
    Tar(#[source] io::Error),
    /// An entry path climbs out of the image root.
    #[error("tar entry `{path}` escapes the image root (`..` component); refusing hostile layer")]
    UnsafePath {
        /// The path as written in the tar header.
        path: String,
    },
    /// The layer expands beyond the configured size cap.
    #[error(
        "layer expands beyond {limit} bytes uncompressed (decompression bomb?); raise --max-layer-size to allow"
    )]
    TooLarge {
        /// The cap in bytes.
        limit: u64,
    },
    /// The layer expands faster than the configured ratio allows.
    #[error(
        "layer expands {ratio}x ({uncompressed} bytes from {compressed}), above the {limit}x cap (decompression bomb?); raise --max-expansion-ratio to allow"
    )]
    ExpansionRatio {
        /// Observed ratio.
        ratio: u64,
        /// Uncompressed bytes so far.
        uncompressed: u64,
        /// Compressed bytes so far.
        compressed: u64,
        /// The cap.
        limit: u64,
    },
    /// The blob's content does not hash to its digest.
    #[error("content digest mismatch: expected {expected}, got {actual}")]
    DigestMismatch {
        /// The digest the manifest or layout names.
        expected: Digest,
        /// The digest of the bytes received.
        actual: Digest,
    },
    /// The uncompressed stream does not hash to the diff-id the image config names.
    #[error("uncompressed layer digest mismatch: config says {expected}, content is {actual}")]
    DiffIdMismatch {
        /// `rootfs.diff_ids` entry from the image config.
        expected: Digest,
        /// Digest of the uncompressed bytes.
        actual: Digest,
    },
    /// Reading the blob failed (network, disk).
    #[error("reading layer blob failed")]
    Read(#[source] io::Error),
    /// A visitor (cataloger) failed fatally.
    #[error("analysing entry {path} failed: {message}")]
    Visitor {
        /// Entry path.
        path: String,
        /// What went wrong.
        message: String,
    },
}

/// Result with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
