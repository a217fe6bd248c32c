//! Oracle: Yelp's `detect-secrets` 1.5.0 (`$PLIMSOLL_TOOLS_DETECT_SECRETS`, installed by
//! `scripts/tools/secrets.sh`) scans the planted tree; for every credential kind both tools
//! know, they must report the same (file, line) pairs.

use std::collections::BTreeSet;
use std::process::Command;

use crate::{planted_root, scan_tree};

/// Our rule → detect-secrets' finding type. `gcp-api-key` and `generic-password` have no
/// counterpart (its `Secret Keyword` plugin flags any `secret`/`token`/`password` key in any
/// file, a different rule), so they are left out of the comparison.
fn oracle_type(rule: &str) -> Option<&'static str> {
    Some(match rule {
        "aws-access-key-id" | "aws-secret-access-key" => "AWS Access Key",
        "azure-storage-account-key" => "Azure Storage Account access key",
        "private-key" | "gcp-service-account-key" => "Private Key",
        "github-token" | "github-fine-grained-token" => "GitHub Token",
        "gitlab-token" => "GitLab Token",
        "slack-token" | "slack-webhook" => "Slack Token",
        "stripe-secret-key" => "Stripe Access Key",
        "jwt" => "JSON Web Token",
        _ => return None,
    })
}

#[test]
fn planted_findings_match_detect_secrets() {
    let Ok(tool) = std::env::var("PLIMSOLL_TOOLS_DETECT_SECRETS") else {
        eprintln!("skipped: PLIMSOLL_TOOLS_DETECT_SECRETS is not set (scripts/tools/secrets.sh)");
        return;
    };
    let root = planted_root();
    let output = Command::new(&tool)
        .args(["scan", "--all-files", "."])
        .current_dir(&root)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let known: BTreeSet<&str> = [
        "aws-access-key-id",
        "azure-storage-account-key",
        "private-key",
        "github-token",
        "gitlab-token",
        "slack-token",
        "stripe-secret-key",
        "jwt",
    ]
    .iter()
    .filter_map(|r| oracle_type(r))
    .collect();
    let mut theirs = BTreeSet::new();
    for (file, results) in report["results"].as_object().unwrap() {
        for result in results.as_array().unwrap() {
            let kind = result["type"].as_str().unwrap();
            if known.contains(kind) {
                let line = result["line_number"].as_u64().unwrap();
                theirs.insert((format!("/{file}"), line, kind.to_owned()));
            }
        }
    }
    let (found, _, _) = scan_tree(&root);
    let ours: BTreeSet<(String, u64, String)> = found
        .iter()
        .filter_map(|s| {
            oracle_type(&s.rule).map(|kind| (s.path.clone(), u64::from(s.line), kind.to_owned()))
        })
        .collect();
    assert_eq!(ours, theirs);
    assert!(ours.len() >= 13);
}
