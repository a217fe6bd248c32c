//! The orchestration: resolve a source to one or more images, analyse each distinct layer
//! once, fold, and return inventories.

use std::collections::HashMap;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use futures_util::{StreamExt, TryStreamExt};
use serde::Deserialize;

use plimsoll_catalog::Cataloger;
use plimsoll_inventory::{base_image_layers, fold};
use plimsoll_layer::{Limits, WalkOptions};
use plimsoll_registry::manifest::ImageManifest;
use plimsoll_registry::{Manifest, Reference, RegistryClient, manifest};
use plimsoll_types::{Digest, ImageInventory, ImageSource, LayerFacts, LayerSummary, Platform};

use crate::analyse::analyse_layer;
use crate::config::ImageConfig;
use crate::source::SourceSpec;
use crate::store::{MAX_CONFIG_BYTES, Store};
use crate::{Error, Result};

/// Which images of an index to scan, and how carefully to read layers.
#[derive(Clone, Debug, Default)]
pub struct ScanOptions {
    /// The platform to pick from an index (default: the host's).
    pub platform: Option<Platform>,
    /// Scan every platform of an index, one inventory each.
    pub all_platforms: bool,
    /// Decompression limits per layer.
    pub limits: Limits,
    /// Layers analysed at once (default: the number of cores).
    pub layer_concurrency: Option<usize>,
}

/// Version of the fold from layer facts to an inventory; part of [`Scanner::analyzer_key`], so
/// a change to folding invalidates stored inventories but not stored layer facts.
const FOLD_VERSION: u32 = 1;

/// What a registry manifest is, read without touching a layer: see [`Scanner::describe`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageDescription {
    /// Digest of the top manifest (the index, or the image manifest itself).
    pub digest: Digest,
    /// Its media type.
    pub media_type: String,
    /// Every container image it holds, one per platform.
    pub platforms: Vec<PlatformDescription>,
    /// Why it holds no container image at all, when it does not.
    pub not_an_image: Option<String>,
}

/// One platform image of an [`ImageDescription`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlatformDescription {
    /// Its platform, from the image config.
    pub platform: Platform,
    /// Its image manifest digest (the top digest for a single-platform image).
    pub manifest_digest: Digest,
    /// Its config digest.
    pub config_digest: Digest,
    /// The config's `created` (RFC 3339), as written.
    pub created: Option<String>,
}

/// A boxed future, for the object-safe [`FactsCache`].
pub type BoxFuture<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'a>>;

/// A persistent store of layer facts, consulted before a layer is downloaded: facts are a pure
/// function of `(layer digest, analyzer key)`, so a hit means the blob is never fetched again.
/// Implemented by the results store; errors are the cache's to log, a failed load is a miss.
pub trait FactsCache: Send + Sync {
    /// The facts of layer `digest` produced by the catalogers `analyzer_key` names, if stored.
    fn load<'a>(
        &'a self,
        digest: &'a Digest,
        analyzer_key: &'a str,
    ) -> BoxFuture<'a, Option<LayerFacts>>;
    /// Keeps freshly computed facts.
    fn save<'a>(&'a self, facts: &'a LayerFacts, analyzer_key: &'a str) -> BoxFuture<'a, ()>;
}

/// One layer's facts, computed by whichever image asked first while the others wait: two
/// workers scanning images with a common base layer analyse it once.
type FactsCell = Arc<tokio::sync::OnceCell<Arc<LayerFacts>>>;

/// Most bytes of manifests and configs (counted as served) that [`Scanner::describe`] keeps for
/// [`Scanner::scan_image`]: about 25,000 images of a few layers and a short history. Past it,
/// `scan_image` reads them from the registry again.
const DESCRIBED_BUDGET_BYTES: usize = 64 << 20;

/// What [`Scanner::describe`] read of one platform image, kept until [`Scanner::scan_image`]
/// asks for it. A registry scan describes every tag (its filters need the creation dates)
/// before it scans the chosen ones; reading each manifest and config again for the scan made
/// five registry requests per new image instead of three (the layer aside), and the lab
/// registry spends about 2 ms of CPU on a manifest and 4 ms on a blob
/// (`docs/performance.md`, "Registry scan at scale"). Keyed by the manifest digest, so what is
/// kept is never stale: the bytes were verified against it when they were read.
struct Described {
    manifest: ImageManifest,
    config: ImageConfig,
    bytes: usize,
}

