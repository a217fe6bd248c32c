//! `plimsoll serve` and `plimsoll serve token create|list|revoke`.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use anyhow::{Context as _, bail};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use plimsoll_server::{AppState, BoxFuture, RunHandle, RunReport, ScanRunner, Schedule, Scheduler};
use plimsoll_store::{RunId, Store, TokenScope};
use plimsoll_worker::{Phase, Progress, RegistryConfig, RunOptions, ScanConfig};

use crate::cli::{PasswordCommand, ServeArgs, ServeCommand, TokenCommand};
use crate::image::open_db;
use crate::scan_config::{self, open_store, store_path};

pub(crate) async fn run(args: ServeArgs) -> anyhow::Result<()> {
    match args.command {
        None => serve(args).await,
        Some(ServeCommand::Token(command)) => token(command, args.store.path).await,
        Some(ServeCommand::Password(command)) => password(command, args.store.path).await,
    }
}

/// The variable that seeds the web UI's admin password at a start with none stored.
const ADMIN_PASSWORD_VAR: &str = "PLIMSOLL_ADMIN_PASSWORD";

async fn password(
    command: PasswordCommand,
    parent_store: Option<std::path::PathBuf>,
) -> anyhow::Result<()> {
    match command {
        PasswordCommand::Set(args) => {
            let path = store_path(args.store.path.or(parent_store).as_ref(), None);
            let store = open_store(&path).await?;
            let mut line = String::new();
            std::io::stdin()
                .read_line(&mut line)
                .context("cannot read the new password from stdin")?;
            let password = line.trim_end_matches(['\n', '\r']);
            if password.is_empty() {
                bail!("no password on stdin: pipe it in (`plimsoll serve password set < file`)");
            }
            plimsoll_server::set_admin_password(&store, password)
                .await
                .context("cannot set the admin password")?;
            tell("web UI admin password set (user `admin`)");
        }
    }
    Ok(())
}

/// Prints on stderr, outside the log: the first admin token must reach the operator once and
/// never a log collector, and tests parse the address line whatever the log level.
#[allow(clippy::print_stderr)]
fn tell(text: &str) {
    let mut stderr = std::io::stderr().lock();
    let _ = writeln!(stderr, "{text}");
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let config = args
        .config
        .as_deref()
        .map(scan_config::load_file)
        .transpose()?;
    let plans = config
        .as_ref()
        .map(schedules)
        .transpose()?
        .unwrap_or_default();
    let path = store_path(args.store.path.as_ref(), config.as_ref());
    let store = open_store(&path).await?;
    if let Some(config) = &config {
        // A missing database fails the start, not the first scheduled run days later.
        open_db(db_dir(config)).await?;
    }
    let runner_config = Arc::new(RwLock::new(Arc::new(config.clone().unwrap_or_default())));
    let scheduler = scheduler(&runner_config, plans, store.clone());
    plimsoll_server::sync_api_registries(&store, &scheduler)
        .await
        .context("cannot read the registries created through the API")?;
    let mut background = match &config {
        Some(config) => {
            Some(crate::serve_vulndb::prepare(config, &store, db_dir(config), &scheduler).await?)
        }
        None => None,
    };
    if let Some(token) = plimsoll_server::ensure_admin_token(&store)
        .await
        .context("cannot create the first admin token")?
    {
        tell(&format!(
            "No admin API token existed, so one was created. It is shown only this once; keep \
             it safe:\nadmin token: {token}"
        ));
    }
    if let Some(password) = std::env::var(ADMIN_PASSWORD_VAR)
        .ok()
        .filter(|p| !p.is_empty())
    {
        if plimsoll_server::ensure_admin_password(&store, &password)
            .await
            .with_context(|| format!("cannot set the admin password from {ADMIN_PASSWORD_VAR}"))?
        {
            tell(&format!(
                "web UI admin password set from {ADMIN_PASSWORD_VAR} (user `admin`)"
            ));
        } else {
            tracing::info!(
                "{ADMIN_PASSWORD_VAR} ignored: an admin password is stored already (change it \
                 with `plimsoll serve password set`)"
            );
        }
    }
    // Listening for SIGHUP before the address is announced: from then on a SIGHUP reloads,
    // never kills (its default action).
    let hangups = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())
        .context("cannot listen for SIGHUP")?;
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let address = listener
        .local_addr()
        .context("cannot read the address listened on")?;
    tracing::info!(%address, store = %path.display(), "serving the results store");
    tell(&format!("listening on http://{address}"));
    let mut state = AppState::new(store.clone(), plimsoll_scan::current_analyzer_key())
        .with_scheduler(scheduler.clone());
    if let Some(file) = args.config.as_deref().and_then(Path::file_name) {
        state = state.with_config_file(file.to_string_lossy());
    }
    scheduler.start();
    if let Some(background) = &mut background {
        background.start();
        state = state.with_vulndb(background.refresher());
    }
    let reloads = tokio::spawn(reload_on_hangup(
        hangups,
        Reload {
            file: args.config.clone(),
            store_flag: args.store.path.clone(),
            store_path: path.clone(),
            config: runner_config,
            scheduler: scheduler.clone(),
            store: store.clone(),
        },
    ));
    let served = plimsoll_server::serve(listener, state, plimsoll_server::shutdown_signal())
        .await
        .context("the server stopped on an error");
    reloads.abort();
    // Both at once: a re-match waiting for the run lock gets it only once the scan in flight
    // has stopped, and then stops before its first image.
    let background = async {
        if let Some(background) = background {
            background.stop().await;
        }
    };
    let scheduler = async {
        // The run in flight (on a blocking thread the runtime would wait for anyway) stops
        // once the images it has started are stored.
        tracing::info!("stopping the scan in flight, if any, after the images it has started");
        scheduler.stop().await;
    };
    tokio::join!(background, scheduler);
    served?;
    store.close().await;
    tracing::info!("stopped");
    Ok(())
}

