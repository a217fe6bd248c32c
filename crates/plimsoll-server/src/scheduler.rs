//! The scheduler of `plimsoll serve`: one task that starts each registry's scan when its
//! [`Schedule`] says so, or when the API asks.
//!
//! Each registry is `idle`, `queued` or `running`. A registry is never queued twice nor queued
//! while it runs, so two runs of one registry never overlap; a trigger then is refused
//! ([`TriggerError::Busy`], a 409). The store allows one run at a time (its run lock), so runs
//! of different registries wait in one first-in, first-out queue and start one after another.
//! A run's failure is recorded in that registry's last run and logged; the scheduler goes on.
//!
//! The registries come from two places, each replaced as a whole: the configuration file's
//! ([`Scheduler::set_file_registries`], at start and on reload) and those created through the
//! API ([`Scheduler::set_api_registries`], from the store). A registry is matched by name
//! across a change: it keeps its state, its last run and, unless its schedule changed, its next
//! run; its other keys (credentials, URL) apply from its next run. An added registry with
//! `scan_on_start` is queued at once; a removed one leaves the queue, and a run of it in flight
//! finishes (its result is logged, no longer shown).
//!
//! The scan itself is a [`ScanRunner`], injected: the binary's runs `plimsoll_worker::run` over a
//! one-registry configuration (this crate does not open the vulnerability database), tests use
//! their own. [`Scheduler::stop`] starts nothing new, tells the run in flight to stop
//! ([`RunHandle::stop_requested`]; the worker then stops at its next image boundary, and its
//! store writes are per image, so nothing finished is lost) and waits for it.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use tokio::sync::Notify;
use tokio::task::JoinHandle;
use utoipa::ToSchema;

use plimsoll_worker::RegistryConfig;

use crate::routes::list::rfc3339;
use crate::schedule::Schedule;

/// A boxed future, so [`ScanRunner`] stays object safe.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Runs one registry's scan.
pub trait ScanRunner: Send + Sync + 'static {
    /// Scans `registry` alone; `started` is told the store's run id as soon as it exists.
    /// An `Err` is the reason the run failed or could not start.
    fn scan(
        &self,
        registry: RegistryConfig,
        started: RunHandle,
    ) -> BoxFuture<'static, Result<RunReport, String>>;
}

/// One run's line to the scheduler: the run tells it its id (shown while the run goes on), and
/// asks it whether to stop (the server is shutting down).
#[derive(Clone)]
pub struct RunHandle {
    tell: Arc<dyn Fn(i64) + Send + Sync>,
    stopping: Arc<dyn Fn() -> bool + Send + Sync>,
}

impl RunHandle {
    /// The store recorded the run as `run`.
    pub fn tell(&self, run: i64) {
        (self.tell)(run);
    }

    /// Whether the scheduler is stopping: a run should stop at its next image boundary.
    pub fn stop_requested(&self) -> bool {
        (self.stopping)()
    }
}

/// What a finished run reports.
#[derive(Clone, Debug, Default)]
pub struct RunReport {
    /// The run's id in the store.
    pub run: Option<i64>,
    /// Tags attempted.
    pub total: u64,
    /// Scanned (or reused) successfully.
    pub success: u64,
    /// Failed.
    pub failed: u64,
    /// Skipped.
    pub skipped: u64,
}

/// Why a run started.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Trigger {
    /// Its schedule came due.
    Schedule,
    /// `scan_on_start`.
    Start,
    /// `POST /api/v1/registries/{name}/scans`.
    Manual,
}

/// Where a registry is defined.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// The configuration file (`--config`): read-only over the API.
    File,
    /// Created through the API, kept in the store.
    Api,
}

