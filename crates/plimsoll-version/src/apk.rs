//! Alpine (apk) versions, as apk-tools orders them; also Wolfi, Chainguard and Alpaquita.
//!
//! The format is the one `apk-package(5)` documents:
//! `number{.number}...{letter}{_suffix{number}}...{~hash}{-r#}`, with the suffixes
//! `_alpha < _beta < _pre < _rc <` (none) `< _cvs < _svn < _git < _hg < _p`. Versions compare
//! part by part, left to right:
//!
//! 1. numeric components as numbers; the first component plainly, later ones the way apk-tools
//!    does since its Gentoo origins: a component with leading zeros sorts like a decimal
//!    fraction, below every component without them, and more zeros sort lower
//!    (`1.001 < 1.01 < 1.1`; `1.01 < 1.01.1 < 1.02`);
//! 2. when one version has more numeric components, it is the greater (`1.0 < 1.0.0 < 1.0.1`),
//!    whatever follows in the other;
//! 3. the letter, a letter beating none (`1.0 < 1.0a < 1.0b`);
//! 4. the suffixes in turn, each by rank then number (no number before any number); an extra
//!    suffix makes a version lower if it is a pre-release one and higher otherwise
//!    (`1.0_rc1 < 1.0 < 1.0_p1`, `1.0_alpha_pre2 < 1.0_alpha`);
//! 5. the `-r` package revision, none before any (`1.0 < 1.0-r0 < 1.0-r1`).
//!
//! The `~hash` build marker (apk-tools 3) is accepted and does not take part in ordering.
//! Numbers are unbounded (apk-tools uses `int`, which overflows on long `_pre` timestamps).
//! Anything outside the grammar is rejected: apk-tools orders such strings with an "invalid
//! token" fallback, but they never appear in a package database that apk wrote.

use std::cmp::Ordering;

use crate::numeric::cmp_decimal;
use crate::version::{Repr, Version};
use crate::{Error, Result, VersionScheme};

/// Alpine `apk` version ordering.
#[derive(Clone, Copy, Debug, Default)]
pub struct Apk;

const NAME: &str = "apk";

/// Suffix names in apk order; index 4 is "no suffix", so rank < 4 means pre-release.
const SUFFIXES: [&str; 9] = ["alpha", "beta", "pre", "rc", "cvs", "svn", "git", "hg", "p"];
const RELEASE_RANK: u8 = 4;

impl VersionScheme for Apk {
    fn name(&self) -> &'static str {
        NAME
    }

    fn parse(&self, version: &str) -> Result<Version> {
        ApkVersion::parse(version).map(|v| Version::new(Repr::Apk(v)))
    }
}

/// A span of digits in `raw`.
#[derive(Clone, Copy, Debug)]
struct Digits {
    start: u32,
    end: u32,
}

#[derive(Clone, Copy, Debug)]
enum Component {
    /// No leading zero (or the first component, where zeros are ignored).
    Plain(Digits),
    /// `zeros` leading zeros, then the remaining digits if any.
    Zeros { zeros: u32, rest: Option<Digits> },
}

#[derive(Clone, Copy, Debug)]
struct Suffix {
    /// Index into [`SUFFIXES`], shifted past the release slot for post-release suffixes.
    rank: u8,
    number: Option<Digits>,
}

#[derive(Clone, Debug)]
pub(crate) struct ApkVersion {
    raw: Box<str>,
    components: Vec<Component>,
    letter: Option<u8>,
    suffixes: Vec<Suffix>,
    revision: Option<Digits>,
}

