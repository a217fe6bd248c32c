//! The parts of an image config (OCI image-spec `config.md`, Docker's
//! `application/vnd.docker.container.image.v1+json`) Plimsoll uses. Parsed with a lenient
//! struct of our own: configs in the wild carry every shape of extra field, and a missing
//! optional field must never fail a scan.

use std::collections::BTreeMap;

use serde::Deserialize;

use plimsoll_inventory::HistoryEntry;
use plimsoll_types::{Digest, ImageConfigFacts, Platform};

use crate::{Error, Result};

#[derive(Debug, Deserialize)]
pub(crate) struct ImageConfig {
    #[serde(default)]
    pub(crate) architecture: String,
    #[serde(default)]
    pub(crate) os: String,
    #[serde(default)]
    pub(crate) variant: Option<String>,
    #[serde(default)]
    pub(crate) created: Option<String>,
    pub(crate) rootfs: RootFs,
    #[serde(default)]
    pub(crate) history: Vec<History>,
    /// The runtime settings (`config` in OCI, also `config` in Docker's format).
    #[serde(default)]
    pub(crate) config: Option<RuntimeConfig>,
}

/// OCI `config` object; Docker adds `Healthcheck`. Field names are capitalised in both.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct RuntimeConfig {
    #[serde(default)]
    user: Option<String>,
    #[serde(default)]
    exposed_ports: Option<BTreeMap<String, serde_json::Value>>,
    #[serde(default)]
    pub(crate) env: Option<Vec<String>>,
    #[serde(default)]
    entrypoint: Option<Vec<String>>,
    #[serde(default)]
    cmd: Option<Vec<String>>,
    #[serde(default)]
    labels: Option<BTreeMap<String, String>>,
    #[serde(default)]
    healthcheck: Option<Healthcheck>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Healthcheck {
    #[serde(default)]
    test: Option<Vec<String>>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct RootFs {
    #[serde(default)]
    pub(crate) diff_ids: Vec<Digest>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct History {
    #[serde(default)]
    pub(crate) created_by: Option<String>,
    #[serde(default)]
    pub(crate) empty_layer: bool,
}

impl ImageConfig {
    pub(crate) fn parse(bytes: &[u8], digest: &Digest) -> Result<Self> {
        serde_json::from_slice(bytes).map_err(|e| Error::Config {
            digest: digest.clone(),
            reason: format!("malformed JSON: {e}"),
        })
    }

    pub(crate) fn platform(&self) -> Platform {
        Platform {
            os: if self.os.is_empty() {
                "linux".into()
            } else {
                self.os.clone()
            },
            architecture: self.architecture.clone(),
            variant: self.variant.clone().filter(|v| !v.is_empty()),
        }
    }

    /// Every layer needs its diff-id: the walk verifies the uncompressed bytes against it.
    pub(crate) fn check_layer_count(&self, layers: usize, digest: &Digest) -> Result<()> {
        if self.rootfs.diff_ids.len() == layers {
            return Ok(());
        }
        Err(Error::Config {
            digest: digest.clone(),
            reason: format!(
                "{} diff_ids for {layers} layers",
                self.rootfs.diff_ids.len()
            ),
        })
    }

    /// The runtime settings checks read; environment values are left out (they may be secrets).
    pub(crate) fn facts(&self) -> ImageConfigFacts {
        let Some(c) = &self.config else {
            return ImageConfigFacts::default();
        };
        ImageConfigFacts {
            user: c.user.clone(),
            exposed_ports: c
                .exposed_ports
                .as_ref()
                .map(|p| p.keys().cloned().collect())
                .unwrap_or_default(),
            env_names: c
                .env
                .iter()
                .flatten()
                .map(|e| e.split_once('=').map_or(e.as_str(), |(n, _)| n).to_owned())
                .collect(),
            // `["NONE"]` disables a health check inherited from the base image.
            healthcheck: c
                .healthcheck
                .as_ref()
                .and_then(|h| h.test.as_ref())
                .and_then(|t| t.first())
                .is_some_and(|t| t != "NONE"),
            command: c
                .entrypoint
                .iter()
                .flatten()
                .chain(c.cmd.iter().flatten())
                .cloned()
                .collect(),
            labels: c.labels.clone().unwrap_or_default(),
        }
    }

    /// The history as the base-image heuristic reads it.
    pub(crate) fn history_entries(&self) -> Vec<HistoryEntry<'_>> {
        self.history
            .iter()
            .map(|h| HistoryEntry {
                created_by: h.created_by.as_deref(),
                empty_layer: h.empty_layer,
            })
            .collect()
    }

    /// `created_by` per layer: history entries marked `empty_layer` made no layer.
    pub(crate) fn layer_commands(&self, layers: usize) -> Vec<Option<String>> {
        let mut commands: Vec<Option<String>> = self
            .history
            .iter()
            .filter(|h| !h.empty_layer)
            .map(|h| h.created_by.clone())
            .collect();
        // A history that does not line up with the layers is not trusted for any layer.
        if commands.len() != layers {
            commands = vec![None; layers];
        }
        commands
    }
}
