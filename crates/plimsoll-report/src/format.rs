use std::fmt;
use std::str::FromStr;

use crate::Error;

/// An output format.
///
/// The names (`table`, `json`, `cyclonedx-json`, `spdx-json`) are what users type after
/// `--format`; they follow Syft and Trivy so scripts carry over. The `-json` suffix leaves room
/// for the XML and tag-value encodings of the same standards.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Format {
    /// Aligned text for a terminal, one section per image.
    Table,
    /// Plimsoll's own JSON (`plimsoll.inventory/v1`, see `docs/inventory-json.md`): every field
    /// of every inventory, any number of images in one document.
    Json,
    /// CycloneDX 1.6 JSON, one image per document.
    CycloneDxJson,
    /// SPDX 2.3 JSON, one image per document.
    SpdxJson,
}

impl Format {
    /// Every format, in the order help texts list them.
    pub const ALL: [Format; 4] = [
        Format::Table,
        Format::Json,
        Format::CycloneDxJson,
        Format::SpdxJson,
    ];

    /// The name accepted by [`FromStr`] and printed by [`Display`](fmt::Display).
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Table => "table",
            Format::Json => "json",
            Format::CycloneDxJson => "cyclonedx-json",
            Format::SpdxJson => "spdx-json",
        }
    }

    /// Whether one document describes exactly one image (the SBOM standards, whose documents
    /// have a single root component), so a caller scanning an index writes one file per platform.
    pub fn one_image_per_document(self) -> bool {
        match self {
            Format::Table | Format::Json => false,
            Format::CycloneDxJson | Format::SpdxJson => true,
        }
    }
}

impl FromStr for Format {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        Format::ALL
            .into_iter()
            .find(|f| f.as_str() == s)
            .ok_or_else(|| Error::UnknownFormat(s.to_owned()))
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An output format for vulnerability reports (`plimsoll image IMAGE --format …`).
///
/// A separate enum from [`Format`] rather than more variants of it: the two commands offer
/// different choices (SARIF describes findings, not inventories; the SBOM formats describe
/// inventories), so one enum would need a runtime "this format cannot write that" error and
/// help texts listing formats that do not apply. With two enums each `--format` flag parses
/// straight into what its writer accepts, and every variant has a writer, checked by the
/// exhaustive `match` in the dispatch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum VulnFormat {
    /// Aligned text for a terminal: per image a header, a severity summary and the findings
    /// grouped by package.
    Table,
    /// Plimsoll's own JSON (`plimsoll.vulnerabilities/v1`, see `docs/vulnerability-json.md`):
    /// every field of every report, any number of reports in one document.
    Json,
    /// SARIF 2.1.0 for code-scanning tools (GitHub code scanning and others), one run per
    /// report.
    Sarif,
}

impl VulnFormat {
    /// Every format, in the order help texts list them.
    pub const ALL: [VulnFormat; 3] = [VulnFormat::Table, VulnFormat::Json, VulnFormat::Sarif];

    /// The name accepted by [`FromStr`] and printed by [`Display`](fmt::Display).
    pub fn as_str(self) -> &'static str {
        match self {
            VulnFormat::Table => "table",
            VulnFormat::Json => "json",
            VulnFormat::Sarif => "sarif",
        }
    }
}

impl FromStr for VulnFormat {
    type Err = Error;

    /// Exact names only, as for [`Format`].
    fn from_str(s: &str) -> Result<Self, Error> {
        VulnFormat::ALL
            .into_iter()
            .find(|f| f.as_str() == s)
            .ok_or_else(|| Error::UnknownVulnFormat(s.to_owned()))
    }
}

impl fmt::Display for VulnFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A text view of vulnerability reports beside the findings table (`plimsoll image IMAGE
/// --layers`, `--modules`).
///
/// Not a [`VulnFormat`]: a view is another way for people to read the same reports, always as a
/// terminal table, while formats are encodings for tools. Scripts get the same numbers from the
/// JSON's `layer_findings` and `modules` (`docs/vulnerability-json.md`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum View {
    /// One row per layer, base first: sizes, the `created_by` command, packages added, removed
    /// and changed, findings introduced; then how many findings come from the base image.
    Layers,
    /// One row per installed package, worst first: its findings counted by severity, whether a
    /// fix exists and the one version that clears them all when that is plain.
    Modules,
}

impl View {
    /// Every view, in the order help texts list them.
    pub const ALL: [View; 2] = [View::Layers, View::Modules];

    /// The name accepted by [`FromStr`] and printed by [`Display`](fmt::Display).
    pub fn as_str(self) -> &'static str {
        match self {
            View::Layers => "layers",
            View::Modules => "modules",
        }
    }
}

impl FromStr for View {
    type Err = Error;

    /// Exact names only, as for [`Format`].
    fn from_str(s: &str) -> Result<Self, Error> {
        View::ALL
            .into_iter()
            .find(|v| v.as_str() == s)
            .ok_or_else(|| Error::UnknownView(s.to_owned()))
    }
}

impl fmt::Display for View {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for format in Format::ALL {
            assert_eq!(format.to_string().parse::<Format>().unwrap(), format);
        }
        assert_eq!(
            "cyclonedx-json".parse::<Format>().unwrap(),
            Format::CycloneDxJson
        );
    }

    #[test]
    fn unknown_names_are_rejected_with_the_choices() {
        let err = "sarif".parse::<Format>().unwrap_err();
        assert!(matches!(&err, Error::UnknownFormat(name) if name == "sarif"));
        assert_eq!(
            err.to_string(),
            "unknown report format `sarif`: expected one of table, json, cyclonedx-json, spdx-json"
        );
        for format in Format::ALL {
            assert!(
                err.to_string().contains(format.as_str()),
                "{format} missing from the message"
            );
        }
        // Names are exact: no case folding, no aliases that could drift between tools.
        assert!("JSON".parse::<Format>().is_err());
        assert!("cyclonedx".parse::<Format>().is_err());
    }

    #[test]
    fn vulnerability_format_names_round_trip() {
        for format in VulnFormat::ALL {
            assert_eq!(format.to_string().parse::<VulnFormat>().unwrap(), format);
        }
        let err = "cyclonedx-json".parse::<VulnFormat>().unwrap_err();
        assert!(matches!(&err, Error::UnknownVulnFormat(name) if name == "cyclonedx-json"));
        assert_eq!(
            err.to_string(),
            "unknown vulnerability report format `cyclonedx-json`: expected one of table, json, sarif"
        );
        for format in VulnFormat::ALL {
            assert!(err.to_string().contains(format.as_str()), "{format}");
        }
        assert!("SARIF".parse::<VulnFormat>().is_err());
    }

    #[test]
    fn view_names_round_trip() {
        for view in View::ALL {
            assert_eq!(view.to_string().parse::<View>().unwrap(), view);
        }
        let err = "layer".parse::<View>().unwrap_err();
        assert!(matches!(&err, Error::UnknownView(name) if name == "layer"));
        assert_eq!(
            err.to_string(),
            "unknown report view `layer`: expected one of layers, modules"
        );
    }
}
