//! Image configuration checks: weaknesses of how an image is set up to run, and of its
//! provenance, as [`ConfigFinding`]s with stable ids that ignore files and policies can name.
//!
//! | id | severity | finding |
//! |---|---|---|
//! | `PLM-CFG-001` | medium | runs as root (`User` empty, `root` or uid 0) |
//! | `PLM-CFG-002` | low | no `HEALTHCHECK` |
//! | `PLM-CFG-003` | medium | SSH port 22 exposed |
//! | `PLM-CFG-004` | low | other exposed ports (listed, for review) |
//! | `PLM-CFG-005` | high | a credential in `Env` (the secret scanner found one) |
//! | `PLM-CFG-006` | medium | an `Env` name that usually carries a credential (`*PASSWORD*`, `*SECRET*`, `*TOKEN*`, `*API_KEY*`) |
//! | `PLM-CFG-007` | low | tagged `latest`: what runs changes without notice (a pull by digest is fine) |
//! | `PLM-CFG-008` | low | older than the age limit (365 days by default) |
//! | `PLM-CFG-009` | low | no `org.opencontainers.image.source` label: the source cannot be traced |
//!
//! The checks are a pure function of the inventory (which carries the configuration facts and
//! the secrets), the tag and the time, so re-running them needs no registry. Severities follow
//! the common Dockerfile checks (Trivy's DS002/DS004/DS026, Docker's best practices), one notch
//! lower for root: most registry images run as root and the finding is for review, not alarm.
//!
//! ```
//! use plimsoll_checks::{CheckOptions, check_image};
//! # let image: plimsoll_types::ImageInventory = serde_json::from_str(r#"{"source":{"type":"registry","reference":"r/a:latest"},"manifest_digest":"sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855","config_digest":"sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855","platform":{"os":"linux","architecture":"amd64"},"layers":[],"packages":[],"config":{"user":"app"}}"#).unwrap();
//! let findings = check_image(&image, Some("latest"), time::OffsetDateTime::now_utc(), &CheckOptions::default());
//! assert!(findings.iter().any(|f| f.id == "PLM-CFG-007"));
//! assert!(!findings.iter().any(|f| f.id == "PLM-CFG-001"));
//! ```

use plimsoll_types::{ConfigFinding, ImageInventory, Severity};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Tunables of the checks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckOptions {
    /// Images older than this many days get `PLM-CFG-008`.
    pub max_age_days: u32,
}

impl Default for CheckOptions {
    fn default() -> Self {
        CheckOptions { max_age_days: 365 }
    }
}

/// Where secrets found in the configuration's `Env` are located (see `plimsoll-secrets`).
pub const ENV_LOCATION: &str = "config:ENV";

