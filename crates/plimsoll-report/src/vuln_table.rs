//! Aligned text for a terminal: per image a header, a severity summary and the findings grouped
//! by package.
//!
//! Packages come most severe first (their worst finding decides), then by name; a package's
//! findings by severity, most severe first, then by id. The package name, installed version and
//! layer are written on a package's first row only, so the groups stand out; a script that needs
//! every row self-contained reads the JSON format instead.
//!
//! Secrets and configuration findings follow the vulnerability table, each section only when it
//! has entries and each with its own count line (`Secrets: 2 (CRITICAL: 1, HIGH: 1)`), so the
//! `Total:` line keeps meaning "vulnerabilities" for the scripts and eyes that read it. A secret
//! is printed only as the scanner redacted it.

use std::cmp::Reverse;
use std::fmt::Write as _;

use plimsoll_types::{ConfigFinding, Finding, FixState, Secret, Severity, VulnerabilityReport};

use crate::summary::SeverityCounts;
use crate::text::{self, clean};

/// Column headings, in order. TITLE is last because it is the longest and the least scanned.
const HEADINGS: [&str; 8] = [
    "PACKAGE",
    "VULNERABILITY",
    "SEVERITY",
    "STATUS",
    "INSTALLED",
    "FIXED",
    "LAYER",
    "TITLE",
];

/// Most characters of an advisory summary shown in TITLE; the full text is in the JSON.
const TITLE_WIDTH: usize = 60;

/// Renders every report, separated by a blank line.
pub(crate) fn render(reports: &[VulnerabilityReport]) -> String {
    text::sections(reports, render_report)
}

fn render_report(out: &mut String, report: &VulnerabilityReport) {
    let image = &report.image;
    let mut header = vec![
        ("Image:", image.source.display_name()),
        ("Platform:", image.platform.to_string()),
        ("Manifest:", image.manifest_digest.to_string()),
        ("OS:", text::os_name(image)),
        (
            "DB built:",
            report
                .db_built_at
                .clone()
                .unwrap_or_else(|| "unknown".to_owned()),
        ),
    ];
    // Warnings say the inventory may be incomplete, so the findings may be too.
    header.extend(image.warnings.iter().map(|w| ("Warning:", w.clone())));
    text::write_header(out, &header);
    out.push('\n');
    out.push_str(&summary(report));
    out.push_str("\n\n");
    if report.findings.is_empty() {
        out.push_str("No vulnerabilities found.\n");
    } else {
        text::write_columns(out, HEADINGS, &rows(&report.findings));
    }
    if !image.secrets.is_empty() {
        out.push('\n');
        write_secrets(out, &image.secrets);
    }
    if !report.config_findings.is_empty() {
        out.push('\n');
        write_config(out, &report.config_findings);
    }
}

/// `Label: N (CRITICAL: 1, …)`, only the severities present.
fn count_line(label: &str, severities: impl IntoIterator<Item = Severity>) -> String {
    format!("{label}: {}\n\n", SeverityCounts::of(severities).cell())
}

const SECRET_HEADINGS: [&str; 6] = ["SEVERITY", "RULE", "LOCATION", "LAYER", "SECRET", "NOTE"];

/// Most severe first, then by location. A secret in a file a later layer deleted says so: the
/// file is gone from the running container's view, but the lower layer's blob still holds it,
/// and anyone who can pull the image can read it.
fn write_secrets(out: &mut String, secrets: &[Secret]) {
    out.push_str(&count_line("Secrets", secrets.iter().map(|s| s.severity)));
    let mut sorted: Vec<&Secret> = secrets.iter().collect();
    sorted.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.path.cmp(&b.path))
            .then_with(|| a.line.cmp(&b.line))
            .then_with(|| a.rule.cmp(&b.rule))
    });
    let rows: Vec<[String; 6]> = sorted
        .into_iter()
        .map(|secret| {
            let location = if secret.line == 0 {
                secret.path.clone()
            } else {
                format!("{}:{}", secret.path, secret.line)
            };
            [
                secret.severity.as_str().to_owned(),
                clean(&secret.rule),
                clean(&location),
                secret
                    .layer
                    .as_ref()
                    .map_or_else(|| "-".to_owned(), |l| l.index.to_string()),
                clean(&secret.redacted),
                secret.deleted_in_layer.map_or_else(String::new, |n| {
                    format!("deleted in layer {n}, still in the image's layer blob")
                }),
            ]
        })
        .collect();
    text::write_columns(out, SECRET_HEADINGS, &rows);
}

