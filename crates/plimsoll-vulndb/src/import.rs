//! Building a new generation from sources: [`import`].

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use time::OffsetDateTime;

use crate::error::{Error, Result};
use crate::meta::{DbMeta, ImportCounts, SCHEMA_VERSION, SourceMeta};
use crate::model::Advisory;
use crate::osv::{DocumentError, Record, parse_document};
use crate::source::{ImportSource, Payload, SourceFormat};
use crate::store::{self, GEN_PREFIX, ImportLock, WriteStep};
use crate::{alpine_secdb, debian_tracker};

/// At most this many warnings are kept in an [`ImportReport`]; all are logged and counted.
const MAX_REPORTED_WARNINGS: usize = 200;

/// How an import treats the records already in the database.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum ImportMode {
    /// Start from the current database's records and merge the sources into them (the
    /// default): `plimsoll db import pypi/` then `… npm/` gives a database with both.
    #[default]
    Merge,
    /// Build the database from the given sources only.
    Replace,
}

/// A step of an import, reported to the [`ImportOptions::on_progress`] observer (the CLI draws
/// a progress bar from it).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ImportEvent {
    /// Reading and parsing a source begins.
    Reading {
        /// The source's path or URL.
        location: String,
    },
    /// Writing a data file of the new generation begins.
    Writing {
        /// The file name.
        file: String,
        /// Files already written.
        done: usize,
        /// Files to write.
        total: usize,
    },
    /// The new generation is complete on disk; `CURRENT` is about to point to it.
    Committing,
}

type Observer = Arc<dyn Fn(&ImportEvent) + Send + Sync>;

/// Options of [`import`].
#[derive(Clone, Default)]
pub struct ImportOptions {
    pub(crate) mode: ImportMode,
    observer: Option<Observer>,
}

impl fmt::Debug for ImportOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ImportOptions")
            .field("mode", &self.mode)
            .field("observer", &self.observer.is_some())
            .finish()
    }
}

impl ImportOptions {
    /// Merge into the existing database, no progress observer.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets whether the existing records are kept ([`ImportMode::Merge`]).
    #[must_use]
    pub fn mode(mut self, mode: ImportMode) -> Self {
        self.mode = mode;
        self
    }

    /// Calls `observer` at each [`ImportEvent`], on the importing thread.
    #[must_use]
    pub fn on_progress(mut self, observer: impl Fn(&ImportEvent) + Send + Sync + 'static) -> Self {
        self.observer = Some(Arc::new(observer));
        self
    }

    fn emit(&self, event: &ImportEvent) {
        if let Some(observer) = &self.observer {
            observer(event);
        }
    }
}

/// A document or record the import skipped or trimmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportWarning {
    /// The file or `archive!entry` it came from.
    pub origin: String,
    /// The record id, when known.
    pub id: Option<String>,
    /// What was wrong.
    pub message: String,
}

impl fmt::Display for ImportWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.id {
            Some(id) => write!(f, "{} ({id}): {}", self.origin, self.message),
            None => write!(f, "{}: {}", self.origin, self.message),
        }
    }
}

/// What an import did.
#[derive(Debug, Clone)]
pub struct ImportReport {
    /// Metadata of the new generation (also what [`VulnDb::status`](crate::VulnDb::status)
    /// returns once opened).
    pub meta: DbMeta,
    /// The sources of this import with their counts.
    pub sources: Vec<SourceMeta>,
    /// Ids new to the database.
    pub added: usize,
    /// Ids whose stored record was replaced by a newer (or equally new) one.
    pub updated: usize,
    /// Ids removed from the database by a withdrawal.
    pub removed: usize,
    /// When merging over a database of another schema version, that version: its records
    /// could not be read, so the new database holds only this import's sources.
    pub discarded_schema: Option<u32>,
    /// The first warnings (all are logged through `tracing` and counted in `sources`).
    pub warnings: Vec<ImportWarning>,
    /// Wall-clock time of the import.
    pub duration: Duration,
}

/// Where the winning copy of an id came from.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Origin {
    Existing,
    Source(usize),
}

struct Slot {
    modified: OffsetDateTime,
    /// `None`: withdrawn (a tombstone that deletes the id).
    advisory: Option<Advisory>,
    origin: Origin,
    existed: bool,
}

