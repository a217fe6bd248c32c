//! Debian security-tracker advisory lists (`data/DSA/list`, `data/DLA/list`,
//! `data/DTSA/list` of <https://salsa.debian.org/security-tracker-team/security-tracker>)
//! converted to OSV-shaped [`Advisory`] records, the way OSV's own Debian converter does
//! (`vulnfeeds/tools/debian` in google/osv.dev).
//!
//! An entry is a header line and indented lines:
//!
//! ```text
//! [29 Mar 2023] DSA-5380-1 xorg-server - security update
//!     {CVE-2023-1393}
//!     [bullseye] - xorg-server 2:1.20.11-1+deb11u6
//! ```
//!
//! - The header gives the date (`29 Mar 2023`, or `August 26th, 2005` in old entries), the id
//!   (the record id) and a title (the summary). Announcements without a release line (an
//!   end-of-life notice, a key change) have no package and are counted as `no_packages`.
//! - `{…}` lists the upstream ids (CVEs): they become `upstream` and `aliases` (see
//!   [`Advisory::upstream`] for why both).
//! - `[codename] - source-package version` gives one affected entry: ecosystem
//!   `Debian:<number>` from the codename ([`ecosystem_of`]), the *source* package name (what
//!   the matcher looks up for dpkg packages) and the range `introduced: "0"`, `fixed: version`.
//!   `<unfixed>` and `<end-of-life>` give a range with no fix (the matcher reports the finding
//!   as unfixed, as OSV does); `<not-affected>` gives nothing and is counted. A trailing
//!   `(…)` note may carry Debian's urgency (`(high)`, `(bug #332524; medium)`), kept as the
//!   entry's severity hint; other notes are dropped.
//! - `NOTE:` lines are comments.
//!
//! There are no modification times in the lists: `modified` and `published` are the header's
//! date. A line that cannot be read is skipped with a warning naming the file and line, and
//! counted as `malformed`; a header that cannot be read skips its entry. Nothing aborts.

use serde_json::Value;
use time::{Date, Month, OffsetDateTime};

use crate::ecosystem::readable_version;
use crate::import::ImportWarning;
use crate::meta::ImportCounts;
use crate::model::{Advisory, Affected, Event, Range, RangeKind, Reference};

/// Debian codenames and their OSV ecosystems, from Debian's release table (distro-info-data
/// `debian.csv`). The tracker's `config.json` lists the codenames but not their numbers.
/// Releases from etch (4.0) on are `Debian:<major>`, the major `VERSION_ID` of `os-release`
/// that the matcher looks up; earlier ones keep OSV's `major.minor` (`Debian:3.0` woody,
/// `Debian:3.1` sarge), because their majors are shared and they predate `os-release`.
/// `sid` (unstable) has no number, so its entries are skipped and counted, as is any codename
/// missing here: add a new release's codename in this one place.
const RELEASES: &[(&str, &str)] = &[
    ("buzz", "Debian:1.1"),
    ("rex", "Debian:1.2"),
    ("bo", "Debian:1.3"),
    ("hamm", "Debian:2.0"),
    ("slink", "Debian:2.1"),
    ("potato", "Debian:2.2"),
    ("woody", "Debian:3.0"),
    ("sarge", "Debian:3.1"),
    ("etch", "Debian:4"),
    ("lenny", "Debian:5"),
    ("squeeze", "Debian:6"),
    ("wheezy", "Debian:7"),
    ("jessie", "Debian:8"),
    ("stretch", "Debian:9"),
    ("buster", "Debian:10"),
    ("bullseye", "Debian:11"),
    ("bookworm", "Debian:12"),
    ("trixie", "Debian:13"),
    ("forky", "Debian:14"),
    ("duke", "Debian:15"),
];

/// Codenames that name no numbered release on purpose: skipped and counted without a warning.
const UNNUMBERED: &[&str] = &["sid", "experimental"];

/// The advisory kinds of the tracker, as they start an id.
const ID_PREFIXES: &[&str] = &["DSA-", "DLA-", "DTSA-"];

/// Debian's urgencies, as they appear in a release line's note.
const URGENCIES: &[&str] = &["unimportant", "low", "medium", "high"];

/// The OSV ecosystem of a Debian codename (`bullseye` → `Debian:11`), or `None` for `sid` and
/// unknown codenames.
pub(crate) fn ecosystem_of(codename: &str) -> Option<&'static str> {
    RELEASES
        .iter()
        .find(|(name, _)| *name == codename)
        .map(|(_, ecosystem)| *ecosystem)
}

