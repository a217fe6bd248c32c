//! The scan: one Aho-Corasick pass over a file for every rule's keywords, then each hit rule's
//! regex over a bounded window around the hit, then the rule's post-check.
//!
//! Cost is linear in the file: the keyword pass is one automaton walk, the regex crate matches
//! in linear time, and a window is bounded (a line is cut at [`LINE_BACK`]/[`LINE_AHEAD`] bytes
//! around the hit, a block at the rule's reach), so a minified bundle with one huge line does
//! not make every hit rescan the whole line. A rule is not rerun on a window already covered.

use std::collections::HashSet;

use aho_corasick::{AhoCorasick, MatchKind};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use plimsoll_types::{Secret, Severity};
use regex::bytes::{Regex, RegexBuilder};

use crate::paths;
use crate::redact;
use crate::rules::{Check, RULES, Rule, Scope, Window};

/// Bytes a line window reaches back from a keyword hit (keys precede values by a little).
const LINE_BACK: usize = 256;
/// Bytes a line window reaches past a keyword hit (a JWT can run to a few KB).
const LINE_AHEAD: usize = 8 * 1024;
/// A hit inside the previous line window of its rule is skipped when that window reached this
/// far past it: on a long line full of keywords each regex run then covers at least this much
/// new text (bounding the work to ~3x the line), and a match up to this long is still whole.
const LINE_MARGIN: usize = LINE_AHEAD / 2;
/// Leading bytes tested for a NUL: binary content is not scanned (as git and grep decide).
const BINARY_PROBE: usize = 8 * 1024;
/// Path given to findings in the image configuration's environment.
pub(crate) const ENV_PATH: &str = "config:ENV";

/// Compiled rule set.
#[derive(Debug)]
pub(crate) struct Compiled {
    keywords: AhoCorasick,
    /// Rules (indices into [`RULES`]) per keyword pattern id.
    keyword_rules: Vec<Vec<usize>>,
    regexes: Vec<Regex>,
    contexts: Vec<Option<Regex>>,
}

