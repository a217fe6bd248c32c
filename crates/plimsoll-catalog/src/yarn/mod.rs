//! npm packages from Yarn's `yarn.lock`, both generations, read with `yarn-lock-parser`:
//!
//! - Yarn 1 (`# yarn lockfile v1`): Yarn's own indented format; each entry is keyed by the
//!   descriptors that resolved to it (`"ms@^2.0.0", "ms@^2.1.1":`) and records `version`.
//!   Entries whose descriptors are all local (`file:`, `link:`) are skipped: they are folders of
//!   the project, not registry packages. An alias (`"ms-alias@npm:ms@2.1.3"`) is read as the
//!   real package, `ms`.
//! - Yarn 2+ ("berry", YAML with `__metadata`): each entry's `resolution`
//!   (`"ms@npm:2.1.3"`) names the package and its protocol. Only `npm:` resolutions are
//!   packages here: `workspace:` (the project's own workspaces), `link:`/`portal:` (local
//!   folders), and `patch:` (a local patch of an npm package that is also listed under its
//!   `npm:` resolution) are skipped, as are git and tarball URLs, which have no registry version.
//!
//! The parser reads the whole file or nothing: a malformed lockfile is an error. Dev and
//! optional dependencies are not told apart (the lockfile does not record that).

use plimsoll_types::{FileFacts, Package, PackageKind};

use crate::{Cataloger, Error, Result};

const LOCKFILE: &str = "/yarn.lock";

/// Reads `yarn.lock` files (Yarn 1 and Yarn 2+).
pub(crate) struct YarnCataloger;

impl YarnCataloger {
    const NAME: &'static str = "yarn";
    /// Output version; bump when the facts change (STYLE rule 8).
    pub(crate) const VERSION: u32 = 1;
}

impl Cataloger for YarnCataloger {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn version(&self) -> u32 {
        Self::VERSION
    }

    fn wants(&self, path: &str) -> bool {
        path.ends_with(LOCKFILE)
    }

    fn catalog(&self, path: &str, contents: &[u8]) -> Result<FileFacts> {
        let malformed = |reason: String| Error::Malformed {
            format: "yarn.lock",
            path: path.to_owned(),
            reason,
        };
        let text = std::str::from_utf8(contents).map_err(|e| malformed(e.to_string()))?;
        // The parser wants `\n` line ends; Windows checkouts have `\r\n`.
        let text = text.replace("\r\n", "\n");
        let lock = yarn_lock_parser::parse_str(&text).map_err(|e| malformed(e.to_string()))?;
        let mut facts = FileFacts {
            path: path.to_owned(),
            cataloger: Self::NAME.to_owned(),
            ..FileFacts::default()
        };
        for entry in &lock.entries {
            let package = if lock.version >= 2 {
                berry(entry.resolved, entry.version)
            } else {
                classic(entry.name, entry.version, &entry.descriptors)
            };
            match package {
                Entry::Package(name, version) => {
                    facts
                        .packages
                        .push(Package::new(PackageKind::Npm, name, version, path));
                }
                Entry::Local => {}
                Entry::Unreadable => facts.warnings.push(format!(
                    "entry {:?}: no package name and version, skipped",
                    entry.name
                )),
            }
        }
        Ok(facts)
    }
}

enum Entry<'a> {
    Package(&'a str, &'a str),
    Local,
    Unreadable,
}

/// Yarn 1: the entry's name and `version`; the real name of an `npm:` alias.
fn classic<'a>(name: &'a str, version: &'a str, descriptors: &[(&'a str, &'a str)]) -> Entry<'a> {
    let local = |range: &str| range.starts_with("file:") || range.starts_with("link:");
    if !descriptors.is_empty() && descriptors.iter().all(|(_, range)| local(range)) {
        return Entry::Local;
    }
    // `alias@npm:real@range`: the installed package is `real`.
    let real = descriptors
        .iter()
        .find_map(|(_, range)| range.strip_prefix("npm:"))
        .and_then(|spec| spec.get(1..).and_then(|s| s.find('@')).map(|i| &spec[..=i]))
        .filter(|n| !n.is_empty());
    let name = real.unwrap_or(name);
    if name.is_empty() || version.is_empty() {
        return Entry::Unreadable;
    }
    Entry::Package(name, version)
}

/// Yarn 2+: `name@protocol:reference` from `resolution`, with the entry's `version`.
fn berry<'a>(resolution: &'a str, version: &'a str) -> Entry<'a> {
    // A scoped name starts with `@`: the separator is the first `@` after the first byte.
    let Some(at) = resolution.get(1..).and_then(|s| s.find('@')).map(|i| i + 1) else {
        return Entry::Unreadable;
    };
    let (name, reference) = (&resolution[..at], &resolution[at + 1..]);
    if !reference.starts_with("npm:") {
        return Entry::Local;
    }
    if name.is_empty() || version.is_empty() {
        return Entry::Unreadable;
    }
    Entry::Package(name, version)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil;

    #[test]
    fn wants_yarn_lock_only() {
        let c = YarnCataloger;
        assert!(c.wants("/app/yarn.lock"));
        assert!(c.wants("/yarn.lock"));
        for no in [
            "/app/yarn.lock.bak",
            "/app/myyarn.lock",
            "/app/node_modules/.yarn-integrity",
            "/app/.yarn/install-state.gz",
            "/app/.pnp.cjs",
        ] {
            assert!(!c.wants(no), "{no}");
        }
    }

    #[test]
    fn berry_resolutions() {
        assert!(matches!(
            berry("@babel/core@npm:7.24.0", "7.24.0"),
            Entry::Package("@babel/core", "7.24.0")
        ));
        for local in [
            "app@workspace:.",
            "lib@link:./lib",
            "p@portal:../p",
            "resolve@patch:resolve@npm%3A1.22.1#~builtin<compat/resolve>::version=1.22.1",
            "x@https://example.org/x.tgz",
        ] {
            assert!(matches!(berry(local, "1.0.0"), Entry::Local), "{local}");
        }
        assert!(matches!(berry("nonsense", "1"), Entry::Unreadable));
        assert!(matches!(berry("a@npm:1", ""), Entry::Unreadable));
    }

    #[test]
    fn one_project_locked_by_yarn1_and_yarn4() {
        let want = [
            "@sindresorhus/is 4.6.0",
            "debug 2.6.9",
            "isarray 1.0.0",
            "json-schema 0.2.3",
            "ms 2.0.0",
            "ms 2.1.3",
        ];
        for case in ["yarn1", "berry"] {
            let facts = testutil::catalog_fixture(&YarnCataloger, "yarn", case);
            assert!(facts.iter().all(|f| f.warnings.is_empty()), "{case}");
            let mut got = testutil::summaries(&facts);
            got.sort();
            assert_eq!(got, want, "{case}");
        }
    }

    #[test]
    fn malformed_is_an_error() {
        for bad in [
            &b"# yarn lockfile v1\n\n\"a@^1\":\n  version"[..],
            b"\xff\xfe",
        ] {
            assert!(YarnCataloger.catalog("/app/yarn.lock", bad).is_err());
        }
    }

    #[test]
    fn hostile_input_does_not_panic() {
        for case in ["yarn1", "berry"] {
            let lock = fs_err::read(testutil::fixture("yarn", case).join("app/yarn.lock")).unwrap();
            testutil::assert_no_panic(&YarnCataloger, "/app/yarn.lock", &lock);
        }
    }
}
