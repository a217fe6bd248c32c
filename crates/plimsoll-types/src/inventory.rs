use serde::{Deserialize, Serialize};

use crate::{Digest, OsRelease, Package, Platform};

/// Where an image was read from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum ImageSource {
    /// A registry speaking the OCI distribution API.
    Registry {
        /// Normalised reference (`docker.io/library/alpine:latest`).
        reference: String,
    },
    /// An OCI image layout directory.
    OciLayout {
        /// Directory path as given.
        path: String,
        /// The `org.opencontainers.image.ref.name` selected, if any.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reference: Option<String>,
    },
    /// A `docker save` tarball.
    DockerArchive {
        /// File path as given.
        path: String,
    },
}

impl ImageSource {
    /// A one-line name for logs and tables.
    pub fn display_name(&self) -> String {
        match self {
            ImageSource::Registry { reference } => reference.clone(),
            ImageSource::OciLayout { path, reference } => match reference {
                Some(r) => format!("oci-layout:{path}:{r}"),
                None => format!("oci-layout:{path}"),
            },
            ImageSource::DockerArchive { path } => format!("docker-archive:{path}"),
        }
    }
}

/// One layer of an image as shown to users.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LayerSummary {
    /// Position, 0 = base.
    pub index: usize,
    /// Blob digest.
    pub digest: Digest,
    /// Uncompressed tar digest.
    pub diff_id: Digest,
    /// Blob media type.
    pub media_type: String,
    /// Blob size in bytes.
    pub compressed_size: u64,
    /// Uncompressed size in bytes.
    pub uncompressed_size: u64,
    /// The `created_by` command from the config history, where it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
}

/// The package inventory of one image (one platform of an index).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageInventory {
    /// Where the image came from.
    pub source: ImageSource,
    /// Digest of the image manifest (of this platform's manifest for an index).
    pub manifest_digest: Digest,
    /// Digest of the index the manifest was chosen from, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index_digest: Option<Digest>,
    /// Digest of the image config.
    pub config_digest: Digest,
    /// Platform from the image config.
    pub platform: Platform,
    /// Creation time from the image config, RFC 3339, as recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    /// Distribution, if any `os-release` survives in the image view.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os: Option<OsRelease>,
    /// Layers, base first.
    pub layers: Vec<LayerSummary>,
    /// Packages of the image view, sorted by (kind, name, version, path).
    pub packages: Vec<Package>,
    /// Non-fatal problems (unreadable metadata files and the like).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}
