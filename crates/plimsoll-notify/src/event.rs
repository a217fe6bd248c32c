//! The events Plimsoll notifies about, and their JSON shape (`docs/notifications.md`).

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

use plimsoll_types::{Digest, Platform, Severity};

/// Something worth telling an operator. Serialised with a `type` tag, an `event_id` (a v4
/// UUID, sent as `X-Plimsoll-Delivery` so receivers can drop duplicates after retries) and a
/// `time`; the rest is the variant's fields.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
#[non_exhaustive]
pub enum Event {
    /// A registry scan run ended.
    #[serde(rename = "run.finished")]
    RunFinished(RunFinished),
    /// An image has findings it did not have before.
    #[serde(rename = "findings.new")]
    NewFindings(NewFindings),
    /// An image has not been scanned for longer than the configured number of hours.
    #[serde(rename = "image.stale")]
    ImageStale(ImageStale),
    /// A vulnerability database update failed; the last good database stays in use.
    #[serde(rename = "db.update_failed")]
    DbUpdateFailed(DbUpdateFailed),
}

/// The fields every event carries.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventMeta {
    /// Unique per event, the same on every retry of it.
    pub event_id: Uuid,
    /// When the event was raised, RFC 3339.
    #[serde(with = "time::serde::rfc3339")]
    pub time: OffsetDateTime,
}

impl EventMeta {
    fn now() -> Self {
        EventMeta {
            event_id: Uuid::new_v4(),
            time: OffsetDateTime::now_utc(),
        }
    }
}

/// How a run's images ended; `total = success + failed + skipped`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunCounts {
    /// Images considered.
    pub total: u64,
    /// Scanned (or known unchanged) without error.
    pub success: u64,
    /// Failed to scan.
    pub failed: u64,
    /// Left out by filters.
    pub skipped: u64,
}

/// The payload of [`Event::RunFinished`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunFinished {
    /// `event_id` and `time`.
    #[serde(flatten)]
    pub meta: EventMeta,
    /// The registries the run covered.
    pub registries: Vec<String>,
    /// The run's id in the results store.
    pub run_id: String,
    /// RFC 3339.
    #[serde(with = "time::serde::rfc3339")]
    pub started_at: OffsetDateTime,
    /// RFC 3339.
    #[serde(with = "time::serde::rfc3339")]
    pub finished_at: OffsetDateTime,
    /// The counts.
    #[serde(flatten)]
    pub counts: RunCounts,
    /// `Total: N = Success: X + Failed: Y + Skipped: Z`, the line the CLI prints.
    pub summary: String,
}

/// One finding in [`NewFindings`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FindingSummary {
    /// The advisory id (`CVE-…`, `GHSA-…`).
    pub id: String,
    /// Its severity.
    pub severity: Severity,
    /// The affected package's name.
    pub package: String,
    /// The installed version.
    pub installed: String,
    /// The first fixed version, if one is known.
    pub fixed: Option<String>,
}

/// The payload of [`Event::NewFindings`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NewFindings {
    /// `event_id` and `time`.
    #[serde(flatten)]
    pub meta: EventMeta,
    /// The image reference as scanned (`registry/repo:tag`).
    pub image: String,
    /// The platform image's manifest digest.
    pub digest: Digest,
    /// Its platform.
    pub platform: Platform,
    /// The new findings, worst first; each sink keeps only those at or above its
    /// `min_severity`.
    pub findings: Vec<FindingSummary>,
}

/// The payload of [`Event::ImageStale`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ImageStale {
    /// `event_id` and `time`.
    #[serde(flatten)]
    pub meta: EventMeta,
    /// The image reference.
    pub image: String,
    /// When it was last scanned, RFC 3339.
    #[serde(with = "time::serde::rfc3339")]
    pub last_scanned: OffsetDateTime,
    /// Whole hours since then.
    pub hours: u64,
}

