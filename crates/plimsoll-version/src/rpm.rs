//! RPM versions (Red Hat, Rocky, `AlmaLinux`, SUSE, `openSUSE`, Photon OS, Mageia, `openEuler`):
//! `[epoch:]version[-release]`, ordered like `rpmvercmp`.
//!
//! The epoch is the leading digits when a colon follows them (0 when absent, as rpm assumes);
//! the release is everything after the last hyphen. Epochs compare as numbers, then version
//! and release each with rpm's segment algorithm: split into maximal runs of ASCII digits or
//! ASCII letters, everything else only separating them; digit runs compare as numbers and beat
//! letter runs; letter runs compare as bytes; the side with segments left over wins. Two
//! separators are special: `~` sorts before anything, even the end (`1.0~rc1 < 1.0`), and `^`
//! sorts after the end but before anything else (`1.0 < 1.0^git1 < 1.0.1`).
//!
//! A missing release sorts before every release (`1.0 < 1.0-1`), as `rpm.vercmp` orders
//! full EVR strings; rpm's dependency matching instead ignores a release that one side lacks,
//! which is not an order. An empty version (`1:`, `-1`) is rejected, where rpm would compare
//! it as empty. The oracle test checks all of this against `rpm.vercmp` when rpm is installed.

use std::cmp::Ordering;

use crate::numeric::cmp_decimal;
use crate::version::{Repr, Version};
use crate::{Error, Result, VersionScheme};

/// RPM (`rpmvercmp`) version ordering.
#[derive(Clone, Copy, Debug, Default)]
pub struct Rpm;

const NAME: &str = "rpm";

impl VersionScheme for Rpm {
    fn name(&self) -> &'static str {
        NAME
    }

    fn parse(&self, version: &str) -> Result<Version> {
        RpmVersion::parse(version).map(|v| Version::new(Repr::Rpm(v)))
    }
}

#[derive(Clone, Debug)]
pub(crate) struct RpmVersion {
    raw: Box<str>,
    /// End of the epoch digits (0: no epoch).
    epoch_end: usize,
    version_start: usize,
    version_end: usize,
    /// Start of the release, after the hyphen.
    release_start: Option<usize>,
}

impl RpmVersion {
    fn parse(input: &str) -> Result<Self> {
        let invalid = |reason| Error::invalid(NAME, input, reason);
        let s = input.trim_ascii();
        if s.is_empty() {
            return Err(invalid("empty version"));
        }
        if s.bytes()
            .any(|b| b.is_ascii_whitespace() || b.is_ascii_control())
        {
            return Err(invalid("whitespace or control character"));
        }
        let digits = s.bytes().take_while(u8::is_ascii_digit).count();
        let (epoch_end, version_start) = if s.as_bytes().get(digits) == Some(&b':') {
            (digits, digits + 1)
        } else {
            (0, 0)
        };
        let (version_end, release_start) = match s[version_start..].rfind('-') {
            Some(hyphen) => (version_start + hyphen, Some(version_start + hyphen + 1)),
            None => (s.len(), None),
        };
        if version_end == version_start {
            return Err(invalid("empty version part"));
        }
        Ok(RpmVersion {
            raw: s.into(),
            epoch_end,
            version_start,
            version_end,
            release_start,
        })
    }

    pub(crate) fn as_str(&self) -> &str {
        &self.raw
    }

    fn epoch(&self) -> &[u8] {
        &self.raw.as_bytes()[..self.epoch_end]
    }

    fn version(&self) -> &[u8] {
        &self.raw.as_bytes()[self.version_start..self.version_end]
    }

    fn release(&self) -> Option<&[u8]> {
        self.release_start
            .map(|start| &self.raw.as_bytes()[start..])
    }
}

impl Ord for RpmVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        cmp_decimal(self.epoch(), other.epoch())
            .then_with(|| rpmvercmp(self.version(), other.version()))
            .then_with(|| match (self.release(), other.release()) {
                (Some(a), Some(b)) => rpmvercmp(a, b),
                (a, b) => a.is_some().cmp(&b.is_some()),
            })
    }
}

impl PartialOrd for RpmVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for RpmVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for RpmVersion {}

