//! Crash safety: whatever happens during an import, the previous database stays current and
//! intact, and readers never see a partial one.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use plimsoll_vulndb::{
    Error, ImportEvent, ImportMode, ImportOptions, ImportSource, VulnDb, import,
};

use crate::{ids, import_dirs, testdata};

/// Environment variable that turns [`abort_child_helper`] into a real import that aborts.
const CHILD_ENV: &str = "PLIMSOLL_VULNDB_ABORT_CHILD";

/// Asserts `db_dir` holds exactly the database built from `real/`.
fn assert_is_real_db(db_dir: &Path) {
    let db = VulnDb::open(db_dir).unwrap();
    assert_eq!(db.status().records, 9);
    assert_eq!(
        ids(db.advisories_for("PyPI", "requests").unwrap()),
        ["PYSEC-2018-28"]
    );
    assert!(db.by_id("GO-2020-0001").unwrap().is_some());
    assert!(
        db.by_id("PLIMSOLL-TEST-MIXED-ECOSYSTEMS")
            .unwrap()
            .is_none()
    );
    // Every data file loads.
    for (ecosystem, _) in db.ecosystems() {
        db.advisories_for(&ecosystem, "x").unwrap();
    }
}

fn entries(db_dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs_err::read_dir(db_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn a_panic_while_writing_leaves_the_previous_database() {
    let db_dir = tempfile::tempdir().unwrap();
    import_dirs(db_dir.path(), &["real"], ImportMode::Merge);

    for stop_at in ["writing the second file", "committing"] {
        let options = ImportOptions::new().on_progress(move |event| match event {
            ImportEvent::Writing { done: 1, .. } if stop_at == "writing the second file" => {
                panic!("injected failure while {stop_at}")
            }
            ImportEvent::Committing if stop_at == "committing" => {
                panic!("injected failure while {stop_at}")
            }
            _ => {}
        });
        let sources = [ImportSource::Dir(testdata("edge"))];
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            import(db_dir.path(), &sources, &options)
        }));
        assert!(
            outcome.is_err(),
            "the injected panic must fire ({stop_at}); the import returned {:?}",
            outcome
                .as_ref()
                .map(|r| r.as_ref().map(|report| report.meta.records))
        );
        // The half-built generation is there (as after a crash), but not current.
        assert!(
            entries(db_dir.path()).len() > 3,
            "{:?}",
            entries(db_dir.path())
        );
        assert_is_real_db(db_dir.path());
    }

    // The next import succeeds and cleans up the debris.
    import_dirs(db_dir.path(), &["edge"], ImportMode::Merge);
    let left: Vec<String> = entries(db_dir.path())
        .into_iter()
        .filter(|n| n.starts_with("gen-") || n.starts_with(".tmp-"))
        .collect();
    assert_eq!(left.len(), 2, "new and previous generation only: {left:?}");
    let db = VulnDb::open(db_dir.path()).unwrap();
    assert_eq!(db.status().records, 10);
}

/// Run by [`an_aborted_process_leaves_the_previous_database`] in a child process: imports
/// `edge/` into the database named by [`CHILD_ENV`] and calls `abort()` (no unwinding, no
/// destructors, like `kill -9`) at the step named after the `:`. Without the variable it does
/// nothing.
#[test]
fn abort_child_helper() {
    let Some(spec) = std::env::var_os(CHILD_ENV) else {
        return;
    };
    let spec = spec.to_string_lossy().into_owned();
    let (db_dir, step) = spec.rsplit_once(':').unwrap();
    let step = step.to_owned();
    let options = ImportOptions::new().on_progress(move |event| {
        let abort = match event {
            ImportEvent::Reading { .. } => step == "reading",
            ImportEvent::Writing { done: 1, .. } => step == "writing",
            ImportEvent::Committing => step == "committing",
            _ => false,
        };
        if abort {
            std::process::abort();
        }
    });
    let _ = import(
        Path::new(db_dir),
        &[ImportSource::Dir(testdata("edge"))],
        &options,
    );
    unreachable!("the import should have aborted at {spec}");
}

