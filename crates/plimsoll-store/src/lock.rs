use std::fs::TryLockError;
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::codec;
use crate::error::{Error, Result};
use crate::store::Store;

/// The exclusive right to run scans against one store, held until dropped.
///
/// It is an advisory lock (`flock(2)` on Unix, `LockFileEx` on Windows, through std's
/// `File::lock`) on `<store>.lock`, so the kernel releases it when the holder dies, however it
/// dies: a killed scan never leaves a stale lock behind. While held, the file says who holds it
/// (pid and start time), for the [`Error::RunInProgress`] of the next would-be holder.
#[derive(Debug)]
pub struct RunLock {
    file: fs_err::File,
}

impl RunLock {
    /// The lock file.
    pub fn path(&self) -> &Path {
        self.file.path()
    }
}

impl Drop for RunLock {
    fn drop(&mut self) {
        // Best effort: closing the file releases the lock anyway.
        let _ = self.file.set_len(0);
        let _ = self.file.unlock();
    }
}

impl Store {
    /// The run lock file of this store: `<store path>.lock`.
    pub fn lock_path(&self) -> PathBuf {
        let mut path = self.path().as_os_str().to_owned();
        path.push(".lock");
        PathBuf::from(path)
    }

    /// Takes the exclusive run lock. With `wait` false a held lock fails at once with
    /// [`Error::RunInProgress`] naming the holder; with `wait` true this waits for it (on a
    /// blocking thread).
    ///
    /// Once held, runs still marked running were left by a process that died without finishing
    /// them (the lock outlives no process), so they are marked
    /// [`RunStatus::Interrupted`](crate::RunStatus::Interrupted).
    pub async fn lock_runs(&self, wait: bool) -> Result<RunLock> {
        let path = self.lock_path();
        let lock = match tokio::task::spawn_blocking(move || acquire(&path, wait)).await {
            Ok(lock) => lock?,
            Err(join) if join.is_panic() => std::panic::resume_unwind(join.into_panic()),
            Err(join) => {
                return Err(Error::Lock {
                    path: self.lock_path(),
                    source: io::Error::other(join),
                });
            }
        };
        let interrupted = sqlx::query(
            "UPDATE runs SET status = 'interrupted', finished_at = $1 WHERE status = 'running'",
        )
        .bind(codec::now_ms())
        .execute(&self.pool)
        .await
        .map_err(self.query_err("mark abandoned runs as interrupted"))?
        .rows_affected();
        if interrupted > 0 {
            tracing::info!(
                runs = interrupted,
                "marked runs of a dead process as interrupted"
            );
        }
        Ok(lock)
    }
}

fn acquire(path: &Path, wait: bool) -> Result<RunLock> {
    let lock_err = |source| Error::Lock {
        path: path.to_owned(),
        source,
    };
    // Not truncated on open: the file holds the current holder's name until we own the lock.
    let file = fs_err::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
        .map_err(lock_err)?;
    if wait {
        file.lock().map_err(lock_err)?;
    } else {
        // A held lock is retried for a moment: an flock belongs to the open file, and a child
        // that another thread of this process forks inherits it until its exec closes the
        // descriptor, so a lock just released can look held for a few milliseconds.
        let deadline = std::time::Instant::now() + std::time::Duration::from_millis(500);
        let mut attempt = file.try_lock();
        while matches!(attempt, Err(TryLockError::WouldBlock))
            && std::time::Instant::now() < deadline
        {
            std::thread::sleep(std::time::Duration::from_millis(10));
            attempt = file.try_lock();
        }
        match attempt {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let holder = fs_err::read_to_string(path).unwrap_or_default();
                let holder = match holder.trim() {
                    "" => "holder unknown".to_owned(),
                    holder => holder.to_owned(),
                };
                return Err(Error::RunInProgress {
                    path: path.to_owned(),
                    holder,
                });
            }
            Err(TryLockError::Error(source)) => return Err(lock_err(source)),
        }
    }
    let mut lock = RunLock { file };
    let started = OffsetDateTime::now_utc()
        .format(&Rfc3339)
        .unwrap_or_else(|_| "unknown time".to_owned());
    let holder = format!("pid {}, started {started}", std::process::id());
    lock.file.set_len(0).map_err(lock_err)?;
    lock.file
        .write_all(holder.as_bytes())
        .and_then(|()| lock.file.flush())
        .map_err(lock_err)?;
    Ok(lock)
}
