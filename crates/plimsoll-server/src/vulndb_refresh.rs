//! The vulnerability database refresh of `plimsoll serve` (`[vulndb]`): one task that updates
//! the database on its interval or when the API asks, notices a new build however it came
//! (its own update, or `plimsoll db import|update` run beside the server), and then re-matches
//! the stored images of the registries with `rescan_on_db_update` without pulling anything.
//!
//! The server keeps answering throughout: the update runs in a task of its own (downloads are
//! async, the import on the blocking pool), and the API reads only the store and this status.
//! A database import writes a new immutable generation and switches a pointer file by rename,
//! so no reader ever sees half a database; a scan already matching keeps the generation it
//! opened (its open files pin it). That is why an update needs no lock against scans. The
//! re-match does: it takes the store's run lock (waiting for it), so it runs between scan runs,
//! never beside one, and a run that matched with the previous build is re-matched after it.
//!
//! The database operations are a [`DbMaintenance`], injected like the scheduler's
//! [`ScanRunner`](crate::ScanRunner): the binary's uses `plimsoll-vulndb` and
//! `plimsoll_worker::rematch`, so this crate still never opens the database. A failed update
//! leaves the last good database in use, is recorded (`GET /api/v1/vulndb`) and sent as
//! `db.update_failed` through the configured notifications.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use tokio::sync::Notify;
use tokio::task::JoinHandle;
use utoipa::ToSchema;

use plimsoll_worker::{Alerts, VulnDbConfig};

use crate::routes::list::rfc3339;
use crate::schedule::{MAX_INTERVAL, MIN_INTERVAL, format_interval, parse_duration};
use crate::scheduler::BoxFuture;

/// The default `update_interval`.
pub const DEFAULT_UPDATE_INTERVAL: Duration = Duration::from_hours(6);

/// How often the database pointer is read to notice a build made by another process (one
/// small file read).
const POLL: Duration = Duration::from_secs(15);

/// A `[vulndb]` or `[alerts]` key that cannot be used; the message names the key.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(pub(crate) String);

/// `[vulndb]`, validated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RefreshSettings {
    /// Update every this long; `None`: only when asked (`update_interval = "off"`).
    pub update_interval: Option<Duration>,
    /// Also update at start.
    pub update_on_start: bool,
    /// The sources an update reads (URLs, directories, zips), defaults resolved.
    pub sources: Vec<String>,
}

impl RefreshSettings {
    /// Checks `config`; `default_sources` stand in for an empty `sources` list.
    pub fn from_config(
        config: &VulnDbConfig,
        default_sources: Vec<String>,
    ) -> Result<RefreshSettings, ConfigError> {
        let update_interval = match config.update_interval.as_deref().map(str::trim) {
            None => Some(DEFAULT_UPDATE_INTERVAL),
            Some("off") => None,
            Some(text) => Some(
                parse_duration(text, "vulndb.update_interval", MIN_INTERVAL, MAX_INTERVAL)
                    .map_err(|e| ConfigError(e.to_string()))?,
            ),
        };
        if let Some(empty) = config.sources.iter().find(|s| s.trim().is_empty()) {
            return Err(ConfigError(format!(
                "vulndb.sources: an empty source `{empty}`"
            )));
        }
        Ok(RefreshSettings {
            update_interval,
            update_on_start: config.update_on_start,
            sources: if config.sources.is_empty() {
                default_sources
            } else {
                config.sources.clone()
            },
        })
    }
}

/// One build of the database, as the server sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DbBuild {
    /// The generation directory's name (changes with every import).
    pub generation: String,
    /// When it was built.
    pub built_at: OffsetDateTime,
    /// Advisories it holds.
    pub records: u64,
}

/// What a re-match reports.
#[derive(Clone, Debug, Default)]
pub struct RematchReport {
    /// Its run in the store.
    pub run: Option<i64>,
    /// Inventories matched again.
    pub inventories: u64,
    /// Images with an advisory they did not have before (each one a `findings.new`).
    pub images_with_new_findings: u64,
}

/// A re-match's line to the refresher: its run id, and whether to stop (shutdown).
#[derive(Clone)]
pub struct RematchHandle {
    run: Arc<Mutex<Option<i64>>>,
    stopping: Arc<AtomicBool>,
}

