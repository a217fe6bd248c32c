//! Plimsoll's own vulnerability JSON: the reports exactly as the matcher produced them.
//!
//! The schema is documented field by field in `docs/vulnerability-json.md`. Like the inventory
//! JSON (`json.rs`), it is the serde form of `plimsoll_types::VulnerabilityReport` in a small
//! envelope, and the `schema` tag is the contract: a change to the types that renames, removes or
//! retypes a field must bump it (the pinned-output test below fails first), while added optional
//! fields keep `v1`. Each report carries its whole image inventory, so a consumer can go from a
//! finding to every other package of the image without a second document.
//!
//! Beside the report's own fields each report gets two derived summaries, computed here the way
//! the layer and module views compute them (`summary.rs`): `layer_findings` (findings per layer,
//! by severity) and `modules` (one entry per package with its findings counted). They are
//! conveniences for scripts, not part of `VulnerabilityReport`: a reader that deserialises
//! `reports[]` back into the type ignores them. Secrets stay where the inventory keeps them,
//! `image.secrets`, rather than being copied to the report: one place to read them, and the image
//! stays exactly what the inventory JSON writes.

use serde::Serialize;

use plimsoll_types::VulnerabilityReport;

use crate::json::{TOOL, Tool};
use crate::summary::{self, LayerFindings, Module};

/// The value of the top-level `schema` field.
pub(crate) const SCHEMA: &str = "plimsoll.vulnerabilities/v1";

#[derive(Serialize)]
struct Document<'a> {
    schema: &'static str,
    tool: Tool,
    reports: Vec<Report<'a>>,
}

#[derive(Serialize)]
struct Report<'a> {
    #[serde(flatten)]
    inner: &'a VulnerabilityReport,
    layer_findings: Vec<LayerFindings>,
    modules: Vec<Module<'a>>,
}

