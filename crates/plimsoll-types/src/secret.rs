use serde::{Deserialize, Serialize};

use crate::{LayerRef, Severity};

/// A credential found in a file of a layer (or in the image configuration).
///
/// The secret itself is never stored: `redacted` keeps only a short prefix of the match and
/// masks the rest, so facts, stores and every report can be shared without leaking it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Secret {
    /// Rule id (`aws-access-key-id`, `private-key`, …); allow-lists and policies use it.
    pub rule: String,
    /// What kind of credential the rule finds (`AWS`, `GitHub`, `PrivateKey`, `Generic`).
    pub category: String,
    /// Human title of the rule.
    pub title: String,
    /// How bad a leak of this kind is.
    pub severity: Severity,
    /// Where: the absolute path inside the image, or `config:ENV` for the image configuration.
    pub path: String,
    /// Line of the match, 1-based (0 when not line-oriented).
    pub line: u32,
    /// The match with all but a short prefix masked (`AKIA************MPLE` never appears:
    /// `AKIA****************`).
    pub redacted: String,
    /// The layer whose blob holds the file, set by the inventory fold.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layer: Option<LayerRef>,
    /// Index of a later layer that deletes the file (whiteout or opaque directory). The secret
    /// is still in the lower layer's blob, and anyone who pulls the image can read it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted_in_layer: Option<usize>,
}
