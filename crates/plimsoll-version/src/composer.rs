//! Composer (Packagist) versions, ordered as Composer orders them: `VersionParser::normalize`
//! from `composer/semver`, then PHP's `version_compare` on the normalised strings.
//!
//! Normalisation (composer/semver 3.x):
//!
//! - surrounding whitespace, an alias (`1.0 as 2.0` keeps `1.0`), a stability flag (`@beta`)
//!   and build metadata (`+build`) are dropped; a leading `v` is ignored;
//! - the classic form `N[.N[.N[.N]]]` (first number at most 5 digits) is padded to four numbers
//!   (`1.2` → `1.2.0.0`); otherwise a date form (`2023-01-01`, `20230101`) keeps its numbers,
//!   separators becoming `.`;
//! - a modifier follows: `stable` (dropped), `alpha`/`a`, `beta`/`b`, `RC`/`rc`, `patch`/`pl`/`p`
//!   with optional numbers (`-beta.2` → `-beta2`), then optionally `dev` (`-dev`);
//! - `1.x-dev` style branches become `1.9999999.9999999.9999999-dev`;
//! - named branches (`dev-main`, `master`) are not versions: Composer's own comparator never
//!   orders them, so here they are an error.
//!
//! `version_compare` then splits the string into numbers and words (at `.`, `-`, `_`, `+` and at
//! every change between digits and non-digits) and compares element by element: numbers
//! numerically (saturating at `i64::MAX`, as PHP's `strtol` does), words by rank
//! `dev < alpha = a < beta = b < RC = rc < (number) < patch = pl = p` (a word matches a rank by
//! prefix; any other word is below `dev`), a number against a word as the number's rank. When
//! one side runs out, a further number makes the other greater, a further word compares with a
//! number's rank: `1.0.0.0-beta1 < 1.0.0.0 < 1.0.0.0-patch1`.
//!
//! Built on the `regex` crate rather than hand-written matching so the two regular expressions
//! read like Composer's (without its possessive quantifiers, which change no verdict on these
//! anchored patterns; the oracle test checks that against Composer itself).

use std::cmp::Ordering;
use std::sync::LazyLock;

use regex::Regex;

use crate::version::{Repr, Version};
use crate::{Error, Result, VersionScheme};

/// Composer (`composer/semver`) version ordering, for OSV's `Packagist` ecosystem.
#[derive(Clone, Copy, Debug, Default)]
pub struct Composer;

const NAME: &str = "composer";

impl VersionScheme for Composer {
    fn name(&self) -> &'static str {
        NAME
    }

    fn parse(&self, version: &str) -> Result<Version> {
        ComposerVersion::parse(version).map(|v| Version::new(Repr::Composer(v)))
    }
}

const MODIFIER: &str =
    r"[._-]?(?:(stable|beta|b|RC|alpha|a|patch|pl|p)((?:[.-]?[0-9]+)*)?)?([.-]?dev)?";

static CLASSIC: LazyLock<Regex> = LazyLock::new(|| {
    regex(&format!(
        r"(?i-u)^v?([0-9]{{1,5}})(\.[0-9]+)?(\.[0-9]+)?(\.[0-9]+)?{MODIFIER}$"
    ))
});
static DATE: LazyLock<Regex> = LazyLock::new(|| {
    regex(&format!(
        r"(?i-u)^v?([0-9]{{4}}(?:[.:-]?[0-9]{{2}}){{1,6}}(?:[.:-]?[0-9]{{1,3}})?){MODIFIER}$"
    ))
});
static BRANCH: LazyLock<Regex> = LazyLock::new(|| {
    regex(r"(?i-u)^v?([0-9]+)(\.(?:[0-9]+|[x*]))?(\.(?:[0-9]+|[x*]))?(\.(?:[0-9]+|[x*]))?$")
});
static ALIAS: LazyLock<Regex> =
    LazyLock::new(|| regex(r"^([^,\t\n\x0B\x0C\r ]+) +as +([^,\t\n\x0B\x0C\r ]+)$"));

/// The patterns above are constants, so building them cannot fail.
#[allow(clippy::expect_used)]
fn regex(pattern: &str) -> Regex {
    Regex::new(pattern).expect("constant regex is valid")
}

/// One element of PHP's canonical version: a number or a word's rank.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Element {
    Number(i64),
    Word(i8),
}

/// The rank PHP gives a number when comparing it with a word (`#N#`).
const NUMBER_RANK: i8 = 4;

#[derive(Clone, Debug)]
pub(crate) struct ComposerVersion {
    raw: Box<str>,
    elements: Vec<Element>,
}

impl ComposerVersion {
    fn parse(input: &str) -> Result<Self> {
        let invalid = |reason| Error::invalid(NAME, input, reason);
        // PHP's trim(): space, tab, newline, carriage return, NUL, vertical tab.
        let s = input.trim_matches([' ', '\t', '\n', '\r', '\0', '\u{b}']);
        let normalized = normalize(s).map_err(invalid)?;
        Ok(ComposerVersion {
            raw: s.into(),
            elements: elements(&normalized),
        })
    }