/// The configuration findings of `image` pulled as `tag` (`None`: by digest), at `now`.
/// An image without configuration facts (a stored inventory from before they were recorded)
/// gets only the tag and age checks.
pub fn check_image(
    image: &ImageInventory,
    tag: Option<&str>,
    now: OffsetDateTime,
    options: &CheckOptions,
) -> Vec<ConfigFinding> {
    let mut out = Vec::new();
    let mut add = |id: &str, severity, title: &str, detail: String| {
        out.push(ConfigFinding {
            id: id.into(),
            severity,
            title: title.into(),
            detail,
        });
    };
    if let Some(config) = &image.config {
        let user = config.user.as_deref().unwrap_or("");
        if runs_as_root(user) {
            let shown = if user.is_empty() { "not set" } else { user };
            add(
                "PLM-CFG-001",
                Severity::Medium,
                "Image runs as root",
                format!("User is {shown}: processes run as uid 0 unless the runtime overrides it"),
            );
        }
        if !config.healthcheck {
            add(
                "PLM-CFG-002",
                Severity::Low,
                "No health check",
                "no HEALTHCHECK is set: orchestrators cannot tell a hung container".into(),
            );
        }
        let ssh: Vec<&String> = config
            .exposed_ports
            .iter()
            .filter(|p| port_number(p) == Some(22))
            .collect();
        if !ssh.is_empty() {
            add(
                "PLM-CFG-003",
                Severity::Medium,
                "SSH port exposed",
                format!("exposes {}", join(&ssh)),
            );
        }
        let others: Vec<&String> = config
            .exposed_ports
            .iter()
            .filter(|p| port_number(p) != Some(22))
            .collect();
        if !others.is_empty() {
            add(
                "PLM-CFG-004",
                Severity::Low,
                "Exposed ports",
                format!("exposes {}", join(&others)),
            );
        }
        let suspicious: Vec<&String> = config
            .env_names
            .iter()
            .filter(|n| credential_name(n))
            .collect();
        if !suspicious.is_empty() {
            add(
                "PLM-CFG-006",
                Severity::Medium,
                "Environment variable named like a credential",
                format!(
                    "{} set in the image: anyone who pulls it can read the value",
                    join(&suspicious)
                ),
            );
        }
        if !config
            .labels
            .contains_key("org.opencontainers.image.source")
        {
            add(
                "PLM-CFG-009",
                Severity::Low,
                "No source label",
                "no org.opencontainers.image.source label: the image cannot be traced to its source".into(),
            );
        }
    }
    let env_secrets: Vec<&str> = image
        .secrets
        .iter()
        .filter(|s| s.path == ENV_LOCATION)
        .map(|s| s.rule.as_str())
        .collect();
    if !env_secrets.is_empty() {
        add(
            "PLM-CFG-005",
            Severity::High,
            "Credential in the image environment",
            format!(
                "Env holds {} credential(s) ({}); see the secrets section",
                env_secrets.len(),
                env_secrets.join(", ")
            ),
        );
    }
    if tag == Some("latest") {
        add(
            "PLM-CFG-007",
            Severity::Low,
            "Mutable tag",
            "tagged latest: what it points at changes without notice; pin a version or digest"
                .into(),
        );
    }
    if let Some(created) = image
        .created
        .as_deref()
        .and_then(|c| OffsetDateTime::parse(c, &Rfc3339).ok())
    {
        let days = (now - created).whole_days();
        if days > i64::from(options.max_age_days) {
            add(
                "PLM-CFG-008",
                Severity::Low,
                "Old image",
                format!(
                    "built {days} days ago (limit {}): it misses every fix since",
                    options.max_age_days
                ),
            );
        }
    }
    out
}

fn runs_as_root(user: &str) -> bool {
    let name = user.split_once(':').map_or(user, |(u, _)| u).trim();
    name.is_empty() || name == "root" || name == "0"
}

/// `8080/tcp` → 8080.
fn port_number(port: &str) -> Option<u16> {
    port.split('/').next()?.parse().ok()
}

fn credential_name(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    // Names that point at a credential rather than holding one (`*_FILE`, `*_PATH`) are fine:
    // that is the recommended way to pass secrets.
    if upper.ends_with("_FILE") || upper.ends_with("_PATH") || upper.ends_with("_DIR") {
        return false;
    }
    [
        "PASSWORD",
        "PASSWD",
        "SECRET",
        "TOKEN",
        "API_KEY",
        "APIKEY",
        "PRIVATE_KEY",
    ]
    .iter()
    .any(|w| upper.contains(w))
}

