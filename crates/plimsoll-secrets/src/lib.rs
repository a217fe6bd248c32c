//! Secret detection: credentials left in image files (cloud keys, tokens, private keys,
//! passwords in configuration files).
//!
//! Skeleton: the rule set and the scanner are filled in by the secrets work of issue 5.

use plimsoll_types::Secret;

/// Finds credentials in file contents. Results are a pure function of (path, bytes) and
/// [`SecretScanner::VERSION`], so they are cached with a layer's facts; allow-lists are applied
/// later, at report time ([`AllowList`]).
#[derive(Debug, Default)]
pub struct SecretScanner {}

impl SecretScanner {
    /// Output version: bump when rules change, so cached layer facts are recomputed.
    pub const VERSION: u32 = 1;

    /// The built-in rule set.
    pub fn new() -> Self {
        SecretScanner {}
    }

    /// The built-in scanner, built once per process (rule compilation is not free).
    pub fn builtin() -> &'static SecretScanner {
        static SCANNER: std::sync::LazyLock<SecretScanner> =
            std::sync::LazyLock::new(SecretScanner::new);
        &SCANNER
    }

    /// Whether a file at `path` of `size` bytes is worth reading (a cheap path and size test).
    pub fn wants(&self, path: &str, size: u64) -> bool {
        let _ = (path, size);
        false
    }

    /// The secrets in one file, redacted, sorted by (line, rule).
    pub fn scan(&self, path: &str, bytes: &[u8]) -> Vec<Secret> {
        let _ = (path, bytes);
        Vec::new()
    }

    /// The secrets in one `NAME=value` entry of the image configuration's `Env`.
    pub fn scan_env(&self, entry: &str) -> Vec<Secret> {
        let _ = entry;
        Vec::new()
    }
}

/// Findings a user has accepted, by rule id or path glob; applied at report time.
#[derive(Debug, Default, Clone)]
pub struct AllowList {}

impl AllowList {
    /// Whether `secret` is allowed (left out of reports).
    pub fn allows(&self, secret: &Secret) -> bool {
        let _ = secret;
        false
    }
}
