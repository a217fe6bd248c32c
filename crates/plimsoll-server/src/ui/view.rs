//! What the templates share: the header's navigation, image rows, and small formatters.

use time::OffsetDateTime;
use time::macros::format_description;

use plimsoll_store::{ResultRow, SeverityCounts};
use plimsoll_types::Severity;

use crate::ui::session::Viewer;

/// The header: who is logged in, which page is active, the logout form's CSRF token.
pub(crate) struct Nav {
    pub(crate) user: String,
    pub(crate) admin: bool,
    pub(crate) csrf: String,
    pub(crate) active: &'static str,
}

impl Nav {
    pub(crate) fn new(viewer: &Viewer, active: &'static str) -> Nav {
        Nav {
            user: viewer.name.clone(),
            admin: viewer.is_admin(),
            csrf: viewer.csrf.clone(),
            active,
        }
    }
}

/// The CSS class of a severity's badge (`sev-critical`, …).
pub(crate) fn severity_class(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "sev-critical",
        Severity::High => "sev-high",
        Severity::Medium => "sev-medium",
        Severity::Low => "sev-low",
        Severity::Unknown => "sev-unknown",
    }
}

/// `2026-11-26 17:40 UTC`.
pub(crate) fn when(at: OffsetDateTime) -> String {
    at.to_offset(time::UtcOffset::UTC)
        .format(format_description!(
            "[year]-[month]-[day] [hour]:[minute] UTC"
        ))
        .unwrap_or_default()
}

/// An RFC 3339 time shown as [`when`]; unparsable text as it is.
pub(crate) fn when_text(rfc3339: &str) -> String {
    OffsetDateTime::parse(rfc3339, &time::format_description::well_known::Rfc3339)
        .map_or_else(|_| rfc3339.to_owned(), when)
}

/// `12.3 MB`, in powers of 1000 as registries show sizes.
pub(crate) fn bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "kB", "MB", "GB", "TB"];
    let mut value = n;
    let mut unit = 0;
    // Integer steps keep clippy's precision lints quiet; one decimal comes from the remainder.
    let mut tenths = 0;
    while value >= 1000 && unit < UNITS.len() - 1 {
        tenths = (value % 1000) / 100;
        value /= 1000;
        unit += 1;
    }
    if unit == 0 {
        format!("{value} B")
    } else {
        format!("{value}.{tenths} {}", UNITS[unit])
    }
}

/// `sha256:4b1e5c2a9f01` — enough of a digest to tell images apart in a table.
pub(crate) fn short_digest(digest: &str) -> String {
    digest.chars().take(19).collect()
}

/// Findings per severity, for a row of badges.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Counts {
    pub(crate) critical: u64,
    pub(crate) high: u64,
    pub(crate) medium: u64,
    pub(crate) low: u64,
    pub(crate) unknown: u64,
}

impl Counts {
    pub(crate) fn total(&self) -> u64 {
        self.critical + self.high + self.medium + self.low + self.unknown
    }
}

impl From<&SeverityCounts> for Counts {
    fn from(c: &SeverityCounts) -> Self {
        Counts {
            critical: c.critical,
            high: c.high,
            medium: c.medium,
            low: c.low,
            unknown: c.unknown,
        }
    }
}

/// One row of an images table (a tag and platform image).
pub(crate) struct ImageRow {
    pub(crate) registry: String,
    pub(crate) repository: String,
    pub(crate) tag: String,
    /// What the image page takes: the platform image's own digest when known.
    pub(crate) digest: String,
    pub(crate) short_digest: String,
    pub(crate) platform: String,
    pub(crate) os: String,
    pub(crate) counts: Counts,
    pub(crate) fixable: u64,
    pub(crate) status: &'static str,
    pub(crate) cause: String,
    pub(crate) scanned_at: String,
}

impl From<ResultRow> for ImageRow {
    fn from(row: ResultRow) -> Self {
        let digest = row
            .manifest_digest
            .as_ref()
            .unwrap_or(&row.digest)
            .to_string();
        ImageRow {
            short_digest: short_digest(&digest),
            digest,
            registry: row.registry,
            repository: row.repository,
            tag: row.tag,
            platform: row.platform.map(|p| p.to_string()).unwrap_or_default(),
            os: row.os.unwrap_or_default(),
            counts: Counts::from(&row.counts),
            fixable: row.fixable,
            status: row.status.as_str(),
            cause: row.cause.unwrap_or_default(),
            scanned_at: row.scanned_at.map(when).unwrap_or_default(),
        }
    }
}

/// The page links of a paged list: the query string without `page`, and where we are.
pub(crate) struct Pager {
    pub(crate) page: u64,
    pub(crate) pages: u64,
    pub(crate) total: u64,
    /// `&`-joined `key=value` pairs (already URL-encoded) to keep on every link.
    pub(crate) query: String,
}

impl Pager {
    pub(crate) fn new(page: u64, per_page: u64, total: u64, query: String) -> Pager {
        Pager {
            page,
            pages: total.div_ceil(per_page).max(1),
            total,
            query,
        }
    }

    pub(crate) fn has_prev(&self) -> bool {
        self.page > 1
    }

    pub(crate) fn has_next(&self) -> bool {
        self.page < self.pages
    }

    pub(crate) fn prev(&self) -> u64 {
        self.page.saturating_sub(1).max(1)
    }

    pub(crate) fn next(&self) -> u64 {
        self.page + 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_times_read_well() {
        assert_eq!(bytes(999), "999 B");
        assert_eq!(bytes(1_500), "1.5 kB");
        assert_eq!(bytes(29_123_456), "29.1 MB");
        assert_eq!(when_text("2026-11-26T17:40:02Z"), "2026-11-26 17:40 UTC");
        assert_eq!(when_text("garbage"), "garbage");
        let pager = Pager::new(2, 50, 101, String::new());
        assert_eq!(
            (pager.pages, pager.has_prev(), pager.has_next()),
            (3, true, true)
        );
    }
}
