//! OSV affected-range evaluation, as the OSV schema's "Evaluation" section specifies
//! (`IsVulnerable`, `IncludedInVersions`, `IncludedInRanges`, `BeforeLimits`).
//!
//! A version is affected when it is listed in `versions` (exact string equality, as the
//! schema's pseudocode has it) or when some range includes it. A range includes a version when
//! the version is below one of the range's `limit` events (`*` meaning infinity; no limit event
//! means an implicit `*`), and when walking the events sorted by version leaves it vulnerable:
//! `introduced` at or below the version makes it vulnerable, `fixed` at or below makes it safe,
//! `last_affected` strictly below makes it safe. `introduced: "0"` sorts before every version.
//! Events are sorted with a stable sort, so events naming equal versions keep the record's
//! order.
//!
//! `ECOSYSTEM` ranges use the ecosystem's scheme; `SEMVER` ranges always use [`Semver`],
//! whatever the ecosystem; `GIT` ranges name commits and are skipped. The version is parsed by
//! each scheme a range needs, once; an unparsable version or event is an error, never a
//! verdict.

use std::borrow::Cow;
use std::cmp::Ordering;

use serde::{Deserialize, Serialize};

use crate::{Result, Semver, Version, VersionScheme};

/// How a range's event versions are ordered (`affected[].ranges[].type`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum RangeKind {
    /// The ecosystem's own ordering (dpkg, PEP 440, Maven, …).
    Ecosystem,
    /// `SemVer` 2.0 precedence, whatever the ecosystem.
    Semver,
    /// Git commits; a package scanner cannot order them, so evaluation skips these ranges.
    Git,
}

/// One event of a range (`affected[].ranges[].events[]`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Event {
    /// Vulnerable from this version on; `"0"` means from the very first version.
    Introduced(String),
    /// Not vulnerable from this version on.
    Fixed(String),
    /// Vulnerable up to and including this version, not after.
    LastAffected(String),
    /// The range covers only versions below this one; `"*"` means no bound.
    Limit(String),
}

impl Event {
    /// The version the event names.
    pub fn version(&self) -> &str {
        match self {
            Event::Introduced(v) | Event::Fixed(v) | Event::LastAffected(v) | Event::Limit(v) => v,
        }
    }
}

/// One affected range (`affected[].ranges[]`). The vulnerability database stores its records
/// with these very types (serialised as OSV spells them), so there is one model of a range.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Range {
    /// How `events` are ordered.
    #[serde(rename = "type")]
    pub kind: RangeKind,
    /// The events in the record's order; evaluation sorts them.
    pub events: Vec<Event>,
}

/// Whether `version` of a package is affected by an OSV `affected[]` entry with these
/// `ranges` and `versions`, per the OSV evaluation algorithm. `scheme` is the ecosystem's
/// scheme (see [`scheme_for`](crate::scheme_for)).
///
/// The version is parsed only when a range needs it, once per scheme. A caller that checks
/// one installed version against many entries should parse it once and use
/// [`affected_version`].
pub fn affected(
    scheme: &dyn VersionScheme,
    version: &str,
    ranges: &[Range],
    versions: &[String],
) -> Result<bool> {
    if listed(version, versions) {
        return Ok(true);
    }
    Subject {
        raw: version,
        scheme,
        ecosystem: None,
        semver: None,
    }
    .included_in_ranges(ranges)
}

/// [`affected`] for a version already parsed by the ecosystem's scheme, which is also the
/// scheme its `ECOSYSTEM` ranges use.
pub fn affected_version(version: &Version, ranges: &[Range], versions: &[String]) -> Result<bool> {
    if listed(version.as_str(), versions) {
        return Ok(true);
    }
    let semver = (version.scheme().name() == Semver.name()).then_some(Cow::Borrowed(version));
    Subject {
        raw: version.as_str(),
        scheme: version.scheme(),
        ecosystem: Some(Cow::Borrowed(version)),
        semver,
    }
    .included_in_ranges(ranges)
}

fn listed(version: &str, versions: &[String]) -> bool {
    versions.iter().any(|listed| listed == version)
}