/// The [`Described`] images not scanned yet, within [`DESCRIBED_BUDGET_BYTES`].
#[derive(Default)]
struct DescribedCache {
    images: HashMap<Digest, Described>,
    bytes: usize,
}

/// Scans images into inventories. Shares one registry client, one cataloger set and one
/// layer-facts cache across every image it scans, so a layer shared by several images or
/// platforms is read once.
pub struct Scanner {
    client: Arc<RegistryClient>,
    catalogers: Arc<Vec<Box<dyn Cataloger>>>,
    analyzer_key: String,
    options: ScanOptions,
    /// Facts by layer digest. The cataloger set is fixed for a `Scanner`, so the digest alone
    /// is the key here; the persistent cache adds the analyzer key.
    cache: Mutex<HashMap<Digest, FactsCell>>,
    persistent: Option<Arc<dyn FactsCache>>,
    /// Manifests and configs read by `describe`, taken by `scan_image`.
    described: Mutex<DescribedCache>,
}

/// How to get one image's layer bytes.
#[derive(Clone)]
enum Layers {
    Store(Store),
    Archive {
        path: PathBuf,
        offsets: Vec<(u64, u64)>,
    },
}

/// One image manifest chosen to be scanned: from an index (its digest then given) or on its
/// own, with its config when it was already read.
struct Pick<'a> {
    index_digest: Option<Digest>,
    manifest_digest: Digest,
    image: &'a ImageManifest,
    config: Option<ImageConfig>,
}

/// One image, resolved to its manifest and config, ready for layer analysis.
struct Resolved {
    source: ImageSource,
    manifest_digest: Digest,
    index_digest: Option<Digest>,
    config_digest: Digest,
    config: ImageConfig,
    /// (digest if known up front, media type, size) per layer.
    layers: Vec<(Option<Digest>, String, u64)>,
    blobs: Layers,
    warnings: Vec<String>,
}

impl Scanner {
    /// A scanner using `client` for registry sources and every built-in cataloger.
    pub fn new(client: Arc<RegistryClient>, options: ScanOptions) -> Self {
        let catalogers = plimsoll_catalog::all();
        let analyzer_key = analyzer_key(&catalogers);
        Scanner {
            client,
            catalogers: Arc::new(catalogers),
            analyzer_key,
            options,
            cache: Mutex::new(HashMap::new()),
            persistent: None,
            described: Mutex::new(DescribedCache::default()),
        }
    }

    /// Consults `cache` before downloading a layer and saves what it analyses there.
    #[must_use]
    pub fn with_facts_cache(mut self, cache: Arc<dyn FactsCache>) -> Self {
        self.persistent = Some(cache);
        self
    }

    /// Names the cataloger versions and the fold version (`apk@1,dpkg@2,…;fold@1`): stored
    /// layer facts and inventories are valid only under the key that produced them.
    pub fn analyzer_key(&self) -> &str {
        &self.analyzer_key
    }

