//! Parsing one OSV JSON document into normalised [`Advisory`] values.
//!
//! The raw structs name only the fields Plimsoll keeps; serde skips everything else without
//! building values for it (`details`, `credits`, Go's `imports` symbol lists), which is most of
//! the bytes of a feed. Classification follows the OSV schema's required fields: a document
//! without an `id` is not OSV at all (an Alpine secdb file, a config file); one with an `id` but
//! no valid `modified`, a wrongly typed field or an unknown range event is malformed.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::ecosystem::canonical_ecosystem;
use crate::model::{Advisory, Affected, Event, Range, RangeKind, Reference, Severity};

/// What one OSV record turned out to be.
#[derive(Debug)]
pub(crate) enum Record {
    /// A usable advisory.
    Advisory(Advisory),
    /// A withdrawn record: a tombstone that removes an older copy of the id on merge.
    Withdrawn {
        id: String,
        modified: OffsetDateTime,
    },
    /// A valid record none of whose affected packages is in a known ecosystem (or that lists
    /// none): nothing could ever match it.
    NoPackages { id: String },
    /// Skipped: the reason says which field was wrong.
    Malformed { id: Option<String>, reason: String },
}

/// What one JSON document held.
#[derive(Debug)]
pub(crate) struct Document {
    /// The records (one for a normal OSV file, several for a JSON array of records).
    pub(crate) records: Vec<Record>,
    /// `affected[]` entries dropped because their ecosystem is unknown, per ecosystem string.
    pub(crate) unknown_ecosystems: BTreeMap<String, usize>,
    /// Ranges dropped because their type is neither `SEMVER`, `ECOSYSTEM` nor `GIT`.
    pub(crate) unsupported_ranges: Vec<String>,
}

/// How a document failed as a whole.
#[derive(Debug)]
pub(crate) enum DocumentError {
    /// Valid JSON without the shape of an OSV record.
    NotOsv,
    /// Invalid JSON (truncated, not UTF-8, syntax error).
    InvalidJson(String),
}

#[derive(Deserialize)]
struct RawRecord {
    id: Option<String>,
    modified: Option<String>,
    published: Option<String>,
    withdrawn: Option<IgnoredAny>,
    aliases: Option<Vec<String>>,
    related: Option<Vec<String>>,
    upstream: Option<Vec<String>>,
    summary: Option<String>,
    severity: Option<Vec<RawSeverity>>,
    affected: Option<Vec<RawAffected>>,
    references: Option<Vec<Reference>>,
    database_specific: Option<RawSpecific>,
}

#[derive(Deserialize)]
struct RawSeverity {
    #[serde(rename = "type")]
    kind: String,
    score: String,
}

#[derive(Deserialize)]
struct RawAffected {
    package: Option<RawPackage>,
    ranges: Option<Vec<RawRange>>,
    versions: Option<Vec<String>>,
    severity: Option<Vec<RawSeverity>>,
    ecosystem_specific: Option<RawSpecific>,
    database_specific: Option<RawSpecific>,
}

#[derive(Deserialize)]
struct RawPackage {
    ecosystem: Option<String>,
    name: Option<String>,
    purl: Option<String>,
}

#[derive(Deserialize)]
struct RawRange {
    #[serde(rename = "type")]
    kind: String,
    events: Vec<RawEvent>,
}

/// Exactly one of the four OSV event keys; any other key is an error, not a guess.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEvent {
    introduced: Option<String>,
    fixed: Option<String>,
    last_affected: Option<String>,
    limit: Option<String>,
}

/// The severity-bearing keys of `ecosystem_specific` / `database_specific`; their other
/// content (imports, CWE ids, licences) is skipped unparsed. Values are loose JSON because
/// feeds disagree on their types.
#[derive(Deserialize)]
struct RawSpecific {
    severity: Option<Value>,
    urgency: Option<Value>,
    cves_map: Option<RawCvesMap>,
}

#[derive(Deserialize)]
struct RawCvesMap {
    cves: Option<Vec<RawCve>>,
}

#[derive(Deserialize)]
struct RawCve {
    severity: Option<Vec<RawSeverity>>,
}