const CONFIG_HEADINGS: [&str; 4] = ["ID", "SEVERITY", "TITLE", "DETAIL"];

/// Most severe first, then by id.
fn write_config(out: &mut String, findings: &[ConfigFinding]) {
    out.push_str(&count_line(
        "Configuration",
        findings.iter().map(|f| f.severity),
    ));
    let mut sorted: Vec<&ConfigFinding> = findings.iter().collect();
    sorted.sort_by(|a, b| b.severity.cmp(&a.severity).then_with(|| a.id.cmp(&b.id)));
    let rows: Vec<[String; 4]> = sorted
        .into_iter()
        .map(|f| {
            [
                clean(&f.id),
                f.severity.as_str().to_owned(),
                clean(&f.title),
                clean(&f.detail),
            ]
        })
        .collect();
    text::write_columns(out, CONFIG_HEADINGS, &rows);
}

/// `Total: N (UNKNOWN: a, LOW: b, MEDIUM: c, HIGH: d, CRITICAL: e)`, then `, suppressed: n`
/// when filters left findings out. Every severity is listed, zeros included, so scripts and
/// eyes find each count at the same place.
fn summary(report: &VulnerabilityReport) -> String {
    let mut line = format!("Total: {} (", report.findings.len());
    for (i, severity) in Severity::ALL.into_iter().enumerate() {
        let count = report
            .findings
            .iter()
            .filter(|f| f.severity == severity)
            .count();
        let sep = if i == 0 { "" } else { ", " };
        // Infallible: writing to a String.
        let _ = write!(line, "{sep}{severity}: {count}");
    }
    line.push(')');
    if report.suppressed > 0 {
        let _ = write!(line, ", suppressed: {}", report.suppressed);
    }
    line
}

/// The rows of every group, in display order.
fn rows(findings: &[Finding]) -> Vec<[String; 8]> {
    // A group is one installed package: the same name and version in two files (two
    // `node_modules` trees) are two installations, fixed separately, so two groups.
    let mut groups: Vec<Vec<&Finding>> = Vec::new();
    for finding in findings {
        match groups.iter_mut().find(|g| same_package(g[0], finding)) {
            Some(group) => group.push(finding),
            None => groups.push(vec![finding]),
        }
    }
    for group in &mut groups {
        group.sort_by(|a, b| b.severity.cmp(&a.severity).then_with(|| a.id.cmp(&b.id)));
    }
    // After the sort above, a group's first finding is its worst.
    groups.sort_by_key(|g| {
        let f = g[0];
        (
            Reverse(f.severity),
            f.package.as_str(),
            f.installed.as_str(),
            f.found_in.as_str(),
        )
    });

    let mut rows = Vec::with_capacity(findings.len());
    for group in groups {
        for (i, finding) in group.into_iter().enumerate() {
            let first = i == 0;
            let on_first = |cell: String| if first { cell } else { String::new() };
            rows.push([
                on_first(clean(&finding.package)),
                clean(&finding.id),
                finding.severity.as_str().to_owned(),
                status(finding.status).to_owned(),
                on_first(clean(&finding.installed)),
                fixed(finding),
                on_first(text::layer(finding.layer.as_ref())),
                title(finding),
            ]);
        }
    }
    rows
}