    /// Reads what a registry manifest is without touching a layer: its digest and, per
    /// platform image, the manifest and config digests and the creation date (the metadata
    /// phase of a registry scan, whose filters need dates). An index entry that is not a
    /// container image (an attestation, an artifact) is left out; a top manifest that is not
    /// one at all gives an empty `platforms` and the reason in `not_an_image`.
    ///
    /// The platform images' manifests and configs are kept (within a memory budget) until
    /// [`Scanner::scan_image`] scans them, so a scan after a describe reads only layers.
    pub async fn describe(&self, reference: &Reference) -> Result<ImageDescription> {
        let display = reference.to_string();
        let store = Store::Registry {
            client: Arc::clone(&self.client),
            reference: reference.clone(),
        };
        let fetched = store.manifest(None, &display).await?;
        let mut description = ImageDescription {
            digest: fetched.digest.clone(),
            media_type: fetched.media_type.clone(),
            platforms: Vec::new(),
            not_an_image: None,
        };
        let images = match fetched.manifest {
            Manifest::Image(image) => vec![(fetched.digest, *image, fetched.bytes.len())],
            Manifest::Index(index) => {
                let mut images = Vec::new();
                for entry in manifest::index_platforms(&display, &index)? {
                    let child = store.manifest(Some(&entry.digest), &display).await?;
                    if let Manifest::Image(image) = child.manifest {
                        images.push((child.digest, *image, child.bytes.len()));
                    }
                }
                images
            }
        };
        for (manifest_digest, image, manifest_bytes) in images {
            let config_type = image.config().media_type().to_string();
            if !is_image_config(&config_type) {
                description.not_an_image = Some(format!(
                    "config media type `{config_type}` is not a container image config (an artifact?)"
                ));
                continue;
            }
            let config_digest: Digest = image.config().digest().to_string().parse().map_err(
                |e: plimsoll_types::Error| Error::NotAnImage {
                    reference: display.clone(),
                    reason: e.to_string(),
                },
            )?;
            let config_bytes = store.small_blob(&config_digest).await?;
            let config = ImageConfig::parse(&config_bytes, &config_digest)?;
            description.platforms.push(PlatformDescription {
                platform: config.platform(),
                manifest_digest: manifest_digest.clone(),
                config_digest,
                created: config.created.clone(),
            });
            self.keep_described(
                manifest_digest,
                Described {
                    manifest: image,
                    config,
                    bytes: manifest_bytes + config_bytes.len(),
                },
            );
        }
        if !description.platforms.is_empty() {
            description.not_an_image = None;
        }
        Ok(description)
    }

    /// Scans one platform image of a registry repository: `reference` names it as the user
    /// knows it (`registry/repo:tag`, kept as the inventory's source), `manifest_digest` is the
    /// image manifest to read and `index_digest` the index it was picked from, if any.
    pub async fn scan_image(
        &self,
        reference: &Reference,
        manifest_digest: &Digest,
        index_digest: Option<Digest>,
    ) -> Result<ImageInventory> {
        let display = reference.to_string();
        let store = Store::Registry {
            client: Arc::clone(&self.client),
            reference: reference.clone(),
        };
        let (image, config) = if let Some(described) = self.take_described(manifest_digest) {
            (described.manifest, Some(described.config))
        } else {
            let fetched = store.manifest(Some(manifest_digest), &display).await?;
            let Manifest::Image(image) = fetched.manifest else {
                return Err(Error::NotAnImage {
                    reference: display,
                    reason: format!("{manifest_digest} is an index, not an image manifest"),
                });
            };
            (*image, None)
        };
        let source = ImageSource::Registry {
            reference: display.clone(),
        };
        let resolved = self
            .resolve_image(
                &store,
                &display,
                &source,
                Pick {
                    index_digest,
                    manifest_digest: manifest_digest.clone(),
                    image: &image,
                    config,
                },
            )
            .await?;
        self.inventory(resolved).await
    }

    /// Keeps what `describe` read of a platform image for `scan_image`, unless that would
    /// overrun the budget.
    fn keep_described(&self, manifest_digest: Digest, described: Described) {
        let mut cache = self
            .described
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if cache.bytes + described.bytes > DESCRIBED_BUDGET_BYTES {
            return;
        }
        cache.bytes += described.bytes;
        if let Some(replaced) = cache.images.insert(manifest_digest, described) {
            cache.bytes -= replaced.bytes;
        }
    }

    /// What `describe` kept of a platform image, handed over once: a job scans a digest once.
    fn take_described(&self, manifest_digest: &Digest) -> Option<Described> {
        let mut cache = self
            .described
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let described = cache.images.remove(manifest_digest)?;
        cache.bytes -= described.bytes;
        Some(described)
    }

