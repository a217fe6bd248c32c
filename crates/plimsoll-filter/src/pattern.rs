//! One include or exclude pattern: a wildcard, or a regex after `re:` (see the crate doc).

use std::fmt;
use std::str::FromStr;

use regex::Regex;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::{Error, Result};

/// The prefix that makes a pattern a regular expression.
const REGEX_PREFIX: &str = "re:";

/// A compiled include/exclude pattern, matched against `registry/repository:tag`.
#[derive(Clone, Debug)]
pub struct Pattern {
    source: String,
    regex: Regex,
}

impl Pattern {
    /// Compiles `pattern`: a regex after `re:`, else a wildcard.
    pub fn new(pattern: &str) -> Result<Pattern> {
        let empty = || Error::EmptyPattern {
            pattern: pattern.to_owned(),
        };
        let expression = if let Some(regex) = pattern.strip_prefix(REGEX_PREFIX) {
            if regex.is_empty() {
                return Err(empty());
            }
            format!("^(?:{regex})$")
        } else {
            if pattern.is_empty() {
                return Err(empty());
            }
            wildcard_to_regex(pattern)
        };
        let regex = Regex::new(&expression).map_err(|source| Error::Regex {
            pattern: pattern.to_owned(),
            source: Box::new(source),
        })?;
        Ok(Pattern {
            source: pattern.to_owned(),
            regex,
        })
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// Whether it is a `re:` pattern.
    pub fn is_regex(&self) -> bool {
        self.source.starts_with(REGEX_PREFIX)
    }

    /// Whether it matches `image`, written `registry/repository:tag`.
    pub fn matches(&self, image: &str) -> bool {
        self.regex.is_match(image)
    }
}

/// The anchored regex of a wildcard pattern.
fn wildcard_to_regex(pattern: &str) -> String {
    // The tag starts at the first ':' of the last path component, so `host:5000/repo` keeps
    // its port; without one, any tag.
    let last_component = pattern.rfind('/').map_or(0, |i| i + 1);
    let (name, tag) = match pattern[last_component..].find(':') {
        Some(i) => (
            &pattern[..last_component + i],
            Some(&pattern[last_component + i + 1..]),
        ),
        None => (pattern, None),
    };
    // Docker's rule: the first component is a registry host if it has a '.' or ':' or is
    // `localhost`. Without one, the pattern applies under any registry (whose name has no '/').
    let has_host = name
        .split_once('/')
        .is_some_and(|(first, _)| first.contains(['.', ':']) || first == "localhost");
    let mut regex = String::from("^");
    if !has_host {
        regex.push_str("[^/]+/");
    }
    push_wildcard(&mut regex, name);
    regex.push(':');
    match tag {
        Some(tag) => push_wildcard(&mut regex, tag),
        None => regex.push_str(".*"),
    }
    regex.push('$');
    regex
}

fn push_wildcard(regex: &mut String, wildcard: &str) {
    let mut literal = [0_u8; 4];
    for c in wildcard.chars() {
        match c {
            '*' => regex.push_str("(?s:.*)"),
            '?' => regex.push_str("(?s:.)"),
            c => regex.push_str(&regex::escape(c.encode_utf8(&mut literal))),
        }
    }
}

impl FromStr for Pattern {
    type Err = Error;

    fn from_str(pattern: &str) -> Result<Self> {
        Pattern::new(pattern)
    }
}

impl fmt::Display for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

/// Two patterns are equal when written the same.
impl PartialEq for Pattern {
    fn eq(&self, other: &Self) -> bool {
        self.source == other.source
    }
}

impl Eq for Pattern {}

impl Serialize for Pattern {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.source)
    }
}

