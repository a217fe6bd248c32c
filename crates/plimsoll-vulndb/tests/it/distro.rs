//! The distributions' native formats, converted on import: Debian security-tracker lists
//! (`testdata/debian_tracker/`) and Alpine secdb files (`testdata/alpine_secdb/`), the real
//! corpus's facts when `../shared/advisories` is present, and matching end to end through
//! `plimsoll-matcher`'s public API.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use plimsoll_matcher::match_inventory;
use plimsoll_types::{
    Digest, Finding, FixState, ImageInventory, ImageSource, OsRelease, Package, PackageKind,
    Severity, SeveritySource, SourcePackage,
};
use plimsoll_vulndb::{
    Advisory, Event, ImportMode, ImportOptions, ImportReport, ImportSource, SourceFormat,
    SourceKind, VulnDb, import,
};

use crate::corpus::corpus;
use crate::ids;

fn fixture(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata")
        .join(path)
}

/// Imports paths the way `plimsoll db import PATH…` does: kind picked by `from_path`.
fn import_paths(db: &Path, paths: &[PathBuf], mode: ImportMode) -> ImportReport {
    let sources: Vec<ImportSource> = paths
        .iter()
        .map(|p| ImportSource::from_path(p).unwrap())
        .collect();
    import(db, &sources, &ImportOptions::new().mode(mode)).unwrap()
}

/// (ecosystem, package, fixed version or `None`) of each affected entry, sorted.
fn entries(advisory: &Advisory) -> Vec<(String, String, Option<String>)> {
    let mut out: Vec<_> = advisory
        .affected
        .iter()
        .map(|a| {
            let events = &a.ranges[0].events;
            assert_eq!(events[0], Event::Introduced("0".into()), "{}", advisory.id);
            let fixed = events.get(1).map(|e| match e {
                Event::Fixed(v) => v.clone(),
                other => panic!("{}: {other:?}", advisory.id),
            });
            (a.ecosystem.clone(), a.name.clone(), fixed)
        })
        .collect();
    out.sort();
    out
}

fn entry(ecosystem: &str, name: &str, fixed: &str) -> (String, String, Option<String>) {
    (
        ecosystem.to_owned(),
        name.to_owned(),
        Some(fixed.to_owned()),
    )
}

fn record<'a>(db: &'a VulnDb, id: &str) -> &'a Arc<Advisory> {
    let advisory = db.by_id(id).unwrap().unwrap_or_else(|| panic!("no {id}"));
    assert_eq!(advisory.id, id);
    advisory
}

