//! Alpine secdb files (`https://secdb.alpinelinux.org/v3.19/main.json`, formerly the
//! alpine-secdb repository) converted to OSV-shaped [`Advisory`] records the way OSV's Alpine
//! feed expresses them: one record per vulnerability, id `ALPINE-<CVE>`
//! (`ALPINE-CVE-2019-14904`), the CVE in `upstream` (and `aliases`, see
//! [`Advisory::upstream`]), one affected entry per release and package.
//!
//! A file covers one release and repository:
//!
//! ```text
//! {"distroversion": "v3.11", "reponame": "main", "packages": [
//!   {"pkg": {"name": "ansible", "secfixes": {"2.9.3-r0": ["CVE-2019-14904", "CVE-2019-14905"]}}}]}
//! ```
//!
//! - The ecosystem is `Alpine:<distroversion>` (`Alpine:v3.11`, the matcher's spelling);
//!   `edge` has no release number and is skipped and counted.
//! - The package is `pkg.name`, the origin (source) package that apk records as `o:`.
//! - Each secfix version gives the range `introduced: "0"`, `fixed: <version>`. The key `0`
//!   means "never affected in this release": nothing is stored, the ids are counted.
//! - The id strings are free text in practice: `CVE-2016-9932 XSA-200`,
//!   `CVE-2017-5753 CVE-2017-5715 CVE-2017-5754 XSA-254 XPTI`, `CVE-2018-10103 (SMB - …)`,
//!   and slips such as `CVE_2019-2426`, `CVE 2018-16859`, `CVE-2017-17434-1` (part one of a
//!   fix), `CVE-2017-8073.patch`. Every CVE in a string gets its record; other advisory ids
//!   (`XSA-200`, `TALOS-2017-0488`) become `related`, or the record's vulnerability when the
//!   string names no CVE (`XSA-207` → `ALPINE-XSA-207`); notes in parentheses, placeholders
//!   (`CVE-????-?????`) and words are dropped. A string with no id at all is a counted warning.
//!
//! secdb has no dates and no severities: `modified` is the Unix epoch, and severity comes from
//! an aliased record in the database, if any (the matcher's last resort).
//!
//! A file holds one release of each record, so the import folds a record's releases together
//! instead of letting one file's copy replace another's (`import::merge_partial`).

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;
use time::OffsetDateTime;

use crate::ecosystem::readable_version;
use crate::import::ImportWarning;
use crate::meta::ImportCounts;
use crate::model::{Advisory, Affected, Event, Range, RangeKind, Reference};

#[derive(Deserialize)]
struct SecDb {
    distroversion: String,
    /// `null` in one real file (`v3.3/community`).
    packages: Option<Vec<Package>>,
}

#[derive(Deserialize)]
struct Package {
    pkg: Pkg,
}

#[derive(Deserialize)]
struct Pkg {
    name: String,
    /// Fixed version → id strings. Items are loose JSON so that one odd item is one warning,
    /// not a lost file.
    #[serde(default)]
    secfixes: Option<BTreeMap<String, Option<Vec<Value>>>>,
}

/// Whether a JSON document is a secdb file: its top-level keys say so.
pub(crate) fn is_secdb(value: &Value) -> bool {
    value.get("distroversion").is_some_and(Value::is_string) && value.get("packages").is_some()
}

/// `v3.11`: the releases OSV has an `Alpine:` ecosystem for.
fn is_numbered_release(distroversion: &str) -> bool {
    distroversion.strip_prefix('v').is_some_and(|number| {
        let mut parts = number.split('.');
        let numeric = |p: Option<&str>| {
            p.is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
        };
        numeric(parts.next()) && numeric(parts.next()) && parts.next().is_none()
    })
}

