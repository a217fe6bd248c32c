//! The parts of an image config (OCI image-spec `config.md`, Docker's
//! `application/vnd.docker.container.image.v1+json`) Plimsoll uses. Parsed with a lenient
//! struct of our own: configs in the wild carry every shape of extra field, and a missing
//! optional field must never fail a scan.

use serde::Deserialize;

use plimsoll_types::{Digest, Platform};

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