/// Each registry of the file with its schedule, validated before anything starts.
fn schedules(config: &ScanConfig) -> anyhow::Result<Vec<(RegistryConfig, Schedule)>> {
    config
        .registries
        .iter()
        .map(|r| {
            let schedule = Schedule::of_registry(r).context("invalid configuration")?;
            Ok((r.clone(), schedule))
        })
        .collect()
}

fn db_dir(config: &ScanConfig) -> PathBuf {
    config
        .db_dir
        .clone()
        .unwrap_or_else(plimsoll_vulndb::default_db_dir)
}

/// The configuration runs read: the file's (filters, `max_workers`, database…), replaced as a
/// whole by a reload.
type SharedConfig = Arc<RwLock<Arc<ScanConfig>>>;

fn current(config: &SharedConfig) -> Arc<ScanConfig> {
    Arc::clone(
        &config
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner),
    )
}

fn scheduler(
    config: &SharedConfig,
    registries: Vec<(RegistryConfig, Schedule)>,
    store: Store,
) -> Scheduler {
    let runner = WorkerRunner {
        config: Arc::clone(config),
        store,
    };
    // The scheduler logs each registry with its schedule and next run.
    Scheduler::new(registries, Arc::new(runner), OffsetDateTime::now_utc())
}

/// Re-reads `--config` at each SIGHUP. Everything is checked first (keys, schedules, the
/// database opens); any mistake keeps the running configuration and is logged. Otherwise the
/// file's registries are replaced (see `Scheduler`: states, last runs and unchanged next runs
/// are kept; a run in flight finishes) and the next runs use the new filters and keys. The
/// store is never touched; a changed `store` key is reported, not applied.
async fn reload_on_hangup(mut hangups: tokio::signal::unix::Signal, reload: Reload) {
    while hangups.recv().await.is_some() {
        let Some(file) = &reload.file else {
            tracing::warn!("SIGHUP ignored: the server runs without --config, nothing to reload");
            continue;
        };
        match reload.apply(file).await {
            Ok(count) => tracing::info!(
                config = %file.display(),
                registries = count,
                "configuration reloaded"
            ),
            Err(e) => tracing::error!(
                config = %file.display(),
                error = %format!("{e:#}"),
                "configuration reload failed; the previous configuration stays in force"
            ),
        }
    }
}

/// What a reload needs.
struct Reload {
    file: Option<PathBuf>,
    store_flag: Option<PathBuf>,
    /// The store opened at the start.
    store_path: PathBuf,
    config: SharedConfig,
    scheduler: Scheduler,
    store: Store,
}

impl Reload {
    /// Checks `file` whole, then applies it; the number of its registries.
    async fn apply(&self, file: &Path) -> anyhow::Result<usize> {
        let fresh = scan_config::load_file(file)?;
        let registries = schedules(&fresh)?;
        open_db(db_dir(&fresh)).await?;
        let _editing = self.scheduler.edit().await;
        if store_path(self.store_flag.as_ref(), Some(&fresh)) != self.store_path {
            tracing::warn!(
                "the store key changed: the server keeps the store it opened; restart to use \
                 the new one"
            );
        }
        let count = registries.len();
        *self
            .config
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Arc::new(fresh);
        self.scheduler.set_file_registries(registries);
        // An API registry the file no longer shadows comes back (one it now shadows goes).
        plimsoll_server::sync_api_registries(&self.store, &self.scheduler).await?;
        Ok(count)
    }
}

/// Scheduled and manual scans: `plimsoll_worker::run` over the configuration with one registry.
struct WorkerRunner {
    config: SharedConfig,
    store: Store,
}