    /// Scans one source: one inventory, or one per platform with `all_platforms`.
    pub async fn scan(&self, source: &SourceSpec) -> Result<Vec<ImageInventory>> {
        let resolved = match source {
            SourceSpec::Registry(reference) => {
                let store = Store::Registry {
                    client: Arc::clone(&self.client),
                    reference: reference.clone(),
                };
                let image_source = ImageSource::Registry {
                    reference: reference.to_string(),
                };
                self.resolve(&store, None, &reference.to_string(), &image_source)
                    .await?
            }
            SourceSpec::OciLayout { path, tag } => {
                let store = Store::Layout { dir: path.clone() };
                let top = layout_entry(path, tag.as_deref()).await?;
                let image_source = ImageSource::OciLayout {
                    path: path.display().to_string(),
                    reference: tag.clone(),
                };
                self.resolve(&store, Some(top), &source.to_string(), &image_source)
                    .await?
            }
            SourceSpec::DockerArchive { path } => {
                let path = path.clone();
                vec![
                    tokio::task::spawn_blocking(move || resolve_archive(&path))
                        .await
                        .map_err(|e| Error::Task(e.to_string()))??,
                ]
            }
        };
        let mut inventories = Vec::with_capacity(resolved.len());
        for image in resolved {
            inventories.push(self.inventory(image).await?);
        }
        Ok(inventories)
    }

    /// Manifest (and index) → the images to scan.
    async fn resolve(
        &self,
        store: &Store,
        top: Option<Digest>,
        display: &str,
        image_source: &ImageSource,
    ) -> Result<Vec<Resolved>> {
        let fetched = store.manifest(top.as_ref(), display).await?;
        let picks = match &fetched.manifest {
            Manifest::Image(m) => vec![(None, fetched.digest.clone(), (**m).clone())],
            Manifest::Index(index) => {
                let platforms = if self.options.all_platforms {
                    manifest::index_platforms(display, index)?
                } else {
                    let wanted = self.options.platform.clone().unwrap_or_else(Platform::host);
                    vec![manifest::select_platform(display, index, &wanted)?]
                };
                let mut picks = Vec::new();
                for p in platforms {
                    let child = store.manifest(Some(&p.digest), display).await?;
                    let Manifest::Image(m) = child.manifest else {
                        return Err(Error::NotAnImage {
                            reference: display.to_owned(),
                            reason: format!("index entry {} is itself an index", p.digest),
                        });
                    };
                    picks.push((Some(fetched.digest.clone()), child.digest, *m));
                }
                picks
            }
        };
        let mut out = Vec::new();
        for (index_digest, manifest_digest, image) in picks {
            out.push(
                self.resolve_image(
                    store,
                    display,
                    image_source,
                    Pick {
                        index_digest,
                        manifest_digest,
                        image: &image,
                        config: None,
                    },
                )
                .await?,
            );
        }
        Ok(out)
    }

    async fn resolve_image(
        &self,
        store: &Store,
        display: &str,
        image_source: &ImageSource,
        pick: Pick<'_>,
    ) -> Result<Resolved> {
        let Pick {
            index_digest,
            manifest_digest,
            image,
            config,
        } = pick;
        let not_image = |reason: String| Error::NotAnImage {
            reference: display.to_owned(),
            reason,
        };
        let config_type = image.config().media_type().to_string();
        if !is_image_config(&config_type) {
            return Err(not_image(format!(
                "config media type `{config_type}` is not a container image config (an artifact?)"
            )));
        }
        let config_digest: Digest = image
            .config()
            .digest()
            .to_string()
            .parse()
            .map_err(|e: plimsoll_types::Error| not_image(e.to_string()))?;
        let config = match config {
            Some(config) => config,
            None => ImageConfig::parse(&store.small_blob(&config_digest).await?, &config_digest)?,
        };
        if index_digest.is_none()
            && let Some(wanted) = &self.options.platform
            && !wanted.selects(&config.platform())
        {
            return Err(not_image(format!(
                "image is {}, not the requested {wanted}",
                config.platform()
            )));
        }
        let mut layers = Vec::new();
        let mut warnings = Vec::new();
        for layer in image.layers() {
            let media_type = layer.media_type().to_string();
            if media_type.contains("foreign") || media_type.contains("nondistributable") {
                // Windows base layers that registries may not serve; Plimsoll scans Linux images.
                warnings.push(format!(
                    "skipped non-distributable layer {} ({media_type})",
                    layer.digest()
                ));
                continue;
            }
            let digest: Digest = layer
                .digest()
                .to_string()
                .parse()
                .map_err(|e: plimsoll_types::Error| not_image(e.to_string()))?;
            layers.push((Some(digest), media_type, layer.size()));
        }
        config.check_layer_count(layers.len(), &config_digest)?;
        Ok(Resolved {
            source: image_source.clone(),
            manifest_digest,
            index_digest,
            config_digest,
            config,
            layers,
            blobs: Layers::Store(store.clone()),
            warnings,
        })
    }