impl Compiled {
    /// Compiles [`RULES`].
    ///
    /// The rules are constants checked by the unit tests, so a compile failure here is a
    /// programming error, not an input error.
    #[allow(clippy::expect_used)]
    pub(crate) fn new() -> Compiled {
        let mut patterns: Vec<String> = Vec::new();
        let mut keyword_rules: Vec<Vec<usize>> = Vec::new();
        for (index, rule) in RULES.iter().enumerate() {
            for keyword in rule.keywords {
                if let Some(at) = patterns.iter().position(|p| p == keyword) {
                    keyword_rules[at].push(index);
                } else {
                    patterns.push((*keyword).to_owned());
                    keyword_rules.push(vec![index]);
                }
            }
        }
        // Case-sensitive and leftmost-first: that is what lets aho-corasick use its SIMD
        // (Teddy) prefilter. Measured on the harness's Python site-packages: 4.3 GB/s, against
        // 0.4 GB/s for the ASCII-case-insensitive or overlapping (`Standard`) automaton, which
        // run byte by byte. Spellings are listed in the rules instead.
        let keywords = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostFirst)
            .build(&patterns)
            .expect("invariant: a few dozen short keywords build an automaton");
        let build = |pattern: &str| {
            RegexBuilder::new(pattern)
                .unicode(false)
                .build()
                .expect("invariant: the built-in patterns compile (tested)")
        };
        Compiled {
            keywords,
            keyword_rules,
            regexes: RULES.iter().map(|r| build(r.pattern)).collect(),
            contexts: RULES.iter().map(|r| r.context.map(build)).collect(),
        }
    }

    /// The findings in `bytes`, sorted by (line, rule). `config_like` enables the rules scoped
    /// to configuration files; without `line_oriented` every line is reported as 0.
    pub(crate) fn scan(
        &self,
        path: &str,
        bytes: &[u8],
        config_like: bool,
        line_oriented: bool,
    ) -> Vec<Secret> {
        let mut last_window: Vec<Option<(usize, usize)>> = vec![None; RULES.len()];
        // End of each rule's last match: a hit inside it (a PEM block's END line) is done.
        let mut matched_until = vec![0; RULES.len()];
        let mut seen: HashSet<(usize, usize, usize)> = HashSet::new();
        let mut found: Vec<(usize, Secret)> = Vec::new();
        let mut lines = LineIndex::new(bytes);
        // Non-overlapping hits: a keyword overlapping another one's hit is not reported, but
        // a rule's regex sees the whole line of any hit, and no rule needs a second keyword.
        for hit in self.keywords.find_iter(bytes) {
            for &index in &self.keyword_rules[hit.pattern().as_usize()] {
                let rule = &RULES[index];
                if rule.scope == Scope::ConfigFiles && !config_like {
                    continue;
                }
                if hit.start() < matched_until[index] {
                    continue;
                }
                let (start, end, cut) = window(bytes, hit.start(), hit.end(), rule.window);
                if let Some((done_start, done_end)) = last_window[index] {
                    let covered = start >= done_start && end <= done_end;
                    let line_covered = matches!(rule.window, Window::Line)
                        && hit.start() >= done_start
                        && hit.end() + LINE_MARGIN <= done_end;
                    if covered || line_covered {
                        continue;
                    }
                }
                last_window[index] = Some((start, end));
                let haystack = &bytes[start..end];
                if let Some(context) = &self.contexts[index]
                    && !context.is_match(haystack)
                {
                    continue;
                }
                for captures in self.regexes[index].captures_iter(haystack) {
                    let (Some(whole), Some(group)) = (captures.get(0), captures.name("secret"))
                    else {
                        continue;
                    };
                    // A match running into a cut window end may be a truncated value; the
                    // window of a later hit sees it whole.
                    if cut && whole.end() == haystack.len() {
                        continue;
                    }
                    matched_until[index] = matched_until[index].max(start + whole.end());
                    let Some(accepted) = check(rule.check, group.as_bytes()) else {
                        continue;
                    };
                    let value_start = start + group.start() + accepted.start;
                    let value_end = start + group.start() + accepted.end;
                    if !seen.insert((index, value_start, value_end)) {
                        continue;
                    }
                    let line = if line_oriented {
                        lines.line_of(value_start)
                    } else {
                        0
                    };
                    let value = String::from_utf8_lossy(&bytes[value_start..value_end]);
                    found.push((index, finding(rule, path, line, &value, accepted.encrypted)));
                }
            }
        }
        let mut secrets = supersede(found);
        secrets.sort_by(|a, b| (a.line, &a.rule).cmp(&(b.line, &b.rule)));
        secrets
    }
}

/// Whether the content is binary: a NUL in the first [`BINARY_PROBE`] bytes.
pub(crate) fn is_binary(bytes: &[u8]) -> bool {
    // memchr's SIMD search: the std `contains` was 8 % of the scan's time on small files.
    memchr::memchr(0, &bytes[..bytes.len().min(BINARY_PROBE)]).is_some()
}

/// The window `[start, end)` a rule's regex sees for a keyword hit at `[hit, hit_end)`, and
/// whether its end cuts a line short (rather than ending at a newline or the file's end).
fn window(bytes: &[u8], hit: usize, hit_end: usize, shape: Window) -> (usize, usize, bool) {
    let line_start = || {
        let floor = hit.saturating_sub(LINE_BACK);
        memchr::memrchr(b'\n', &bytes[floor..hit]).map_or(floor, |at| floor + at + 1)
    };
    match shape {
        Window::Line => {
            let ceiling = bytes.len().min(hit_end + LINE_AHEAD);
            let newline = memchr::memchr(b'\n', &bytes[hit_end..ceiling]);
            let end = newline.map_or(ceiling, |at| hit_end + at);
            (
                line_start(),
                end,
                newline.is_none() && ceiling < bytes.len(),
            )
        }
        Window::Block { before, after } => {
            let start = if before == 0 {
                line_start()
            } else {
                hit.saturating_sub(before)
            };
            let end = bytes.len().min(hit + after);
            (start, end, end < bytes.len())
        }
    }
}

/// A match that passed its rule's check: the secret's span inside the `secret` group, and
/// whether it is an encrypted key.
struct Accepted {
    start: usize,
    end: usize,
    encrypted: bool,
}

impl Accepted {
    fn whole(value: &[u8]) -> Accepted {
        Accepted {
            start: 0,
            end: value.len(),
            encrypted: false,
        }
    }
}