/// Parses one JSON document: an OSV record, or an array of OSV records.
pub(crate) fn parse_document(bytes: &[u8]) -> Result<Document, DocumentError> {
    let mut doc = Document {
        records: Vec::new(),
        unknown_ecosystems: BTreeMap::new(),
        unsupported_ranges: Vec::new(),
    };
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace()).copied();
    if first == Some(b'[') {
        let values: Vec<Value> =
            serde_json::from_slice(bytes).map_err(|e| DocumentError::InvalidJson(e.to_string()))?;
        for value in values {
            if !value.get("id").is_some_and(Value::is_string) {
                return Err(DocumentError::NotOsv);
            }
            let record = match serde_json::from_value::<RawRecord>(value) {
                Ok(raw) => normalise(raw, &mut doc),
                Err(e) => Record::Malformed {
                    id: None,
                    reason: e.to_string(),
                },
            };
            doc.records.push(record);
        }
        return Ok(doc);
    }
    match serde_json::from_slice::<RawRecord>(bytes) {
        Ok(raw) if raw.id.is_none() => Err(DocumentError::NotOsv),
        Ok(raw) => {
            let record = normalise(raw, &mut doc);
            doc.records.push(record);
            Ok(doc)
        }
        Err(e) if e.is_data() => {
            // Well-formed JSON of the wrong shape: an OSV record with a mistyped field, or
            // something else entirely. Only the error path pays for the second parse.
            let value: Value = serde_json::from_slice(bytes)
                .map_err(|e| DocumentError::InvalidJson(e.to_string()))?;
            match value.get("id").and_then(Value::as_str) {
                Some(id) => {
                    doc.records.push(Record::Malformed {
                        id: Some(id.to_owned()),
                        reason: e.to_string(),
                    });
                    Ok(doc)
                }
                None => Err(DocumentError::NotOsv),
            }
        }
        Err(e) => Err(DocumentError::InvalidJson(e.to_string())),
    }
}

fn parse_time(value: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(value, &Rfc3339).ok()
}

fn malformed(id: &str, reason: impl Into<String>) -> Record {
    Record::Malformed {
        id: Some(id.to_owned()),
        reason: reason.into(),
    }
}

fn normalise(raw: RawRecord, doc: &mut Document) -> Record {
    let Some(id) = raw.id.filter(|id| !id.trim().is_empty()) else {
        return Record::Malformed {
            id: None,
            reason: "empty `id`".to_owned(),
        };
    };
    let Some(modified_text) = raw.modified else {
        return malformed(&id, "missing required field `modified`");
    };
    let Some(modified) = parse_time(&modified_text) else {
        return malformed(
            &id,
            format!("`modified` is not an RFC 3339 timestamp: {modified_text:?}"),
        );
    };
    if raw.withdrawn.is_some() {
        return Record::Withdrawn { id, modified };
    }
    let mut affected = Vec::new();
    for raw_affected in raw.affected.unwrap_or_default() {
        let Some(package) = raw_affected.package else {
            // Allowed by the schema for GIT-only entries; nothing to index.
            continue;
        };
        let (Some(ecosystem), Some(name)) = (package.ecosystem, package.name) else {
            return malformed(&id, "`affected[].package` without `ecosystem` or `name`");
        };
        let Some(ecosystem) = canonical_ecosystem(&ecosystem).map(std::borrow::Cow::into_owned)
        else {
            *doc.unknown_ecosystems.entry(ecosystem).or_default() += 1;
            continue;
        };
        let mut ranges = Vec::new();
        for range in raw_affected.ranges.unwrap_or_default() {
            let kind = match range.kind.as_str() {
                "SEMVER" => Some(RangeKind::Semver),
                "ECOSYSTEM" => Some(RangeKind::Ecosystem),
                "GIT" => None,
                other => {
                    doc.unsupported_ranges
                        .push(format!("{id}: range type {other:?} ignored"));
                    None
                }
            };
            let mut events = Vec::with_capacity(range.events.len());
            for event in range.events {
                let event = match (
                    event.introduced,
                    event.fixed,
                    event.last_affected,
                    event.limit,
                ) {
                    (Some(v), None, None, None) => Event::Introduced(v),
                    (None, Some(v), None, None) => Event::Fixed(v),
                    (None, None, Some(v), None) => Event::LastAffected(v),
                    (None, None, None, Some(v)) => Event::Limit(v),
                    _ => {
                        return malformed(&id, "a range event must have exactly one key");
                    }
                };
                events.push(event);
            }
            if let Some(kind) = kind {
                ranges.push(Range { kind, events });
            }
        }
        let severity_hint = severity_hint(
            raw_affected.ecosystem_specific.as_ref(),
            raw_affected.database_specific.as_ref(),
        );
        affected.push(Affected {
            ecosystem,
            name,
            purl: package.purl,
            ranges,
            versions: raw_affected.versions.unwrap_or_default(),
            severity: severities(raw_affected.severity),
            severity_hint,
        });
    }
    if affected.is_empty() {
        return Record::NoPackages { id };
    }
    Record::Advisory(Advisory {
        aliases: clean_ids(raw.aliases, &id),
        related: clean_ids(raw.related, &id),
        upstream: clean_ids(raw.upstream, &id),
        modified,
        published: raw.published.as_deref().and_then(parse_time),
        summary: raw.summary.filter(|s| !s.is_empty()),
        severity: severities(raw.severity),
        database_severity: raw
            .database_specific
            .and_then(|d| d.severity)
            .and_then(|v| v.as_str().map(str::to_owned)),
        references: raw.references.unwrap_or_default(),
        affected,
        id,
    })
}