/// rpm's segment comparison of one version or release string (see the module doc).
pub(crate) fn rpmvercmp(a: &[u8], b: &[u8]) -> Ordering {
    if a == b {
        return Ordering::Equal;
    }
    let is_separator = |c: u8| !c.is_ascii_alphanumeric() && c != b'~' && c != b'^';
    let (mut i, mut j) = (0, 0);
    loop {
        while a.get(i).is_some_and(|&c| is_separator(c)) {
            i += 1;
        }
        while b.get(j).is_some_and(|&c| is_separator(c)) {
            j += 1;
        }
        let (ca, cb) = (a.get(i).copied(), b.get(j).copied());
        if ca == Some(b'~') || cb == Some(b'~') {
            if ca != Some(b'~') {
                return Ordering::Greater;
            }
            if cb != Some(b'~') {
                return Ordering::Less;
            }
            i += 1;
            j += 1;
            continue;
        }
        if ca == Some(b'^') || cb == Some(b'^') {
            return match (ca, cb) {
                (Some(b'^'), Some(b'^')) => {
                    i += 1;
                    j += 1;
                    continue;
                }
                // This side ended (the other has `^`), or has `^` where the other has more.
                (None, _) | (Some(b'^'), Some(_)) => Ordering::Less,
                // The other side ended, or has something else where this one has `^`.
                (Some(_), _) => Ordering::Greater,
            };
        }
        let (Some(first), Some(_)) = (ca, cb) else {
            break;
        };
        let numeric = first.is_ascii_digit();
        let in_segment = |c: &u8| {
            if numeric {
                c.is_ascii_digit()
            } else {
                c.is_ascii_alphabetic()
            }
        };
        let (si, sj) = (i, j);
        while a.get(i).is_some_and(in_segment) {
            i += 1;
        }
        while b.get(j).is_some_and(in_segment) {
            j += 1;
        }
        if j == sj {
            // Different segment kinds: the number is newer.
            return if numeric {
                Ordering::Greater
            } else {
                Ordering::Less
            };
        }
        let order = if numeric {
            cmp_decimal(&a[si..i], &b[sj..j])
        } else {
            a[si..i].cmp(&b[sj..j])
        };
        if order != Ordering::Equal {
            return order;
        }
    }
    (i < a.len()).cmp(&(j < b.len()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::assert_order_table;

    fn vercmp(a: &str, b: &str) -> i32 {
        match rpmvercmp(a.as_bytes(), b.as_bytes()) {
            Ordering::Less => -1,
            Ordering::Equal => 0,
            Ordering::Greater => 1,
        }
    }

    #[test]
    fn rpm_test_suite_vercmp_facts() {
        // Comparisons from rpm's own rpmvercmp test table (facts: inputs and results).
        let rows: &[(&str, &str, i32)] = &[
            ("1.0", "1.0", 0),
            ("1.0", "2.0", -1),
            ("2.0", "1.0", 1),
            ("2.0.1", "2.0.1", 0),
            ("2.0", "2.0.1", -1),
            ("2.0.1", "2.0", 1),
            ("2.0.1a", "2.0.1a", 0),
            ("2.0.1a", "2.0.1", 1),
            ("2.0.1", "2.0.1a", -1),
            ("5.5p1", "5.5p1", 0),
            ("5.5p1", "5.5p2", -1),
            ("5.5p2", "5.5p1", 1),
            ("5.5p10", "5.5p10", 0),
            ("5.5p1", "5.5p10", -1),
            ("5.5p10", "5.5p1", 1),
            ("10xyz", "10.1xyz", -1),
            ("10.1xyz", "10xyz", 1),
            ("xyz10", "xyz10", 0),
            ("xyz10", "xyz10.1", -1),
            ("xyz10.1", "xyz10", 1),
            ("xyz.4", "xyz.4", 0),
            ("xyz.4", "8", -1),
            ("8", "xyz.4", 1),
            ("xyz.4", "2", -1),
            ("2", "xyz.4", 1),
            ("5.5p2", "5.6p1", -1),
            ("5.6p1", "5.5p2", 1),
            ("5.6p1", "6.5p1", -1),
            ("6.5p1", "5.6p1", 1),
            ("6.0.rc1", "6.0", 1),
            ("6.0", "6.0.rc1", -1),
            ("10b2", "10a1", 1),
            ("10a2", "10b2", -1),
            ("1.0aa", "1.0aa", 0),
            ("1.0a", "1.0aa", -1),
            ("1.0aa", "1.0a", 1),
            ("10.0001", "10.0001", 0),
            ("10.0001", "10.1", 0),
            ("10.1", "10.0001", 0),
            ("10.0001", "10.0039", -1),
            ("10.0039", "10.0001", 1),
            ("4.999.9", "5.0", -1),
            ("5.0", "4.999.9", 1),
            ("20101121", "20101121", 0),
            ("20101121", "20101122", -1),
            ("20101122", "20101121", 1),
            ("2_0", "2_0", 0),
            ("2.0", "2_0", 0),
            ("2_0", "2.0", 0),
            ("a", "a", 0),
            ("a+", "a+", 0),
            ("a+", "a_", 0),
            ("a_", "a+", 0),
            ("+a", "+a", 0),
            ("+a", "_a", 0),
            ("_a", "+a", 0),
            ("+_", "+_", 0),
            ("_+", "+_", 0),
            ("_+", "_", 0),
            ("+", "_", 0),
            ("_", "+", 0),
            ("1.0~rc1", "1.0~rc1", 0),
            ("1.0~rc1", "1.0", -1),
            ("1.0", "1.0~rc1", 1),
            ("1.0~rc1", "1.0~rc2", -1),
            ("1.0~rc2", "1.0~rc1", 1),
            ("1.0~rc1~git123", "1.0~rc1~git123", 0),
            ("1.0~rc1~git123", "1.0~rc1", -1),
            ("1.0~rc1", "1.0~rc1~git123", 1),
            ("1.0^", "1.0^", 0),
            ("1.0^", "1.0", 1),
            ("1.0", "1.0^", -1),
            ("1.0^git1", "1.0^git1", 0),
            ("1.0^git1", "1.0", 1),
            ("1.0", "1.0^git1", -1),
            ("1.0^git1", "1.0^git2", -1),
            ("1.0^git2", "1.0^git1", 1),
            ("1.0^git1", "1.01", -1),
            ("1.01", "1.0^git1", 1),
            ("1.0^20160101", "1.0^20160101", 0),
            ("1.0^20160101", "1.0.1", -1),
            ("1.0.1", "1.0^20160101", 1),
            ("1.0^20160101^git1", "1.0^20160101^git1", 0),
            ("1.0^20160102", "1.0^20160101^git1", 1),
            ("1.0^20160101^git1", "1.0^20160102", -1),
            ("1.0~rc1^git1", "1.0~rc1^git1", 0),
            ("1.0~rc1^git1", "1.0~rc1", 1),
            ("1.0~rc1", "1.0~rc1^git1", -1),
            ("1.0^git1~pre", "1.0^git1~pre", 0),
            ("1.0^git1", "1.0^git1~pre", 1),
            ("1.0^git1~pre", "1.0^git1", -1),
        ];
        let failures: Vec<_> = rows
            .iter()
            .filter(|&&(a, b, want)| vercmp(a, b) != want)
            .collect();
        assert!(failures.is_empty(), "rpmvercmp disagreements: {failures:?}");
    }

    #[test]
    fn epoch_version_release() {
        assert_order_table(
            &Rpm,
            &[
                ("1:1.0-1", ">", "2.0-1"),
                ("0:1.0-1", "=", "1.0-1"),
                ("1.0-1.el8", "<", "1.0-2.el8"),
                ("1.0-1.el8_9.1", ">", "1.0-1.el8"),
                ("2.17-326.el7_9", "<", "2.17-326.el7_9.3"),
                ("1.0", "<", "1.0-1"),
                ("1.0~rc1-1", "<", "1.0-1"),
                ("1.0-1", "=", "1.0-01"),
                ("3.0.7-27.el9", "<", "1:3.0.7-24.el9"),
                ("a:1.0", "=", "a:1.0"),
            ],
        );
        for bad in ["", " ", "1.0 -1", "-1", "1:-1"] {
            assert!(Rpm.parse(bad).is_err(), "{bad:?} should be rejected");
        }
    }
}
