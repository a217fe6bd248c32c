//! `RubyGems` versions, ordered as `Gem::Version#<=>` orders them.
//!
//! A version is digits, then `.`-separated alphanumeric parts, then optionally `-` and a
//! pre-release (`1.0.0-rc1` reads as `1.0.0.pre.rc1`). It splits into segments: runs of digits
//! (numbers) and runs of letters (strings, case kept). A version with any letter is a
//! pre-release. Trailing zero segments are dropped, both at the end of the leading numeric
//! part and at the end of the whole version (`1.0.a.0` → `1.a`). Segments then compare left to
//! right, missing ones counting as `0`: numbers as numbers, strings as bytes, and a string below
//! any number, so `1.0.a < 1.0 < 1.0.1` and `1.0.a < 1.0.b < 1.0.b1`.
//!
//! `RubyGems` reads an empty or blank string as version `0`; here that is an error, since an
//! empty version in an inventory or advisory is a defect, not a version.

use std::cmp::Ordering;

use crate::numeric::{cmp_decimal, is_zero};
use crate::version::{Repr, Version};
use crate::{Error, Result, VersionScheme};

/// `RubyGems` (`Gem::Version`) version ordering.
#[derive(Clone, Copy, Debug, Default)]
pub struct RubyGems;

const NAME: &str = "rubygems";

impl VersionScheme for RubyGems {
    fn name(&self) -> &'static str {
        NAME
    }

    fn parse(&self, version: &str) -> Result<Version> {
        GemVersion::parse(version).map(|v| Version::new(Repr::Rubygems(v)))
    }
}

#[derive(Clone, Copy, Debug)]
enum Segment {
    Number(usize, usize),
    Text(usize, usize),
}

#[derive(Clone, Debug)]
pub(crate) struct GemVersion {
    raw: Box<str>,
    /// Canonical segments, as spans of `raw`.
    segments: Vec<Segment>,
}

impl GemVersion {
    fn parse(input: &str) -> Result<Self> {
        let invalid = |reason| Error::invalid(NAME, input, reason);
        // Ruby's `\s`: space, tab, newline, vertical tab, form feed, carriage return.
        let s = input.trim_matches(|c: char| c.is_ascii_whitespace() || c == '\u{b}');
        let b = s.as_bytes();
        if b.is_empty() {
            return Err(invalid("empty version"));
        }
        if !b[0].is_ascii_digit() {
            return Err(invalid("must start with a digit"));
        }
        // Validate `digits(.alnum+)*(-[alnum-]+(.[alnum-]+)*)?` and find where `-` starts.
        let hyphen = s.find('-');
        let (release, pre) = hyphen.map_or((s, None), |h| (&s[..h], Some(&s[h + 1..])));
        if release
            .split('.')
            .any(|part| part.is_empty() || !part.bytes().all(|c| c.is_ascii_alphanumeric()))
        {
            return Err(invalid("parts must be non-empty and alphanumeric"));
        }
        if let Some(pre) = pre
            && pre.split('.').any(|part| {
                part.is_empty() || !part.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-')
            })
        {
            return Err(invalid("bad pre-release after '-'"));
        }

        // Segments: runs of digits or of letters; `-` reads as `.pre.`.
        let mut segments = Vec::new();
        let mut i = 0;
        while i < b.len() {
            let start = i;
            if b[i].is_ascii_digit() {
                while b.get(i).is_some_and(u8::is_ascii_digit) {
                    i += 1;
                }
                segments.push(Segment::Number(start, i));
            } else if b[i].is_ascii_alphabetic() {
                while b.get(i).is_some_and(u8::is_ascii_alphabetic) {
                    i += 1;
                }
                segments.push(Segment::Text(start, i));
            } else {
                if b[i] == b'-' {
                    segments.push(Segment::Text(usize::MAX, usize::MAX));
                }
                i += 1;
            }
        }
        let mut version = GemVersion {
            raw: s.into(),
            segments,
        };
        version.canonicalise();
        Ok(version)
    }