/// A registry's state, as the API shows it (never its credentials).
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct RegistryStatus {
    /// Its name (the host unless configured).
    pub name: String,
    /// Its URL.
    pub url: String,
    /// Its discovery API (`distribution`, …).
    #[serde(rename = "type")]
    pub kind: String,
    /// `file` (the configuration file: read-only over the API) or `api`.
    pub source: Source,
    /// The user name it logs in with, if any.
    pub user: Option<String>,
    /// Where its password comes from, never the password: `password` (stored), `password_env`
    /// or `password_file`; absent without one.
    pub password_source: Option<String>,
    /// When it is scanned: `cron 0 6 * * 6 (UTC)` or `every 6h`.
    pub schedule: String,
    /// Whether it is scanned when the server starts.
    pub scan_on_start: bool,
    /// `idle`, `queued` or `running`.
    pub state: String,
    /// Why it is queued or running.
    pub trigger: Option<Trigger>,
    /// The run in progress, once the store has recorded it.
    pub run: Option<i64>,
    /// When the schedule next comes due (RFC 3339); absent if never again.
    pub next_run: Option<String>,
    /// The last finished run.
    pub last_run: Option<LastRun>,
}

/// A registry's last finished run.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct LastRun {
    /// Its id in the store (absent if it failed before being recorded).
    pub run: Option<i64>,
    /// Why it ran.
    pub trigger: Trigger,
    /// `completed` or `failed`.
    pub status: String,
    /// When it started (RFC 3339).
    pub started_at: String,
    /// When it finished (RFC 3339).
    pub finished_at: String,
    /// Tags attempted: total = success + failed + skipped.
    pub total: u64,
    /// Succeeded.
    pub success: u64,
    /// Failed.
    pub failed: u64,
    /// Skipped.
    pub skipped: u64,
    /// Why the run failed.
    pub error: Option<String>,
}

/// Why a scan cannot be triggered.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TriggerError {
    /// No configured registry has this name.
    #[error("no registry named `{0}`")]
    Unknown(String),
    /// The registry is already queued or running.
    #[error("a run of registry `{name}` is already {state}; try again when it has finished")]
    Busy {
        /// The registry.
        name: String,
        /// `queued` or `running`.
        state: &'static str,
    },
    /// The server is shutting down.
    #[error("the server is shutting down")]
    Stopping,
}

#[derive(Clone, Copy, Debug)]
enum State {
    Idle,
    Queued(Trigger),
    Running {
        trigger: Trigger,
        run: Option<i64>,
        since: OffsetDateTime,
    },
}

impl State {
    fn name(self) -> &'static str {
        match self {
            State::Idle => "idle",
            State::Queued(_) => "queued",
            State::Running { .. } => "running",
        }
    }
}

struct Slot {
    /// Unique for the scheduler's life: the queue and the run in flight name slots by it, so a
    /// change of the registry list never makes them point at another registry.
    id: u64,
    source: Source,
    registry: RegistryConfig,
    schedule: Schedule,
    state: State,
    next_run: Option<OffsetDateTime>,
    last_run: Option<LastRun>,
}

struct Shared {
    /// File registries first, then API ones, each in their own order.
    slots: Vec<Slot>,
    queue: VecDeque<u64>,
    stopping: bool,
    next_id: u64,
}

impl Shared {
    fn slot_mut(&mut self, id: u64) -> Option<&mut Slot> {
        self.slots.iter_mut().find(|s| s.id == id)
    }

