//! Maven versions, ordered by the POM reference's "Version Order Specification" (the rules
//! behind Maven's `ComparableVersion`).
//!
//! 1. The version is lower-cased and split into tokens at `.`, at `-`, and at every transition
//!    between digits and non-digits; a transition counts as a `-`. Each token remembers the
//!    separator before it (the first counts as `.`); an empty token becomes `0`. `a`, `b` and
//!    `m` directly followed by a digit mean `alpha`, `beta` and `milestone`; `cr` means `rc`;
//!    `ga`, `final` and `release` mean the empty qualifier. As in Maven's implementation, a
//!    qualifier always counts as `-`-separated (`1.0.RC2` reads as `1-rc-2`).
//! 2. Trailing "null" tokens (`0` and the empty qualifier) are trimmed, from the end and again
//!    before each remaining `-` (`1.0.0-foo.0.0` → `1-foo`, `1.ga` → `1`).
//! 3. The token lists compare left to right; the shorter is padded with nulls shaped by the
//!    other side's token (`.0` against a `.number`, else the empty qualifier). Two qualifiers
//!    compare by `alpha < beta < milestone < rc < snapshot < "" < sp`, then unknown qualifiers
//!    alphabetically; otherwise `qualifier < -number < .number`, and numbers compare as
//!    numbers of any length.
//!
//! So `1-snapshot < 1 < 1-sp`, `1-foo2 < 1-foo10`, `1-1 < 1.1`, and `1.0-alpha1 = 1-ALPHA-1`.
//!
//! Maven's `ComparableVersion` implements this with nested lists, which remember structure the
//! specification drops: a `-0` directly before a qualifier (`5-0b3`, `1.0-0-SNAPSHOT`) is
//! trimmed here but keeps a nesting level in Maven, which then orders it above the version
//! without it; and qualifiers with digits glued to a null qualifier (`alpha.Final1`) nest
//! likewise. Neither shape occurs in published artifacts. Otherwise the orders agree: the
//! oracle test checks realistic versions against the `ComparableVersion` of Debian's Maven
//! (3.8.7) when it is installed. Maven 3.9 and later reworked parts of the nesting again
//! ("combination" items such as `rc1`); those refinements are not followed here.

use std::cmp::Ordering;

use crate::numeric::{cmp_decimal, is_zero};
use crate::version::{Repr, Version};
use crate::{Error, Result, VersionScheme};

/// Maven (`ComparableVersion`) version ordering.
#[derive(Clone, Copy, Debug, Default)]
pub struct Maven;

impl VersionScheme for Maven {
    fn name(&self) -> &'static str {
        "maven"
    }

    fn parse(&self, version: &str) -> Result<Version> {
        let s = version.trim();
        if s.is_empty() {
            return Err(Error::invalid("maven", version, "empty version"));
        }
        Ok(Version::new(Repr::Maven(MavenVersion::parse(s))))
    }
}

/// Known qualifiers in order; `""` (release) is index 5.
const QUALIFIERS: [&str; 7] = ["alpha", "beta", "milestone", "rc", "snapshot", "", "sp"];
const RELEASE: u8 = 5;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Separator {
    Dot,
    Hyphen,
}

#[derive(Clone, Debug)]
enum Token {
    /// Digits of the lower-cased text, leading zeros included.
    Number(Separator, usize, usize),
    /// A known qualifier, by rank in [`QUALIFIERS`].
    Known(Separator, u8),
    /// Any other qualifier: a span of the lower-cased text.
    Unknown(Separator, usize, usize),
}

impl Token {
    fn separator(&self) -> Separator {
        match *self {
            Token::Number(sep, ..) | Token::Known(sep, _) | Token::Unknown(sep, ..) => sep,
        }
    }

    fn is_null(&self, text: &str) -> bool {
        match *self {
            Token::Number(_, start, end) => is_zero(&text.as_bytes()[start..end]),
            Token::Known(_, rank) => rank == RELEASE,
            Token::Unknown(..) => false,
        }
    }
}

#[derive(Clone, Debug)]
pub(crate) struct MavenVersion {
    raw: Box<str>,
    lower: Box<str>,
    tokens: Vec<Token>,
}