impl RematchHandle {
    /// The store recorded the re-match as `run`.
    pub fn tell(&self, run: i64) {
        *self
            .run
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(run);
    }

    /// Whether the server is stopping: stop at the next image.
    pub fn stop_requested(&self) -> bool {
        self.stopping.load(Ordering::Relaxed)
    }
}

/// The database operations, injected (the binary's use `plimsoll-vulndb` and the worker).
pub trait DbMaintenance: Send + Sync + 'static {
    /// The build in use now (`None`: no database yet). Called every few seconds: keep it cheap.
    fn current(&self) -> BoxFuture<'static, Result<Option<DbBuild>, String>>;
    /// Updates from the configured sources; `Ok` is a one-line summary, `Err` the reason
    /// (the previous build then stays current).
    fn update(&self) -> BoxFuture<'static, Result<String, String>>;
    /// Re-matches the stored images of `registries` (hosts) against the current build.
    fn rematch(
        &self,
        registries: Vec<String>,
        handle: RematchHandle,
    ) -> BoxFuture<'static, Result<RematchReport, String>>;
}

/// Why an update ran.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum UpdateTrigger {
    /// `update_interval` came due.
    Schedule,
    /// `update_on_start`.
    Start,
    /// `POST /api/v1/vulndb/updates`.
    Manual,
}

/// The last finished update.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct LastUpdate {
    /// Why it ran.
    pub trigger: UpdateTrigger,
    /// `completed` or `failed`.
    pub status: String,
    /// When it started (RFC 3339).
    pub started_at: String,
    /// When it finished (RFC 3339).
    pub finished_at: String,
    /// Whether it made a new build (an unchanged feed makes none).
    pub new_build: bool,
    /// What it did, one line.
    pub message: Option<String>,
    /// Why it failed; the previous database stays in use.
    pub error: Option<String>,
}

/// The last finished re-match.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct LastRematch {
    /// Its run in `/api/v1/runs` (absent if it failed before being recorded).
    pub run: Option<i64>,
    /// The build it matched against (its generation).
    pub generation: Option<String>,
    /// `completed` or `failed`.
    pub status: String,
    /// When it started (RFC 3339).
    pub started_at: String,
    /// When it finished (RFC 3339).
    pub finished_at: String,
    /// Inventories matched again.
    pub inventories: u64,
    /// Images with a new advisory (each sent as `findings.new`).
    pub images_with_new_findings: u64,
    /// Why it failed.
    pub error: Option<String>,
}

/// Re-matches after database updates.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct RematchStatus {
    /// The registries (hosts) whose images are re-matched (`rescan_on_db_update`).
    pub registries: Vec<String>,
    /// `idle`, `pending` (a new build waits for the run lock or the re-match before it) or
    /// `running`.
    pub state: String,
    /// The re-match in progress, once the store has recorded it.
    pub run: Option<i64>,
    /// The last finished one.
    pub last: Option<LastRematch>,
}

/// `GET /api/v1/vulndb`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct VulnDbStatus {
    /// Whether the server refreshes the database (`plimsoll serve --config`); without it every
    /// other field is empty.
    pub configured: bool,
    /// The generation in use.
    pub generation: Option<String>,
    /// When it was built (RFC 3339).
    pub built_at: Option<String>,
    /// Its age in seconds.
    pub age_seconds: Option<u64>,
    /// Advisories it holds.
    pub records: Option<u64>,
    /// `every 6h`, or `off`.
    pub update_interval: Option<String>,
    /// Whether the server updates at start.
    pub update_on_start: bool,
    /// What an update reads.
    pub sources: Vec<String>,
    /// `idle`, `queued` or `updating`.
    pub state: String,
    /// Why it is queued or updating.
    pub trigger: Option<UpdateTrigger>,
    /// When the interval next comes due (RFC 3339).
    pub next_update: Option<String>,
    /// The last finished update.
    pub last_update: Option<LastUpdate>,
    /// Re-matches after a new build.
    pub rematch: RematchStatus,
}

impl VulnDbStatus {
    /// The status of a server without `--config`.
    pub fn unconfigured() -> VulnDbStatus {
        VulnDbStatus {
            configured: false,
            generation: None,
            built_at: None,
            age_seconds: None,
            records: None,
            update_interval: None,
            update_on_start: false,
            sources: Vec::new(),
            state: "idle".into(),
            trigger: None,
            next_update: None,
            last_update: None,
            rematch: RematchStatus {
                registries: Vec::new(),
                state: "idle".into(),
                run: None,
                last: None,
            },
        }
    }
}