fn join(items: &[&String]) -> String {
    items
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use plimsoll_types::{Digest, ImageConfigFacts, ImageSource, Platform, Secret};
    use time::macros::datetime;

    use super::*;

    fn image(config: Option<ImageConfigFacts>, created: Option<&str>) -> ImageInventory {
        ImageInventory {
            source: ImageSource::Registry {
                reference: "r.example/app:1".into(),
            },
            manifest_digest: Digest::sha256_of(b"m"),
            index_digest: None,
            config_digest: Digest::sha256_of(b"c"),
            platform: Platform {
                os: "linux".into(),
                architecture: "amd64".into(),
                variant: None,
            },
            created: created.map(Into::into),
            os: None,
            layers: vec![],
            packages: vec![],
            config,
            secrets: vec![],
            warnings: vec![],
        }
    }

    fn ids(findings: &[ConfigFinding]) -> Vec<&str> {
        findings.iter().map(|f| f.id.as_str()).collect()
    }

    const NOW: OffsetDateTime = datetime!(2026-11-26 12:00 UTC);

    #[test]
    fn a_default_image_runs_as_root_without_health_check_or_source() {
        let f = check_image(
            &image(Some(ImageConfigFacts::default()), None),
            Some("1.0"),
            NOW,
            &CheckOptions::default(),
        );
        assert_eq!(ids(&f), ["PLM-CFG-001", "PLM-CFG-002", "PLM-CFG-009"]);
        assert!(f[0].detail.starts_with("User is not set"));
    }

    #[test]
    fn a_well_configured_image_has_no_findings() {
        let config = ImageConfigFacts {
            user: Some("10001:10001".into()),
            healthcheck: true,
            env_names: vec!["PATH".into(), "DB_PASSWORD_FILE".into()],
            labels: BTreeMap::from([(
                "org.opencontainers.image.source".into(),
                "https://example.invalid/app".into(),
            )]),
            ..ImageConfigFacts::default()
        };
        let f = check_image(
            &image(Some(config), Some("2026-10-01T00:00:00Z")),
            Some("1.4.2"),
            NOW,
            &CheckOptions::default(),
        );
        assert!(f.is_empty(), "{f:?}");
    }

    #[test]
    fn root_in_every_spelling() {
        for user in ["", "root", "0", "0:0", "root:root", " root"] {
            assert!(runs_as_root(user), "{user:?}");
        }
        for user in ["app", "1000", "nobody:nogroup", "rooted"] {
            assert!(!runs_as_root(user), "{user:?}");
        }
    }

    #[test]
    fn ports_env_names_tag_age_and_env_secrets() {
        let config = ImageConfigFacts {
            user: Some("app".into()),
            healthcheck: true,
            exposed_ports: vec!["22/tcp".into(), "8080/tcp".into(), "53/udp".into()],
            env_names: vec!["PATH".into(), "GITHUB_TOKEN".into(), "db_password".into()],
            labels: BTreeMap::from([("org.opencontainers.image.source".into(), "x".into())]),
            ..ImageConfigFacts::default()
        };
        let mut img = image(Some(config), Some("2024-01-01T00:00:00Z"));
        img.secrets.push(Secret {
            rule: "github-pat".into(),
            category: "GitHub".into(),
            title: "GitHub personal access token".into(),
            severity: Severity::Critical,
            path: ENV_LOCATION.into(),
            line: 0,
            redacted: "ghp_****".into(),
            layer: None,
            deleted_in_layer: None,
        });
        let f = check_image(&img, Some("latest"), NOW, &CheckOptions::default());
        assert_eq!(
            ids(&f),
            [
                "PLM-CFG-003",
                "PLM-CFG-004",
                "PLM-CFG-006",
                "PLM-CFG-005",
                "PLM-CFG-007",
                "PLM-CFG-008"
            ]
        );
        assert_eq!(f[0].detail, "exposes 22/tcp");
        assert_eq!(f[1].detail, "exposes 8080/tcp, 53/udp");
        assert!(f[2].detail.starts_with("GITHUB_TOKEN, db_password"));
        assert!(
            f[5].detail.starts_with("built 1060 days ago"),
            "{}",
            f[5].detail
        );
        // A tighter age limit; an unparsable date is no finding.
        let young = image(None, Some("2026-11-01T00:00:00Z"));
        assert_eq!(
            ids(&check_image(
                &young,
                None,
                NOW,
                &CheckOptions { max_age_days: 7 }
            )),
            ["PLM-CFG-008"]
        );
        let garbled = image(None, Some("yesterday"));
        assert!(check_image(&garbled, None, NOW, &CheckOptions::default()).is_empty());
    }
}