#[test]
fn a_debian_tracker_checkout_imports_as_a_directory_or_file_by_file() {
    let db_dir = tempfile::tempdir().unwrap();
    let report = import_paths(
        db_dir.path(),
        &[fixture("debian_tracker/excerpt")],
        ImportMode::Merge,
    );
    assert!(report.warnings.is_empty(), "{:#?}", report.warnings);
    let source = &report.sources[0];
    assert_eq!(source.kind, SourceKind::Dir);
    // The three lists and config.json, which is recognised and read for nothing.
    assert_eq!(
        source.formats,
        BTreeMap::from([(SourceFormat::DebianTracker, 4)])
    );
    let c = &source.counts;
    assert_eq!((c.documents, c.records, c.imported), (4, 13, 12));
    assert_eq!((c.no_packages, c.not_affected), (1, 3), "DSA-4205-1; sarge");
    assert_eq!((c.not_osv, c.malformed, c.superseded), (0, 0, 0));

    let db = VulnDb::open(db_dir.path()).unwrap();
    assert_eq!(
        db.status().sources[0].formats,
        source.formats,
        "in meta.json"
    );
    assert_eq!(
        ids(db.advisories_for("Debian:11", "xorg-server").unwrap()),
        ["DSA-5380-1"]
    );
    assert_eq!(
        ids(db.advisories_for("Debian:10", "xorg-server").unwrap()),
        ["DLA-3372-1"]
    );
    assert_eq!(
        ids(db.advisories_for("Debian:4", "kismet").unwrap()),
        ["DTSA-1-1"]
    );
    let dsa = record(&db, "DSA-5380-1");
    assert_eq!(dsa.aliases, ["CVE-2023-1393"]);
    assert_eq!(
        entries(dsa),
        [entry("Debian:11", "xorg-server", "2:1.20.11-1+deb11u6")]
    );
    // The CVE is an upstream id of the DSA and the DLA, not their identity: it forms no alias
    // group with them, and they none with each other.
    assert!(db.aliases_of("CVE-2023-1393").unwrap().is_empty());
    assert!(db.by_id("CVE-2023-1393").unwrap().is_none());
    assert_eq!(db.aliases_of("DSA-5380-1").unwrap(), ["DSA-5380-1"]);
    let ecosystems: BTreeMap<String, usize> = db.ecosystems().into_iter().collect();
    assert_eq!(ecosystems.get("Debian:11"), Some(&2), "{ecosystems:?}");
    assert_eq!(
        ecosystems.get("Debian:3.1"),
        Some(&3),
        "sarge: {ecosystems:?}"
    );

    // One list given by itself is a file source.
    let db_dir = tempfile::tempdir().unwrap();
    let report = import_paths(
        db_dir.path(),
        &[fixture("debian_tracker/excerpt/data/DLA/list")],
        ImportMode::Merge,
    );
    assert_eq!(report.sources[0].kind, SourceKind::File);
    assert_eq!(report.sources[0].counts.imported, 1);
    assert_eq!(
        report.sources[0].formats,
        BTreeMap::from([(SourceFormat::DebianTracker, 1)])
    );
}

#[test]
fn alpine_releases_fold_into_one_record_per_vulnerability() {
    let db_dir = tempfile::tempdir().unwrap();
    let report = import_paths(
        db_dir.path(),
        &[fixture("alpine_secdb/excerpt")],
        ImportMode::Merge,
    );
    let source = &report.sources[0];
    assert_eq!(
        source.formats,
        BTreeMap::from([(SourceFormat::AlpineSecdb, 7)])
    );
    let c = &source.counts;
    assert_eq!(c.not_affected, 5, "v3.8 db under `0`");
    assert_eq!(c.malformed, 1, "v3.6 heimdal's null list");
    assert_eq!(c.unreadable_versions, 1, "v3.11 python2 2.7.16-33");
    assert_eq!(c.imported, c.records);
    assert_eq!(c.superseded, 0, "folded, not superseded");

    let db = VulnDb::open(db_dir.path()).unwrap();
    let ansible = db.advisories_for("Alpine:v3.11", "ansible").unwrap();
    assert!(ids(ansible).contains(&"ALPINE-CVE-2019-14904".to_owned()));
    assert_eq!(
        entries(record(&db, "ALPINE-CVE-2019-14904")),
        [entry("Alpine:v3.11", "ansible", "2.9.3-r0")]
    );
    let both = [
        entry("Alpine:v3.10", "xen", "4.7.1-r5"),
        entry("Alpine:v3.11", "xen", "4.7.1-r5"),
    ];
    assert_eq!(entries(record(&db, "ALPINE-XSA-207")), both);
    assert_eq!(record(&db, "ALPINE-CVE-2017-2615").related, ["XSA-208"]);

    // Two imports, one release each: the second merges into the first's record.
    let db_dir = tempfile::tempdir().unwrap();
    for release in ["v3.10", "v3.11"] {
        import_paths(
            db_dir.path(),
            &[fixture(&format!(
                "alpine_secdb/excerpt/{release}/main.json"
            ))],
            ImportMode::Merge,
        );
    }
    let db = VulnDb::open(db_dir.path()).unwrap();
    assert_eq!(entries(record(&db, "ALPINE-XSA-207")), both);
    // Re-importing a release replaces its entries rather than duplicating them.
    import_paths(
        db_dir.path(),
        &[fixture("alpine_secdb/excerpt/v3.11/main.json")],
        ImportMode::Merge,
    );
    let db = VulnDb::open(db_dir.path()).unwrap();
    assert_eq!(entries(record(&db, "ALPINE-XSA-207")), both);
    // A replacing import keeps only what it is given.
    import_paths(
        db_dir.path(),
        &[fixture("alpine_secdb/excerpt/v3.10/main.json")],
        ImportMode::Replace,
    );
    let db = VulnDb::open(db_dir.path()).unwrap();
    assert_eq!(entries(record(&db, "ALPINE-XSA-207")), both[..1]);
}