/// Imports `sources` into the database at `db_dir` as a new generation, atomically.
///
/// Semantics (see `docs/architecture.md`, and `docs/matching.md` for the distribution data):
/// - Each document's format is recognised by its content ([`SourceFormat`], counted per source
///   in [`SourceMeta::formats`]): OSV records are normalised, Debian security-tracker lists and
///   Alpine secdb files are converted to records of the same model.
/// - [`ImportMode::Merge`] starts from the current records; [`ImportMode::Replace`] from none.
/// - Records are keyed by id. Of two copies the later `modified` wins; on a tie the one read
///   later wins (sources in argument order, all after the existing database), so re-importing
///   a feed replaces its records even when, like Go's vulndb repository, it leaves `modified`
///   unset (`0001-01-01`).
/// - A withdrawn record is excluded and, if it wins, deletes the stored copy of its id.
/// - A converted Alpine record holds one release of its id (one secdb file): it is merged into
///   the stored copy, its entries replacing those of the same release and package, rather
///   than replacing the record.
/// - Malformed documents, records and native lines, JSON in no known format, unknown
///   ecosystems and releases are skipped, counted and warned about, never fatal. A source that
///   cannot be read at all (missing directory, corrupt zip, I/O error) or holds no document
///   aborts the import, leaving the previous database current.
/// - The source entries in the metadata are keyed by location: importing the same path or URL
///   again replaces its entry.
///
/// Only one import runs at a time per directory ([`Error::Locked`] otherwise). Readers with
/// the previous generation open are not disturbed.
pub fn import(
    db_dir: &Path,
    sources: &[ImportSource],
    options: &ImportOptions,
) -> Result<ImportReport> {
    let started = Instant::now();
    let _lock = ImportLock::acquire(db_dir)?;
    store::remove_stale_builds(db_dir);

    let previous = store::read_current(db_dir)?;
    let mut table: HashMap<String, Slot> = HashMap::new();
    let mut previous_meta = None;
    let mut discarded_schema = None;
    if let Some(name) = &previous {
        let generation = db_dir.join(name);
        match store::read_meta(db_dir, &generation) {
            Ok(meta) => {
                if options.mode == ImportMode::Merge {
                    for advisory in store::read_all(&generation, &meta)? {
                        table.insert(
                            advisory.id.clone(),
                            Slot {
                                modified: advisory.modified,
                                advisory: Some(advisory),
                                origin: Origin::Existing,
                                existed: true,
                            },
                        );
                    }
                    previous_meta = Some(meta);
                }
            }
            Err(Error::SchemaMismatch { found, .. }) => {
                if options.mode == ImportMode::Merge {
                    discarded_schema = Some(found);
                    tracing::warn!(
                        found,
                        expected = SCHEMA_VERSION,
                        "existing vulnerability database has another schema version; rebuilding from the given sources only"
                    );
                }
            }
            Err(e) => return Err(e),
        }
    }

    let mut warnings = Vec::new();
    let now = OffsetDateTime::now_utc();
    let mut source_metas = Vec::with_capacity(sources.len());
    let mut advisories_per_source = vec![0_usize; sources.len()];
    for (number, source) in sources.iter().enumerate() {
        options.emit(&ImportEvent::Reading {
            location: source.location(),
        });
        let mut read = SourceRead {
            number,
            counts: ImportCounts::default(),
            formats: BTreeMap::new(),
            partial: BTreeMap::new(),
            advisories: 0,
        };
        let documents = source.for_each_document(&mut |origin, payload| {
            read.document(&mut table, &mut warnings, origin, payload);
        })?;
        read.flush_partial(&mut table);
        let SourceRead {
            mut counts,
            formats,
            advisories,
            ..
        } = read;
        advisories_per_source[number] = advisories;
        counts.documents = documents;
        let (etag, last_modified) = match source {
            ImportSource::Download(d) => (d.etag.clone(), d.last_modified.clone()),
            _ => (None, None),
        };
        source_metas.push(SourceMeta {
            kind: source.kind(),
            location: source.location(),
            etag,
            last_modified,
            imported_at: now,
            formats,
            counts,
        });
    }

    // Tally the outcome per source and for the database.
    let (mut added, mut updated, mut removed) = (0, 0, 0);
    let mut records = Vec::with_capacity(table.len());
    for slot in table.into_values() {
        match (&slot.advisory, slot.existed, slot.origin) {
            (None, true, _) => removed += 1,
            (Some(_), false, _) => added += 1,
            (Some(_), true, Origin::Source(_)) => updated += 1,
            _ => {}
        }
        if let (Some(_), Origin::Source(number)) = (&slot.advisory, slot.origin) {
            source_metas[number].counts.imported += 1;
        }
        if let Some(advisory) = slot.advisory {
            records.push(advisory);
        }
    }
    for (meta, advisories) in source_metas.iter_mut().zip(&advisories_per_source) {
        meta.counts.superseded = advisories - meta.counts.imported;
    }
    records.sort_by(|a, b| a.id.cmp(&b.id));

    // Earlier sources keep their entries unless re-imported now.
    let mut all_sources: Vec<SourceMeta> = previous_meta
        .map(|meta| meta.sources)
        .unwrap_or_default()
        .into_iter()
        .filter(|old| !source_metas.iter().any(|new| new.location == old.location))
        .collect();
    all_sources.extend(source_metas.iter().cloned());

    let built_at = OffsetDateTime::now_utc();
    let meta = DbMeta {
        schema_version: SCHEMA_VERSION,
        built_at,
        built_by: concat!(env!("CARGO_PKG_NAME"), " ", env!("CARGO_PKG_VERSION")).to_owned(),
        records: 0,
        ecosystems: BTreeMap::new(),
        sources: all_sources,
        files: Vec::new(),
    };
    let name = generation_name(db_dir, built_at);
    let meta = store::commit_generation(db_dir, &name, &records, meta, &mut |step| match step {
        WriteStep::File { name, done, total } => options.emit(&ImportEvent::Writing {
            file: name.to_owned(),
            done,
            total,
        }),
        WriteStep::Committing => options.emit(&ImportEvent::Committing),
    })?;

    let mut keep = vec![name.as_str()];
    if let Some(previous) = &previous {
        keep.push(previous);
    }
    store::remove_old_generations(db_dir, &keep);

    Ok(ImportReport {
        meta,
        sources: source_metas,
        added,
        updated,
        removed,
        discarded_schema,
        warnings,
        duration: started.elapsed(),
    })
}

