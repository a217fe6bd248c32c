use serde::{Deserialize, Serialize};

use crate::{Digest, ImageConfigFacts, OsRelease, Package, PackageKind, Platform, Secret};

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
    /// Whether the layer belongs to the base image the image was built from (see
    /// `docs/inventory-json.md` for how the boundary is found).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub base_image: bool,
    /// Packages this layer added, removed or changed relative to the layers below it.
    #[serde(default, skip_serializing_if = "LayerChanges::is_empty")]
    pub changes: LayerChanges,
}

/// What one layer did to the package view of the layers below it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LayerChanges {
    /// Packages present after this layer and not before (same kind, name and file).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub added: Vec<PackageId>,
    /// Packages present before this layer and gone after it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub removed: Vec<PackageId>,
    /// Packages whose version this layer changed (upgrades and downgrades).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changed: Vec<VersionChange>,
}

impl LayerChanges {
    /// No package changed.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty() && self.changed.is_empty()
    }
}

/// A package named by kind, name and version.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct PackageId {
    /// Package manager.
    pub kind: PackageKind,
    /// Name.
    pub name: String,
    /// Version.
    pub version: String,
}

/// A package whose version a layer changed.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct VersionChange {
    /// Package manager.
    pub kind: PackageKind,
    /// Name.
    pub name: String,
    /// Version in the layers below.
    pub from: String,
    /// Version after this layer.
    pub to: String,
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
    /// Runtime settings from the image configuration, for configuration checks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<ImageConfigFacts>,
    /// Credentials found in any layer (also in files a later layer deletes: they stay in the
    /// lower blob) and in the configuration's `Env`, redacted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub secrets: Vec<Secret>,
    /// Non-fatal problems (unreadable metadata files and the like).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}