#[test]
fn bad_native_input_is_named_and_counted_never_fatal() {
    let db_dir = tempfile::tempdir().unwrap();
    let report = import_paths(
        db_dir.path(),
        &[fixture("debian_tracker/edge"), fixture("alpine_secdb/edge")],
        ImportMode::Merge,
    );
    let (debian, alpine) = (&report.sources[0].counts, &report.sources[1].counts);
    assert_eq!((debian.malformed, debian.unreadable_versions), (7, 1));
    assert_eq!((alpine.malformed, alpine.unreadable_versions), (5, 1));
    let warned: Vec<String> = report.warnings.iter().map(ToString::to_string).collect();
    for needle in [
        "debian_tracker/edge/data/DSA/list:10: unreadable date",
        "alpine_secdb/edge/wrong-shape.json: not a valid Alpine secdb file",
    ] {
        assert!(
            warned.iter().any(|w| w.contains(needle)),
            "no {needle:?} in {warned:#?}"
        );
    }
    let db = VulnDb::open(db_dir.path()).unwrap();
    assert_eq!(
        db.status().unknown_releases(),
        BTreeMap::from([
            ("edge".to_owned(), 1),
            ("hurd".to_owned(), 1),
            ("sid".to_owned(), 1)
        ])
    );
    assert_eq!(db.status().totals().not_affected, 2);
    assert!(db.by_id("DSA-9001-1").unwrap().is_some());
    assert!(db.by_id("DSA-9002-1").unwrap().is_none());
}

fn inventory(os: (&str, &str), packages: Vec<Package>) -> ImageInventory {
    ImageInventory {
        source: ImageSource::Registry {
            reference: "127.0.0.1:5000/t:1".into(),
        },
        manifest_digest: Digest::sha256_of(b"m"),
        index_digest: None,
        config_digest: Digest::sha256_of(b"c"),
        platform: "linux/amd64".parse().unwrap(),
        created: None,
        os: Some(OsRelease {
            id: os.0.into(),
            version_id: Some(os.1.into()),
            ..OsRelease::default()
        }),
        layers: vec![],
        packages,
        config: None,
        secrets: vec![],
        warnings: vec![],
    }
}

fn package(kind: PackageKind, name: &str, version: &str, source: &str) -> Package {
    let path = match kind {
        PackageKind::Apk => "/lib/apk/db/installed",
        _ => "/var/lib/dpkg/status",
    };
    let mut package = Package::new(kind, name, version, path);
    package.source = Some(SourcePackage {
        name: source.into(),
        version: version.into(),
    });
    package
}

fn finding<'a>(findings: &'a [Finding], id: &str) -> &'a Finding {
    findings
        .iter()
        .find(|f| f.id == id)
        .unwrap_or_else(|| panic!("no finding {id} in {findings:#?}"))
}

/// A Debian 11 image whose X server is one revision below DSA-5380-1's fix, and one at it.
fn debian11() -> ImageInventory {
    inventory(
        ("debian", "11"),
        vec![
            package(
                PackageKind::Deb,
                "xserver-xorg-core",
                "2:1.20.11-1+deb11u5",
                "xorg-server",
            ),
            package(PackageKind::Deb, "libapr1", "1.7.0-6+deb11u2", "apr"),
        ],
    )
}