/// Converts one secdb document: one record per vulnerability id, holding this file's release
/// only. `origin` names the file in warnings.
pub(crate) fn convert(
    origin: &str,
    value: Value,
    counts: &mut ImportCounts,
    warn: &mut dyn FnMut(ImportWarning),
) -> Vec<Advisory> {
    let secdb: SecDb = match serde_json::from_value(value) {
        Ok(secdb) => secdb,
        Err(e) => {
            skip(
                counts,
                warn,
                origin,
                format!("not a valid Alpine secdb file, skipped: {e}"),
            );
            return Vec::new();
        }
    };
    let release = secdb.distroversion;
    let ecosystem = format!("Alpine:{release}");
    let numbered = is_numbered_release(&release);
    let mut records: BTreeMap<String, Advisory> = BTreeMap::new();
    for Package { pkg } in secdb.packages.unwrap_or_default() {
        for (version, items) in pkg.secfixes.unwrap_or_default() {
            if !numbered {
                *counts.unknown_releases.entry(release.clone()).or_default() += 1;
                continue;
            }
            let at = format!("{} {version}", pkg.name);
            let items = items.unwrap_or_default();
            if items.is_empty() {
                skip(
                    counts,
                    warn,
                    origin,
                    format!("secfix {at}: no vulnerability ids, skipped"),
                );
                continue;
            }
            let mut fixes = Vec::new();
            for item in items {
                let Some(text) = item.as_str() else {
                    skip(
                        counts,
                        warn,
                        origin,
                        format!("secfix {at}: {item} is not a string, skipped"),
                    );
                    continue;
                };
                let (cves, others) = vulnerability_ids(text);
                if cves.is_empty() && others.is_empty() {
                    skip(
                        counts,
                        warn,
                        origin,
                        format!("secfix {at}: no vulnerability id in {text:?}, skipped"),
                    );
                } else if cves.is_empty() {
                    fixes.extend(others.into_iter().map(|id| (id, Vec::new())));
                } else {
                    fixes.extend(cves.into_iter().map(|cve| (cve, others.clone())));
                }
            }
            if version == "0" {
                counts.not_affected += fixes.len();
                continue;
            }
            if !fixes.is_empty() && !readable_version(&ecosystem, &version) {
                counts.unreadable_versions += 1;
                warn(ImportWarning {
                    origin: origin.to_owned(),
                    id: None,
                    message: format!(
                        "secfix {at}: {version:?} is not an apk version; kept as written"
                    ),
                });
            }
            for (vulnerability, related) in fixes {
                let record = records
                    .entry(format!("ALPINE-{vulnerability}"))
                    .or_insert_with_key(|id| new_record(id, &vulnerability));
                for id in related {
                    if !record.related.contains(&id) {
                        record.related.push(id);
                    }
                }
                let entry = Affected {
                    ecosystem: ecosystem.clone(),
                    name: pkg.name.clone(),
                    purl: None,
                    ranges: vec![Range {
                        kind: RangeKind::Ecosystem,
                        events: vec![
                            Event::Introduced("0".to_owned()),
                            Event::Fixed(version.clone()),
                        ],
                    }],
                    versions: Vec::new(),
                    severity: Vec::new(),
                    severity_hint: None,
                };
                if !record.affected.contains(&entry) {
                    record.affected.push(entry);
                }
            }
        }
    }
    records.into_values().collect()
}

/// An entry that could not be read: counted as `malformed` and named.
fn skip(
    counts: &mut ImportCounts,
    warn: &mut dyn FnMut(ImportWarning),
    origin: &str,
    message: String,
) {
    counts.malformed += 1;
    warn(ImportWarning {
        origin: origin.to_owned(),
        id: None,
        message,
    });
}

fn new_record(id: &str, vulnerability: &str) -> Advisory {
    let references = if vulnerability.starts_with("CVE-") {
        vec![Reference {
            kind: "ADVISORY".to_owned(),
            url: format!("https://security.alpinelinux.org/vuln/{vulnerability}"),
        }]
    } else {
        Vec::new()
    };
    Advisory {
        id: id.to_owned(),
        aliases: vec![vulnerability.to_owned()],
        related: Vec::new(),
        upstream: vec![vulnerability.to_owned()],
        modified: OffsetDateTime::UNIX_EPOCH,
        published: None,
        summary: None,
        severity: Vec::new(),
        database_severity: None,
        references,
        affected: Vec::new(),
    }
}

