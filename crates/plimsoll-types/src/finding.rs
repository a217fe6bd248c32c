use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::{ConfigFinding, Error, ImageInventory, LayerRef, PackageKind};

/// How bad a vulnerability is, in the usual five buckets (CVSS qualitative ratings, v3.1 §5).
/// Ordered: `Unknown < Low < … < Critical`, so filters like "HIGH and above" are comparisons.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Severity {
    /// No score and no rating anywhere in the data.
    Unknown,
    /// CVSS 0.1–3.9.
    Low,
    /// CVSS 4.0–6.9.
    Medium,
    /// CVSS 7.0–8.9.
    High,
    /// CVSS 9.0–10.0.
    Critical,
}

impl Severity {
    /// Every severity, lowest first.
    pub const ALL: [Severity; 5] = [
        Severity::Unknown,
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ];

    /// The upper-case name (`HIGH`).
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Unknown => "UNKNOWN",
            Severity::Low => "LOW",
            Severity::Medium => "MEDIUM",
            Severity::High => "HIGH",
            Severity::Critical => "CRITICAL",
        }
    }

    /// The bucket of a CVSS base score (0.0 is "none", reported as `Low` would overstate it;
    /// it maps to `Unknown`).
    pub fn from_score(score: f64) -> Severity {
        match score {
            s if s >= 9.0 => Severity::Critical,
            s if s >= 7.0 => Severity::High,
            s if s >= 4.0 => Severity::Medium,
            s if s > 0.0 => Severity::Low,
            _ => Severity::Unknown,
        }
    }
}

impl FromStr for Severity {
    type Err = Error;
    /// Accepts the five names in any case, and `MODERATE` (the word GitHub uses for medium).
    fn from_str(s: &str) -> Result<Self, Error> {
        match s.trim().to_ascii_uppercase().as_str() {
            "UNKNOWN" | "NONE" => Ok(Severity::Unknown),
            "LOW" => Ok(Severity::Low),
            "MEDIUM" | "MODERATE" => Ok(Severity::Medium),
            "HIGH" | "IMPORTANT" => Ok(Severity::High),
            "CRITICAL" => Ok(Severity::Critical),
            _ => Err(Error::InvalidSeverity(s.to_owned())),
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a finding's severity came from, in the order they are tried.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SeveritySource {
    /// A CVSS v4 vector in the record.
    CvssV4,
    /// A CVSS v3.x vector in the record.
    CvssV3,
    /// A CVSS v2 vector in the record.
    CvssV2,
    /// The record's `database_specific.severity` (or the affected entry's).
    Database,
    /// The severity of an aliased record (e.g. the GHSA of a PYSEC).
    Alias,
    /// Nothing gave one.
    None,
}

/// Whether a fix exists for the installed package.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FixState {
    /// A fixed version exists (see `fixed_versions`).
    Fixed,
    /// No fix is published.
    Unfixed,
    /// The distribution decided not to fix it.
    WontFix,
}

/// The CVSS score behind a severity.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Cvss {
    /// `CVSS_V3`, `CVSS_V4`, … as in OSV.
    pub kind: String,
    /// The vector string.
    pub vector: String,
    /// The base score computed from it.
    pub score: f64,
}

/// One vulnerability affecting one package of an image.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// Advisory id (`PYSEC-2023-74`, `GHSA-…`, `CVE-…`).
    pub id: String,
    /// Other ids of the same vulnerability.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    /// One-line summary, if the advisory has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// The affected package as installed (binary package for OS packages).
    pub package: String,
    /// Its kind.
    pub kind: PackageKind,
    /// Installed version.
    pub installed: String,
    /// Its purl.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purl: Option<String>,
    /// The OSV ecosystem and name the advisory was matched on (the source package for OS packages).
    pub matched_ecosystem: String,
    /// Package name as matched.
    pub matched_name: String,
    /// Versions that fix it, as the advisory lists them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fixed_versions: Vec<String>,
    /// Fix state.
    pub status: FixState,
    /// Severity bucket.
    pub severity: Severity,
    /// Where the severity came from.
    pub severity_source: SeveritySource,
    /// The CVSS score behind it, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cvss: Option<Cvss>,
    /// File the package was found in.
    pub found_in: String,
    /// Layer that introduced the package.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layer: Option<LayerRef>,
    /// Reference URLs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<String>,
}

/// An image's inventory with the findings matched against it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VulnerabilityReport {
    /// The inventory that was matched.
    pub image: ImageInventory,
    /// Findings, most severe first.
    pub findings: Vec<Finding>,
    /// When the vulnerability database used was built (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub db_built_at: Option<String>,
    /// Findings left out by filters (severity, unfixed, ignore file), for the summary line.
    #[serde(default)]
    pub suppressed: usize,
    /// Configuration and provenance findings (root user, no health check, `latest` tag, age),
    /// worked out for this image and tag when the report was made.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub config_findings: Vec<ConfigFinding>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severities_order_and_parse() {
        assert!(Severity::Critical > Severity::High && Severity::Low > Severity::Unknown);
        assert_eq!("moderate".parse::<Severity>().unwrap(), Severity::Medium);
        assert!("severe".parse::<Severity>().is_err());
        assert_eq!(Severity::from_score(9.8), Severity::Critical);
        assert_eq!(Severity::from_score(7.0), Severity::High);
        assert_eq!(Severity::from_score(6.9), Severity::Medium);
        assert_eq!(Severity::from_score(0.0), Severity::Unknown);
    }
}