/// Whether `bytes` start like a tracker list: the first non-blank line is a header,
/// `[date] DSA-…`. (JSON, the other format a single file may hold, never looks like that.)
pub(crate) fn looks_like_list(bytes: &[u8]) -> bool {
    let start = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(bytes.len());
    let head = &bytes[start..bytes.len().min(start + 256)];
    let line = head.split(|&b| b == b'\n').next().unwrap_or_default();
    let Ok(line) = std::str::from_utf8(line) else {
        return false;
    };
    line.strip_prefix('[')
        .and_then(|rest| rest.split_once(']'))
        .is_some_and(|(_, rest)| is_advisory_id(rest.split_whitespace().next()))
}

/// Whether a JSON document is the tracker's `data/config.json` (releases and their suites):
/// part of a tracker checkout, read for nothing since it holds no release numbers.
pub(crate) fn is_config(value: &Value) -> bool {
    value.get("distributions").is_some_and(Value::is_object)
        && (value.get("sources").is_some() || value.get("repositories").is_some())
}

fn is_advisory_id(word: Option<&str>) -> bool {
    word.is_some_and(|word| {
        ID_PREFIXES.iter().any(|prefix| {
            word.strip_prefix(prefix).is_some_and(|number| {
                number.starts_with(|c: char| c.is_ascii_digit())
                    && number.chars().all(|c| c.is_ascii_digit() || c == '-')
            })
        })
    })
}

/// An entry being read.
struct Entry {
    id: String,
    date: OffsetDateTime,
    summary: Option<String>,
    upstream: Vec<String>,
    affected: Vec<Affected>,
}

/// Converts one tracker list. `origin` names the file in warnings (`…/DSA/list:123`).
pub(crate) fn convert(
    origin: &str,
    bytes: &[u8],
    counts: &mut ImportCounts,
    warn: &mut dyn FnMut(ImportWarning),
) -> Vec<Advisory> {
    let text = String::from_utf8_lossy(bytes);
    let mut advisories = Vec::new();
    let mut entry: Option<Entry> = None;
    // After a header that could not be read, its indented lines are skipped unremarked.
    let mut skipping = false;
    for (index, line) in text.lines().enumerate() {
        let at = || format!("{origin}:{}", index + 1);
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with("NOTE:") {
            continue;
        }
        if !line.starts_with(char::is_whitespace) {
            finish(entry.take(), counts, &mut advisories);
            match parse_header(line) {
                Ok(header) => {
                    counts.records += 1;
                    skipping = false;
                    entry = Some(header);
                }
                Err(reason) => {
                    skipping = true;
                    malformed(
                        counts,
                        warn,
                        at(),
                        None,
                        format!("{reason}, entry skipped: {trimmed:?}"),
                    );
                }
            }
            continue;
        }
        let Some(current) = entry.as_mut() else {
            if !skipping {
                malformed(
                    counts,
                    warn,
                    at(),
                    None,
                    format!("indented line outside an entry: {trimmed:?}"),
                );
            }
            continue;
        };
        if let Some(list) = trimmed.strip_prefix('{') {
            let Some(list) = list.strip_suffix('}') else {
                malformed(
                    counts,
                    warn,
                    at(),
                    Some(&current.id),
                    format!("unclosed `{{` list: {trimmed:?}"),
                );
                continue;
            };
            for id in list.split_whitespace() {
                if !current.upstream.iter().any(|seen| seen == id) {
                    current.upstream.push(id.to_owned());
                }
            }
            continue;
        }
        match parse_release_line(trimmed) {
            Ok(ReleaseLine {
                codename,
                package,
                state,
                urgency,
            }) => {
                let Some(ecosystem) = ecosystem_of(codename) else {
                    *counts
                        .unknown_releases
                        .entry(codename.to_owned())
                        .or_default() += 1;
                    if !UNNUMBERED.contains(&codename) {
                        warn(ImportWarning {
                            origin: at(),
                            id: Some(current.id.clone()),
                            message: format!(
                                "Debian release {codename:?} has no known number, line skipped"
                            ),
                        });
                    }
                    continue;
                };
                let fixed = match state {
                    State::NotAffected => {
                        counts.not_affected += 1;
                        continue;
                    }
                    State::Unfixed => None,
                    State::Fixed(version) => {
                        if !readable_version(ecosystem, version) {
                            counts.unreadable_versions += 1;
                            warn(ImportWarning {
                                origin: at(),
                                id: Some(current.id.clone()),
                                message: format!(
                                    "fixed version {version:?} of {package} is not a dpkg version; kept as written"
                                ),
                            });
                        }
                        Some(version)
                    }
                };
                let mut events = vec![Event::Introduced("0".to_owned())];
                events.extend(fixed.map(|v| Event::Fixed(v.to_owned())));
                current.affected.push(Affected {
                    ecosystem: ecosystem.to_owned(),
                    name: package.to_owned(),
                    purl: None,
                    ranges: vec![Range {
                        kind: RangeKind::Ecosystem,
                        events,
                    }],
                    versions: Vec::new(),
                    severity: Vec::new(),
                    severity_hint: urgency.map(str::to_owned),
                });
            }
            Err(reason) => malformed(
                counts,
                warn,
                at(),
                Some(&current.id),
                format!("{reason}, line skipped: {trimmed:?}"),
            ),
        }
    }
    finish(entry, counts, &mut advisories);
    advisories
}