/// Logs a warning and keeps the first [`MAX_REPORTED_WARNINGS`] for the report.
fn warn(warning: ImportWarning, warnings: &mut Vec<ImportWarning>) {
    tracing::warn!(origin = %warning.origin, id = ?warning.id, "{}", warning.message);
    if warnings.len() < MAX_REPORTED_WARNINGS {
        warnings.push(warning);
    }
}

/// The documents of one source being read into the table.
struct SourceRead {
    number: usize,
    counts: ImportCounts,
    formats: BTreeMap<SourceFormat, usize>,
    /// Alpine records of this source, folded per id over its documents (each secdb file holds
    /// one release of a record) before they meet the table: see [`merge_partial`].
    partial: BTreeMap<String, Advisory>,
    /// Advisories this source offered the table (the ones it did not win are `superseded`).
    advisories: usize,
}

impl SourceRead {
    /// Reads one document, whatever its format: a Debian tracker list (by its first line), else
    /// JSON that is OSV, an Alpine secdb file or the tracker's `config.json` (by its keys).
    fn document(
        &mut self,
        table: &mut HashMap<String, Slot>,
        warnings: &mut Vec<ImportWarning>,
        origin: &str,
        payload: Payload<'_>,
    ) {
        let skipped = |message: String| ImportWarning {
            origin: origin.to_owned(),
            id: None,
            message,
        };
        let bytes = match payload {
            Payload::Bytes(bytes) => bytes,
            Payload::TooLarge => {
                self.counts.malformed += 1;
                warn(
                    skipped("document larger than 64 MiB skipped".to_owned()),
                    warnings,
                );
                return;
            }
        };
        if debian_tracker::looks_like_list(bytes) {
            *self.formats.entry(SourceFormat::DebianTracker).or_default() += 1;
            let advisories = debian_tracker::convert(origin, bytes, &mut self.counts, &mut |w| {
                warn(w, warnings);
            });
            for advisory in advisories {
                self.offer(table, advisory);
            }
            return;
        }
        let document = match parse_document(bytes) {
            Ok(document) => document,
            Err(DocumentError::NotOsv) => {
                self.native_json(origin, bytes, warnings);
                return;
            }
            Err(DocumentError::InvalidJson(reason)) => {
                self.counts.malformed += 1;
                warn(
                    skipped(format!("invalid JSON, skipped: {reason}")),
                    warnings,
                );
                return;
            }
        };
        *self.formats.entry(SourceFormat::Osv).or_default() += 1;
        for (ecosystem, entries) in document.unknown_ecosystems {
            *self.counts.unknown_ecosystems.entry(ecosystem).or_default() += entries;
        }
        for message in document.unsupported_ranges {
            warn(skipped(message), warnings);
        }
        for record in document.records {
            self.counts.records += 1;
            match record {
                Record::Advisory(advisory) => self.offer(table, advisory),
                Record::Withdrawn { id, modified } => {
                    self.counts.withdrawn += 1;
                    upsert(table, id, modified, None, Origin::Source(self.number));
                }
                Record::NoPackages { id } => {
                    self.counts.no_packages += 1;
                    tracing::debug!(%origin, %id, "no package in a known ecosystem");
                }
                Record::Malformed { id, reason } => {
                    self.counts.malformed += 1;
                    warn(
                        ImportWarning {
                            origin: origin.to_owned(),
                            id,
                            message: format!("malformed OSV record, skipped: {reason}"),
                        },
                        warnings,
                    );
                }
            }
        }
    }

