//! A registry scan run: discovery → metadata → filters → scan (pull, analyse, fold) → match →
//! store, with `max_workers` images in flight and each registry's own request cap.
//!
//! Content addressing decides what is done: a platform image whose inventory is stored is
//! not pulled again (only re-matched if the database changed since), a layer whose facts are
//! stored is not downloaded again, and tags sharing one digest are scanned once. Every store
//! write is one transaction, so a run killed at any moment loses only the images in flight
//! and the next run picks up where it stopped.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use time::OffsetDateTime;
use tokio::sync::Semaphore;

use plimsoll_filter::{Candidate, Decision, Filter};
use plimsoll_registry::RegistryClient;
use plimsoll_scan::{BoxFuture, FactsCache, ScanOptions, Scanner};
use plimsoll_store::{ImageOutcome, OutcomeStatus, RunEnd, RunId, RunTotals, Store};
use plimsoll_types::{Digest, ImageInventory, LayerFacts, Platform};
use plimsoll_vendors::Discovery;
use plimsoll_vulndb::VulnDb;

use crate::config::{RegistryConfig, ScanConfig};
use crate::discover::{self, DiscoveredTag};
use crate::matching::MatchService;
use crate::{Error, Result};

/// How to run.
#[derive(Clone, Copy, Debug, Default)]
pub struct RunOptions {
    /// Discovery, metadata and filters only: say what would be scanned and why the rest
    /// would not; no lock, no run record, no pull.
    pub dry_run: bool,
    /// Wait for a run in progress on the same store instead of exiting at once.
    pub wait: bool,
}

/// The phases of a run, for progress reporting.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Listing repositories and tags.
    Discovery,
    /// Reading each tag's digest and creation date.
    Metadata,
    /// Pulling, analysing and matching.
    Scan,
}

impl std::fmt::Display for Phase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Phase::Discovery => "discovery",
            Phase::Metadata => "metadata fetching",
            Phase::Scan => "scan",
        })
    }
}

/// Where a run reports its progress (a progress bar on a terminal, log lines otherwise).
pub trait Progress: Send + Sync {
    /// A phase starts with `total` items (0 when unknown).
    fn start(&self, phase: Phase, total: u64);
    /// `n` more items of the current phase are done.
    fn advance(&self, n: u64);
    /// The current phase is over.
    fn finish(&self);
    /// The run was recorded in the store under `run` (before discovery starts), so a caller
    /// can show it while the run goes on.
    fn run_started(&self, run: RunId) {
        let _ = run;
    }
    /// Asked before each image is started: `true` stops the run at this image boundary (the
    /// images in flight finish and are stored; the run ends `interrupted`). `plimsoll serve`
    /// answers `true` once it is shutting down.
    fn should_stop(&self) -> bool {
        false
    }
}

/// A [`Progress`] that reports nothing.
pub struct NoProgress;

impl Progress for NoProgress {
    fn start(&self, _: Phase, _: u64) {}
    fn advance(&self, _: u64) {}
    fn finish(&self) {}
}

/// One tag's fate in a run.
#[derive(Clone, Debug)]
pub struct TagOutcome {
    /// The tag.
    pub tag: DiscoveredTag,
    /// Success, Failed or Skipped.
    pub status: OutcomeStatus,
    /// Why it failed or was skipped; for a success, whether stored results were reused.
    pub cause: Option<String>,
}

/// What a run did.
#[derive(Debug, Default)]
pub struct RunSummary {
    /// The run's id in the store (none for a dry run).
    pub run: Option<RunId>,
    /// Tags discovered in every registry.
    pub discovered: usize,
    /// The filters' verdict on each discovered tag whose metadata could be read.
    pub decisions: Vec<(DiscoveredTag, Decision)>,
    /// Outcome of every tag considered (selected by the filters, or failed before them).
    pub outcomes: Vec<TagOutcome>,
    /// Platform images pulled and analysed in this run.
    pub images_analysed: usize,
    /// Platform images whose stored inventory was reused (re-matched if the database changed).
    pub images_reused: usize,
    /// Wall time.
    pub elapsed: Duration,
    /// The run stopped early because [`Progress::should_stop`] said so.
    pub stopped: bool,
}

