use std::borrow::Cow;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Arc;
use std::sync::OnceLock;

use plimsoll_types::{
    Cvss, Finding, FixState, ImageInventory, Package, PackageKind, Severity, SeveritySource,
};
use plimsoll_version::{
    CompiledRange, Event, RangeKind, Semver, Version, VersionScheme, scheme_for,
};
use plimsoll_vulndb::{Advisory, Affected, VulnDb, normalise_package_name};

use crate::Result;
use crate::severity::severity;
use crate::target::{image_distro, osv_package_in};

/// What matching found, and what it could not judge.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MatchOutcome {
    /// Findings, most severe first, then by package and id.
    pub findings: Vec<Finding>,
    /// Packages or advisory entries that could not be evaluated (unparsable versions,
    /// ecosystems without a version ordering), one line each, for the report's warnings.
    pub problems: Vec<String>,
    /// Packages looked up.
    pub packages_checked: usize,
    /// Packages with no OSV ecosystem (an OS package of an unsupported distribution).
    pub packages_skipped: usize,
}

/// An advisory's affected entry, compiled once: event versions parsed and sorted, fixed
/// versions parsed.
struct CompiledEntry {
    /// `(is_semver, range)`: `SEMVER` ranges are evaluated on the installed version parsed as
    /// SemVer, `ECOSYSTEM` ranges on the ecosystem's parse.
    ranges: Vec<(bool, CompiledRange)>,
    /// `fixed` events, parsed by their range's scheme, sorted, with their text.
    fixed: Vec<(Version, String)>,
}

/// One `affected[]` entry of an advisory, ready to evaluate: its ecosystem, its package name
/// normalised once, and its ranges compiled once (or why they cannot be).
struct PreparedEntry<'db> {
    ecosystem: &'db str,
    name: Cow<'db, str>,
    compiled: std::result::Result<CompiledEntry, String>,
    entry: &'db Affected,
    /// The explicit `versions` list as a set: PYSEC records list hundreds of versions.
    versions: HashSet<&'db str, foldhash::fast::RandomState>,
    /// The entry's severity, the same for every package it affects; computed at the first hit.
    severity: OnceLock<(Severity, SeveritySource, Option<Cvss>)>,
}

fn compile_entry(
    scheme: &'static dyn VersionScheme,
    entry: &Affected,
) -> std::result::Result<CompiledEntry, String> {
    let mut ranges = Vec::with_capacity(entry.ranges.len());
    let mut fixed: Vec<(Version, String)> = Vec::new();
    for range in &entry.ranges {
        let (is_semver, range_scheme): (bool, &dyn VersionScheme) = match range.kind {
            RangeKind::Semver => (true, &Semver),
            _ => (false, scheme),
        };
        ranges.push((
            is_semver,
            CompiledRange::compile(range_scheme, &range.events).map_err(|e| e.to_string())?,
        ));
        for event in &range.events {
            if let Event::Fixed(v) = event
                && !fixed.iter().any(|(_, s)| s == v)
            {
                fixed.push((range_scheme.parse(v).map_err(|e| e.to_string())?, v.clone()));
            }
        }
    }
    fixed.sort_by(|a, b| a.0.try_cmp(&b.0).unwrap_or(std::cmp::Ordering::Equal));
    Ok(CompiledEntry { ranges, fixed })
}

/// Hash maps keyed by strings the matcher builds itself (ecosystems, package names): a fast
/// non-cryptographic hasher, since look-ups dominate matching and the keys are not hostile
/// (they come from the database and from inventories, and a collision only costs time).
type FastMap<K, V> = HashMap<K, V, foldhash::fast::RandomState>;

/// One affected entry naming a package: the advisory and its prepared entries, and which entry.
struct Candidate<'db> {
    advisory: &'db Arc<Advisory>,
    entries: Arc<[PreparedEntry<'db>]>,
    entry: usize,
}