/// The CVEs of a secfix string, and its other advisory ids (`XSA-200`), each deduplicated.
fn vulnerability_ids(text: &str) -> (Vec<String>, Vec<String>) {
    // Parenthesised notes are prose: `(AoE)`, `(+ regression fix)`, `(was fixed in libpcap)`.
    let mut prose = 0_usize;
    let text: String = text
        .chars()
        .map(|c| {
            match c {
                '(' => prose += 1,
                ')' => {
                    prose = prose.saturating_sub(1);
                    return ' ';
                }
                _ => {}
            }
            if prose > 0 { ' ' } else { c }
        })
        .collect();
    let text = text.replace("CVE_", "CVE-");
    let (mut cves, mut others) = (Vec::new(), Vec::new());
    let mut tokens = text.split_whitespace().peekable();
    while let Some(token) = tokens.next() {
        // `CVE 2018-16859`: the number as the next word.
        let joined;
        let token = if token == "CVE" {
            match tokens.peek() {
                Some(next) if next.starts_with(|c: char| c.is_ascii_digit()) => {
                    joined = format!("CVE-{next}");
                    tokens.next();
                    joined.as_str()
                }
                _ => continue,
            }
        } else {
            token
        };
        if let Some(cve) = cve_prefix(token) {
            if !cves.contains(&cve) {
                cves.push(cve);
            }
        } else if !token.starts_with("CVE")
            && is_advisory_id(token)
            && !others.iter().any(|o| o == token)
        {
            others.push(token.to_owned());
        }
    }
    (cves, others)
}

/// `CVE-YYYY-NNNN…` at the start of `token`, whatever follows (`-1`, `.patch`); `None` for a
/// placeholder such as `CVE-????-?????`.
fn cve_prefix(token: &str) -> Option<String> {
    let rest = token.strip_prefix("CVE-")?;
    let year_len = rest.bytes().take_while(u8::is_ascii_digit).count();
    let number = rest.get(year_len..)?.strip_prefix('-')?;
    let number_len = number.bytes().take_while(u8::is_ascii_digit).count();
    (year_len == 4 && number_len >= 4)
        .then(|| format!("CVE-{}-{}", &rest[..4], &number[..number_len]))
}

