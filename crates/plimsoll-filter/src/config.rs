//! [`FilterConfig`]: the keys, their defaults and allowed ranges, and validation.

use std::ops::RangeInclusive;

use serde::{Deserialize, Deserializer, Serialize};

use crate::{Error, Pattern, Result};

/// Allowed `max_age_days`.
pub const MAX_AGE_DAYS: RangeInclusive<u32> = 1..=365;
/// Allowed `max_tags_per_repository`.
pub const MAX_TAGS_PER_REPOSITORY: RangeInclusive<u32> = 1..=50;
/// Allowed `max_repositories_per_registry`.
pub const MAX_REPOSITORIES_PER_REGISTRY: RangeInclusive<u32> = 1..=10_000;

/// Which discovered images to scan. Every key is optional in configuration; missing keys take
/// the [`Default`] values. Deserializing validates (ranges, patterns) and refuses unknown
/// keys, so embed it as its own table (`[registry.filter]`), not with `#[serde(flatten)]`.
///
/// ```toml
/// include = ["lab/*", "re:.*:v[0-9]+"]   # wildcards; `re:` for a regex
/// exclude = ["*:*-debug"]
/// max_age_days = 90                       # 1..=365
/// max_tags_per_repository = 5             # 1..=50
/// max_repositories_per_registry = 500     # 1..=10000
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FilterConfig {
    /// Images to scan; empty means all. An include match beats an exclude match.
    pub include: Vec<Pattern>,
    /// Images to skip unless an include pattern matches them.
    pub exclude: Vec<Pattern>,
    /// Skip images created more than this many days ago (default 90, 1..=365). Images
    /// without a creation date are never skipped for age.
    pub max_age_days: u32,
    /// Scan at most this many tags per repository, the newest (default 5, 1..=50).
    pub max_tags_per_repository: u32,
    /// Consider at most this many repositories per registry, the first in sorted order
    /// (default 500, 1..=10,000).
    pub max_repositories_per_registry: u32,
}

impl FilterConfig {
    /// Default `max_age_days`.
    pub const DEFAULT_MAX_AGE_DAYS: u32 = 90;
    /// Default `max_tags_per_repository`.
    pub const DEFAULT_MAX_TAGS_PER_REPOSITORY: u32 = 5;
    /// Default `max_repositories_per_registry`.
    pub const DEFAULT_MAX_REPOSITORIES_PER_REGISTRY: u32 = 500;

    /// Checks every limit against its range; the error names the key, the value and the
    /// range. (Patterns are checked when they are built.)
    pub fn validate(&self) -> Result<()> {
        for (key, value, range) in [
            ("max_age_days", self.max_age_days, MAX_AGE_DAYS),
            (
                "max_tags_per_repository",
                self.max_tags_per_repository,
                MAX_TAGS_PER_REPOSITORY,
            ),
            (
                "max_repositories_per_registry",
                self.max_repositories_per_registry,
                MAX_REPOSITORIES_PER_REGISTRY,
            ),
        ] {
            if !range.contains(&value) {
                return Err(Error::OutOfRange {
                    key,
                    value,
                    min: *range.start(),
                    max: *range.end(),
                });
            }
        }
        Ok(())
    }
}

impl Default for FilterConfig {
    /// No patterns (everything included), 90 days, 5 tags, 500 repositories.
    fn default() -> Self {
        FilterConfig {
            include: Vec::new(),
            exclude: Vec::new(),
            max_age_days: Self::DEFAULT_MAX_AGE_DAYS,
            max_tags_per_repository: Self::DEFAULT_MAX_TAGS_PER_REPOSITORY,
            max_repositories_per_registry: Self::DEFAULT_MAX_REPOSITORIES_PER_REGISTRY,
        }
    }
}

/// The configuration as written, before validation.
#[derive(Deserialize)]
#[serde(default, deny_unknown_fields)]
struct Raw {
    include: Vec<Pattern>,
    exclude: Vec<Pattern>,
    max_age_days: u32,
    max_tags_per_repository: u32,
    max_repositories_per_registry: u32,
}

impl Default for Raw {
    fn default() -> Self {
        let FilterConfig {
            include,
            exclude,
            max_age_days,
            max_tags_per_repository,
            max_repositories_per_registry,
        } = FilterConfig::default();
        Raw {
            include,
            exclude,
            max_age_days,
            max_tags_per_repository,
            max_repositories_per_registry,
        }
    }
}

