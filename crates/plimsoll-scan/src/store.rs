//! Where manifests and blobs come from: a registry or an OCI image layout on disk. Both give
//! the same three things, so platform selection and layer analysis are written once.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;
use futures_util::StreamExt;

use plimsoll_registry::{FetchedManifest, Reference, RegistryClient, manifest};
use plimsoll_types::Digest;

use crate::{Error, Result};

/// Image configs above this size are refused; real ones are a few KiB to a few hundred.
pub(crate) const MAX_CONFIG_BYTES: u64 = 32 << 20;
/// Manifests in a layout above this size are refused (registries cap them at 4 MiB).
const MAX_MANIFEST_BYTES: u64 = 8 << 20;
/// Blob chunks buffered between the network task and the layer walk.
const STREAM_CHUNKS_IN_FLIGHT: usize = 32;

/// A source of manifests and blobs.
#[derive(Clone)]
pub(crate) enum Store {
    Registry {
        client: Arc<RegistryClient>,
        reference: Reference,
    },
    Layout {
        dir: PathBuf,
    },
}

impl Store {
    /// The manifest at `digest` (or, for a registry, the reference's own when `None`).
    pub(crate) async fn manifest(
        &self,
        digest: Option<&Digest>,
        display: &str,
    ) -> Result<FetchedManifest> {
        match self {
            Store::Registry { client, reference } => {
                let reference = match digest {
                    Some(d) => reference.with_digest(d.clone()),
                    None => reference.clone(),
                };
                Ok(client.fetch_manifest(&reference).await?)
            }
            Store::Layout { dir } => {
                let Some(digest) = digest else {
                    return Err(Error::Local {
                        path: dir.clone(),
                        reason: "no manifest selected".into(),
                    });
                };
                let bytes = read_layout_blob(dir, digest, MAX_MANIFEST_BYTES).await?;
                Ok(manifest::parse(display, bytes, None, digest.clone())?)
            }
        }
    }

    /// A small blob (the config), verified.
    pub(crate) async fn small_blob(&self, digest: &Digest) -> Result<Bytes> {
        match self {
            Store::Registry { client, reference } => Ok(client
                .fetch_blob(reference, digest, MAX_CONFIG_BYTES)
                .await?),
            Store::Layout { dir } => read_layout_blob(dir, digest, MAX_CONFIG_BYTES).await,
        }
    }

    /// A layer blob as a blocking reader (unverified; the walk verifies).
    pub(crate) async fn open_layer(&self, digest: &Digest) -> Result<Box<dyn Read + Send>> {
        match self {
            Store::Registry { client, reference } => {
                let (_, mut stream) = client.blob_stream(reference, digest).await?;
                let (tx, rx) = tokio::sync::mpsc::channel(STREAM_CHUNKS_IN_FLIGHT);
                tokio::spawn(async move {
                    while let Some(chunk) = stream.next().await {
                        let failed = chunk.is_err();
                        if tx.send(chunk).await.is_err() || failed {
                            break;
                        }
                    }
                });
                Ok(Box::new(ChannelReader {
                    rx,
                    current: Bytes::new(),
                }))
            }
            Store::Layout { dir } => {
                let path = blob_path(dir, digest);
                let file = fs_err::File::open(&path).map_err(|e| Error::Local {
                    path: path.clone(),
                    reason: e.to_string(),
                })?;
                Ok(Box::new(file))
            }
        }
    }
}

fn blob_path(dir: &Path, digest: &Digest) -> PathBuf {
    dir.join("blobs").join("sha256").join(digest.hex())
}

async fn read_layout_blob(dir: &Path, digest: &Digest, limit: u64) -> Result<Bytes> {
    let path = blob_path(dir, digest);
    let local = |reason: String| Error::Local {
        path: path.clone(),
        reason,
    };
    let metadata = tokio::fs::metadata(&path)
        .await
        .map_err(|e| local(format!("missing blob {digest}: {e}")))?;
    if metadata.len() > limit {
        return Err(local(format!("blob {digest} exceeds {limit} bytes")));
    }
    let bytes = tokio::fs::read(&path)
        .await
        .map_err(|e| local(e.to_string()))?;
    let actual = Digest::sha256_of(&bytes);
    if actual != *digest {
        return Err(local(format!(
            "content digest mismatch: expected {digest}, got {actual}"
        )));
    }
    Ok(Bytes::from(bytes))
}

/// Blocking `Read` over chunks sent by the async network task. Memory is bounded by the
/// channel capacity; the walk's own threads never touch the async runtime.
struct ChannelReader {
    rx: tokio::sync::mpsc::Receiver<std::io::Result<Bytes>>,
    current: Bytes,
}

impl Read for ChannelReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.current.is_empty() {
            match self.rx.blocking_recv() {
                Some(Ok(chunk)) => self.current = chunk,
                Some(Err(e)) => return Err(e),
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.current.len());
        buf[..n].copy_from_slice(&self.current.split_to(n));
        Ok(n)
    }
}