/// `XSA-200`, `TALOS-2017-0488`, `ZBX-11023`, `wnpa-sec-2017-18`: letters, then numbers, in
/// dash-separated parts. Words (`XPTI`) and file names are not.
fn is_advisory_id(token: &str) -> bool {
    let mut parts = token.split('-');
    let first = parts.next().unwrap_or_default();
    if first.is_empty() || !first.bytes().all(|b| b.is_ascii_alphabetic()) {
        return false;
    }
    let rest: Vec<&str> = parts.collect();
    let Some(digits_from) = rest
        .iter()
        .position(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
    else {
        return false;
    };
    rest[..digits_from]
        .iter()
        .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_alphabetic()))
        && rest[digits_from..]
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn convert_file(origin: &str, text: &str) -> (Vec<Advisory>, ImportCounts, Vec<String>) {
        let value: Value = serde_json::from_str(text).unwrap();
        assert!(is_secdb(&value), "{origin} is detected");
        let mut counts = ImportCounts::default();
        let mut warnings = Vec::new();
        let records = convert(origin, value, &mut counts, &mut |w| {
            warnings.push(w.to_string());
        });
        (records, counts, warnings)
    }

    fn record<'a>(records: &'a [Advisory], id: &str) -> &'a Advisory {
        records
            .iter()
            .find(|a| a.id == id)
            .unwrap_or_else(|| panic!("no {id}"))
    }

    fn fixed(affected: &Affected) -> (&str, &str, &Event) {
        (
            affected.ecosystem.as_str(),
            affected.name.as_str(),
            &affected.ranges[0].events[1],
        )
    }

    #[test]
    fn one_record_per_cve_with_this_release_and_package() {
        let (records, counts, warnings) = convert_file(
            "v3.11/main.json",
            include_str!("../testdata/alpine_secdb/excerpt/v3.11/main.json"),
        );
        let ansible = record(&records, "ALPINE-CVE-2019-14904");
        assert_eq!(ansible.aliases, ["CVE-2019-14904"]);
        assert_eq!(ansible.upstream, ["CVE-2019-14904"]);
        assert_eq!(ansible.modified, OffsetDateTime::UNIX_EPOCH);
        assert_eq!(
            ansible.references[0].url,
            "https://security.alpinelinux.org/vuln/CVE-2019-14904"
        );
        assert_eq!(
            ansible.affected.iter().map(fixed).collect::<Vec<_>>(),
            [("Alpine:v3.11", "ansible", &Event::Fixed("2.9.3-r0".into()))]
        );
        assert_eq!(
            ansible.affected[0].ranges[0].events[0],
            Event::Introduced("0".into())
        );

        // `CVE-2017-17434-1` and `-2`: one record, the suffix is a part number.
        assert!(
            records
                .iter()
                .all(|r| !r.id.starts_with("ALPINE-CVE-2017-17434-"))
        );
        assert_eq!(
            record(&records, "ALPINE-CVE-2017-17434").affected.len(),
            1,
            "one entry for the two parts"
        );
        // Notes in parentheses are dropped.
        assert_eq!(
            record(&records, "ALPINE-CVE-2017-16808").aliases,
            ["CVE-2017-16808"]
        );
        assert_eq!(
            record(&records, "ALPINE-CVE-2018-10103").aliases,
            ["CVE-2018-10103"]
        );
        // Xen: XSA ids are related to their CVE, or the vulnerability when there is no CVE.
        assert_eq!(
            record(&records, "ALPINE-CVE-2017-2615").related,
            ["XSA-208"]
        );
        assert_eq!(
            record(&records, "ALPINE-CVE-2018-3639").related,
            ["XSA-263"]
        );
        let xsa = record(&records, "ALPINE-XSA-207");
        assert_eq!(
            (xsa.aliases.as_slice(), xsa.references.len()),
            (&["XSA-207".to_owned()][..], 0)
        );
        assert_eq!(
            record(&records, "ALPINE-XSA-295").affected[0].name,
            "xen",
            "placeholder CVE"
        );
        // python2's `2.7.16-33` is no apk version: kept, counted, named.
        assert_eq!(
            fixed(&record(&records, "ALPINE-CVE-2019-16056").affected[0]).2,
            &Event::Fixed("2.7.16-33".into())
        );
        assert_eq!(counts.unreadable_versions, 1);
        assert_eq!(warnings.len(), 1, "{warnings:#?}");
        assert!(warnings[0].contains("python2 2.7.16-33"), "{warnings:#?}");
        assert_eq!((counts.malformed, counts.not_affected), (0, 0));
    }

    #[test]
    fn key_zero_means_never_affected() {
        let (records, counts, warnings) = convert_file(
            "v3.8/main.json",
            include_str!("../testdata/alpine_secdb/excerpt/v3.8/main.json"),
        );
        assert!(records.is_empty());
        assert_eq!(counts.not_affected, 5);
        assert!(warnings.is_empty());
    }

    #[test]
    fn several_cves_in_one_string_and_slips() {
        let (records, _, warnings) = convert_file(
            "v3.7/main.json",
            include_str!("../testdata/alpine_secdb/excerpt/v3.7/main.json"),
        );
        assert!(warnings.is_empty());
        let ids: Vec<&str> = records.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "ALPINE-CVE-2017-5715",
                "ALPINE-CVE-2017-5753",
                "ALPINE-CVE-2017-5754"
            ]
        );
        assert!(
            records.iter().all(|r| r.related == ["XSA-254"]),
            "XPTI is a word"
        );

        let (records, ..) = convert_file(
            "v3.9/main.json",
            include_str!("../testdata/alpine_secdb/excerpt/v3.9/main.json"),
        );
        assert_eq!(records[0].id, "ALPINE-CVE-2018-16859", "`CVE 2018-16859`");
        let (records, ..) = convert_file(
            "v3.11/community.json",
            include_str!("../testdata/alpine_secdb/excerpt/v3.11/community.json"),
        );
        assert!(
            records.iter().any(|r| r.id == "ALPINE-CVE-2019-2426"),
            "`CVE_2019-2426`"
        );
        assert!(records.iter().all(|r| r.id.starts_with("ALPINE-CVE-")));

        // heimdal's `"7.4.0-r0": null` (v3.6): a counted warning, the rest converted.
        let (records, counts, warnings) = convert_file(
            "v3.6/main.json",
            include_str!("../testdata/alpine_secdb/excerpt/v3.6/main.json"),
        );
        assert_eq!(records.len(), 2);
        assert_eq!(counts.malformed, 1);
        assert!(
            warnings[0].contains("heimdal 7.4.0-r0: no vulnerability ids"),
            "{warnings:#?}"
        );
    }

    #[test]
    fn bad_entries_are_named_counted_and_skipped() {
        let (records, counts, warnings) = convert_file(
            "edge.json",
            include_str!("../testdata/alpine_secdb/edge/edge.json"),
        );
        let ids: Vec<&str> = records.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, ["ALPINE-CVE-2024-0001", "ALPINE-CVE-2024-0004"]);
        assert_eq!(records[0].affected[0].ecosystem, "Alpine:v3.19");
        assert_eq!(counts.not_affected, 2, "two CVEs in one string under `0`");
        assert_eq!(counts.unreadable_versions, 1, "`1.0.r4`");
        // "no id here", 7, [] and null.
        assert_eq!(counts.malformed, 4, "{warnings:#?}");
        assert_eq!(warnings.len(), 5, "{warnings:#?}");
        assert!(
            warnings
                .iter()
                .all(|w| w.starts_with("edge.json: secfix plimsoll-test "))
        );

        let (records, counts, warnings) = convert_file(
            "edge-release.json",
            include_str!("../testdata/alpine_secdb/edge/edge-release.json"),
        );
        assert!(records.is_empty() && warnings.is_empty());
        assert_eq!(counts.unknown_releases.get("edge"), Some(&1));

        let (records, counts, warnings) = convert_file(
            "wrong-shape.json",
            include_str!("../testdata/alpine_secdb/edge/wrong-shape.json"),
        );
        assert!(records.is_empty());
        assert_eq!(counts.malformed, 1);
        assert!(warnings[0].contains("not a valid Alpine secdb file"));
    }

    #[test]
    fn id_cleaning() {
        let ids = |text: &str| vulnerability_ids(text);
        let s = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert_eq!(ids("CVE-2019-1234"), (s(&["CVE-2019-1234"]), s(&[])));
        assert_eq!(
            ids("CVE-2019-1234 CVE-2019-5678"),
            (s(&["CVE-2019-1234", "CVE-2019-5678"]), s(&[]))
        );
        assert_eq!(
            ids("CVE-2016-10134 ZBX-11023"),
            (s(&["CVE-2016-10134"]), s(&["ZBX-11023"]))
        );
        assert_eq!(
            ids("CVE-2017-12122 TALOS-2017-0488"),
            (s(&["CVE-2017-12122"]), s(&["TALOS-2017-0488"]))
        );
        assert_eq!(ids("wnpa-sec-2017-18"), (s(&[]), s(&["wnpa-sec-2017-18"])));
        assert_eq!(ids("CVE-2017-8073.patch"), (s(&["CVE-2017-8073"]), s(&[])));
        assert_eq!(
            ids("CVE-2017-2616 (+ regression fix)"),
            (s(&["CVE-2017-2616"]), s(&[]))
        );
        assert_eq!(ids("CVE-????-?????  XSA-295"), (s(&[]), s(&["XSA-295"])));
        assert_eq!(
            ids("CVE-2019-1 (short)"),
            (s(&[]), s(&[])),
            "not a CVE number"
        );
        assert_eq!(ids("see the changelog"), (s(&[]), s(&[])));
        assert!(is_numbered_release("v3.11"));
        assert!(!is_numbered_release("edge"));
        assert!(!is_numbered_release("v3"));
        assert!(!is_numbered_release("3.11"));
    }
}
