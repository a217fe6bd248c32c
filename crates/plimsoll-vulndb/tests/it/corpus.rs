//! The whole real corpus (`../shared/advisories`, or `$PLIMSOLL_ADVISORIES`) imported and
//! checked against its `INDEX.tsv`. Skipped, saying so, when the corpus is absent.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use plimsoll_vulndb::{ImportOptions, ImportSource, SourceFormat, VulnDb, import};

use crate::ids;

/// Folders of `INDEX.tsv` that are not OSV (native Debian and Alpine formats, converted on
/// import; their facts are checked in `distro`).
const NOT_OSV_FOLDERS: &[&str] = &["alpine", "debian"];

/// Records converted from them (see `distro::the_real_native_corpus`): Debian tracker entries
/// with an affected release, and Alpine vulnerabilities.
const DEBIAN_RECORDS: usize = 9118;
const DEBIAN_ENTRIES_WITHOUT_PACKAGES: usize = 30;
const ALPINE_RECORDS: usize = 2469;

/// Withdrawn records per SOURCES.md: 17 Go, 13 crates.io, 10 PyPI.
const WITHDRAWN: usize = 40;

pub(crate) fn corpus() -> Option<PathBuf> {
    let dir = std::env::var_os("PLIMSOLL_ADVISORIES").map_or_else(
        || {
            PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../../shared/advisories"
            ))
        },
        PathBuf::from,
    );
    dir.join("INDEX.tsv").is_file().then_some(dir)
}

struct Row {
    folder: String,
    id: String,
    aliases: Vec<String>,
    affected_packages: usize,
}