impl RunSummary {
    /// Counts of `outcomes` by status: (total, success, failed, skipped).
    pub fn totals(&self) -> RunTotals {
        let count =
            |s: OutcomeStatus| self.outcomes.iter().filter(|o| o.status == s).count() as u64;
        let (success, failed, skipped) = (
            count(OutcomeStatus::Success),
            count(OutcomeStatus::Failed),
            count(OutcomeStatus::Skipped),
        );
        RunTotals {
            total: success + failed + skipped,
            success,
            failed,
            skipped,
        }
    }

    /// The Sysdig registry scanner's summary line: `Total: N = Success: X + Failed: Y + Skipped: Z`.
    pub fn line(&self) -> String {
        let t = self.totals();
        format!(
            "Total: {} = Success: {} + Failed: {} + Skipped: {}",
            t.total, t.success, t.failed, t.skipped
        )
    }
}

/// Layer facts kept in the results store, for the scanner.
struct StoreFacts(Store);

impl FactsCache for StoreFacts {
    fn load<'a>(
        &'a self,
        digest: &'a Digest,
        analyzer_key: &'a str,
    ) -> BoxFuture<'a, Option<LayerFacts>> {
        Box::pin(async move {
            self.0
                .layer_facts(digest, analyzer_key)
                .await
                .unwrap_or_else(|e| {
                    tracing::warn!(layer = %digest, "store: {e}; analysing the layer again");
                    None
                })
        })
    }

    fn save<'a>(&'a self, facts: &'a LayerFacts, analyzer_key: &'a str) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            if let Err(e) = self.0.put_layer_facts(facts, analyzer_key).await {
                tracing::warn!(layer = %facts.digest, "store: cannot keep layer facts: {e}");
            }
        })
    }
}

/// One registry, ready to talk to.
pub(crate) struct Connected {
    pub(crate) client: Arc<RegistryClient>,
    pub(crate) scanner: Arc<Scanner>,
    /// Requests (images) in flight to this registry at most.
    permits: Arc<Semaphore>,
}

/// One registry host of a run: a configured registry, or one of the hosts a vendor resolved it
/// to (an ECR account × region). `DiscoveredTag::registry` indexes these.
pub(crate) struct Target {
    /// Index of its registry in the configuration.
    pub(crate) config: usize,
    /// `host[:port]` its images are pulled from and named after.
    pub(crate) host: String,
    /// Lists it; also keeps vendor-issued credentials current while the run lasts.
    pub(crate) discovery: Box<dyn Discovery>,
    pub(crate) connected: Connected,
}

/// The registry hosts `registry` stands for, each with its client (credentials scoped to
/// that host) and scanner.
async fn resolve_targets(
    index: usize,
    registry: &RegistryConfig,
    scan_options: &ScanOptions,
    facts: &Arc<StoreFacts>,
) -> std::result::Result<Vec<Target>, String> {
    let client = Arc::new(registry.client().map_err(|e| e.to_string())?);
    // ECR has no host of its own (its accounts and regions are); the other vendors' endpoint
    // carries their API URL, credentials and namespaces.
    let endpoint = if registry.kind == plimsoll_vendors::Vendor::Ecr {
        plimsoll_vendors::Endpoint::new(registry.host().unwrap_or_default(), Arc::clone(&client))
    } else {
        registry
            .endpoint(Arc::clone(&client))
            .map_err(|e| e.to_string())?
    };
    let options = registry.vendor_options().map_err(|e| e.to_string())?;
    let resolved = plimsoll_vendors::resolve(registry.kind, endpoint, &options)
        .await
        .map_err(|e| error_chain(&e))?;
    let mut targets = Vec::new();
    for r in resolved {
        let host = r.discovery.registry().to_owned();
        let client = if r.credentials.is_some() || r.plain_http.is_some() {
            Arc::new(
                registry
                    .client_for(&host, r.credentials, r.plain_http)
                    .map_err(|e| e.to_string())?,
            )
        } else {
            Arc::clone(&client)
        };
        let scanner = Scanner::new(Arc::clone(&client), scan_options.clone())
            .with_facts_cache(Arc::clone(facts) as Arc<dyn FactsCache>);
        targets.push(Target {
            config: index,
            host,
            discovery: r.discovery,
            connected: Connected {
                client,
                scanner: Arc::new(scanner),
                permits: Arc::new(Semaphore::new(registry.max_concurrency)),
            },
        });
    }
    Ok(targets)
}

