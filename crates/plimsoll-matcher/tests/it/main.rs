//! Matching rules on a database built from small OSV records written here.

#![allow(
    clippy::unwrap_used,
    clippy::needless_pass_by_value,
    clippy::print_stderr
)] // test helpers: fail loudly, say why a test skips; json!() arguments read best by value

mod maven;
mod reference;

use serde_json::json;

use plimsoll_matcher::match_inventory;
use plimsoll_types::{
    Digest, FixState, ImageInventory, ImageSource, OsRelease, Package, PackageKind, Severity,
    SeveritySource, SourcePackage,
};
use plimsoll_vulndb::{ImportOptions, ImportSource, VulnDb};

fn db(records: &[serde_json::Value]) -> (tempfile::TempDir, VulnDb) {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("osv");
    fs_err::create_dir_all(&src).unwrap();
    for record in records {
        fs_err::write(
            src.join(format!("{}.json", record["id"].as_str().unwrap())),
            record.to_string(),
        )
        .unwrap();
    }
    let db_dir = dir.path().join("db");
    plimsoll_vulndb::import(
        &db_dir,
        &[ImportSource::from_path(&src).unwrap()],
        &ImportOptions::new(),
    )
    .unwrap();
    let db = VulnDb::open(&db_dir).unwrap();
    (dir, db)
}

fn record(
    id: &str,
    aliases: &[&str],
    ecosystem: &str,
    name: &str,
    events: serde_json::Value,
    extra: serde_json::Value,
) -> serde_json::Value {
    let mut r = json!({
        "id": id, "modified": "2024-01-01T00:00:00Z", "aliases": aliases,
        "affected": [{"package": {"ecosystem": ecosystem, "name": name}, "ranges": [{"type": "ECOSYSTEM", "events": events}]}]
    });
    for (k, v) in extra.as_object().unwrap() {
        r[k] = v.clone();
    }
    r
}

pub(crate) fn image(os: Option<OsRelease>, packages: Vec<Package>) -> ImageInventory {
    ImageInventory {
        source: ImageSource::Registry {
            reference: "127.0.0.1:5000/t:1".into(),
        },
        manifest_digest: Digest::sha256_of(b"m"),
        index_digest: None,
        config_digest: Digest::sha256_of(b"c"),
        platform: "linux/amd64".parse().unwrap(),
        created: None,
        os,
        layers: vec![],
        packages,
        config: None,
        secrets: vec![],
        warnings: vec![],
    }
}

fn debian12() -> OsRelease {
    OsRelease {
        id: "debian".into(),
        version_id: Some("12".into()),
        ..OsRelease::default()
    }
}

const CVSS_HIGH: &str = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N";

#[test]
fn os_packages_match_by_source_package_in_their_release() {
    let (_d, db) = db(&[
        record(
            "DSA-1",
            &["CVE-2024-1"],
            "Debian:12",
            "glibc",
            json!([{"introduced": "0"}, {"fixed": "2.36-9+deb12u5"}]),
            json!({}),
        ),
        record(
            "DSA-2",
            &[],
            "Debian:11",
            "glibc",
            json!([{"introduced": "0"}, {"fixed": "2.31-13+deb11u9"}]),
            json!({}),
        ),
        record(
            "DEBIAN-CVE-3",
            &[],
            "Debian:12",
            "glibc",
            json!([{"introduced": "0"}]),
            json!({}),
        ),
    ]);
    let mut libc = Package::new(
        PackageKind::Deb,
        "libc6",
        "2.36-9+deb12u4",
        "/var/lib/dpkg/status",
    );
    libc.source = Some(SourcePackage {
        name: "glibc".into(),
        version: "2.36-9+deb12u4".into(),
    });
    let outcome = match_inventory(&db, &image(Some(debian12()), vec![libc.clone()])).unwrap();
    let found: Vec<(&str, &str, FixState)> = outcome
        .findings
        .iter()
        .map(|f| (f.id.as_str(), f.package.as_str(), f.status))
        .collect();
    assert_eq!(
        found,
        [
            ("DEBIAN-CVE-3", "libc6", FixState::Unfixed),
            ("DSA-1", "libc6", FixState::Fixed)
        ],
        "Debian 11 records do not apply"
    );
    assert!(
        outcome
            .findings
            .iter()
            .all(|f| f.matched_name == "glibc" && f.matched_ecosystem == "Debian:12")
    );
    assert_eq!(outcome.findings[1].fixed_versions, ["2.36-9+deb12u5"]);

    // Without an OS release there is no distro to match against.
    let outcome = match_inventory(&db, &image(None, vec![libc])).unwrap();
    assert!(outcome.findings.is_empty());
    assert_eq!(outcome.packages_skipped, 1);
}

