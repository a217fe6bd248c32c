use serde::{Deserialize, Serialize};

use crate::{Digest, OsRelease, Package, Secret};

/// A cataloger's name and parser version. A layer's facts are valid only for the exact set of
/// analyzer versions that produced them; bumping one invalidates cached facts (STYLE rule 8).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct AnalyzerVersion {
    /// Cataloger name (`dpkg`, `apk`, `python`, `npm`, `os-release`).
    pub name: String,
    /// Its output version.
    pub version: u32,
}

/// What a cataloger read from one file of a layer.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileFacts {
    /// Absolute path inside the image, normalised (`/var/lib/dpkg/status`).
    pub path: String,
    /// Name of the cataloger that read it.
    pub cataloger: String,
    /// Packages the file records.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub packages: Vec<Package>,
    /// The distribution, when the file is an `os-release`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os: Option<OsRelease>,
    /// Problems reading this file that did not stop the rest (a malformed stanza, say).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// Everything one layer contributes, computed from the layer's bytes alone.
///
/// This is a pure function of `(digest, analyzers)`: it does not depend on the image, the
/// layers below or the tag, so it is computed once per distinct layer and cached by digest.
/// Folding facts into an image view (whiteouts, overwrites, origin layer) is the inventory's job.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LayerFacts {
    /// Digest of the layer blob (compressed, as stored).
    pub digest: Digest,
    /// Digest of the uncompressed tar stream.
    pub diff_id: Digest,
    /// Size of the blob in bytes.
    pub compressed_size: u64,
    /// Size of the uncompressed tar stream in bytes.
    pub uncompressed_size: u64,
    /// Number of tar entries walked.
    pub entries: u64,
    /// The catalogers that produced these facts.
    pub analyzers: Vec<AnalyzerVersion>,
    /// Files a cataloger read, sorted by path.
    pub files: Vec<FileFacts>,
    /// Paths this layer deletes from the layers below (`.wh.<name>` entries), absolute.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub whiteouts: Vec<String>,
    /// Directories whose lower-layer contents this layer hides (`.wh..wh..opq`), absolute.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub opaque_dirs: Vec<String>,
    /// Credentials found in this layer's files (redacted), sorted by (path, line, rule).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub secrets: Vec<Secret>,
}