    /// Replaces the registries of `source` with `registries`, keeping each registry's state,
    /// last run and (unless its schedule changed) next run across the change.
    fn replace(
        &mut self,
        source: Source,
        registries: Vec<(RegistryConfig, Schedule)>,
        now: OffsetDateTime,
    ) {
        let (mut old, mut others): (Vec<Slot>, Vec<Slot>) = std::mem::take(&mut self.slots)
            .into_iter()
            .partition(|s| s.source == source);
        if source == Source::File {
            // The file wins over an API registry of the same name; the file's then takes over
            // its state (a run in flight included), so the name never has two runs at once.
            let (shadowed, kept): (Vec<Slot>, Vec<Slot>) = others.into_iter().partition(|s| {
                let name = s.registry.display_name();
                registries.iter().any(|(r, _)| r.display_name() == name)
            });
            for slot in &shadowed {
                tracing::warn!(
                    registry = %slot.registry.display_name(),
                    "the configuration file defines a registry of this name: the one created \
                     through the API is not scheduled"
                );
            }
            old.extend(shadowed);
            others = kept;
        }
        let mut fresh = Vec::with_capacity(registries.len());
        for (registry, schedule) in registries {
            let name = registry.display_name();
            if source == Source::Api && others.iter().any(|s| s.registry.display_name() == name) {
                // The file's registry of this name wins (see `sync_api_registries`).
                continue;
            }
            if let Some(at) = old.iter().position(|s| s.registry.display_name() == name) {
                let mut slot = old.swap_remove(at);
                if slot.schedule.describe() != schedule.describe() {
                    slot.next_run = schedule.next_after(now);
                    slot.schedule = schedule;
                    tracing::info!(registry = %name, schedule = %slot.schedule.describe(), "registry schedule changed");
                }
                slot.registry = registry;
                slot.source = source;
                fresh.push(slot);
                continue;
            }
            let id = self.next_id;
            self.next_id += 1;
            let state = if registry.scan_on_start && !self.stopping {
                self.queue.push_back(id);
                State::Queued(Trigger::Start)
            } else {
                State::Idle
            };
            let next_run = schedule.next_after(now);
            tracing::info!(
                registry = %name,
                schedule = %schedule.describe(),
                next_run = next_run.map_or_else(|| "never".to_owned(), rfc3339),
                scan_on_start = registry.scan_on_start,
                source = ?source,
                "registry scheduled"
            );
            fresh.push(Slot {
                id,
                source,
                next_run,
                registry,
                schedule,
                state,
                last_run: None,
            });
        }
        for gone in &old {
            tracing::info!(
                registry = %gone.registry.display_name(),
                state = gone.state.name(),
                "registry removed: no longer scheduled (a run in flight finishes)"
            );
        }
        self.queue.retain(|id| !old.iter().any(|s| s.id == *id));
        let (files, apis): (Vec<Slot>, Vec<Slot>) = others
            .into_iter()
            .chain(fresh)
            .partition(|s| s.source == Source::File);
        self.slots = files.into_iter().chain(apis).collect();
    }
}

struct Inner {
    shared: Mutex<Shared>,
    /// Held across a whole change of the registry list (check, store write, apply), so a
    /// reload and API writes never interleave.
    edit: tokio::sync::Mutex<()>,
    wake: Notify,
    runner: Arc<dyn ScanRunner>,
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

/// The scheduler; cheap to clone (one shared task and state).
#[derive(Clone)]
pub struct Scheduler {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Scheduler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scheduler").finish_non_exhaustive()
    }
}

impl Scheduler {
    /// A scheduler of the configuration file's `registries`, each with its schedule, not
    /// started yet. Registries with `scan_on_start` are queued now, in the given order.
    pub fn new(
        registries: Vec<(RegistryConfig, Schedule)>,
        runner: Arc<dyn ScanRunner>,
        now: OffsetDateTime,
    ) -> Scheduler {
        let mut shared = Shared {
            slots: Vec::new(),
            queue: VecDeque::new(),
            stopping: false,
            next_id: 0,
        };
        shared.replace(Source::File, registries, now);
        Scheduler {
            inner: Arc::new(Inner {
                shared: Mutex::new(shared),
                edit: tokio::sync::Mutex::new(()),
                wake: Notify::new(),
                runner,
                task: Mutex::new(None),
            }),
        }
    }

    /// Waits for, and holds until dropped, the right to change the registry list: whoever
    /// checks names, writes the store and applies the result holds it throughout.
    pub async fn edit(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.inner.edit.lock().await
    }

    /// Replaces the configuration file's registries (a reload). See the module documentation
    /// for what is kept.
    pub fn set_file_registries(&self, registries: Vec<(RegistryConfig, Schedule)>) {
        self.replace(Source::File, registries);
    }

    /// Replaces the registries created through the API (after one was added, changed or
    /// deleted in the store).
    pub fn set_api_registries(&self, registries: Vec<(RegistryConfig, Schedule)>) {
        self.replace(Source::Api, registries);
    }

    fn replace(&self, source: Source, registries: Vec<(RegistryConfig, Schedule)>) {
        self.inner
            .lock()
            .replace(source, registries, OffsetDateTime::now_utc());
        // New next runs or queued registries: the loop recomputes its sleep.
        self.inner.wake.notify_one();
    }