/// Why an update cannot be triggered.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum UpdateError {
    /// One is queued or running.
    #[error("a vulnerability database update is already {0}; try again when it has finished")]
    Busy(&'static str),
    /// The server is shutting down.
    #[error("the server is shutting down")]
    Stopping,
}

#[derive(Clone, Copy, Debug)]
enum UpdateState {
    Idle,
    Queued(UpdateTrigger),
    Running {
        trigger: UpdateTrigger,
        since: OffsetDateTime,
    },
}

impl UpdateState {
    fn name(self) -> &'static str {
        match self {
            UpdateState::Idle => "idle",
            UpdateState::Queued(_) => "queued",
            UpdateState::Running { .. } => "updating",
        }
    }
}

struct Shared {
    build: Option<DbBuild>,
    update: UpdateState,
    next_update: Option<OffsetDateTime>,
    last_update: Option<LastUpdate>,
    rematch_pending: bool,
    rematch_since: Option<OffsetDateTime>,
    last_rematch: Option<LastRematch>,
    stopping: bool,
}

/// The hosts whose stored images a new build re-matches (the registries with
/// `rescan_on_db_update`), asked when they are needed.
pub type RescanHosts = Arc<dyn Fn() -> Vec<String> + Send + Sync>;

struct Inner {
    shared: Mutex<Shared>,
    wake: Notify,
    maintenance: Arc<dyn DbMaintenance>,
    alerts: Alerts,
    settings: RefreshSettings,
    /// Hosts of the registries with `rescan_on_db_update`, asked each time: registries come
    /// and go with reloads and the API.
    rescan: RescanHosts,
    rematch_run: Arc<Mutex<Option<i64>>>,
    stopping: Arc<AtomicBool>,
    task: Mutex<Option<JoinHandle<()>>>,
}

impl Inner {
    fn lock(&self) -> MutexGuard<'_, Shared> {
        // A panic while holding the lock leaves plain data behind; keep serving it.
        self.shared
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The refresher; cheap to clone (one shared task and state).
#[derive(Clone)]
pub struct DbRefresher {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for DbRefresher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DbRefresher").finish_non_exhaustive()
    }
}

impl DbRefresher {
    /// A refresher, not started: `build` is the database in use now (a later build triggers a
    /// re-match of `rescan_registries`, hosts), `alerts` where a failed update is told.
    pub fn new(
        settings: RefreshSettings,
        rescan_registries: RescanHosts,
        build: Option<DbBuild>,
        maintenance: Arc<dyn DbMaintenance>,
        alerts: Alerts,
        now: OffsetDateTime,
    ) -> DbRefresher {
        let update = if settings.update_on_start {
            UpdateState::Queued(UpdateTrigger::Start)
        } else {
            UpdateState::Idle
        };
        let next_update = settings.update_interval.map(|every| now + every);
        DbRefresher {
            inner: Arc::new(Inner {
                shared: Mutex::new(Shared {
                    build,
                    update,
                    next_update,
                    last_update: None,
                    rematch_pending: false,
                    rematch_since: None,
                    last_rematch: None,
                    stopping: false,
                }),
                wake: Notify::new(),
                maintenance,
                alerts,
                settings,
                rescan: rescan_registries,
                rematch_run: Arc::new(Mutex::new(None)),
                stopping: Arc::new(AtomicBool::new(false)),
                task: Mutex::new(None),
            }),
        }
    }

    /// Starts the refresh task (on the current tokio runtime).
    pub fn start(&self) {
        let handle = tokio::spawn(run_loop(Arc::clone(&self.inner)));
        *self
            .inner
            .task
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(handle);
    }

    /// Starts nothing more, abandons an update in flight (a download is simply not imported;
    /// an import already writing finishes on its thread, atomically), asks a re-match to stop
    /// at its next image, and waits for it.
    pub async fn stop(&self) {
        self.inner.lock().stopping = true;
        self.inner.stopping.store(true, Ordering::Relaxed);
        self.inner.wake.notify_one();
        let task = self
            .inner
            .task
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        if let Some(task) = task
            && let Err(e) = task.await
        {
            tracing::error!(error = %e, "the database refresh task ended abnormally");
        }
    }