/// Everything needed to match one (ecosystem, package name), worked out at its first look-up.
struct PackageAdvisories<'db> {
    scheme: Option<&'static dyn VersionScheme>,
    candidates: Vec<Candidate<'db>>,
}

/// Matches inventories against one database, keeping every advisory it has prepared (entries'
/// names normalised, ranges compiled) and, per package name, the entries that name it: the
/// next package and the next inventory pay a hash look-up and the version comparisons only.
/// Re-matching many stored inventories after a database update thus prepares each advisory
/// once.
pub struct Matcher<'db> {
    db: &'db VulnDb,
    /// Prepared entries by advisory address; advisories live as long as the database.
    prepared: FastMap<usize, Arc<[PreparedEntry<'db>]>>,
    /// Per ecosystem, per package name as inventories spell it: its candidates (empty for the
    /// many packages no advisory names, so those cost one look-up the next time).
    packages: FastMap<String, FastMap<Box<str>, Arc<PackageAdvisories<'db>>>>,
}

impl<'db> Matcher<'db> {
    /// A matcher over `db`.
    pub fn new(db: &'db VulnDb) -> Self {
        Matcher {
            db,
            prepared: FastMap::default(),
            packages: FastMap::default(),
        }
    }

    fn prepare(&mut self, advisory: &'db Arc<Advisory>) -> Arc<[PreparedEntry<'db>]> {
        let key = Arc::as_ptr(advisory) as usize;
        if let Some(prepared) = self.prepared.get(&key) {
            return Arc::clone(prepared);
        }
        let entries: Arc<[PreparedEntry<'db>]> = advisory
            .affected
            .iter()
            .map(|entry| PreparedEntry {
                ecosystem: entry.ecosystem.as_str(),
                name: normalise_package_name(&entry.ecosystem, &entry.name),
                compiled: match scheme_for(&entry.ecosystem) {
                    Some(scheme) => compile_entry(scheme, entry),
                    None => Err(format!(
                        "no version ordering for ecosystem {}",
                        entry.ecosystem
                    )),
                },
                entry,
                versions: entry.versions.iter().map(String::as_str).collect(),
                severity: OnceLock::new(),
            })
            .collect();
        self.prepared.insert(key, Arc::clone(&entries));
        entries
    }

    /// The candidates for a package, from the cache or worked out and cached.
    fn package_advisories(
        &mut self,
        ecosystem: &str,
        name: &str,
    ) -> Result<Arc<PackageAdvisories<'db>>> {
        if let Some(known) = self
            .packages
            .get(ecosystem)
            .and_then(|names| names.get(name))
        {
            return Ok(Arc::clone(known));
        }
        let db = self.db;
        let advisories = db.advisories_for(ecosystem, name)?;
        let wanted_name = normalise_package_name(ecosystem, name);
        let mut candidates = Vec::new();
        for advisory in advisories {
            let entries = self.prepare(advisory);
            for (index, entry) in entries.iter().enumerate() {
                if entry.ecosystem == ecosystem && entry.name == wanted_name {
                    candidates.push(Candidate {
                        advisory,
                        entries: Arc::clone(&entries),
                        entry: index,
                    });
                }
            }
        }
        let found = Arc::new(PackageAdvisories {
            scheme: scheme_for(ecosystem),
            candidates,
        });
        self.packages
            .entry(ecosystem.to_owned())
            .or_default()
            .insert(name.into(), Arc::clone(&found));
        Ok(found)
    }