    /// The names of the registries from `source`.
    pub fn names(&self, source: Source) -> Vec<String> {
        self.inner
            .lock()
            .slots
            .iter()
            .filter(|s| s.source == source)
            .map(|s| s.registry.display_name())
            .collect()
    }

    /// Every registry's configuration, the file's and the API's.
    pub fn configs(&self) -> Vec<RegistryConfig> {
        self.inner
            .lock()
            .slots
            .iter()
            .map(|s| s.registry.clone())
            .collect()
    }

    /// The configuration of the registry named `name`, and where it is defined.
    pub fn registry(&self, name: &str) -> Option<(RegistryConfig, Source)> {
        self.inner
            .lock()
            .slots
            .iter()
            .find(|s| s.registry.display_name() == name)
            .map(|s| (s.registry.clone(), s.source))
    }

    /// Starts the scheduling task (on the current tokio runtime).
    pub fn start(&self) {
        let handle = tokio::spawn(run_loop(Arc::clone(&self.inner)));
        *self
            .inner
            .task
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(handle);
    }

    /// Starts nothing more, drops the queue, asks the run in flight to stop between images, and
    /// waits for it.
    pub async fn stop(&self) {
        {
            let mut shared = self.inner.lock();
            shared.stopping = true;
            for id in std::mem::take(&mut shared.queue) {
                if let Some(slot) = shared.slot_mut(id) {
                    slot.state = State::Idle;
                }
            }
        }
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
            tracing::error!(error = %e, "the scheduler task ended abnormally");
        }
    }

    /// Every registry's state: the configuration file's in its order, then those created
    /// through the API, oldest first.
    pub fn registries(&self) -> Vec<RegistryStatus> {
        let shared = self.inner.lock();
        shared.slots.iter().map(status).collect()
    }

    /// The state of the registry named `name`.
    pub fn status(&self, name: &str) -> Option<RegistryStatus> {
        let shared = self.inner.lock();
        shared
            .slots
            .iter()
            .find(|s| s.registry.display_name() == name)
            .map(status)
    }

    /// Queues a scan of the registry named `name`, unless one is queued or running.
    pub fn trigger(&self, name: &str) -> Result<RegistryStatus, TriggerError> {
        let status = {
            let mut shared = self.inner.lock();
            if shared.stopping {
                return Err(TriggerError::Stopping);
            }
            let Some(slot) = shared
                .slots
                .iter_mut()
                .find(|s| s.registry.display_name() == name)
            else {
                return Err(TriggerError::Unknown(name.to_owned()));
            };
            if !matches!(slot.state, State::Idle) {
                return Err(TriggerError::Busy {
                    name: name.to_owned(),
                    state: slot.state.name(),
                });
            }
            slot.state = State::Queued(Trigger::Manual);
            let status = status(slot);
            let id = slot.id;
            shared.queue.push_back(id);
            status
        };
        tracing::info!(registry = name, "scan triggered through the API");
        self.inner.wake.notify_one();
        Ok(status)
    }
}

fn status(slot: &Slot) -> RegistryStatus {
    let (trigger, run) = match slot.state {
        State::Idle => (None, None),
        State::Queued(trigger) => (Some(trigger), None),
        State::Running { trigger, run, .. } => (Some(trigger), run),
    };
    RegistryStatus {
        name: slot.registry.display_name(),
        url: slot.registry.url.clone(),
        kind: slot.registry.kind.to_string(),
        source: slot.source,
        user: slot.registry.user.clone(),
        password_source: password_source(&slot.registry).map(str::to_owned),
        schedule: slot.schedule.describe(),
        scan_on_start: slot.registry.scan_on_start,
        state: slot.state.name().to_owned(),
        trigger,
        run,
        next_run: slot.next_run.map(rfc3339),
        last_run: slot.last_run.clone(),
    }
}

/// Which key holds the password (the first set, as `RegistryConfig::password` refuses two).
fn password_source(registry: &RegistryConfig) -> Option<&'static str> {
    if registry.password.is_some() {
        Some("password")
    } else if registry.password_env.is_some() {
        Some("password_env")
    } else if registry.password_file.is_some() {
        Some("password_file")
    } else {
        None
    }
}

