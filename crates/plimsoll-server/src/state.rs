use std::sync::Arc;

use plimsoll_store::Store;

use crate::scheduler::Scheduler;
use crate::ui::Sessions;
use crate::vulndb_refresh::DbRefresher;

/// What every handler shares: the results store and the analyzer key its reports are read with.
/// Cheap to clone (the store is a connection pool).
#[derive(Clone, Debug)]
pub struct AppState {
    /// The results store.
    pub store: Store,
    /// The analyzer key (cataloger versions) inventories are read under; the binary passes
    /// `plimsoll_scan::current_analyzer_key()`, so the server reports what `plimsoll report`
    /// would.
    pub analyzer_key: Arc<str>,
    /// The registry scheduler; none: no registries to show, scan or manage.
    pub scheduler: Option<Scheduler>,
    /// The configuration file's name, for the refusal to change its registries over the API.
    pub config_file: Option<Arc<str>>,
    /// The vulnerability database refresh (`plimsoll serve --config`); none: nothing to show
    /// or update.
    pub vulndb: Option<DbRefresher>,
    /// The web UI's sessions (in memory: a restart logs everyone out).
    pub sessions: Sessions,
}

impl AppState {
    /// State over `store`, reading inventories stored under `analyzer_key`.
    pub fn new(store: Store, analyzer_key: impl Into<Arc<str>>) -> Self {
        AppState {
            store,
            analyzer_key: analyzer_key.into(),
            scheduler: None,
            config_file: None,
            vulndb: None,
            sessions: Sessions::default(),
        }
    }

    /// The same state, with `scheduler` behind the registry endpoints.
    #[must_use]
    pub fn with_scheduler(mut self, scheduler: Scheduler) -> Self {
        self.scheduler = Some(scheduler);
        self
    }

    /// The same state, naming `file` as where the configuration file's registries are edited.
    #[must_use]
    pub fn with_config_file(mut self, file: impl Into<Arc<str>>) -> Self {
        self.config_file = Some(file.into());
        self
    }

    /// The same state, with `refresher` behind the vulnerability database endpoints.
    #[must_use]
    pub fn with_vulndb(mut self, refresher: DbRefresher) -> Self {
        self.vulndb = Some(refresher);
        self
    }
}