impl<'de> Deserialize<'de> for FilterConfig {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        let Raw {
            include,
            exclude,
            max_age_days,
            max_tags_per_repository,
            max_repositories_per_registry,
        } = Raw::deserialize(deserializer)?;
        let config = FilterConfig {
            include,
            exclude,
            max_age_days,
            max_tags_per_repository,
            max_repositories_per_registry,
        };
        config
            .validate()
            .map_err(|e| serde::de::Error::custom(e.with_causes()))?;
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn from_json(json: &str) -> std::result::Result<FilterConfig, String> {
        serde_json::from_str(json).map_err(|e| e.to_string())
    }

    #[test]
    fn defaults() {
        let config = FilterConfig::default();
        assert!(config.include.is_empty() && config.exclude.is_empty());
        assert_eq!(config.max_age_days, 90);
        assert_eq!(config.max_tags_per_repository, 5);
        assert_eq!(config.max_repositories_per_registry, 500);
        config.validate().unwrap();
        assert_eq!(from_json("{}").unwrap(), config);
    }

    #[test]
    fn every_limit_in_and_out_of_range() {
        type Set = fn(&mut FilterConfig, u32);
        let keys: [(&str, Set, RangeInclusive<u32>); 3] = [
            ("max_age_days", |c, v| c.max_age_days = v, MAX_AGE_DAYS),
            (
                "max_tags_per_repository",
                |c, v| c.max_tags_per_repository = v,
                MAX_TAGS_PER_REPOSITORY,
            ),
            (
                "max_repositories_per_registry",
                |c, v| c.max_repositories_per_registry = v,
                MAX_REPOSITORIES_PER_REGISTRY,
            ),
        ];
        for (key, set, range) in keys {
            let (min, max) = (*range.start(), *range.end());
            for ok in [min, min + 1, max - 1, max] {
                let mut config = FilterConfig::default();
                set(&mut config, ok);
                config.validate().unwrap();
                assert!(
                    from_json(&format!(r#"{{"{key}": {ok}}}"#)).is_ok(),
                    "{key} = {ok}"
                );
            }
            for bad in [0, max + 1, u32::MAX] {
                let mut config = FilterConfig::default();
                set(&mut config, bad);
                let err = config.validate().unwrap_err();
                let message = format!("{key} = {bad} is out of range (allowed {min}..={max})");
                assert_eq!(err.to_string(), message);
                assert!(
                    matches!(err, Error::OutOfRange { key: k, value, .. } if k == key && value == bad)
                );
                let err = from_json(&format!(r#"{{"{key}": {bad}}}"#)).unwrap_err();
                assert!(err.starts_with(&message), "{err}");
            }
        }
        assert_eq!(
            FilterConfig::default().max_repositories_per_registry,
            FilterConfig::DEFAULT_MAX_REPOSITORIES_PER_REGISTRY
        );
        assert!(from_json(r#"{"max_age_days": -1}"#).is_err());
    }

    #[test]
    fn deserializes_every_key() {
        let config = from_json(
            r#"{"include": ["lab/*", "re:.*:v1"], "exclude": ["*:dev"], "max_age_days": 30,
                "max_tags_per_repository": 2, "max_repositories_per_registry": 10000}"#,
        )
        .unwrap();
        assert_eq!(
            config.include,
            [
                Pattern::new("lab/*").unwrap(),
                Pattern::new("re:.*:v1").unwrap()
            ]
        );
        assert_eq!(config.exclude, [Pattern::new("*:dev").unwrap()]);
        assert_eq!(
            (
                config.max_age_days,
                config.max_tags_per_repository,
                config.max_repositories_per_registry
            ),
            (30, 2, 10_000)
        );
        let round_trip: FilterConfig =
            serde_json::from_str(&serde_json::to_string(&config).unwrap()).unwrap();
        assert_eq!(round_trip, config);
    }

    #[test]
    fn unknown_keys_and_bad_patterns_are_refused() {
        let err = from_json(r#"{"max_age_day": 30}"#).unwrap_err();
        assert!(err.contains("unknown field `max_age_day`"), "{err}");
        let err = from_json(r#"{"exclude": ["re:[z-a]"]}"#).unwrap_err();
        assert!(
            err.starts_with(r#"invalid regular expression in pattern "re:[z-a]": "#),
            "{err}"
        );
        let err = from_json(r#"{"include": [""]}"#).unwrap_err();
        assert!(err.starts_with(r#"empty pattern """#), "{err}");
    }
}