#[test]
fn language_names_are_normalised_and_aliases_merge() {
    let (_d, db) = db(&[
        record(
            "PYSEC-2024-1",
            &["CVE-2024-9", "GHSA-aaaa-bbbb-cccc"],
            "PyPI",
            "charset-normalizer",
            json!([{"introduced": "0"}, {"fixed": "3.4.1"}]),
            json!({}),
        ),
        record(
            "GHSA-aaaa-bbbb-cccc",
            &["CVE-2024-9"],
            "PyPI",
            "charset_normalizer",
            json!([{"introduced": "3.0"}, {"fixed": "3.4.1"}]),
            json!({"severity": [{"type": "CVSS_V3", "score": CVSS_HIGH}]}),
        ),
        record(
            "PYSEC-2024-2",
            &["GHSA-dddd-eeee-ffff"],
            "PyPI",
            "Charset.Normalizer",
            json!([{"introduced": "0"}, {"last_affected": "3.4.0"}]),
            json!({}),
        ),
        record(
            "GHSA-dddd-eeee-ffff",
            &["PYSEC-2024-2"],
            "PyPI",
            "unrelated-package",
            json!([{"introduced": "0"}]),
            json!({"database_specific": {"severity": "LOW"}}),
        ),
    ]);
    let pkg = Package::new(
        PackageKind::Python,
        "Charset_Normalizer",
        "3.4.0",
        "/site/charset_normalizer-3.4.0.dist-info/METADATA",
    );
    let outcome = match_inventory(&db, &image(None, vec![pkg])).unwrap();
    assert_eq!(outcome.findings.len(), 2, "{:#?}", outcome.findings);
    let merged = outcome
        .findings
        .iter()
        .find(|f| f.id == "GHSA-aaaa-bbbb-cccc")
        .expect("the CVSS-scored record is primary");
    assert_eq!(merged.aliases, ["CVE-2024-9", "PYSEC-2024-1"]);
    assert_eq!(
        (merged.severity, merged.severity_source),
        (Severity::High, SeveritySource::CvssV3)
    );
    assert!((merged.cvss.as_ref().unwrap().score - 7.5).abs() < 1e-9);
    let borrowed = outcome
        .findings
        .iter()
        .find(|f| f.id == "PYSEC-2024-2")
        .unwrap();
    assert_eq!(
        (borrowed.severity, borrowed.severity_source),
        (Severity::Low, SeveritySource::Alias),
        "severity of the aliased GHSA"
    );
    assert_eq!(
        borrowed.status,
        FixState::Unfixed,
        "last_affected is not a fix"
    );
    assert_eq!(
        outcome.findings[0].id, "GHSA-aaaa-bbbb-cccc",
        "most severe first"
    );
}

#[test]
fn unparsable_versions_are_reported_not_guessed() {
    let (_d, db) = db(&[record(
        "GHSA-1111-2222-3333",
        &[],
        "npm",
        "left-pad",
        json!([{"introduced": "0"}, {"fixed": "1.3.0"}]),
        json!({}),
    )]);
    let pkg = Package::new(
        PackageKind::Npm,
        "left-pad",
        "not-a-version",
        "/app/node_modules/left-pad/package.json",
    );
    let outcome = match_inventory(&db, &image(None, vec![pkg])).unwrap();
    assert!(outcome.findings.is_empty());
    assert_eq!(outcome.problems.len(), 1);
    assert!(
        outcome.problems[0].contains("left-pad not-a-version")
            && outcome.problems[0].contains("not matched"),
        "{:?}",
        outcome.problems
    );
}
