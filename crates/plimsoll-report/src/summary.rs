//! Per-package and per-layer summaries of a report's findings, shared by the layer and module
//! views and the vulnerability JSON, so the three never count differently.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use serde::Serialize;
use serde::ser::SerializeMap;

use plimsoll_types::{Finding, PackageKind, Severity, VulnerabilityReport};

/// How many findings fall in each severity.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct SeverityCounts([usize; 5]);

impl SeverityCounts {
    /// Counts the severities of `severities`.
    pub(crate) fn of(severities: impl IntoIterator<Item = Severity>) -> Self {
        let mut counts = SeverityCounts::default();
        for severity in severities {
            counts.add(severity);
        }
        counts
    }

    pub(crate) fn add(&mut self, severity: Severity) {
        self.0[slot(severity)] += 1;
    }

    pub(crate) fn get(self, severity: Severity) -> usize {
        self.0[slot(severity)]
    }

    pub(crate) fn total(self) -> usize {
        self.0.iter().sum()
    }

    /// The highest severity with a count, or `None` when there is none.
    pub(crate) fn worst(self) -> Option<Severity> {
        Severity::ALL
            .into_iter()
            .rev()
            .find(|&severity| self.get(severity) > 0)
    }

    /// `3 (CRITICAL: 1, HIGH: 2)`, most severe first and zeros left out, or `-` for none: a
    /// table cell, where every severity spelt out would not fit.
    pub(crate) fn cell(self) -> String {
        if self.total() == 0 {
            return "-".to_owned();
        }
        let mut cell = format!("{} (", self.total());
        let mut first = true;
        for severity in Severity::ALL.into_iter().rev() {
            let count = self.get(severity);
            if count > 0 {
                let sep = if first { "" } else { ", " };
                // Infallible: writing to a String.
                let _ = write!(cell, "{sep}{severity}: {count}");
                first = false;
            }
        }
        cell.push(')');
        cell
    }
}

/// Lowest severity first, as [`Severity::ALL`] lists them.
fn slot(severity: Severity) -> usize {
    match severity {
        Severity::Unknown => 0,
        Severity::Low => 1,
        Severity::Medium => 2,
        Severity::High => 3,
        Severity::Critical => 4,
    }
}

/// An object with every severity as a key, zeros included, so a script reads
/// `counts["CRITICAL"]` without a default.
impl Serialize for SeverityCounts {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(Severity::ALL.len()))?;
        for severity in Severity::ALL {
            map.serialize_entry(severity.as_str(), &self.get(severity))?;
        }
        map.end()
    }
}

/// One installed package with its findings summarised (the modules view).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub(crate) struct Module<'a> {
    pub(crate) kind: PackageKind,
    pub(crate) name: &'a str,
    pub(crate) version: &'a str,
    pub(crate) found_in: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) layer_index: Option<usize>,
    #[serde(rename = "findings")]
    pub(crate) finding_count: usize,
    pub(crate) severity_counts: SeverityCounts,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) worst_severity: Option<Severity>,
    /// Whether any finding has a fixed version.
    pub(crate) fixable: bool,
    /// The one version that fixes every finding, when [`fix_for_all`] can tell.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) fixed_version: Option<&'a str>,
}