    pub(crate) fn as_str(&self) -> &str {
        &self.raw
    }
}

/// `VersionParser::normalize`, returning the normalised string or why it is not a version.
fn normalize(version: &str) -> std::result::Result<String, &'static str> {
    if version.is_empty() {
        return Err("empty version");
    }
    if let Some(plain) = plain_release(version) {
        return Ok(plain);
    }
    let mut v = version;
    if let Some(c) = ALIAS.captures(v)
        && let Some(m) = c.get(1)
    {
        v = m.as_str();
    }
    // A trailing stability flag (`@beta`), any case.
    if let Some((head, flag)) = v.rsplit_once('@')
        && ["stable", "RC", "beta", "alpha", "dev"]
            .iter()
            .any(|f| f.eq_ignore_ascii_case(flag))
    {
        v = head;
    }
    if matches!(v, "master" | "trunk" | "default")
        || v.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("dev-"))
    {
        return Err("a branch name, not a version");
    }
    // Build metadata: `^([^,\s+]+)\+[^\s]+$`.
    if let Some((head, meta)) = v.split_once('+')
        && !head.is_empty()
        && !head.contains([',', ' ', '\t', '\n', '\r', '\u{b}', '\u{c}'])
        && !meta.is_empty()
        && !meta.contains([' ', '\t', '\n', '\r', '\u{b}', '\u{c}'])
    {
        v = head;
    }
    let (mut out, caps, index) = if let Some(c) = CLASSIC.captures(v) {
        let mut out = String::with_capacity(v.len() + 8);
        out.push_str(&c[1]);
        for i in 2..=4 {
            out.push_str(c.get(i).map_or(".0", |m| m.as_str()));
        }
        (out, c, 5)
    } else if let Some(c) = DATE.captures(v) {
        let out = c[1]
            .chars()
            .map(|ch| if ch.is_ascii_digit() { ch } else { '.' })
            .collect();
        (out, c, 2)
    } else {
        return branch(v);
    };
    if let Some(stability) = caps.get(index) {
        let stability = stability.as_str();
        if stability == "stable" {
            return Ok(out);
        }
        out.push('-');
        out.push_str(match stability.to_ascii_lowercase().as_str() {
            "a" | "alpha" => "alpha",
            "b" | "beta" => "beta",
            "p" | "pl" | "patch" => "patch",
            "rc" => "RC",
            // Only `stable` in another case is left: Composer keeps it as a word.
            _ => "stable",
        });
        if let Some(n) = caps.get(index + 1) {
            out.push_str(n.as_str().trim_start_matches(['.', '-']));
        }
    }
    if caps.get(index + 2).is_some_and(|m| !m.as_str().is_empty()) {
        out.push_str("-dev");
    }
    Ok(out)
}

/// The common case without the regular expressions (about five times faster to parse, in the
/// `compare` bench):
/// `[v]N[.N[.N[.N]]]`, first number at most 5 digits, which the classic pattern pads to four
/// numbers.
fn plain_release(version: &str) -> Option<String> {
    let digits = version.strip_prefix(['v', 'V']).unwrap_or(version);
    let mut parts = 0;
    for (i, part) in digits.split('.').enumerate() {
        let max = if i == 0 { 5 } else { usize::MAX };
        if part.is_empty() || part.len() > max || !part.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        parts += 1;
    }
    if parts > 4 {
        return None;
    }
    let mut out = String::with_capacity(digits.len() + 6);
    out.push_str(digits);
    for _ in parts..4 {
        out.push_str(".0");
    }
    Some(out)
}

/// `1.x-dev`, `2.1.*-dev`: numeric branches, which Composer orders with `9999999` for each
/// wildcard and a `-dev` suffix.
fn branch(v: &str) -> std::result::Result<String, &'static str> {
    const NOT_A_VERSION: &str = "not a Composer version";
    let lower = v.to_ascii_lowercase();
    let head = lower.strip_suffix("dev").ok_or(NOT_A_VERSION)?;
    let head = head
        .strip_suffix(['.', '-'])
        .unwrap_or(head)
        .trim_matches([' ', '\t', '\n', '\r', '\0', '\u{b}']);
    let c = BRANCH.captures(head).ok_or(NOT_A_VERSION)?;
    let mut out = String::new();
    for i in 1..=4 {
        out.push_str(c.get(i).map_or(".x", |m| m.as_str()));
    }
    Ok(out.replace(['x', '*'], "9999999") + "-dev")
}