impl ApkVersion {
    fn parse(input: &str) -> Result<Self> {
        let invalid = |reason| Error::invalid(NAME, input, reason);
        let s = input.trim_ascii();
        if s.is_empty() {
            return Err(invalid("empty version"));
        }
        if u32::try_from(s.len()).is_err() {
            return Err(invalid("too long"));
        }
        let b = s.as_bytes();
        let mut i = 0;
        let digits_at = |i: &mut usize| {
            let start = *i;
            while b.get(*i).is_some_and(u8::is_ascii_digit) {
                *i += 1;
            }
            // Lengths fit in u32: checked above.
            #[allow(clippy::cast_possible_truncation)]
            Digits {
                start: start as u32,
                end: *i as u32,
            }
        };

        let mut components = Vec::with_capacity(4);
        let first = digits_at(&mut i);
        if first.start == first.end {
            return Err(invalid("must start with a digit"));
        }
        components.push(Component::Plain(first));
        while b.get(i) == Some(&b'.') {
            i += 1;
            let run = digits_at(&mut i);
            if run.start == run.end {
                return Err(invalid("empty numeric component"));
            }
            let text = &b[run.start as usize..run.end as usize];
            let zeros = text.iter().take_while(|&&d| d == b'0').count();
            components.push(if zeros == 0 {
                Component::Plain(run)
            } else {
                #[allow(clippy::cast_possible_truncation)]
                let rest_start = run.start + zeros as u32;
                Component::Zeros {
                    zeros: u32::try_from(zeros).unwrap_or(u32::MAX),
                    rest: (rest_start < run.end).then_some(Digits {
                        start: rest_start,
                        end: run.end,
                    }),
                }
            });
        }

        let letter = b.get(i).copied().filter(u8::is_ascii_lowercase);
        if letter.is_some() {
            i += 1;
        }

        let mut suffixes = Vec::new();
        while b.get(i) == Some(&b'_') {
            i += 1;
            let start = i;
            while b.get(i).is_some_and(u8::is_ascii_lowercase) {
                i += 1;
            }
            let name = &s[start..i];
            let index = SUFFIXES
                .iter()
                .position(|&known| known == name)
                .ok_or_else(|| {
                    invalid(
                        "unknown suffix (expected alpha, beta, pre, rc, cvs, svn, git, hg or p)",
                    )
                })?;
            // At most 9 suffix names: the index fits in u8.
            #[allow(clippy::cast_possible_truncation)]
            let rank = if index < RELEASE_RANK as usize {
                index as u8
            } else {
                index as u8 + 1
            };
            let number = digits_at(&mut i);
            suffixes.push(Suffix {
                rank,
                number: (number.start < number.end).then_some(number),
            });
        }

        if b.get(i) == Some(&b'~') {
            i += 1;
            let start = i;
            while b
                .get(i)
                .is_some_and(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(c))
            {
                i += 1;
            }
            if start == i {
                return Err(invalid("empty ~hash"));
            }
        }

        let mut revision = None;
        if b[i..].starts_with(b"-r") {
            i += 2;
            let number = digits_at(&mut i);
            if number.start == number.end {
                return Err(invalid("-r without a number"));
            }
            revision = Some(number);
        }

        if i != b.len() {
            return Err(invalid("unexpected character"));
        }
        Ok(ApkVersion {
            raw: s.into(),
            components,
            letter,
            suffixes,
            revision,
        })
    }

    pub(crate) fn as_str(&self) -> &str {
        &self.raw
    }

    fn digits(&self, d: Digits) -> &[u8] {
        &self.raw.as_bytes()[d.start as usize..d.end as usize]
    }

    fn cmp_component(&self, a: Component, other: &Self, b: Component) -> Ordering {
        match (a, b) {
            (Component::Plain(x), Component::Plain(y)) => {
                cmp_decimal(self.digits(x), other.digits(y))
            }
            (Component::Zeros { .. }, Component::Plain(_)) => Ordering::Less,
            (Component::Plain(_), Component::Zeros { .. }) => Ordering::Greater,
            (
                Component::Zeros {
                    zeros: za,
                    rest: ra,
                },
                Component::Zeros {
                    zeros: zb,
                    rest: rb,
                },
            ) => zb.cmp(&za).then_with(|| match (ra, rb) {
                (None, None) => Ordering::Equal,
                (None, Some(_)) => Ordering::Less,
                (Some(_), None) => Ordering::Greater,
                (Some(x), Some(y)) => cmp_decimal(self.digits(x), other.digits(y)),
            }),
        }
    }

    fn cmp_number(&self, a: Option<Digits>, other: &Self, b: Option<Digits>) -> Ordering {
        match (a, b) {
            (None, None) => Ordering::Equal,
            (None, Some(_)) => Ordering::Less,
            (Some(_), None) => Ordering::Greater,
            (Some(x), Some(y)) => cmp_decimal(self.digits(x), other.digits(y)),
        }
    }
}

impl Ord for ApkVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        for (&a, &b) in self.components.iter().zip(&other.components) {
            let order = self.cmp_component(a, other, b);
            if order != Ordering::Equal {
                return order;
            }
        }
        let order = self
            .components
            .len()
            .cmp(&other.components.len())
            .then_with(|| self.letter.cmp(&other.letter));
        if order != Ordering::Equal {
            return order;
        }
        for (a, b) in self.suffixes.iter().zip(&other.suffixes) {
            let order = a
                .rank
                .cmp(&b.rank)
                .then_with(|| self.cmp_number(a.number, other, b.number));
            if order != Ordering::Equal {
                return order;
            }
        }
        let common = self.suffixes.len().min(other.suffixes.len());
        match (self.suffixes.get(common), other.suffixes.get(common)) {
            (Some(extra), None) => return extra.rank.cmp(&RELEASE_RANK),
            (None, Some(extra)) => return RELEASE_RANK.cmp(&extra.rank),
            _ => {}
        }
        self.cmp_number(self.revision, other, other.revision)
    }
}

impl PartialOrd for ApkVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for ApkVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for ApkVersion {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::assert_order_table;