impl MavenVersion {
    fn parse(s: &str) -> Self {
        let lower: String = s.to_lowercase();
        let bytes = lower.as_bytes();
        let mut tokens = Vec::new();
        let mut separator = Separator::Dot;
        let mut start = 0;
        let mut i = 0;
        while i <= bytes.len() {
            let c = bytes.get(i).copied();
            let boundary = match c {
                None | Some(b'.' | b'-') => true,
                // A digit/non-digit transition inside a token.
                Some(c) => i > start && c.is_ascii_digit() != bytes[i - 1].is_ascii_digit(),
            };
            if boundary {
                let transition = !matches!(c, None | Some(b'.' | b'-'));
                tokens.push(token(&lower, separator, start, i, transition));
                if transition {
                    separator = Separator::Hyphen;
                    start = i;
                } else {
                    separator = if c == Some(b'.') {
                        Separator::Dot
                    } else {
                        Separator::Hyphen
                    };
                    start = i + 1;
                }
            }
            i += 1;
        }
        trim_nulls(&lower, &mut tokens);
        MavenVersion {
            raw: s.into(),
            lower: lower.into(),
            tokens,
        }
    }

    pub(crate) fn as_str(&self) -> &str {
        &self.raw
    }
}

/// Builds the token for `text[start..end]`; `digit_follows` is true when the token ends at a
/// transition to digits, which is what turns `a1` into `alpha-1`. A qualifier is always
/// `-`-separated: `.` before a qualifier counts as `-`, as in Maven (`1.0.RC2` reads as
/// `1-rc-2`), which keeps `1.0.RC2 < 1.0-RC3 < 1.0.1`.
fn token(text: &str, separator: Separator, start: usize, end: usize, digit_follows: bool) -> Token {
    let word = &text[start..end];
    if word.is_empty() || word.as_bytes()[0].is_ascii_digit() {
        // An empty token is `0`: an empty digit span counts as zero.
        return Token::Number(separator, start, end);
    }
    let word = match word {
        "a" if digit_follows => "alpha",
        "b" if digit_follows => "beta",
        "m" if digit_follows => "milestone",
        "cr" => "rc",
        "ga" | "final" | "release" => "",
        other => other,
    };
    match QUALIFIERS.iter().position(|&q| q == word) {
        // Seven known qualifiers: the rank fits in u8.
        #[allow(clippy::cast_possible_truncation)]
        Some(rank) => Token::Known(Separator::Hyphen, rank as u8),
        None => Token::Unknown(Separator::Hyphen, start, end),
    }
}

/// Removes trailing nulls at the end and before every hyphen, working from the end.
fn trim_nulls(text: &str, tokens: &mut Vec<Token>) {
    let mut end = tokens.len();
    loop {
        // The group is tokens[group_start..end]; it starts at a hyphen (or at 0).
        let group_start = tokens[..end]
            .iter()
            .rposition(|t| t.separator() == Separator::Hyphen)
            .unwrap_or(0);
        let mut keep = end;
        while keep > group_start && tokens[keep - 1].is_null(text) {
            keep -= 1;
        }
        // When the whole group is null its leading `-` token goes too.
        tokens.drain(keep..end);
        if group_start == 0 {
            break;
        }
        end = group_start;
    }
}

/// Rank of a token's class: qualifiers (either separator) < `-number` < `.number`.
fn class(token: &Token) -> u8 {
    match token {
        Token::Known(..) | Token::Unknown(..) => 0,
        Token::Number(Separator::Hyphen, ..) => 1,
        Token::Number(Separator::Dot, ..) => 2,
    }
}

fn cmp_token(a: &Token, a_text: &str, b: &Token, b_text: &str) -> Ordering {
    class(a).cmp(&class(b)).then_with(|| match (a, b) {
        (Token::Number(_, sa, ea), Token::Number(_, sb, eb)) => {
            cmp_decimal(&a_text.as_bytes()[*sa..*ea], &b_text.as_bytes()[*sb..*eb])
        }
        (Token::Known(_, ra), Token::Known(_, rb)) => ra.cmp(rb),
        (Token::Known(..), Token::Unknown(..)) => Ordering::Less,
        (Token::Unknown(..), Token::Known(..)) => Ordering::Greater,
        (Token::Unknown(_, sa, ea), Token::Unknown(_, sb, eb)) => {
            a_text[*sa..*ea].cmp(&b_text[*sb..*eb])
        }
        // Same class means both numbers or both qualifiers.
        _ => Ordering::Equal,
    })
}