    /// Queues an update now, unless one is queued or running.
    pub fn trigger(&self) -> Result<VulnDbStatus, UpdateError> {
        {
            let mut shared = self.inner.lock();
            if shared.stopping {
                return Err(UpdateError::Stopping);
            }
            if !matches!(shared.update, UpdateState::Idle) {
                return Err(UpdateError::Busy(shared.update.name()));
            }
            shared.update = UpdateState::Queued(UpdateTrigger::Manual);
        }
        tracing::info!("vulnerability database update triggered through the API");
        self.inner.wake.notify_one();
        Ok(self.status())
    }

    /// Where the database and its refresh stand.
    pub fn status(&self) -> VulnDbStatus {
        let now = OffsetDateTime::now_utc();
        let run = *self
            .inner
            .rematch_run
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let shared = self.inner.lock();
        let build = shared.build.as_ref();
        let (trigger, state) = match shared.update {
            UpdateState::Idle => (None, "idle"),
            UpdateState::Queued(t) => (Some(t), "queued"),
            UpdateState::Running { trigger, .. } => (Some(trigger), "updating"),
        };
        let rematch_state = if shared.rematch_since.is_some() {
            "running"
        } else if shared.rematch_pending {
            "pending"
        } else {
            "idle"
        };
        VulnDbStatus {
            configured: true,
            generation: build.map(|b| b.generation.clone()),
            built_at: build.map(|b| rfc3339(b.built_at)),
            age_seconds: build
                .map(|b| u64::try_from((now - b.built_at).whole_seconds()).unwrap_or(0)),
            records: build.map(|b| b.records),
            update_interval: Some(self.inner.settings.update_interval.map_or_else(
                || "off".to_owned(),
                |every| format!("every {}", format_interval(every)),
            )),
            update_on_start: self.inner.settings.update_on_start,
            sources: self.inner.settings.sources.clone(),
            state: state.to_owned(),
            trigger,
            next_update: shared.next_update.map(rfc3339),
            last_update: shared.last_update.clone(),
            rematch: RematchStatus {
                registries: (self.inner.rescan)(),
                state: rematch_state.to_owned(),
                run: shared.rematch_since.and(run),
                last: shared.last_rematch.clone(),
            },
        }
    }
}

/// An update's result and the build current once it ended.
type UpdateDone = (Result<String, String>, Result<Option<DbBuild>, String>);

async fn run_loop(inner: Arc<Inner>) {
    let mut update: Option<JoinHandle<UpdateDone>> = None;
    let mut rematch: Option<JoinHandle<Result<RematchReport, String>>> = None;
    let mut next_poll = tokio::time::Instant::now() + POLL;
    loop {
        if tokio::time::Instant::now() >= next_poll {
            next_poll = tokio::time::Instant::now() + POLL;
            let polled = inner.maintenance.current().await;
            observe_build(&inner, polled);
        }
        let now = OffsetDateTime::now_utc();
        let (sleep, stopping) = {
            let mut shared = inner.lock();
            if !shared.stopping {
                if let Some(due) = shared.next_update
                    && due <= now
                {
                    shared.next_update = inner.settings.update_interval.map(|every| now + every);
                    if matches!(shared.update, UpdateState::Idle) {
                        shared.update = UpdateState::Queued(UpdateTrigger::Schedule);
                    } else {
                        tracing::info!(
                            "scheduled database update skipped: one is already queued or running"
                        );
                    }
                }
                if let UpdateState::Queued(trigger) = shared.update
                    && update.is_none()
                {
                    shared.update = UpdateState::Running {
                        trigger,
                        since: now,
                    };
                    tracing::info!(?trigger, "vulnerability database update starting");
                    let maintenance = Arc::clone(&inner.maintenance);
                    update = Some(tokio::spawn(async move {
                        let result = maintenance.update().await;
                        (result, maintenance.current().await)
                    }));
                }
                if shared.rematch_pending && rematch.is_none() {
                    shared.rematch_pending = false;
                    shared.rematch_since = Some(now);
                    *inner
                        .rematch_run
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner) = None;
                    let registries = (inner.rescan)();
                    tracing::info!(
                        ?registries,
                        "re-match after a database update starting (no registry contacted)"
                    );
                    let handle = RematchHandle {
                        run: Arc::clone(&inner.rematch_run),
                        stopping: Arc::clone(&inner.stopping),
                    };
                    rematch = Some(tokio::spawn(inner.maintenance.rematch(registries, handle)));
                }
            }
            let until_poll = next_poll.saturating_duration_since(tokio::time::Instant::now());
            let sleep = shared.next_update.map_or(until_poll, |at| {
                Duration::try_from(at - now)
                    .unwrap_or(Duration::ZERO)
                    .min(until_poll)
            });
            (sleep, shared.stopping)
        };
        if stopping {
            if let Some(update) = update.take() {
                update.abort();
                inner.lock().update = UpdateState::Idle;
            }
            if rematch.is_none() {
                return;
            }
        }
        tokio::select! {
            done = wait_for(&mut update) => {
                update = None;
                let done = done.unwrap_or_else(|e| {
                    (Err(format!("the update task ended abnormally: {e}")), Err(String::new()))
                });
                finish_update(&inner, done);
            }
            done = wait_for(&mut rematch) => {
                rematch = None;
                let done = done.unwrap_or_else(|e| Err(format!("the re-match task ended abnormally: {e}")));
                finish_rematch(&inner, done);
            }
            () = tokio::time::sleep(sleep), if !stopping => {}
            () = inner.wake.notified() => {}
        }
    }
}