/// Every package of the report's image, in inventory order, with the findings against it; then
/// one entry per installed package that has findings but is missing from the inventory (a
/// report assembled from elsewhere), so no finding goes uncounted.
///
/// A finding belongs to a package when kind, name, installed version and file agree: the same
/// package in two `node_modules` trees is two installations, fixed separately.
pub(crate) fn modules(report: &VulnerabilityReport) -> Vec<Module<'_>> {
    let mut claimed = vec![false; report.findings.len()];
    let mut modules = Vec::with_capacity(report.image.packages.len());
    for package in &report.image.packages {
        let findings: Vec<&Finding> = report
            .findings
            .iter()
            .enumerate()
            .filter(|(_, f)| {
                f.kind == package.kind
                    && f.package == package.name
                    && f.installed == package.version
                    && f.found_in == package.found_in
            })
            .map(|(i, f)| {
                claimed[i] = true;
                f
            })
            .collect();
        modules.push(module(
            (
                package.kind,
                &package.name,
                &package.version,
                &package.found_in,
            ),
            package.layer.as_ref().map(|l| l.index),
            &findings,
        ));
    }
    let mut orphans: Vec<Vec<&Finding>> = Vec::new();
    for (finding, _) in report.findings.iter().zip(&claimed).filter(|(_, c)| !**c) {
        match orphans
            .iter_mut()
            .find(|g| same_installation(g[0], finding))
        {
            Some(group) => group.push(finding),
            None => orphans.push(vec![finding]),
        }
    }
    modules.extend(orphans.iter().map(|group| {
        let f = group[0];
        module(
            (f.kind, &f.package, &f.installed, &f.found_in),
            f.layer.as_ref().map(|l| l.index),
            group,
        )
    }));
    modules
}

fn same_installation(a: &Finding, b: &Finding) -> bool {
    a.kind == b.kind
        && a.package == b.package
        && a.installed == b.installed
        && a.found_in == b.found_in
}

fn module<'a>(
    (kind, name, version, found_in): (PackageKind, &'a str, &'a str, &'a str),
    layer_index: Option<usize>,
    findings: &[&'a Finding],
) -> Module<'a> {
    let severity_counts = SeverityCounts::of(findings.iter().map(|f| f.severity));
    Module {
        kind,
        name,
        version,
        found_in,
        layer_index,
        finding_count: findings.len(),
        severity_counts,
        worst_severity: severity_counts.worst(),
        fixable: findings.iter().any(|f| !f.fixed_versions.is_empty()),
        fixed_version: fix_for_all(findings),
    }
}

/// The version that clears every finding, when that needs no version comparison: every finding
/// names exactly one fixed version and they are all the same. Picking the highest of differing
/// versions would need the ecosystem's ordering (`plimsoll-version`), which a report writer
/// must not depend on, so then there is no answer rather than a guess.
fn fix_for_all<'a>(findings: &[&'a Finding]) -> Option<&'a str> {
    let mut versions = BTreeSet::new();
    for finding in findings {
        match finding.fixed_versions.as_slice() {
            [one] => versions.insert(one.as_str()),
            _ => return None,
        };
    }
    match versions.len() {
        1 => versions.into_iter().next(),
        _ => None,
    }
}

/// Findings introduced by one layer of the image.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub(crate) struct LayerFindings {
    pub(crate) index: usize,
    pub(crate) base_image: bool,
    #[serde(rename = "findings")]
    pub(crate) finding_count: usize,
    pub(crate) severity_counts: SeverityCounts,
}

/// One entry per layer of the image, base first, counting the findings whose package that layer
/// introduced (`Finding::layer`). Findings without a layer, or naming a layer the image does not
/// list, are in no entry; [`Attribution`] counts them.
pub(crate) fn layer_findings(report: &VulnerabilityReport) -> Vec<LayerFindings> {
    report
        .image
        .layers
        .iter()
        .map(|layer| {
            let counts = SeverityCounts::of(
                report
                    .findings
                    .iter()
                    .filter(|f| f.layer.as_ref().is_some_and(|l| l.index == layer.index))
                    .map(|f| f.severity),
            );
            LayerFindings {
                index: layer.index,
                base_image: layer.base_image,
                finding_count: counts.total(),
                severity_counts: counts,
            }
        })
        .collect()
}

/// How a report's findings split between the base image and the layers built on it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Attribution {
    pub(crate) total: usize,
    /// Indices of the layers marked `base_image`, ascending.
    pub(crate) base_layers: Vec<usize>,
    pub(crate) from_base: usize,
    pub(crate) from_top: usize,
    /// Findings whose layer is unknown or not one of the image's layers.
    pub(crate) unattributed: usize,
}