/// The payload of [`Event::DbUpdateFailed`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DbUpdateFailed {
    /// `event_id` and `time`.
    #[serde(flatten)]
    pub meta: EventMeta,
    /// Why the update failed (the error chain, one line).
    pub reason: String,
    /// When the database still in use was built, if there is one.
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_good_built_at: Option<OffsetDateTime>,
}

/// The kinds of event, as named in a sink's `events = [...]` filter and in the `type` field.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum EventKind {
    /// `run.finished`
    #[serde(rename = "run.finished")]
    RunFinished,
    /// `findings.new`
    #[serde(rename = "findings.new")]
    NewFindings,
    /// `image.stale`
    #[serde(rename = "image.stale")]
    ImageStale,
    /// `db.update_failed`
    #[serde(rename = "db.update_failed")]
    DbUpdateFailed,
}

impl EventKind {
    /// The stable `type` string.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::RunFinished => "run.finished",
            EventKind::NewFindings => "findings.new",
            EventKind::ImageStale => "image.stale",
            EventKind::DbUpdateFailed => "db.update_failed",
        }
    }
}

impl Event {
    /// A run-finished event, with its summary line computed from `counts`.
    pub fn run_finished(
        registries: Vec<String>,
        run_id: impl Into<String>,
        started_at: OffsetDateTime,
        finished_at: OffsetDateTime,
        counts: RunCounts,
    ) -> Self {
        let summary = format!(
            "Total: {} = Success: {} + Failed: {} + Skipped: {}",
            counts.total, counts.success, counts.failed, counts.skipped
        );
        Event::RunFinished(RunFinished {
            meta: EventMeta::now(),
            registries,
            run_id: run_id.into(),
            started_at,
            finished_at,
            counts,
            summary,
        })
    }

    /// A new-findings event; `findings` are sorted worst first.
    pub fn new_findings(
        image: impl Into<String>,
        digest: Digest,
        platform: Platform,
        mut findings: Vec<FindingSummary>,
    ) -> Self {
        findings.sort_by(|a, b| b.severity.cmp(&a.severity).then_with(|| a.id.cmp(&b.id)));
        Event::NewFindings(NewFindings {
            meta: EventMeta::now(),
            image: image.into(),
            digest,
            platform,
            findings,
        })
    }

    /// An image-stale event.
    pub fn image_stale(image: impl Into<String>, last_scanned: OffsetDateTime, hours: u64) -> Self {
        Event::ImageStale(ImageStale {
            meta: EventMeta::now(),
            image: image.into(),
            last_scanned,
            hours,
        })
    }

    /// A database-update-failed event.
    pub fn db_update_failed(
        reason: impl Into<String>,
        last_good_built_at: Option<OffsetDateTime>,
    ) -> Self {
        Event::DbUpdateFailed(DbUpdateFailed {
            meta: EventMeta::now(),
            reason: reason.into(),
            last_good_built_at,
        })
    }

    /// Which kind of event this is.
    pub fn kind(&self) -> EventKind {
        match self {
            Event::RunFinished(_) => EventKind::RunFinished,
            Event::NewFindings(_) => EventKind::NewFindings,
            Event::ImageStale(_) => EventKind::ImageStale,
            Event::DbUpdateFailed(_) => EventKind::DbUpdateFailed,
        }
    }

    /// `event_id` and `time`.
    pub fn meta(&self) -> &EventMeta {
        match self {
            Event::RunFinished(e) => &e.meta,
            Event::NewFindings(e) => &e.meta,
            Event::ImageStale(e) => &e.meta,
            Event::DbUpdateFailed(e) => &e.meta,
        }
    }

    /// The event as one sink should see it: `None` when a new-findings event has nothing at or
    /// above `min_severity` (an empty alert is noise), otherwise with lower findings dropped.
    pub(crate) fn at_or_above(&self, min_severity: Severity) -> Option<Event> {
        match self {
            Event::NewFindings(e) => {
                let findings: Vec<_> = e
                    .findings
                    .iter()
                    .filter(|f| f.severity >= min_severity)
                    .cloned()
                    .collect();
                if findings.is_empty() {
                    return None;
                }
                Some(Event::NewFindings(NewFindings {
                    findings,
                    ..e.clone()
                }))
            }
            other => Some(other.clone()),
        }
    }