/// Queues the registries whose schedule came due; an occurrence that finds its registry
/// queued or running is skipped (never two runs of one registry).
fn enqueue_due(shared: &mut Shared, now: OffsetDateTime) {
    for index in 0..shared.slots.len() {
        let slot = &mut shared.slots[index];
        let id = slot.id;
        let Some(due) = slot.next_run else { continue };
        if due > now {
            continue;
        }
        slot.next_run = slot.schedule.next_after(now);
        if matches!(slot.state, State::Idle) {
            slot.state = State::Queued(Trigger::Schedule);
            shared.queue.push_back(id);
        } else {
            tracing::info!(
                registry = %slot.registry.display_name(),
                state = slot.state.name(),
                "scheduled scan skipped: the registry is already queued or running"
            );
        }
    }
}

/// The longest sleep, so a wall-clock jump (suspend, NTP step) is noticed within a minute.
const MAX_SLEEP: Duration = Duration::from_mins(1);

async fn run_loop(inner: Arc<Inner>) {
    let mut current: Option<JoinHandle<Result<RunReport, String>>> = None;
    let mut current_id = 0;
    loop {
        let now = OffsetDateTime::now_utc();
        let (sleep, stopping) = {
            let mut shared = inner.lock();
            if !shared.stopping {
                enqueue_due(&mut shared, now);
            }
            if current.is_none()
                && !shared.stopping
                && let Some(id) = shared.queue.pop_front()
                && let Some(slot) = shared.slot_mut(id)
            {
                let trigger = match slot.state {
                    State::Queued(trigger) => trigger,
                    _ => Trigger::Schedule,
                };
                slot.state = State::Running {
                    trigger,
                    run: None,
                    since: now,
                };
                tracing::info!(registry = %slot.registry.display_name(), ?trigger, "scan starting");
                let weak = Arc::downgrade(&inner);
                let weak_stop = weak.clone();
                let started = RunHandle {
                    tell: Arc::new(move |run| {
                        if let Some(inner) = weak.upgrade()
                            && let Some(slot) = inner.lock().slot_mut(id)
                            && let State::Running { run: slot_run, .. } = &mut slot.state
                        {
                            *slot_run = Some(run);
                        }
                    }),
                    stopping: Arc::new(move || {
                        weak_stop
                            .upgrade()
                            .is_none_or(|inner| inner.lock().stopping)
                    }),
                };
                current_id = id;
                current = Some(tokio::spawn(
                    inner.runner.scan(slot.registry.clone(), started),
                ));
            }
            let next = shared.slots.iter().filter_map(|s| s.next_run).min();
            let sleep = next.map_or(MAX_SLEEP, |at| {
                Duration::try_from(at - now)
                    .unwrap_or(Duration::ZERO)
                    .min(MAX_SLEEP)
            });
            (sleep, shared.stopping)
        };
        if stopping && current.is_none() {
            return;
        }
        let joined = tokio::select! {
            joined = wait_for(&mut current) => Some(joined),
            () = tokio::time::sleep(sleep), if !stopping => None,
            () = inner.wake.notified() => None,
        };
        if let Some(joined) = joined {
            current = None;
            let result =
                joined.unwrap_or_else(|e| Err(format!("the scan task ended abnormally: {e}")));
            finish(&inner, current_id, result);
        }
    }
}

async fn wait_for(
    current: &mut Option<JoinHandle<Result<RunReport, String>>>,
) -> Result<Result<RunReport, String>, tokio::task::JoinError> {
    match current {
        Some(handle) => handle.await,
        None => std::future::pending().await,
    }
}