/// PHP's `php_canonicalize_version` followed by the split at `.`: elements are maximal runs of
/// digits or of other alphanumerics; everything else separates.
fn elements(normalized: &str) -> Vec<Element> {
    let b = normalized.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let start = i;
        if b[i].is_ascii_digit() {
            while b.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
            out.push(Element::Number(strtol(&b[start..i])));
        } else if b[i].is_ascii_alphabetic() {
            while b.get(i).is_some_and(u8::is_ascii_alphabetic) {
                i += 1;
            }
            out.push(Element::Word(rank(&b[start..i])));
        } else {
            i += 1;
        }
    }
    out
}

/// A digit run as `strtol` reads it: saturating at `i64::MAX`.
fn strtol(digits: &[u8]) -> i64 {
    digits.iter().fold(0i64, |n, &d| {
        n.saturating_mul(10).saturating_add(i64::from(d - b'0'))
    })
}

/// PHP's special forms, matched by prefix in this order; anything else ranks `-1`.
fn rank(word: &[u8]) -> i8 {
    const FORMS: [(&[u8], i8); 9] = [
        (b"dev", 0),
        (b"alpha", 1),
        (b"a", 1),
        (b"beta", 2),
        (b"b", 2),
        (b"RC", 3),
        (b"rc", 3),
        (b"pl", 5),
        (b"p", 5),
    ];
    FORMS
        .iter()
        .find(|(form, _)| word.starts_with(form))
        .map_or(-1, |&(_, rank)| rank)
}

fn cmp_element(a: Element, b: Element) -> Ordering {
    match (a, b) {
        (Element::Number(x), Element::Number(y)) => x.cmp(&y),
        (Element::Word(x), Element::Word(y)) => x.cmp(&y),
        (Element::Number(_), Element::Word(y)) => NUMBER_RANK.cmp(&y),
        (Element::Word(x), Element::Number(_)) => x.cmp(&NUMBER_RANK),
    }
}

impl Ord for ComposerVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        for (&a, &b) in self.elements.iter().zip(&other.elements) {
            let order = cmp_element(a, b);
            if order != Ordering::Equal {
                return order;
            }
        }
        let n = self.elements.len().min(other.elements.len());
        match (self.elements.get(n), other.elements.get(n)) {
            (Some(Element::Number(_)), _) => Ordering::Greater,
            (_, Some(Element::Number(_))) => Ordering::Less,
            (Some(&Element::Word(x)), _) => x.cmp(&NUMBER_RANK),
            (_, Some(&Element::Word(y))) => NUMBER_RANK.cmp(&y),
            (None, None) => Ordering::Equal,
        }
    }
}

impl PartialOrd for ComposerVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for ComposerVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for ComposerVersion {}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(v: &str) -> String {
        normalize(v).unwrap_or_else(|e| format!("E: {e}"))
    }

    /// Expected values printed by composer/semver 3.3 (Debian's `php-composer-semver`):
    /// `php -r 'require "/usr/share/php/Composer/Semver/autoload.php";
    /// echo (new Composer\Semver\VersionParser)->normalize($argv[1]);'`.
    #[test]
    fn normalises_as_composer() {
        for (input, want) in [
            ("1.0", "1.0.0.0"),
            ("v1.0.0-beta.1", "1.0.0.0-beta1"),
            ("1.0-pl2", "1.0.0.0-patch2"),
            ("1.0.0-RC1-dev", "1.0.0.0-RC1-dev"),
            ("2023-01-01", "2023.01.01"),
            ("1.x-dev", "1.9999999.9999999.9999999-dev"),
            ("123456", "123456"),
            ("1.0-STABLE", "1.0.0.0-stable"),
            ("1.0-stable2-dev", "1.0.0.0"),
            ("1.0+build", "1.0.0.0"),
            ("1.0@beta", "1.0.0.0"),
            ("1.0 as 2.0", "1.0.0.0"),
            ("V2.1b3", "2.1.0.0-beta3"),
        ] {
            assert_eq!(norm(input), want, "{input}");
        }
        for bad in ["dev-master", "master", "1.2.3.4.5", "", "abc", "1.0-foo"] {
            assert!(normalize(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn orders_as_composer() {
        let c = |a: &str, b: &str| Composer.compare(a, b).unwrap();
        let ascending = [
            "1.0.0-dev",
            "1.0.0-alpha",
            "1.0.0-alpha1",
            "1.0.0-beta",
            "1.0.0-b2",
            "1.0.0-beta10",
            "1.0.0-RC1",
            "1.0.0",
            "1.0.0-p1",
            "1.0.1",
            "1.1",
            "v2.0.0",
        ];
        for w in ascending.windows(2) {
            assert_eq!(c(w[0], w[1]), Ordering::Less, "{} < {}", w[0], w[1]);
            assert_eq!(c(w[1], w[0]), Ordering::Greater, "{} > {}", w[1], w[0]);
        }
        assert_eq!(c("1.0", "v1.0.0.0"), Ordering::Equal);
        assert_eq!(c("1.0-a1", "1.0-alpha1"), Ordering::Equal);
        assert!(Composer.parse("dev-main").is_err());
    }
}
