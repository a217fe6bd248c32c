use std::fmt::Write as _;

use super::*;
use crate::testutil;

const SQLITE: &str = "/var/lib/rpm/rpmdb.sqlite";
const BDB: &str = "/var/lib/rpm/Packages";
const NDB: &str = "/usr/lib/sysimage/rpm/Packages.db";

fn fixture_db(case: &str, path: &str) -> Vec<u8> {
    fs_err::read(testutil::fixture("rpm", case).join(&path[1..])).unwrap()
}

/// The oracle's lines (`rpm -qa --qf '%{NAME}|%{EPOCH}|%{VERSION}|%{RELEASE}|%{ARCH}|
/// %{SOURCERPM}|%{LICENSE}\n'`, recorded beside each case) as [`testutil::summary`] lines,
/// converted by the rules of the module doc, independently of the cataloger's code.
fn recorded_rpm_qa(case: &str) -> Vec<String> {
    let text = fs_err::read_to_string(testutil::fixture("rpm", case).join("rpm-qa.txt")).unwrap();
    let mut out: Vec<String> = text
        .lines()
        .filter(|l| !l.starts_with("gpg-pubkey|"))
        .map(|line| {
            let f: Vec<&str> = line.split('|').collect();
            let none = |s: &str| s != "(none)";
            let epoch = match f[1] {
                "(none)" | "0" => String::new(),
                e => format!("{e}:"),
            };
            let mut s = format!("{} {epoch}{}-{}", f[0], f[2], f[3]);
            if none(f[4]) {
                write!(s, " {}", f[4]).unwrap();
            }
            if none(f[5]) {
                let stem = f[5].trim_end_matches(".src.rpm");
                let parts: Vec<&str> = stem.rsplitn(3, '-').collect();
                write!(s, " src={}@{epoch}{}-{}", parts[2], parts[1], parts[0]).unwrap();
            }
            if none(f[6]) {
                write!(s, " lic={}", f[6]).unwrap();
            }
            s
        })
        .collect();
    out.sort();
    out
}

fn sorted(facts: &[FileFacts]) -> Vec<String> {
    let mut out = testutil::summaries(facts);
    out.sort();
    out
}

#[test]
fn wants_the_three_databases_in_both_directories() {
    let c = RpmCataloger;
    for dir in ["/var/lib/rpm/", "/usr/lib/sysimage/rpm/"] {
        for file in ["rpmdb.sqlite", "Packages", "Packages.db"] {
            assert!(c.wants(&format!("{dir}{file}")), "{dir}{file}");
        }
        for file in [
            "rpmdb.sqlite-wal",
            "rpmdb.sqlite-shm",
            "Index.db",
            "Name",
            "Basenames",
            ".rpm.lock",
            "",
        ] {
            assert!(!c.wants(&format!("{dir}{file}")), "{dir}{file}");
        }
    }
    for no in [
        "/var/lib/apt/lists/x_Packages",
        "/srv/mirror/Packages",
        "/var/lib/rpm/x/Packages",
        "var/lib/rpm/Packages",
        "/usr/var/lib/rpm/Packages",
    ] {
        assert!(!c.wants(no), "{no}");
    }
    assert_eq!(c.max_file_size(), 256 * 1024 * 1024);
}

/// Each real database reads exactly as `rpm -qa` (rpm 4.18, sqlite and `bdb_ro` backends)
/// listed it when the fixture was made; ndb holds the `SQLite` case's headers (no ndb backend in
/// Debian's rpm, see the testdata README).
#[test]
fn fixtures_match_rpm_qa() {
    for case in ["sqlite", "bdb", "bdb-small-pages", "bdb-big-endian", "ndb"] {
        let facts = testutil::catalog_fixture(&RpmCataloger, "rpm", case);
        assert_eq!(facts.len(), 1, "{case}");
        assert!(
            facts[0].warnings.is_empty(),
            "{case}: {:?}",
            facts[0].warnings
        );
        assert_eq!(sorted(&facts), recorded_rpm_qa(case), "{case}");
        assert!(facts[0].packages.iter().all(|p| p.kind == PackageKind::Rpm));
    }
}

/// The same headers in every format give the same packages in the same (install) order.
#[test]
fn every_backend_gives_the_same_packages_in_install_order() {
    let read = |case, path| {
        RpmCataloger
            .catalog(path, &fixture_db(case, path))
            .unwrap()
            .packages
            .iter()
            .map(testutil::summary)
            .collect::<Vec<_>>()
    };
    let want = read("sqlite", SQLITE);
    assert_eq!(
        want,
        [
            "plimsoll-zero 0.9-1.el9 x86_64 src=plimsoll-zero@0.9-1.el9 lic=Apache-2.0",
            "plimsoll-epoch 2:3.1.4-5.fc40 x86_64 src=plimsoll-epoch@2:3.1.4-5.fc40 \
             lic=GPL-2.0-or-later AND LGPL-2.1-only",
            "libplimsoll-epoch 2:3.1.4-5.fc40 x86_64 src=plimsoll-epoch@2:3.1.4-5.fc40 \
             lic=GPL-2.0-or-later AND LGPL-2.1-only",
            "plimsoll-noarch 1.0-1.el9_3 noarch src=plimsoll-noarch@1.0-1.el9_3 lic=MIT",
        ]
    );
    for (case, path) in [
        ("bdb", BDB),
        ("bdb-small-pages", BDB),
        ("bdb-checksum", BDB),
        ("bdb-big-endian", BDB),
        ("ndb", NDB),
    ] {
        assert_eq!(read(case, path), want, "{case}");
    }
}

