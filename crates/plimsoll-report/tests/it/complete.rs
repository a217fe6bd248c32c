//! The complete inventory through the public API: secrets and configuration findings in every
//! vulnerability format, the layer and module views, and secrets only ever in redacted form.

use plimsoll_report::{
    Format, View, VulnFormat, write_inventory, write_view, write_vulnerability_reports,
};
use plimsoll_types::VulnerabilityReport;
use serde_json::Value;

use crate::{fixture, schemas};

fn render(format: VulnFormat, reports: &[VulnerabilityReport]) -> String {
    let mut out = Vec::new();
    write_vulnerability_reports(format, reports, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

fn view(view: View, reports: &[VulnerabilityReport]) -> String {
    let mut out = Vec::new();
    write_view(view, reports, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

/// The fixture's secrets are redacted to `AKIA` and 16 `*`. Every `AKIA` a report writes must be
/// followed by exactly that mask: no other form of the key (a longer prefix, the unmasked value)
/// may appear anywhere.
#[test]
fn secrets_appear_only_as_redacted() {
    const REDACTED: &str = "AKIA****************";
    let reports = [fixture::full_report()];
    let mut outputs: Vec<(String, String)> = VulnFormat::ALL
        .into_iter()
        .map(|format| (format.to_string(), render(format, &reports)))
        .collect();
    let mut inventory = Vec::new();
    write_inventory(Format::Json, &reports[0].image, &mut inventory).unwrap();
    outputs.push((
        "inventory json".to_owned(),
        String::from_utf8(inventory).unwrap(),
    ));
    for (name, text) in outputs {
        let occurrences = text.matches("AKIA").count();
        assert!(occurrences >= 2, "{name}: both secrets shown");
        assert_eq!(
            text.matches(REDACTED).count(),
            occurrences,
            "{name}: a form other than the redacted one:\n{text}"
        );
        assert!(
            !text.contains(&format!("{REDACTED}*")),
            "{name}: the mask is exactly what the scanner wrote"
        );
    }
}

#[test]
fn sarif_with_secrets_and_configuration_validates() {
    let validator = schemas::sarif();
    let mut amd64 = fixture::full_report();
    amd64.image.platform = "linux/amd64".parse().unwrap();
    amd64.findings.clear();
    let log: Value =
        serde_json::from_str(&render(VulnFormat::Sarif, &[fixture::full_report(), amd64])).unwrap();
    let violations = schemas::violations(&validator, &log);
    assert!(violations.is_empty(), "{violations:#?}");
    let run = &log["runs"][0];
    let rule_ids: Vec<&str> = run["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        rule_ids[fixture::VULNERABILITY_IDS.len()..],
        ["secret/aws-access-key-id", "PLM-CFG-001", "PLM-CFG-005"]
    );
    // Two secrets of one rule: one rule, two results.
    assert_eq!(run["results"].as_array().unwrap().len(), 6 + 2 + 2);
    let second = &log["runs"][1];
    assert_eq!(second["results"].as_array().unwrap().len(), 4);
    assert_eq!(second["results"][0]["ruleIndex"], 0);
}

#[test]
fn json_carries_configuration_findings_and_summaries() {
    let doc: Value =
        serde_json::from_str(&render(VulnFormat::Json, &[fixture::full_report()])).unwrap();
    let report = &doc["reports"][0];
    assert_eq!(report["config_findings"][1]["id"], "PLM-CFG-005");
    assert_eq!(report["image"]["secrets"][0]["deleted_in_layer"], 2);
    assert!(report.get("secrets").is_none(), "secrets stay in the image");
    let per_layer: Vec<u64> = report["layer_findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["findings"].as_u64().unwrap())
        .collect();
    assert_eq!(per_layer, [3, 3, 0]);
    let modules = report["modules"].as_array().unwrap();
    assert_eq!(modules.len(), fixture::PACKAGE_NAMES.len());
    assert_eq!(modules[1]["name"], "libssl3");
    assert_eq!(modules[1]["worst_severity"], "CRITICAL");
    assert_eq!(modules[1]["severity_counts"]["LOW"], 1);
    // The two findings of the `@types/node` installs name one fixed version each, the same.
    assert_eq!(modules[4]["fixed_version"], "20.11.6");
    let back: Vec<VulnerabilityReport> = serde_json::from_value(doc["reports"].clone()).unwrap();
    assert_eq!(back, [fixture::full_report()]);
}

#[test]
fn table_lists_secrets_and_configuration() {
    let text = render(VulnFormat::Table, &[fixture::full_report()]);
    assert!(text.contains("\nSecrets: 2 (CRITICAL: 2)\n"), "{text}");
    assert!(
        text.contains("/app/.env:2  1      AKIA****************"),
        "{text}"
    );
    assert!(
        text.contains("deleted in layer 2, still in the image's layer blob"),
        "{text}"
    );
    assert!(
        text.contains("\nConfiguration: 2 (HIGH: 1, MEDIUM: 1)\n"),
        "{text}"
    );
    assert!(text.lines().all(|l| !l.ends_with(' ')));
}

#[test]
fn layer_view_attributes_findings_to_the_base_image() {
    let text = view(View::Layers, &[fixture::full_report()]);
    assert!(
        text.ends_with(
            "\n3 of 6 findings come from the base image (layer 0), 3 from the layers on top\n"
        ),
        "{text}"
    );
    let row = |index: &str| {
        text.lines()
            .find(|l| l.split_whitespace().next() == Some(index))
            .unwrap()
            .to_owned()
    };
    assert!(
        row("0").starts_with("0      base  27.7 MiB  76.3 MiB"),
        "{text}"
    );
    assert!(row("0").ends_with("ADD file:e4b1 in /"), "{text}");
    assert!(row("1").contains("+1 (requests 2.32.3)"), "{text}");
    assert!(row("2").contains("120 B"), "{text}");
    assert!(text.lines().all(|l| !l.ends_with(' ')));
}

#[test]
fn module_view_ranks_packages() {
    let text = view(View::Modules, &[fixture::full_report()]);
    assert!(text.contains("\nPackages: 13 (5 vulnerable)\n"), "{text}");
    let names: Vec<&str> = text
        .lines()
        .skip_while(|l| !l.starts_with("TYPE "))
        .skip(1)
        .map(|l| l.split_whitespace().nth(1).unwrap())
        .collect();
    assert_eq!(names.len(), 13);
    assert_eq!(
        names[..5],
        [
            "libssl3",
            "zlib1g",
            "requests",
            "@types/node",
            "@types/node"
        ]
    );
    assert!(text.lines().all(|l| !l.ends_with(' ')));
}

#[test]
fn view_names_parse() {
    assert_eq!("layers".parse::<View>().unwrap(), View::Layers);
    assert_eq!("modules".parse::<View>().unwrap(), View::Modules);
    assert!("table".parse::<View>().is_err());
}
