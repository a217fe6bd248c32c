use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;
use sqlx::migrate::Migrator;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{Sqlite, Transaction};

use plimsoll_types::Digest;

use crate::codec;
use crate::error::{BoxError, Error, Result};

/// The schema migrations, embedded in the binary. Versioned files, never edited once released:
/// sqlx refuses a store whose applied migration differs from the embedded copy.
static MIGRATOR: Migrator = sqlx::migrate!("./migrations/sqlite");

/// How long a writer waits for another connection's (or process's) write transaction before
/// giving up with "database is locked".
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Connections in the pool: WAL lets readers run beside the one writer, and the scan pipeline
/// has at most a handful of concurrent store calls.
const MAX_CONNECTIONS: u32 = 4;

/// Creates `path` empty, readable and writable by its owner only, unless it exists (`SQLite` then
/// fills it). An existing file keeps its mode.
fn create_private(path: &Path) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

/// The results store: one `SQLite` file (WAL journal) holding what `plimsoll registry scan` has
/// learnt. Cheap to clone: clones share one connection pool.
#[derive(Clone, Debug)]
pub struct Store {
    pub(crate) pool: SqlitePool,
    path: Arc<Path>,
}

impl Store {
    /// Opens the store at `path`, creating its parent directories and the file if needed (mode
    /// 0600: it may hold registry passwords; `SQLite` gives its `-wal` and `-shm` files the same
    /// mode), and applies pending schema migrations.
    ///
    /// Connections use the WAL journal, `synchronous=NORMAL` (a power cut may lose the last
    /// commits, never consistency), a 10 s busy timeout and foreign keys. A store whose applied
    /// migrations are newer than this binary knows is refused with [`Error::TooNew`] before
    /// anything is written to it.
    pub async fn open(path: &Path) -> Result<Store> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            tokio::fs::create_dir_all(parent)
                .await
                .map_err(|source| Error::CreateDir {
                    path: path.to_owned(),
                    source,
                })?;
        }
        create_private(path).map_err(|source| Error::CreateFile {
            path: path.to_owned(),
            source,
        })?;
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(BUSY_TIMEOUT)
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(MAX_CONNECTIONS)
            .connect_with(options)
            .await
            .map_err(|source| Error::Open {
                path: path.to_owned(),
                source: source.into(),
            })?;
        let store = Store {
            pool,
            path: path.into(),
        };
        if let Err(error) = store.migrate().await {
            store.pool.close().await;
            return Err(error);
        }
        Ok(store)
    }

    /// Refuses a store from the future, then applies the pending migrations.
    async fn migrate(&self) -> Result<()> {
        let known = MIGRATOR.iter().map(|m| m.version).max().unwrap_or(0);
        let has_table: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM sqlite_master \
             WHERE type = 'table' AND name = '_sqlx_migrations')",
        )
        .fetch_one(&self.pool)
        .await
        .map_err(self.query_err("read the schema version"))?;
        if has_table {
            let found: Option<i64> =
                sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations")
                    .fetch_one(&self.pool)
                    .await
                    .map_err(self.query_err("read the schema version"))?;
            if let Some(found) = found.filter(|&found| found > known) {
                return Err(Error::TooNew {
                    path: self.path.to_path_buf(),
                    found,
                    known,
                });
            }
        }
        MIGRATOR
            .run(&self.pool)
            .await
            .map_err(|source| Error::Migrate {
                path: self.path.to_path_buf(),
                source: source.into(),
            })?;
        self.run_store_tasks().await?;
        tracing::debug!(path = %self.path.display(), schema = known, "results store open");
        Ok(())
    }

    /// The default store location, following the XDG base directory spec:
    /// `$XDG_DATA_HOME/plimsoll/store.sqlite`, else `$HOME/.local/share/plimsoll/store.sqlite`,
    /// else `./plimsoll-store.sqlite`.
    pub fn default_path() -> PathBuf {
        default_path_from(std::env::var_os("XDG_DATA_HOME"), std::env::var_os("HOME"))
    }

    /// The store file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Closes the connection pool, waiting for in-flight queries. Dropping every clone has the
    /// same effect without the wait.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Starts a write transaction that takes `SQLite`'s write lock at once (`BEGIN IMMEDIATE`), so
    /// it waits on the busy timeout instead of failing when it upgrades from a read.
    pub(crate) async fn write_tx(
        &self,
        action: &'static str,
    ) -> Result<Transaction<'static, Sqlite>> {
        self.pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(self.query_err(action))
    }

    pub(crate) fn query_err(&self, action: &'static str) -> impl FnOnce(sqlx::Error) -> Error + '_ {
        move |source| Error::Query {
            path: self.path.to_path_buf(),
            action,
            source: source.into(),
        }
    }

    pub(crate) fn corrupt(&self, what: impl Into<String>, source: impl Into<BoxError>) -> Error {
        Error::Corrupt {
            path: self.path.to_path_buf(),
            what: what.into(),
            source: source.into(),
        }
    }

    pub(crate) fn encode<T: Serialize>(
        &self,
        value: &T,
        what: impl FnOnce() -> String,
    ) -> Result<Vec<u8>> {
        codec::compress_json(value).map_err(|source| Error::Encode {
            path: self.path.to_path_buf(),
            what: what(),
            source,
        })
    }

    pub(crate) fn encode_err(&self, what: String, source: impl Into<BoxError>) -> Error {
        Error::Encode {
            path: self.path.to_path_buf(),
            what,
            source: source.into(),
        }
    }

    pub(crate) fn decode<T: DeserializeOwned>(
        &self,
        blob: &[u8],
        what: impl FnOnce() -> String,
    ) -> Result<T> {
        codec::decompress_json(blob).map_err(|source| self.corrupt(what(), source))
    }

    pub(crate) fn digest(&self, text: &str, what: &str) -> Result<Digest> {
        text.parse()
            .map_err(|source| self.corrupt(format!("{what} digest `{text}`"), source))
    }

    pub(crate) fn time(&self, ms: i64, what: &str) -> Result<time::OffsetDateTime> {
        codec::time_of_ms(ms).map_err(|source| self.corrupt(format!("{what} time {ms}"), source))
    }
}

fn default_path_from(xdg_data_home: Option<OsString>, home: Option<OsString>) -> PathBuf {
    // The spec: a relative (or empty) XDG_DATA_HOME is invalid and must be ignored.
    let data_home = xdg_data_home
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| {
            home.map(PathBuf::from)
                .filter(|p| p.is_absolute())
                .map(|home| home.join(".local/share"))
        });
    match data_home {
        Some(dir) => dir.join("plimsoll").join("store.sqlite"),
        None => PathBuf::from("plimsoll-store.sqlite"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_path_follows_xdg() {
        let path = |xdg: Option<&str>, home: Option<&str>| {
            default_path_from(xdg.map(Into::into), home.map(Into::into))
        };
        assert_eq!(
            path(Some("/data"), Some("/home/u")),
            Path::new("/data/plimsoll/store.sqlite")
        );
        assert_eq!(
            path(Some("relative"), Some("/home/u")),
            Path::new("/home/u/.local/share/plimsoll/store.sqlite")
        );
        assert_eq!(path(Some(""), None), Path::new("plimsoll-store.sqlite"));
    }

    #[test]
    fn migrations_are_embedded_and_versioned() {
        let versions: Vec<i64> = MIGRATOR.iter().map(|m| m.version).collect();
        assert_eq!(versions.first(), Some(&1));
        assert!(versions.windows(2).all(|w| w[0] < w[1]));
    }
}
