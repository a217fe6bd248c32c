use crate::{Format, View, VulnFormat};

/// A report could not be written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A format name given on the command line or in config is not one of [`Format::ALL`].
    #[error("unknown report format `{0}`: expected one of table, json, cyclonedx-json, spdx-json")]
    UnknownFormat(String),
    /// A vulnerability report format name is not one of [`VulnFormat::ALL`].
    #[error("unknown vulnerability report format `{0}`: expected one of table, json, sarif")]
    UnknownVulnFormat(String),
    /// A report view name is not one of [`View::ALL`].
    #[error("unknown report view `{0}`: expected one of layers, modules")]
    UnknownView(String),
    /// An SBOM format was asked to describe other than exactly one image. CycloneDX and SPDX
    /// documents describe one root artefact each; merging the platforms of an index into one
    /// document would attribute every package to every platform, so callers write one document
    /// per image instead.
    #[error(
        "{format} describes exactly one image per document, got {count}: write one document per image"
    )]
    ImageCount {
        /// The format asked for.
        format: Format,
        /// How many images were passed.
        count: usize,
    },
    /// The output could not be written (a closed pipe, a full disk).
    #[error("failed to write {format} report")]
    Io {
        /// The format being written.
        format: Format,
        /// The write error; a binary checks its kind for `BrokenPipe`.
        #[source]
        source: std::io::Error,
    },
    /// A document could not be serialised. Not expected with the models we write (string keys,
    /// no non-finite floats), but serde makes it possible, so it is reported rather than hidden.
    #[error("failed to serialise {format} report")]
    Serialize {
        /// The format being written.
        format: Format,
        /// The serialiser's error.
        #[source]
        source: serde_json::Error,
    },
    /// A vulnerability report could not be written (a closed pipe, a full disk). Its own
    /// variant because [`Error::Io`] names an inventory [`Format`].
    #[error("failed to write {format} vulnerability report")]
    VulnIo {
        /// The format being written.
        format: VulnFormat,
        /// The write error; a binary checks its kind for `BrokenPipe`.
        #[source]
        source: std::io::Error,
    },
    /// A vulnerability report could not be serialised; see [`Error::Serialize`].
    #[error("failed to serialise {format} vulnerability report")]
    VulnSerialize {
        /// The format being written.
        format: VulnFormat,
        /// The serialiser's error.
        #[source]
        source: serde_json::Error,
    },
    /// A report view could not be written (a closed pipe, a full disk).
    #[error("failed to write the {view} view")]
    ViewIo {
        /// The view being written.
        view: View,
        /// The write error; a binary checks its kind for `BrokenPipe`.
        #[source]
        source: std::io::Error,
    },
    /// The clock gave a time that cannot be written as RFC 3339 (a year outside 0..=9999).
    #[error("failed to format the document creation time")]
    Timestamp(#[source] time::error::Format),
}

/// Result with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
