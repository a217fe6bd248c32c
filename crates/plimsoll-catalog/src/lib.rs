//! Catalogers: each one recognises the files of one package manager by path and turns the
//! bytes of one such file into [`FileFacts`](plimsoll_types::FileFacts).
//!
//! A cataloger never sees the rest of the layer or the image: it gets one path and that file's
//! bytes, so its output is a pure function of them. That is what makes layer facts cacheable by
//! digest. The tar walk (in `plimsoll-layer`) calls [`Cataloger::wants`] for each regular file —
//! a cheap path test, since it runs on every entry — and reads only the files some cataloger
//! wants. Folding the per-file facts into an image view is `plimsoll-inventory`'s job.
//!
//! One module per ecosystem (`dpkg`, `apk`, `python`, `npm`) plus `os_release`; the enabled set
//! is listed once, in [`all`].
//!
//! ```
//! let catalogers = plimsoll_catalog::all();
//! assert!(catalogers.iter().any(|c| c.wants("/var/lib/dpkg/status")));
//! ```
//!
//! Depends only on `plimsoll-types`.

mod all;
mod error;

pub use crate::all::all;
pub use crate::error::{Error, Result};

use plimsoll_types::FileFacts;

/// Files larger than this are not read by default: package databases and metadata files are
/// small (a large Debian status file is ~5 MB); anything bigger is not what we look for, and
/// reading it would break the bounded-memory promise.
pub const DEFAULT_MAX_FILE_SIZE: u64 = 64 * 1024 * 1024;

/// Reads one kind of package metadata file.
pub trait Cataloger: Send + Sync {
    /// Stable name, used in facts, cache keys and logs (`dpkg`, `apk`, `python`, `npm`, `os-release`).
    fn name(&self) -> &'static str;

    /// Output version: bump whenever the facts this cataloger produces change, so cached layer
    /// facts made by an older parser are recomputed (STYLE rule 8).
    fn version(&self) -> u32;

    /// Whether this cataloger reads the file at `path` (absolute, normalised: `/usr/lib/…`).
    /// Called for every regular file of every layer: a cheap string test only.
    fn wants(&self, path: &str) -> bool;

    /// Files above this size are skipped with a warning instead of read.
    fn max_file_size(&self) -> u64 {
        DEFAULT_MAX_FILE_SIZE
    }

    /// Reads one file. A file that is partly malformed still yields what could be read, with
    /// `warnings`; an error means nothing useful could be read from it.
    fn catalog(&self, path: &str, contents: &[u8]) -> Result<FileFacts>;
}
