use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::Severity;

/// The runtime settings of an image configuration that security checks read
/// (OCI image-spec `config.md`, `config` object). Environment values are not kept: they may
/// hold credentials; secrets in them are reported as [`crate::Secret`]s instead.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageConfigFacts {
    /// `User`, as written (`""` and absent both mean root).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// `ExposedPorts` keys (`8080/tcp`), sorted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exposed_ports: Vec<String>,
    /// Names of the `Env` variables, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub env_names: Vec<String>,
    /// Whether a `Healthcheck` with a test other than `NONE` is set (Docker configs only; OCI
    /// has no health check field).
    #[serde(default)]
    pub healthcheck: bool,
    /// `Entrypoint` followed by `Cmd`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub command: Vec<String>,
    /// `Labels`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
}

/// A finding about an image's configuration or provenance rather than a package (runs as
/// root, no health check, `latest` tag, old image). Ids are stable (`PLM-CFG-001`), so policies
/// and ignore files can name them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigFinding {
    /// Stable id.
    pub id: String,
    /// Severity of the weakness.
    pub severity: Severity,
    /// One-line title.
    pub title: String,
    /// What was found, specific to this image (`User is "" (root)`).
    pub detail: String,
}