    /// Analyses (or recalls) every layer, then folds.
    async fn inventory(&self, image: Resolved) -> Result<ImageInventory> {
        let concurrency = self
            .options
            .layer_concurrency
            .unwrap_or_else(|| {
                std::thread::available_parallelism().map_or(1, std::num::NonZero::get)
            })
            .max(1);
        let name = image.source.display_name();
        tracing::info!(image = %name, platform = %image.config.platform(), layers = image.layers.len(), "analysing layers");
        let facts: Vec<Arc<LayerFacts>> =
            futures_util::stream::iter(image.layers.iter().enumerate())
                .map(|(index, (digest, _, _))| self.layer_facts(&image, index, digest.clone()))
                .buffered(concurrency)
                .try_collect()
                .await?;
        let owned: Vec<LayerFacts> = facts.iter().map(|f| (**f).clone()).collect();
        let folded = fold(&owned);
        let commands = image.config.layer_commands(image.layers.len());
        let base_layers = base_image_layers(&image.config.history_entries(), image.layers.len());
        let mut changes = folded.layer_changes.into_iter();
        let layers = owned
            .iter()
            .zip(&image.layers)
            .zip(commands)
            .enumerate()
            .map(
                |(index, ((facts, (_, media_type, _)), created_by))| LayerSummary {
                    index,
                    digest: facts.digest.clone(),
                    diff_id: facts.diff_id.clone(),
                    media_type: media_type.clone(),
                    compressed_size: facts.compressed_size,
                    uncompressed_size: facts.uncompressed_size,
                    created_by,
                    base_image: index < base_layers,
                    changes: changes.next().unwrap_or_default(),
                },
            )
            .collect();
        let mut warnings = image.warnings;
        warnings.extend(folded.warnings);
        // Secrets in `Env` are config facts, not layer facts: the config is content addressed
        // too, and its bytes are at hand here.
        let mut secrets = folded.secrets;
        let scanner = plimsoll_secrets::SecretScanner::builtin();
        if let Some(env) = image.config.config.as_ref().and_then(|c| c.env.as_ref()) {
            for entry in env {
                secrets.extend(scanner.scan_env(entry));
            }
        }
        Ok(ImageInventory {
            source: image.source,
            manifest_digest: image.manifest_digest,
            index_digest: image.index_digest,
            config_digest: image.config_digest,
            platform: image.config.platform(),
            created: image.config.created.clone(),
            os: folded.os,
            layers,
            packages: folded.packages,
            config: Some(image.config.facts()),
            secrets,
            warnings,
        })
    }

    async fn layer_facts(
        &self,
        image: &Resolved,
        index: usize,
        digest: Option<Digest>,
    ) -> Result<Arc<LayerFacts>> {
        // Docker archives name layers by diff-id only; those are analysed without caching.
        let Some(d) = &digest else {
            return self.compute_layer_facts(image, index, None).await;
        };
        let cell = Arc::clone(
            self.cache
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .entry(d.clone())
                .or_default(),
        );
        let facts = cell
            .get_or_try_init(|| async {
                if let Some(persistent) = &self.persistent
                    && let Some(facts) = persistent.load(d, &self.analyzer_key).await
                {
                    tracing::debug!(layer = %d, "layer facts from the store");
                    return Ok(Arc::new(facts));
                }
                let facts = self
                    .compute_layer_facts(image, index, digest.clone())
                    .await?;
                if let Some(persistent) = &self.persistent {
                    persistent.save(&facts, &self.analyzer_key).await;
                }
                Ok::<_, Error>(facts)
            })
            .await?;
        Ok(Arc::clone(facts))
    }

