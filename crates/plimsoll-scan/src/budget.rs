//! One process-wide cap on the bytes of wanted files held in memory at once.
//!
//! A cataloger reads a whole file (a jar needs its central directory at the end, an executable
//! its section table), and several layers are walked at once (images in parallel, layers in
//! parallel), so without a shared cap a few large jars or Go binaries arriving together would
//! add up. Each walk asks for a file's size before reading it and gives it back after the
//! catalogers are done; a file larger than the whole budget waits until it can be read alone.
//! Small files (most metadata) skip the lock: one per walk at a time is bounded anyway.

use std::sync::{Condvar, LazyLock, Mutex, PoisonError};

/// Bytes of large wanted files in memory at once, across all walks.
pub(crate) const READ_BUDGET: u64 = 48 * 1024 * 1024;

/// Files below this size are read without asking.
const SMALL_FILE: u64 = 1024 * 1024;

pub(crate) struct ReadBudget {
    total: u64,
    in_use: Mutex<u64>,
    freed: Condvar,
}

/// Bytes taken from the budget, given back on drop.
pub(crate) struct Grant<'a> {
    budget: &'a ReadBudget,
    bytes: u64,
}

impl ReadBudget {
    pub(crate) const fn new(total: u64) -> Self {
        ReadBudget {
            total,
            in_use: Mutex::new(0),
            freed: Condvar::new(),
        }
    }

    /// The budget every layer walk of the process shares.
    pub(crate) fn global() -> &'static ReadBudget {
        static BUDGET: LazyLock<ReadBudget> = LazyLock::new(|| ReadBudget::new(READ_BUDGET));
        &BUDGET
    }

    /// Waits until `size` bytes fit (a file larger than the budget takes all of it).
    pub(crate) fn acquire(&self, size: u64) -> Grant<'_> {
        if size < SMALL_FILE {
            return Grant {
                budget: self,
                bytes: 0,
            };
        }
        let bytes = size.min(self.total);
        // A poisoned lock only means another walk panicked while counting; the count is
        // still the best we have.
        let mut in_use = self.in_use.lock().unwrap_or_else(PoisonError::into_inner);
        while *in_use + bytes > self.total {
            in_use = self
                .freed
                .wait(in_use)
                .unwrap_or_else(PoisonError::into_inner);
        }
        *in_use += bytes;
        Grant {
            budget: self,
            bytes,
        }
    }

    #[cfg(test)]
    fn in_use(&self) -> u64 {
        *self.in_use.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Drop for Grant<'_> {
    fn drop(&mut self) {
        if self.bytes == 0 {
            return;
        }
        let mut in_use = self
            .budget
            .in_use
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        *in_use -= self.bytes;
        self.budget.freed.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc;
    use std::time::Duration;

    use super::*;

    const MIB: u64 = 1024 * 1024;

    #[test]
    fn small_files_take_nothing_and_large_ones_are_counted() {
        let budget = ReadBudget::new(10 * MIB);
        let small = budget.acquire(MIB - 1);
        assert_eq!(budget.in_use(), 0);
        let a = budget.acquire(4 * MIB);
        let b = budget.acquire(6 * MIB);
        assert_eq!(budget.in_use(), 10 * MIB);
        drop((a, b, small));
        assert_eq!(budget.in_use(), 0);
        // Larger than the whole budget: takes all of it, so it is read alone.
        let huge = budget.acquire(100 * MIB);
        assert_eq!(budget.in_use(), 10 * MIB);
        drop(huge);
        assert_eq!(budget.in_use(), 0);
    }

    #[test]
    fn a_walk_waits_until_its_file_fits() {
        let budget: &'static ReadBudget = Box::leak(Box::new(ReadBudget::new(8 * MIB)));
        let held = budget.acquire(6 * MIB);
        let (tx, rx) = mpsc::channel();
        let waiter = std::thread::spawn(move || {
            let grant = budget.acquire(4 * MIB);
            tx.send(()).unwrap();
            drop(grant);
        });
        // Not granted while 6 of 8 MiB are held (no message can have been sent).
        assert!(rx.try_recv().is_err());
        drop(held);
        rx.recv_timeout(Duration::from_secs(30)).unwrap();
        waiter.join().unwrap();
        assert_eq!(budget.in_use(), 0);
    }
}