/// Scans every registry of `config` into `store`, matching against `db`.
pub async fn run(
    config: &ScanConfig,
    store: &Store,
    db: VulnDb,
    options: RunOptions,
    progress: &dyn Progress,
) -> Result<RunSummary> {
    config.validate()?;
    let started = Instant::now();
    let _lock = if options.dry_run {
        None
    } else {
        Some(store.lock_runs(options.wait).await?)
    };
    let run_id = if options.dry_run {
        None
    } else {
        let id = store.start_run(&describe(config)).await?;
        tracing::info!(run = id.get(), store = %store.path().display(), "run started");
        progress.run_started(id);
        Some(id)
    };
    let mut summary = RunSummary {
        run: run_id,
        ..RunSummary::default()
    };
    let started_at = time::OffsetDateTime::now_utc();
    let notifier = plimsoll_notify::Notifier::new(&config.notifications)
        .map_err(|e| Error::Config(format!("notifications: {e}")))?;
    let mut events = Vec::new();
    let result = run_phases(
        config,
        store,
        db,
        options,
        progress,
        &mut summary,
        (!config.notifications.is_empty()).then_some(&mut events),
    )
    .await;
    summary.elapsed = started.elapsed();
    if let Some(id) = run_id {
        let status = match &result {
            Ok(()) if summary.stopped => RunEnd::Interrupted,
            Ok(()) => RunEnd::Completed,
            Err(_) => RunEnd::Failed,
        };
        let totals = summary.totals();
        store.finish_run(id, status, totals).await?;
        crate::metrics::run_finished(status.into(), summary.elapsed);
        if !config.notifications.is_empty() {
            events.push(plimsoll_notify::Event::run_finished(
                config
                    .registries
                    .iter()
                    .map(crate::RegistryConfig::display_name)
                    .collect(),
                id.get().to_string(),
                started_at,
                time::OffsetDateTime::now_utc(),
                plimsoll_notify::RunCounts {
                    total: totals.total,
                    success: totals.success,
                    failed: totals.failed,
                    skipped: totals.skipped,
                },
            ));
            for event in &events {
                crate::alerts::deliver(&notifier, event).await;
            }
        }
    }
    result.map(|()| summary)
}

