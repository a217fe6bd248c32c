//! Import from each kind of source, the counts it reports and the look-ups it enables.

use plimsoll_vulndb::{
    Error, Event, ImportMode, ImportOptions, ImportSource, RangeKind, SCHEMA_VERSION, SourceKind,
    VulnDb, import,
};

use crate::{files_under, ids, import_dirs, testdata, zip_of};

#[test]
fn directory_import_counts_and_lookups() {
    let db_dir = tempfile::tempdir().unwrap();
    let report = import_dirs(db_dir.path(), &["real"], ImportMode::Merge);
    assert_eq!(report.meta.records, 9);
    assert_eq!(report.added, 9);
    let counts = &report.sources[0].counts;
    assert_eq!(counts.documents, 9);
    assert_eq!(counts.records, 9);
    assert_eq!(counts.imported, 9);
    assert_eq!(
        (
            counts.withdrawn,
            counts.malformed,
            counts.not_osv,
            counts.no_packages
        ),
        (0, 0, 0, 0)
    );
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);

    let db = VulnDb::open(db_dir.path()).unwrap();
    let status = db.status();
    assert_eq!(status.schema_version, SCHEMA_VERSION);
    assert_eq!(status.records, 9);
    assert_eq!(status.sources.len(), 1);
    assert_eq!(status.sources[0].kind, SourceKind::Dir);
    assert_eq!(
        db.ecosystems(),
        [
            ("Go".to_owned(), 1),
            ("Maven".to_owned(), 1),
            ("PyPI".to_owned(), 1),
            ("Ubuntu:18.04:LTS".to_owned(), 1),
            ("Ubuntu:20.04:LTS".to_owned(), 1),
            ("Ubuntu:22.04:LTS".to_owned(), 1),
            ("crates.io".to_owned(), 3),
            ("npm".to_owned(), 2),
        ]
    );

    // PEP 503 on both sides; the GIT range is gone, the ECOSYSTEM range and versions kept.
    let requests = db.advisories_for("PyPI", "Requests").unwrap();
    assert_eq!(ids(requests), ["PYSEC-2018-28"]);
    let affected = &requests[0].affected[0];
    assert_eq!(affected.ranges.len(), 1);
    assert_eq!(affected.ranges[0].kind, RangeKind::Ecosystem);
    assert_eq!(
        affected.ranges[0].events,
        [Event::Introduced("0".into()), Event::Fixed("2.20.0".into())]
    );
    assert_eq!(db.advisories_for("pypi", "requests").unwrap().len(), 1);

    // npm: one record, two packages; case-sensitive names.
    assert_eq!(
        ids(db.advisories_for("npm", "lodash").unwrap()),
        ["GHSA-p6mc-m468-83gw", "GHSA-x5rq-j2xg-h7qm"]
    );
    assert_eq!(
        ids(db.advisories_for("npm", "lodash-amd").unwrap()),
        ["GHSA-x5rq-j2xg-h7qm"]
    );
    assert!(db.advisories_for("npm", "Lodash").unwrap().is_empty());
    let x5rq = db.by_id("GHSA-x5rq-j2xg-h7qm").unwrap().unwrap();
    assert_eq!(x5rq.database_severity.as_deref(), Some("moderate"));

    // Maven is case-insensitive; log4shell lists its package three times but is found once.
    let log4j = db
        .advisories_for("Maven", "org.apache.logging.log4j:LOG4J-core")
        .unwrap();
    assert_eq!(ids(log4j), ["GHSA-jfh8-c2jp-5v3q"]);
    assert_eq!(
        log4j[0]
            .affected_for("Maven", "org.apache.logging.log4j:log4j-core")
            .count(),
        3
    );
    assert!(log4j[0].severity.iter().any(|s| s.kind == "CVSS_V3"));

    // Distribution ecosystems by full string; one record stored once per base ecosystem.
    assert_eq!(
        ids(db.advisories_for("Ubuntu:22.04:LTS", "openssl").unwrap()),
        ["USN-6119-1"]
    );
    assert!(
        db.advisories_for("Ubuntu:23.04", "openssl")
            .unwrap()
            .is_empty()
    );
    let usn = &db.advisories_for("Ubuntu:18.04:LTS", "openssl").unwrap()[0];
    assert_eq!(usn.affected_for("Ubuntu:18.04:LTS", "openssl").count(), 1);
    assert!(usn.affected.iter().all(|a| a.severity_hint.is_some()));

    // Go module paths as-is; `modified` of 0001-01-01 is a valid time.
    let gin = db.advisories_for("Go", "github.com/gin-gonic/gin").unwrap();
    assert_eq!(gin[0].modified.year(), 1);
    assert!(
        db.advisories_for("Go", "github.com/Gin-Gonic/gin")
            .unwrap()
            .is_empty()
    );

    // Unknown package, unknown ecosystem, ecosystem without data: empty, not an error.
    assert!(db.advisories_for("PyPI", "numpy").unwrap().is_empty());
    assert!(db.advisories_for("Plan9Ports", "acme").unwrap().is_empty());
    assert!(
        db.advisories_for("Debian:12", "openssl")
            .unwrap()
            .is_empty()
    );
}

