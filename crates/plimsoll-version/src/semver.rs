//! `SemVer` 2.0 precedence (§11) for npm, crates.io, Go, Hex, Pub, `SwiftURL` and OSV `SEMVER`
//! ranges, and the `NuGet` variant of it.
//!
//! Precedence: the numeric core compares part by part as numbers; a version with a pre-release
//! sorts below the same core without one; pre-release identifiers compare left to right,
//! numeric ones as numbers, below alphanumeric ones, which compare as ASCII; a shorter list of
//! otherwise equal identifiers sorts first. Build metadata (`+…`) is ignored, so
//! `1.0.0+a` and `1.0.0+b` are equal (their order is not defined; equal is what a range check
//! needs).
//!
//! Parsing is lenient where ecosystems differ, so one parser serves them all: a leading `v`
//! (Go modules always have one; OSV strips it), one to four core parts (`NuGet`'s `1.0.0.0`;
//! missing parts are zero, so `1.2` equals `1.2.0`), leading zeros (read as numbers), and
//! numbers of any length. Identifiers must still be non-empty runs of `[0-9A-Za-z-]`. The
//! `NuGet` scheme differs only in comparing pre-release labels case-insensitively, as `NuGet`'s
//! `VersionComparer` does.

use std::cmp::Ordering;

use crate::numeric::cmp_decimal;
use crate::version::{Repr, Version};
use crate::{Error, Result, VersionScheme};

/// `SemVer` 2.0 precedence (npm, crates.io, Go, and OSV `SEMVER` ranges).
#[derive(Clone, Copy, Debug, Default)]
pub struct Semver;

/// `NuGet`'s `SemVer`: four core parts and case-insensitive pre-release labels.
#[derive(Clone, Copy, Debug, Default)]
pub struct NuGet;

impl VersionScheme for Semver {
    fn name(&self) -> &'static str {
        Flavor::Semver.name()
    }

    fn parse(&self, version: &str) -> Result<Version> {
        SemverVersion::parse(version, Flavor::Semver).map(|v| Version::new(Repr::Semver(v)))
    }
}

impl VersionScheme for NuGet {
    fn name(&self) -> &'static str {
        Flavor::NuGet.name()
    }

    fn parse(&self, version: &str) -> Result<Version> {
        SemverVersion::parse(version, Flavor::NuGet).map(|v| Version::new(Repr::Semver(v)))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Flavor {
    Semver,
    NuGet,
}

impl Flavor {
    fn name(self) -> &'static str {
        match self {
            Flavor::Semver => "semver",
            Flavor::NuGet => "nuget",
        }
    }
}

/// A span of `raw`.
#[derive(Clone, Copy, Debug)]
struct Span {
    start: u32,
    end: u32,
}

#[derive(Clone, Debug)]
pub(crate) struct SemverVersion {
    raw: Box<str>,
    flavor: Flavor,
    core: [Span; 4],
    /// Pre-release identifiers; empty for a release.
    pre: Vec<Span>,
}

impl SemverVersion {
    fn parse(input: &str, flavor: Flavor) -> Result<Self> {
        let invalid = |reason| Error::invalid(flavor.name(), input, reason);
        let s = input.trim_ascii();
        if u32::try_from(s.len()).is_err() {
            return Err(invalid("too long"));
        }
        let b = s.as_bytes();
        // Lengths fit in u32: checked above.
        #[allow(clippy::cast_possible_truncation)]
        let span = |start: usize, end: usize| Span {
            start: start as u32,
            end: end as u32,
        };
        let mut i = usize::from(matches!(b.first(), Some(b'v' | b'V')));
        let empty = span(i, i);
        let mut core = [empty; 4];
        for (n, part) in core.iter_mut().enumerate() {
            if n > 0 {
                if b.get(i) != Some(&b'.') {
                    break;
                }
                i += 1;
            }
            let start = i;
            while b.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
            if start == i {
                return Err(invalid(if n == 0 {
                    "must start with a number"
                } else {
                    "empty numeric part"
                }));
            }
            *part = span(start, i);
        }
        let identifiers = |i: &mut usize, into: &mut Vec<Span>| -> Result<()> {
            loop {
                let start = *i;
                while b
                    .get(*i)
                    .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'-')
                {
                    *i += 1;
                }
                if start == *i {
                    return Err(invalid("empty identifier"));
                }
                into.push(span(start, *i));
                if b.get(*i) != Some(&b'.') {
                    return Ok(());
                }
                *i += 1;
            }
        };
        let mut pre = Vec::new();
        if b.get(i) == Some(&b'-') {
            i += 1;
            identifiers(&mut i, &mut pre)?;
        }
        if b.get(i) == Some(&b'+') {
            i += 1;
            identifiers(&mut i, &mut Vec::new())?;
        }
        if i != b.len() {
            return Err(invalid(if b.get(i) == Some(&b'.') {
                "more than four numeric parts"
            } else {
                "unexpected character"
            }));
        }
        Ok(SemverVersion {
            raw: s.into(),
            flavor,
            core,
            pre,
        })
    }

    pub(crate) fn as_str(&self) -> &str {
        &self.raw
    }

    pub(crate) fn scheme(&self) -> &'static dyn VersionScheme {
        match self.flavor {
            Flavor::Semver => &Semver,
            Flavor::NuGet => &NuGet,
        }
    }

    fn text(&self, span: Span) -> &[u8] {
        &self.raw.as_bytes()[span.start as usize..span.end as usize]
    }

    fn cmp_identifier(&self, a: Span, other: &Self, b: Span) -> Ordering {
        let (a, b) = (self.text(a), other.text(b));
        let numeric = |s: &[u8]| s.iter().all(u8::is_ascii_digit);
        match (numeric(a), numeric(b)) {
            (true, true) => cmp_decimal(a, b),
            (true, false) => Ordering::Less,
            (false, true) => Ordering::Greater,
            (false, false) => match self.flavor {
                Flavor::Semver => a.cmp(b),
                Flavor::NuGet => a
                    .iter()
                    .map(u8::to_ascii_lowercase)
                    .cmp(b.iter().map(u8::to_ascii_lowercase)),
            },
        }
    }
}