async fn run_phases(
    config: &ScanConfig,
    store: &Store,
    db: VulnDb,
    options: RunOptions,
    progress: &dyn Progress,
    summary: &mut RunSummary,
    events: Option<&mut Vec<plimsoll_notify::Event>>,
) -> Result<()> {
    let platforms = config.platforms()?;
    let scan_options = ScanOptions::default();
    let store_facts = Arc::new(StoreFacts(store.clone()));

    // Each configured registry → the registry hosts it stands for (one, or an ECR
    // organization's accounts × regions), each with its own client and request cap.
    let mut targets: Vec<Target> = Vec::new();
    let mut unresolved: Vec<(usize, String)> = Vec::new();
    for (index, registry) in config.registries.iter().enumerate() {
        // Boxed: the AWS SDK's futures are large, and this one would live inside the run's.
        match Box::pin(resolve_targets(
            index,
            registry,
            &scan_options,
            &store_facts,
        ))
        .await
        {
            Ok(resolved) => targets.extend(resolved),
            Err(e) => {
                tracing::error!(registry = %registry.display_name(), "discovery failed: {e}");
                unresolved.push((index, e));
            }
        }
    }

    // Discovery.
    progress.start(Phase::Discovery, targets.len() as u64);
    let phase = Instant::now();
    let mut listings = Vec::new();
    for target in &targets {
        let registry = &config.registries[target.config];
        let listing = discover::list(
            target.discovery.as_ref(),
            &registry.display_name(),
            config.filter.max_repositories_per_registry as usize,
            registry.max_concurrency,
        )
        .await;
        match &listing {
            Ok(l) => {
                tracing::info!(registry = %registry.display_name(), host = %target.host, repositories = l.repositories, tags = l.tags.len(), "discovery");
            }
            Err(e) => {
                tracing::error!(registry = %registry.display_name(), host = %target.host, "discovery failed: {e}");
            }
        }
        listings.push(listing);
        progress.advance(1);
    }
    progress.finish();
    tracing::info!(
        phase = %Phase::Discovery,
        seconds = phase.elapsed().as_secs_f64(),
        tags = listings.iter().flatten().map(|l| l.tags.len()).sum::<usize>(),
        "phase complete"
    );

    // Metadata, only of the tags the patterns keep: reading a manifest (and a config) per
    // excluded tag would be most of the work on a large registry with narrow patterns.
    let filter =
        Filter::new(config.filter.clone()).map_err(|e| Error::Config(format!("filter: {e}")))?;
    let mut pattern_skipped: Vec<(DiscoveredTag, Decision)> = Vec::new();
    for (index, (target, listing)) in targets.iter().zip(&mut listings).enumerate() {
        let Ok(listing) = listing else { continue };
        let registry = &config.registries[target.config];
        let host = &target.host;
        listing.tags.retain(|(repository, tag)| {
            let Some(reason) = filter.pattern_skip(host, repository, &tag.name) else {
                return true;
            };
            pattern_skipped.push((
                DiscoveredTag {
                    registry: index,
                    registry_name: registry.display_name(),
                    host: host.clone(),
                    repository: repository.clone(),
                    tag: tag.name.clone(),
                    image: Err("not read: the patterns exclude it".to_owned()),
                    pushed_at: tag.pushed_at,
                },
                Decision::Skip(reason),
            ));
            false
        });
    }
    let total_tags: usize = listings.iter().flatten().map(|l| l.tags.len()).sum();
    progress.start(Phase::Metadata, total_tags as u64);
    let phase = Instant::now();
    let mut discovered: Vec<DiscoveredTag> = Vec::new();
    let failures = unresolved
        .into_iter()
        .map(|(config_index, e)| (config_index, String::new(), Err(e)));
    let listed = targets
        .iter()
        .zip(listings)
        .map(|(t, l)| (t.config, t.host.clone(), l));
    for (index, (config_index, host, listing)) in listed.chain(failures).enumerate() {
        let registry = &config.registries[config_index];
        let listing = match listing {
            Ok(listing) => listing,
            Err(e) => {
                // The whole registry counts as one failure: nothing of it could be seen.
                summary.outcomes.push(TagOutcome {
                    tag: DiscoveredTag {
                        registry: index,
                        registry_name: registry.display_name(),
                        host: if host.is_empty() {
                            registry.host().unwrap_or_default()
                        } else {
                            host.clone()
                        },
                        repository: String::new(),
                        tag: String::new(),
                        image: Err(e.clone()),
                        pushed_at: None,
                    },
                    status: OutcomeStatus::Failed,
                    cause: Some(format!("registry {}: {e}", registry.display_name())),
                });
                continue;
            }
        };
        let tags = discover::describe_tags(
            index,
            registry,
            &host,
            &targets[index].connected,
            store,
            listing.tags,
            progress,
        )
        .await;
        discovered.extend(tags);
    }
    progress.finish();
    summary.discovered = discovered.len() + pattern_skipped.len();
    tracing::info!(
        phase = %Phase::Metadata,
        seconds = phase.elapsed().as_secs_f64(),
        tags = discovered.len(),
        excluded_unread = pattern_skipped.len(),
        failed = discovered.iter().filter(|t| t.image.is_err()).count(),
        "phase complete"
    );

    // Filters.
    let now = OffsetDateTime::now_utc();
    let candidates: Vec<Candidate> = discovered
        .iter()
        .map(|t| Candidate {
            registry: t.host.clone(),
            repository: t.repository.clone(),
            tag: t.tag.clone(),
            // A tag whose manifest could not be read has no digest; the filters decide on
            // names and dates, so a stand-in derived from the name serves.
            digest: t
                .digest()
                .cloned()
                .unwrap_or_else(|| Digest::sha256_of(t.reference_string().as_bytes())),
            created: t.created(),
        })
        .collect();
    // The same decisions as on every discovered tag (plimsoll-filter tests that identity).
    let decisions = filter.decide(&candidates, now);
    let mut selected = Vec::new();
    for (tag, decision) in discovered.into_iter().zip(decisions) {
        if decision.is_scan() {
            selected.push(tag.clone());
        }
        summary.decisions.push((tag, decision));
    }
    summary.decisions.extend(pattern_skipped);
    tracing::info!(
        discovered = summary.discovered,
        selected = selected.len(),
        filtered_out = summary.discovered - selected.len(),
        "filters applied"
    );
    if options.dry_run {
        return Ok(());
    }
    // Only selected tags enter the store's results: reports list what was scanned (or failed
    // or was skipped), not every tag the filters left out.
    record_tags(store, &selected).await?;

    // Scan: one job per distinct (registry, digest); the job's outcome is every tag's.
    let mut jobs: BTreeMap<(usize, String), Vec<DiscoveredTag>> = BTreeMap::new();
    for tag in selected {
        match &tag.image {
            Ok(image) => jobs
                .entry((tag.registry, image.meta.digest.to_string()))
                .or_default()
                .push(tag),
            Err(e) => {
                let cause = format!("{}: {e}", tag.reference_string());
                tracing::error!(image = %tag.reference_string(), "{e}");
                store_outcome(
                    store,
                    summary.run,
                    &tag,
                    OutcomeStatus::Failed,
                    Some(&cause),
                    None,
                )
                .await?;
                summary.outcomes.push(TagOutcome {
                    tag,
                    status: OutcomeStatus::Failed,
                    cause: Some(cause),
                });
            }
        }
    }
    let tag_count: usize = jobs.values().map(Vec::len).sum();
    progress.start(Phase::Scan, tag_count as u64);
    let phase = Instant::now();
    let (matcher, matcher_thread) = MatchService::start(db)?;
    let new_findings = std::sync::Mutex::new(Vec::new());
    let context = JobContext {
        store,
        matcher: &matcher,
        targets: &targets,
        platforms: &platforms,
        new_findings: events.is_some().then_some(&new_findings),
    };
    let context = &context;
    let run = summary.run;
    // Every store write happens inside the job futures: awaiting the store in this loop while
    // suspended jobs hold pool connections could starve it.
    let stop_requested = std::sync::atomic::AtomicBool::new(false);
    let stop_requested = &stop_requested;
    let mut results = futures_util::stream::iter(jobs.into_values())
        // Asked as each job is about to start: stopping here loses nothing (every store write
        // is per image, and the jobs in flight finish).
        .take_while(|_| {
            let stop = progress.should_stop();
            if stop {
                stop_requested.store(true, std::sync::atomic::Ordering::Relaxed);
            }
            std::future::ready(!stop)
        })
        .map(|tags| async move {
            let job = context.scan(&tags).await;
            let mut stored = Ok(());
            for tag in &tags {
                if job.status == OutcomeStatus::Failed {
                    tracing::error!(image = %tag.reference_string(), "{}", job.cause.as_deref().unwrap_or("failed"));
                }
                if stored.is_ok() {
                    stored = store_outcome(store, run, tag, job.status, job.cause.as_deref(), Some(&job)).await;
                }
            }
            (tags, job, stored)
        })
        .buffer_unordered(config.max_workers);
    while let Some((tags, job, stored)) = results.next().await {
        stored?;
        summary.images_analysed += job.analysed;
        summary.images_reused += job.reused;
        crate::metrics::image_finished(
            &tags[0].registry_name,
            job.status,
            job.analysed,
            job.reused,
            Duration::from_millis(job.scan_ms + job.matching_ms),
        );
        progress.advance(tags.len() as u64);
        for tag in tags {
            summary.outcomes.push(TagOutcome {
                tag,
                status: job.status,
                cause: job.cause.clone(),
            });
        }
    }
    drop(results);
    summary.stopped = stop_requested.load(std::sync::atomic::Ordering::Relaxed);
    if summary.stopped {
        tracing::warn!(
            done = summary.outcomes.len(),
            "run stopped on request between images; the images not started were not scanned"
        );
    }
    progress.finish();
    drop(matcher);
    matcher_thread
        .join()
        .map_err(|_| Error::Task("the matching thread panicked".into()))?;
    if let Some(events) = events {
        events.extend(
            new_findings
                .into_inner()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        );
    }
    tracing::info!(
        phase = %Phase::Scan,
        seconds = phase.elapsed().as_secs_f64(),
        analysed = summary.images_analysed,
        reused = summary.images_reused,
        "phase complete"
    );
    // Docker Hub (and registries like it) count pulls: say how many are left.
    for target in &targets {
        let registry = &config.registries[target.config];
        if let Some(remaining) = target.connected.client.pulls_remaining(&target.host) {
            tracing::info!(
                registry = %registry.display_name(),
                host = %target.host,
                remaining,
                "registry pull rate limit: {remaining} pulls left in the current window"
            );
        }
    }
    Ok(())
}