/// The version under test, parsed lazily by each scheme the ranges need.
struct Subject<'a> {
    raw: &'a str,
    scheme: &'a dyn VersionScheme,
    ecosystem: Option<Cow<'a, Version>>,
    semver: Option<Cow<'a, Version>>,
}

impl Subject<'_> {
    fn included_in_ranges(&mut self, ranges: &[Range]) -> Result<bool> {
        for range in ranges {
            let (scheme, slot): (&dyn VersionScheme, _) = match range.kind {
                RangeKind::Ecosystem => (self.scheme, &mut self.ecosystem),
                RangeKind::Semver => (&Semver, &mut self.semver),
                RangeKind::Git => continue,
            };
            let version = match slot {
                Some(version) => &**version,
                None => &**slot.insert(Cow::Owned(scheme.parse(self.raw)?)),
            };
            if range_includes(scheme, version, &range.events)? {
                return Ok(true);
            }
        }
        Ok(false)
    }
}

/// `BeforeLimits` and the event walk of `IncludedInRanges` for one range.
fn range_includes(scheme: &dyn VersionScheme, version: &Version, events: &[Event]) -> Result<bool> {
    Ok(CompiledRange::compile(scheme, events)?.includes(version))
}

/// One range with its event versions parsed and sorted once, for evaluating many installed
/// versions against it (the matcher compiles each advisory entry once per run instead of
/// re-parsing its events for every package). The evaluation is the one `affected` uses.
#[derive(Clone, Debug)]
pub struct CompiledRange {
    /// `None`: no `limit` event (an implicit `*`); `Some(bounds)`: below any of them, where a
    /// `None` bound is `*`.
    limits: Option<Vec<Option<Version>>>,
    /// Events sorted by version; bound `None` is `introduced: "0"`, below every version.
    events: Vec<(Option<Version>, EventKind)>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum EventKind {
    Introduced,
    Fixed,
    LastAffected,
}

impl CompiledRange {
    /// Parses and sorts a range's events with `scheme` (the range's own: [`Semver`] for
    /// `SEMVER` ranges). An event the scheme cannot read is an error.
    pub fn compile(scheme: &dyn VersionScheme, events: &[Event]) -> Result<CompiledRange> {
        let mut limits: Option<Vec<Option<Version>>> = None;
        let mut sorted = Vec::with_capacity(events.len());
        for event in events {
            let (bound, kind) = match event {
                Event::Limit(limit) => {
                    let bound = if limit.contains('*') {
                        None
                    } else {
                        Some(scheme.parse(limit)?)
                    };
                    limits.get_or_insert_with(Vec::new).push(bound);
                    continue;
                }
                Event::Introduced(v) if v == "0" => (None, EventKind::Introduced),
                Event::Introduced(v) => (Some(scheme.parse(v)?), EventKind::Introduced),
                Event::Fixed(v) => (Some(scheme.parse(v)?), EventKind::Fixed),
                Event::LastAffected(v) => (Some(scheme.parse(v)?), EventKind::LastAffected),
            };
            sorted.push((bound, kind));
        }
        // Same scheme throughout, so `partial_cmp` always answers; the sort is stable, so
        // events naming equal versions keep the record's order.
        sorted.sort_by(|(a, _), (b, _)| a.partial_cmp(b).unwrap_or(Ordering::Equal));
        Ok(CompiledRange {
            limits,
            events: sorted,
        })
    }

    /// Whether `version` (parsed by the same scheme) is inside the range.
    pub fn includes(&self, version: &Version) -> bool {
        if let Some(limits) = &self.limits
            && !limits
                .iter()
                .any(|limit| limit.as_ref().is_none_or(|limit| version < limit))
        {
            return false;
        }
        let mut vulnerable = false;
        for (bound, kind) in &self.events {
            let order = bound.as_ref().map_or(Ordering::Greater, |bound| {
                version.partial_cmp(bound).unwrap_or(Ordering::Less)
            });
            match kind {
                EventKind::Introduced if order.is_ge() => vulnerable = true,
                EventKind::Fixed if order.is_ge() => vulnerable = false,
                EventKind::LastAffected if order.is_gt() => vulnerable = false,
                _ => {}
            }
        }
        vulnerable
    }
}
