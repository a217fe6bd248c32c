//! The dpkg database: `/var/lib/dpkg/status`, and distroless `/var/lib/dpkg/status.d/*`.
//!
//! The status file is a list of deb822 paragraphs, one per package dpkg knows about (see
//! [`deb822`] for the syntax and dpkg(1) / dpkg-query(1) for the fields). Distroless images
//! have no dpkg: they drop each package's control file into `status.d/<name>` (next to a
//! `<name>.md5sums` file, which we skip), so those paragraphs have no `Status:` field.
//!
//! The package list is exactly what `dpkg-query -W` lists, checked against `dpkg-query` 1.21
//! on Debian 12 with a crafted admin directory (`testdata/dpkg/statuses`, whose
//! `dpkg-query.txt` is that command's output):
//!
//! - Every package whose `Status:` state (its third word) is not `not-installed` is listed:
//!   `installed`, but also `config-files` (removed, conffiles left), `half-installed`,
//!   `unpacked`, `half-configured`, `triggers-awaited` and `triggers-pending`. The selection
//!   (`install`, `hold`, `deinstall`, `purge`) does not matter.
//! - A paragraph without `Status:` in the status file is not-installed to dpkg, so it is
//!   skipped (with a warning, since dpkg never writes one). In `status.d` it is installed.
//! - The name is lowercased, as dpkg does on read (Debian names are lowercase anyway).
//! - A zero epoch is dropped from versions (`0:1.0` is printed `1.0`): dpkg parses versions and
//!   prints them without a zero epoch, and `0:1.0` and `1.0` compare equal anyway.
//! - `Source:` is `name` or `name (version)`: the name is the text up to the first space (dpkg
//!   cuts at a space only, not a tab) and the version is what follows `(`, up to a space, tab or
//!   `)`. Without `Source:`, or without a version in it, the package's own name and version
//!   are used; so `source` is always set and matching by source package works for every
//!   package.
//! - A listed package without `Version:` (a failed first install) is listed with an empty
//!   version, as `dpkg-query` prints it, plus a warning.
//! - The same name with different architectures (multi-arch `same`) are distinct packages; a
//!   repeated (name, architecture) keeps the first paragraph with a warning (dpkg refuses such
//!   a database).
//!
//! Pending journal entries in `/var/lib/dpkg/updates/` are not read: images are built with
//! dpkg runs that completed, and a journal can only be applied on top of the status file,
//! which a single-file cataloger cannot do.

mod deb822;

use std::collections::HashSet;

use plimsoll_types::{FileFacts, Package, PackageKind, SourcePackage};

use crate::{Cataloger, Error, Result};

const STATUS: &str = "/var/lib/dpkg/status";
const STATUS_D: &str = "/var/lib/dpkg/status.d/";

/// Reads the dpkg status database and distroless `status.d` files.
pub(crate) struct DpkgCataloger;

impl DpkgCataloger {
    const NAME: &'static str = "dpkg";
    /// Output version; bump when the facts change (STYLE rule 8).
    pub(crate) const VERSION: u32 = 1;
}

impl Cataloger for DpkgCataloger {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn version(&self) -> u32 {
        Self::VERSION
    }

    fn wants(&self, path: &str) -> bool {
        if path == STATUS {
            return true;
        }
        match path.strip_prefix(STATUS_D) {
            Some(name) => !name.is_empty() && !name.contains('/') && !name.ends_with(".md5sums"),
            None => false,
        }
    }