impl<'de> Deserialize<'de> for Pattern {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        let source = String::deserialize(deserializer)?;
        Pattern::new(&source).map_err(|e| serde::de::Error::custom(e.with_causes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(pattern: &str, image: &str) -> bool {
        Pattern::new(pattern).unwrap().matches(image)
    }

    #[test]
    fn wildcard_forms() {
        let cases: &[(&str, &str, bool)] = &[
            // `*` alone: everything.
            ("*", "127.0.0.1:5000/lab/app:1", true),
            ("*", "docker.io/library/nginx:latest", true),
            // No host: any registry, but the repository path must match from its start.
            ("lab/app", "127.0.0.1:5000/lab/app:1", true),
            ("lab/app", "registry.example.com/lab/app:latest", true),
            ("lab/app", "127.0.0.1:5000/other/lab/app:1", false),
            ("lab/app", "127.0.0.1:5000/lab/app2:1", false),
            ("app", "127.0.0.1:5000/lab/app:1", false),
            ("*/app", "127.0.0.1:5000/lab/app:1", true),
            ("*/app", "127.0.0.1:5000/a/b/app:1", true),
            // No tag: any tag; a tag part: that tag only.
            ("org/repo*", "r.example/org/repo-x:v1.2", true),
            ("org/repo*", "r.example/org/repo/sub:v1", true),
            ("org/repo*:tag*", "r.example/org/repository:tag-1", true),
            ("org/repo*:tag*", "r.example/org/repository:v1", false),
            ("*:latest", "r.example/org/app:latest", true),
            ("*:latest", "r.example/org/app:latest-rc", false),
            ("lab/app:1.?", "127.0.0.1:5000/lab/app:1.2", true),
            ("lab/app:1.?", "127.0.0.1:5000/lab/app:1.23", false),
            // `.` is literal in wildcards.
            ("lab/app:1.2", "127.0.0.1:5000/lab/app:1x2", false),
            // A host (dot, port or localhost) pins the registry.
            ("registry.example.com/*", "registry.example.com/a/b:1", true),
            ("registry.example.com/*", "other.example.com/a/b:1", false),
            ("127.0.0.1:5000/lab/*", "127.0.0.1:5000/lab/app:1", true),
            ("127.0.0.1:5000/lab/*", "127.0.0.1:5001/lab/app:1", false),
            ("localhost/lab/*", "localhost/lab/app:1", true),
            ("localhost/lab/*", "127.0.0.1/lab/app:1", false),
            ("localhost:5000/app:1", "localhost:5000/app:1", true),
            (
                "*.example.com/team/*:v*",
                "eu.example.com/team/api:v3",
                true,
            ),
            (
                "*.example.com/team/*:v*",
                "eu.example.com/team/api:3",
                false,
            ),
            // A bare host is a repository name: match whole registries with `host/*`.
            ("registry.example.com", "registry.example.com/app:1", false),
            // Regex metacharacters are literal in wildcards.
            ("lab/a+b", "h.io/lab/a+b:1", true),
            ("lab/a+b", "h.io/lab/aab:1", false),
            ("lab/(x)", "h.io/lab/(x):1", true),
        ];
        for (pattern, image, want) in cases {
            assert_eq!(matches(pattern, image), *want, "{pattern} vs {image}");
        }
    }

    #[test]
    fn regexes_are_anchored() {
        for (pattern, image, want) in [
            (r"re:.*/lab/.*", "127.0.0.1:5000/lab/app:1", true),
            (r"re:lab/.*", "127.0.0.1:5000/lab/app:1", false),
            (
                r"re:127\.0\.0\.1:5000/lab/app:1",
                "127.0.0.1:5000/lab/app:1",
                true,
            ),
            (
                r"re:127\.0\.0\.1:5000/lab/app:1",
                "127.0.0.1:5000/lab/app:10",
                false,
            ),
            (
                r"re:127\.0\.0\.1:5000/lab/app:1",
                "x127.0.0.1:5000/lab/app:1",
                false,
            ),
            (r"re:.*:v[0-9]+|.*:latest", "h/a:latest", true),
            (r"re:.*:v[0-9]+|.*:latest", "h/a:v12", true),
            (r"re:.*:v[0-9]+|.*:latest", "h/a:v12-rc", false),
            // `app*` as a regex: `ap` then any `p`s (why wildcards are the default).
            ("re:h/app*:1", "h/apppp:1", true),
            ("re:h/app*:1", "h/application:1", false),
        ] {
            assert_eq!(matches(pattern, image), want, "{pattern} vs {image}");
        }
        let p = Pattern::new("re:.*").unwrap();
        assert!(p.is_regex());
        assert!(!Pattern::new("*").unwrap().is_regex());
    }

    #[test]
    fn invalid_patterns_are_named() {
        let err = Pattern::new("re:lab/(unclosed").unwrap_err();
        assert!(matches!(&err, Error::Regex { pattern, .. } if pattern == "re:lab/(unclosed"));
        assert_eq!(
            err.to_string(),
            r#"invalid regular expression in pattern "re:lab/(unclosed""#
        );
        assert!(
            err.with_causes().contains("unclosed group"),
            "{}",
            err.with_causes()
        );
        for empty in ["", "re:"] {
            let err = Pattern::new(empty).unwrap_err();
            assert_eq!(err.to_string(), format!(r#"empty pattern "{empty}""#));
        }
    }

    #[test]
    fn serde_as_strings() {
        let patterns: Vec<Pattern> = serde_json::from_str(r#"["lab/*", "re:.*:v1"]"#).unwrap();
        assert_eq!(patterns[0].as_str(), "lab/*");
        assert!(patterns[1].is_regex());
        assert_eq!(
            serde_json::to_string(&patterns).unwrap(),
            r#"["lab/*","re:.*:v1"]"#
        );
        let err = serde_json::from_str::<Vec<Pattern>>(r#"["re:(("]"#).unwrap_err();
        assert!(
            err.to_string()
                .starts_with(r#"invalid regular expression in pattern "re:((": "#),
            "{err}"
        );
    }
}