    /// JSON that is not OSV: an Alpine secdb file, the tracker's `config.json`, or neither.
    fn native_json(&mut self, origin: &str, bytes: &[u8], warnings: &mut Vec<ImportWarning>) {
        // Only documents without an OSV `id` pay for this second parse.
        let value: Option<serde_json::Value> = serde_json::from_slice(bytes).ok();
        match value {
            Some(value) if alpine_secdb::is_secdb(&value) => {
                *self.formats.entry(SourceFormat::AlpineSecdb).or_default() += 1;
                let advisories = alpine_secdb::convert(origin, value, &mut self.counts, &mut |w| {
                    warn(w, warnings);
                });
                for advisory in advisories {
                    fold_partial(&mut self.partial, advisory);
                }
            }
            Some(value) if debian_tracker::is_config(&value) => {
                *self.formats.entry(SourceFormat::DebianTracker).or_default() += 1;
                tracing::debug!(%origin, "Debian security-tracker config: no advisories");
            }
            _ => {
                self.counts.not_osv += 1;
                warn(
                    ImportWarning {
                        origin: origin.to_owned(),
                        id: None,
                        message: "neither an OSV record (no `id`), an Alpine secdb file nor a Debian tracker config, skipped".to_owned(),
                    },
                    warnings,
                );
            }
        }
    }

    /// A complete record: replaces a stored copy of its id if not older.
    fn offer(&mut self, table: &mut HashMap<String, Slot>, advisory: Advisory) {
        self.advisories += 1;
        let id = advisory.id.clone();
        upsert(
            table,
            id,
            advisory.modified,
            Some(advisory),
            Origin::Source(self.number),
        );
    }

    /// Hands the source's folded Alpine records to the table, each merged into a stored copy.
    fn flush_partial(&mut self, table: &mut HashMap<String, Slot>) {
        let origin = Origin::Source(self.number);
        for advisory in std::mem::take(&mut self.partial).into_values() {
            self.counts.records += 1;
            self.advisories += 1;
            match table.get_mut(&advisory.id) {
                Some(slot) => {
                    let merged = match slot.advisory.take() {
                        Some(stored) => merge_partial(stored, advisory),
                        None => advisory,
                    };
                    slot.modified = slot.modified.max(merged.modified);
                    slot.advisory = Some(merged);
                    slot.origin = origin;
                }
                None => {
                    table.insert(
                        advisory.id.clone(),
                        Slot {
                            modified: advisory.modified,
                            advisory: Some(advisory),
                            origin,
                            existed: false,
                        },
                    );
                }
            }
        }
    }
}

fn fold_partial(partial: &mut BTreeMap<String, Advisory>, advisory: Advisory) {
    match partial.remove(&advisory.id) {
        Some(stored) => {
            partial.insert(advisory.id.clone(), merge_partial(stored, advisory));
        }
        None => {
            partial.insert(advisory.id.clone(), advisory);
        }
    }
}

