//! The `rpm` cataloger against rpm itself: `rpm -qa --dbpath DIR` (rpm 4.18, Debian's `rpm`
//! package, from `scripts/tools/rpm.sh` as `PLIMSOLL_TOOLS_RPM`) is run at test time on a copy
//! of each database: the checked-in fixtures of `testdata/rpm/` and, when the script exported
//! `PLIMSOLL_TOOLS_RPMDBS`, the ones it has just built with rpmbuild, rpm and `db5.3_load`
//! (those include `bdb-many`, 600 records in 191 hash buckets, too big to check in).
//! Without rpm the checked-in `rpm-qa.txt` beside each fixture, recorded by the same command,
//! is the oracle (under `CI` rpm is required).
//!
//! rpm reads `SQLite` (`sqlite` backend) and Berkeley DB (`bdb_ro`) but has no ndb backend in
//! Debian, and `bdb_ro` refuses page checksums; those two cases hold the `SQLite` case's
//! headers and are compared with rpm's view of it. `gpg-pubkey` pseudo-packages, which rpm
//! lists and the cataloger skips by design, are dropped from rpm's output.

use std::path::{Path, PathBuf};
use std::process::Command;

use plimsoll_types::PackageKind;

const QF: &str = "%{NAME}|%{EPOCH}|%{VERSION}|%{RELEASE}|%{ARCH}|%{SOURCERPM}|%{LICENSE}\\n";

fn rpm_tool() -> Option<PathBuf> {
    match std::env::var("PLIMSOLL_TOOLS_RPM") {
        Ok(p) if !p.is_empty() => Some(PathBuf::from(p)),
        _ if std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "0" && v != "false") => {
            panic!("CI is set but PLIMSOLL_TOOLS_RPM is not: run scripts/test-tools.sh")
        }
        _ => {
            eprintln!(
                "PLIMSOLL_TOOLS_RPM not set: comparing with the recorded rpm-qa.txt files \
                 (eval \"$(scripts/test-tools.sh)\" to run rpm itself)"
            );
            None
        }
    }
}

/// The database file of a case directory, with the path it has inside the image.
fn database(case: &Path) -> (String, PathBuf) {
    for inner in [
        "var/lib/rpm/rpmdb.sqlite",
        "var/lib/rpm/Packages",
        "usr/lib/sysimage/rpm/Packages.db",
    ] {
        let real = case.join(inner);
        if real.is_file() {
            return (format!("/{inner}"), real);
        }
    }
    panic!("no rpm database under {}", case.display())
}

/// rpm's view of `case`: `rpm -qa` run on a copy of its database (rpm writes lock and WAL
/// files beside it), or the recorded output. For the ndb and page-checksum cases, which rpm
/// cannot read here, the view of the `sqlite` case beside them.
fn oracle(rpm: Option<&Path>, case: &Path) -> Vec<String> {
    let name = case.file_name().unwrap().to_string_lossy();
    let case = if matches!(&*name, "ndb" | "bdb-checksum") {
        case.with_file_name("sqlite")
    } else {
        case.to_path_buf()
    };
    let text = match rpm {
        None => fs_err::read_to_string(case.join("rpm-qa.txt")).unwrap(),
        Some(rpm) => {
            let (inner, real) = database(&case);
            let dir = tempfile::tempdir().unwrap();
            let file = Path::new(&inner).file_name().unwrap();
            fs_err::copy(&real, dir.path().join(file)).unwrap();
            let backend = if file == "Packages" {
                "bdb_ro"
            } else {
                "sqlite"
            };
            let out = Command::new(rpm)
                .arg("--dbpath")
                .arg(dir.path())
                .args(["--define", &format!("_db_backend {backend}"), "-qa"])
                .args(["--qf", QF])
                .output()
                .expect("run rpm");
            assert!(
                out.status.success(),
                "rpm -qa on {}: {out:?}",
                real.display()
            );
            String::from_utf8(out.stdout).unwrap()
        }
    };
    let mut lines: Vec<String> = text
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with("gpg-pubkey|"))
        .map(str::to_owned)
        .collect();
    lines.sort();
    lines
}

/// The cataloger's packages in rpm's `--qf` shape. `EPOCH`: the cataloger writes no epoch
/// for a missing or zero one, where rpm prints `(none)` or `0`; both are mapped to `-` so the
/// comparison checks that rule instead of hiding it. `SOURCERPM` is rebuilt from the source
/// package, which must carry the binary's epoch.
fn ours(case: &Path) -> Vec<String> {
    let (inner, real) = database(case);
    let catalogers = plimsoll_catalog::all();
    let claimed: Vec<_> = catalogers.iter().filter(|c| c.wants(&inner)).collect();
    assert_eq!(claimed.len(), 1, "{inner}");
    assert_eq!(claimed[0].name(), "rpm");
    let facts = claimed[0]
        .catalog(&inner, &fs_err::read(&real).unwrap())
        .unwrap();
    assert!(facts.warnings.is_empty(), "{inner}: {:?}", facts.warnings);
    let mut lines: Vec<String> = facts
        .packages
        .iter()
        .map(|p| {
            assert_eq!(p.kind, PackageKind::Rpm);
            assert_eq!(p.found_in, inner);
            let (epoch, evr) = match p.version.split_once(':') {
                Some((e, rest)) => (e, rest),
                None => ("-", p.version.as_str()),
            };
            let (version, release) = evr.rsplit_once('-').unwrap();
            let source = p.source.as_ref().map_or("(none)".to_owned(), |s| {
                let version = s.version.split_once(':').map_or(&*s.version, |(e, v)| {
                    assert_eq!(e, epoch, "source epoch of {}", p.name);
                    v
                });
                format!("{}-{version}.src.rpm", s.name)
            });
            format!(
                "{}|{epoch}|{version}|{release}|{}|{source}|{}",
                p.name,
                p.arch.as_deref().unwrap_or("(none)"),
                if p.licenses.is_empty() {
                    "(none)".to_owned()
                } else {
                    p.licenses.join(" ")
                }
            )
        })
        .collect();
    lines.sort();
    lines
}

fn epochs_as_ours(lines: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = lines
        .into_iter()
        .map(|l| {
            let mut f: Vec<&str> = l.split('|').collect();
            if matches!(f[1], "(none)" | "0") {
                f[1] = "-";
            }
            f.join("|")
        })
        .collect();
    out.sort();
    out
}

fn cases(root: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = fs_err::read_dir(root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    out.sort();
    out
}

#[test]
fn rpm_databases_match_rpm_qa() {
    let rpm = rpm_tool();
    let mut roots = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/rpm")];
    if let Ok(dir) = std::env::var("PLIMSOLL_TOOLS_RPMDBS")
        && !dir.is_empty()
    {
        roots.push(PathBuf::from(dir));
    }
    let mut compared = 0;
    for root in &roots {
        let cases = cases(root);
        assert!(cases.len() >= 5, "{}: {cases:?}", root.display());
        for case in cases {
            let want = epochs_as_ours(oracle(rpm.as_deref(), &case));
            assert!(!want.is_empty(), "{}: rpm lists nothing", case.display());
            assert_eq!(ours(&case), want, "{}", case.display());
            compared += want.len();
            eprintln!(
                "{}: {} packages as rpm lists them",
                case.display(),
                want.len()
            );
        }
    }
    eprintln!(
        "{compared} packages identical to {}",
        if rpm.is_some() {
            "rpm -qa"
        } else {
            "the recorded rpm -qa"
        }
    );
}