/// A line that could not be read: counted as `malformed` and named.
fn malformed(
    counts: &mut ImportCounts,
    warn: &mut dyn FnMut(ImportWarning),
    origin: String,
    id: Option<&str>,
    message: String,
) {
    counts.malformed += 1;
    warn(ImportWarning {
        origin,
        id: id.map(str::to_owned),
        message,
    });
}

fn finish(entry: Option<Entry>, counts: &mut ImportCounts, out: &mut Vec<Advisory>) {
    let Some(entry) = entry else { return };
    if entry.affected.is_empty() {
        counts.no_packages += 1;
        tracing::debug!(id = %entry.id, "tracker entry without an affected release");
        return;
    }
    out.push(Advisory {
        references: vec![Reference {
            kind: "ADVISORY".to_owned(),
            url: format!("https://security-tracker.debian.org/tracker/{}", entry.id),
        }],
        id: entry.id,
        aliases: entry.upstream.clone(),
        related: Vec::new(),
        upstream: entry.upstream,
        modified: entry.date,
        published: Some(entry.date),
        summary: entry.summary,
        severity: Vec::new(),
        database_severity: None,
        affected: entry.affected,
    });
}

/// `[29 Mar 2023] DSA-5380-1 xorg-server - security update`.
fn parse_header(line: &str) -> Result<Entry, String> {
    let Some((date, rest)) = line.strip_prefix('[').and_then(|rest| rest.split_once(']')) else {
        return Err("not an entry header (`[date] DSA-…`)".to_owned());
    };
    let rest = rest.trim();
    let (id, title) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
    if !is_advisory_id(Some(id)) {
        return Err(format!("{id:?} is not a DSA, DLA or DTSA id"));
    }
    let Some(date) = parse_date(date) else {
        return Err(format!("unreadable date {date:?}"));
    };
    // Some old titles start with a stray separator (`DSA-1099-1 - horde2 - …`).
    let title = title.trim().trim_start_matches(['-', ' ']).trim();
    Ok(Entry {
        id: id.to_owned(),
        date: date.midnight().assume_utc(),
        summary: (!title.is_empty()).then(|| title.to_owned()),
        upstream: Vec::new(),
        affected: Vec::new(),
    })
}

/// `29 Mar 2023` or `August 26th, 2005`: a day (with an optional ordinal suffix), a month name
/// (its first three letters decide) and a four-digit year, in either order of day and month.
fn parse_date(text: &str) -> Option<Date> {
    let (mut day, mut month, mut year) = (None, None, None);
    for token in text
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|t| !t.is_empty())
    {
        if token.starts_with(|c: char| c.is_ascii_alphabetic()) {
            let name = token.get(..3)?.to_ascii_lowercase();
            let number = [
                "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
            ]
            .iter()
            .position(|m| *m == name)?;
            month = Some(Month::try_from(u8::try_from(number + 1).ok()?).ok()?);
            continue;
        }
        let digits = token.len() - token.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        let (number, suffix) = token.split_at(digits);
        match (digits, suffix) {
            (4, "") if year.is_none() => year = Some(number.parse().ok()?),
            (1 | 2, "" | "st" | "nd" | "rd" | "th") if day.is_none() => {
                day = Some(number.parse().ok()?);
            }
            _ => return None,
        }
    }
    Date::from_calendar_date(year?, month?, day?).ok()
}

