//! The report-time allow-list: findings a user has accepted, by rule id or path glob.

use plimsoll_types::Secret;
use regex::Regex;

use crate::error::{Error, Result};
use crate::rules::RULES;

/// Findings a user has accepted, by rule id or path glob; applied at report time, so cached
/// layer facts keep every finding and a changed allow-list needs no re-scan.
#[derive(Debug, Default, Clone)]
pub struct AllowList {
    rules: Vec<String>,
    globs: Vec<Regex>,
}

impl AllowList {
    /// An allow-list of rule ids (`aws-access-key-id`) and path globs over the image path
    /// (`/app/tests/**`, `**/*.pem`, `config:ENV`): `*` and `?` stay within one path segment,
    /// `**` crosses segments, and `/**/` also matches a single `/`.
    ///
    /// An unknown rule id is an error rather than an entry that silently allows nothing.
    pub fn new(rules: &[String], paths: &[String]) -> Result<AllowList> {
        for rule in rules {
            if !RULES.iter().any(|r| r.id == rule) {
                return Err(Error::UnknownRule {
                    rule: rule.clone(),
                    known: RULES.iter().map(|r| r.id).collect::<Vec<_>>().join(", "),
                });
            }
        }
        let globs = paths
            .iter()
            .map(|glob| compile_glob(glob))
            .collect::<Result<Vec<_>>>()?;
        Ok(AllowList {
            rules: rules.to_vec(),
            globs,
        })
    }

    /// Whether `secret` is allowed (left out of reports).
    pub fn allows(&self, secret: &Secret) -> bool {
        self.rules.contains(&secret.rule) || self.globs.iter().any(|g| g.is_match(&secret.path))
    }
}

/// Translates a glob to an anchored regex; every other character is literal.
fn compile_glob(glob: &str) -> Result<Regex> {
    if glob.is_empty() {
        return Err(Error::EmptyGlob);
    }
    let mut pattern = String::from("^");
    let mut rest = glob;
    while let Some(c) = rest.chars().next() {
        if let Some(after) = rest.strip_prefix("**/") {
            pattern.push_str("(?:.*/)?");
            rest = after;
        } else if let Some(after) = rest.strip_prefix("**") {
            pattern.push_str(".*");
            rest = after;
        } else {
            match c {
                '*' => pattern.push_str("[^/]*"),
                '?' => pattern.push_str("[^/]"),
                _ => pattern.push_str(&regex::escape(c.encode_utf8(&mut [0; 4]))),
            }
            rest = &rest[c.len_utf8()..];
        }
    }
    pattern.push('$');
    Regex::new(&pattern).map_err(|source| Error::BadGlob {
        glob: glob.to_owned(),
        source: Box::new(source),
    })
}

#[cfg(test)]
mod tests {
    use plimsoll_types::Severity;

    use super::*;

    fn secret(rule: &str, path: &str) -> Secret {
        Secret {
            rule: rule.into(),
            category: "AWS".into(),
            title: "t".into(),
            severity: Severity::High,
            path: path.into(),
            line: 1,
            redacted: "AKIA****".into(),
            layer: None,
            deleted_in_layer: None,
        }
    }

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn allows_by_rule_id() {
        let allow = AllowList::new(&strings(&["jwt"]), &[]).unwrap();
        assert!(allow.allows(&secret("jwt", "/app/a.json")));
        assert!(!allow.allows(&secret("aws-access-key-id", "/app/a.json")));
    }

    #[test]
    fn allows_by_path_glob() {
        let allow =
            AllowList::new(&[], &strings(&["/app/tests/**", "**/*.pem", "config:ENV"])).unwrap();
        assert!(allow.allows(&secret("jwt", "/app/tests/fixtures/token.txt")));
        assert!(allow.allows(&secret("jwt", "/app/tests/a")));
        assert!(!allow.allows(&secret("jwt", "/app/testsuite/a")));
        assert!(!allow.allows(&secret("jwt", "/app/src/tests.txt")));
        assert!(allow.allows(&secret("private-key", "/etc/ssl/private/server.pem")));
        assert!(allow.allows(&secret("private-key", "/server.pem")));
        assert!(!allow.allows(&secret("private-key", "/etc/server.pem.bak")));
        assert!(allow.allows(&secret("aws-access-key-id", "config:ENV")));
    }

    #[test]
    fn single_star_stays_in_one_segment_and_dots_are_literal() {
        let allow = AllowList::new(&[], &strings(&["/app/*.env", "/a?c"])).unwrap();
        assert!(allow.allows(&secret("jwt", "/app/prod.env")));
        assert!(!allow.allows(&secret("jwt", "/app/sub/prod.env")));
        assert!(!allow.allows(&secret("jwt", "/app/prodxenv")));
        assert!(allow.allows(&secret("jwt", "/abc")));
        assert!(!allow.allows(&secret("jwt", "/a/c")));
    }

    #[test]
    fn empty_list_allows_nothing() {
        assert!(!AllowList::default().allows(&secret("jwt", "/x")));
    }

    #[test]
    fn refuses_unknown_rules_and_empty_globs() {
        let err = AllowList::new(&strings(&["aws-key"]), &[]).unwrap_err();
        assert!(matches!(err, Error::UnknownRule { ref rule, .. } if rule == "aws-key"));
        assert!(err.to_string().contains("aws-access-key-id"));
        assert!(matches!(
            AllowList::new(&[], &strings(&[""])).unwrap_err(),
            Error::EmptyGlob
        ));
    }
}