impl PartialOrd for SemverVersion {
    /// `None` between the `SemVer` and `NuGet` flavours, which disagree on label case.
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        if self.flavor != other.flavor {
            return None;
        }
        for (&a, &b) in self.core.iter().zip(&other.core) {
            let order = cmp_decimal(self.text(a), other.text(b));
            if order != Ordering::Equal {
                return Some(order);
            }
        }
        match (self.pre.is_empty(), other.pre.is_empty()) {
            (true, true) => return Some(Ordering::Equal),
            (true, false) => return Some(Ordering::Greater),
            (false, true) => return Some(Ordering::Less),
            (false, false) => {}
        }
        for (&a, &b) in self.pre.iter().zip(&other.pre) {
            let order = self.cmp_identifier(a, other, b);
            if order != Ordering::Equal {
                return Some(order);
            }
        }
        Some(self.pre.len().cmp(&other.pre.len()))
    }
}

impl PartialEq for SemverVersion {
    fn eq(&self, other: &Self) -> bool {
        self.partial_cmp(other) == Some(Ordering::Equal)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::assert_order_table;

    #[test]
    fn semver_spec_precedence_examples() {
        // SemVer 2.0 §11 examples.
        let ordered = [
            "1.0.0-alpha",
            "1.0.0-alpha.1",
            "1.0.0-alpha.beta",
            "1.0.0-beta",
            "1.0.0-beta.2",
            "1.0.0-beta.11",
            "1.0.0-rc.1",
            "1.0.0",
            "2.0.0",
            "2.1.0",
            "2.1.1",
        ];
        let rows: Vec<_> = ordered.windows(2).map(|w| (w[0], "<", w[1])).collect();
        assert_order_table(&Semver, &rows);
    }

    #[test]
    fn lenient_forms_and_build_metadata() {
        assert_order_table(
            &Semver,
            &[
                ("v1.2.3", "=", "1.2.3"),
                ("1.2.3+build.5", "=", "1.2.3+other"),
                ("1.2.3-rc.1+build", "<", "1.2.3"),
                ("1.2", "=", "1.2.0"),
                ("1.2.3.0", "=", "1.2.3"),
                ("1.2.3.1", ">", "1.2.3"),
                ("1.02.3", "=", "1.2.3"),
                ("1.0.0-Alpha", "<", "1.0.0-alpha"),
                ("1.0.0-2", "<", "1.0.0-10"),
                (
                    "1.0.0-99999999999999999999",
                    ">",
                    "1.0.0-99999999999999999998",
                ),
                ("1.0.0--", "<", "1.0.0-a"),
                (
                    "0.0.0-20200101000000-abcdef123456",
                    "<",
                    "0.0.0-20210101000000-012345abcdef",
                ),
                ("v2.0.0+incompatible", ">", "v1.9.9"),
            ],
        );
        for bad in [
            "",
            "v",
            "1.",
            "1..2",
            "1.2.3.4.5",
            "1.2.3-",
            "1.2.3-a..b",
            "1.2.3+",
            "1.2.3-a_b",
            "x1.2.3",
            "1.2.3 4",
        ] {
            assert!(Semver.parse(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn nuget_labels_ignore_case() {
        assert_order_table(
            &NuGet,
            &[
                ("1.0.0-Beta", "=", "1.0.0-beta"),
                ("1.0.0-alpha", "<", "1.0.0-BETA"),
                ("1.0.0.0", "=", "1.0"),
                ("1.0.0.1-rc.1", ">", "1.0.0"),
            ],
        );
        let semver = Semver.parse("1.0.0").unwrap();
        let nuget = NuGet.parse("1.0.0").unwrap();
        assert!(semver.try_cmp(&nuget).is_err());
    }
}
