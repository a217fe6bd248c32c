//! The decision per candidate: the four rules of the crate doc, in their order.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::fmt;

use time::{Duration, OffsetDateTime, UtcOffset};

use plimsoll_types::Digest;

use crate::{FilterConfig, Result};

/// One discovered image: a tag of a repository of a registry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Candidate {
    /// Registry host, as image references name it (`127.0.0.1:5000`).
    pub registry: String,
    /// Repository (`lab/app`).
    pub repository: String,
    /// Tag (`1.2`).
    pub tag: String,
    /// The manifest digest the tag points to.
    pub digest: Digest,
    /// When the image was created (its config's `created`), if known.
    pub created: Option<OffsetDateTime>,
}

impl Candidate {
    /// `registry/repository:tag`, what patterns are matched against.
    pub fn name(&self) -> String {
        format!("{}/{}:{}", self.registry, self.repository, self.tag)
    }
}

/// What to do with one candidate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Scan it.
    Scan,
    /// Leave it out, for this reason.
    Skip(SkipReason),
}

impl Decision {
    /// Whether the candidate is scanned.
    pub fn is_scan(&self) -> bool {
        matches!(self, Decision::Scan)
    }

    /// Why the candidate is skipped, if it is.
    pub fn skip_reason(&self) -> Option<&SkipReason> {
        match self {
            Decision::Scan => None,
            Decision::Skip(reason) => Some(reason),
        }
    }
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Decision::Scan => f.write_str("scan"),
            Decision::Skip(reason) => write!(f, "skip: {reason}"),
        }
    }
}

/// Why a candidate is skipped; `Display` gives the sentence reports show.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SkipReason {
    /// Its repository sorts after the first `limit` of its registry.
    RepositoryCap {
        /// The registry.
        registry: String,
        /// `max_repositories_per_registry`.
        limit: u32,
    },
    /// An exclude pattern matches it and no include pattern does.
    Excluded {
        /// The first exclude pattern that matches, as written.
        pattern: String,
    },
    /// Include patterns are configured and none matches it.
    NotIncluded,
    /// Created more than `max_age_days` before now.
    TooOld {
        /// Its creation time.
        created: OffsetDateTime,
        /// `max_age_days`.
        max_age_days: u32,
    },
    /// Newer tags of its repository fill the cap.
    TagCap {
        /// `registry/repository`.
        repository: String,
        /// `max_tags_per_repository`.
        limit: u32,
    },
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SkipReason::RepositoryCap { registry, limit } => {
                write!(f, "repository beyond the first {limit} of {registry}")
            }
            SkipReason::Excluded { pattern } => write!(f, "excluded by pattern \"{pattern}\""),
            SkipReason::NotIncluded => f.write_str("not included by any include pattern"),
            SkipReason::TooOld {
                created,
                max_age_days,
            } => write!(
                f,
                "older than {max_age_days} day{} (created {})",
                if *max_age_days == 1 { "" } else { "s" },
                created.to_offset(UtcOffset::UTC).date()
            ),
            SkipReason::TagCap { repository, limit } => {
                write!(f, "beyond the {limit} newest tags of {repository}")
            }
        }
    }
}

/// A validated [`FilterConfig`], ready to decide.
#[derive(Clone, Debug)]
pub struct Filter {
    config: FilterConfig,
}

impl Filter {
    /// Validates `config` ([`FilterConfig::validate`]).
    pub fn new(config: FilterConfig) -> Result<Filter> {
        config.validate()?;
        Ok(Filter { config })
    }

    /// The configuration.
    pub fn config(&self) -> &FilterConfig {
        &self.config
    }

