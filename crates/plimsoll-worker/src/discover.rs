//! The first two phases of a run: **discovery** (repositories and tags, through the
//! registry's vendor API) and **metadata** (each tag's manifest digest, platform images and
//! creation date — the filters need dates). Metadata is content addressed: a digest already
//! described is read from the store, so an unchanged registry costs one `HEAD` per tag.

use futures_util::StreamExt;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use plimsoll_registry::{Reference, RegistryClient};
use plimsoll_scan::Scanner;
use plimsoll_store::{ManifestMeta, PlatformImage, Store};
use plimsoll_types::Digest;
use plimsoll_vendors::{Discovery, ListedTag};

use crate::config::RegistryConfig;
use crate::run::{Connected, Progress};

/// One tag as discovery and the metadata phase saw it.
#[derive(Clone, Debug)]
pub struct DiscoveredTag {
    /// Index of its registry in the configuration.
    pub registry: usize,
    /// The registry's display name.
    pub registry_name: String,
    /// The registry's `host[:port]`.
    pub host: String,
    /// Repository path.
    pub repository: String,
    /// Tag.
    pub tag: String,
    /// What the tag points at, or why that could not be read.
    pub image: Result<TaggedImage, String>,
    /// When it was pushed, if the vendor's listing said.
    pub pushed_at: Option<OffsetDateTime>,
}

/// The manifest a tag points at.
#[derive(Clone, Debug)]
pub struct TaggedImage {
    /// Its metadata (platform images, creation dates).
    pub meta: ManifestMeta,
    /// Why it is not a container image (an artifact), when it is not.
    pub not_an_image: Option<String>,
}

impl DiscoveredTag {
    /// `host/repository:tag`.
    pub fn reference_string(&self) -> String {
        format!("{}/{}:{}", self.host, self.repository, self.tag)
    }

    /// The tag as a reference.
    pub fn reference(&self) -> Option<Reference> {
        Reference::new(&self.host, &self.repository, Some(&self.tag), None).ok()
    }

    /// The manifest digest, when known.
    pub fn digest(&self) -> Option<&Digest> {
        self.image.as_ref().ok().map(|i| &i.meta.digest)
    }

    /// The newest creation date among its platform images; else, when the configurations
    /// carry none, when the tag was pushed (if the vendor's listing said).
    pub fn created(&self) -> Option<OffsetDateTime> {
        self.image
            .as_ref()
            .ok()
            .and_then(|i| i.meta.created())
            .or(self.pushed_at)
    }
}

/// What discovery found in one registry, or why it found nothing.
pub(crate) struct RegistryListing {
    /// Repositories seen (after the discovery cap).
    pub(crate) repositories: usize,
    /// Tags seen, with their repository.
    pub(crate) tags: Vec<(String, ListedTag)>,
}

/// Lists repositories (at most `max_repositories`, in the registry's sorted order) and their
/// tags, `concurrency` tag listings at a time.
pub(crate) async fn list(
    discovery: &dyn Discovery,
    registry_name: &str,
    max_repositories: usize,
    concurrency: usize,
) -> Result<RegistryListing, String> {
    let repositories = discovery
        .repositories(Some(max_repositories))
        .await
        .map_err(|e| format!("listing repositories: {}", with_causes(&e)))?;
    let listed: Vec<(String, Result<Vec<ListedTag>, String>)> =
        futures_util::stream::iter(repositories.iter().cloned())
            .map(|repository| async move {
                let tags = discovery
                    .tags(&repository)
                    .await
                    .map_err(|e| with_causes(&e));
                (repository, tags)
            })
            .buffered(concurrency.max(1))
            .collect()
            .await;
    let mut tags = Vec::new();
    for (repository, listed) in listed {
        match listed {
            Ok(names) => tags.extend(names.into_iter().map(|t| (repository.clone(), t))),
            // One repository that cannot be listed (deleted meanwhile, no pull right) does
            // not stop the others.
            Err(e) => {
                tracing::warn!(registry = %registry_name, host = %discovery.registry(), %repository, "cannot list tags: {e}");
            }
        }
    }
    Ok(RegistryListing {
        repositories: repositories.len(),
        tags,
    })
}

/// `error: cause: cause…`: discovery errors keep the registry's own error as their source, and
/// the log line must say what it was (a refused token, a redirect to another host).
fn with_causes(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// Reads each tag's digest and metadata, `concurrency` at a time, from the store when the
/// digest is already described, else from the registry (and stores it).
pub(crate) async fn describe_tags(
    registry_index: usize,
    registry: &RegistryConfig,
    host: &str,
    connected: &Connected,
    store: &Store,
    tags: Vec<(String, ListedTag)>,
    progress: &dyn Progress,
) -> Vec<DiscoveredTag> {
    let (scanner, client) = (connected.scanner.as_ref(), connected.client.as_ref());
    let concurrency = registry.max_concurrency;
    let registry_name = registry.display_name();
    futures_util::stream::iter(tags)
        .map(|(repository, tag)| {
            let host = host.to_owned();
            let registry_name = registry_name.clone();
            async move {
                let image = describe_one(scanner, client, store, &host, &repository, &tag).await;
                progress.advance(1);
                DiscoveredTag {
                    registry: registry_index,
                    registry_name,
                    host,
                    repository,
                    tag: tag.name,
                    image,
                    pushed_at: tag.pushed_at,
                }
            }
        })
        .buffer_unordered(concurrency.max(1))
        .collect()
        .await
}

async fn describe_one(
    scanner: &Scanner,
    client: &RegistryClient,
    store: &Store,
    host: &str,
    repository: &str,
    tag: &ListedTag,
) -> Result<TaggedImage, String> {
    let reference =
        Reference::new(host, repository, Some(&tag.name), None).map_err(|e| e.to_string())?;
    // A digest from the vendor's listing spares the HEAD; the manifest read below (when the
    // store does not know the digest) still checks the content against it.
    let digest = match &tag.digest {
        Some(digest) => digest.clone(),
        None => client
            .manifest_digest(&reference)
            .await
            .map_err(|e| e.to_string())?,
    };
    match store.manifest_meta(&digest).await {
        Ok(Some(meta)) => {
            return Ok(TaggedImage {
                meta,
                not_an_image: None,
            });
        }
        Ok(None) => {}
        Err(e) => tracing::warn!(%reference, "store: {e}; reading the manifest again"),
    }
    let description = scanner
        .describe(&reference.with_digest(digest))
        .await
        .map_err(|e| e.to_string())?;
    let meta = ManifestMeta {
        digest: description.digest,
        media_type: description.media_type,
        platforms: description
            .platforms
            .into_iter()
            .map(|p| PlatformImage {
                platform: p.platform,
                manifest_digest: p.manifest_digest,
                config_digest: p.config_digest,
                created: p
                    .created
                    .as_deref()
                    .and_then(|c| OffsetDateTime::parse(c, &Rfc3339).ok()),
            })
            .collect(),
    };
    if description.not_an_image.is_none() {
        // Not cached when it is no image: rare, and a later push may fix the tag.
        if let Err(e) = store.put_manifest_meta(&meta).await {
            tracing::warn!(%reference, "store: {e}");
        }
    }
    Ok(TaggedImage {
        meta,
        not_an_image: description.not_an_image,
    })
}