/// The shared state of scan jobs.
struct JobContext<'a> {
    store: &'a Store,
    matcher: &'a MatchService,
    targets: &'a [Target],
    platforms: &'a [Platform],
    /// Where jobs put `findings.new` events, when notifications are configured.
    new_findings: Option<&'a std::sync::Mutex<Vec<plimsoll_notify::Event>>>,
}

/// What one job (one digest) came to.
#[derive(Debug)]
struct JobResult {
    status: OutcomeStatus,
    cause: Option<String>,
    analysed: usize,
    reused: usize,
    digest: Option<Digest>,
    scan_ms: u64,
    matching_ms: u64,
}

impl JobContext<'_> {
    async fn scan(&self, tags: &[DiscoveredTag]) -> JobResult {
        let first = &tags[0];
        let mut result = JobResult {
            status: OutcomeStatus::Success,
            cause: None,
            analysed: 0,
            reused: 0,
            digest: first.digest().cloned(),
            scan_ms: 0,
            matching_ms: 0,
        };
        if let Err(cause) = self.scan_digest(first, &mut result).await {
            result.status = OutcomeStatus::Failed;
            result.cause = Some(cause);
        }
        result
    }

    async fn scan_digest(
        &self,
        tag: &DiscoveredTag,
        result: &mut JobResult,
    ) -> std::result::Result<(), String> {
        let image = tag.image.as_ref().map_err(Clone::clone)?;
        if let Some(reason) = &image.not_an_image {
            result.status = OutcomeStatus::Skipped;
            result.cause = Some(reason.clone());
            return Ok(());
        }
        let wanted: Vec<_> = image
            .meta
            .platforms
            .iter()
            .filter(|p| {
                self.platforms.is_empty() || self.platforms.iter().any(|w| w.selects(&p.platform))
            })
            .collect();
        if wanted.is_empty() {
            let has: Vec<String> = image
                .meta
                .platforms
                .iter()
                .map(|p| p.platform.to_string())
                .collect();
            let want: Vec<String> = self.platforms.iter().map(ToString::to_string).collect();
            result.status = OutcomeStatus::Skipped;
            result.cause = Some(format!(
                "no platform wanted (platforms = {}; the image has {})",
                want.join(", "),
                if has.is_empty() {
                    "none".to_owned()
                } else {
                    has.join(", ")
                }
            ));
            return Ok(());
        }
        let connected = &self.targets[tag.registry].connected;
        let _permit = connected
            .permits
            .acquire()
            .await
            .map_err(|_| "the run is shutting down".to_owned())?;
        let reference = tag
            .reference()
            .ok_or_else(|| format!("{}: not a valid reference", tag.reference_string()))?;
        let key = connected.scanner.analyzer_key();
        for platform_image in wanted {
            let digest = &platform_image.manifest_digest;
            let stored = self
                .store
                .has_inventory(digest, key)
                .await
                .map_err(|e| e.to_string())?;
            let inventory = if stored {
                let up_to_date = self
                    .store
                    .findings_db_built_at(digest)
                    .await
                    .map_err(|e| e.to_string())?
                    .is_some_and(|built_at| built_at.as_deref() == self.matcher.built_at());
                result.reused += 1;
                if up_to_date {
                    continue;
                }
                self.store
                    .inventory(digest, key)
                    .await
                    .map_err(|e| e.to_string())?
                    .ok_or_else(|| format!("stored inventory {digest} vanished"))?
            } else {
                let index_digest =
                    (image.meta.digest != *digest).then(|| image.meta.digest.clone());
                let started = Instant::now();
                let inventory = connected
                    .scanner
                    .scan_image(&reference, digest, index_digest)
                    .await
                    .map_err(|e| {
                        format!(
                            "{} ({}): {}",
                            tag.reference_string(),
                            platform_image.platform,
                            error_chain(&e)
                        )
                    })?;
                result.scan_ms += millis(started.elapsed());
                self.store
                    .put_inventory(&inventory, key)
                    .await
                    .map_err(|e| e.to_string())?;
                tracing::info!(
                    image = %tag.reference_string(),
                    platform = %platform_image.platform,
                    manifest = %digest,
                    packages = inventory.packages.len(),
                    "inventory stored"
                );
                result.analysed += 1;
                inventory
            };
            self.match_and_store(inventory, result).await?;
        }
        if result.analysed == 0 {
            result.cause = Some("results reused from the store".to_owned());
        }
        Ok(())
    }

    async fn match_and_store(
        &self,
        inventory: ImageInventory,
        result: &mut JobResult,
    ) -> std::result::Result<(), String> {
        let started = Instant::now();
        let (inventory, outcome) = self
            .matcher
            .match_inventory(inventory)
            .await
            .map_err(|e| e.to_string())?;
        for problem in &outcome.problems {
            tracing::warn!(image = %inventory.source.display_name(), "{problem}");
        }
        if let Some(events) = self.new_findings
            && let Some(event) = crate::alerts::new_findings_event(self.store, &inventory, &outcome)
                .await
                .map_err(|e| e.to_string())?
        {
            events
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .push(event);
        }
        self.store
            .put_findings(
                &inventory.manifest_digest,
                self.matcher.built_at(),
                &outcome.findings,
            )
            .await
            .map_err(|e| e.to_string())?;
        result.matching_ms += millis(started.elapsed());
        Ok(())
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// `error: cause: cause`, the way the CLI prints errors.
pub(crate) fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out
}

