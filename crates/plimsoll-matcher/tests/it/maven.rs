//! Maven packages (`group:artifact`, as the `java` cataloger names them) against the real
//! `Log4Shell` advisory, `GHSA-jfh8-c2jp-5v3q` (CVE-2021-44228), from `../shared/advisories/maven`
//! (skipped when absent).

use std::path::Path;

use plimsoll_matcher::match_inventory;
use plimsoll_types::{FixState, Package, PackageKind};
use plimsoll_vulndb::{ImportOptions, ImportSource, VulnDb};

use crate::image;

#[test]
fn log4j_core_2_14_1_matches_log4shell() {
    let record = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/advisories/maven/GHSA-jfh8-c2jp-5v3q.json");
    if !record.is_file() {
        eprintln!("skipping: {} is absent", record.display());
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    plimsoll_vulndb::import(
        dir.path(),
        &[ImportSource::from_path(&record).unwrap()],
        &ImportOptions::new(),
    )
    .unwrap();
    let db = VulnDb::open(dir.path()).unwrap();
    let maven =
        |name: &str, version: &str, at: &str| Package::new(PackageKind::Maven, name, version, at);
    let packages = vec![
        maven(
            "org.apache.logging.log4j:log4j-core",
            "2.14.1",
            "/app/app.jar!/BOOT-INF/lib/log4j-core-2.14.1.jar",
        ),
        // The other affected branch, fixed in 2.12.2.
        maven("org.apache.logging.log4j:log4j-core", "2.12.1", "/b.jar"),
        // Maven names are case-insensitive in the database.
        maven("org.apache.logging.log4j:Log4j-Core", "2.14.0", "/c.jar"),
        // Fixed.
        maven("org.apache.logging.log4j:log4j-core", "2.15.0", "/d.jar"),
        maven("org.apache.logging.log4j:log4j-core", "2.17.1", "/e.jar"),
        // A file-name guess without a group cannot match an OSV Maven name.
        maven("log4j-core", "2.14.1", "/f.jar"),
        // Another artifact of the same group.
        maven("org.apache.logging.log4j:log4j-api", "2.14.1", "/g.jar"),
    ];
    let outcome = match_inventory(&db, &image(None, packages)).unwrap();
    let mut found: Vec<(&str, &str, &str, Vec<&str>)> = outcome
        .findings
        .iter()
        .map(|f| {
            assert_eq!(f.id, "GHSA-jfh8-c2jp-5v3q");
            assert!(f.aliases.iter().any(|a| a == "CVE-2021-44228"), "{f:?}");
            assert_eq!(f.kind, PackageKind::Maven);
            assert_eq!(f.matched_ecosystem, "Maven");
            assert_eq!(f.status, FixState::Fixed);
            (
                f.found_in.as_str(),
                f.package.as_str(),
                f.installed.as_str(),
                f.fixed_versions.iter().map(String::as_str).collect(),
            )
        })
        .collect();
    found.sort();
    assert_eq!(
        found,
        [
            (
                "/app/app.jar!/BOOT-INF/lib/log4j-core-2.14.1.jar",
                "org.apache.logging.log4j:log4j-core",
                "2.14.1",
                vec!["2.15.0"]
            ),
            (
                "/b.jar",
                "org.apache.logging.log4j:log4j-core",
                "2.12.1",
                vec!["2.12.2"]
            ),
            (
                "/c.jar",
                "org.apache.logging.log4j:Log4j-Core",
                "2.14.0",
                vec!["2.15.0"]
            ),
        ],
        "{:#?}",
        outcome.findings
    );
}
