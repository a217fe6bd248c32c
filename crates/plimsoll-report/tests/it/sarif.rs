use plimsoll_report::{VulnFormat, write_vulnerability_reports};
use plimsoll_types::{Severity, VulnerabilityReport};
use serde_json::{Value, json};

use crate::{fixture, schemas};

fn log(reports: &[VulnerabilityReport]) -> Value {
    let mut out = Vec::new();
    write_vulnerability_reports(VulnFormat::Sarif, reports, &mut out).unwrap();
    serde_json::from_slice(&out).unwrap()
}

/// The fixture for two platforms, as a scan of a multi-platform index gives.
fn two_platforms() -> Vec<VulnerabilityReport> {
    let arm64 = fixture::report();
    let mut amd64 = fixture::report();
    amd64.image.platform = "linux/amd64".parse().unwrap();
    amd64.findings.truncate(2);
    vec![arm64, amd64]
}

#[test]
fn validates_against_the_official_2_1_0_schema() {
    let validator = schemas::sarif();
    let mut empty = fixture::report();
    empty.findings.clear();
    for reports in [two_platforms(), vec![empty], Vec::new()] {
        let log = log(&reports);
        let violations = schemas::violations(&validator, &log);
        assert!(violations.is_empty(), "{violations:#?}");
        assert_eq!(log["version"], "2.1.0");
        assert_eq!(log["runs"].as_array().unwrap().len(), reports.len());
    }
}

