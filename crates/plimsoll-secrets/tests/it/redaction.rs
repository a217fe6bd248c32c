//! No output field of any finding carries a planted secret: not whole, not any 8-character
//! piece of its secret part.

use crate::{planted_root, scan_tree};

/// The secret parts of the planted credentials: fixed fakes, and the base64 bodies of the
/// generated keys read from the fixtures.
fn planted_secrets() -> Vec<String> {
    let root = planted_root();
    let mut secrets: Vec<String> = [
        "AKIAIOSFODNN7EXAMPLE",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "Vq7mZ2pLx9Tr",
        "Fk9xQ2wPz7Lm",
        "ghp_FAKEfake0123456789FAKEfake0123456789",
        "glpat-FAKEfake0123456789xy",
        "xoxb-1234567890-1234567890123-FAKEfakeFAKEfakeFAKEfake",
        "https://hooks.slack.com/services/T0FAKE0001/B0FAKE0001/FAKEfakeFAKEfakeFAKEfake",
        "sk_live_FAKEfake0123456789FAKEfake",
        "AIzaFAKEfake0123456789FAKEfake012345678",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect();
    let config = fs_err::read_to_string(root.join("etc/app/config.yaml")).unwrap();
    let jwt = config
        .lines()
        .find_map(|l| l.trim().strip_prefix("service_token: "));
    secrets.push(jwt.unwrap().to_owned());
    let azure = fs_err::read_to_string(root.join("app/azure.conf")).unwrap();
    let key = azure.split("AccountKey=").nth(1).unwrap().split(';').next();
    secrets.push(key.unwrap().to_owned());
    for pem in [
        "etc/ssl/private/test-only-ec.key",
        "etc/ssl/private/test-only-rsa.pem",
        "home/app/.ssh/id_ed25519",
        "home/app/.ssh/id_rsa_encrypted",
    ] {
        let text = fs_err::read_to_string(root.join(pem)).unwrap();
        secrets.push(text.lines().filter(|l| !l.starts_with("-----")).collect());
    }
    let gcp = fs_err::read_to_string(root.join("app/gcp-service-account.json")).unwrap();
    let doc: serde_json::Value = serde_json::from_str(&gcp).unwrap();
    let key = doc["private_key"].as_str().unwrap();
    secrets.push(key.lines().filter(|l| !l.starts_with("-----")).collect());
    secrets
}

#[test]
fn no_output_field_contains_a_secret_or_a_piece_of_one() {
    let (found, _, _) = scan_tree(&planted_root());
    assert!(found.len() >= 17);
    let json = serde_json::to_string(&found).unwrap();
    for secret in planted_secrets() {
        assert!(secret.len() >= 8, "{secret}");
        assert!(!json.contains(&secret));
        let chars: Vec<char> = secret.chars().collect();
        for piece in chars.windows(8) {
            let piece: String = piece.iter().collect();
            // `FAKEfake` and the like repeat across fakes; every piece is checked all the same.
            assert!(
                !json.contains(&piece),
                "`{piece}` of a planted secret leaked"
            );
        }
    }
}