#[test]
fn aliases_resolve_both_ways() {
    let db_dir = tempfile::tempdir().unwrap();
    import_dirs(db_dir.path(), &["real"], ImportMode::Merge);
    let db = VulnDb::open(db_dir.path()).unwrap();

    let by_cve = db.by_id("CVE-2018-18074").unwrap().unwrap();
    assert_eq!(by_cve.id, "PYSEC-2018-28");
    assert_eq!(
        db.by_id("GHSA-x84v-xcm2-53pg").unwrap().unwrap().id,
        "PYSEC-2018-28"
    );
    assert_eq!(
        db.aliases_of("PYSEC-2018-28").unwrap(),
        ["CVE-2018-18074", "GHSA-x84v-xcm2-53pg", "PYSEC-2018-28"]
    );
    assert_eq!(
        db.aliases_of("CVE-2021-44228").unwrap(),
        ["CVE-2021-44228", "GHSA-jfh8-c2jp-5v3q"]
    );

    // Two RustSec records share their aliases: one group, the smallest id for an alias.
    let group = db.aliases_of("CVE-2022-23636").unwrap();
    assert!(group.contains(&"RUSTSEC-2022-0096".to_owned()));
    assert!(group.contains(&"RUSTSEC-2022-0101".to_owned()));
    assert_eq!(
        db.by_id("CVE-2022-23636").unwrap().unwrap().id,
        "RUSTSEC-2022-0096"
    );
    assert_eq!(
        db.by_id("RUSTSEC-2022-0101").unwrap().unwrap().id,
        "RUSTSEC-2022-0101"
    );

    // A record without aliases (USN) is its own group; unknown ids have none.
    assert_eq!(db.aliases_of("USN-6119-1").unwrap(), ["USN-6119-1"]);
    assert!(db.aliases_of("CVE-1999-0001").unwrap().is_empty());
    assert!(db.by_id("CVE-1999-0001").unwrap().is_none());
}

#[test]
fn bad_input_is_skipped_counted_and_named() {
    let db_dir = tempfile::tempdir().unwrap();
    let report = import_dirs(db_dir.path(), &["real", "edge"], ImportMode::Merge);
    let edge = &report.sources[1].counts;
    // notes.txt and .hidden/ are not read at all.
    assert_eq!(edge.documents, 7);
    assert_eq!(edge.withdrawn, 1, "RUSTSEC-2019-0031");
    assert_eq!(edge.malformed, 3, "truncated, missing-modified, bad-event");
    assert_eq!(edge.not_osv, 1, "an npm package.json");
    assert_eq!(edge.no_packages, 1, "only an unknown ecosystem");
    assert_eq!(edge.imported, 1, "mixed-ecosystems keeps its PyPI package");
    assert_eq!(
        edge.unknown_ecosystems.get("Plan9Ports"),
        Some(&2),
        "{:?}",
        edge.unknown_ecosystems
    );
    assert_eq!(report.meta.records, 10);

    // Every skipped document is named, with the record id when there is one.
    let warned: Vec<String> = report.warnings.iter().map(ToString::to_string).collect();
    for needle in [
        "truncated.json",
        "missing-modified.json (PLIMSOLL-TEST-MISSING-MODIFIED)",
        "bad-event.json (PLIMSOLL-TEST-BAD-EVENT)",
        "not-osv.json: neither an OSV record",
    ] {
        assert!(
            warned.iter().any(|w| w.contains(needle)),
            "no warning for {needle}: {warned:#?}"
        );
    }
    assert_eq!(report.warnings.len(), 4, "{warned:#?}");

    let db = VulnDb::open(db_dir.path()).unwrap();
    assert!(
        db.by_id("RUSTSEC-2019-0031").unwrap().is_none(),
        "withdrawn"
    );
    assert!(db.advisories_for("crates.io", "spin").unwrap().is_empty());
    assert!(
        db.by_id("PLIMSOLL-TEST-UNKNOWN-ECOSYSTEM")
            .unwrap()
            .is_none()
    );
    // Lower-cased `pypi` in the record is accepted and canonicalised.
    let mixed = db.advisories_for("PyPI", "zope-interface").unwrap();
    assert_eq!(ids(mixed), ["PLIMSOLL-TEST-MIXED-ECOSYSTEMS"]);
    assert_eq!(mixed[0].affected.len(), 1);
    assert_eq!(mixed[0].affected[0].ecosystem, "PyPI");

    let totals = db.status().totals();
    assert_eq!(
        (totals.malformed, totals.not_osv, totals.withdrawn),
        (3, 1, 1)
    );
    assert_eq!(db.status().unknown_ecosystems().get("Plan9Ports"), Some(&2));
}