    /// One line for humans (Slack text, syslog MSG).
    pub(crate) fn headline(&self) -> String {
        match self {
            Event::RunFinished(e) => {
                let of = if e.registries.is_empty() {
                    String::new()
                } else {
                    format!(" of {}", e.registries.join(", "))
                };
                format!("Scan run {}{of} finished: {}", e.run_id, e.summary)
            }
            Event::NewFindings(e) => {
                let critical = e
                    .findings
                    .iter()
                    .filter(|f| f.severity == Severity::Critical)
                    .count();
                let high = e
                    .findings
                    .iter()
                    .filter(|f| f.severity == Severity::High)
                    .count();
                format!(
                    "{} new finding(s) in {} ({}): {critical} critical, {high} high",
                    e.findings.len(),
                    e.image,
                    e.platform
                )
            }
            Event::ImageStale(e) => {
                format!("Image {} not scanned for {} hours", e.image, e.hours)
            }
            Event::DbUpdateFailed(e) => {
                format!("Vulnerability database update failed: {}", e.reason)
            }
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use time::macros::datetime;

    use super::*;

    fn finding(id: &str, severity: Severity) -> FindingSummary {
        FindingSummary {
            id: id.into(),
            severity,
            package: "openssl".into(),
            installed: "3.0.1".into(),
            fixed: Some("3.0.2".into()),
        }
    }

    pub(crate) fn sample_findings() -> Event {
        Event::new_findings(
            "127.0.0.1:5000/app:1.0",
            Digest::sha256_of(b"x"),
            "linux/amd64".parse().unwrap(),
            vec![
                finding("CVE-2", Severity::Medium),
                finding("CVE-1", Severity::Critical),
                finding("CVE-3", Severity::High),
            ],
        )
    }

    #[test]
    fn run_finished_has_the_summary_line_and_json_shape() {
        let e = Event::run_finished(
            vec!["local".into()],
            "42",
            datetime!(2026-11-26 06:00 UTC),
            datetime!(2026-11-26 06:05 UTC),
            RunCounts {
                total: 10,
                success: 7,
                failed: 1,
                skipped: 2,
            },
        );
        let json = serde_json::to_value(&e).unwrap();
        assert_eq!(json["type"], "run.finished");
        assert_eq!(
            json["summary"],
            "Total: 10 = Success: 7 + Failed: 1 + Skipped: 2"
        );
        assert_eq!(json["started_at"], "2026-11-26T06:00:00Z");
        assert_eq!(json["total"], 10);
        assert_eq!(json["event_id"], e.meta().event_id.to_string());
        let back: Event = serde_json::from_value(json).unwrap();
        assert_eq!(back, e);
    }

    #[test]
    fn findings_are_sorted_and_cut_at_the_threshold() {
        let e = sample_findings();
        let Some(Event::NewFindings(high)) = e.at_or_above(Severity::High) else {
            panic!()
        };
        let ids: Vec<_> = high.findings.iter().map(|f| f.id.as_str()).collect();
        assert_eq!(ids, ["CVE-1", "CVE-3"]);
        let Event::NewFindings(all) = &e else {
            panic!()
        };
        assert_eq!(all.findings.len(), 3);
        let only_low = Event::new_findings(
            "a:b",
            Digest::sha256_of(b"y"),
            "linux/amd64".parse().unwrap(),
            vec![finding("CVE-9", Severity::Low)],
        );
        assert_eq!(only_low.at_or_above(Severity::High), None);
        let stale = Event::image_stale("a:b", datetime!(2026-11-20 00:00 UTC), 150);
        assert_eq!(stale.at_or_above(Severity::Critical), Some(stale.clone()));
    }
}