async fn wait_for<T>(current: &mut Option<JoinHandle<T>>) -> Result<T, tokio::task::JoinError> {
    match current {
        Some(handle) => handle.await,
        None => std::future::pending().await,
    }
}

/// Takes note of the build in use; a new one queues a re-match of the registries that want it.
fn observe_build(inner: &Inner, polled: Result<Option<DbBuild>, String>) -> bool {
    let build = match polled {
        Ok(Some(build)) => build,
        Ok(None) => return false,
        Err(error) => {
            tracing::warn!(%error, "cannot read which vulnerability database build is current");
            return false;
        }
    };
    let mut shared = inner.lock();
    if shared.build.as_ref().map(|b| &b.generation) == Some(&build.generation) {
        return false;
    }
    tracing::info!(
        generation = %build.generation,
        built_at = %rfc3339(build.built_at),
        records = build.records,
        "a new vulnerability database build is in use"
    );
    shared.build = Some(build);
    if !(inner.rescan)().is_empty() {
        shared.rematch_pending = true;
    }
    true
}

fn finish_update(inner: &Inner, (result, current): UpdateDone) {
    let new_build = observe_build(inner, current);
    let now = OffsetDateTime::now_utc();
    let (trigger, since) = {
        let mut shared = inner.lock();
        let state = std::mem::replace(&mut shared.update, UpdateState::Idle);
        match state {
            UpdateState::Running { trigger, since } => (trigger, since),
            _ => (UpdateTrigger::Schedule, now),
        }
    };
    let last = match result {
        Ok(message) => {
            tracing::info!(
                new_build,
                "vulnerability database update finished: {message}"
            );
            LastUpdate {
                trigger,
                status: "completed".into(),
                started_at: rfc3339(since),
                finished_at: rfc3339(now),
                new_build,
                message: Some(message),
                error: None,
            }
        }
        Err(error) => {
            let last_good = inner.lock().build.as_ref().map(|b| b.built_at);
            tracing::error!(%error, "vulnerability database update failed; the last good database stays in use");
            let alerts = inner.alerts.clone();
            let reason = error.clone();
            // Delivery retries for a while: not in the refresh loop's way.
            tokio::spawn(async move { alerts.db_update_failed(&reason, last_good).await });
            LastUpdate {
                trigger,
                status: "failed".into(),
                started_at: rfc3339(since),
                finished_at: rfc3339(now),
                new_build,
                message: None,
                error: Some(error),
            }
        }
    };
    inner.lock().last_update = Some(last);
}