    async fn compute_layer_facts(
        &self,
        image: &Resolved,
        index: usize,
        digest: Option<Digest>,
    ) -> Result<Arc<LayerFacts>> {
        let expected_diff_id = image.config.rootfs.diff_ids[index].clone();
        let options = WalkOptions {
            limits: self.options.limits,
            expected_digest: digest.clone(),
            expected_diff_id: Some(expected_diff_id.clone()),
        };
        let reader: Box<dyn Read + Send> = match &image.blobs {
            Layers::Store(store) => {
                let Some(d) = &digest else {
                    return Err(Error::Task("registry layer without digest".into()));
                };
                store.open_layer(d).await?
            }
            Layers::Archive { path, offsets } => {
                let (offset, size) = offsets[index];
                let mut file = fs_err::File::open(path).map_err(|e| Error::Local {
                    path: path.clone(),
                    reason: e.to_string(),
                })?;
                file.seek(SeekFrom::Start(offset))
                    .map_err(|e| Error::Local {
                        path: path.clone(),
                        reason: e.to_string(),
                    })?;
                Box::new(file.take(size))
            }
        };
        let catalogers = Arc::clone(&self.catalogers);
        let layer_digest_for_error = digest.clone().unwrap_or(expected_diff_id);
        let facts =
            tokio::task::spawn_blocking(move || analyse_layer(reader, &options, &catalogers))
                .await
                .map_err(|e| Error::Task(e.to_string()))?
                .map_err(|source| Error::Layer {
                    index,
                    digest: layer_digest_for_error,
                    source,
                })?;
        Ok(Arc::new(facts))
    }
}

/// Whether a manifest's config media type is a container image's (not an artifact's).
fn is_image_config(media_type: &str) -> bool {
    matches!(
        media_type,
        "application/vnd.oci.image.config.v1+json"
            | "application/vnd.docker.container.image.v1+json"
    )
}

/// The analyzer key of a [`Scanner`] with the built-in catalogers: what stored inventories of
/// this build are filed under (for reading the store without scanning).
pub fn current_analyzer_key() -> String {
    analyzer_key(&plimsoll_catalog::all())
}

/// `apk@1,dpkg@1,…;fold@1`: the analyzer versions in a stable order, then the fold's.
fn analyzer_key(catalogers: &[Box<dyn Cataloger>]) -> String {
    let mut key: Vec<String> = crate::analyse::analyzer_versions(catalogers)
        .into_iter()
        .map(|a| format!("{}@{}", a.name, a.version))
        .collect();
    key.sort();
    format!("{};fold@{FOLD_VERSION}", key.join(","))
}

/// The top descriptor of an OCI layout's `index.json` for `tag` (or its only entry).
async fn layout_entry(dir: &Path, tag: Option<&str>) -> Result<Digest> {
    #[derive(Deserialize)]
    struct Index {
        manifests: Vec<Entry>,
    }
    #[derive(Deserialize)]
    struct Entry {
        digest: String,
        #[serde(default)]
        annotations: HashMap<String, String>,
    }
    let local = |reason: String| Error::Local {
        path: dir.to_owned(),
        reason,
    };
    let text = tokio::fs::read_to_string(dir.join("index.json"))
        .await
        .map_err(|e| local(format!("not an OCI image layout (index.json: {e})")))?;
    let index: Index =
        serde_json::from_str(&text).map_err(|e| local(format!("malformed index.json: {e}")))?;
    let name_of = |e: &Entry| {
        e.annotations
            .get("org.opencontainers.image.ref.name")
            .cloned()
    };
    let chosen = match tag {
        Some(tag) => index
            .manifests
            .iter()
            .find(|e| {
                name_of(e)
                    .is_some_and(|n| n == tag || n.rsplit_once(':').is_some_and(|(_, t)| t == tag))
            })
            .ok_or_else(|| {
                let names: Vec<String> = index.manifests.iter().filter_map(name_of).collect();
                local(format!(
                    "no image tagged `{tag}` (tags: {})",
                    if names.is_empty() {
                        "none".into()
                    } else {
                        names.join(", ")
                    }
                ))
            })?,
        None => match index.manifests.as_slice() {
            [only] => only,
            [] => return Err(local("index.json lists no images".into())),
            many => {
                let names: Vec<String> = many.iter().filter_map(name_of).collect();
                return Err(local(format!(
                    "layout holds {} images; name one as oci-layout:DIR:TAG (tags: {})",
                    many.len(),
                    names.join(", ")
                )));
            }
        },
    };
    chosen
        .digest
        .parse()
        .map_err(|e: plimsoll_types::Error| local(e.to_string()))
}