    /// One decision per candidate, in the order given. `now` is the reference time for the
    /// age rule. Pure: the same input always gives the same decisions.
    pub fn decide(&self, candidates: &[Candidate], now: OffsetDateTime) -> Vec<Decision> {
        let mut decisions: Vec<Option<Decision>> = vec![None; candidates.len()];
        let undecided = |decisions: &[Option<Decision>]| -> Vec<usize> {
            (0..decisions.len())
                .filter(|&i| decisions[i].is_none())
                .collect()
        };

        // 1. Repository cap: the first N repositories of each registry, in sorted order.
        let mut repositories: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
        for c in candidates {
            repositories
                .entry(&c.registry)
                .or_default()
                .insert(&c.repository);
        }
        let limit = self.config.max_repositories_per_registry;
        let kept: HashSet<(&str, &str)> = repositories
            .iter()
            .flat_map(|(registry, names)| {
                names
                    .iter()
                    .take(limit as usize)
                    .map(move |name| (*registry, *name))
            })
            .collect();
        for (c, decision) in candidates.iter().zip(&mut decisions) {
            if !kept.contains(&(c.registry.as_str(), c.repository.as_str())) {
                *decision = Some(Decision::Skip(SkipReason::RepositoryCap {
                    registry: c.registry.clone(),
                    limit,
                }));
            }
        }

        // 2. Patterns.
        for i in undecided(&decisions) {
            if let Some(reason) = self.pattern_rule(&candidates[i].name()) {
                decisions[i] = Some(Decision::Skip(reason));
            }
        }

        // 3. Age; no creation date, no age rule.
        let max_age = Duration::days(i64::from(self.config.max_age_days));
        for i in undecided(&decisions) {
            if let Some(created) = candidates[i].created
                && now - created > max_age
            {
                decisions[i] = Some(Decision::Skip(SkipReason::TooOld {
                    created,
                    max_age_days: self.config.max_age_days,
                }));
            }
        }

        // 4. Tag cap: the newest N of what is left, per repository.
        let mut by_repository: BTreeMap<(&str, &str), Vec<usize>> = BTreeMap::new();
        for i in undecided(&decisions) {
            let c = &candidates[i];
            by_repository
                .entry((&c.registry, &c.repository))
                .or_default()
                .push(i);
        }
        let limit = self.config.max_tags_per_repository;
        for ((registry, repository), mut members) in by_repository {
            members.sort_by(|&a, &b| newest_first(&candidates[a], &candidates[b]));
            for (rank, i) in members.into_iter().enumerate() {
                decisions[i] = Some(if rank < limit as usize {
                    Decision::Scan
                } else {
                    Decision::Skip(SkipReason::TagCap {
                        repository: format!("{registry}/{repository}"),
                        limit,
                    })
                });
            }
        }

        decisions
            .into_iter()
            .map(|d| d.unwrap_or(Decision::Scan))
            .collect()
    }

    /// Include beats exclude; an empty include list includes everything.
    /// Rule 2 alone, for one `registry/repository:tag`: the skip the patterns decide, if any.
    /// It needs no digest or date, so a scan asks it before reading a tag's manifest and does
    /// not read those of tags it skips; [`Filter::decide`] on the remaining candidates then
    /// gives every other decision exactly as on all of them (the patterns come before the age
    /// and tag-cap rules, and discovery already applied the repository cap).
    pub fn pattern_skip(&self, registry: &str, repository: &str, tag: &str) -> Option<SkipReason> {
        self.pattern_rule(&format!("{registry}/{repository}:{tag}"))
    }

    fn pattern_rule(&self, name: &str) -> Option<SkipReason> {
        if self.config.include.iter().any(|p| p.matches(name)) {
            return None;
        }
        if let Some(pattern) = self.config.exclude.iter().find(|p| p.matches(name)) {
            return Some(SkipReason::Excluded {
                pattern: pattern.as_str().to_owned(),
            });
        }
        (!self.config.include.is_empty()).then_some(SkipReason::NotIncluded)
    }
}