fn check(check: Check, value: &[u8]) -> Option<Accepted> {
    match check {
        Check::None => Some(Accepted::whole(value)),
        Check::Random => looks_random(value).then(|| Accepted::whole(value)),
        Check::PrivateKey => private_key(value).map(|encrypted| Accepted {
            encrypted,
            ..Accepted::whole(value)
        }),
        Check::Jwt => jwt(value).then(|| Accepted::whole(value)),
        Check::Password => password(value),
    }
}

fn looks_random(value: &[u8]) -> bool {
    value.iter().any(u8::is_ascii_uppercase)
        && value.iter().any(u8::is_ascii_lowercase)
        && value
            .iter()
            .any(|b| b.is_ascii_digit() || *b == b'/' || *b == b'+')
}

/// Whether a PEM-style block has a real key body; `Some(true)` when the key is encrypted.
///
/// The body (JSON `\n` escapes read as newlines, `Name: value` header lines skipped) must be
/// base64 only and at least 60 characters (a PKCS#8 Ed25519 key, the smallest, is 64), so
/// documentation such as `MIIE...` or `<your key here>` is not a key. Encrypted: a PKCS#8
/// `ENCRYPTED PRIVATE KEY`, a legacy PEM `Proc-Type: 4,ENCRYPTED` header, or an `OpenSSH` key
/// whose cipher is not `none`. PGP blocks are not decoded, so they always count as plain.
fn private_key(block: &[u8]) -> Option<bool> {
    let text = std::str::from_utf8(block).ok()?.replace("\\n", "\n");
    let header_end = text.find("-----\n").or_else(|| text.find("-----\r\n"))?;
    let header = &text[..header_end];
    let body_end = text.rfind("-----END ")?;
    let body = text.get(header_end + 5..body_end)?;
    let mut base64 = String::new();
    let mut headers_encrypted = false;
    for line in body.lines().map(str::trim) {
        if line.contains(':') {
            headers_encrypted |= line.contains("ENCRYPTED");
            continue;
        }
        // PGP armor checksum line (`=AbCd`).
        if line.starts_with('=') && header.contains("PGP") {
            continue;
        }
        if !line
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='))
        {
            return None;
        }
        base64.push_str(line);
    }
    if base64.len() < 60 {
        return None;
    }
    let openssh_encrypted = header.contains("OPENSSH") && openssh_cipher(&base64) != Some("none");
    Some(header.contains("ENCRYPTED") || headers_encrypted || openssh_encrypted)
}

/// The cipher name of an `OpenSSH` private key (`openssh-key-v1\0`, then a length-prefixed
/// cipher name), from the start of its base64 body.
fn openssh_cipher(base64: &str) -> Option<&'static str> {
    const MAGIC: &[u8] = b"openssh-key-v1\0";
    let head = STANDARD.decode(base64.get(..64)?).ok()?;
    let rest = head.strip_prefix(MAGIC)?;
    let len = u32::from_be_bytes(rest.get(..4)?.try_into().ok()?) as usize;
    let name = rest.get(4..4 + len)?;
    Some(if name == b"none" { "none" } else { "encrypted" })
}

/// Whether a three-part token's header is a JSON object with a signing `alg`.
fn jwt(token: &[u8]) -> bool {
    let Some(header) = token.split(|&b| b == b'.').next() else {
        return false;
    };
    let Ok(json) = URL_SAFE_NO_PAD.decode(header) else {
        return false;
    };
    let Ok(serde_json::Value::Object(header)) = serde_json::from_slice(&json) else {
        return false;
    };
    header
        .get("alg")
        .and_then(serde_json::Value::as_str)
        .is_some_and(|alg| !alg.eq_ignore_ascii_case("none"))
}

/// Shortest password reported: shorter values are mostly flags, ports and placeholders.
const MIN_PASSWORD: usize = 8;

/// Substrings (lower case) of values that are examples, not passwords.
const PLACEHOLDERS: &[&str] = &[
    "changeme",
    "change_me",
    "change-me",
    "changeit",
    "example",
    "placeholder",
    "password",
    "passwd",
    "secret",
    "your_",
    "your-",
    "yourpass",
    "dummy",
    "redacted",
    "xxx",
    "***",
    "...",
    "todo",
    "fixme",
    "replace",
    "insert",
];