/// The format comes from the content, not the file name.
#[test]
fn format_is_read_from_the_content() {
    let sqlite = fixture_db("sqlite", SQLITE);
    let facts = RpmCataloger.catalog(BDB, &sqlite).unwrap();
    assert_eq!(facts.packages.len(), 4);
    let bdb = fixture_db("bdb", BDB);
    assert_eq!(RpmCataloger.catalog(NDB, &bdb).unwrap().packages.len(), 4);
}

#[test]
fn empty_file_is_an_empty_database_and_other_content_an_error() {
    let facts = RpmCataloger.catalog(SQLITE, b"").unwrap();
    assert!(facts.packages.is_empty() && facts.warnings.is_empty());
    let err = RpmCataloger
        .catalog(BDB, b"Package: bash\nVersion: 5\n")
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "malformed rpm database file /var/lib/rpm/Packages: neither SQLite, ndb nor a \
         Berkeley DB hash database"
    );
}

/// An rpmdb without packages, as `rpm --initdb` leaves it, reads as empty.
#[test]
fn empty_databases_have_no_packages() {
    // SQLite: the fixture with its rows deleted is beyond a test's reach without a writer, so
    // an ndb with no used slot and a Berkeley DB hash file with only rpm's key-0 record stand in.
    let mut ndb = fixture_db("ndb", NDB);
    ndb.truncate(4096);
    for slot in ndb[32..].chunks_exact_mut(16) {
        slot[4..].fill(0);
    }
    let facts = RpmCataloger.catalog(NDB, &ndb).unwrap();
    assert!(
        facts.packages.is_empty() && facts.warnings.is_empty(),
        "{facts:?}"
    );
}

#[test]
fn sqlite_without_packages_table_is_an_error() {
    // A valid SQLite file of another application: the rpmdb with its `Packages` table renamed
    // `Qackages` everywhere (schema record and SQL text; same length, so pages stay valid).
    let mut db = fixture_db("sqlite", SQLITE);
    let mut renamed = 0;
    for at in 0..db.len() - 8 {
        if &db[at..at + 8] == b"Packages" {
            db[at] = b'Q';
            renamed += 1;
        }
    }
    assert!(renamed >= 2);
    let err = RpmCataloger.catalog(SQLITE, &db).unwrap_err().to_string();
    assert_eq!(
        err,
        "malformed rpm database file /var/lib/rpm/rpmdb.sqlite: SQLite database without a \
         `Packages` table"
    );
}

#[test]
fn gpg_pubkey_is_skipped_silently() {
    let facts = RpmCataloger
        .catalog(SQLITE, &fixture_db("sqlite", SQLITE))
        .unwrap();
    let qa = fs_err::read_to_string(testutil::fixture("rpm", "sqlite").join("rpm-qa.txt")).unwrap();
    assert!(qa.contains("gpg-pubkey|"), "the fixture has a gpg-pubkey");
    assert!(facts.packages.iter().all(|p| p.name != "gpg-pubkey"));
    assert!(facts.warnings.is_empty());
}

#[test]
fn broken_headers_are_warnings() {
    let mut warnings = Vec::new();
    let good = header::tests::package("bash", Some(0), "5.1.8");
    let p = package(7, &good, BDB, &mut warnings).unwrap();
    assert_eq!(
        testutil::summary(&p),
        "bash 5.1.8-1.el9 x86_64 src=bash@5.1.8-1.el9 lic=MIT"
    );
    let p = package(
        7,
        &header::tests::package("bash", Some(3), "5"),
        BDB,
        &mut warnings,
    )
    .unwrap();
    assert_eq!(p.version, "3:5-1.el9");
    assert_eq!(p.source.unwrap().version, "3:5-1.el9");
    assert!(warnings.is_empty());

    assert!(package(8, &good[..good.len() - 1], BDB, &mut warnings).is_none());
    // NAME's offset pointed past the data store: no name, so no package.
    let mut bad = good.clone();
    bad[16..20].copy_from_slice(&1_000_000_u32.to_be_bytes());
    assert!(package(9, &bad, BDB, &mut warnings).is_none());
    assert_eq!(
        warnings,
        [
            "record 8: header needs 180 bytes (7 entries, 60 data bytes) but the blob has 179, skipped",
            "record 9: tag 1000: offset 1000000 outside the 60-byte data",
            "record 9: no NAME, skipped",
        ]
    );
}

