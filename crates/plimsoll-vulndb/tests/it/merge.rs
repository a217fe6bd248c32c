//! What a second import does to the records of the first.

use plimsoll_vulndb::{ImportMode, ImportOptions, ImportSource, VulnDb, import};

use crate::{ids, import_dirs, testdata};

#[test]
fn merge_keeps_newer_records_and_applies_withdrawals() {
    let db_dir = tempfile::tempdir().unwrap();
    import_dirs(db_dir.path(), &["real"], ImportMode::Merge);
    let report = import_dirs(db_dir.path(), &["update"], ImportMode::Merge);

    // update/: a newer PYSEC-2018-28, a withdrawal of GO-2020-0001, an older GHSA-p6mc.
    assert_eq!(report.updated, 1);
    assert_eq!(report.removed, 1);
    assert_eq!(report.added, 0);
    let counts = &report.sources[0].counts;
    assert_eq!(counts.withdrawn, 1);
    assert_eq!(counts.imported, 1);
    assert_eq!(counts.superseded, 1, "the older GHSA-p6mc copy lost");
    assert_eq!(report.meta.records, 8);

    let db = VulnDb::open(db_dir.path()).unwrap();
    let requests = &db.advisories_for("PyPI", "requests").unwrap()[0];
    assert!(
        requests
            .summary
            .as_deref()
            .unwrap()
            .contains("later revision")
    );
    assert!(db.by_id("GO-2020-0001").unwrap().is_none());
    assert!(
        db.advisories_for("Go", "github.com/gin-gonic/gin")
            .unwrap()
            .is_empty()
    );
    assert!(
        db.by_id("CVE-2020-36567").unwrap().is_none(),
        "its aliases went with it"
    );
    let lodash = db.by_id("GHSA-p6mc-m468-83gw").unwrap().unwrap();
    assert!(
        !lodash
            .summary
            .as_deref()
            .unwrap_or_default()
            .contains("OLDER")
    );

    // Both sources are listed; the counts of the first are kept.
    let status = db.status();
    assert_eq!(status.sources.len(), 2);
    assert_eq!(status.sources[0].counts.imported, 9);
}

#[test]
fn reimporting_a_source_replaces_its_entry_and_ties_go_to_the_later_read() {
    let db_dir = tempfile::tempdir().unwrap();
    import_dirs(db_dir.path(), &["real"], ImportMode::Merge);
    let before = VulnDb::open(db_dir.path()).unwrap();
    let first_built = before.status().built_at;

    let report = import_dirs(db_dir.path(), &["real"], ImportMode::Merge);
    // Same `modified` everywhere (GO's is 0001-01-01): the re-read copies win.
    assert_eq!(report.updated, 9);
    assert_eq!(report.sources[0].counts.imported, 9);
    let after = VulnDb::open(db_dir.path()).unwrap();
    assert_eq!(after.status().sources.len(), 1, "same location, one entry");
    assert!(after.status().built_at >= first_built);
    assert_ne!(after.generation(), before.generation());
    assert_eq!(after.status().records, 9);
}

#[test]
fn several_sources_merge_into_one_database() {
    let db_dir = tempfile::tempdir().unwrap();
    let sources = [
        ImportSource::Dir(testdata("real/pypi")),
        ImportSource::Dir(testdata("real/npm")),
    ];
    let report = import(db_dir.path(), &sources, &ImportOptions::new()).unwrap();
    assert_eq!(report.meta.records, 3);
    let db = VulnDb::open(db_dir.path()).unwrap();
    assert_eq!(db.ecosystems().len(), 2);
    assert_eq!(
        ids(db.advisories_for("PyPI", "requests").unwrap()),
        ["PYSEC-2018-28"]
    );

    // A later import adds to them…
    import_dirs(db_dir.path(), &["real/go"], ImportMode::Merge);
    let db = VulnDb::open(db_dir.path()).unwrap();
    assert_eq!(db.status().records, 4);
    assert_eq!(db.status().sources.len(), 3);

    // …unless it replaces them.
    let report = import_dirs(db_dir.path(), &["real/go"], ImportMode::Replace);
    assert_eq!(report.meta.records, 1);
    let db = VulnDb::open(db_dir.path()).unwrap();
    assert!(db.advisories_for("PyPI", "requests").unwrap().is_empty());
    assert_eq!(db.status().sources.len(), 1);
}

#[test]
fn within_one_import_the_newest_copy_wins_whatever_the_order() {
    let db_dir = tempfile::tempdir().unwrap();
    // update/ (newer PYSEC, older GHSA) read before real/.
    let report = import_dirs(db_dir.path(), &["update", "real"], ImportMode::Replace);
    let db = VulnDb::open(db_dir.path()).unwrap();
    let requests = db.by_id("PYSEC-2018-28").unwrap().unwrap();
    assert!(
        requests
            .summary
            .as_deref()
            .unwrap()
            .contains("later revision")
    );
    let lodash = db.by_id("GHSA-p6mc-m468-83gw").unwrap().unwrap();
    assert!(
        !lodash
            .summary
            .as_deref()
            .unwrap_or_default()
            .contains("OLDER")
    );
    // The withdrawal is newer than the GO record read after it: still withdrawn.
    assert!(db.by_id("GO-2020-0001").unwrap().is_none());
    assert_eq!(report.meta.records, 8);
}
