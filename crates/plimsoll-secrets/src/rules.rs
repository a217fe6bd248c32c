//! The built-in rule table. Every rule is a keyword set for the prefilter, a regex run only on
//! the window around a keyword hit, and an optional post-check that rejects look-alikes the
//! regex alone cannot (placeholders, JWT headers that are not JSON, key bodies that are `...`).
//!
//! Each regex has a `secret` group: the part that is redacted and deduplicated. Patterns are
//! compiled with Unicode off (`\b`, classes and `(?i)` are ASCII), since files are bytes and the
//! ASCII forms keep the regex crate on its DFA.

use plimsoll_types::Severity;

/// Which bytes around a keyword hit a rule's regex sees.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Window {
    /// The hit's line (bounded on very long lines, e.g. minified bundles).
    Line,
    /// From `before` bytes ahead of the hit (0: the hit's line start) to `after` bytes past it,
    /// for values that span lines (PEM blocks, JSON key files).
    Block { before: usize, after: usize },
}

/// Which files a rule applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scope {
    /// Any text file.
    AnyFile,
    /// Configuration-like files only (and `ENV` entries): `password = …` in source code is
    /// mostly a form field, a test or a variable name.
    ConfigFiles,
}

/// The post-check a match must pass (see `scanner.rs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Check {
    /// The regex is precise enough.
    None,
    /// A random-looking value: upper case, lower case and a digit or `/`/`+` (a real key of 40
    /// base64 characters lacks one of them with a probability below 1e-3; words do not).
    Random,
    /// A PEM/OpenSSH/PGP block with a real body; encrypted keys are downgraded.
    PrivateKey,
    /// A JWT whose header decodes to a JSON object with an `alg` other than `none`.
    Jwt,
    /// A configuration value that is not a placeholder, a variable or a code reference.
    Password,
}

/// One detection rule.
#[derive(Debug)]
pub(crate) struct Rule {
    /// Stable id (allow-lists and policies use it).
    pub(crate) id: &'static str,
    /// Credential family (`AWS`, `GitHub`, `PrivateKey`, `Generic`).
    pub(crate) category: &'static str,
    /// Human title.
    pub(crate) title: &'static str,
    /// How bad a leak is.
    pub(crate) severity: Severity,
    /// Literals (case-sensitive: every spelling in use is listed) of which one must occur for
    /// the regex to run.
    pub(crate) keywords: &'static [&'static str],
    /// The regex, with a `secret` group.
    pub(crate) pattern: &'static str,
    /// A second regex that must also match in the window (the GCP key file's `type`).
    pub(crate) context: Option<&'static str>,
    /// The bytes the regex sees.
    pub(crate) window: Window,
    /// The files the rule applies to.
    pub(crate) scope: Scope,
    /// The post-check.
    pub(crate) check: Check,
    /// Rules whose finding on the same line this one replaces (one key, one finding).
    pub(crate) supersedes: &'static [&'static str],
    /// Redact as a private key: keep the `-----BEGIN … PRIVATE KEY-----` line.
    pub(crate) pem: bool,
}

/// Base of a rule: the fields most rules share.
const BASE: Rule = Rule {
    id: "",
    category: "",
    title: "",
    severity: Severity::High,
    keywords: &[],
    pattern: "",
    context: None,
    window: Window::Line,
    scope: Scope::AnyFile,
    check: Check::None,
    supersedes: &[],
    pem: false,
};

/// Bytes a PEM block may span: an 8192-bit RSA key is ~6.5 KB, a PGP secret key block with
/// subkeys ~10 KB.
const PEM_REACH: usize = 32 * 1024;