fn check_debian11(db: &VulnDb) {
    let outcome = match_inventory(db, &debian11()).unwrap();
    assert!(outcome.problems.is_empty(), "{:?}", outcome.problems);
    let dsa = finding(&outcome.findings, "DSA-5380-1");
    assert_eq!(dsa.package, "xserver-xorg-core");
    assert_eq!(
        (dsa.matched_ecosystem.as_str(), dsa.matched_name.as_str()),
        ("Debian:11", "xorg-server")
    );
    assert_eq!(dsa.fixed_versions, ["2:1.20.11-1+deb11u6"]);
    assert_eq!(dsa.status, FixState::Fixed);
    assert!(dsa.aliases.contains(&"CVE-2023-1393".to_owned()));
    assert_eq!(
        dsa.summary.as_deref(),
        Some("xorg-server - security update")
    );
}

#[test]
fn converted_records_match_end_to_end() {
    let dir = tempfile::tempdir().unwrap();
    // A record of another database for one CVE, carrying its severity: the matcher borrows it
    // for the Alpine record that lists the CVE (secdb has no severities).
    let other = dir.path().join("osv");
    fs_err::create_dir_all(&other).unwrap();
    fs_err::write(
        other.join("PLIMSOLL-TEST-NVD.json"),
        r#"{"id": "PLIMSOLL-TEST-NVD", "modified": "2024-01-01T00:00:00Z",
            "aliases": ["CVE-2019-14904"],
            "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N"}],
            "affected": [{"package": {"ecosystem": "PyPI", "name": "ansible"}}]}"#,
    )
    .unwrap();
    let db_dir = dir.path().join("db");
    import_paths(
        &db_dir,
        &[
            fixture("debian_tracker/excerpt"),
            fixture("alpine_secdb/excerpt"),
            other,
        ],
        ImportMode::Merge,
    );
    let db = VulnDb::open(&db_dir).unwrap();

    check_debian11(&db);
    let outcome = match_inventory(&db, &debian11()).unwrap();
    assert_eq!(outcome.findings.len(), 1, "{:#?}", outcome.findings);
    let dsa = &outcome.findings[0];
    assert_eq!(
        (dsa.severity, dsa.severity_source),
        (Severity::Unknown, SeveritySource::None),
        "no record of another database knows CVE-2023-1393"
    );

    // An urgency note in the tracker is the database's own label.
    let etch = inventory(
        ("debian", "4"),
        vec![package(
            PackageKind::Deb,
            "kismet",
            "2005.08.R1-0.1",
            "kismet",
        )],
    );
    let outcome = match_inventory(&db, &etch).unwrap();
    let testing = finding(&outcome.findings, "DTSA-1-1");
    assert_eq!(
        (testing.severity, testing.severity_source),
        (Severity::High, SeveritySource::Database)
    );

    let alpine = inventory(
        ("alpine", "3.11.6"),
        vec![package(PackageKind::Apk, "ansible", "2.9.2-r0", "ansible")],
    );
    let outcome = match_inventory(&db, &alpine).unwrap();
    assert!(outcome.problems.is_empty(), "{:?}", outcome.problems);
    let found: Vec<&str> = outcome.findings.iter().map(|f| f.id.as_str()).collect();
    assert_eq!(found, ["ALPINE-CVE-2019-14904", "ALPINE-CVE-2019-14905"]);
    for f in &outcome.findings {
        assert_eq!(f.fixed_versions, ["2.9.3-r0"]);
        assert_eq!(f.status, FixState::Fixed);
        assert_eq!(f.matched_ecosystem, "Alpine:v3.11");
    }
    let borrowed = finding(&outcome.findings, "ALPINE-CVE-2019-14904");
    assert_eq!(
        (borrowed.severity, borrowed.severity_source),
        (Severity::High, SeveritySource::Alias)
    );
    assert_eq!(
        outcome.findings[1].severity_source,
        SeveritySource::None,
        "UNKNOWN without an aliased record"
    );

    // `<end-of-life>`: affected, no fix.
    let jessie = inventory(
        ("debian", "8"),
        vec![package(
            PackageKind::Deb,
            "virtualbox",
            "5.1.8-dfsg-1",
            "virtualbox",
        )],
    );
    let outcome = match_inventory(&db, &jessie).unwrap();
    let eol = finding(&outcome.findings, "DSA-3699-1");
    assert_eq!(eol.status, FixState::Unfixed);
    assert!(eol.fixed_versions.is_empty());
}

