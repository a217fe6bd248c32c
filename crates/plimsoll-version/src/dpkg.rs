//! Debian versions, ordered as Debian policy §5.6.12 specifies and `dpkg --compare-versions`
//! implements.
//!
//! A version is `[epoch:]upstream_version[-debian_revision]`. The epoch is the digits before
//! the first colon (0 when absent); the revision is everything after the *last* hyphen (absent
//! is the same as `0`). Epochs compare as numbers; upstream and revision compare with the
//! policy's string algorithm: alternately a run of non-digits, compared character by character
//! with `~` before everything (even the end of the string), then letters, then every other
//! character; and a run of digits, compared as a number. So `1.0~rc1 < 1.0 < 1.0+b1 < 1.0a`.
//!
//! Parsing rejects what dpkg itself rejects (empty version, embedded whitespace, an epoch that
//! is not a number or exceeds `i32::MAX`, nothing after the epoch colon, an empty upstream
//! version or revision) and, stricter than dpkg, any byte outside printable ASCII: dpkg only
//! warns about those and then orders them by the platform's `char` signedness. dpkg's other
//! warnings (upstream not starting with a digit, characters outside the policy's set) are
//! accepted and ordered the way dpkg orders them.

use std::cmp::Ordering;

use crate::numeric::cmp_decimal;
use crate::version::{Repr, Version};
use crate::{Error, Result, VersionScheme};

/// Debian and Ubuntu (`dpkg`) version ordering.
#[derive(Clone, Copy, Debug, Default)]
pub struct Dpkg;

const NAME: &str = "dpkg";

impl VersionScheme for Dpkg {
    fn name(&self) -> &'static str {
        NAME
    }

    fn parse(&self, version: &str) -> Result<Version> {
        DpkgVersion::parse(version).map(|v| Version::new(Repr::Dpkg(v)))
    }
}

/// The trimmed text plus where its parts are: comparing works on the text directly, as dpkg
/// does, so parsing allocates once.
#[derive(Clone, Debug)]
pub(crate) struct DpkgVersion {
    raw: Box<str>,
    epoch: u32,
    upstream_start: usize,
    upstream_end: usize,
    /// Start of the revision (after the hyphen); `raw.len()` when there is none.
    revision_start: usize,
}

impl DpkgVersion {
    fn parse(input: &str) -> Result<Self> {
        let invalid = |reason| Error::invalid(NAME, input, reason);
        let s = input.trim_ascii();
        if s.is_empty() {
            return Err(invalid("empty version"));
        }
        if s.bytes().any(|b| b.is_ascii_whitespace()) {
            return Err(invalid("embedded whitespace"));
        }
        if !s.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(invalid("character outside printable ASCII"));
        }
        let (epoch, upstream_start) = match s.find(':') {
            None => (0, 0),
            Some(0) => return Err(invalid("empty epoch")),
            Some(colon) => {
                let digits = &s[..colon];
                if !digits.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(invalid("epoch is not a number"));
                }
                let epoch = digits
                    .parse::<u32>()
                    .ok()
                    .filter(|&e| i32::try_from(e).is_ok())
                    .ok_or_else(|| invalid("epoch is too big"))?;
                if colon + 1 == s.len() {
                    return Err(invalid("nothing after the epoch colon"));
                }
                (epoch, colon + 1)
            }
        };
        let (upstream_end, revision_start) = match s[upstream_start..].rfind('-') {
            None => (s.len(), s.len()),
            Some(hyphen) => {
                let hyphen = upstream_start + hyphen;
                if hyphen + 1 == s.len() {
                    return Err(invalid("empty revision"));
                }
                (hyphen, hyphen + 1)
            }
        };
        if upstream_end == upstream_start {
            return Err(invalid("empty upstream version"));
        }
        Ok(DpkgVersion {
            raw: s.into(),
            epoch,
            upstream_start,
            upstream_end,
            revision_start,
        })
    }

    pub(crate) fn as_str(&self) -> &str {
        &self.raw
    }

    fn upstream(&self) -> &[u8] {
        &self.raw.as_bytes()[self.upstream_start..self.upstream_end]
    }

    fn revision(&self) -> &[u8] {
        &self.raw.as_bytes()[self.revision_start..]
    }
}

impl Ord for DpkgVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        self.epoch
            .cmp(&other.epoch)
            .then_with(|| compare_part(self.upstream(), other.upstream()))
            .then_with(|| compare_part(self.revision(), other.revision()))
    }
}