enum State<'a> {
    Fixed(&'a str),
    Unfixed,
    NotAffected,
}

struct ReleaseLine<'a> {
    codename: &'a str,
    package: &'a str,
    state: State<'a>,
    urgency: Option<&'a str>,
}

/// `[bullseye] - xorg-server 2:1.20.11-1+deb11u6`, `[woody] - sash <not-affected> (note)`.
fn parse_release_line(line: &str) -> Result<ReleaseLine<'_>, String> {
    let Some((codename, rest)) = line.strip_prefix('[').and_then(|rest| rest.split_once(']'))
    else {
        return Err("not a `{…}` list, `[release] - …` line or NOTE".to_owned());
    };
    let Some(rest) = rest.trim_start().strip_prefix('-') else {
        return Err("no ` - ` after the release".to_owned());
    };
    let rest = rest.trim();
    let Some((package, rest)) = rest.split_once(char::is_whitespace) else {
        return Err("no version after the package".to_owned());
    };
    let rest = rest.trim();
    let (version, note) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
    let note = note.trim();
    let urgency = if note.is_empty() {
        None
    } else {
        let Some(inner) = note.strip_prefix('(').and_then(|n| n.strip_suffix(')')) else {
            return Err(format!("unexpected text after the version: {note:?}"));
        };
        inner
            .split([';', ','])
            .map(str::trim)
            .find(|word| URGENCIES.contains(word))
    };
    let state = match version {
        "<not-affected>" => State::NotAffected,
        "<unfixed>" | "<end-of-life>" => State::Unfixed,
        tag if tag.starts_with('<') => return Err(format!("unknown state {tag}")),
        version => State::Fixed(version),
    };
    Ok(ReleaseLine {
        codename: codename.trim(),
        package,
        state,
        urgency,
    })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    const DSA: &str = include_str!("../testdata/debian_tracker/excerpt/data/DSA/list");
    const DLA: &str = include_str!("../testdata/debian_tracker/excerpt/data/DLA/list");
    const DTSA: &str = include_str!("../testdata/debian_tracker/excerpt/data/DTSA/list");
    const CONFIG: &str = include_str!("../testdata/debian_tracker/excerpt/data/config.json");
    const EDGE: &str = include_str!("../testdata/debian_tracker/edge/data/DSA/list");

    fn convert_for_test(origin: &str, text: &str) -> (Vec<Advisory>, ImportCounts, Vec<String>) {
        let mut counts = ImportCounts::default();
        let mut warnings = Vec::new();
        let advisories = convert(origin, text.as_bytes(), &mut counts, &mut |w| {
            warnings.push(w.to_string());
        });
        (advisories, counts, warnings)
    }

    fn midnight(year: i32, month: Month, day: u8) -> OffsetDateTime {
        Date::from_calendar_date(year, month, day)
            .unwrap()
            .midnight()
            .assume_utc()
    }

    fn by_id<'a>(advisories: &'a [Advisory], id: &str) -> &'a Advisory {
        advisories
            .iter()
            .find(|a| a.id == id)
            .unwrap_or_else(|| panic!("{id} not converted"))
    }

    fn events(affected: &Affected) -> &[Event] {
        &affected.ranges[0].events
    }

    #[test]
    fn a_dsa_becomes_an_osv_record_by_source_package_and_release() {
        let (advisories, counts, warnings) = convert_for_test("DSA/list", DSA);
        assert!(warnings.is_empty(), "{warnings:#?}");
        let dsa = by_id(&advisories, "DSA-5380-1");
        assert_eq!(dsa.aliases, ["CVE-2023-1393"]);
        assert_eq!(dsa.upstream, ["CVE-2023-1393"]);
        assert_eq!(
            dsa.summary.as_deref(),
            Some("xorg-server - security update")
        );
        assert_eq!(
            dsa.modified,
            midnight(2023, Month::March, 29),
            "the header's date"
        );
        assert_eq!(dsa.published, Some(dsa.modified));
        assert_eq!(
            dsa.references[0].url,
            "https://security-tracker.debian.org/tracker/DSA-5380-1"
        );
        let [entry] = dsa.affected.as_slice() else {
            panic!("{:?}", dsa.affected)
        };
        assert_eq!(
            (entry.ecosystem.as_str(), entry.name.as_str()),
            ("Debian:11", "xorg-server")
        );
        assert_eq!(
            events(entry),
            [
                Event::Introduced("0".into()),
                Event::Fixed("2:1.20.11-1+deb11u6".into())
            ]
        );

        // Several releases; a double space before the version.
        let curl = by_id(&advisories, "DSA-2798-1");
        let releases: Vec<(&str, &Event)> = curl
            .affected
            .iter()
            .map(|a| (a.ecosystem.as_str(), &events(a)[1]))
            .collect();
        assert_eq!(
            releases,
            [
                ("Debian:6", &Event::Fixed("7.21.0-2.1+squeeze5".into())),
                ("Debian:7", &Event::Fixed("7.26.0-1+wheezy5".into())),
            ]
        );

        // A regression update without CVEs is still a record.
        assert!(by_id(&advisories, "DSA-5356-2").aliases.is_empty());

        // `<not-affected>` gives nothing; the record keeps its other lines.
        let openoffice = by_id(&advisories, "DSA-1419-1");
        let names: Vec<(&str, &str)> = openoffice
            .affected
            .iter()
            .map(|a| (a.ecosystem.as_str(), a.name.as_str()))
            .collect();
        assert_eq!(
            names,
            [("Debian:4", "openoffice.org"), ("Debian:4", "hsqldb")]
        );
        assert_eq!(openoffice.summary.as_deref(), Some("openoffice.org"));
        let sash = by_id(&advisories, "DSA-1026-1");
        assert_eq!(
            sash.aliases,
            ["CVE-2005-1849", "CVE-2005-2096"],
            "space-indented list"
        );
        assert_eq!(sash.affected[0].ecosystem, "Debian:3.1", "sarge");

        // `<unfixed>` and `<end-of-life>`: affected, no fix. Urgency notes are severity hints.
        let phpgroupware = by_id(&advisories, "DSA-746-1");
        assert_eq!(phpgroupware.affected[0].ecosystem, "Debian:3.0", "woody");
        assert_eq!(
            events(&phpgroupware.affected[0]),
            [Event::Introduced("0".into())]
        );
        assert_eq!(
            phpgroupware.affected[0].severity_hint.as_deref(),
            Some("high")
        );
        let virtualbox = by_id(&advisories, "DSA-3699-1");
        assert_eq!(
            events(&virtualbox.affected[0]),
            [Event::Introduced("0".into())]
        );
        let xloadimage = by_id(&advisories, "DSA-858-1");
        assert_eq!(
            xloadimage.affected[0].severity_hint.as_deref(),
            Some("medium")
        );
        assert_eq!(xloadimage.affected[1].severity_hint, None);

        // The end-of-life announcement has no release line.
        assert!(advisories.iter().all(|a| a.id != "DSA-4205-1"));
        assert_eq!(counts.records, 10);
        assert_eq!(advisories.len(), 9);
        assert_eq!(counts.no_packages, 1);
        assert_eq!(counts.not_affected, 3);
        assert_eq!((counts.malformed, counts.unreadable_versions), (0, 0));
    }

    #[test]
    fn dla_and_dtsa_lists() {
        let (dla, _, warnings) = convert_for_test("DLA/list", DLA);
        assert!(warnings.is_empty());
        assert_eq!(dla[0].id, "DLA-3372-1");
        assert_eq!(dla[0].affected[0].ecosystem, "Debian:10");

        let (dtsa, counts, warnings) = convert_for_test("DTSA/list", DTSA);
        assert!(warnings.is_empty(), "{warnings:#?}");
        assert_eq!(counts.records, 2);
        assert_eq!(dtsa[0].id, "DTSA-1-1");
        assert_eq!(
            dtsa[0].aliases,
            ["CVE-2005-2626", "CVE-2005-2627"],
            "trailing space"
        );
        assert_eq!(
            dtsa[0].published,
            Some(midnight(2005, Month::August, 26)),
            "`August 26th, 2005`"
        );
        assert_eq!(dtsa[1].affected[0].severity_hint.as_deref(), Some("medium"));
    }

    #[test]
    fn bad_lines_are_named_counted_and_skipped() {
        let (advisories, counts, warnings) = convert_for_test("edge/DSA/list", EDGE);
        let ids: Vec<&str> = advisories.iter().map(|a| a.id.as_str()).collect();
        assert_eq!(
            ids,
            ["DSA-9003-1", "DSA-9001-1"],
            "DSA-9002-1's date is unreadable"
        );
        // DSA-9003-1: the unclosed list and four bad release lines are skipped; a version dpkg
        // cannot read is kept and counted.
        let odd = &advisories[0];
        assert!(odd.aliases.is_empty());
        let fixed: Vec<&Event> = odd.affected.iter().map(|a| &events(a)[1]).collect();
        assert_eq!(
            fixed,
            [
                &Event::Fixed("x:1.0-3".into()),
                &Event::Fixed("1.0-4~deb12u1".into())
            ]
        );
        assert_eq!(counts.unreadable_versions, 1);
        // sid skipped quietly, hurd with a warning, duke (15) known; a CVE listed twice once.
        let releases = &advisories[1];
        assert_eq!(releases.aliases, ["CVE-2024-0001"]);
        let ecosystems: Vec<&str> = releases
            .affected
            .iter()
            .map(|a| a.ecosystem.as_str())
            .collect();
        assert_eq!(ecosystems, ["Debian:15", "Debian:12"]);
        assert_eq!(
            counts.unknown_releases,
            BTreeMap::from([("hurd".to_owned(), 1), ("sid".to_owned(), 1)])
        );
        // Five bad lines in DSA-9003-1, the garbage line, DSA-9002-1's header.
        assert_eq!(counts.malformed, 7, "{warnings:#?}");
        assert_eq!(counts.records, 2);
        for needle in [
            "edge/DSA/list:2 (DSA-9003-1): unclosed `{` list",
            "edge/DSA/list:3 (DSA-9003-1): no ` - ` after the release",
            "edge/DSA/list:4 (DSA-9003-1): unknown state <maybe>",
            "edge/DSA/list:5 (DSA-9003-1): no version after the package",
            "edge/DSA/list:6 (DSA-9003-1): fixed version \"x:1.0-3\"",
            "edge/DSA/list:7 (DSA-9003-1): unexpected text after the version",
            "edge/DSA/list:9: not an entry header",
            "edge/DSA/list:10: unreadable date \"yesterday\"",
            "edge/DSA/list:17 (DSA-9001-1): Debian release \"hurd\" has no known number",
        ] {
            assert!(
                warnings.iter().any(|w| w.starts_with(needle)),
                "no warning {needle:?} in {warnings:#?}"
            );
        }
        assert_eq!(warnings.len(), 9, "{warnings:#?}");
    }

    #[test]
    fn detection() {
        assert!(looks_like_list(DSA.as_bytes()));
        assert!(looks_like_list(DTSA.as_bytes()));
        assert!(looks_like_list(b"\n\n[01 Jan 2024] DLA-1-1 x - y\n"));
        assert!(!looks_like_list(b"[{\"id\": \"DSA-1\"}]"));
        assert!(!looks_like_list(b"[\"DSA-1-1\"]"));
        assert!(!looks_like_list(b"{\"distroversion\": \"v3.11\"}"));
        assert!(!looks_like_list(b"[01 Jan 2024] CVE-2024-1 x\n"));
        let config: Value = serde_json::from_str(CONFIG).unwrap();
        assert!(is_config(&config));
        assert!(!is_config(&serde_json::json!({"distroversion": "v3.11"})));
    }

    #[test]
    fn every_release_the_tracker_knows_has_a_number_except_sid() {
        let config: Value = serde_json::from_str(CONFIG).unwrap();
        let codenames: Vec<&String> = config["distributions"]
            .as_object()
            .unwrap()
            .keys()
            .collect();
        assert_eq!(codenames.len(), 15, "potato … forky and sid");
        let unnumbered: Vec<&String> = codenames
            .into_iter()
            .filter(|name| ecosystem_of(name).is_none())
            .collect();
        assert_eq!(unnumbered, ["sid"]);
        assert_eq!(ecosystem_of("bookworm"), Some("Debian:12"));
        assert_eq!(ecosystem_of("Bullseye"), None, "codenames are lower-case");
    }

    #[test]
    fn dates() {
        assert_eq!(
            parse_date("05 Apr 2023"),
            Date::from_calendar_date(2023, Month::April, 5).ok()
        );
        assert_eq!(
            parse_date("September 22nd, 2005"),
            Date::from_calendar_date(2005, Month::September, 22).ok()
        );
        assert_eq!(parse_date("31 Feb 2023"), None);
        assert_eq!(parse_date("yesterday"), None);
        assert_eq!(parse_date("05 Apr"), None);
        assert_eq!(parse_date("05 06 Apr 2023"), None);
    }
}
