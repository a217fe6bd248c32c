use plimsoll_report::{Error, VulnFormat, write_vulnerability_reports};
use plimsoll_types::VulnerabilityReport;

use crate::fixture;

fn render(format: VulnFormat, reports: &[VulnerabilityReport]) -> String {
    let mut out = Vec::new();
    write_vulnerability_reports(format, reports, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn names_parse_and_print() {
    for (name, format) in [
        ("table", VulnFormat::Table),
        ("json", VulnFormat::Json),
        ("sarif", VulnFormat::Sarif),
    ] {
        assert_eq!(name.parse::<VulnFormat>().unwrap(), format);
        assert_eq!(format.to_string(), name);
    }
    assert!(matches!(
        "spdx-json".parse::<VulnFormat>(),
        Err(Error::UnknownVulnFormat(_))
    ));
}

#[test]
fn json_is_one_document_for_all_reports() {
    let mut amd64 = fixture::report();
    amd64.image.platform = "linux/amd64".parse().unwrap();
    amd64.findings.clear();
    amd64.suppressed = 0;
    let reports = vec![fixture::report(), amd64];
    let doc: serde_json::Value = serde_json::from_str(&render(VulnFormat::Json, &reports)).unwrap();
    assert_eq!(doc["schema"], "plimsoll.vulnerabilities/v1");
    assert_eq!(doc["tool"]["name"], "plimsoll");
    let back: Vec<VulnerabilityReport> = serde_json::from_value(doc["reports"].clone()).unwrap();
    assert_eq!(back, reports);
    // Empty lists and absent options are left out, never `null`.
    let empty = &doc["reports"][1];
    assert_eq!(empty["findings"], serde_json::json!([]));
    assert_eq!(empty["suppressed"], 0);
    let node = &doc["reports"][0]["findings"][5];
    assert!(node.get("aliases").is_none() && node.get("cvss").is_none());
    assert!(!render(VulnFormat::Json, &reports).contains("null"));
}

#[test]
fn table_has_a_section_per_report() {
    let mut amd64 = fixture::report();
    amd64.image.platform = "linux/amd64".parse().unwrap();
    amd64.findings.clear();
    amd64.suppressed = 0;
    let text = render(VulnFormat::Table, &[fixture::report(), amd64]);
    assert_eq!(
        text.matches("Image:    registry.example.com:5000/team/app:1.4.2\n")
            .count(),
        2
    );
    assert!(text.contains("\nPlatform: linux/arm64/v8\n"));
    assert!(text.contains("\nPlatform: linux/amd64\n"));
    assert!(text.contains("\nDB built: 2026-11-24T03:00:00Z\n"));
    assert!(text.contains(
        "\nTotal: 6 (UNKNOWN: 2, LOW: 1, MEDIUM: 1, HIGH: 1, CRITICAL: 1), suppressed: 1\n"
    ));
    assert!(text.contains("\nTotal: 0 (UNKNOWN: 0, LOW: 0, MEDIUM: 0, HIGH: 0, CRITICAL: 0)\n"));
    assert!(text.ends_with("\n\nNo vulnerabilities found.\n"));
    assert!(text.lines().all(|l| !l.ends_with(' ')));

    // libssl3 leads (CRITICAL) with its LOW finding under it; the two @types/node installs are
    // two groups of one row each, last (UNKNOWN).
    let rows: Vec<&str> = text
        .lines()
        .skip_while(|l| !l.starts_with("PACKAGE "))
        .skip(1)
        .take_while(|l| !l.is_empty())
        .collect();
    let first_words: Vec<&str> = rows
        .iter()
        .map(|r| r.split_whitespace().next().unwrap())
        .collect();
    assert_eq!(
        first_words,
        [
            "libssl3",
            "CVE-2026-1001",
            "zlib1g",
            "requests",
            "@types/node",
            "@types/node"
        ]
    );
    let diff = fixture::layer_ref(0).diff_id;
    assert!(
        rows[0].contains(&format!("0 {}…", diff.short())),
        "{}",
        rows[0]
    );
}