/// The real Debian tracker lists and Alpine secdb files of `../shared/advisories`.
#[test]
fn the_real_native_corpus() {
    let Some(dir) = corpus() else {
        eprintln!("skipped: no advisory corpus at ../shared/advisories (set PLIMSOLL_ADVISORIES)");
        return;
    };
    let db_dir = tempfile::tempdir().unwrap();
    let report = import_paths(
        db_dir.path(),
        &[dir.join("debian"), dir.join("alpine")],
        ImportMode::Merge,
    );
    let (debian, alpine) = (&report.sources[0], &report.sources[1]);
    // SOURCES.md: 5,406 DSA, 3,534 DLA and 208 DTSA entries; all of them read.
    let c = &debian.counts;
    assert_eq!(
        (c.records, c.malformed, c.unreadable_versions),
        (9148, 0, 0)
    );
    assert_eq!(c.imported + c.no_packages, c.records);
    assert_eq!(
        c.no_packages, 30,
        "announcements and entries with only `<not-affected>`"
    );
    assert_eq!(c.not_affected, 55);
    assert!(c.unknown_releases.is_empty(), "{:?}", c.unknown_releases);
    // Alpine: 2,469 vulnerabilities over 18 files; heimdal's null list (v3.6) is the one
    // unreadable entry, `0` in v3.8 the one never-affected secfix (5 CVEs), and 24 fixed
    // versions are no apk version (`0.8.21.r2`, `4.8.0.-r1`, `2.7.16-33`…).
    let c = &alpine.counts;
    assert_eq!((c.records, c.imported), (2469, 2469));
    assert_eq!(
        (c.malformed, c.not_affected, c.unreadable_versions),
        (1, 5, 24)
    );
    assert_eq!(
        debian.formats,
        BTreeMap::from([(SourceFormat::DebianTracker, 4)])
    );
    assert_eq!(
        alpine.formats,
        BTreeMap::from([(SourceFormat::AlpineSecdb, 18)])
    );

    let db = VulnDb::open(db_dir.path()).unwrap();
    let dsa = record(&db, "DSA-5380-1");
    assert_eq!(dsa.aliases, ["CVE-2023-1393"]);
    assert_eq!(
        entries(dsa),
        [entry("Debian:11", "xorg-server", "2:1.20.11-1+deb11u6")]
    );
    assert_eq!(
        entries(record(&db, "DLA-3372-1")),
        [entry("Debian:10", "xorg-server", "2:1.20.4-1+deb10u9")]
    );
    assert_eq!(
        entries(record(&db, "DSA-3390-1")),
        [
            entry("Debian:7", "xen", "4.1.4-3+deb7u9"),
            entry("Debian:8", "xen", "4.4.1-9+deb8u2")
        ]
    );
    assert_eq!(
        entries(record(&db, "ALPINE-CVE-2019-14904")),
        [entry("Alpine:v3.11", "ansible", "2.9.3-r0")]
    );
    // One CVE fixed in two packages over eight releases and two repositories' worth of files.
    let mut expected = vec![entry("Alpine:v3.7", "libressl", "2.6.5-r0")];
    for release in ["v3.8", "v3.9", "v3.10", "v3.11"] {
        expected.push(entry(&format!("Alpine:{release}"), "libressl", "2.7.4-r0"));
    }
    for release in ["v3.4", "v3.5", "v3.6", "v3.7", "v3.8"] {
        expected.push(entry(&format!("Alpine:{release}"), "openssl", "1.0.2o-r1"));
    }
    expected.sort();
    assert_eq!(entries(record(&db, "ALPINE-CVE-2018-0732")), expected);

    check_debian11(&db);
}
