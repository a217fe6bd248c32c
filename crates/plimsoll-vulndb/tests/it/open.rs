//! Opening: missing database, another schema version, damaged files.

use std::path::PathBuf;

use plimsoll_vulndb::{Error, ImportMode, SCHEMA_VERSION, VulnDb};

use crate::import_dirs;

fn meta_path(db: &VulnDb) -> PathBuf {
    db.generation().join("meta.json")
}

#[test]
fn a_missing_database_says_how_to_build_one() {
    let dir = tempfile::tempdir().unwrap();
    for path in [dir.path().to_owned(), dir.path().join("never-created")] {
        let err = VulnDb::open(&path).unwrap_err();
        assert!(matches!(err, Error::Missing { .. }), "{err:?}");
        let message = err.to_string();
        assert!(
            message.starts_with(&format!("no vulnerability database at {}", path.display())),
            "{message}"
        );
        assert!(message.contains("plimsoll db import DIR"), "{message}");
        assert!(message.contains("plimsoll db update"), "{message}");
    }
}

#[test]
fn another_schema_version_is_refused_then_rebuilt() {
    let dir = tempfile::tempdir().unwrap();
    import_dirs(dir.path(), &["real"], ImportMode::Merge);
    let db = VulnDb::open(dir.path()).unwrap();
    let path = meta_path(&db);
    let text = fs_err::read_to_string(&path).unwrap();
    let old = format!("\"schema_version\": {SCHEMA_VERSION}");
    assert!(text.contains(&old));
    fs_err::write(&path, text.replace(&old, "\"schema_version\": 999")).unwrap();
    drop(db);

    let err = VulnDb::open(dir.path()).unwrap_err();
    match &err {
        Error::SchemaMismatch {
            found, expected, ..
        } => assert_eq!((*found, *expected), (999, SCHEMA_VERSION)),
        other => panic!("{other:?}"),
    }
    let message = err.to_string();
    assert!(message.contains("schema version 999"), "{message}");
    assert!(message.contains("plimsoll db update"), "{message}");

    // A merging import cannot read the old records: it says so and builds from its sources.
    let report = import_dirs(dir.path(), &["real/npm"], ImportMode::Merge);
    assert_eq!(report.discarded_schema, Some(999));
    let db = VulnDb::open(dir.path()).unwrap();
    assert_eq!(db.status().records, 2);
    assert_eq!(db.status().schema_version, SCHEMA_VERSION);
}

#[test]
fn damaged_files_are_reported_as_corrupt() {
    let dir = tempfile::tempdir().unwrap();
    import_dirs(dir.path(), &["real"], ImportMode::Merge);

    // A garbage data file fails the query that loads it, naming the file; others still work.
    let db = VulnDb::open(dir.path()).unwrap();
    let pypi = db.generation().join("eco-PyPI.jsonl.zst");
    fs_err::write(&pypi, b"garbage").unwrap();
    let db = VulnDb::open(dir.path()).unwrap();
    let err = db.advisories_for("PyPI", "requests").unwrap_err();
    assert!(matches!(err, Error::ReadDb { .. }), "{err:?}");
    assert!(err.to_string().contains("eco-PyPI.jsonl.zst"), "{err}");
    assert_eq!(db.advisories_for("npm", "lodash").unwrap().len(), 2);

    // Unparsable metadata, and a CURRENT that names no generation.
    fs_err::write(meta_path(&db), b"{").unwrap();
    assert!(matches!(
        VulnDb::open(dir.path()).unwrap_err(),
        Error::Corrupt { .. }
    ));
    fs_err::write(dir.path().join("CURRENT"), b"../../etc\n").unwrap();
    let err = VulnDb::open(dir.path()).unwrap_err();
    assert!(matches!(err, Error::Corrupt { .. }), "{err:?}");
}