#[test]
fn source_rpm_names() {
    assert_eq!(
        source_rpm("openssl-3.0.7-24.el9.src.rpm"),
        Some(("openssl", "3.0.7-24.el9"))
    );
    assert_eq!(
        source_rpm("perl-Text-Tabs+Wrap-2021.0726-6.el9.src.rpm"),
        Some(("perl-Text-Tabs+Wrap", "2021.0726-6.el9"))
    );
    assert_eq!(source_rpm("x-1-2.nosrc.rpm"), Some(("x", "1-2")));
    for no in [
        "openssl-3.0.7.src.rpm",
        "-1-2.src.rpm",
        "a-1-2.rpm",
        "(none)",
        "",
    ] {
        assert_eq!(source_rpm(no), None, "{no}");
    }
}

#[test]
fn ndb_blob_checks_are_warnings() {
    let good = fixture_db("ndb", NDB);
    // Break package 2's Adler-32 by one header byte (slot 2 says where its blob starts).
    let block = u32::from_le_bytes(good[48 + 8..48 + 12].try_into().unwrap()) as usize;
    let mut bad = good.clone();
    bad[block * 16 + 40] ^= 1;
    let facts = RpmCataloger.catalog(NDB, &bad).unwrap();
    assert_eq!(facts.packages.len(), 3);
    assert_eq!(
        facts.warnings,
        ["ndb package 2: Adler-32 mismatch, skipped"]
    );
    // A slot pointing past the end of the file.
    let mut bad = good.clone();
    bad[32 + 8..32 + 12].copy_from_slice(&0x00ff_ffff_u32.to_le_bytes());
    let facts = RpmCataloger.catalog(NDB, &bad).unwrap();
    assert_eq!(facts.packages.len(), 3);
    assert!(
        facts.warnings[0].contains("run past the end"),
        "{:?}",
        facts.warnings
    );
    // Slot pages beyond the file: an error.
    let mut bad = good;
    bad[12..16].copy_from_slice(&1000_u32.to_le_bytes());
    assert!(RpmCataloger.catalog(NDB, &bad).is_err());
}

#[test]
fn bdb_page_cycles_and_bad_overflow_are_warnings() {
    let good = fixture_db("bdb-small-pages", BDB);
    let page_size = 512;
    // Point the first bucket page's next_pgno at itself.
    let first = u32::from_le_bytes(good[96..100].try_into().unwrap()) as usize;
    let mut bad = good.clone();
    bad[first * page_size + 16..first * page_size + 20]
        .copy_from_slice(&u32::try_from(first).unwrap().to_le_bytes());
    let facts = RpmCataloger.catalog(BDB, &bad).unwrap();
    assert!(
        facts.warnings.iter().any(|w| w.contains("reached twice")),
        "{:?}",
        facts.warnings
    );
    // Every overflow page turned into a hash page: each record is skipped with a warning.
    let mut bad = good;
    for page in bad.chunks_exact_mut(page_size) {
        if page[25] == 7 {
            page[25] = 13;
        }
    }
    let facts = RpmCataloger.catalog(BDB, &bad).unwrap();
    assert!(facts.packages.is_empty());
    assert!(
        facts.warnings.iter().any(|w| w.contains("not overflow")),
        "{:?}",
        facts.warnings
    );
}

#[test]
fn truncated_databases_warn_or_fail_but_never_panic() {
    for (case, path) in [
        ("sqlite", SQLITE),
        ("bdb", BDB),
        ("bdb-small-pages", BDB),
        ("bdb-checksum", BDB),
        ("bdb-big-endian", BDB),
        ("ndb", NDB),
    ] {
        let db = fixture_db(case, path);
        testutil::assert_no_panic(&RpmCataloger, path, &db);
        // Half the file: what is left reads, or the whole is refused with a reason.
        match RpmCataloger.catalog(path, &db[..db.len() / 2]) {
            Ok(facts) => assert!(
                facts.packages.len() < 4 && !facts.warnings.is_empty(),
                "{case}: {facts:?}"
            ),
            Err(e) => assert!(matches!(e, Error::Malformed { .. }), "{case}: {e}"),
        }
    }
}

/// Random byte flips over every fixture: no panic (the header parser and the page readers
/// check every offset).
#[test]
fn corrupted_databases_never_panic() {
    let mut x: u64 = 0x2545_F491_4F6C_DD1D;
    for (case, path) in [("sqlite", SQLITE), ("bdb-small-pages", BDB), ("ndb", NDB)] {
        let db = fixture_db(case, path);
        for _ in 0..300 {
            let mut bad = db.clone();
            for _ in 0..8 {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let at = usize::try_from(x % bad.len() as u64).unwrap();
                bad[at] = x.to_le_bytes()[1];
            }
            let _ = RpmCataloger.catalog(path, &bad);
        }
    }
}