/// Newest first; undated after dated; ties by tag name descending.
fn newest_first(a: &Candidate, b: &Candidate) -> Ordering {
    let by_date = match (a.created, b.created) {
        (Some(a), Some(b)) => b.cmp(&a),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    };
    by_date.then_with(|| b.tag.cmp(&a.tag))
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;
    use crate::{Error, Pattern};

    const NOW: OffsetDateTime = datetime!(2026-06-01 12:00 UTC);

    fn candidate(image: &str, created: Option<OffsetDateTime>) -> Candidate {
        let (rest, tag) = image.rsplit_once(':').unwrap();
        let (registry, repository) = rest.split_once('/').unwrap();
        Candidate {
            registry: registry.to_owned(),
            repository: repository.to_owned(),
            tag: tag.to_owned(),
            digest: Digest::sha256_of(image.as_bytes()),
            created,
        }
    }

    fn recent(image: &str) -> Candidate {
        candidate(image, Some(NOW - Duration::days(1)))
    }

    fn patterns(list: &[&str]) -> Vec<Pattern> {
        list.iter().map(|p| Pattern::new(p).unwrap()).collect()
    }

    fn filter(config: FilterConfig) -> Filter {
        Filter::new(config).unwrap()
    }

    fn with_patterns(include: &[&str], exclude: &[&str]) -> Filter {
        filter(FilterConfig {
            include: patterns(include),
            exclude: patterns(exclude),
            ..FilterConfig::default()
        })
    }

    fn reasons(decisions: &[Decision]) -> Vec<String> {
        decisions.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn defaults_scan_a_small_recent_registry_whole() {
        let candidates: Vec<_> = ["h.io/a/x:1", "h.io/a/x:2", "h.io/b/y:latest"]
            .into_iter()
            .map(recent)
            .collect();
        let decisions = filter(FilterConfig::default()).decide(&candidates, NOW);
        assert!(decisions.iter().all(Decision::is_scan), "{decisions:?}");
        assert!(filter(FilterConfig::default()).decide(&[], NOW).is_empty());
    }

    #[test]
    fn patterns_first_then_decide_on_the_rest_is_decide_on_all() {
        // What a scan does to avoid reading excluded tags' manifests must change no decision.
        let mut candidates = Vec::new();
        for (repository, tags) in [
            ("team/app", 9),
            ("team/tool", 3),
            ("lab/app", 4),
            ("lab/old", 2),
            ("other/x", 1),
        ] {
            for t in 0..tags {
                let age = Duration::days(i64::from(t) * 30);
                candidates.push(candidate(
                    &format!("h.io/{repository}:v{t}"),
                    Some(NOW - age),
                ));
            }
        }
        candidates.push(candidate("h.io/team/app:undated", None));
        let f = filter(FilterConfig {
            include: patterns(&["team/*", "lab/app:v1"]),
            exclude: patterns(&["lab/*", "*:v3"]),
            max_tags_per_repository: 2,
            ..FilterConfig::default()
        });
        let all = f.decide(&candidates, NOW);
        let mut rest = Vec::new();
        let mut staged = vec![None; candidates.len()];
        for (i, c) in candidates.iter().enumerate() {
            match f.pattern_skip(&c.registry, &c.repository, &c.tag) {
                Some(reason) => staged[i] = Some(Decision::Skip(reason)),
                None => rest.push(i),
            }
        }
        let later = f.decide(
            &rest
                .iter()
                .map(|&i| candidates[i].clone())
                .collect::<Vec<_>>(),
            NOW,
        );
        for (i, decision) in rest.into_iter().zip(later) {
            staged[i] = Some(decision);
        }
        let staged: Vec<Decision> = staged.into_iter().map(Option::unwrap).collect();
        assert_eq!(staged, all);
        // The case is not trivial: every rule decided something.
        let reasons = reasons(&all);
        for part in [
            "scan",
            "excluded by pattern",
            "not included",
            "older than",
            "newest",
        ] {
            assert!(
                reasons.iter().any(|r| r.contains(part)),
                "{part}: {reasons:?}"
            );
        }
    }

    #[test]
    fn new_refuses_out_of_range_limits() {
        let err = Filter::new(FilterConfig {
            max_tags_per_repository: 51,
            ..FilterConfig::default()
        })
        .unwrap_err();
        assert!(matches!(
            err,
            Error::OutOfRange {
                key: "max_tags_per_repository",
                value: 51,
                min: 1,
                max: 50
            }
        ));
    }

    #[test]
    fn exclude_patterns() {
        let candidates = [recent("h.io/lab/app:1"), recent("h.io/team/app:1")];
        let decisions = with_patterns(&[], &["team/*", "lab/nothing"]).decide(&candidates, NOW);
        assert_eq!(
            reasons(&decisions),
            ["scan", r#"skip: excluded by pattern "team/*""#]
        );
        // The first matching exclude pattern is named.
        let decisions = with_patterns(&[], &["re:.*team.*", "team/*"]).decide(&candidates, NOW);
        assert_eq!(
            decisions[1].skip_reason(),
            Some(&SkipReason::Excluded {
                pattern: "re:.*team.*".into()
            })
        );
    }

    #[test]
    fn include_patterns_and_the_empty_include_list() {
        let candidates = [recent("h.io/lab/app:1"), recent("h.io/team/app:1")];
        let decisions = with_patterns(&["lab/*"], &[]).decide(&candidates, NOW);
        assert_eq!(
            reasons(&decisions),
            ["scan", "skip: not included by any include pattern"]
        );
        let decisions = with_patterns(&[], &[]).decide(&candidates, NOW);
        assert_eq!(reasons(&decisions), ["scan", "scan"]);
    }

    #[test]
    fn include_beats_exclude() {
        let candidates = [
            recent("h.io/lab/app:1"),
            recent("h.io/lab/app:debug"),
            recent("h.io/team/app:debug"),
        ];
        let decisions = with_patterns(&["lab/*"], &["*:debug", "lab/*"]).decide(&candidates, NOW);
        assert_eq!(
            reasons(&decisions),
            ["scan", "scan", r#"skip: excluded by pattern "*:debug""#]
        );
        // An empty include list does not beat exclude: it only means "everything else".
        let decisions = with_patterns(&[], &["*:debug"]).decide(&candidates, NOW);
        assert_eq!(
            reasons(&decisions),
            [
                "scan",
                r#"skip: excluded by pattern "*:debug""#,
                r#"skip: excluded by pattern "*:debug""#
            ]
        );
    }

    #[test]
    fn age() {
        let filter = filter(FilterConfig::default());
        let candidates = [
            candidate("h.io/a/x:old", Some(datetime!(2024-01-01 0:00 UTC))),
            candidate("h.io/a/x:edge", Some(NOW - Duration::days(90))),
            candidate(
                "h.io/a/x:past",
                Some(NOW - Duration::days(90) - Duration::SECOND),
            ),
            candidate("h.io/a/x:future", Some(NOW + Duration::days(3))),
            candidate("h.io/a/x:undated", None),
        ];
        assert_eq!(
            reasons(&filter.decide(&candidates, NOW)),
            [
                "skip: older than 90 days (created 2024-01-01)",
                "scan",
                "skip: older than 90 days (created 2026-03-03)",
                "scan",
                // No creation date: not age-filtered.
                "scan",
            ]
        );
        // Dates are shown in UTC.
        let late = candidate("h.io/a/x:tz", Some(datetime!(2024-01-01 23:00 -05:00)));
        assert_eq!(
            filter.decide(&[late], NOW)[0].to_string(),
            "skip: older than 90 days (created 2024-01-02)"
        );
        let one_day = Filter::new(FilterConfig {
            max_age_days: 1,
            ..FilterConfig::default()
        })
        .unwrap();
        let candidates = [
            candidate("h.io/a/x:1", Some(NOW - Duration::hours(23))),
            candidate("h.io/a/x:2", Some(NOW - Duration::hours(25))),
        ];
        assert_eq!(
            reasons(&one_day.decide(&candidates, NOW)),
            ["scan", "skip: older than 1 day (created 2026-05-31)"]
        );
    }

    #[test]
    fn tag_cap_keeps_the_newest() {
        let day = |d: i64| Some(NOW - Duration::days(d));
        let candidates = [
            candidate("h.io/a/x:d5", day(5)),
            candidate("h.io/a/x:d1", day(1)),
            candidate("h.io/a/x:d3", day(3)),
            candidate("h.io/a/x:d2", day(2)),
            candidate("h.io/a/x:d4", day(4)),
            candidate("h.io/a/x:d6", day(6)),
            candidate("h.io/a/x:d7", day(7)),
            // Another repository has its own cap.
            candidate("h.io/a/y:d9", day(9)),
        ];
        let decisions = filter(FilterConfig::default()).decide(&candidates, NOW);
        let capped = "skip: beyond the 5 newest tags of h.io/a/x";
        assert_eq!(
            reasons(&decisions),
            [
                "scan", "scan", "scan", "scan", "scan", capped, capped, "scan"
            ]
        );
    }

    #[test]
    fn tag_cap_ties_and_missing_dates_by_tag_descending() {
        let same = Some(NOW - Duration::days(2));
        let candidates = [
            candidate("h.io/a/x:undated-b", None),
            candidate("h.io/a/x:1.0", same),
            candidate("h.io/a/x:undated-a", None),
            candidate("h.io/a/x:2.0", same),
            candidate("h.io/a/x:older", Some(NOW - Duration::days(3))),
            candidate("h.io/a/x:1.1", same),
        ];
        let keep = |n: u32| {
            let filter = Filter::new(FilterConfig {
                max_tags_per_repository: n,
                ..FilterConfig::default()
            })
            .unwrap();
            let decisions = filter.decide(&candidates, NOW);
            let mut kept: Vec<&str> = candidates
                .iter()
                .zip(&decisions)
                .filter(|(_, d)| d.is_scan())
                .map(|(c, _)| c.tag.as_str())
                .collect();
            kept.sort_unstable();
            kept
        };
        assert_eq!(keep(1), ["2.0"]);
        assert_eq!(keep(2), ["1.1", "2.0"]);
        assert_eq!(keep(3), ["1.0", "1.1", "2.0"]);
        assert_eq!(keep(4), ["1.0", "1.1", "2.0", "older"]);
        // Undated images count as the oldest, then by tag descending.
        assert_eq!(keep(5), ["1.0", "1.1", "2.0", "older", "undated-b"]);
        assert_eq!(keep(6).len(), 6);
        // The input order does not matter.
        let mut reversed = candidates.to_vec();
        reversed.reverse();
        let filter = filter(FilterConfig {
            max_tags_per_repository: 2,
            ..FilterConfig::default()
        });
        let kept: Vec<String> = reversed
            .iter()
            .zip(filter.decide(&reversed, NOW))
            .filter(|(_, d)| d.is_scan())
            .map(|(c, _)| c.tag.clone())
            .collect();
        assert_eq!(kept, ["1.1", "2.0"]);
    }

    #[test]
    fn tag_cap_applies_after_the_other_rules() {
        // Three newest are excluded or too old: the cap keeps the two newest of the rest.
        let day = |d: i64| Some(NOW - Duration::days(d));
        let candidates = [
            candidate("h.io/a/x:debug", day(1)),
            candidate("h.io/a/x:ancient", Some(datetime!(2020-01-01 0:00 UTC))),
            candidate("h.io/a/x:v3", day(3)),
            candidate("h.io/a/x:v2", day(4)),
            candidate("h.io/a/x:v1", day(5)),
        ];
        let filter = filter(FilterConfig {
            exclude: patterns(&["*:debug"]),
            max_tags_per_repository: 2,
            ..FilterConfig::default()
        });
        assert_eq!(
            reasons(&filter.decide(&candidates, NOW)),
            [
                r#"skip: excluded by pattern "*:debug""#,
                "skip: older than 90 days (created 2020-01-01)",
                "scan",
                "scan",
                "skip: beyond the 2 newest tags of h.io/a/x",
            ]
        );
    }

    #[test]
    fn tags_sharing_a_digest_are_all_candidates() {
        let mut latest = recent("h.io/a/x:latest");
        let mut v1 = recent("h.io/a/x:1");
        let digest = Digest::sha256_of(b"one image");
        latest.digest = digest.clone();
        v1.digest = digest;
        let decisions = filter(FilterConfig::default()).decide(&[latest, v1], NOW);
        assert_eq!(reasons(&decisions), ["scan", "scan"]);
    }

    #[test]
    fn repository_cap_in_sorted_order_per_registry_and_first() {
        let candidates = [
            recent("h.io/c/app:1"),
            recent("h.io/a/app:1"),
            recent("h.io/b/app:1"),
            recent("h.io/a/app:2"),
            recent("other.io/z/app:1"),
            recent("other.io/y/app:1"),
        ];
        let filter = filter(FilterConfig {
            max_repositories_per_registry: 2,
            // Would include c/app, but the repository cap comes first.
            include: patterns(&["c/*", "a/*", "b/*", "y/*", "z/*"]),
            ..FilterConfig::default()
        });
        let capped = |registry: &str| format!("skip: repository beyond the first 2 of {registry}");
        assert_eq!(
            reasons(&filter.decide(&candidates, NOW)),
            [
                capped("h.io"),
                "scan".into(),
                "scan".into(),
                "scan".into(),
                "scan".into(),
                "scan".into()
            ]
        );
        let one = Filter::new(FilterConfig {
            max_repositories_per_registry: 1,
            ..FilterConfig::default()
        })
        .unwrap();
        let decisions = one.decide(&candidates, NOW);
        let scanned: Vec<String> = candidates
            .iter()
            .zip(&decisions)
            .filter(|(_, d)| d.is_scan())
            .map(|(c, _)| c.name())
            .collect();
        assert_eq!(
            scanned,
            ["h.io/a/app:1", "h.io/a/app:2", "other.io/y/app:1"]
        );
    }

    #[test]
    fn the_order_of_rules_decides_the_reason() {
        // A repository beyond the cap that is also excluded, old and over the tag cap is
        // reported for the first rule only.
        let candidates = [
            recent("h.io/a/app:1"),
            candidate("h.io/b/app:debug", Some(datetime!(2020-01-01 0:00 UTC))),
            candidate("h.io/a/app:debug", Some(datetime!(2020-01-01 0:00 UTC))),
        ];
        let filter = filter(FilterConfig {
            exclude: patterns(&["*:debug"]),
            max_repositories_per_registry: 1,
            max_tags_per_repository: 1,
            ..FilterConfig::default()
        });
        assert_eq!(
            reasons(&filter.decide(&candidates, NOW)),
            [
                "scan",
                "skip: repository beyond the first 1 of h.io",
                r#"skip: excluded by pattern "*:debug""#
            ]
        );
    }
}