impl ScanRunner for WorkerRunner {
    fn scan(
        &self,
        registry: RegistryConfig,
        started: RunHandle,
    ) -> BoxFuture<'static, Result<RunReport, String>> {
        let mut config = (*current(&self.config)).clone();
        config.registries = vec![registry];
        let store = self.store.clone();
        let db_dir = db_dir(&config);
        let scan = move || async move {
            // Opened per run, so a `db update` between runs is used by the next one.
            let db = open_db(db_dir).await.map_err(|e| format!("{e:#}"))?;
            let options = RunOptions {
                dry_run: false,
                // A `registry scan` from the command line on the same store: wait for it.
                wait: true,
            };
            plimsoll_worker::run(&config, &store, db, options, &Started(started))
                .await
                .map_err(|e| anyhow::Error::from(e).to_string())
        };
        let runtime = tokio::runtime::Handle::current();
        Box::pin(async move {
            // The run's future holds references across awaits that rustc cannot prove `Send`
            // for every lifetime (rust-lang/rust#102211), so it cannot be spawned as a task;
            // a blocking thread drives it instead, its own tasks still on the runtime.
            let summary = tokio::task::spawn_blocking(move || runtime.block_on(scan()))
                .await
                .map_err(|e| format!("the scan thread ended abnormally: {e}"))??;
            let totals = summary.totals();
            tracing::info!(run = summary.run.map(RunId::get), "{}", summary.line());
            Ok(RunReport {
                run: summary.run.map(RunId::get),
                total: totals.total,
                success: totals.success,
                failed: totals.failed,
                skipped: totals.skipped,
            })
        })
    }
}

/// Progress of a scheduled run: the run id goes to the scheduler, which also says when to stop
/// (shutdown); the worker's own phase log lines tell the rest.
struct Started(RunHandle);

impl Progress for Started {
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

/// `plimsoll registry scan --server URL --registry NAME`: asks a running server to scan.
pub(crate) async fn trigger(
    server: &str,
    token: Option<&str>,
    registry: &str,
) -> anyhow::Result<std::process::ExitCode> {
    let Some(token) = token else {
        bail!("--server needs --token (or PLIMSOLL_TOKEN): an admin API token of that server");
    };
    let url = format!(
        "{}/api/v1/registries/{}/scans",
        server.trim_end_matches('/'),
        path_segment(registry)
    );
    let response = reqwest::Client::new()
        .post(&url)
        .bearer_auth(token)
        .send()
        .await
        .with_context(|| format!("cannot reach the server at {server}"))?;
    let status = response.status();
    let body: serde_json::Value = response
        .json()
        .await
        .with_context(|| format!("the server at {server} answered {status} without JSON"))?;
    if status == reqwest::StatusCode::ACCEPTED {
        tell(&format!(
            "scan of registry `{registry}` queued on {server} (state: {})",
            body["state"].as_str().unwrap_or("?")
        ));
        return Ok(std::process::ExitCode::SUCCESS);
    }
    let message = body["message"].as_str().unwrap_or("no message");
    tracing::error!(%status, "{message}");
    tell(&format!(
        "the server refused the scan ({status}): {message}"
    ));
    Ok(std::process::ExitCode::FAILURE)
}

/// A registry name as one URL path segment or query value: every byte outside RFC 3986's
/// unreserved set (and `:`, common in host:port names) percent-encoded.
pub(crate) fn path_segment(text: &str) -> String {
    let mut out = String::new();
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~:".contains(&byte) {
            out.push(char::from(byte));
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
    out
}

async fn token(
    command: TokenCommand,
    parent_store: Option<std::path::PathBuf>,
) -> anyhow::Result<()> {
    // `--store` after `token …` wins over one before it.
    let store_flag = |own: Option<std::path::PathBuf>| own.or_else(|| parent_store.clone());
    match command {
        TokenCommand::Create(args) => {
            let store = open_store(&store_path(store_flag(args.store.path).as_ref(), None)).await?;
            let scope: TokenScope = args.scope.parse().map_err(anyhow::Error::msg)?;
            let (record, token) = plimsoll_server::create_token(&store, scope, &args.name)
                .await
                .context("cannot create the API token")?;
            tell(&format!(
                "created API token {} ({scope}); it is shown only this once",
                record.id
            ));
            // stdout carries the token alone: `TOKEN=$(plimsoll serve token create …)`.
            let mut out = std::io::stdout().lock();
            writeln!(out, "{token}")?;
        }
        TokenCommand::List(args) => {
            let store = open_store(&store_path(store_flag(args.store.path).as_ref(), None)).await?;
            let tokens = store.api_tokens().await?;
            let mut out = std::io::stdout().lock();
            writeln!(out, "ID\tSCOPE\tCREATED\tREVOKED\tNAME")?;
            for t in tokens {
                writeln!(
                    out,
                    "{}\t{}\t{}\t{}\t{}",
                    t.id,
                    t.scope,
                    t.created_at.format(&Rfc3339)?,
                    t.revoked_at
                        .map(|at| at.format(&Rfc3339))
                        .transpose()?
                        .unwrap_or_else(|| "-".into()),
                    t.name
                )?;
            }
        }
        TokenCommand::Revoke(args) => {
            let store = open_store(&store_path(store_flag(args.store.path).as_ref(), None)).await?;
            if !store.revoke_api_token(args.id).await? {
                bail!("no unrevoked API token has id {}", args.id);
            }
            tell(&format!("revoked API token {}", args.id));
        }
    }
    Ok(())
}
