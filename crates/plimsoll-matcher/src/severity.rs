use std::str::FromStr;

use plimsoll_types::{Cvss, Severity, SeveritySource};
use plimsoll_vulndb::Advisory;

/// The severity of an advisory for one affected package, and where it came from.
///
/// Order of preference (issue "Severity"): a CVSS vector — v4, then v3.x, then v2, from the
/// affected entry or the record — scored with the `RustSec` `cvss` crate; else the database's own label
/// (`database_specific.severity`, or the entry's hint such as Debian's urgency); else the
/// severity of an aliased record, which the caller supplies; else `UNKNOWN`.
pub fn severity(
    advisory: &Advisory,
    entry_vectors: &[plimsoll_vulndb::Severity],
    entry_hint: Option<&str>,
    alias_severity: impl FnOnce() -> Option<(Severity, Option<Cvss>)>,
) -> (Severity, SeveritySource, Option<Cvss>) {
    for (kind, source) in [
        ("CVSS_V4", SeveritySource::CvssV4),
        ("CVSS_V3", SeveritySource::CvssV3),
        ("CVSS_V2", SeveritySource::CvssV2),
    ] {
        let vector = entry_vectors
            .iter()
            .chain(&advisory.severity)
            .find(|s| s.kind == kind);
        if let Some(score) = vector.and_then(score) {
            return (Severity::from_score(score.score), source, Some(score));
        }
    }
    let label = advisory
        .database_severity
        .as_deref()
        .or(entry_hint)
        .and_then(|l| Severity::from_str(l).ok());
    if let Some(label) = label.filter(|l| *l != Severity::Unknown) {
        return (label, SeveritySource::Database, None);
    }
    if let Some((severity, cvss)) = alias_severity() {
        return (severity, SeveritySource::Alias, cvss);
    }
    (Severity::Unknown, SeveritySource::None, None)
}

fn score(vector: &plimsoll_vulndb::Severity) -> Option<Cvss> {
    match cvss::Cvss::from_str(vector.score.trim()) {
        Ok(parsed) => Some(Cvss {
            kind: vector.kind.clone(),
            vector: vector.score.clone(),
            score: parsed.score(),
        }),
        Err(e) => {
            tracing::debug!(vector = %vector.score, error = %e, "unreadable CVSS vector; trying the next source");
            None
        }
    }
}
