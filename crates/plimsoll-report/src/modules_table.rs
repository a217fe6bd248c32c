//! The module view: every installed package of an image with its vulnerabilities summarised,
//! worst first, as the "Modules" tab of `NeuVector` lists them. Where the vulnerability table has a row
//! per finding, this has a row per package, vulnerable or not, so it reads as the image's bill
//! of materials ranked by risk.

use std::cmp::Reverse;

use plimsoll_types::VulnerabilityReport;

use crate::summary::{self, Module};
use crate::text::{self, clean};

/// Column headings, in order. PATH is last because it is the longest and the least scanned.
const HEADINGS: [&str; 9] = [
    "TYPE",
    "NAME",
    "VERSION",
    "LAYER",
    "VULNERABILITIES",
    "WORST",
    "FIXABLE",
    "FIX",
    "PATH",
];

/// Renders every report, separated by a blank line.
pub(crate) fn render(reports: &[VulnerabilityReport]) -> String {
    text::sections(reports, render_report)
}

fn render_report(out: &mut String, report: &VulnerabilityReport) {
    let image = &report.image;
    let mut modules = summary::modules(report);
    let vulnerable = modules.iter().filter(|m| m.finding_count > 0).count();
    text::write_header(
        out,
        &[
            ("Image:", image.source.display_name()),
            ("Platform:", image.platform.to_string()),
            ("Manifest:", image.manifest_digest.to_string()),
            ("OS:", text::os_name(image)),
            (
                "Packages:",
                format!("{} ({vulnerable} vulnerable)", modules.len()),
            ),
        ],
    );
    out.push('\n');
    if modules.is_empty() {
        out.push_str("No packages found.\n");
        return;
    }
    // Worst severity first (`None`, no findings, sorts last), then by name; version and path
    // keep the order total, so output is the same on every run.
    modules.sort_by_key(|m| (Reverse(m.worst_severity), m.name, m.version, m.found_in));
    let rows: Vec<[String; 9]> = modules.iter().map(row).collect();
    text::write_columns(out, HEADINGS, &rows);
}

fn row(module: &Module<'_>) -> [String; 9] {
    let vulnerable = module.finding_count > 0;
    [
        module.kind.as_str().to_owned(),
        clean(module.name),
        clean(module.version),
        module
            .layer_index
            .map_or_else(|| "-".to_owned(), |i| i.to_string()),
        module.severity_counts.cell(),
        module.worst_severity.map_or("-", |s| s.as_str()).to_owned(),
        match (vulnerable, module.fixable) {
            (false, _) => "-",
            (true, true) => "yes",
            (true, false) => "no",
        }
        .to_owned(),
        module.fixed_version.map_or_else(|| "-".to_owned(), clean),
        clean(module.found_in),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil;

    #[test]
    fn every_package_worst_first() {
        let expected = "\
Image:    docker.io/library/debian:12
Platform: linux/amd64
Manifest: sha256:05b3abf2579a5eb66403cd78be557fd860633a1fe2103c7642030defe32c657f
OS:       Debian GNU/Linux 12 (bookworm)
Packages: 5 (4 vulnerable)

TYPE    NAME         VERSION            LAYER  VULNERABILITIES           WORST     FIXABLE  FIX  PATH
deb     libc6        2.36-9+deb12u4     0      3 (CRITICAL: 1, HIGH: 2)  CRITICAL  yes      -    /var/lib/dpkg/status
npm     @babel/core  7.23.0             1      2 (HIGH: 1, UNKNOWN: 1)   HIGH      yes      -    /app/node_modules/@babel/core/package.json
python  requests     2.31.0             1      2 (HIGH: 1, MEDIUM: 1)    HIGH      yes      -    /usr/lib/python3/dist-packages/requests-2.31.0.dist-info/METADATA
deb     libdb5.3     5.3.28+dfsg2-1+b1  0      1 (LOW: 1)                LOW       no       -    /var/lib/dpkg/status
deb     base-files   12.4+deb12u5       0      -                         -         -        -    /var/lib/dpkg/status
";
        assert_eq!(render(&[testutil::report()]), expected);
    }

    #[test]
    fn a_single_fix_is_shown() {
        let mut report = testutil::report();
        report
            .findings
            .retain(|f| f.package == "libc6" && !f.fixed_versions.is_empty());
        let text = render(&[report]);
        let libc6 = text
            .lines()
            .find(|l| l.starts_with("deb     libc6"))
            .unwrap();
        assert!(
            libc6.contains("  yes      2.36-9+deb12u9  /var/lib"),
            "{text}"
        );
    }

    #[test]
    fn escapes_control_characters_and_handles_empty_images() {
        let mut report = testutil::report();
        report.findings.clear();
        report.image.packages.truncate(1);
        report.image.packages[0].name = "x\u{1b}[2J".into();
        report.image.packages[0].found_in = "/p\u{7}".into();
        let text = render(&[report.clone()]);
        assert!(
            !text.contains('\u{1b}') && !text.contains('\u{7}'),
            "{text}"
        );
        assert!(text.contains("x\\u{1b}[2J"), "{text}");
        assert!(text.ends_with("/p\\u{7}\n"), "{text}");
        report.image.packages.clear();
        assert!(render(&[report]).ends_with("Packages: 0 (0 vulnerable)\n\nNo packages found.\n"));
    }
}