/// Accepts a configuration value as a password unless it is empty, short, a word or phrase, a
/// placeholder, a variable reference (`${VAR}`, `$VAR`, `%(x)s`, `{{ x }}`, `<x>`) or a
/// code/file reference.
fn password(raw: &[u8]) -> Option<Accepted> {
    let (mut start, mut end) = (0, raw.len());
    if end >= 2 && (raw[0] == b'"' || raw[0] == b'\'') && raw[end - 1] == raw[0] {
        start += 1;
        end -= 1;
    }
    let value = std::str::from_utf8(&raw[start..end]).ok()?;
    let trimmed = value.trim();
    start += value.len() - value.trim_start().len();
    end = start + trimmed.len();
    let value = trimmed;
    if value.chars().count() < MIN_PASSWORD {
        return None;
    }
    let lower = value.to_ascii_lowercase();
    if PLACEHOLDERS.iter().any(|p| lower.contains(p)) {
        return None;
    }
    if value.starts_with(['$', '%', '<', '{', '[', '(', '/', '!', '&', '*', '@'])
        || value.contains("${")
        || value.contains("%(")
        || value.contains("{{")
        || value.contains("#{")
    {
        return None;
    }
    let first = value.chars().next()?;
    if value.chars().all(|c| c == first) {
        return None;
    }
    // Words and phrases are labels, not passwords: translation files map `"password"` to
    // `"Kennwort"` or `"Mot de passe"`. A set password has a digit or a symbol.
    if value.chars().any(char::is_whitespace) || value.chars().all(char::is_alphabetic) {
        return None;
    }
    if is_code_reference(value) {
        return None;
    }
    Some(Accepted {
        start,
        end,
        encrypted: false,
    })
}

/// A dotted identifier chain (`settings.DB_PASSWORD`, `os.environ`), possibly called or
/// indexed (`os.getenv("DB")`, `ENV['X']`, `env(DB_PASS)`).
fn is_code_reference(value: &str) -> bool {
    let is_ident = |s: &str| {
        let mut chars = s.chars();
        chars
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
    };
    // The value may be cut at a quote (`os.getenv(` of `os.getenv("DB")`), so the call or
    // index need not close.
    if let Some(open) = value.find(['(', '[']) {
        return value[..open].split('.').all(is_ident);
    }
    value.contains('.') && value.split('.').all(is_ident)
}

fn finding(rule: &Rule, path: &str, line: usize, value: &str, encrypted: bool) -> Secret {
    let (severity, title) = if encrypted {
        (Severity::Medium, "Private key (encrypted)".to_owned())
    } else {
        (rule.severity, rule.title.to_owned())
    };
    Secret {
        rule: rule.id.to_owned(),
        category: rule.category.to_owned(),
        title,
        severity,
        path: path.to_owned(),
        line: u32::try_from(line).unwrap_or(u32::MAX),
        redacted: if rule.pem {
            redact::mask_pem(value)
        } else {
            redact::mask(value)
        },
        layer: None,
        deleted_in_layer: None,
    }
}

/// Drops findings that a more specific rule reported on the same line (a GCP key file's key is
/// one finding, not also a bare private key).
fn supersede(found: Vec<(usize, Secret)>) -> Vec<Secret> {
    let replaced: HashSet<(&str, u32)> = found
        .iter()
        .flat_map(|(index, s)| RULES[*index].supersedes.iter().map(|id| (*id, s.line)))
        .collect();
    if replaced.is_empty() {
        return found.into_iter().map(|(_, s)| s).collect();
    }
    let keep: Vec<bool> = found
        .iter()
        .map(|(_, s)| !replaced.contains(&(s.rule.as_str(), s.line)))
        .collect();
    found
        .into_iter()
        .zip(keep)
        .filter_map(|((_, s), keep)| keep.then_some(s))
        .collect()
}

/// Offsets to 1-based line numbers, built on the first finding (most files have none).
struct LineIndex<'a> {
    bytes: &'a [u8],
    newlines: Option<Vec<usize>>,
}

impl<'a> LineIndex<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        LineIndex {
            bytes,
            newlines: None,
        }
    }

    fn line_of(&mut self, offset: usize) -> usize {
        let bytes = self.bytes;
        let newlines = self.newlines.get_or_insert_with(|| {
            bytes
                .iter()
                .enumerate()
                .filter_map(|(i, &b)| (b == b'\n').then_some(i))
                .collect()
        });
        newlines.partition_point(|&nl| nl < offset) + 1
    }
}