/// Records a finished run as the registry's last one and makes it idle again.
fn finish(inner: &Inner, id: u64, result: Result<RunReport, String>) {
    let now = OffsetDateTime::now_utc();
    let mut shared = inner.lock();
    let Some(slot) = shared.slot_mut(id) else {
        match result {
            Ok(report) => tracing::info!(
                run = report.run,
                "scan of a removed registry finished: Total: {} = Success: {} + Failed: {} + Skipped: {}",
                report.total,
                report.success,
                report.failed,
                report.skipped
            ),
            Err(error) => tracing::error!(%error, "scan of a removed registry failed"),
        }
        return;
    };
    let (trigger, started_run, since) = match slot.state {
        State::Running {
            trigger,
            run,
            since,
        } => (trigger, run, since),
        _ => (Trigger::Schedule, None, now),
    };
    let name = slot.registry.display_name();
    let last = match result {
        Ok(report) => {
            tracing::info!(
                registry = %name,
                run = report.run.or(started_run),
                "scan finished: Total: {} = Success: {} + Failed: {} + Skipped: {}",
                report.total, report.success, report.failed, report.skipped
            );
            LastRun {
                run: report.run.or(started_run),
                trigger,
                status: "completed".into(),
                started_at: rfc3339(since),
                finished_at: rfc3339(now),
                total: report.total,
                success: report.success,
                failed: report.failed,
                skipped: report.skipped,
                error: None,
            }
        }
        Err(error) => {
            tracing::error!(registry = %name, run = started_run, %error, "scan failed");
            LastRun {
                run: started_run,
                trigger,
                status: "failed".into(),
                started_at: rfc3339(since),
                finished_at: rfc3339(now),
                total: 0,
                success: 0,
                failed: 0,
                skipped: 0,
                error: Some(error),
            }
        }
    };
    slot.last_run = Some(last);
    slot.state = State::Idle;
}

#[cfg(test)]
mod tests {
    use tokio::sync::{mpsc, oneshot};

    use super::*;

    /// A run the test finishes by hand: the registry's name, and where to send its result.
    type Call = (
        String,
        oneshot::Sender<Result<RunReport, String>>,
        RunHandle,
    );

    /// A [`ScanRunner`] that hands every run to the test.
    struct Manual(mpsc::UnboundedSender<Call>);