/// Merges a record that describes only some of its id's packages (an Alpine secdb file: one
/// release) into a stored copy of the id. The new record's affected entries replace the
/// stored entries of the same (ecosystem, package) and join the others, so importing
/// `v3.10/main.json` and then `v3.11/main.json`, in one import or two, keeps both releases;
/// ids, references and severities are united. An entry that upstream later drops stays
/// until a [`ImportMode::Replace`] import, as do records deleted upstream.
fn merge_partial(mut stored: Advisory, new: Advisory) -> Advisory {
    stored.affected.retain(|old| {
        !new.affected
            .iter()
            .any(|a| a.ecosystem == old.ecosystem && a.name == old.name)
    });
    stored.affected.extend(new.affected);
    for (list, more) in [
        (&mut stored.aliases, new.aliases),
        (&mut stored.related, new.related),
        (&mut stored.upstream, new.upstream),
    ] {
        for id in more {
            if !list.contains(&id) {
                list.push(id);
            }
        }
    }
    for reference in new.references {
        if !stored.references.contains(&reference) {
            stored.references.push(reference);
        }
    }
    for severity in new.severity {
        if !stored.severity.contains(&severity) {
            stored.severity.push(severity);
        }
    }
    stored.modified = stored.modified.max(new.modified);
    stored.published = stored.published.or(new.published);
    stored.summary = stored.summary.or(new.summary);
    stored.database_severity = stored.database_severity.or(new.database_severity);
    stored
}

fn upsert(
    table: &mut HashMap<String, Slot>,
    id: String,
    modified: OffsetDateTime,
    advisory: Option<Advisory>,
    origin: Origin,
) {
    match table.get_mut(&id) {
        // A strictly newer stored copy wins; on a tie the later read wins.
        Some(slot) if slot.modified > modified => {}
        Some(slot) => {
            slot.modified = modified;
            slot.advisory = advisory;
            slot.origin = origin;
        }
        None => {
            table.insert(
                id,
                Slot {
                    modified,
                    advisory,
                    origin,
                    existed: false,
                },
            );
        }
    }
}

/// A fresh generation directory name: time-ordered for humans, unique per process.
fn generation_name(db_dir: &Path, at: OffsetDateTime) -> String {
    let stamp = format!(
        "{}{:09}-{}",
        at.unix_timestamp(),
        at.nanosecond(),
        std::process::id()
    );
    let mut name = format!("{GEN_PREFIX}{stamp}");
    let mut n = 0;
    while db_dir.join(&name).exists() {
        n += 1;
        name = format!("{GEN_PREFIX}{stamp}-{n}");
    }
    name
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Affected, Event, Range, RangeKind};

    fn alpine(release: &str, package: &str, fixed: &str) -> Advisory {
        Advisory {
            id: "ALPINE-CVE-1".to_owned(),
            aliases: vec!["CVE-1".to_owned()],
            related: Vec::new(),
            upstream: vec!["CVE-1".to_owned()],
            modified: OffsetDateTime::UNIX_EPOCH,
            published: None,
            summary: None,
            severity: Vec::new(),
            database_severity: None,
            references: Vec::new(),
            affected: vec![Affected {
                ecosystem: format!("Alpine:{release}"),
                name: package.to_owned(),
                purl: None,
                ranges: vec![Range {
                    kind: RangeKind::Ecosystem,
                    events: vec![Event::Introduced("0".into()), Event::Fixed(fixed.into())],
                }],
                versions: Vec::new(),
                severity: Vec::new(),
                severity_hint: None,
            }],
        }
    }

    fn packages(advisory: &Advisory) -> Vec<(&str, &str, &Event)> {
        advisory
            .affected
            .iter()
            .map(|a| {
                (
                    a.ecosystem.as_str(),
                    a.name.as_str(),
                    &a.ranges[0].events[1],
                )
            })
            .collect()
    }

    #[test]
    fn partial_records_merge_by_release_and_package() {
        let mut stored = alpine("v3.10", "openssl", "1.0.2o-r1");
        stored.summary = Some("from another feed".to_owned());
        let merged = merge_partial(stored, alpine("v3.11", "openssl", "1.1.1-r0"));
        let merged = merge_partial(merged, alpine("v3.11", "libressl", "2.7.4-r0"));
        // A corrected fix for one release and package replaces that entry only.
        let merged = merge_partial(merged, alpine("v3.11", "openssl", "1.1.1a-r0"));
        assert_eq!(
            packages(&merged),
            [
                ("Alpine:v3.10", "openssl", &Event::Fixed("1.0.2o-r1".into())),
                ("Alpine:v3.11", "libressl", &Event::Fixed("2.7.4-r0".into())),
                ("Alpine:v3.11", "openssl", &Event::Fixed("1.1.1a-r0".into())),
            ]
        );
        assert_eq!(merged.aliases, ["CVE-1"], "ids united, not repeated");
        assert_eq!(merged.summary.as_deref(), Some("from another feed"));
    }
}