#[test]
fn the_whole_corpus_matches_its_index() {
    let Some(dir) = corpus() else {
        eprintln!("skipped: no advisory corpus at ../shared/advisories (set PLIMSOLL_ADVISORIES)");
        return;
    };
    let index = fs_err::read_to_string(dir.join("INDEX.tsv")).unwrap();
    let rows: Vec<Row> = index
        .lines()
        .skip(1)
        .map(|line| {
            let fields: Vec<&str> = line.split('\t').collect();
            Row {
                folder: fields[0].to_owned(),
                id: fields[1].to_owned(),
                aliases: fields[2]
                    .split(',')
                    .filter(|a| !a.is_empty())
                    .map(str::to_owned)
                    .collect(),
                affected_packages: fields[3].parse().unwrap(),
            }
        })
        .collect();
    let osv: Vec<&Row> = rows
        .iter()
        .filter(|r| !NOT_OSV_FOLDERS.contains(&r.folder.as_str()))
        .collect();
    let alpine_files = rows.iter().filter(|r| r.folder == "alpine").count();
    let debian_files = rows.iter().filter(|r| r.folder == "debian").count();

    let db_dir = tempfile::tempdir().unwrap();
    let report = import(
        db_dir.path(),
        &[ImportSource::Dir(dir.clone())],
        &ImportOptions::new(),
    )
    .unwrap();
    let counts = &report.sources[0].counts;
    // Every data file is read, in its format: the OSV records, the Alpine secdb files, the
    // Debian tracker's three lists and its config.json.
    assert_eq!(counts.documents, rows.len());
    assert_eq!(
        report.sources[0].formats,
        BTreeMap::from([
            (SourceFormat::Osv, osv.len()),
            (SourceFormat::DebianTracker, debian_files),
            (SourceFormat::AlpineSecdb, alpine_files),
        ])
    );
    let native = DEBIAN_RECORDS + ALPINE_RECORDS;
    assert_eq!(
        counts.records,
        osv.len() + native + DEBIAN_ENTRIES_WITHOUT_PACKAGES
    );
    assert_eq!(counts.not_osv, 0);
    assert_eq!(counts.withdrawn, WITHDRAWN);
    assert_eq!(
        (counts.malformed, counts.no_packages),
        (1, DEBIAN_ENTRIES_WITHOUT_PACKAGES),
        "heimdal's null secfix list in alpine/v3.6/main.json"
    );
    assert!(
        counts.unknown_ecosystems.is_empty(),
        "{:?}",
        counts.unknown_ecosystems
    );
    assert_eq!(counts.imported, osv.len() - WITHDRAWN + native);
    assert_eq!(report.meta.records, osv.len() - WITHDRAWN + native);

    let db = VulnDb::open(db_dir.path()).unwrap();
    let mut per_folder: BTreeMap<&str, usize> = BTreeMap::new();
    let mut missing = 0;
    for row in &osv {
        let Some(advisory) = db.by_id(&row.id).unwrap() else {
            missing += 1;
            continue;
        };
        assert_eq!(advisory.id, row.id);
        *per_folder.entry(row.folder.as_str()).or_default() += 1;
        let packages: BTreeSet<(&str, &str)> = advisory
            .affected
            .iter()
            .map(|a| (a.ecosystem.as_str(), a.name.as_str()))
            .collect();
        assert_eq!(packages.len(), row.affected_packages, "{}", row.id);
        // INDEX.tsv joins with commas, so PYSEC-2022-184's `"GHSA-jf66-3q76-h5p5,"` reads as
        // one alias twice; the import cleans the same slip.
        let expected_aliases: BTreeSet<&str> = row.aliases.iter().map(String::as_str).collect();
        let stored: BTreeSet<&str> = advisory.aliases.iter().map(String::as_str).collect();
        assert_eq!(stored, expected_aliases, "{}", row.id);
        let group = db.aliases_of(&row.id).unwrap();
        for alias in &row.aliases {
            assert!(
                group.contains(alias),
                "{} not in the group of {}",
                alias,
                row.id
            );
            assert!(db.by_id(alias).unwrap().is_some(), "alias {alias} resolves");
        }
        // Every package of the record finds it.
        for (ecosystem, name) in packages {
            let hits = db.advisories_for(ecosystem, name).unwrap();
            assert!(
                hits.iter().any(|a| a.id == row.id),
                "{ecosystem}/{name} → {}",
                row.id
            );
        }
    }
    assert_eq!(missing, WITHDRAWN);
    assert_eq!(per_folder.get("pypi"), Some(&2651));
    assert_eq!(per_folder.get("go"), Some(&4274));
    assert_eq!(per_folder.get("crates.io"), Some(&1193));

    let ecosystems: BTreeMap<String, usize> = db.ecosystems().into_iter().collect();
    assert_eq!(ecosystems.get("PyPI"), Some(&2651));
    assert_eq!(ecosystems.get("Go"), Some(&4274));
    assert_eq!(ecosystems.get("crates.io"), Some(&1193));
    assert_eq!(ecosystems.get("npm"), Some(&15));

    // The package-set check of SOURCES.md: the candidates include every id it lists.
    for (ecosystem, name, expected) in [
        ("PyPI", "requests", &["PYSEC-2018-28", "PYSEC-2023-74"][..]),
        ("PyPI", "PyYAML", &["PYSEC-2020-96", "PYSEC-2021-142"]),
        ("PyPI", "Jinja2", &["PYSEC-2019-217", "PYSEC-2021-66"]),
        (
            "npm",
            "lodash",
            &[
                "GHSA-29mw-wpgm-hmr9",
                "GHSA-35jh-r3h4-6jhm",
                "GHSA-p6mc-m468-83gw",
            ],
        ),
        (
            "npm",
            "minimist",
            &["GHSA-vh95-rmgr-6w4m", "GHSA-xvch-5gv4-984h"],
        ),
        (
            "npm",
            "express",
            &["GHSA-qw6h-vgh9-j6wx", "GHSA-rv95-896h-c2vc"],
        ),
    ] {
        let found = ids(db.advisories_for(ecosystem, name).unwrap());
        for id in expected {
            assert!(
                found.iter().any(|f| f == id),
                "{ecosystem}/{name}: {id} not in {found:?}"
            );
        }
    }
    assert!(db.advisories_for("PyPI", "django").unwrap().len() >= 28);
}