#[test]
fn zip_and_single_file_sources() {
    let dir = tempfile::tempdir().unwrap();
    let mut entries = files_under(&testdata("real"));
    // Archive noise that must be ignored: a directory entry and a non-JSON file.
    entries.push(("README.txt".to_owned(), b"not json".to_vec()));
    let zip_path = dir.path().join("all.zip");
    fs_err::write(&zip_path, zip_of(&entries)).unwrap();
    fs_err::write(
        dir.path().join("one.json"),
        fs_err::read(testdata("edge").join("mixed-ecosystems.json")).unwrap(),
    )
    .unwrap();

    let zip_source = ImportSource::from_path(&zip_path).unwrap();
    assert!(matches!(zip_source, ImportSource::Zip(_)));
    let file_source = ImportSource::from_path(dir.path().join("one.json")).unwrap();
    assert!(matches!(file_source, ImportSource::File(_)));

    let db_dir = dir.path().join("db");
    let report = import(&db_dir, &[zip_source, file_source], &ImportOptions::new()).unwrap();
    assert_eq!(report.sources[0].counts.documents, 9);
    assert_eq!(report.sources[0].counts.imported, 9);
    assert_eq!(report.sources[1].counts.imported, 1);
    assert_eq!(report.meta.records, 10);
    let db = VulnDb::open(&db_dir).unwrap();
    assert_eq!(db.status().sources[0].kind, SourceKind::Zip);
    assert_eq!(ids(db.advisories_for("npm", "lodash").unwrap()).len(), 2);

    // The same archive with a misleading name is still recognised by its magic bytes.
    let renamed = dir.path().join("feed.bin");
    fs_err::copy(&zip_path, &renamed).unwrap();
    assert!(matches!(
        ImportSource::from_path(&renamed).unwrap(),
        ImportSource::Zip(_)
    ));
}

#[test]
fn unusable_sources_fail_the_import() {
    let dir = tempfile::tempdir().unwrap();
    let db_dir = dir.path().join("db");

    let missing = ImportSource::Dir(dir.path().join("nope"));
    let err = import(&db_dir, &[missing], &ImportOptions::new()).unwrap_err();
    assert!(matches!(err, Error::ReadSource { .. }), "{err:?}");

    let empty = dir.path().join("empty");
    fs_err::create_dir(&empty).unwrap();
    let err = import(&db_dir, &[ImportSource::Dir(empty)], &ImportOptions::new()).unwrap_err();
    assert!(matches!(err, Error::EmptySource { .. }), "{err:?}");
    assert!(err.to_string().contains("contains no JSON files"));

    let corrupt = dir.path().join("corrupt.zip");
    fs_err::write(&corrupt, b"PK\x03\x04 this is not really a zip").unwrap();
    let err = import(
        &db_dir,
        &[ImportSource::Zip(corrupt)],
        &ImportOptions::new(),
    )
    .unwrap_err();
    assert!(matches!(err, Error::Zip { .. }), "{err:?}");

    let text = dir.path().join("notes.txt");
    fs_err::write(&text, b"hello").unwrap();
    assert!(matches!(
        ImportSource::from_path(&text).unwrap_err(),
        Error::UnknownSource { .. }
    ));

    // None of the failures left a database behind.
    assert!(matches!(
        VulnDb::open(&db_dir).unwrap_err(),
        Error::Missing { .. }
    ));
}

#[test]
fn one_database_serves_many_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<VulnDb>();
    let db_dir = tempfile::tempdir().unwrap();
    import_dirs(db_dir.path(), &["real"], ImportMode::Merge);
    let db = VulnDb::open(db_dir.path()).unwrap();
    // Racing first loads of the same file: one loads, the others wait and share the result.
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..4)
            .map(|_| {
                scope.spawn(|| {
                    (
                        db.advisories_for("PyPI", "requests").unwrap().len(),
                        db.by_id("CVE-2021-44228").unwrap().map(|a| a.id.clone()),
                    )
                })
            })
            .collect();
        for handle in handles {
            assert_eq!(
                handle.join().unwrap(),
                (1, Some("GHSA-jfh8-c2jp-5v3q".to_owned()))
            );
        }
    });
}
