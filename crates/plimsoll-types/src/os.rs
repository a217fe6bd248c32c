use serde::{Deserialize, Serialize};

/// The distribution an image is built on, from `os-release(5)`.
///
/// Distroless images have no package manager but still ship `/etc/os-release`
/// (e.g. `ID=debian`, `VERSION_ID=12`, `PRETTY_NAME="Distroless"`), which is what tells the
/// matcher which Debian release their dpkg `status.d` packages belong to.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OsRelease {
    /// `ID`: `debian`, `alpine`, `ubuntu`, …
    pub id: String,
    /// `VERSION_ID`: `12`, `3.19.1`, `22.04`; absent on rolling releases such as Debian sid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_id: Option<String>,
    /// `VERSION_CODENAME`: `bookworm`, `jammy`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_codename: Option<String>,
    /// `PRETTY_NAME`, for display.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pretty_name: Option<String>,
    /// `ID_LIKE`, split on whitespace.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub id_like: Vec<String>,
}