/// Tags are filed under their registry's host, so stored results name images the way
/// references do (`127.0.0.1:5000/lab/app:1`).
async fn record_tags(store: &Store, tags: &[DiscoveredTag]) -> Result<()> {
    let mut by_repository: HashMap<(&str, &str), Vec<(String, Digest)>> = HashMap::new();
    for tag in tags {
        if let Some(digest) = tag.digest() {
            by_repository
                .entry((tag.host.as_str(), tag.repository.as_str()))
                .or_default()
                .push((tag.tag.clone(), digest.clone()));
        }
    }
    for ((registry, repository), tags) in by_repository {
        store.record_tags(registry, repository, &tags).await?;
    }
    Ok(())
}

/// Stores one tag's outcome in the run record (nothing for a dry run).
async fn store_outcome(
    store: &Store,
    run: Option<RunId>,
    tag: &DiscoveredTag,
    status: OutcomeStatus,
    cause: Option<&str>,
    job: Option<&JobResult>,
) -> Result<()> {
    let Some(run) = run else {
        return Ok(());
    };
    store
        .record_outcome(
            run,
            &ImageOutcome {
                registry: tag.host.clone(),
                repository: tag.repository.clone(),
                tag: tag.tag.clone(),
                digest: job
                    .and_then(|j| j.digest.clone())
                    .or_else(|| tag.digest().cloned()),
                platform: None,
                status,
                cause: cause.map(str::to_owned),
                pull_ms: None,
                analysis_ms: job.map(|j| j.scan_ms),
                matching_ms: job.map(|j| j.matching_ms),
            },
        )
        .await?;
    Ok(())
}

/// What the run record says about the configuration: registries and key limits, no secrets.
fn describe(config: &ScanConfig) -> String {
    let registries: Vec<String> = config
        .registries
        .iter()
        .map(crate::config::RegistryConfig::display_name)
        .collect();
    format!(
        "registries: {}; max_workers {}; max_age_days {}; max_tags_per_repository {}",
        registries.join(", "),
        config.max_workers,
        config.filter.max_age_days,
        config.filter.max_tags_per_repository
    )
}