    #[test]
    fn documented_suffix_order() {
        assert_order_table(
            &Apk,
            &[
                ("1.2.3_alpha", "<", "1.2.3_beta"),
                ("1.2.3_beta", "<", "1.2.3_pre"),
                ("1.2.3_pre", "<", "1.2.3_rc"),
                ("1.2.3_rc1", "<", "1.2.3"),
                ("1.2.3", "<", "1.2.3_cvs"),
                ("1.2.3_cvs", "<", "1.2.3_svn"),
                ("1.2.3_svn", "<", "1.2.3_git"),
                ("1.2.3_git", "<", "1.2.3_hg"),
                ("1.2.3_hg", "<", "1.2.3_p1"),
                ("1.2.3_p1", "<", "1.2.3_p2"),
                ("1.2.3_rc", "<", "1.2.3_rc0"),
                ("1.2.3_rc9", "<", "1.2.3_rc10"),
            ],
        );
    }

    #[test]
    fn apk_tools_test_data() {
        // A selection of apk-tools' own test/version.data comparisons (facts).
        assert_order_table(
            &Apk,
            &[
                ("2.34", ">", "0.1.0_alpha"),
                ("0.1.0_alpha", "=", "0.1.0_alpha"),
                ("0.1.0_alpha2", ">", "0.1.0_alpha"),
                ("1.0.4-r3", "<", "1.0.4-r4"),
                ("1.1", ">", "1.1_alpha1"),
                ("1.2.1", ">", "1.2"),
                ("1.2", "<", "1.3_alpha"),
                ("3.10.18-r1", ">", "2.3.0b-r1"),
                ("2.3.0b-r1", "<", "2.3.0b-r2"),
                ("0.12.3", ">", "0.12"),
                ("1.2.12.1", "<", "1.2.13"),
                ("0.2.0-r1", "<", "3.1_p16"),
                ("3.1_p16", "<", "3.1_p17"),
                ("1.06-r6", "<", "006"),
                ("006", ">", "1.0.0"),
                ("1.2.2-r1", ">", "1.2.2"),
                ("9.3.4-r2", ">", "9.3.4"),
                ("2.59", "<", "20050718-r1"),
                ("3.9.8-r5", ">", "2.01.01_alpha10"),
                ("1.0", ">", "0.99.3.20040818"),
                ("20060720", ">", "3.0.20060720"),
                ("2.5.1-r8", "<", "2.5.1a-r1"),
                ("1.7", "<", "1.7b"),
                ("1.8.5", "<", "1.8.5_p2"),
                ("1.2.07.8", "<", "1.2.12.04"),
                ("1.2.12.04", "<", "1.2.12.05"),
                ("1.07-r1", "<", "1.07.5"),
                ("0.9.28.1", "<", "087-r1"),
                ("2.12r-r4", "<", "2.12r-r5"),
                ("0.20070118", "<", "0.20070207_rc1"),
                ("3.0.0-r2", "<", "021109-r3"),
                ("4.5_p1-r1", ">", "4.5_p1"),
                ("0.9.8c-r1", "<", "0.9.8d"),
                ("2.9.11_pre20051101-r3", ">", "2.9.11_pre20051101"),
                ("1.3_pre1-r1", "<", "1.3.2"),
                ("1.0_p10-r0", ">", "1.0_p9-r0"),
                ("0.1.0_alpha_pre2", "<", "0.1.0_alpha"),
                (
                    "1.0.0_pre20191002222144-r0",
                    "<",
                    "1.0.0_pre20210530193627-r0",
                ),
                ("6.0_pre1", "<", "6.0"),
                ("6.1_p1", ">", "6.1"),
            ],
        );
    }

    #[test]
    fn components_revisions_and_leading_zeros() {
        assert_order_table(
            &Apk,
            &[
                ("1.0", "<", "1.0.0"),
                ("1.0a", "<", "1.0.0"),
                ("1.0_p1", "<", "1.0.0_alpha"),
                ("1.0", "<", "1.0-r0"),
                ("1.0-r0", "<", "1.0-r1"),
                ("1.0-r1", "<", "1.0a"),
                ("1.0-r9", "<", "1.0-r10"),
                ("1.001", "<", "1.01"),
                ("1.01", "<", "1.1"),
                ("1.01", "<", "1.01.1"),
                ("1.01.1", "<", "1.02"),
                ("1.00", "<", "1.0"),
                ("1.0", "<", "1.05"),
                ("1.0.5", "<", "1.05"),
                ("1.2.3~abc123", "=", "1.2.3~def456"),
                ("1.2.3~abc-r1", ">", "1.2.3"),
            ],
        );
    }

    #[test]
    fn rejects_outside_the_grammar() {
        for bad in [
            "", "r1", "1..2", "1.", "1.0bc", "1.0A", "1.0_foo", "1.0-r", "1.0-1", "1.0~",
            "1.0~xyz", "1.0 1", "v1.0",
        ] {
            assert!(Apk.parse(bad).is_err(), "{bad:?} should be rejected");
        }
    }
}
