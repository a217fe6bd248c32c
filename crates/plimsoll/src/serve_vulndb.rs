//! `plimsoll serve --config`'s work besides scans: the vulnerability database refresh
//! (`[vulndb]`, with the re-match of `rescan_on_db_update` registries after a new build) and
//! the `image.stale` check (`[alerts] stale_after`). The server crate schedules both; this is
//! where they meet the database (`plimsoll-vulndb`) and the worker.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use anyhow::Context as _;
use time::OffsetDateTime;

use plimsoll_server::{
    BoxFuture, DbBuild, DbMaintenance, DbRefresher, RefreshSettings, RematchHandle, RematchReport,
    RescanHosts, Scheduler, StaleWatch,
};
use plimsoll_store::{RunId, Store};
use plimsoll_vulndb::VulnDb;
use plimsoll_worker::{Alerts, Phase, Progress, RematchOptions, ScanConfig};

use crate::image::open_db;

/// The refresh and the stale check, validated and ready to start.
pub(crate) struct Background {
    refresher: DbRefresher,
    stale: Option<(RescanHosts, std::time::Duration)>,
    alerts: Alerts,
    store: Store,
    running_stale: Option<StaleWatch>,
}

/// Checks `[vulndb]` and `[alerts]` of `config` (before the server listens) and prepares both.
pub(crate) async fn prepare(
    config: &ScanConfig,
    store: &Store,
    db_dir: PathBuf,
    scheduler: &Scheduler,
) -> anyhow::Result<Background> {
    let settings = RefreshSettings::from_config(&config.vulndb, crate::db::default_sources())
        .context("invalid configuration")?;
    let stale_after = plimsoll_server::parse_stale_after(config.alerts.stale_after.as_deref())
        .context("invalid configuration")?;
    let alerts = Alerts::new(config)?;
    // Asked each time: the file's registries change on reload, the API's at any time.
    let hosts = |rescan_only: bool| -> RescanHosts {
        let scheduler = scheduler.clone();
        Arc::new(move || {
            let mut hosts = Vec::new();
            for registry in scheduler.configs() {
                // Every host was checked when its registry was accepted.
                if (!rescan_only || registry.rescan_on_db_update)
                    && let Ok(host) = registry.host()
                    && !hosts.contains(&host)
                {
                    hosts.push(host);
                }
            }
            hosts
        })
    };
    let maintenance = Maintenance {
        db_dir,
        sources: settings.sources.clone(),
        store: store.clone(),
        config: Arc::new(config.clone()),
        known: Arc::new(Mutex::new(None)),
    };
    let build = maintenance
        .current()
        .await
        .map_err(anyhow::Error::msg)
        .context("reading the vulnerability database")?;
    let rescan = hosts(true);
    tracing::info!(
        update_interval = ?settings.update_interval,
        update_on_start = settings.update_on_start,
        sources = settings.sources.len(),
        rescan_on_db_update = ?rescan(),
        "vulnerability database refresh configured"
    );
    let refresher = DbRefresher::new(
        settings,
        rescan,
        build,
        Arc::new(maintenance),
        alerts.clone(),
        OffsetDateTime::now_utc(),
    );
    Ok(Background {
        refresher,
        stale: stale_after.map(|after| (hosts(false), after)),
        alerts,
        store: store.clone(),
        running_stale: None,
    })
}

impl Background {
    /// The refresher, for the API.
    pub(crate) fn refresher(&self) -> DbRefresher {
        self.refresher.clone()
    }

    /// Starts the refresh and the stale check (on the current tokio runtime).
    pub(crate) fn start(&mut self) {
        self.refresher.start();
        if let Some((hosts, after)) = self.stale.clone() {
            tracing::info!(stale_after = ?after, "image.stale check started");
            self.running_stale = Some(StaleWatch::start(
                self.store.clone(),
                hosts,
                after,
                self.alerts.clone(),
            ));
        }
    }

    /// Stops both: an update in flight is abandoned, a re-match stops at its next image.
    pub(crate) async fn stop(self) {
        if let Some(stale) = self.running_stale {
            stale.stop().await;
        }
        self.refresher.stop().await;
    }
}

/// The database operations of the refresh.
struct Maintenance {
    db_dir: PathBuf,
    sources: Vec<String>,
    store: Store,
    config: Arc<ScanConfig>,
    /// The build last read, so polling costs one read of `CURRENT` while nothing changes.
    known: Arc<Mutex<Option<DbBuild>>>,
}