fn finish_rematch(inner: &Inner, result: Result<RematchReport, String>) {
    let now = OffsetDateTime::now_utc();
    let told = *inner
        .rematch_run
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let mut shared = inner.lock();
    let since = shared.rematch_since.take().unwrap_or(now);
    let generation = shared.build.as_ref().map(|b| b.generation.clone());
    let last = match result {
        Ok(report) => {
            tracing::info!(
                run = report.run.or(told),
                inventories = report.inventories,
                images_with_new_findings = report.images_with_new_findings,
                "re-match after a database update finished (no registry contacted)"
            );
            LastRematch {
                run: report.run.or(told),
                generation,
                status: "completed".into(),
                started_at: rfc3339(since),
                finished_at: rfc3339(now),
                inventories: report.inventories,
                images_with_new_findings: report.images_with_new_findings,
                error: None,
            }
        }
        Err(error) => {
            tracing::error!(run = told, %error, "re-match after a database update failed");
            LastRematch {
                run: told,
                generation,
                status: "failed".into(),
                started_at: rfc3339(since),
                finished_at: rfc3339(now),
                inventories: 0,
                images_with_new_findings: 0,
                error: Some(error),
            }
        }
    };
    shared.last_rematch = Some(last);
}

#[cfg(test)]
mod tests {
    use tokio::sync::{mpsc, oneshot};

    use super::*;

    type UpdateCall = oneshot::Sender<Result<String, String>>;
    type RematchCall = (Vec<String>, oneshot::Sender<Result<RematchReport, String>>);

    /// Database operations the test answers by hand; `build` is what `current` reports.
    struct Manual {
        build: Arc<Mutex<Option<DbBuild>>>,
        updates: mpsc::UnboundedSender<UpdateCall>,
        rematches: mpsc::UnboundedSender<RematchCall>,
    }