    /// Drops trailing zeros of the numeric prefix and of the rest, as `canonical_segments`.
    fn canonicalise(&mut self) {
        let first_text = self
            .segments
            .iter()
            .position(|s| matches!(s, Segment::Text(..)))
            .unwrap_or(self.segments.len());
        let mut tail = self.segments.split_off(first_text);
        while tail.last().is_some_and(|&s| self.is_zero(s)) {
            tail.pop();
        }
        while self.segments.last().is_some_and(|&s| self.is_zero(s)) {
            self.segments.pop();
        }
        self.segments.extend(tail);
    }

    fn is_zero(&self, segment: Segment) -> bool {
        matches!(segment, Segment::Number(start, end) if is_zero(&self.raw.as_bytes()[start..end]))
    }

    /// The text of a segment; the `pre` that a `-` stands for is not in `raw`.
    fn text(&self, start: usize, end: usize) -> &[u8] {
        if start == usize::MAX {
            b"pre"
        } else {
            &self.raw.as_bytes()[start..end]
        }
    }

    pub(crate) fn as_str(&self) -> &str {
        &self.raw
    }
}

impl Ord for GemVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        let zero = Segment::Number(0, 0);
        let len = self.segments.len().max(other.segments.len());
        for i in 0..len {
            let a = self.segments.get(i).copied().unwrap_or(zero);
            let b = other.segments.get(i).copied().unwrap_or(zero);
            let order = match (a, b) {
                (Segment::Number(sa, ea), Segment::Number(sb, eb)) => {
                    cmp_decimal(self.text(sa, ea), other.text(sb, eb))
                }
                (Segment::Text(..), Segment::Number(..)) => Ordering::Less,
                (Segment::Number(..), Segment::Text(..)) => Ordering::Greater,
                (Segment::Text(sa, ea), Segment::Text(sb, eb)) => {
                    self.text(sa, ea).cmp(other.text(sb, eb))
                }
            };
            if order != Ordering::Equal {
                return order;
            }
        }
        Ordering::Equal
    }
}

impl PartialOrd for GemVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for GemVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for GemVersion {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::assert_order_table;

    #[test]
    fn gem_version_examples() {
        // Cases from the Gem::Version documentation and its test suite (facts).
        assert_order_table(
            &RubyGems,
            &[
                ("1.0.a", "<", "1.0"),
                ("1.0.a", "<", "1.0.b"),
                ("1.0.b", "<", "1.0.b1"),
                ("1.0.b1", "<", "1.0"),
                ("1.0", "<", "1.0.1"),
                ("1.0", "=", "1"),
                ("1.0", "=", "1.0.0"),
                ("1.0.a.0", "=", "1.a"),
                ("1.0.0-rc1", "=", "1.0.0.pre.rc1"),
                ("1.0.0-rc1", "<", "1.0.0"),
                ("1.0.0.rc1", ">", "1.0.0-rc1"),
                ("1.2.0.a", "<", "1.2.0"),
                ("1.2.b1", "<", "1.2.b.2"),
                ("0.9", "<", "1.0.a"),
                ("5.x", "<", "5.0.0"),
                ("1.8.2", ">", "0.0.0"),
                ("1.8.2.a10", ">", "1.8.2.a9"),
                ("1.2.3.4", ">", "1.2.3"),
                ("1.2.3.4.a", "<", "1.2.3.4"),
                ("10", ">", "9.99"),
                ("1.0.A", "<", "1.0.a"),
                (" 1.0\n", "=", "1.0"),
            ],
        );
        for bad in [
            "", "  ", "junk", "1.0\n2", "1..2", "1.0-", "1.0-.a", "1.0 2", "1.0.-1",
        ] {
            assert!(RubyGems.parse(bad).is_err(), "{bad:?} should be rejected");
        }
    }
}