    /// Matches every package of `image`.
    pub fn match_inventory(&mut self, image: &ImageInventory) -> Result<MatchOutcome> {
        let db = self.db;
        let mut outcome = MatchOutcome::default();
        // Worked out once per image, not per package.
        let deb = image_distro(image.os.as_ref(), PackageKind::Deb);
        let apk = image_distro(image.os.as_ref(), PackageKind::Apk);
        let rpm = image_distro(image.os.as_ref(), PackageKind::Rpm);
        for package in &image.packages {
            let distro = match package.kind {
                PackageKind::Deb => deb.as_deref().map(Cow::Borrowed),
                PackageKind::Apk => apk.as_deref().map(Cow::Borrowed),
                PackageKind::Rpm => rpm.as_deref().map(Cow::Borrowed),
                PackageKind::Python
                | PackageKind::Npm
                | PackageKind::Maven
                | PackageKind::Go
                | PackageKind::Cargo
                | PackageKind::Gem
                | PackageKind::Composer
                | PackageKind::Nuget
                | PackageKind::Conda => None,
            };
            let Some(target) = osv_package_in(package, distro) else {
                outcome.packages_skipped += 1;
                continue;
            };
            outcome.packages_checked += 1;
            let known = self.package_advisories(&target.ecosystem, target.name)?;
            if known.candidates.is_empty() {
                continue;
            }
            let Some(scheme) = known.scheme else {
                outcome.problems.push(format!(
                    "{} {}: no version ordering for ecosystem {}",
                    package.name, package.version, target.ecosystem
                ));
                continue;
            };
            let installed = match scheme.parse(target.version) {
                Ok(v) => v,
                Err(e) => {
                    outcome.problems.push(format!(
                        "{} {} ({}): {e}; not matched",
                        package.name, package.version, target.ecosystem
                    ));
                    continue;
                }
            };
            // Parsed as SemVer only if some advisory has a SEMVER range for it.
            let mut as_semver: Option<Option<Version>> = None;
            let mut hits = Vec::new();
            for candidate in &known.candidates {
                let advisory = candidate.advisory;
                let entry = &candidate.entries[candidate.entry];
                let compiled = match &entry.compiled {
                    Ok(c) => c,
                    Err(e) => {
                        outcome.problems.push(format!(
                            "{} {}: advisory {} has a range this ordering cannot evaluate: {e}",
                            package.name, package.version, advisory.id
                        ));
                        continue;
                    }
                };
                let in_range = compiled.ranges.iter().any(|(is_semver, range)| {
                    if *is_semver {
                        as_semver
                            .get_or_insert_with(|| Semver.parse(target.version).ok())
                            .as_ref()
                            .is_some_and(|v| range.includes(v))
                    } else {
                        range.includes(&installed)
                    }
                });
                if in_range || entry.versions.contains(target.version) {
                    let severity = entry
                        .severity
                        .get_or_init(|| entry_severity(db, advisory, entry.entry));
                    hits.push(finding(
                        advisory,
                        package,
                        &target,
                        &installed,
                        compiled,
                        severity.clone(),
                    ));
                }
            }
            outcome.findings.extend(merge_aliases(hits));
        }
        outcome.findings.sort_by(|a, b| {
            b.severity
                .cmp(&a.severity)
                .then_with(|| a.package.cmp(&b.package))
                .then_with(|| a.installed.cmp(&b.installed))
                .then_with(|| a.id.cmp(&b.id))
        });
        Ok(outcome)
    }
}

/// Matches every package of `image` against `db` (a one-off [`Matcher`]).
pub fn match_inventory(db: &VulnDb, image: &ImageInventory) -> Result<MatchOutcome> {
    Matcher::new(db).match_inventory(image)
}

/// `fixed` events above the installed version: the upgrades that remove the vulnerability.
fn fixed_versions(installed: &Version, compiled: &CompiledEntry) -> Vec<String> {
    compiled
        .fixed
        .iter()
        .filter(|(v, _)| {
            v.scheme().name() != installed.scheme().name()
                || v.try_cmp(installed).is_ok_and(std::cmp::Ordering::is_gt)
        })
        .map(|(_, s)| s.clone())
        .collect()
}