    impl DbMaintenance for Manual {
        fn current(&self) -> BoxFuture<'static, Result<Option<DbBuild>, String>> {
            let build = self.build.lock().unwrap().clone();
            Box::pin(async move { Ok(build) })
        }
        fn update(&self) -> BoxFuture<'static, Result<String, String>> {
            let calls = self.updates.clone();
            Box::pin(async move {
                let (tx, rx) = oneshot::channel();
                calls.send(tx).map_err(|_| "test gone".to_owned())?;
                rx.await.map_err(|_| "test dropped the update".to_owned())?
            })
        }
        fn rematch(
            &self,
            registries: Vec<String>,
            handle: RematchHandle,
        ) -> BoxFuture<'static, Result<RematchReport, String>> {
            let calls = self.rematches.clone();
            Box::pin(async move {
                handle.tell(7);
                let (tx, rx) = oneshot::channel();
                calls
                    .send((registries, tx))
                    .map_err(|_| "test gone".to_owned())?;
                rx.await
                    .map_err(|_| "test dropped the re-match".to_owned())?
            })
        }
    }

    fn build(generation: &str) -> DbBuild {
        DbBuild {
            generation: generation.to_owned(),
            built_at: OffsetDateTime::now_utc(),
            records: 4,
        }
    }

    const PATIENCE: Duration = Duration::from_secs(20);

    async fn next<T>(rx: &mut mpsc::UnboundedReceiver<T>) -> T {
        tokio::time::timeout(PATIENCE, rx.recv())
            .await
            .expect("a call comes")
            .expect("the refresher is alive")
    }

    /// Polls the status until `ready` says yes (no timing assumed beyond a generous limit).
    async fn until(r: &DbRefresher, what: &str, ready: impl Fn(&VulnDbStatus) -> bool) {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            let status = r.status();
            if ready(&status) {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "never {what}: {status:?}"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    #[tokio::test]
    async fn updates_fail_or_bring_a_build_that_is_rematched_and_a_build_during_a_rematch_queues_another()
     {
        let current = Arc::new(Mutex::new(Some(build("gen-1"))));
        let (updates, mut update_calls) = mpsc::unbounded_channel();
        let (rematches, mut rematch_calls) = mpsc::unbounded_channel();
        let settings = RefreshSettings {
            update_interval: None,
            update_on_start: false,
            sources: vec!["/feeds".into()],
        };
        let r = DbRefresher::new(
            settings,
            Arc::new(|| vec!["r.example".into()]),
            Some(build("gen-1")),
            Arc::new(Manual {
                build: Arc::clone(&current),
                updates,
                rematches,
            }),
            Alerts::new(&plimsoll_worker::ScanConfig::default()).unwrap(),
            OffsetDateTime::now_utc(),
        );
        r.start();
        assert_eq!(r.status().update_interval.as_deref(), Some("off"));
        assert_eq!(r.status().next_update, None);

        // A failed update: recorded, the build unchanged, nothing re-matched.
        let queued = r.trigger().unwrap();
        assert_eq!(queued.trigger, Some(UpdateTrigger::Manual));
        assert!(matches!(r.trigger(), Err(UpdateError::Busy(_))));
        next(&mut update_calls)
            .await
            .send(Err("feed down".into()))
            .unwrap();
        until(&r, "failed", |s| s.last_update.is_some()).await;
        let status = r.status();
        let last = status.last_update.unwrap();
        assert_eq!(
            (last.status.as_str(), last.error.as_deref(), last.new_build),
            ("failed", Some("feed down"), false)
        );
        assert_eq!(status.generation.as_deref(), Some("gen-1"));
        assert_eq!(status.rematch.state, "idle");

        // An update that makes a new build: the registries are re-matched.
        r.trigger().unwrap();
        let done = next(&mut update_calls).await;
        *current.lock().unwrap() = Some(build("gen-2"));
        done.send(Ok("5 records now".into())).unwrap();
        let (registries, first) = next(&mut rematch_calls).await;
        assert_eq!(registries, ["r.example"]);
        until(&r, "re-matching", |s| s.rematch.run == Some(7)).await;
        let status = r.status();
        assert_eq!(status.generation.as_deref(), Some("gen-2"));
        assert!(status.last_update.unwrap().new_build);
        assert_eq!(status.rematch.state, "running");

        // Another build while it runs: a second re-match follows the first.
        r.trigger().unwrap();
        let done = next(&mut update_calls).await;
        *current.lock().unwrap() = Some(build("gen-3"));
        done.send(Ok("6 records now".into())).unwrap();
        until(&r, "the update done", |s| s.state == "idle").await;
        assert!(rematch_calls.try_recv().is_err(), "one re-match at a time");
        let report = RematchReport {
            run: Some(7),
            inventories: 3,
            images_with_new_findings: 1,
        };
        first.send(Ok(report.clone())).unwrap();
        let (_, second) = next(&mut rematch_calls).await;
        second.send(Ok(report)).unwrap();
        until(&r, "idle", |s| {
            s.rematch.state == "idle"
                && s.rematch
                    .last
                    .as_ref()
                    .and_then(|l| l.generation.as_deref())
                    == Some("gen-3")
        })
        .await;
        let last = r.status().rematch.last.unwrap();
        assert_eq!((last.inventories, last.images_with_new_findings), (3, 1));
        r.stop().await;
        assert!(matches!(r.trigger(), Err(UpdateError::Stopping)));
    }

    fn config(interval: Option<&str>, sources: &[&str]) -> VulnDbConfig {
        VulnDbConfig {
            update_interval: interval.map(str::to_owned),
            sources: sources.iter().map(|s| (*s).to_owned()).collect(),
            update_on_start: false,
        }
    }

    #[test]
    fn the_interval_defaults_to_six_hours_and_can_be_off() {
        let defaults = vec!["https://osv.example/PyPI/all.zip".to_owned()];
        let s = RefreshSettings::from_config(&config(None, &[]), defaults.clone()).unwrap();
        assert_eq!(s.update_interval, Some(Duration::from_hours(6)));
        assert_eq!(s.sources, defaults);
        let s = RefreshSettings::from_config(&config(Some("off"), &["/feeds"]), defaults.clone())
            .unwrap();
        assert_eq!(s.update_interval, None);
        assert_eq!(s.sources, ["/feeds"]);
        let s = RefreshSettings::from_config(&config(Some("1d12h"), &[]), defaults).unwrap();
        assert_eq!(s.update_interval, Some(Duration::from_hours(36)));
    }

    #[test]
    fn bad_values_are_refused_naming_the_key() {
        for (interval, says) in [
            ("4m", "out of range (5m..=7d)"),
            ("8d", "out of range (5m..=7d)"),
            ("6 hours", "number and a unit"),
            ("never", "number and a unit"),
        ] {
            let e = RefreshSettings::from_config(&config(Some(interval), &[]), Vec::new())
                .unwrap_err()
                .to_string();
            assert!(
                e.contains(&format!("vulndb.update_interval `{interval}`")) && e.contains(says),
                "{interval}: {e}"
            );
        }
        let e = RefreshSettings::from_config(&config(None, &[" "]), Vec::new())
            .unwrap_err()
            .to_string();
        assert!(e.contains("vulndb.sources"), "{e}");
    }
}
