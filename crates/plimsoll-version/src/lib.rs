//! Version ordering per ecosystem, and OSV affected-range evaluation on top of it.
//!
//! The matcher asks one question millions of times: is this installed version inside this
//! advisory's range? This crate answers it:
//!
//! - [`VersionScheme`]: one ecosystem's rules for reading and ordering version strings. One
//!   module per scheme, each documenting the specification it follows and its quirks:
//!
//!   | scheme     | type         | ecosystems                                                  |
//!   |------------|--------------|-------------------------------------------------------------|
//!   | `dpkg`     | [`Dpkg`]     | Debian, Ubuntu                                              |
//!   | `apk`      | [`Apk`]      | Alpine, Wolfi, Chainguard, Alpaquita                        |
//!   | `rpm`      | [`Rpm`]      | Red Hat, Rocky Linux, `AlmaLinux`, SUSE, Photon OS, Mageia… |
//!   | `pep440`   | [`Pep440`]   | `PyPI`                                                      |
//!   | `semver`   | [`Semver`]   | npm, crates.io, Go, Hex, Pub, `SwiftURL`; `SEMVER` ranges   |
//!   | `nuget`    | [`NuGet`]    | `NuGet`                                                     |
//!   | `maven`    | [`Maven`]    | Maven                                                       |
//!   | `rubygems` | [`RubyGems`] | `RubyGems`                                                  |
//!   | `composer` | [`Composer`] | `Packagist`                                                 |
//!
//!   [`scheme_for`] maps an OSV ecosystem string to its scheme, [`scheme_for_package`] a
//!   cataloged [`PackageKind`](plimsoll_types::PackageKind), and [`all`] lists them.
//! - [`Version`]: a string parsed once by a scheme. Comparing two parsed versions allocates
//!   nothing, so the matcher parses an installed version once and compares it against every
//!   range event.
//! - [`affected`] / [`affected_version`] with [`Range`], [`Event`], [`RangeKind`]: the OSV
//!   schema's evaluation algorithm (`introduced`, `fixed`, `last_affected`, `limit`,
//!   `versions`).
//!
//! Design: `parse` returns a concrete [`Version`] (a closed enum over the schemes' parsed
//! forms) rather than a `Box<dyn …>` of scheme-specific types. Comparison is then a `match`
//! with no downcasting and no virtual call per comparison, the parsed forms keep one owned copy
//! of the string plus spans into it, and a new scheme is one module and one enum variant.
//! Comparing versions of different schemes is an error ([`Error::SchemeMismatch`]), as is any
//! string a scheme cannot read: an unreadable version is reported, never guessed to be
//! vulnerable or safe.
//!
//! ```
//! use plimsoll_version::{Event, Range, RangeKind, VersionScheme, affected, scheme_for};
//!
//! let dpkg = scheme_for("Debian:12").unwrap();
//! assert!(dpkg.parse("1.0~rc1")? < dpkg.parse("1.0")?);
//!
//! let ranges = [Range {
//!     kind: RangeKind::Ecosystem,
//!     events: vec![Event::Introduced("0".into()), Event::Fixed("7.88.1-10+deb12u5".into())],
//! }];
//! assert!(affected(dpkg, "7.88.1-10+deb12u4", &ranges, &[])?);
//! assert!(!affected(dpkg, "7.88.1-10+deb12u5", &ranges, &[])?);
//! assert!(affected(dpkg, "not a version!", &ranges, &[]).is_err());
//! # Ok::<(), plimsoll_version::Error>(())
//! ```
//!
//! Sits beside the pipeline: `plimsoll-vulndb` converts OSV records into [`Range`]s and the
//! matcher calls [`affected`]. Depends only on `plimsoll-types` (and `pep440_rs`); it must not
//! depend on the database or the matcher.

mod all;
mod apk;
mod composer;
mod dpkg;
mod error;
mod maven;
mod numeric;
mod osv_range;
mod pep440;
mod rpm;
mod rubygems;
mod semver;
#[cfg(test)]
mod testutil;
mod version;

use std::cmp::Ordering;

pub use crate::all::{all, scheme_for, scheme_for_package};
pub use crate::apk::Apk;
pub use crate::composer::Composer;
pub use crate::dpkg::Dpkg;
pub use crate::error::{Error, Result};
pub use crate::maven::Maven;
pub use crate::osv_range::{CompiledRange, Event, Range, RangeKind, affected, affected_version};
pub use crate::pep440::Pep440;
pub use crate::rpm::Rpm;
pub use crate::rubygems::RubyGems;
pub use crate::semver::{NuGet, Semver};
pub use crate::version::Version;

/// One ecosystem's rules for reading and ordering version strings.
///
/// Implementations are stateless unit structs, so `&'static dyn VersionScheme` is the usual
/// handle. Parse once with [`parse`](VersionScheme::parse) and compare the [`Version`]s;
/// [`compare`](VersionScheme::compare) is the convenience for a single comparison.
pub trait VersionScheme: Send + Sync + std::fmt::Debug {
    /// The scheme's stable lowercase name: `dpkg`, `apk`, `rpm`, `pep440`, `semver`, `nuget`,
    /// `maven`, `rubygems`, `composer`.
    fn name(&self) -> &'static str;

    /// Reads a version string; surrounding whitespace is ignored. Strings outside the
    /// scheme's syntax are an [`Error::InvalidVersion`] (or [`Error::InvalidPep440`]).
    fn parse(&self, version: &str) -> Result<Version>;

    /// Orders two version strings of this scheme.
    fn compare(&self, a: &str, b: &str) -> Result<Ordering> {
        self.parse(a)?.try_cmp(&self.parse(b)?)
    }
}