/// Reads a `docker save` archive's `manifest.json` and config; layers are located by offset so
/// they stream straight from the archive file later.
fn resolve_archive(path: &Path) -> Result<Resolved> {
    #[derive(Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct ArchiveManifest {
        config: String,
        layers: Vec<String>,
    }
    let local = |reason: String| Error::Local {
        path: path.to_owned(),
        reason,
    };
    let mut file = fs_err::File::open(path).map_err(|e| local(e.to_string()))?;
    // Index the archive (member → data offset, size) without reading layer data; members are
    // then read in place, so layers stream straight from the archive file.
    let mut offsets: HashMap<String, (u64, u64)> = HashMap::new();
    {
        let mut archive = tar::Archive::new(&mut file);
        for entry in archive
            .entries_with_seek()
            .map_err(|e| local(format!("not a tar archive: {e}")))?
        {
            let entry = entry.map_err(|e| local(format!("corrupt tar archive: {e}")))?;
            let name = String::from_utf8_lossy(&entry.path_bytes())
                .trim_start_matches("./")
                .to_owned();
            offsets.insert(name, (entry.raw_file_position(), entry.size()));
        }
    }
    let mut read_member = |name: &str, limit: u64| -> Result<Vec<u8>> {
        let (offset, size) = *offsets
            .get(name)
            .ok_or_else(|| local(format!("{name} missing from archive")))?;
        if size > limit {
            return Err(local(format!("{name} exceeds {limit} bytes")));
        }
        let mut bytes = Vec::new();
        file.seek(SeekFrom::Start(offset))
            .and_then(|_| (&mut file).take(size).read_to_end(&mut bytes))
            .map_err(|e| local(format!("reading {name}: {e}")))?;
        Ok(bytes)
    };
    let manifest_bytes = read_member("manifest.json", MAX_CONFIG_BYTES)
        .map_err(|_| local("no manifest.json: not a docker-archive (docker save) file".into()))?;
    let manifests: Vec<ArchiveManifest> = serde_json::from_slice(&manifest_bytes)
        .map_err(|e| local(format!("malformed manifest.json: {e}")))?;
    let manifest = match manifests.as_slice() {
        [one] => one,
        [] => return Err(local("manifest.json lists no images".into())),
        _ => {
            return Err(local(format!(
                "archive holds {} images; only single-image archives are supported",
                manifests.len()
            )));
        }
    };
    let config_bytes = &read_member(&manifest.config, MAX_CONFIG_BYTES)?;
    let config_digest = Digest::sha256_of(config_bytes);
    let config = ImageConfig::parse(config_bytes, &config_digest)?;
    let mut layer_offsets = Vec::new();
    let mut layers = Vec::new();
    for layer in &manifest.layers {
        let (offset, size) = *offsets
            .get(layer)
            .ok_or_else(|| local(format!("layer {layer} missing from archive")))?;
        layer_offsets.push((offset, size));
        // `blobs/sha256/<hex>` names (docker ≥ 25) carry the digest; legacy `<id>/layer.tar` do not.
        let digest = layer
            .strip_prefix("blobs/sha256/")
            .and_then(|hex| format!("sha256:{hex}").parse().ok());
        layers.push((
            digest,
            "application/vnd.docker.image.rootfs.diff.tar".to_owned(),
            size,
        ));
    }
    config.check_layer_count(layers.len(), &config_digest)?;
    // The archive has no registry manifest; the config digest is the image's identity (Docker's image id).
    Ok(Resolved {
        source: ImageSource::DockerArchive {
            path: path.display().to_string(),
        },
        manifest_digest: config_digest.clone(),
        index_digest: None,
        config_digest,
        config,
        layers,
        blobs: Layers::Archive {
            path: path.to_owned(),
            offsets: layer_offsets,
        },
        warnings: Vec::new(),
    })
}