fn same_package(a: &Finding, b: &Finding) -> bool {
    a.kind == b.kind
        && a.package == b.package
        && a.installed == b.installed
        && a.found_in == b.found_in
}

/// The fix state as the JSON spells it.
pub(crate) fn status(status: FixState) -> &'static str {
    match status {
        FixState::Fixed => "fixed",
        FixState::Unfixed => "unfixed",
        FixState::WontFix => "wont-fix",
    }
}

fn fixed(finding: &Finding) -> String {
    if finding.fixed_versions.is_empty() {
        "-".to_owned()
    } else {
        clean(&finding.fixed_versions.join(", "))
    }
}

/// The summary cut to [`TITLE_WIDTH`], after escaping so the cut never splits an escape from
/// its width.
fn title(finding: &Finding) -> String {
    match &finding.summary {
        Some(summary) => text::truncate(&clean(summary), TITLE_WIDTH),
        None => "-".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use plimsoll_types::ImageSource;

    use super::*;
    use crate::testutil;

    #[test]
    fn groups_by_package_and_sorts_by_severity() {
        let expected = "\
Image:    docker.io/library/debian:12
Platform: linux/amd64
Manifest: sha256:05b3abf2579a5eb66403cd78be557fd860633a1fe2103c7642030defe32c657f
OS:       Debian GNU/Linux 12 (bookworm)
DB built: 2026-11-25T06:00:00Z

Total: 8 (UNKNOWN: 1, LOW: 1, MEDIUM: 1, HIGH: 4, CRITICAL: 1), suppressed: 2

PACKAGE      VULNERABILITY        SEVERITY  STATUS    INSTALLED          FIXED                  LAYER            TITLE
libc6        CVE-2026-0001        CRITICAL  fixed     2.36-9+deb12u4     2.36-9+deb12u9         0 d45fe94714c2…  glibc: buffer overflow in getaddrinfo
             CVE-2025-9999        HIGH      fixed                        2.36-9+deb12u9                          glibc: use after free in qsort
             CVE-2026-0002        HIGH      unfixed                      -                                       glibc: the iconv() function in the GNU C Library may overfl…
@babel/core  GHSA-67hx-6x53-jw92  HIGH      fixed     7.23.0             7.23.2, 8.0.0-alpha.4  1 0697c0f434f8…  Babel vulnerable to arbitrary code execution
             GHSA-c2qf-rxjj-qqgw  UNKNOWN   unfixed                      -                                       -
requests     PYSEC-2026-10        HIGH      fixed     2.31.0             2.32.4                 1 0697c0f434f8…  Requests leaks .netrc credentials
             GHSA-9wx4-h78v-vm56  MEDIUM    fixed                        2.32.0                                  Requests `Session` object does not verify requests after ma…
libdb5.3     CVE-2019-8457        LOW       wont-fix  5.3.28+dfsg2-1+b1  -                      0 d45fe94714c2…  sqlite: heap out-of-bound read in function rtreenode()
";
        assert_eq!(render(&[testutil::report()]), expected);
    }

    #[test]
    fn empty_reports_say_so_and_reports_are_separated() {
        let mut clean_image = testutil::report();
        clean_image.findings.clear();
        clean_image.suppressed = 0;
        clean_image.db_built_at = None;
        clean_image.image.source = ImageSource::DockerArchive {
            path: "app.tar".into(),
        };
        clean_image.image.warnings = vec!["unreadable /app/package-lock.json".into()];
        let expected = "\
Image:    docker-archive:app.tar
Platform: linux/amd64
Manifest: sha256:05b3abf2579a5eb66403cd78be557fd860633a1fe2103c7642030defe32c657f
OS:       Debian GNU/Linux 12 (bookworm)
DB built: unknown
Warning:  unreadable /app/package-lock.json

Total: 0 (UNKNOWN: 0, LOW: 0, MEDIUM: 0, HIGH: 0, CRITICAL: 0)

No vulnerabilities found.
";
        assert_eq!(render(std::slice::from_ref(&clean_image)), expected);
        let both = render(&[clean_image, testutil::report()]);
        assert_eq!(
            both,
            format!("{expected}\n{}", render(&[testutil::report()]))
        );
        assert_eq!(render(&[]), "");
    }

    #[test]
    fn secrets_and_configuration_follow_the_findings() {
        let text = render(&[testutil::full_report()]);
        let (before, after) = text.split_once("\nSecrets: ").unwrap();
        // The vulnerability part is unchanged.
        assert_eq!(before, render(&[testutil::report()]));
        let expected = "\
2 (CRITICAL: 1, HIGH: 1)

SEVERITY  RULE               LOCATION     LAYER  SECRET                NOTE
CRITICAL  aws-access-key-id  /app/.env:3  1      AKIA****************  deleted in layer 2, still in the image's layer blob
HIGH      generic-password   config:ENV   -      DB_PASSWORD=hu*****

Configuration: 2 (HIGH: 1, LOW: 1)

ID           SEVERITY  TITLE               DETAIL
PLM-CFG-001  HIGH      Image runs as root  User is \"\" (root)
PLM-CFG-002  LOW       No health check     the configuration sets no Healthcheck
";
        assert_eq!(after, expected);
    }

    #[test]
    fn secrets_show_without_vulnerabilities_and_are_escaped() {
        let mut report = testutil::full_report();
        report.findings.clear();
        report.config_findings.clear();
        report.image.secrets.truncate(1);
        let secret = &mut report.image.secrets[0];
        secret.path = "/app/\u{1b}[2J.env".into();
        secret.redacted = "AKIA\u{7}***".into();
        secret.rule = "r\u{8}".into();
        let text = render(&[report]);
        assert!(
            text.contains("No vulnerabilities found.\n\nSecrets: 1 (CRITICAL: 1)\n"),
            "{text}"
        );
        assert!(!text.chars().any(|c| c.is_control() && c != '\n'), "{text}");
        assert!(
            text.contains("r\\u{8}  /app/\\u{1b}[2J.env:3  1      AKIA\\u{7}***"),
            "{text}"
        );
        assert!(!text.contains("Configuration:"), "{text}");
    }

    #[test]
    fn same_package_in_two_files_is_two_groups() {
        let mut report = testutil::report();
        let mut other = report.findings[0].clone();
        other.found_in = "/opt/app/var/lib/dpkg/status".into();
        other.layer = None;
        report.findings.push(other);
        let text = render(&[report]);
        let libc6_rows: Vec<&str> = text.lines().filter(|l| l.starts_with("libc6 ")).collect();
        assert_eq!(libc6_rows.len(), 2, "{text}");
        // Same worst severity, name and version: ordered by path, `/opt` before `/var`.
        let layer_of = |row: &str| row.split_whitespace().nth(6).unwrap().to_owned();
        assert_eq!(layer_of(libc6_rows[0]), "-", "{text}");
        assert_eq!(layer_of(libc6_rows[1]), "0", "{text}");
    }

    #[test]
    fn escapes_control_characters_from_the_image_and_the_database() {
        let mut report = testutil::report();
        report.findings.truncate(1);
        let finding = &mut report.findings[0];
        finding.package = "x\u{1b}]0;pwned\u{7}".into();
        finding.summary = Some("line one\nline two\u{1b}[2J".into());
        finding.fixed_versions = vec!["1\u{8}".into()];
        let text = render(&[report]);
        assert!(
            !text.contains('\u{1b}') && !text.contains('\u{8}'),
            "{text}"
        );
        assert!(
            text.contains("x\\u{1b}]0;pwned\\u{7}  CVE-2026-0001"),
            "{text}"
        );
        assert!(text.contains("1\\u{8}"), "{text}");
        assert!(text.ends_with("line one\\nline two\\u{1b}[2J\n"), "{text}");
    }
}
