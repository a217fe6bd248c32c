//! Catalogers: each one recognises the files of one package manager by path and turns the
//! bytes of one such file into [`FileFacts`].
//!
//! A cataloger never sees the rest of the layer or the image: it gets one path and that file's
//! bytes, so its output is a pure function of them. That is what makes layer facts cacheable by
//! digest. The tar walk (in `plimsoll-layer`) calls [`Cataloger::wants`] for each regular file —
//! a cheap path test, since it runs on every entry — and reads only the files some cataloger
//! wants. Folding the per-file facts into an image view is `plimsoll-inventory`'s job.
//!
//! One module per ecosystem plus `os_release`; the enabled set is listed once, in [`all()`]:
//!
//! | name         | files                                                                 |
//! |--------------|-----------------------------------------------------------------------|
//! | `dpkg`       | `/var/lib/dpkg/status`, distroless `/var/lib/dpkg/status.d/*`          |
//! | `apk`        | `/lib/apk/db/installed`                                                |
//! | `python`     | `*.dist-info/METADATA`, `*.egg-info/PKG-INFO`, `*.egg-info` files      |
//! | `npm`        | `…/node_modules/[@scope/]<name>/package.json`, `package-lock.json`     |
//! | `java`       | `*.jar`, `*.war`, `*.ear`, `*.par`, `*.jpi`, `*.hpi` (nested jars too) |
//! | `rpm`        | `{/var/lib/rpm,/usr/lib/sysimage/rpm}/{rpmdb.sqlite,Packages,Packages.db}` |
//! | `os-release` | `/etc/os-release`, `/usr/lib/os-release`                               |
//! | `cargo-lock` | `…/Cargo.lock` (registry crates)                                       |
//! | `binary`     | executables (by mode, 4 KiB–256 MiB): Go build info, `cargo auditable` |
//! | `gem`        | `…/specifications/[default/]*.gemspec`, `Gemfile.lock`, `gems.locked`  |
//! | `composer`   | `composer.lock`, `…/vendor/composer/installed.json`                    |
//! | `nuget`      | `*.deps.json`, `packages.lock.json`                                    |
//! | `yarn`       | `yarn.lock` (Yarn 1 and Yarn 2+)                                       |
//! | `pnpm`       | `pnpm-lock.yaml` (lockfile versions 5, 6 and 9)                        |
//! | `python-lock`| `poetry.lock`, `Pipfile.lock`, `requirements*.txt` (exact pins)        |
//! | `conda`      | `…/conda-meta/*.json`                                                  |
//!
//! Each module's doc names the format it follows and its quirks. Catalogers read text formats
//! with lossy UTF-8 decoding (metadata is ASCII in practice, and one bad byte in a description
//! must not hide the packages around it); JSON must be valid UTF-8, as RFC 8259 requires.
//!
//! ```
//! let catalogers = plimsoll_catalog::all();
//! let dpkg = catalogers.iter().find(|c| c.wants("/var/lib/dpkg/status")).unwrap();
//! let facts = dpkg
//!     .catalog(
//!         "/var/lib/dpkg/status",
//!         b"Package: zlib1g\nStatus: install ok installed\nArchitecture: amd64\n\
//!           Source: zlib\nVersion: 1:1.2.13.dfsg-1\n",
//!     )
//!     .unwrap();
//! assert_eq!(facts.packages[0].name, "zlib1g");
//! assert_eq!(facts.packages[0].source.as_ref().unwrap().name, "zlib");
//! ```
//!
//! Depends only on `plimsoll-types`.

mod all;
mod apk;
mod binary;
mod cargo_lock;
mod composer;
mod conda;
mod dotnet;
mod dpkg;
mod error;
mod gem;
mod java;
mod npm;
mod os_release;
mod pnpm;
mod python;
mod python_lock;
mod rpm;
#[cfg(test)]
mod testutil;
mod yarn;

pub use crate::all::all;
pub use crate::error::{Error, Result};

use plimsoll_types::FileFacts;

/// Files larger than this are not read by default: package databases and metadata files are
/// small (a large Debian status file is ~5 MB); anything bigger is not what we look for, and
/// reading it would break the bounded-memory promise.
pub const DEFAULT_MAX_FILE_SIZE: u64 = 64 * 1024 * 1024;

/// What the layer walk knows about a regular file before reading it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FileCandidate<'a> {
    /// Absolute, normalised path (`/usr/bin/kubectl`).
    pub path: &'a str,
    /// Size in bytes.
    pub size: u64,
    /// Permission bits (`0o755`).
    pub mode: u32,
}

impl FileCandidate<'_> {
    /// Whether any execute bit is set.
    pub fn is_executable(&self) -> bool {
        self.mode & 0o111 != 0
    }
}

/// Reads one kind of package metadata file.
pub trait Cataloger: Send + Sync {
    /// Stable name, used in facts, cache keys and logs (`dpkg`, `apk`, `python`, `npm`, `java`,
    /// `rpm`, `os-release`, `cargo-lock`, `binary`).
    fn name(&self) -> &'static str;

    /// Output version: bump whenever the facts this cataloger produces change, so cached layer
    /// facts made by an older parser are recomputed (STYLE rule 8).
    fn version(&self) -> u32;

    /// Whether this cataloger reads the file at `path` (absolute, normalised: `/usr/lib/…`).
    /// Called for every regular file of every layer: a cheap string test only.
    fn wants(&self, path: &str) -> bool;

    /// Whether this cataloger reads this file, knowing its size and mode too. Path-based
    /// catalogers keep the default; catalogers of executables (Go, Rust) test the mode.
    fn wants_file(&self, file: &FileCandidate<'_>) -> bool {
        self.wants(file.path)
    }

    /// Whether facts with nothing in them are kept. Path-based catalogers keep them (an empty
    /// status file in an upper layer must hide the packages of the lower one); catalogers that
    /// look at every executable drop them, or layer facts would list every binary.
    fn keeps_empty(&self) -> bool {
        true
    }

    /// Files above this size are skipped with a warning instead of read.
    fn max_file_size(&self) -> u64 {
        DEFAULT_MAX_FILE_SIZE
    }

    /// Reads one file. A file that is partly malformed still yields what could be read, with
    /// `warnings`; an error means nothing useful could be read from it.
    fn catalog(&self, path: &str, contents: &[u8]) -> Result<FileFacts>;

    /// Files larger than this are given to [`Cataloger::catalog_reader`] as a stream instead
    /// of being read into memory for [`Cataloger::catalog`]. Default: never.
    fn max_in_memory(&self) -> u64 {
        u64::MAX
    }

    /// Reads a file of `size` bytes from a stream, in bounded memory; called for files above
    /// [`Cataloger::max_in_memory`]. The default reads the stream into memory and calls
    /// [`Cataloger::catalog`].
    fn catalog_reader(
        &self,
        path: &str,
        size: u64,
        reader: &mut dyn std::io::Read,
    ) -> Result<FileFacts> {
        let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
        reader
            .read_to_end(&mut bytes)
            .map_err(|source| Error::Read {
                path: path.to_owned(),
                source,
            })?;
        self.catalog(path, &bytes)
    }
}