#[test]
fn an_aborted_process_leaves_the_previous_database() {
    let db_dir = tempfile::tempdir().unwrap();
    import_dirs(db_dir.path(), &["real"], ImportMode::Merge);
    let exe = std::env::current_exe().unwrap();
    for step in ["reading", "writing", "committing"] {
        let status = Command::new(&exe)
            .args(["atomic::abort_child_helper", "--exact", "--test-threads=1"])
            .env(CHILD_ENV, format!("{}:{step}", db_dir.path().display()))
            .output()
            .unwrap()
            .status;
        assert!(!status.success(), "the child must die at {step}");
        assert_is_real_db(db_dir.path());
    }
    // The lock died with the process: the next import runs.
    let report = import_dirs(db_dir.path(), &["edge"], ImportMode::Merge);
    assert_eq!(report.meta.records, 10);
}

#[test]
fn readers_never_see_a_partial_database() {
    let db_dir = tempfile::tempdir().unwrap();
    import_dirs(db_dir.path(), &["real"], ImportMode::Replace);
    let stop = Arc::new(AtomicBool::new(false));
    let readers: Vec<_> = (0..2)
        .map(|_| {
            let dir = db_dir.path().to_owned();
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || {
                let mut opened = 0;
                while !stop.load(Ordering::Relaxed) {
                    let db = VulnDb::open(&dir).unwrap();
                    // Either generation, each whole: real/ (9, GO present) or
                    // real/ + update/ (8, GO withdrawn).
                    let records = db.status().records;
                    let go = db.by_id("GO-2020-0001").unwrap();
                    match records {
                        9 => assert!(go.is_some()),
                        8 => assert!(go.is_none()),
                        other => panic!("unexpected record count {other}"),
                    }
                    assert_eq!(db.advisories_for("PyPI", "requests").unwrap().len(), 1);
                    opened += 1;
                }
                opened
            })
        })
        .collect();
    for round in 0..12 {
        let cases: &[&str] = if round % 2 == 0 {
            &["real", "update"]
        } else {
            &["real"]
        };
        import_dirs(db_dir.path(), cases, ImportMode::Replace);
    }
    stop.store(true, Ordering::Relaxed);
    for reader in readers {
        assert!(reader.join().unwrap() > 0);
    }
}

#[test]
fn an_open_database_survives_later_imports() {
    let db_dir = tempfile::tempdir().unwrap();
    import_dirs(db_dir.path(), &["real"], ImportMode::Replace);
    let old = VulnDb::open(db_dir.path()).unwrap();
    // Two imports later the old generation's directory is gone…
    import_dirs(db_dir.path(), &["update"], ImportMode::Replace);
    import_dirs(db_dir.path(), &["update"], ImportMode::Replace);
    assert!(!old.generation().exists());
    // …but its files were opened with it: lazy loads still read the old data.
    assert_eq!(ids(old.advisories_for("npm", "lodash").unwrap()).len(), 2);
    assert!(old.by_id("GO-2020-0001").unwrap().is_some());
}

#[test]
fn one_import_at_a_time() {
    let db_dir = tempfile::tempdir().unwrap();
    let dir = db_dir.path().to_owned();
    let nested = Arc::new(std::sync::Mutex::new(None));
    let seen = Arc::clone(&nested);
    let options = ImportOptions::new().on_progress(move |event| {
        if matches!(event, ImportEvent::Committing) {
            let second = import(
                &dir,
                &[ImportSource::Dir(testdata("update"))],
                &ImportOptions::new(),
            );
            *seen.lock().unwrap() = Some(second.map(|r| r.meta.records));
        }
    });
    import(
        db_dir.path(),
        &[ImportSource::Dir(testdata("real"))],
        &options,
    )
    .unwrap();
    let second = nested.lock().unwrap().take().unwrap();
    let err = second.unwrap_err();
    assert!(matches!(err, Error::Locked { .. }), "{err:?}");
    assert!(err.to_string().contains("another import"));
    // Released afterwards.
    import_dirs(db_dir.path(), &["update"], ImportMode::Merge);
}