    impl ScanRunner for Manual {
        fn scan(
            &self,
            registry: RegistryConfig,
            started: RunHandle,
        ) -> BoxFuture<'static, Result<RunReport, String>> {
            let calls = self.0.clone();
            Box::pin(async move {
                started.tell(42);
                let (tx, rx) = oneshot::channel();
                calls
                    .send((registry.display_name(), tx, started))
                    .map_err(|_| "test gone".to_owned())?;
                rx.await.map_err(|_| "test dropped the run".to_owned())?
            })
        }
    }

    const PATIENCE: Duration = Duration::from_secs(20);

    fn scheduler(names: &[&str], on_start: &[&str]) -> (Scheduler, mpsc::UnboundedReceiver<Call>) {
        let (tx, rx) = mpsc::unbounded_channel();
        let registries = names
            .iter()
            .map(|name| {
                let mut r = RegistryConfig::new(format!("http://{name}.example:5000"));
                r.name = Some((*name).to_owned());
                r.scan_on_start = on_start.contains(name);
                // A week away: nothing comes due during a test.
                let schedule = Schedule::from_keys(None, None, Some("7d")).unwrap();
                (r, schedule)
            })
            .collect();
        let s = Scheduler::new(registries, Arc::new(Manual(tx)), OffsetDateTime::now_utc());
        s.start();
        (s, rx)
    }

    async fn next_call(rx: &mut mpsc::UnboundedReceiver<Call>) -> Call {
        tokio::time::timeout(PATIENCE, rx.recv())
            .await
            .expect("a run starts")
            .expect("the scheduler is alive")
    }

    fn state_of(s: &Scheduler, name: &str) -> RegistryStatus {
        s.registries().into_iter().find(|r| r.name == name).unwrap()
    }

    /// Waits until `name` is in `state`, polling (no timing assumed beyond a generous limit).
    async fn until(s: &Scheduler, name: &str, state: &str) -> RegistryStatus {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            let status = state_of(s, name);
            if status.state == state {
                return status;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{name} never became {state}: {status:?}"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    #[tokio::test]
    async fn a_trigger_while_queued_or_running_is_refused() {
        let (s, mut calls) = scheduler(&["a"], &[]);
        assert_eq!(state_of(&s, "a").state, "idle");
        let queued = s.trigger("a").unwrap();
        assert_eq!(queued.trigger, Some(Trigger::Manual));
        // Queued or already running: a second trigger is refused either way.
        assert!(matches!(s.trigger("a"), Err(TriggerError::Busy { .. })));
        let (name, finish, _) = next_call(&mut calls).await;
        assert_eq!(name, "a");
        let running = until(&s, "a", "running").await;
        assert_eq!(running.run, Some(42));
        let e = s.trigger("a").unwrap_err();
        assert!(e.to_string().contains("already running"), "{e}");
        finish
            .send(Ok(RunReport {
                run: Some(42),
                total: 3,
                success: 2,
                failed: 1,
                skipped: 0,
            }))
            .unwrap();
        let idle = until(&s, "a", "idle").await;
        let last = idle.last_run.unwrap();
        assert_eq!(
            (last.run, last.status.as_str(), last.total, last.failed),
            (Some(42), "completed", 3, 1)
        );
        assert_eq!(last.trigger, Trigger::Manual);
        // Idle again: a trigger is accepted.
        s.trigger("a").unwrap();
        let (_, finish, _) = next_call(&mut calls).await;
        finish.send(Ok(RunReport::default())).unwrap();
        until(&s, "a", "idle").await;
        s.stop().await;
    }

    #[tokio::test]
    async fn runs_of_different_registries_queue_in_trigger_order() {
        let (s, mut calls) = scheduler(&["a", "b", "c"], &[]);
        s.trigger("a").unwrap();
        let (first, finish_a, _) = next_call(&mut calls).await;
        assert_eq!(first, "a");
        s.trigger("c").unwrap();
        s.trigger("b").unwrap();
        assert_eq!(state_of(&s, "c").state, "queued");
        assert_eq!(state_of(&s, "b").state, "queued");
        let e = s.trigger("c").unwrap_err();
        assert!(e.to_string().contains("already queued"), "{e}");
        // One run at a time: nothing else starts while `a` runs.
        assert!(calls.try_recv().is_err());
        finish_a.send(Ok(RunReport::default())).unwrap();
        let (second, finish_c, _) = next_call(&mut calls).await;
        assert_eq!(second, "c");
        assert_eq!(state_of(&s, "b").state, "queued");
        finish_c.send(Ok(RunReport::default())).unwrap();
        let (third, finish_b, _) = next_call(&mut calls).await;
        assert_eq!(third, "b");
        finish_b.send(Ok(RunReport::default())).unwrap();
        until(&s, "b", "idle").await;
        s.stop().await;
    }

    #[tokio::test]
    async fn a_failed_run_is_recorded_and_the_scheduler_goes_on() {
        let (s, mut calls) = scheduler(&["a", "b"], &["a"]);
        // scan_on_start: `a` is queued at once.
        let (name, finish, _) = next_call(&mut calls).await;
        assert_eq!(name, "a");
        assert_eq!(state_of(&s, "a").trigger, Some(Trigger::Start));
        finish.send(Err("registry unreachable".into())).unwrap();
        let idle = until(&s, "a", "idle").await;
        let last = idle.last_run.unwrap();
        assert_eq!(last.status, "failed");
        assert_eq!(last.error.as_deref(), Some("registry unreachable"));
        s.trigger("b").unwrap();
        let (name, finish, _) = next_call(&mut calls).await;
        assert_eq!(name, "b");
        finish.send(Ok(RunReport::default())).unwrap();
        until(&s, "b", "idle").await;
        assert!(matches!(s.trigger("zzz"), Err(TriggerError::Unknown(_))));
        s.stop().await;
    }

    #[tokio::test]
    async fn stop_waits_for_the_run_in_flight_and_drops_the_queue() {
        let (s, mut calls) = scheduler(&["a", "b"], &[]);
        s.trigger("a").unwrap();
        let (_, finish, handle) = next_call(&mut calls).await;
        assert!(!handle.stop_requested());
        s.trigger("b").unwrap();
        let stopping = tokio::spawn({
            let s = s.clone();
            async move { s.stop().await }
        });
        until(&s, "b", "idle").await;
        assert!(matches!(s.trigger("b"), Err(TriggerError::Stopping)));
        // The run is asked to stop at its next image boundary, and waited for.
        assert!(handle.stop_requested());
        assert!(!stopping.is_finished());
        finish.send(Ok(RunReport::default())).unwrap();
        tokio::time::timeout(PATIENCE, stopping)
            .await
            .expect("stop returns once the run finished")
            .unwrap();
        assert_eq!(state_of(&s, "a").last_run.unwrap().status, "completed");
        // `b` was dropped from the queue, never started.
        assert!(calls.try_recv().is_err());
    }

    fn entry(name: &str, interval: &str, on_start: bool) -> (RegistryConfig, Schedule) {
        let mut r = RegistryConfig::new(format!("http://{name}.example:5000"));
        r.name = Some(name.to_owned());
        r.scan_on_start = on_start;
        (r, Schedule::from_keys(None, None, Some(interval)).unwrap())
    }

    #[tokio::test]
    async fn a_new_registry_list_keeps_states_and_lets_a_removed_run_finish() {
        let (s, mut calls) = scheduler(&["a", "b"], &[]);
        let next_b = state_of(&s, "b").next_run;
        s.trigger("a").unwrap();
        let (_, finish_a, _) = next_call(&mut calls).await;
        until(&s, "a", "running").await;
        // `a` removed while it runs, `b` unchanged, `c` added with scan_on_start, and `d`
        // from the API.
        s.set_file_registries(vec![entry("b", "7d", false), entry("c", "6h", true)]);
        s.set_api_registries(vec![entry("d", "1h", false)]);
        let names: Vec<String> = s.registries().into_iter().map(|r| r.name).collect();
        assert_eq!(names, ["b", "c", "d"]);
        assert_eq!(
            state_of(&s, "b").next_run,
            next_b,
            "an unchanged schedule keeps its next run"
        );
        assert_eq!(state_of(&s, "c").state, "queued");
        assert_eq!(state_of(&s, "d").source, Source::Api);
        assert!(matches!(s.trigger("a"), Err(TriggerError::Unknown(_))));
        // `c` waits for the run of the removed `a`, which finishes unharmed.
        assert!(calls.try_recv().is_err());
        finish_a.send(Ok(RunReport::default())).unwrap();
        let (name, finish_c, _) = next_call(&mut calls).await;
        assert_eq!(name, "c");
        finish_c.send(Ok(RunReport::default())).unwrap();
        until(&s, "c", "idle").await;
        // A changed schedule gets a new next run; the last run stays.
        s.set_file_registries(vec![entry("b", "7d", false), entry("c", "5m", true)]);
        let c = state_of(&s, "c");
        assert_eq!(c.schedule, "every 5m");
        assert_eq!(
            c.state, "idle",
            "scan_on_start queues only a registry new to the list"
        );
        assert_eq!(c.last_run.unwrap().status, "completed");
        // The file wins over an API registry of the same name.
        s.set_file_registries(vec![entry("d", "7d", false)]);
        let d = state_of(&s, "d");
        assert_eq!((d.source, d.schedule.as_str()), (Source::File, "every 7d"));
        assert_eq!(s.registries().len(), 1);
        s.stop().await;
    }

    #[test]
    fn a_due_schedule_queues_once_and_skips_while_busy() {
        let now = OffsetDateTime::now_utc();
        let (tx, _rx) = mpsc::unbounded_channel();
        let mut r = RegistryConfig::new("http://a.example:5000");
        r.name = Some("a".into());
        let schedule = Schedule::from_keys(Some("*/3 * * * * *"), None, None).unwrap();
        let s = Scheduler::new(vec![(r, schedule)], Arc::new(Manual(tx)), now);
        let mut shared = s.inner.lock();
        let due = shared.slots[0].next_run.unwrap();
        enqueue_due(&mut shared, due - Duration::from_millis(1));
        assert!(shared.queue.is_empty());
        enqueue_due(&mut shared, due);
        assert_eq!(shared.queue, [shared.slots[0].id]);
        assert!(matches!(
            shared.slots[0].state,
            State::Queued(Trigger::Schedule)
        ));
        let next = shared.slots[0].next_run.unwrap();
        assert!(next > due);
        // Due again while still queued: skipped, not queued twice.
        enqueue_due(&mut shared, next);
        assert_eq!(shared.queue, [shared.slots[0].id]);
        assert!(shared.slots[0].next_run.unwrap() > next);
    }
}