/// Whether `path` gets the configuration-scoped rules.
pub(crate) fn config_like(path: &str) -> bool {
    paths::is_config_like(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan(path: &str, text: &str) -> Vec<Secret> {
        static COMPILED: std::sync::LazyLock<Compiled> = std::sync::LazyLock::new(Compiled::new);
        COMPILED.scan(path, text.as_bytes(), config_like(path), true)
    }

    fn rules(path: &str, text: &str) -> Vec<(String, u32)> {
        scan(path, text)
            .into_iter()
            .map(|s| (s.rule, s.line))
            .collect()
    }

    fn one(rule: &str, line: u32) -> Vec<(String, u32)> {
        vec![(rule.to_owned(), line)]
    }

    #[test]
    fn aws_access_key_id_and_near_misses() {
        assert_eq!(
            rules("/x.txt", "a\nkey = AKIAIOSFODNN7EXAMPLE\n"),
            one("aws-access-key-id", 2)
        );
        assert_eq!(
            rules("/x.txt", "ASIAQWERTYUIOPASDFGH"),
            one("aws-access-key-id", 1)
        );
        // One character short, one too long, lower case, digits outside base32 (0, 1, 8, 9).
        for near in [
            "AKIAIOSFODNN7EXAMPL",
            "AKIAIOSFODNN7EXAMPLEX",
            "akiaiosfodnn7example",
            "AKIA0123456789ABCDEF",
            "XAKIAIOSFODNN7EXAMPLE",
        ] {
            assert!(rules("/x.txt", near).is_empty(), "{near}");
        }
    }

    #[test]
    fn aws_secret_needs_its_key() {
        let secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
        for text in [
            format!("aws_secret_access_key = {secret}"),
            format!("AWS_SECRET_ACCESS_KEY={secret}"),
            format!("\"SecretAccessKey\": \"{secret}\""),
            format!("aws-secret-key: '{secret}'"),
        ] {
            assert_eq!(
                rules("/x.txt", &text),
                one("aws-secret-access-key", 1),
                "{text}"
            );
        }
        // The same 40 characters with no key, 41 characters, and a word of the right length.
        for text in [
            secret.to_owned(),
            format!("aws_secret_access_key = {secret}A"),
            "aws_secret_access_key = abcdefghijklmnopqrstuvwxyzabcdefghijklmn".to_owned(),
        ] {
            assert!(rules("/x.txt", &text).is_empty(), "{text}");
        }
    }

    #[test]
    fn tokens_of_the_right_shape_only() {
        let ghp = format!("ghp_{}", "A1b2C3d4E5".repeat(3) + "f6G7h8");
        assert_eq!(rules("/x", &ghp), one("github-token", 1));
        assert!(rules("/x", &ghp[..ghp.len() - 1]).is_empty());
        assert!(rules("/x", &format!("{ghp}Z")).is_empty());
        let fine = format!("github_pat_{}_{}", "A".repeat(21), "b".repeat(60));
        assert_eq!(rules("/x", &fine), one("github-fine-grained-token", 1));
        assert!(rules("/x", &fine[..fine.len() - 1]).is_empty());
        assert_eq!(
            rules("/x", "token: glpat-AbCdEfGhIjKlMnOpQrSt"),
            one("gitlab-token", 1)
        );
        assert!(rules("/x", "glpat-short").is_empty());
        assert_eq!(
            rules(
                "/x",
                "xoxb-1234567890-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx"
            ),
            one("slack-token", 1)
        );
        assert!(rules("/x", "SLACK_TOKEN=xoxb-your-token-here").is_empty());
        assert_eq!(
            rules(
                "/x",
                "url: https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX"
            ),
            one("slack-webhook", 1)
        );
        assert!(rules("/x", "https://hooks.slack.com/services/YOUR/WEBHOOK/URL").is_empty());
        assert_eq!(
            rules("/x", "STRIPE=sk_live_4eC39HqLyjWDarjtT1zdp7dc"),
            one("stripe-secret-key", 1)
        );
        assert!(rules("/x", "STRIPE=sk_test_4eC39HqLyjWDarjtT1zdp7dc").is_empty());
        assert_eq!(
            rules("/x", "key=AIzaSyA1234567890abcdefghijklmnopqrstuv"),
            one("gcp-api-key", 1)
        );
        assert!(rules("/x", "key=AIzaSyA1234567890abcdefghijklmnopqrstu").is_empty());
    }

    #[test]
    fn azure_account_key() {
        let key = format!("{}==", "Ab3+".repeat(21) + "Cd");
        let text = format!(
            "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey={key};EndpointSuffix=core.windows.net"
        );
        assert_eq!(rules("/x", &text), one("azure-storage-account-key", 1));
        assert!(rules("/x", "AccountKey=<your-key>").is_empty());
    }

    #[test]
    fn jwt_header_must_be_json_with_alg() {
        // {"alg":"HS256","typ":"JWT"} . {"sub":"1234567890"} . signature
        let good = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dBjftJeZ4CVPmB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        assert_eq!(rules("/x", good), one("jwt", 1));
        // {"typ":"JWT"} has no alg; {"alg":"none"} signs nothing; eyJx… is not base64 JSON.
        let no_alg = "eyJ0eXAiOiJKV1QifQ.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dBjftJeZ4CVPmB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let alg_none = "eyJhbGciOiJub25lIn0.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dBjftJeZ4CVPmB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let garbage = "eyJxxxxxxxxxxxx.eyJxxxxxxxxxxxxxx.xxxxxxxxxxxxxxxxxxxxxx";
        for text in [no_alg, alg_none, garbage] {
            assert!(rules("/x", text).is_empty(), "{text}");
        }
    }

    #[test]
    fn passwords_in_config_files_only() {
        assert_eq!(
            rules("/app/.env", "X=1\nDB_PASSWORD=Tr0ub4dor&3x\n"),
            one("generic-password", 2)
        );
        assert_eq!(
            rules("/etc/app.yaml", "db:\n  password: \"k8Fq2mZx9w\"\n"),
            one("generic-password", 2)
        );
        assert_eq!(
            rules(
                "/etc/app.json",
                r#"{"user": "a", "password": "k8Fq2mZx9w"}"#
            ),
            one("generic-password", 1)
        );
        assert_eq!(
            rules(
                "/app/application.properties",
                "spring.datasource.password=k8Fq2mZx9w"
            ),
            one("generic-password", 1)
        );
        for key in [
            "Password",
            "PASSWORD",
            "dbPassword",
            "ROOT_PASSWD",
            "Passwd",
        ] {
            let text = format!("{key}=k8Fq2mZx9w");
            assert_eq!(
                rules("/app/x.ini", &text),
                one("generic-password", 1),
                "{key}"
            );
        }
        // Same line in source code: not reported.
        assert!(rules("/app/settings.py", "PASSWORD = \"k8Fq2mZx9w\"").is_empty());
        for value in [
            "\"\"",
            "changeme",
            "\"ChangeMe123\"",
            "${DB_PASSWORD}",
            "$DB_PASSWORD",
            "%(db_password)s",
            "<your-password>",
            "{{ vault_db_password }}",
            "xxxxxxxxxx",
            "**********",
            "short",
            "settings.DB_PASS",
            "os.getenv(\"DB\")",
            "ENV['DB_PASS']",
            "/run/secrets/db",
            "null",
            "!vault |",
        ] {
            let text = format!("password: {value}\n");
            assert!(rules("/etc/app.yaml", &text).is_empty(), "{value}");
        }
        // Translation files: labels, not passwords.
        assert!(rules("/app/locales/de.json", r#"{"password": "Kennwort"}"#).is_empty());
        assert!(rules("/app/locales/fr.json", r#"{"password": "Mot de passe"}"#).is_empty());
        assert!(rules("/app/locales/es.yml", "password: Contraseña").is_empty());
        // Keys that do not end in the keyword are other settings.
        assert!(rules("/etc/app.ini", "password_min_length = 12345678").is_empty());
        assert!(rules("/etc/app.ini", "password_file = secretfile.txt").is_empty());
        assert!(rules("/etc/cli.yaml", "  run --admin-password=123Abpassdord").is_empty());
        assert_eq!(
            rules("/etc/app.yaml", "- password: k8Fq2mZx9w"),
            one("generic-password", 1)
        );
    }

    #[test]
    fn password_span_excludes_quotes() {
        let found = scan("/etc/app.toml", "password = \"k8Fq2mZx9w\"");
        assert_eq!(found[0].redacted, "k8********");
    }

    #[test]
    fn private_key_body_must_be_real() {
        let doc = "-----BEGIN RSA PRIVATE KEY-----\nMIIE...\n-----END RSA PRIVATE KEY-----\n";
        assert!(rules("/x", doc).is_empty());
        let placeholder =
            "-----BEGIN PRIVATE KEY-----\n<paste your key here>\n-----END PRIVATE KEY-----";
        assert!(rules("/x", placeholder).is_empty());
        // A string constant of PEM tooling, no block.
        assert!(rules("/x.py", "PEM_HEADER = b\"-----BEGIN PRIVATE KEY-----\"\n").is_empty());
    }

    #[test]
    fn overlapping_windows_report_once() {
        let text = "AKIAIOSFODNN7EXAMPLE AKIAIOSFODNN7EXAMPLE\nakia AKIAIOSFODNN7EXAMPLE";
        let found = rules("/x", text);
        assert_eq!(
            found,
            vec![
                ("aws-access-key-id".to_owned(), 1),
                ("aws-access-key-id".to_owned(), 1),
                ("aws-access-key-id".to_owned(), 2)
            ]
        );
    }

    #[test]
    fn long_lines_stay_bounded_and_still_match() {
        let mut text = "a".repeat(100_000);
        text.push_str(" AKIAIOSFODNN7EXAMPLE ");
        text.push_str(&"b".repeat(100_000));
        assert_eq!(rules("/x.js", &text), one("aws-access-key-id", 1));
    }

    #[test]
    fn a_long_line_full_of_keywords_reports_each_value_once() {
        // Minified JSON: 3000 settings on one 100 KB line, each value distinct.
        let entries: Vec<String> = (0..3000)
            .map(|i| format!("\"password\":\"k8Fq2mZx{i:05}\""))
            .collect();
        let text = format!("{{{}}}", entries.join(","));
        let found = scan("/app/config.json", &text);
        assert_eq!(found.len(), 3000);
        assert!(
            found
                .iter()
                .all(|s| s.line == 1 && s.rule == "generic-password")
        );
    }

    #[test]
    fn keys_in_one_file_are_each_found_and_their_end_lines_skipped() {
        let body = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj\n";
        let block = format!("-----BEGIN PRIVATE KEY-----\n{body}{body}-----END PRIVATE KEY-----\n");
        let text = format!("{block}\n{block}{block}");
        let found = rules("/keys.pem", &text);
        assert_eq!(
            found,
            vec![
                ("private-key".to_owned(), 1),
                ("private-key".to_owned(), 6),
                ("private-key".to_owned(), 10)
            ]
        );
    }

    #[test]
    fn encrypted_keys_are_reported_lower() {
        let body = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj\n";
        for text in [
            format!(
                "-----BEGIN ENCRYPTED PRIVATE KEY-----\n{body}{body}-----END ENCRYPTED PRIVATE KEY-----"
            ),
            format!(
                "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,0123456789ABCDEF0123456789ABCDEF\n\n{body}{body}-----END RSA PRIVATE KEY-----"
            ),
        ] {
            let found = scan("/k.pem", &text);
            assert_eq!(found.len(), 1, "{text}");
            assert_eq!(found[0].severity, Severity::Medium);
        }
        let plain =
            format!("-----BEGIN EC PRIVATE KEY-----\n{body}{body}-----END EC PRIVATE KEY-----");
        assert_eq!(scan("/k.pem", &plain)[0].severity, Severity::High);
    }

    #[test]
    fn gcp_rule_needs_the_service_account_type() {
        let key = "-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj\\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj\\n-----END PRIVATE KEY-----\\n";
        let service =
            format!("{{\n  \"type\": \"service_account\",\n  \"private_key\": \"{key}\"\n}}");
        assert_eq!(
            rules("/sa.json", &service),
            one("gcp-service-account-key", 3)
        );
        // Another JSON document holding a key: a plain private key, once.
        let other = format!("{{\n  \"type\": \"tls\",\n  \"private_key\": \"{key}\"\n}}");
        assert_eq!(rules("/tls.json", &other), one("private-key", 3));
    }

    #[test]
    fn binary_probe() {
        assert!(is_binary(b"\x7fELF\0\0"));
        assert!(!is_binary(b"text"));
        let mut late = vec![b'a'; BINARY_PROBE];
        late.push(0);
        assert!(!is_binary(&late));
    }
}
