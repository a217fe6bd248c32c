//! Matching: an image inventory and the vulnerability database in, findings out.
//!
//! Matching reads inventories, never layers, so a database update re-matches every stored
//! inventory without pulling a byte. For each package:
//!
//! 1. [`osv_package`] says where to look: OS packages by their **source** package in their
//!    distribution release (`Debian:12`, `Alpine:v3.19`, `Ubuntu:22.04:LTS`), because distro
//!    advisories are keyed by source package; language packages by name in their ecosystem
//!    (`PyPI`, `npm`), names normalised by the database per ecosystem (PEP 503 for PyPI).
//! 2. The database answers with the advisories naming that package (a hash look-up), and the
//!    exact check is the OSV range evaluation of `plimsoll-version` on the installed version,
//!    parsed once.
//! 3. Each hit becomes a [`Finding`](plimsoll_types::Finding) with its fix state (fixed versions
//!    above the installed one, or unfixed) and severity ([`severity`]: CVSS v4 → v3 → v2 vectors,
//!    then the database's label, then an aliased record's, else `UNKNOWN`, always saying which).
//! 4. Several records for one vulnerability (PYSEC and GHSA aliasing each other) are merged per
//!    package into one finding carrying every id.
//!
//! A version that cannot be parsed is reported in [`MatchOutcome::problems`], never silently
//! taken as vulnerable or safe.
//!
//! Depends on `plimsoll-types`, `plimsoll-version` and `plimsoll-vulndb`.
//!
//! ```
//! use plimsoll_matcher::osv_package;
//! use plimsoll_types::{OsRelease, Package, PackageKind, SourcePackage};
//! let mut libc = Package::new(PackageKind::Deb, "libc6", "2.36-9+deb12u4", "/var/lib/dpkg/status");
//! libc.source = Some(SourcePackage { name: "glibc".into(), version: "2.36-9+deb12u4".into() });
//! let os = OsRelease { id: "debian".into(), version_id: Some("12".into()), ..OsRelease::default() };
//! let target = osv_package(&libc, Some(&os)).unwrap();
//! assert_eq!((target.ecosystem.as_ref(), target.name), ("Debian:12", "glibc"));
//! ```

mod error;
mod matcher;
mod severity;
mod target;

pub use crate::error::{Error, Result};
pub use crate::matcher::{MatchOutcome, Matcher, match_inventory};
pub use crate::severity::severity;
pub use crate::target::{OsvPackage, osv_package};
