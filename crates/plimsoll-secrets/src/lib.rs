//! Secret detection: credentials left in image files (cloud keys, tokens, private keys,
//! passwords in configuration files).
//!
//! [`SecretScanner`] is called by the layer analysis of `plimsoll-scan` on every regular file
//! ([`SecretScanner::wants`], a path and size test) and on the bytes of the files it wants
//! ([`SecretScanner::scan`]); [`SecretScanner::scan_env`] covers the image configuration's
//! `Env`. One Aho-Corasick pass finds every rule's keywords; only the rules hit run their regex,
//! on a bounded window, so the cost is linear in the file. Findings are
//! [`plimsoll_types::Secret`]s, redacted before they leave the crate. [`AllowList`] is applied
//! at report time. Depends on `plimsoll-types` only.
//!
//! ```
//! use plimsoll_secrets::SecretScanner;
//!
//! let scanner = SecretScanner::builtin();
//! assert!(scanner.wants("/root/.aws/credentials", 120));
//! let found = scanner.scan("/root/.aws/credentials", b"aws_access_key_id = AKIAIOSFODNN7EXAMPLE\n");
//! assert_eq!(found[0].rule, "aws-access-key-id");
//! assert_eq!(found[0].redacted, "AKIA****************");
//! ```

mod allow;
mod error;
mod paths;
mod redact;
mod rules;
mod scanner;

use plimsoll_types::Secret;

pub use crate::allow::AllowList;
pub use crate::error::{Error, Result};
pub use crate::paths::MAX_FILE_SIZE;

/// Finds credentials in file contents. Results are a pure function of (path, bytes) and
/// [`SecretScanner::VERSION`], so they are cached with a layer's facts; allow-lists are applied
/// later, at report time ([`AllowList`]).
#[derive(Debug)]
pub struct SecretScanner {
    compiled: scanner::Compiled,
}

impl Default for SecretScanner {
    fn default() -> Self {
        SecretScanner::new()
    }
}

impl SecretScanner {
    /// Output version: bump when rules change, so cached layer facts are recomputed. Version 1
    /// was the skeleton that found nothing; 2 is the first rule set (14 rules).
    pub const VERSION: u32 = 2;

    /// The built-in rule set.
    pub fn new() -> Self {
        SecretScanner {
            compiled: scanner::Compiled::new(),
        }
    }

    /// The built-in scanner, built once per process (rule compilation is not free).
    pub fn builtin() -> &'static SecretScanner {
        static SCANNER: std::sync::LazyLock<SecretScanner> =
            std::sync::LazyLock::new(SecretScanner::new);
        &SCANNER
    }

    /// The ids of the built-in rules (what [`AllowList::new`] accepts).
    pub fn rule_ids() -> impl Iterator<Item = &'static str> {
        rules::RULES.iter().map(|r| r.id)
    }

    /// Whether a file at `path` of `size` bytes is worth reading (a cheap path and size test):
    /// at most [`MAX_FILE_SIZE`] bytes, outside documentation, locale and package-database
    /// trees, not a compiled, compressed or media file.
    pub fn wants(&self, path: &str, size: u64) -> bool {
        paths::wants(path, size)
    }

    /// The secrets in one file, redacted, sorted by (line, rule); nothing for binary content
    /// (a NUL byte in the first 8 KiB).
    pub fn scan(&self, path: &str, bytes: &[u8]) -> Vec<Secret> {
        if scanner::is_binary(bytes) {
            return Vec::new();
        }
        self.compiled
            .scan(path, bytes, scanner::config_like(path), true)
    }

    /// The secrets in one `NAME=value` entry of the image configuration's `Env`, with path
    /// `config:ENV` and line 0; `*_PASSWORD=…` counts as a configuration setting.
    pub fn scan_env(&self, entry: &str) -> Vec<Secret> {
        self.compiled
            .scan(scanner::ENV_PATH, entry.as_bytes(), true, false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_entries() {
        let scanner = SecretScanner::builtin();
        let found = scanner.scan_env("POSTGRES_PASSWORD=k8Fq2mZx9wLp");
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].rule, "generic-password");
        assert_eq!(found[0].path, "config:ENV");
        assert_eq!(found[0].line, 0);
        assert_eq!(found[0].redacted, "k8F*********");
        let found = scanner.scan_env("AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE");
        assert_eq!(found[0].rule, "aws-access-key-id");
        let found =
            scanner.scan_env("AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
        assert_eq!(found[0].rule, "aws-secret-access-key");
        assert_eq!(found[0].redacted, "wJal****************");
        assert!(
            scanner
                .scan_env("PATH=/usr/local/sbin:/usr/local/bin")
                .is_empty()
        );
        assert!(
            scanner
                .scan_env("POSTGRES_PASSWORD_FILE=/run/secrets/db")
                .is_empty()
        );
    }

    #[test]
    fn binary_content_is_not_scanned() {
        let mut bytes = b"\x7fELF\0\0\0".to_vec();
        bytes.extend_from_slice(b" AKIAIOSFODNN7EXAMPLE ");
        assert!(
            SecretScanner::builtin()
                .scan("/usr/local/bin/tool", &bytes)
                .is_empty()
        );
    }
}