/// The rule set. Order does not matter: output is sorted by (line, rule).
pub(crate) const RULES: &[Rule] = &[
    Rule {
        id: "aws-access-key-id",
        category: "AWS",
        title: "AWS access key ID",
        severity: Severity::Critical,
        keywords: &["AKIA", "ASIA"],
        // Long-term (AKIA) and temporary (ASIA) key ids: 16 characters of AWS's base32 alphabet.
        pattern: r"\b(?P<secret>(?:AKIA|ASIA)[A-Z2-7]{16})\b",
        ..BASE
    },
    Rule {
        id: "aws-secret-access-key",
        category: "AWS",
        title: "AWS secret access key",
        severity: Severity::Critical,
        keywords: &[
            "aws_secret",
            "AWS_SECRET",
            "aws-secret",
            "AWS-SECRET",
            "awssecret",
            "AWSSECRET",
            "awsSecret",
            "AwsSecret",
            "secret_access_key",
            "SECRET_ACCESS_KEY",
            "secret-access-key",
            "secretaccesskey",
            "secretAccessKey",
            "SecretAccessKey",
        ],
        // 40 base64 characters alone are everywhere (hashes, git objects in base64); only the
        // value of a secret-key setting is one.
        pattern: r#"(?i)(?:aws[_-]?secret[_-]?(?:access[_-]?)?key|secret[_-]?access[_-]?key)["']?[ \t]*(?:=>|:=|=|:)[ \t]*["']?(?P<secret>[A-Za-z0-9/+]{40})(?:[^A-Za-z0-9/+=]|$)"#,
        check: Check::Random,
        ..BASE
    },
    Rule {
        id: "gcp-service-account-key",
        category: "GCP",
        title: "GCP service account private key",
        severity: Severity::Critical,
        keywords: &["service_account"],
        pattern: r#""private_key"[ \t\r\n]*:[ \t\r\n]*"(?P<secret>-----BEGIN [A-Z ]*PRIVATE KEY-----(?:\\n|[A-Za-z0-9+/=])+-----END [A-Z ]*PRIVATE KEY-----)"#,
        context: Some(r#""type"[ \t\r\n]*:[ \t\r\n]*"service_account""#),
        // Google writes `type` first and `private_key` a few hundred bytes later; other tools
        // may reorder the keys of this ~2.3 KB document.
        window: Window::Block {
            before: 8 * 1024,
            after: 8 * 1024,
        },
        check: Check::PrivateKey,
        supersedes: &["private-key"],
        pem: true,
        ..BASE
    },
    Rule {
        id: "gcp-api-key",
        category: "GCP",
        title: "Google API key",
        keywords: &["AIza"],
        pattern: r"\b(?P<secret>AIza[0-9A-Za-z_-]{35})(?:[^0-9A-Za-z_-]|$)",
        ..BASE
    },
    Rule {
        id: "azure-storage-account-key",
        category: "Azure",
        title: "Azure storage account key",
        severity: Severity::Critical,
        keywords: &["AccountKey=", "accountkey=", "ACCOUNTKEY="],
        // A storage key is 64 random bytes: 86 base64 characters and `==`. Connection strings
        // (`DefaultEndpointsProtocol=…;AccountName=…;AccountKey=…`) carry it the same way.
        pattern: r"(?i)AccountKey=(?P<secret>[A-Za-z0-9+/]{86}==)",
        ..BASE
    },
    Rule {
        id: "github-token",
        category: "GitHub",
        title: "GitHub token",
        severity: Severity::Critical,
        keywords: &["ghp_", "gho_", "ghu_", "ghs_", "ghr_"],
        // Personal, OAuth, user-to-server, server-to-server and refresh tokens: prefix and 36
        // base62 characters (the last six a checksum).
        pattern: r"\b(?P<secret>gh[pousr]_[A-Za-z0-9]{36})\b",
        ..BASE
    },
    Rule {
        id: "github-fine-grained-token",
        category: "GitHub",
        title: "GitHub fine-grained personal access token",
        severity: Severity::Critical,
        keywords: &["github_pat_"],
        pattern: r"\b(?P<secret>github_pat_[A-Za-z0-9_]{82})\b",
        ..BASE
    },
    Rule {
        id: "gitlab-token",
        category: "GitLab",
        title: "GitLab personal access token",
        severity: Severity::Critical,
        keywords: &["glpat-"],
        pattern: r"\b(?P<secret>glpat-[A-Za-z0-9_.-]{20,})",
        ..BASE
    },
    Rule {
        id: "slack-token",
        category: "Slack",
        title: "Slack token",
        keywords: &["xoxb-", "xoxa-", "xoxp-", "xoxr-", "xoxs-"],
        // Numeric team/user ids after the prefix: `xoxb-your-token-here` is not a token.
        pattern: r"\b(?P<secret>xox[baprs]-[0-9]{6,13}-[0-9A-Za-z-]{10,250})",
        ..BASE
    },
    Rule {
        id: "slack-webhook",
        category: "Slack",
        title: "Slack incoming webhook",
        severity: Severity::Medium,
        keywords: &["hooks.slack.com"],
        pattern: r"(?P<secret>https://hooks\.slack\.com/(?:services|workflows)/T[A-Z0-9]{6,12}/[A-Z0-9]{6,12}/[A-Za-z0-9]{20,})",
        ..BASE
    },
    Rule {
        id: "stripe-secret-key",
        category: "Stripe",
        title: "Stripe live secret key",
        severity: Severity::Critical,
        keywords: &["sk_live_", "rk_live_"],
        // Live secret and restricted keys; `sk_test_` keys move no money and are left out.
        pattern: r"\b(?P<secret>[sr]k_live_[0-9A-Za-z]{24,247})\b",
        ..BASE
    },
    Rule {
        id: "private-key",
        category: "PrivateKey",
        title: "Private key",
        keywords: &["PRIVATE KEY"],
        // PKCS#1 (RSA), SEC1 (EC), DSA, PKCS#8 (plain and ENCRYPTED), OpenSSH and PGP blocks,
        // also inside JSON/YAML strings (`\n` escapes). The body is checked in `scanner.rs`.
        pattern: r"(?P<secret>-----BEGIN (?:[A-Z0-9]+ ){0,3}PRIVATE KEY(?: BLOCK)?-----(?s:.)*?-----END (?:[A-Z0-9]+ ){0,3}PRIVATE KEY(?: BLOCK)?-----)",
        window: Window::Block {
            before: 0,
            after: PEM_REACH,
        },
        check: Check::PrivateKey,
        pem: true,
        ..BASE
    },
    Rule {
        id: "jwt",
        category: "JWT",
        title: "JSON Web Token",
        severity: Severity::Medium,
        keywords: &["eyJ"],
        // Header and payload are base64url JSON objects (`{"` encodes as `eyJ`); unsigned
        // tokens (empty signature) grant nothing and are left out.
        pattern: r"\b(?P<secret>eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{16,})",
        check: Check::Jwt,
        ..BASE
    },
    Rule {
        id: "generic-password",
        category: "Generic",
        title: "Password in configuration file",
        severity: Severity::Medium,
        keywords: &[
            "password", "Password", "PASSWORD", "passwd", "Passwd", "PASSWD",
        ],
        // A key ending in password/passwd (`db_password`, `spring.datasource.password`,
        // `POSTGRES_PASSWORD`), then `=`, `:`, `:=` or `=>`, then a quoted or bare value.
        // `password_file: …` and `password_min_length = …` do not end in the keyword; a key
        // cannot start with `-`, so command-line flags quoted in configuration files
        // (`--admin-password=…` in google-cloud-sdk's command docs) are not settings.
        pattern: r#"(?i)(?:^|[^A-Za-z0-9_.-])(?:[A-Za-z0-9_][A-Za-z0-9_.-]*)?(?:password|passwd)["']?[ \t]*(?:=>|:=|=|:)[ \t]*(?P<secret>"[^"\r\n]*"|'[^'\r\n]*'|[^ \t\r\n"',;#}\]]+)"#,
        scope: Scope::ConfigFiles,
        check: Check::Password,
        ..BASE
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_every_rule_is_complete() {
        let mut ids: Vec<&str> = RULES.iter().map(|r| r.id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), RULES.len());
        for rule in RULES {
            assert!(!rule.keywords.is_empty(), "{}", rule.id);
            assert!(rule.pattern.contains("(?P<secret>"), "{}", rule.id);
            assert!(
                !rule.title.is_empty() && !rule.category.is_empty(),
                "{}",
                rule.id
            );
        }
    }
}
