//! Python versions (PyPI), ordered by PEP 440 as pip's `packaging.version.Version` does.
//!
//! Parsing and ordering come from `pep440_rs` (uv's PEP 440 crate): it accepts everything the
//! PEP's normalisation rules accept (`v` prefix, `-`/`_`/`.` separators, `alpha`/`c`/`pre`/
//! `preview`/`rev`/`r` spellings, implicit post releases like `1.0-1`, case, surrounding
//! whitespace) and orders epochs, release, pre, post, dev and local segments as the PEP says.
//! Its comparison of the common `x.y.z` shape is a single integer comparison, which suits the
//! matcher's hot loop. The one limit: numbers must fit in `u64`, where `packaging` takes any
//! size; longer numbers are rejected rather than misordered.

use std::cmp::Ordering;
use std::str::FromStr;

use crate::version::{Repr, Version};
use crate::{Error, Result, VersionScheme};

/// PEP 440 version ordering.
#[derive(Clone, Copy, Debug, Default)]
pub struct Pep440;

impl VersionScheme for Pep440 {
    fn name(&self) -> &'static str {
        "pep440"
    }

    fn parse(&self, version: &str) -> Result<Version> {
        let parsed =
            pep440_rs::Version::from_str(version).map_err(|source| Error::InvalidPep440 {
                version: version.to_owned(),
                source: Box::new(source),
            })?;
        Ok(Version::new(Repr::Pep440(Pep440Version {
            raw: version.trim().into(),
            parsed,
        })))
    }
}

#[derive(Clone, Debug)]
pub(crate) struct Pep440Version {
    raw: Box<str>,
    parsed: pep440_rs::Version,
}

impl Pep440Version {
    pub(crate) fn as_str(&self) -> &str {
        &self.raw
    }
}

impl Ord for Pep440Version {
    fn cmp(&self, other: &Self) -> Ordering {
        self.parsed.cmp(&other.parsed)
    }
}

impl PartialOrd for Pep440Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Pep440Version {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Pep440Version {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::assert_order_table;

    #[test]
    fn pep440_examples() {
        // The ordering example of PEP 440 ("Summary of permitted suffixes and relative
        // ordering"), plus normalisation rules.
        let ordered = [
            "1.dev0",
            "1.0.dev456",
            "1.0a1",
            "1.0a2.dev456",
            "1.0a12.dev456",
            "1.0a12",
            "1.0b1.dev456",
            "1.0b2",
            "1.0b2.post345.dev456",
            "1.0b2.post345",
            "1.0rc1.dev456",
            "1.0rc1",
            "1.0",
            "1.0+abc.5",
            "1.0+abc.7",
            "1.0+5",
            "1.0.post456.dev34",
            "1.0.post456",
            "1.0.15",
            "1.1.dev1",
        ];
        let rows: Vec<_> = ordered.windows(2).map(|w| (w[0], "<", w[1])).collect();
        assert_order_table(&Pep440, &rows);
        assert_order_table(
            &Pep440,
            &[
                ("1.0", "=", "1.0.0"),
                ("v1.0", "=", "1.0"),
                ("1.0-1", "=", "1.0.post1"),
                ("1.0c1", "=", "1.0rc1"),
                ("1.0-ALPHA_1", "=", "1.0a1"),
                ("1!0.1", ">", "2024.1"),
                (" 1.0 ", "=", "1.0"),
            ],
        );
        for bad in ["", "1.0.x", "one", "1.0+", "1..0"] {
            assert!(Pep440.parse(bad).is_err(), "{bad:?} should be rejected");
        }
    }
}