pub(crate) fn attribution(report: &VulnerabilityReport) -> Attribution {
    let mut base_layers: Vec<usize> = report
        .image
        .layers
        .iter()
        .filter(|l| l.base_image)
        .map(|l| l.index)
        .collect();
    base_layers.sort_unstable();
    let mut a = Attribution {
        total: report.findings.len(),
        base_layers,
        from_base: 0,
        from_top: 0,
        unattributed: 0,
    };
    for finding in &report.findings {
        let layer = finding
            .layer
            .as_ref()
            .and_then(|r| report.image.layers.iter().find(|l| l.index == r.index));
        match layer {
            Some(l) if l.base_image => a.from_base += 1,
            Some(_) => a.from_top += 1,
            None => a.unattributed += 1,
        }
    }
    a
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil;

    #[test]
    fn counts_cells_and_json() {
        let counts = SeverityCounts::of([Severity::High, Severity::Critical, Severity::High]);
        assert_eq!(counts.total(), 3);
        assert_eq!(counts.worst(), Some(Severity::Critical));
        assert_eq!(counts.cell(), "3 (CRITICAL: 1, HIGH: 2)");
        assert_eq!(SeverityCounts::default().cell(), "-");
        assert_eq!(SeverityCounts::default().worst(), None);
        assert_eq!(
            serde_json::to_value(counts).unwrap(),
            serde_json::json!({"UNKNOWN": 0, "LOW": 0, "MEDIUM": 0, "HIGH": 2, "CRITICAL": 1})
        );
    }

    #[test]
    fn modules_follow_the_inventory_and_know_a_common_fix() {
        let report = testutil::report();
        let modules = modules(&report);
        let names: Vec<&str> = modules.iter().map(|m| m.name).collect();
        assert_eq!(
            names,
            ["base-files", "libc6", "libdb5.3", "requests", "@babel/core"]
        );
        let [base_files, libc6, libdb, requests, babel] = &modules[..] else {
            unreachable!()
        };
        assert_eq!(base_files.finding_count, 0);
        assert!(!base_files.fixable && base_files.worst_severity.is_none());
        // Two findings fixed in one version and one unfixed: fixable, but no version clears all.
        assert_eq!(libc6.finding_count, 3);
        assert!(libc6.fixable);
        assert_eq!(libc6.fixed_version, None);
        assert_eq!(libc6.worst_severity, Some(Severity::Critical));
        assert!(!libdb.fixable);
        // 2.32.4 and 2.32.0: the higher one would clear both, but telling needs PEP 440.
        assert!(requests.fixable && requests.fixed_version.is_none());
        assert_eq!(babel.layer_index, Some(1));

        let mut fixable = testutil::report();
        fixable.findings.retain(|f| f.id != "CVE-2026-0002");
        let libc6 = &super::modules(&fixable)[1];
        assert_eq!(libc6.fixed_version, Some("2.36-9+deb12u9"));
    }

    #[test]
    fn findings_without_an_inventory_package_still_count() {
        let mut report = testutil::report();
        report.image.packages.clear();
        let modules = modules(&report);
        assert_eq!(modules.len(), 4);
        assert_eq!(
            modules.iter().map(|m| m.finding_count).sum::<usize>(),
            report.findings.len()
        );
    }

    #[test]
    fn layers_split_base_from_top() {
        let report = testutil::full_report();
        let layers = layer_findings(&report);
        assert_eq!(
            layers.iter().map(|l| l.finding_count).collect::<Vec<_>>(),
            [4, 4, 0]
        );
        let a = attribution(&report);
        assert_eq!(
            a,
            Attribution {
                total: 8,
                base_layers: vec![0],
                from_base: 4,
                from_top: 4,
                unattributed: 0
            }
        );
    }
}