impl DbMaintenance for Maintenance {
    fn current(&self) -> BoxFuture<'static, Result<Option<DbBuild>, String>> {
        let dir = self.db_dir.clone();
        let known = Arc::clone(&self.known);
        Box::pin(async move {
            tokio::task::spawn_blocking(move || {
                let Some(generation) =
                    plimsoll_vulndb::current_generation(&dir).map_err(|e| e.to_string())?
                else {
                    return Ok(None);
                };
                let mut known = known
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                if let Some(build) = known.as_ref().filter(|b| b.generation == generation) {
                    return Ok(Some(build.clone()));
                }
                // Opening reads `meta.json` only; the generation is the one actually opened
                // (another import may have switched `CURRENT` again meanwhile).
                let db = VulnDb::open(&dir).map_err(|e| e.to_string())?;
                let build = DbBuild {
                    generation: db
                        .generation()
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or(generation),
                    built_at: db.status().built_at,
                    records: db.status().records as u64,
                };
                *known = Some(build.clone());
                Ok(Some(build))
            })
            .await
            .map_err(|e| format!("the database status task ended abnormally: {e}"))?
        })
    }

    fn update(&self) -> BoxFuture<'static, Result<String, String>> {
        let dir = self.db_dir.clone();
        let sources = self.sources.clone();
        Box::pin(async move {
            let refreshed = crate::db::refresh(&dir, &sources)
                .await
                .map_err(|e| format!("{e:#}"))?;
            let mut message = match refreshed.imports.last() {
                Some(last) => format!(
                    "{} records now ({} import(s): {} added, {} updated, {} removed)",
                    last.meta.records,
                    refreshed.imports.len(),
                    refreshed.imports.iter().map(|i| i.added).sum::<usize>(),
                    refreshed.imports.iter().map(|i| i.updated).sum::<usize>(),
                    refreshed.imports.iter().map(|i| i.removed).sum::<usize>(),
                ),
                None => "up to date: no source changed".to_owned(),
            };
            if !refreshed.not_modified.is_empty() {
                let _ = write!(
                    message,
                    "; {} feed(s) not modified",
                    refreshed.not_modified.len()
                );
            }
            Ok(message)
        })
    }

    fn rematch(
        &self,
        registries: Vec<String>,
        handle: RematchHandle,
    ) -> BoxFuture<'static, Result<RematchReport, String>> {
        let store = self.store.clone();
        let config = Arc::clone(&self.config);
        let dir = self.db_dir.clone();
        let rematch = move || async move {
            let db = open_db(dir).await.map_err(|e| format!("{e:#}"))?;
            let generation = db
                .generation()
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let description = format!(
                "rematch after a vulnerability database update ({generation}); registries: {}",
                registries.join(", ")
            );
            let options = RematchOptions {
                // A scan run holds the lock: re-match once it has finished.
                wait: true,
                registries: Some(&registries),
                notifications: &config.notifications,
                record_run: Some(&description),
            };
            let key = plimsoll_scan::current_analyzer_key();
            plimsoll_worker::rematch(&store, db, &key, options, &Rematching(handle))
                .await
                .map_err(|e| anyhow::Error::from(e).to_string())
        };
        let runtime = tokio::runtime::Handle::current();
        Box::pin(async move {
            // As for scan runs (serve.rs): the worker's future is not provably `Send`, so a
            // blocking thread drives it, its own tasks still on the runtime.
            let summary = tokio::task::spawn_blocking(move || runtime.block_on(rematch()))
                .await
                .map_err(|e| format!("the re-match thread ended abnormally: {e}"))??;
            Ok(RematchReport {
                run: summary.run.map(RunId::get),
                inventories: summary.inventories as u64,
                images_with_new_findings: summary.images_with_new_findings as u64,
            })
        })
    }
}

/// Progress of a re-match: the run id goes to the refresher, which also says when to stop.
struct Rematching(RematchHandle);

impl Progress for Rematching {
    fn start(&self, _: Phase, _: u64) {}
    fn advance(&self, _: u64) {}
    fn finish(&self) {}
    fn run_started(&self, run: RunId) {
        self.0.tell(run.get());
    }
    fn should_stop(&self) -> bool {
        self.0.stop_requested()
    }
}