/// Alias and related lists as published contain slips (`"GHSA-jf66-3q76-h5p5,"` in
/// PYSEC-2022-184, duplicates, the record's own id): trimmed, deduplicated, order kept.
fn clean_ids(raw: Option<Vec<String>>, own: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for id in raw.unwrap_or_default() {
        let id = id.trim().trim_end_matches([',', ';']).trim_end();
        if !id.is_empty() && id != own && !out.iter().any(|seen| seen == id) {
            out.push(id.to_owned());
        }
    }
    out
}

fn severities(raw: Option<Vec<RawSeverity>>) -> Vec<Severity> {
    raw.unwrap_or_default()
        .into_iter()
        .filter(|s| !s.score.is_empty())
        .map(|s| Severity {
            kind: s.kind,
            score: s.score,
        })
        .collect()
}

/// Ubuntu priorities, lowest first, to pick the highest of a USN's CVEs.
const UBUNTU_PRIORITIES: &[&str] = &["negligible", "low", "medium", "high", "critical"];

fn severity_hint(
    ecosystem_specific: Option<&RawSpecific>,
    database_specific: Option<&RawSpecific>,
) -> Option<String> {
    for specific in [ecosystem_specific, database_specific]
        .into_iter()
        .flatten()
    {
        for value in [&specific.severity, &specific.urgency]
            .into_iter()
            .flatten()
        {
            if let Some(text) = value.as_str().filter(|t| !t.is_empty()) {
                return Some(text.to_owned());
            }
        }
    }
    let cves = database_specific
        .and_then(|d| d.cves_map.as_ref())
        .and_then(|m| m.cves.as_ref())?;
    cves.iter()
        .flat_map(|cve| cve.severity.iter().flatten())
        .filter(|s| s.kind.eq_ignore_ascii_case("Ubuntu"))
        .filter_map(|s| {
            let rank = UBUNTU_PRIORITIES
                .iter()
                .position(|p| p.eq_ignore_ascii_case(&s.score))?;
            Some((rank, &s.score))
        })
        .max_by_key(|(rank, _)| *rank)
        .map(|(_, score)| score.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(json: &str) -> Record {
        let mut doc = parse_document(json.as_bytes()).unwrap();
        assert_eq!(doc.records.len(), 1);
        doc.records.remove(0)
    }

    #[test]
    fn keeps_what_matching_needs_and_drops_details() {
        let record = one(r#"{
            "id": "PYSEC-1", "modified": "2021-07-16T01:31:33.917972Z",
            "published": "2005-12-31T05:00:00Z", "details": "long text",
            "aliases": ["CVE-1"], "summary": "s",
            "affected": [{"package": {"name": "Trac", "ecosystem": "PyPI", "purl": "pkg:pypi/trac"},
                "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "0.10"}]},
                           {"type": "GIT", "repo": "x", "events": [{"introduced": "abc"}]}],
                "versions": ["0.9"]}],
            "references": [{"type": "WEB", "url": "http://x"}]
        }"#);
        let Record::Advisory(a) = record else {
            panic!("{record:?}")
        };
        assert_eq!(a.id, "PYSEC-1");
        assert_eq!(a.aliases, ["CVE-1"]);
        assert_eq!(a.affected.len(), 1);
        assert_eq!(a.affected[0].ranges.len(), 1, "GIT range dropped");
        assert_eq!(
            a.affected[0].ranges[0].events,
            [Event::Introduced("0".into()), Event::Fixed("0.10".into())]
        );
        assert_eq!(a.references[0].url, "http://x");
        assert!(a.published.is_some());
    }

    #[test]
    fn alias_slips_are_cleaned() {
        let Record::Advisory(a) = one(
            r#"{"id":"X","modified":"2020-01-01T00:00:00Z","aliases":[" CVE-1 ","GHSA-a,","CVE-1","X",""],
                "affected":[{"package":{"ecosystem":"npm","name":"a"}}]}"#,
        ) else {
            panic!()
        };
        assert_eq!(a.aliases, ["CVE-1", "GHSA-a"]);
    }

    #[test]
    fn withdrawn_missing_fields_and_bad_events() {
        assert!(matches!(
            one(
                r#"{"id":"X","modified":"2020-01-01T00:00:00Z","withdrawn":"2021-01-01T00:00:00Z","affected":[]}"#
            ),
            Record::Withdrawn { .. }
        ));
        assert!(matches!(
            one(r#"{"id":"X","affected":[]}"#),
            Record::Malformed { .. }
        ));
        assert!(matches!(
            one(r#"{"id":"X","modified":"yesterday"}"#),
            Record::Malformed { .. }
        ));
        assert!(matches!(
            one(
                r#"{"id":"X","modified":"2020-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"npm","name":"a"},
                 "ranges":[{"type":"SEMVER","events":[{"introduced":"0","fixed":"1"}]}]}]}"#
            ),
            Record::Malformed { .. }
        ));
        assert!(matches!(
            one(
                r#"{"id":"X","modified":"2020-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"npm","name":"a"},
                 "ranges":[{"type":"SEMVER","events":[{"fixed_in":"1"}]}]}]}"#
            ),
            Record::Malformed { .. }
        ));
        assert!(matches!(
            one(r#"{"id":"X","modified":"2020-01-01T00:00:00Z","aliases":"CVE-1"}"#),
            Record::Malformed { .. }
        ));
    }

    #[test]
    fn unknown_ecosystems_are_counted_and_dropped() {
        let mut doc = parse_document(
            br#"{"id":"X","modified":"2020-01-01T00:00:00Z","affected":[
                {"package":{"ecosystem":"Nope","name":"a"}},
                {"package":{"ecosystem":"Nope","name":"b"}},
                {"package":{"ecosystem":"pypi","name":"c"}}]}"#,
        )
        .unwrap();
        assert_eq!(doc.unknown_ecosystems.get("Nope"), Some(&2));
        let Record::Advisory(a) = doc.records.remove(0) else {
            panic!()
        };
        assert_eq!(a.affected.len(), 1);
        assert_eq!(a.affected[0].ecosystem, "PyPI");

        let doc = parse_document(
            br#"{"id":"Y","modified":"2020-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"Nope","name":"a"}}]}"#,
        )
        .unwrap();
        assert!(matches!(doc.records[0], Record::NoPackages { .. }));
    }

    #[test]
    fn not_osv_and_invalid_json() {
        assert!(matches!(
            parse_document(br#"{"distroversion":"v3.10","packages":[]}"#),
            Err(DocumentError::NotOsv)
        ));
        assert!(matches!(
            parse_document(br#"{"packages": 3}"#),
            Err(DocumentError::NotOsv)
        ));
        assert!(matches!(
            parse_document(br#"{"id": "X", "modified": "#),
            Err(DocumentError::InvalidJson(_))
        ));
        assert!(matches!(
            parse_document(b"\xff\xfe"),
            Err(DocumentError::InvalidJson(_))
        ));
    }

    #[test]
    fn severity_hints() {
        let Record::Advisory(a) = one(
            r#"{"id":"USN-1","modified":"2020-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"Ubuntu:22.04:LTS","name":"openssl"},
              "database_specific":{"cves_map":{"cves":[
                 {"id":"CVE-1","severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N"},{"type":"Ubuntu","score":"low"}]},
                 {"id":"CVE-2","severity":[{"type":"Ubuntu","score":"medium"}]}]}}}],
              "database_specific":{"severity":"moderate"}}"#,
        ) else {
            panic!()
        };
        assert_eq!(a.affected[0].severity_hint.as_deref(), Some("medium"));
        assert_eq!(a.database_severity.as_deref(), Some("moderate"));
        let Record::Advisory(a) = one(
            r#"{"id":"DSA-1","modified":"2020-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"Debian:12","name":"x"},
              "ecosystem_specific":{"urgency":"high"}}]}"#,
        ) else {
            panic!()
        };
        assert_eq!(a.affected[0].severity_hint.as_deref(), Some("high"));
    }

    #[test]
    fn arrays_of_records() {
        let doc = parse_document(
            br#"[{"id":"A","modified":"2020-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"npm","name":"a"}}]},
                 {"id":"B","modified":"2020-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"npm","name":"b"}}]}]"#,
        )
        .unwrap();
        assert_eq!(doc.records.len(), 2);
    }
}