    fn catalog(&self, path: &str, contents: &[u8]) -> Result<FileFacts> {
        let text = String::from_utf8_lossy(contents);
        let missing_status_means_installed = path.starts_with(STATUS_D);
        let mut warnings = Vec::new();
        let paragraphs = deb822::parse(&text, &mut warnings);

        let mut packages = Vec::new();
        let mut seen: HashSet<(String, Option<String>)> = HashSet::new();
        let mut named = 0usize;
        for p in &paragraphs {
            let at = p.line;
            let Some(raw_name) = p.get("Package").filter(|n| !n.is_empty()) else {
                warnings.push(format!("stanza at line {at}: no Package field, skipped"));
                continue;
            };
            named += 1;
            let name = raw_name.to_ascii_lowercase();
            match listed(p.get("Status"), missing_status_means_installed) {
                Ok(true) => {}
                Ok(false) => continue,
                Err(why) => {
                    warnings.push(format!("package {name} (line {at}): {why}, skipped"));
                    continue;
                }
            }
            let arch = p
                .get("Architecture")
                .filter(|a| !a.is_empty())
                .map(str::to_owned);
            if !seen.insert((name.clone(), arch.clone())) {
                warnings.push(format!(
                    "package {name} (line {at}): repeats an earlier stanza for the same architecture, skipped"
                ));
                continue;
            }
            let version = drop_zero_epoch(p.get("Version").unwrap_or_default());
            if version.is_empty() {
                warnings.push(format!("package {name} (line {at}): no Version field"));
            }
            let mut package = Package::new(PackageKind::Deb, name, version, path);
            package.source = Some(source(p.get("Source"), &package.name, &package.version));
            package.arch = arch;
            packages.push(package);
        }

        if named == 0 && !text.trim().is_empty() {
            return Err(Error::Malformed {
                format: "dpkg status",
                path: path.to_owned(),
                reason: warnings
                    .first()
                    .cloned()
                    .unwrap_or_else(|| "no stanza has a Package field".to_owned()),
            });
        }
        Ok(FileFacts {
            path: path.to_owned(),
            cataloger: Self::NAME.to_owned(),
            packages,
            os: None,
            warnings,
        })
    }
}

/// Whether `dpkg-query -W` lists a package with this `Status:` value: every state except
/// `not-installed` (see the module doc). `Err` for a value dpkg itself would reject.
fn listed(status: Option<&str>, missing_means_installed: bool) -> Result<bool, String> {
    let Some(status) = status else {
        return if missing_means_installed {
            Ok(true)
        } else {
            Err("no Status field (dpkg reads that as not-installed)".to_owned())
        };
    };
    let mut words = status.split_ascii_whitespace();
    let (Some(_want), Some(_flag), Some(state), None) =
        (words.next(), words.next(), words.next(), words.next())
    else {
        return Err(format!("malformed Status `{status}`"));
    };
    match state {
        "not-installed" => Ok(false),
        "installed" | "config-files" | "half-installed" | "unpacked" | "half-configured"
        | "triggers-awaited" | "triggers-pending" => Ok(true),
        other => Err(format!("unknown package state `{other}`")),
    }
}

/// `0:1.0` → `1.0`, as dpkg prints a parsed version; any other version is returned as is.
fn drop_zero_epoch(version: &str) -> String {
    match version.split_once(':') {
        Some((epoch, rest)) if !epoch.is_empty() && epoch.bytes().all(|b| b == b'0') => {
            rest.to_owned()
        }
        _ => version.to_owned(),
    }
}