/// The null a missing token is padded with, shaped by the token it faces: `.0` against a
/// `.number`, the empty qualifier against anything else (so `1 < 1-1` and `1-rc < 1 < 1-sp`).
fn padding(facing: &Token) -> Token {
    match facing {
        Token::Number(Separator::Dot, ..) => Token::Number(Separator::Dot, 0, 0),
        _ => Token::Known(Separator::Hyphen, RELEASE),
    }
}

impl Ord for MavenVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        let len = self.tokens.len().max(other.tokens.len());
        for i in 0..len {
            let order = match (self.tokens.get(i), other.tokens.get(i)) {
                (Some(a), Some(b)) => cmp_token(a, &self.lower, b, &other.lower),
                (Some(a), None) => cmp_token(a, &self.lower, &padding(a), ""),
                (None, Some(b)) => cmp_token(&padding(b), "", b, &other.lower),
                (None, None) => Ordering::Equal,
            };
            if order != Ordering::Equal {
                return order;
            }
        }
        Ordering::Equal
    }
}

impl PartialOrd for MavenVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for MavenVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for MavenVersion {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::assert_order_table;

    #[test]
    fn pom_reference_examples() {
        // The examples of the POM reference's Version Order Specification.
        assert_order_table(
            &Maven,
            &[
                ("1", "<", "1.1"),
                ("1-snapshot", "<", "1"),
                ("1", "<", "1-sp"),
                ("1-foo2", "<", "1-foo10"),
                ("1.foo", "=", "1-foo"),
                ("1-foo", "<", "1-1"),
                ("1-1", "<", "1.1"),
                ("1.ga", "=", "1-ga"),
                ("1-ga", "=", "1-0"),
                ("1-0", "=", "1.0"),
                ("1.0", "=", "1"),
                ("1-sp", ">", "1-ga"),
                ("1-sp.1", ">", "1-ga.1"),
                ("1-sp-1", "<", "1-ga-1"),
                ("1-a1", "=", "1-alpha-1"),
                ("1.0-alpha1", "=", "1.0-ALPHA1"),
                ("1.7", ">", "1.K"),
                ("5.zebra", ">", "5.aardvark"),
                ("1.\u{3b1}", ">", "1.b"),
                ("1.0.0", "=", "1"),
                ("1.0.0-foo.0.0", "=", "1-foo"),
                ("1.0.0-0.0.0", "=", "1"),
            ],
        );
    }

    #[test]
    fn qualifier_order() {
        let ordered = [
            "1.0-alpha1",
            "1.0-alpha2",
            "1.0-b1",
            "1.0-beta2",
            "1.0-m1",
            "1.0-milestone2",
            "1.0-cr1",
            "1.0-rc2",
            "1.0-snapshot",
            "1.0",
            "1.0-sp1",
            "1.0-abc",
            "1.0-xyz",
            "1.0.1",
        ];
        let rows: Vec<_> = ordered.windows(2).map(|w| (w[0], "<", w[1])).collect();
        assert_order_table(&Maven, &rows);
        assert_order_table(
            &Maven,
            &[
                ("1.0-rc1", "=", "1.0-cr1"),
                ("5.3.0.Final", "=", "5.3.0"),
                ("2.0.RELEASE", "=", "2.0"),
                ("4.1.100.Final", "<", "4.1.101.Final"),
                ("31.1-jre", "<", "32.0.0-jre"),
                ("9.4.50.v20221201", "<", "9.4.51.v20230217"),
                ("1.0.0.Beta1", "<", "1.0.0"),
                ("2.13.4.2", ">", "2.13.4"),
                ("1.2.3-SNAPSHOT", "<", "1.2.3"),
                ("1..1", "=", "1.0.1"),
                (
                    "123456789012345678901234567890",
                    ">",
                    "123456789012345678901234567889",
                ),
            ],
        );
        assert!(Maven.parse("  ").is_err());
    }
}
