//! `Cargo.lock` files (<https://doc.rust-lang.org/cargo/guide/cargo-toml-vs-cargo-lock.html>),
//! all four formats: v1 (no `version` key, checksums in `[metadata]`), v2, v3 and v4 (a
//! top-level `version`). Every format lists the resolved crates as `[[package]]` tables with
//! `name`, `version` and, for anything not in the workspace, `source`.
//!
//! Only crates from a registry become packages: `source` `registry+<index URL>` (crates.io is
//! `registry+https://github.com/rust-lang/crates.io-index`, in every format, whatever protocol
//! fetched it) or `sparse+<URL>` (an alternative registry over the sparse protocol). Workspace
//! members and path dependencies (no `source`) and `git+…` crates are skipped: they are not
//! releases an advisory can name, and the workspace members are the project itself. Keys this
//! reader does not use (`checksum`, `dependencies`, `[patch]`, `[metadata]`) are ignored.

use plimsoll_types::{FileFacts, Package, PackageKind};
use serde::Deserialize;

use crate::{Cataloger, Error, Result};

/// Reads registry crates out of `Cargo.lock` files.
pub(crate) struct CargoLockCataloger;

impl CargoLockCataloger {
    const NAME: &'static str = "cargo-lock";
    /// Output version; bump when the facts change (STYLE rule 8).
    pub(crate) const VERSION: u32 = 1;
}

#[derive(Deserialize)]
struct Lockfile {
    #[serde(default)]
    package: Vec<LockPackage>,
}

#[derive(Deserialize)]
struct LockPackage {
    name: String,
    version: String,
    source: Option<String>,
}

impl Cataloger for CargoLockCataloger {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn version(&self) -> u32 {
        Self::VERSION
    }

    fn wants(&self, path: &str) -> bool {
        path.ends_with("/Cargo.lock")
    }

    fn catalog(&self, path: &str, contents: &[u8]) -> Result<FileFacts> {
        let text = std::str::from_utf8(contents).map_err(|e| Error::Malformed {
            format: "Cargo.lock",
            path: path.to_owned(),
            reason: format!("not UTF-8: {e}"),
        })?;
        let lock: Lockfile = toml::from_str(text).map_err(|e| Error::Toml {
            path: path.to_owned(),
            source: Box::new(e),
        })?;
        let packages = lock
            .package
            .into_iter()
            .filter(|p| {
                p.source
                    .as_deref()
                    .is_some_and(|s| s.starts_with("registry+") || s.starts_with("sparse+"))
            })
            .map(|p| Package::new(PackageKind::Cargo, p.name, p.version, path))
            .collect();
        Ok(FileFacts {
            path: path.to_owned(),
            cataloger: Self::NAME.to_owned(),
            packages,
            ..FileFacts::default()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil;

    #[test]
    fn every_lockfile_format_yields_its_registry_crates() {
        for case in ["v1", "v3", "v4", "alt-sources"] {
            let facts = testutil::catalog_fixture(&CargoLockCataloger, "cargo_lock", case);
            assert_eq!(facts.len(), 1, "{case}");
            assert!(
                facts[0]
                    .packages
                    .iter()
                    .all(|p| p.kind == PackageKind::Cargo)
            );
            // The workspace members and path dependencies (no `source`) and the git crate
            // are left out; every registry crate is in, in file order.
            let want: &[&str] = match case {
                "v1" => &["autocfg 1.5.1", "num-traits 0.2.18"],
                "v3" => &["arrayvec 0.5.2", "memchr 2.6.4"],
                "v4" => &[
                    "autocfg 1.4.0",
                    "hex 0.4.3",
                    "itoa 1.0.11",
                    "smallvec 1.13.2",
                ],
                _ => &["internal-lib 3.1.0", "mirror-crate 2.1.0", "serde 1.0.210"],
            };
            assert_eq!(testutil::summaries(&facts), want, "{case}");
        }
    }

    #[test]
    fn claims_only_cargo_lock() {
        let c = CargoLockCataloger;
        assert!(c.wants("/app/Cargo.lock"));
        assert!(c.wants("/usr/src/app/Cargo.lock"));
        assert!(!c.wants("/app/cargo.lock"));
        assert!(!c.wants("/app/Cargo.toml"));
        assert!(!c.wants("/app/Cargo.lock.orig"));
    }

    #[test]
    fn malformed_lockfiles_are_errors_not_panics() {
        let c = CargoLockCataloger;
        let err = c
            .catalog("/Cargo.lock", b"[[package]]\nname = 3\n")
            .unwrap_err();
        assert!(err.to_string().contains("/Cargo.lock"), "{err}");
        assert!(c.catalog("/Cargo.lock", b"\xff").is_err());
        let empty = c.catalog("/Cargo.lock", b"version = 4\n").unwrap();
        assert!(empty.packages.is_empty());
        let sample =
            fs_err::read(testutil::fixture("cargo_lock", "v4").join("app/Cargo.lock")).unwrap();
        testutil::assert_no_panic(&c, "/app/Cargo.lock", &sample);
    }
}