/// The document, ready for `serde_json` to write.
///
/// No timestamp or run id of its own (the database build time is part of each report): the same
/// reports give the same bytes, so outputs can be diffed and cached.
pub(crate) fn document(reports: &[VulnerabilityReport]) -> impl Serialize + '_ {
    Document {
        schema: SCHEMA,
        tool: TOOL,
        reports: reports
            .iter()
            .map(|report| Report {
                inner: report,
                layer_findings: summary::layer_findings(report),
                modules: summary::modules(report),
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use plimsoll_types::{FixState, SeveritySource};
    use serde_json::{Value, json};

    use super::*;
    use crate::testutil;

    #[test]
    fn round_trips_to_the_same_reports() {
        let mut second = testutil::report();
        second.findings.clear();
        second.db_built_at = None;
        second.suppressed = 0;
        let reports = vec![testutil::report(), second];
        let value = serde_json::to_value(document(&reports)).unwrap();
        assert_eq!(value["schema"], "plimsoll.vulnerabilities/v1");
        assert_eq!(value["tool"]["name"], "plimsoll");
        assert_eq!(value["tool"]["version"], env!("CARGO_PKG_VERSION"));
        let back: Vec<VulnerabilityReport> =
            serde_json::from_value(value["reports"].clone()).unwrap();
        assert_eq!(back, reports);
    }

    /// Pins the v1 field names and shapes. If this fails because `plimsoll-types` changed, decide
    /// whether the change is compatible (new optional field: update this test and the doc) or not
    /// (bump [`SCHEMA`]).
    #[test]
    fn pins_the_v1_shape() {
        let mut report = testutil::report();
        report.image.packages.retain(|p| p.name == "requests");
        report.image.layers.truncate(1);
        report
            .findings
            .retain(|f| f.id == "GHSA-9wx4-h78v-vm56" || f.id == "GHSA-c2qf-rxjj-qqgw");
        // Every optional field of a finding set once, and left out once.
        let full = &mut report.findings[0];
        assert_eq!(full.id, "GHSA-9wx4-h78v-vm56");
        full.layer = Some(testutil::layer(0));
        let bare = &mut report.findings[1];
        bare.purl = None;
        bare.layer = None;
        bare.status = FixState::WontFix;
        assert_eq!(bare.severity_source, SeveritySource::None);
        report.config_findings = testutil::full_report().config_findings;
        report.config_findings.truncate(1);

        let value = serde_json::to_value(document(&[report])).unwrap();
        let manifest = "sha256:05b3abf2579a5eb66403cd78be557fd860633a1fe2103c7642030defe32c657f";
        let config = "sha256:b79606fb3afea5bd1609ed40b622142f1c98125abcfe89a76a661b0e8e343910";
        let layer = "sha256:4fbec69b941195fd56f8212a5000e304129451d82efca94ff0e0fb2d5355472e";
        let diff = "sha256:d45fe94714c2649d9d1bfbce7cc2a04c14cc51a207c716e6e8949a8cc58032e1";
        let layer1 = testutil::layer(1);
        let expected: Value = json!({
            "schema": "plimsoll.vulnerabilities/v1",
            "tool": {"name": "plimsoll", "version": env!("CARGO_PKG_VERSION")},
            "reports": [{
                "image": {
                    "source": {"type": "registry", "reference": "docker.io/library/debian:12"},
                    "manifest_digest": manifest,
                    "config_digest": config,
                    "platform": {"os": "linux", "architecture": "amd64"},
                    "created": "2026-11-01T00:00:00Z",
                    "os": {
                        "id": "debian",
                        "version_id": "12",
                        "version_codename": "bookworm",
                        "pretty_name": "Debian GNU/Linux 12 (bookworm)"
                    },
                    "layers": [{
                        "index": 0,
                        "digest": layer,
                        "diff_id": diff,
                        "media_type": "application/vnd.oci.image.layer.v1.tar+gzip",
                        "compressed_size": 1000,
                        "uncompressed_size": 3000,
                        "base_image": true
                    }],
                    "packages": [{
                        "name": "requests",
                        "version": "2.31.0",
                        "kind": "python",
                        "licenses": ["Apache-2.0"],
                        "found_in": "/usr/lib/python3/dist-packages/requests-2.31.0.dist-info/METADATA",
                        "purl": "pkg:pypi/requests@2.31.0",
                        "layer": {
                            "index": 1,
                            "digest": layer1.digest.as_str(),
                            "diff_id": layer1.diff_id.as_str()
                        }
                    }]
                },
                "findings": [
                    {
                        "id": "GHSA-9wx4-h78v-vm56",
                        "aliases": ["CVE-2024-35195"],
                        "summary": "Requests `Session` object does not verify requests after making first request with verify=False",
                        "package": "requests",
                        "kind": "python",
                        "installed": "2.31.0",
                        "purl": "pkg:pypi/requests@2.31.0",
                        "matched_ecosystem": "PyPI",
                        "matched_name": "requests",
                        "fixed_versions": ["2.32.0"],
                        "status": "fixed",
                        "severity": "MEDIUM",
                        "severity_source": "cvss-v3",
                        "cvss": {
                            "kind": "CVSS_V3",
                            "vector": "CVSS:3.1/AV:L/AC:H/PR:H/UI:R/S:U/C:H/I:H/A:N",
                            "score": 5.6
                        },
                        "found_in": "/usr/lib/python3/dist-packages/requests-2.31.0.dist-info/METADATA",
                        "layer": {"index": 0, "digest": layer, "diff_id": diff},
                        "references": ["https://github.com/psf/requests/security/advisories/GHSA-9wx4-h78v-vm56"]
                    },
                    {
                        "id": "GHSA-c2qf-rxjj-qqgw",
                        "package": "@babel/core",
                        "kind": "npm",
                        "installed": "7.23.0",
                        "matched_ecosystem": "npm",
                        "matched_name": "@babel/core",
                        "status": "wont-fix",
                        "severity": "UNKNOWN",
                        "severity_source": "none",
                        "found_in": "/app/node_modules/@babel/core/package.json"
                    }
                ],
                "db_built_at": "2026-11-25T06:00:00Z",
                "suppressed": 2,
                "config_findings": [{
                    "id": "PLM-CFG-001",
                    "severity": "HIGH",
                    "title": "Image runs as root",
                    "detail": "User is \"\" (root)"
                }],
                "layer_findings": [{
                    "index": 0,
                    "base_image": true,
                    "findings": 1,
                    "severity_counts": {"UNKNOWN": 0, "LOW": 0, "MEDIUM": 1, "HIGH": 0, "CRITICAL": 0}
                }],
                // The npm finding's package is not in the (cut) inventory: it still gets an
                // entry, after the inventory's packages.
                "modules": [
                    {
                        "kind": "python",
                        "name": "requests",
                        "version": "2.31.0",
                        "found_in": "/usr/lib/python3/dist-packages/requests-2.31.0.dist-info/METADATA",
                        "layer_index": 1,
                        "findings": 1,
                        "severity_counts": {"UNKNOWN": 0, "LOW": 0, "MEDIUM": 1, "HIGH": 0, "CRITICAL": 0},
                        "worst_severity": "MEDIUM",
                        "fixable": true,
                        "fixed_version": "2.32.0"
                    },
                    {
                        "kind": "npm",
                        "name": "@babel/core",
                        "version": "7.23.0",
                        "found_in": "/app/node_modules/@babel/core/package.json",
                        "findings": 1,
                        "severity_counts": {"UNKNOWN": 1, "LOW": 0, "MEDIUM": 0, "HIGH": 0, "CRITICAL": 0},
                        "worst_severity": "UNKNOWN",
                        "fixable": false
                    }
                ]
            }]
        });
        assert_eq!(value, expected);
    }

    #[test]
    fn every_status_and_severity_source_has_its_documented_name() {
        let names = |v: Value| v.as_str().unwrap().to_owned();
        let statuses: Vec<String> = [FixState::Fixed, FixState::Unfixed, FixState::WontFix]
            .into_iter()
            .map(|s| names(serde_json::to_value(s).unwrap()))
            .collect();
        assert_eq!(statuses, ["fixed", "unfixed", "wont-fix"]);
        let sources: Vec<String> = [
            SeveritySource::CvssV4,
            SeveritySource::CvssV3,
            SeveritySource::CvssV2,
            SeveritySource::Database,
            SeveritySource::Alias,
            SeveritySource::None,
        ]
        .into_iter()
        .map(|s| names(serde_json::to_value(s).unwrap()))
        .collect();
        assert_eq!(
            sources,
            ["cvss-v4", "cvss-v3", "cvss-v2", "database", "alias", "none"]
        );
        // The table prints the same words.
        for status in [FixState::Fixed, FixState::Unfixed, FixState::WontFix] {
            assert_eq!(
                crate::vuln_table::status(status),
                names(serde_json::to_value(status).unwrap())
            );
        }
    }
}