/// Severity of an advisory entry, with the aliased records' as the last resort.
fn entry_severity(
    db: &VulnDb,
    advisory: &Advisory,
    entry: &Affected,
) -> (Severity, SeveritySource, Option<Cvss>) {
    let alias_severity = || {
        advisory.aliases.iter().find_map(|alias| {
            let aliased = db.by_id(alias).ok().flatten()?;
            if aliased.id == advisory.id {
                return None;
            }
            let (sev, source, cvss) = severity(aliased, &[], None, || None);
            (source != SeveritySource::None).then_some((sev, cvss))
        })
    };
    severity(
        advisory,
        &entry.severity,
        entry.severity_hint.as_deref(),
        alias_severity,
    )
}

fn finding(
    advisory: &Advisory,
    package: &Package,
    target: &crate::OsvPackage<'_>,
    installed: &Version,
    compiled: &CompiledEntry,
    (severity, severity_source, cvss): (Severity, SeveritySource, Option<Cvss>),
) -> Finding {
    let fixed_versions = fixed_versions(installed, compiled);
    Finding {
        id: advisory.id.clone(),
        aliases: advisory.aliases.clone(),
        summary: advisory.summary.clone(),
        package: package.name.clone(),
        kind: package.kind,
        installed: package.version.clone(),
        purl: package.purl.clone(),
        matched_ecosystem: target.ecosystem.clone().into_owned(),
        matched_name: target.name.to_owned(),
        status: if fixed_versions.is_empty() {
            FixState::Unfixed
        } else {
            FixState::Fixed
        },
        fixed_versions,
        severity,
        severity_source,
        cvss,
        found_in: package.found_in.clone(),
        layer: package.layer.clone(),
        references: advisory.references.iter().map(|r| r.url.clone()).collect(),
    }
}

/// Rank of a severity source: a computed CVSS score beats a label, which beats a borrowed one.
fn source_rank(source: SeveritySource) -> u8 {
    match source {
        SeveritySource::CvssV4 => 0,
        SeveritySource::CvssV3 => 1,
        SeveritySource::CvssV2 => 2,
        SeveritySource::Database => 3,
        SeveritySource::Alias => 4,
        SeveritySource::None => 5,
    }
}

/// One finding per vulnerability and package: records that name each other (directly or
/// through a shared alias) are merged, keeping the one with the best-sourced severity as the
/// primary and every other id as an alias.
fn merge_aliases(mut hits: Vec<Finding>) -> Vec<Finding> {
    hits.sort_by(|a, b| {
        source_rank(a.severity_source)
            .cmp(&source_rank(b.severity_source))
            .then_with(|| a.id.cmp(&b.id))
    });
    // Called with the hits of one package; a group per vulnerability, found through any id.
    let mut merged: Vec<(BTreeSet<String>, Finding)> = Vec::new();
    let mut group_of: HashMap<String, usize> = HashMap::new();
    for hit in hits {
        let ids: Vec<String> = std::iter::once(hit.id.clone())
            .chain(hit.aliases.iter().cloned())
            .collect();
        let Some(group) = ids.iter().find_map(|id| group_of.get(id).copied()) else {
            for id in &ids {
                group_of.insert(id.clone(), merged.len());
            }
            merged.push((ids.into_iter().collect(), hit));
            continue;
        };
        let (known, primary) = &mut merged[group];
        for id in ids {
            group_of.entry(id.clone()).or_insert(group);
            known.insert(id);
        }
        for v in hit.fixed_versions {
            if !primary.fixed_versions.contains(&v) {
                primary.fixed_versions.push(v);
            }
        }
        if primary.status == FixState::Unfixed && !primary.fixed_versions.is_empty() {
            primary.status = FixState::Fixed;
        }
        for r in hit.references {
            if !primary.references.contains(&r) {
                primary.references.push(r);
            }
        }
        if primary.summary.is_none() {
            primary.summary = hit.summary;
        }
    }
    merged
        .into_iter()
        .map(|(known, mut primary)| {
            primary.aliases = known.into_iter().filter(|a| *a != primary.id).collect();
            primary
        })
        .collect()
}

#[cfg(test)]
mod tests {
    /// The registry scan hands one warm matcher from task to task.
    #[test]
    fn matcher_is_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<super::Matcher<'static>>();
    }
}
