//! [`Version`]: a version string parsed once by its scheme, ready to be compared many times.

use std::cmp::Ordering;
use std::fmt;

use crate::{
    Error, Result, VersionScheme, apk, composer, dpkg, maven, pep440, rpm, rubygems, semver,
};

/// A version parsed by one [`VersionScheme`].
///
/// Parsing validates the string and precomputes what the scheme's comparison needs, so
/// comparing two `Version`s allocates nothing. A matcher parses an installed version once and
/// compares it against every range event of every advisory for that package.
///
/// Versions of the same scheme are totally ordered. Versions of different schemes have no order:
/// [`PartialOrd`] answers `None` (so `<`, `>`, `<=`, `>=` are all `false`) and
/// [`try_cmp`](Version::try_cmp) returns [`Error::SchemeMismatch`]. Equality is the scheme's
/// equality, not the text's: `1.0` and `1.0-0` are equal dpkg versions.
#[derive(Clone)]
pub struct Version {
    repr: Repr,
}

/// One variant per scheme module; the closed list keeps comparison a plain `match`, without
/// trait objects or downcasts.
#[derive(Clone)]
pub(crate) enum Repr {
    Dpkg(dpkg::DpkgVersion),
    Apk(apk::ApkVersion),
    Rpm(rpm::RpmVersion),
    Pep440(pep440::Pep440Version),
    Semver(semver::SemverVersion),
    Maven(maven::MavenVersion),
    Rubygems(rubygems::GemVersion),
    Composer(composer::ComposerVersion),
}

impl Version {
    pub(crate) fn new(repr: Repr) -> Self {
        Version { repr }
    }

    /// The version as it was given to [`VersionScheme::parse`], without surrounding
    /// whitespace.
    pub fn as_str(&self) -> &str {
        match &self.repr {
            Repr::Dpkg(v) => v.as_str(),
            Repr::Apk(v) => v.as_str(),
            Repr::Rpm(v) => v.as_str(),
            Repr::Pep440(v) => v.as_str(),
            Repr::Semver(v) => v.as_str(),
            Repr::Maven(v) => v.as_str(),
            Repr::Rubygems(v) => v.as_str(),
            Repr::Composer(v) => v.as_str(),
        }
    }

    /// The scheme that parsed this version.
    pub fn scheme(&self) -> &'static dyn VersionScheme {
        match &self.repr {
            Repr::Dpkg(_) => &dpkg::Dpkg,
            Repr::Apk(_) => &apk::Apk,
            Repr::Rpm(_) => &rpm::Rpm,
            Repr::Pep440(_) => &pep440::Pep440,
            Repr::Semver(v) => v.scheme(),
            Repr::Maven(_) => &maven::Maven,
            Repr::Rubygems(_) => &rubygems::RubyGems,
            Repr::Composer(_) => &composer::Composer,
        }
    }

    /// Orders two versions of the same scheme; versions of different schemes are an error.
    pub fn try_cmp(&self, other: &Version) -> Result<Ordering> {
        self.partial_cmp(other)
            .ok_or_else(|| Error::SchemeMismatch {
                left: self.scheme().name(),
                right: other.scheme().name(),
            })
    }
}

impl PartialEq for Version {
    fn eq(&self, other: &Self) -> bool {
        self.partial_cmp(other) == Some(Ordering::Equal)
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        match (&self.repr, &other.repr) {
            (Repr::Dpkg(a), Repr::Dpkg(b)) => Some(a.cmp(b)),
            (Repr::Apk(a), Repr::Apk(b)) => Some(a.cmp(b)),
            (Repr::Rpm(a), Repr::Rpm(b)) => Some(a.cmp(b)),
            (Repr::Pep440(a), Repr::Pep440(b)) => Some(a.cmp(b)),
            (Repr::Semver(a), Repr::Semver(b)) => a.partial_cmp(b),
            (Repr::Maven(a), Repr::Maven(b)) => Some(a.cmp(b)),
            (Repr::Rubygems(a), Repr::Rubygems(b)) => Some(a.cmp(b)),
            (Repr::Composer(a), Repr::Composer(b)) => Some(a.cmp(b)),
            _ => None,
        }
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{:?}", self.scheme().name(), self.as_str())
    }
}
