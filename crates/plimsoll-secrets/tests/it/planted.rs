//! Every planted credential is found exactly once, with the right rule, line, path and
//! severity; the planted near misses (placeholders, source code) are not.

use plimsoll_types::Severity;

use crate::{keys, planted_root, scan_tree};

#[test]
fn each_planted_secret_is_found_once() {
    let (found, _, _) = scan_tree(&planted_root());
    let expected: Vec<(String, u32, String)> = [
        ("/app/.env", 3, "generic-password"),
        ("/app/.env", 4, "slack-webhook"),
        ("/app/azure.conf", 3, "azure-storage-account-key"),
        // The key inside is one finding, not also a bare `private-key`.
        (
            "/app/gcp-service-account.json",
            5,
            "gcp-service-account-key",
        ),
        // Line 6 (`PASSWORD = "…"` in Python) is code, not configuration.
        ("/app/settings.py", 8, "stripe-secret-key"),
        ("/app/settings.py", 9, "gcp-api-key"),
        // Lines 6 (`password_min_length`) and 7 (`""`) are near misses.
        ("/etc/app/config.yaml", 5, "generic-password"),
        ("/etc/app/config.yaml", 9, "github-token"),
        ("/etc/app/config.yaml", 11, "gitlab-token"),
        ("/etc/app/config.yaml", 13, "slack-token"),
        ("/etc/app/config.yaml", 15, "jwt"),
        ("/etc/ssl/private/test-only-ec.key", 1, "private-key"),
        ("/etc/ssl/private/test-only-rsa.pem", 1, "private-key"),
        ("/home/app/.ssh/id_ed25519", 1, "private-key"),
        ("/home/app/.ssh/id_rsa_encrypted", 1, "private-key"),
        ("/root/.aws/credentials", 2, "aws-access-key-id"),
        ("/root/.aws/credentials", 3, "aws-secret-access-key"),
    ]
    .into_iter()
    .map(|(p, l, r)| (p.to_owned(), l, r.to_owned()))
    .collect();
    assert_eq!(keys(&found), expected);
    for secret in &found {
        assert_eq!(secret.layer, None);
        assert_eq!(secret.deleted_in_layer, None);
    }
}

#[test]
fn severities_and_redaction_shapes() {
    let (found, _, _) = scan_tree(&planted_root());
    let get = |path: &str, rule: &str| {
        found
            .iter()
            .find(|s| s.path == path && s.rule == rule)
            .unwrap()
    };
    let encrypted = get("/home/app/.ssh/id_rsa_encrypted", "private-key");
    assert_eq!(encrypted.severity, Severity::Medium);
    assert_eq!(encrypted.title, "Private key (encrypted)");
    let plain = get("/home/app/.ssh/id_ed25519", "private-key");
    assert_eq!(plain.severity, Severity::High);
    assert_eq!(
        plain.redacted,
        "-----BEGIN OPENSSH PRIVATE KEY-----****************"
    );
    assert_eq!(
        get("/etc/ssl/private/test-only-rsa.pem", "private-key").redacted,
        "-----BEGIN RSA PRIVATE KEY-----****************"
    );
    let aws = get("/root/.aws/credentials", "aws-access-key-id");
    assert_eq!(aws.severity, Severity::Critical);
    assert_eq!(aws.category, "AWS");
    assert_eq!(aws.redacted, "AKIA****************");
    assert_eq!(
        get("/root/.aws/credentials", "aws-secret-access-key").redacted,
        "wJal****************"
    );
    assert_eq!(
        get("/app/gcp-service-account.json", "gcp-service-account-key").redacted,
        "-----BEGIN PRIVATE KEY-----****************"
    );
}
