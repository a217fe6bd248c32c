/// A metadata file could not be read at all.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The file is not valid for its format.
    #[error("malformed {format} file {path}: {reason}")]
    Malformed {
        /// Format name (`dpkg status`, `package.json`, …).
        format: &'static str,
        /// Path inside the image.
        path: String,
        /// What is wrong, briefly.
        reason: String,
    },
    /// A JSON metadata file does not parse.
    #[error("malformed JSON in {path}")]
    Json {
        /// Path inside the image.
        path: String,
        /// Parser error.
        #[source]
        source: serde_json::Error,
    },
    /// A file streamed to its cataloger could not be read to its end.
    #[error("reading {path} failed")]
    Read {
        /// Path inside the image.
        path: String,
        /// The stream's error.
        #[source]
        source: std::io::Error,
    },
    /// A TOML metadata file (`Cargo.lock`) does not parse.
    #[error("malformed TOML in {path}")]
    Toml {
        /// Path inside the image.
        path: String,
        /// Parser error (boxed: it is large).
        #[source]
        source: Box<toml::de::Error>,
    },
}

/// Result with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