impl PartialOrd for DpkgVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for DpkgVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for DpkgVersion {}

/// The weight of one character in a non-digit run (policy §5.6.12): `~` sorts before the end
/// of the run, letters sort by ASCII before all other characters. A digit or the end of the
/// string weighs 0, which is what ends a run.
fn weight(c: Option<u8>) -> i32 {
    match c {
        None => 0,
        Some(c) if c.is_ascii_digit() => 0,
        Some(b'~') => -1,
        Some(c) if c.is_ascii_alphabetic() => i32::from(c),
        Some(c) => i32::from(c) + 256,
    }
}

/// Compares an upstream version or revision: alternating non-digit and digit runs.
fn compare_part(a: &[u8], b: &[u8]) -> Ordering {
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        // Non-digit runs, character by character. The loop only advances while both sides
        // have a non-digit with the same weight; any difference, including one side reaching
        // a digit or its end, decides.
        while a.get(i).is_some_and(|c| !c.is_ascii_digit())
            || b.get(j).is_some_and(|c| !c.is_ascii_digit())
        {
            let (wa, wb) = (weight(a.get(i).copied()), weight(b.get(j).copied()));
            if wa != wb {
                return wa.cmp(&wb);
            }
            i += 1;
            j += 1;
        }
        let (si, sj) = (i, j);
        while a.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        while b.get(j).is_some_and(u8::is_ascii_digit) {
            j += 1;
        }
        let order = cmp_decimal(&a[si..i], &b[sj..j]);
        if order != Ordering::Equal {
            return order;
        }
    }
    Ordering::Equal
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::assert_order_table;

    #[test]
    fn policy_and_dpkg_examples() {
        // Debian policy §5.6.12 and dpkg's own test suite (facts, rewritten as a table).
        assert_order_table(
            &Dpkg,
            &[
                ("1.0~rc1", "<", "1.0"),
                ("~~", "<", "~~a"),
                ("~~a", "<", "~"),
                ("~", "<", "0"),
                ("1.0~~", "<", "1.0~"),
                ("1.0~", "<", "1.0"),
                ("1.0", "<", "1.0a"),
                ("1.0a", "<", "1.0+"),
                ("1.0+", "<", "1.0."),
                ("1.0", "<", "1.0+dfsg"),
                ("1.0", "<", "1.0.1"),
                ("1.0", "=", "1.0-0"),
                ("1.0", "=", "0:1.0"),
                ("1.0-1", "<", "1.0-1+deb12u1"),
                ("1.0-1~bpo11+1", "<", "1.0-1"),
                ("1:0.1", ">", "9.9"),
                ("2:1.0", ">", "1:9.9"),
                ("1.2.3", "=", "1.02.03"),
                ("1.10", ">", "1.9"),
                ("1.0-1ubuntu1", ">", "1.0-1"),
                ("1.0-1ubuntu0.1", "<", "1.0-1ubuntu1"),
                ("2.36.1-8+deb11u1", "<", "2.36.1-8+deb11u2"),
                ("7.88.1-10+deb12u5", ">", "7.88.1-10+deb12u4"),
                ("1:9.18.24-1", ">", "1:9.16.48-1"),
                ("a", "<", "b"),
                ("A", "<", "a"),
                ("1.0-a-b", ">", "1.0-a"),
                (
                    "123456789012345678901234567890",
                    ">",
                    "123456789012345678901234567889",
                ),
                ("0:1.0:1", "<", "0:1.0:2"),
            ],
        );
    }

    #[test]
    fn parts_are_split_like_dpkg() {
        let v = DpkgVersion::parse(" 3:1.2-3-4 ").unwrap();
        assert_eq!(v.epoch, 3);
        assert_eq!(v.upstream(), b"1.2-3");
        assert_eq!(v.revision(), b"4");
        assert_eq!(v.as_str(), "3:1.2-3-4");
    }

    #[test]
    fn rejects_what_dpkg_rejects() {
        for bad in [
            "",
            "  ",
            "1 .0",
            ":1.0",
            "a:1.0",
            "1.0:1",
            "1:",
            "1.0-",
            "-1",
            "1:-1",
            "99999999999:1",
            "1.0\u{e9}",
        ] {
            assert!(Dpkg.parse(bad).is_err(), "{bad:?} should be rejected");
        }
        // dpkg only warns about these, and orders them.
        for odd in ["a1.0", "1.0_1", "1.0-a_b"] {
            assert!(Dpkg.parse(odd).is_ok(), "{odd:?} should be accepted");
        }
    }
}