/// The source package from a `Source:` field (`name` or `name (version)`), defaulting to the
/// binary package's own name and version as dpkg does.
fn source(field: Option<&str>, name: &str, version: &str) -> SourcePackage {
    let field = field.unwrap_or_default();
    let source_name = field.split(' ').next().unwrap_or_default();
    let source_version = field.find('(').map(|open| {
        let rest = field[open + 1..].trim_start_matches([' ', '\t']);
        let end = rest.find([' ', '\t', ')']).unwrap_or(rest.len());
        drop_zero_epoch(&rest[..end])
    });
    SourcePackage {
        name: if source_name.is_empty() {
            name
        } else {
            source_name
        }
        .to_owned(),
        version: source_version
            .filter(|v| !v.is_empty())
            .unwrap_or_else(|| version.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil;

    fn catalog(path: &str, text: &str) -> FileFacts {
        DpkgCataloger.catalog(path, text.as_bytes()).unwrap()
    }

    fn lines(facts: &FileFacts) -> Vec<String> {
        facts.packages.iter().map(testutil::summary).collect()
    }

    /// Our packages as `dpkg-query -W -f '${Package} ${Version} ${source:Package}
    /// ${source:Version} ${Architecture}\n'` prints them, sorted.
    fn as_dpkg_query(facts: &[FileFacts]) -> Vec<String> {
        let mut out: Vec<String> = facts
            .iter()
            .flat_map(|f| &f.packages)
            .map(|p| {
                let src = p.source.as_ref().unwrap();
                let arch = p.arch.as_deref().unwrap_or_default();
                format!(
                    "{} {} {} {} {arch}",
                    p.name, p.version, src.name, src.version
                )
            })
            .collect();
        out.sort();
        out
    }

    fn recorded_dpkg_query(case: &str) -> Vec<String> {
        let path = testutil::fixture("dpkg", case).join("dpkg-query.txt");
        let mut out: Vec<String> = fs_err::read_to_string(path)
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect();
        out.sort();
        out
    }

    #[test]
    fn wants_status_and_status_d_but_not_md5sums() {
        let c = DpkgCataloger;
        assert!(c.wants("/var/lib/dpkg/status"));
        assert!(c.wants("/var/lib/dpkg/status.d/base-files"));
        assert!(c.wants("/var/lib/dpkg/status.d/libssl3"));
        for no in [
            "/var/lib/dpkg/status.d/",
            "/var/lib/dpkg/status.d/libc6.md5sums",
            "/var/lib/dpkg/status.d/sub/dir",
            "/var/lib/dpkg/status-old",
            "/var/lib/dpkg/statusx",
            "/var/lib/dpkg/info/libc6:amd64.list",
            "/usr/var/lib/dpkg/status",
            "var/lib/dpkg/status",
        ] {
            assert!(!c.wants(no), "{no}");
        }
    }

    /// The real Debian 12 excerpt reads exactly as `dpkg-query -W` lists it.
    #[test]
    fn bookworm_minimal_matches_dpkg_query() {
        let facts = testutil::catalog_fixture(&DpkgCataloger, "dpkg", "bookworm-minimal");
        assert_eq!(facts.len(), 1);
        assert!(facts[0].warnings.is_empty(), "{:?}", facts[0].warnings);
        assert_eq!(facts[0].packages.len(), 40);
        assert_eq!(
            as_dpkg_query(&facts),
            recorded_dpkg_query("bookworm-minimal")
        );
        let libc = facts[0]
            .packages
            .iter()
            .find(|p| p.name == "libc6")
            .unwrap();
        assert_eq!(
            testutil::summary(libc),
            "libc6 2.36-9+deb12u14 amd64 src=glibc@2.36-9+deb12u14"
        );
        let bash = facts[0].packages.iter().find(|p| p.name == "bash").unwrap();
        assert_eq!(
            testutil::summary(bash),
            "bash 5.2.15-2+b8 amd64 src=bash@5.2.15-2"
        );
        assert!(bash.licenses.is_empty(), "dpkg records no licence");
    }

    /// Every package state, multi-arch, source forms, case and zero epochs, as `dpkg-query -W`
    /// showed them (see the module doc).
    #[test]
    fn statuses_match_dpkg_query() {
        let facts = testutil::catalog_fixture(&DpkgCataloger, "dpkg", "statuses");
        assert_eq!(as_dpkg_query(&facts), recorded_dpkg_query("statuses"));
        let names: Vec<&str> = facts[0].packages.iter().map(|p| p.name.as_str()).collect();
        assert!(!names.contains(&"purged") && !names.contains(&"selected-not-installed"));
        assert!(!names.contains(&"no-status"));
        assert_eq!(
            facts[0].warnings,
            [
                "package failed-first-install (line 36): no Version field",
                "package no-status (line 83): no Status field (dpkg reads that as not-installed), skipped",
            ]
        );
        let zstd: Vec<String> = facts[0]
            .packages
            .iter()
            .filter(|p| p.name == "libzstd1")
            .map(testutil::summary)
            .collect();
        assert_eq!(
            zstd,
            [
                "libzstd1 1.5.4+dfsg2-5 i386 src=libzstd@1.5.4+dfsg2-5",
                "libzstd1 1.5.4+dfsg2-5 amd64 src=libzstd@1.5.4+dfsg2-5",
            ]
        );
    }

    #[test]
    fn distroless_status_d_has_no_status_field() {
        let facts = testutil::catalog_fixture(&DpkgCataloger, "dpkg", "distroless-status-d");
        let paths: Vec<&str> = facts.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "/var/lib/dpkg/status.d/base-files",
                "/var/lib/dpkg/status.d/ca-certificates",
                "/var/lib/dpkg/status.d/libc6",
                "/var/lib/dpkg/status.d/libssl3",
                "/var/lib/dpkg/status.d/media-types",
                "/var/lib/dpkg/status.d/netbase",
                "/var/lib/dpkg/status.d/tzdata",
            ]
        );
        assert!(
            facts
                .iter()
                .all(|f| f.warnings.is_empty() && f.packages.len() == 1)
        );
        assert_eq!(
            testutil::summaries(&facts[3..4]),
            ["libssl3 3.0.19-1~deb12u2 amd64 src=openssl@3.0.19-1~deb12u2"]
        );
        assert_eq!(facts[3].packages[0].kind, PackageKind::Deb);
    }

    #[test]
    fn status_in_status_d_is_honoured() {
        let facts = catalog(
            "/var/lib/dpkg/status.d/x",
            "Package: x\nVersion: 1\nStatus: purge ok not-installed\n",
        );
        assert!(facts.packages.is_empty());
    }

    #[test]
    fn source_forms() {
        let s = |field, name, version| {
            let s = source(field, name, version);
            format!("{}@{}", s.name, s.version)
        };
        assert_eq!(s(None, "zlib1g", "1:1.3"), "zlib1g@1:1.3");
        assert_eq!(s(Some("zlib"), "zlib1g", "1:1.3"), "zlib@1:1.3");
        assert_eq!(
            s(Some("gcc-12 (12.2.0-14)"), "libgcc-s1", "12.2.0-14"),
            "gcc-12@12.2.0-14"
        );
        assert_eq!(s(Some("srcz(1.0)"), "b", "1"), "srcz(1.0)@1.0");
        assert_eq!(s(Some("x\t(0:2.0)"), "a", "1"), "x\t(0:2.0)@2.0");
        assert_eq!(s(Some("y (1:3.0 )"), "b", "1"), "y@1:3.0");
        assert_eq!(s(Some("y ()"), "b", "1"), "y@1");
        assert_eq!(s(Some("y (unterminated"), "b", "1"), "y@unterminated");
        assert_eq!(s(Some(""), "b", "1"), "b@1");
    }

    #[test]
    fn zero_epoch() {
        assert_eq!(drop_zero_epoch("0:1.0"), "1.0");
        assert_eq!(drop_zero_epoch("00:1.0"), "1.0");
        assert_eq!(drop_zero_epoch("1:1.0"), "1:1.0");
        assert_eq!(drop_zero_epoch("10:1.0"), "10:1.0");
        assert_eq!(drop_zero_epoch(":1.0"), ":1.0");
        assert_eq!(drop_zero_epoch("1.0"), "1.0");
    }

    #[test]
    fn crlf_and_missing_final_newline() {
        let facts = catalog(
            STATUS,
            "Package: a\r\nStatus: install ok installed\r\nVersion: 1\r\nArchitecture: all\r\n\r\nPackage: b\r\nStatus: install ok installed\r\nVersion: 2",
        );
        assert_eq!(lines(&facts), ["a 1 all src=a@1", "b 2 src=b@2"]);
        assert!(facts.warnings.is_empty());
    }

    #[test]
    fn stanza_without_package_is_a_warning() {
        let facts = catalog(
            STATUS,
            "Status: install ok installed\nVersion: 1\n\nPackage: b\nStatus: install ok installed\nVersion: 2\n",
        );
        assert_eq!(lines(&facts), ["b 2 src=b@2"]);
        assert_eq!(
            facts.warnings,
            ["stanza at line 1: no Package field, skipped"]
        );
    }

    #[test]
    fn odd_statuses_are_warnings() {
        let facts = catalog(
            STATUS,
            "Package: a\nStatus: install ok\nVersion: 1\n\nPackage: b\nStatus: install ok exploded\nVersion: 1\n\nPackage: c\nStatus: install ok installed\nVersion: 1\n\nPackage: c\nStatus: install ok installed\nVersion: 2\n",
        );
        assert_eq!(lines(&facts), ["c 1 src=c@1"]);
        assert_eq!(facts.warnings.len(), 3, "{:?}", facts.warnings);
        assert!(facts.warnings[0].contains("malformed Status `install ok`"));
        assert!(facts.warnings[1].contains("unknown package state `exploded`"));
        assert!(facts.warnings[2].contains("repeats an earlier stanza"));
    }

    #[test]
    fn empty_file_is_empty_and_nonsense_is_an_error() {
        assert!(catalog(STATUS, "").packages.is_empty());
        assert!(catalog(STATUS, "\n\n").packages.is_empty());
        let err = DpkgCataloger
            .catalog(STATUS, b"this is not\na status file\n")
            .unwrap_err();
        assert!(matches!(err, Error::Malformed { .. }));
        assert_eq!(
            err.to_string(),
            "malformed dpkg status file /var/lib/dpkg/status: line 1: expected `Field: value`"
        );
    }

    #[test]
    fn hostile_input_does_not_panic() {
        let sample =
            fs_err::read(testutil::fixture("dpkg", "statuses").join("var/lib/dpkg/status"))
                .unwrap();
        testutil::assert_no_panic(&DpkgCataloger, STATUS, &sample);
        testutil::assert_no_panic(&DpkgCataloger, "/var/lib/dpkg/status.d/x", &sample);
    }
}