#[test]
fn broken_documents_fail_validation() {
    let validator = schemas::sarif();
    let valid = log(&two_platforms());
    assert!(schemas::violations(&validator, &valid).is_empty());

    let mut missing_required = valid.clone();
    missing_required.as_object_mut().unwrap().remove("version");
    assert!(!schemas::violations(&validator, &missing_required).is_empty());

    let mut bad_version = valid.clone();
    bad_version["version"] = json!("2.0.0");
    assert!(!schemas::violations(&validator, &bad_version).is_empty());

    let mut bad_level = valid.clone();
    bad_level["runs"][0]["results"][0]["level"] = json!("critical");
    assert!(!schemas::violations(&validator, &bad_level).is_empty());

    let mut no_message = valid.clone();
    no_message["runs"][0]["results"][0]
        .as_object_mut()
        .unwrap()
        .remove("message");
    assert!(!schemas::violations(&validator, &no_message).is_empty());

    let mut unknown_property = valid.clone();
    unknown_property["runs"][1]["tool"]["driver"]["rules"][0]["severity"] = json!("HIGH");
    assert!(!schemas::violations(&validator, &unknown_property).is_empty());

    // Deep inside a `$ref`ed definition, through `locations` → `physicalLocation` → `region`.
    let mut bad_line = valid.clone();
    bad_line["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] =
        json!(0);
    assert!(!schemas::violations(&validator, &bad_line).is_empty());

    // Format checking is on: a `helpUri` must be an absolute URI.
    let mut bad_uri = valid;
    bad_uri["runs"][0]["tool"]["driver"]["rules"][0]["helpUri"] = json!("not a uri");
    assert!(!schemas::violations(&validator, &bad_uri).is_empty());
}

#[test]
fn levels_follow_severity() {
    let log = log(&[fixture::report()]);
    let levels: Vec<(&str, &str)> = log["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["ruleId"].as_str().unwrap(), r["level"].as_str().unwrap()))
        .collect();
    assert_eq!(
        levels,
        [
            ("CVE-2026-1000", "error"),         // CRITICAL
            ("CVE-2023-45853", "error"),        // HIGH
            ("GHSA-9hjg-9r4m-mvj7", "warning"), // MEDIUM
            ("CVE-2026-1001", "note"),          // LOW
            ("GHSA-0000-node-0001", "note"),    // UNKNOWN
            ("GHSA-0000-node-0001", "note"),
        ]
    );
    let severities: Vec<Severity> = fixture::report()
        .findings
        .iter()
        .map(|f| f.severity)
        .collect();
    assert_eq!(
        severities,
        [
            Severity::Critical,
            Severity::High,
            Severity::Medium,
            Severity::Low,
            Severity::Unknown,
            Severity::Unknown
        ]
    );
}

#[test]
fn one_rule_per_vulnerability_id() {
    let log = log(&[fixture::report()]);
    let run = &log["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(ids, fixture::VULNERABILITY_IDS);

    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), 6);
    for result in results {
        let index = usize::try_from(result["ruleIndex"].as_u64().unwrap()).unwrap();
        assert_eq!(rules[index]["id"], result["ruleId"]);
    }
    // One advisory, two installations: one rule, two alerts told apart by path.
    let node: Vec<&Value> = results
        .iter()
        .filter(|r| r["ruleId"] == "GHSA-0000-node-0001")
        .collect();
    assert_eq!(node.len(), 2);
    let uri = |r: &Value| {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert_eq!(uri(node[0]), "app/node_modules/@types/node/package.json");
    assert_eq!(
        uri(node[1]),
        "app/packages/api/node_modules/@types/node/package.json"
    );
    assert_ne!(
        node[0]["partialFingerprints"],
        node[1]["partialFingerprints"]
    );
}

#[test]
fn rules_and_results_carry_what_github_shows() {
    let log = log(&[fixture::report()]);
    let run = &log["runs"][0];
    let critical = &run["tool"]["driver"]["rules"][0];
    assert_eq!(
        critical["shortDescription"]["text"],
        "openssl: use after free in SSL_free_buffers"
    );
    // The free-text reference is skipped for the first URL.
    assert_eq!(
        critical["helpUri"],
        "https://security-tracker.debian.org/tracker/CVE-2026-1000"
    );
    assert_eq!(critical["properties"]["security-severity"], "9.1");
    assert_eq!(
        critical["properties"]["tags"],
        json!(["security", "vulnerability", "CRITICAL"])
    );
    let medium = &run["tool"]["driver"]["rules"][2];
    assert_eq!(medium["properties"]["security-severity"], "5.3");
    assert_eq!(
        medium["properties"]["aliases"],
        json!(["CVE-2024-47081", "PYSEC-2025-49"])
    );

    let result = &run["results"][0];
    assert_eq!(
        result["message"]["text"],
        "Package libssl3 version 3.0.13-1~deb12u1 is affected by CVE-2026-1000 (CRITICAL); fixed in 3.0.15-1~deb12u1"
    );
    assert_eq!(
        result["locations"][0]["physicalLocation"]["artifactLocation"],
        json!({"uri": "var/lib/dpkg/status", "uriBaseId": "ROOTPATH"})
    );
    assert_eq!(
        result["properties"]["purl"],
        "pkg:deb/debian/libssl3@3.0.13-1~deb12u1?arch=amd64&distro=debian-12"
    );
    assert_eq!(
        result["properties"]["layerDiffId"],
        fixture::layer_ref(0).diff_id.as_str()
    );
    assert_eq!(run["originalUriBaseIds"]["ROOTPATH"]["uri"], "file:///");
}

#[test]
fn each_platform_is_its_own_run_and_category() {
    let log = log(&two_platforms());
    let runs = log["runs"].as_array().unwrap();
    let categories: Vec<&str> = runs
        .iter()
        .map(|r| r["automationDetails"]["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        categories,
        [
            "registry.example.com:5000/team/app/linux/arm64/v8/",
            "registry.example.com:5000/team/app/linux/amd64/"
        ]
    );
    assert_eq!(runs[1]["results"].as_array().unwrap().len(), 2);
    assert_eq!(
        runs[1]["tool"]["driver"]["rules"].as_array().unwrap().len(),
        2
    );
    assert_eq!(runs[0]["properties"]["platform"], "linux/arm64/v8");
    assert_eq!(runs[0]["properties"]["suppressed"], 1);
}
