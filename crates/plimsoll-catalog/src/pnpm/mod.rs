//! npm packages from pnpm's `pnpm-lock.yaml` (YAML, read with `serde_yaml_ng`). The `packages`
//! map lists every resolved package; its keys changed with the lockfile version:
//!
//! | `lockfileVersion` | pnpm | key                                             |
//! |-------------------|------|-------------------------------------------------|
//! | `5.x`             | 7    | `/name/1.2.3`, `/@scope/name/1.2.3_peer@1.0.0`  |
//! | `'6.0'`           | 8    | `/name@1.2.3`, `/@scope/name@1.2.3(peer@1.0.0)` |
//! | `'9.0'`           | 9    | `name@1.2.3` (peer variants are in `snapshots`) |
//!
//! Peer suffixes (`_…` in v5, `(…)` later) are cut, so a package locked with two peer sets is
//! listed once. Local folders (`file:`, `link:`) are the project's own and skipped; so are
//! packages whose key holds no registry version (git or tarball URLs), unless the entry names
//! its `name` and `version` itself, as pnpm writes for those. `dev` and `optional` flags are not
//! kept (the package model has no such flag).

use std::collections::BTreeSet;

use serde_yaml_ng::{Mapping, Value};

use plimsoll_types::{FileFacts, Package, PackageKind};

use crate::{Cataloger, Error, Result};

const LOCKFILE: &str = "/pnpm-lock.yaml";

/// pnpm writes block YAML with at most one level of inline `{…}`. The YAML parser takes seconds
/// on 100 KB of nested `[[[[…`, so such input is refused before parsing.
const MAX_FLOW_DEPTH: usize = 64;

/// Reads `pnpm-lock.yaml` files (lockfile versions 5, 6 and 9).
pub(crate) struct PnpmCataloger;

impl PnpmCataloger {
    const NAME: &'static str = "pnpm";
    /// Output version; bump when the facts change (STYLE rule 8).
    pub(crate) const VERSION: u32 = 1;
}

impl Cataloger for PnpmCataloger {
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
            format: "pnpm-lock.yaml",
            path: path.to_owned(),
            reason,
        };
        if flow_depth(contents) > MAX_FLOW_DEPTH {
            return Err(malformed(format!(
                "flow collections nested deeper than {MAX_FLOW_DEPTH}"
            )));
        }
        let lock: Value =
            serde_yaml_ng::from_slice(contents).map_err(|e| malformed(e.to_string()))?;
        let top = lock
            .as_mapping()
            .ok_or_else(|| malformed("not a YAML mapping".to_owned()))?;
        // `5.4` is a number in v5 files, `'6.0'` a string later.
        let slash_keys = match top.get("lockfileVersion") {
            Some(Value::Number(n)) => n.as_f64().is_some_and(|v| v < 6.0),
            Some(Value::String(s)) => s
                .split('.')
                .next()
                .and_then(|m| m.parse::<u32>().ok())
                .is_some_and(|m| m < 6),
            _ => false,
        };
        let mut facts = FileFacts {
            path: path.to_owned(),
            cataloger: Self::NAME.to_owned(),
            ..FileFacts::default()
        };
        match top.get("packages") {
            Some(Value::Mapping(packages)) => read_packages(path, packages, slash_keys, &mut facts),
            None | Some(Value::Null) => {}
            Some(_) => return Err(malformed("`packages` is not a mapping".to_owned())),
        }
        Ok(facts)
    }
}

fn read_packages(path: &str, packages: &Mapping, slash_keys: bool, facts: &mut FileFacts) {
    let mut seen = BTreeSet::new();
    for (key, entry) in packages {
        let Some(key) = key.as_str() else {
            facts
                .warnings
                .push(format!("packages: key {key:?} is not a string, skipped"));
            continue;
        };
        let field = |name: &str| {
            entry
                .get(name)
                .and_then(Value::as_str)
                .map(str::trim)
                .filter(|s| !s.is_empty())
        };
        let bare = key.strip_prefix('/').unwrap_or(key);
        if bare.starts_with("file:") || bare.starts_with("link:") {
            continue;
        }
        let parsed = split_key(bare, slash_keys)
            .filter(|(_, v)| v.starts_with(|c: char| c.is_ascii_digit()));
        let (name, version) = match (parsed, field("name"), field("version")) {
            (Some(pair), _, _) => pair,
            (None, Some(name), Some(version)) if !is_local(version) => (name, version),
            (None, _, _) => {
                if !key.contains("file:") && !key.contains("link:") && !key.contains(':') {
                    facts
                        .warnings
                        .push(format!("packages[{key:?}]: no name and version, skipped"));
                }
                continue;
            }
        };
        if seen.insert((name, version)) {
            facts
                .packages
                .push(Package::new(PackageKind::Npm, name, version, path));
        }
    }
}

/// The deepest nesting of `[`/`{` in `contents`, ignoring quoting (brackets inside strings of a
/// real lockfile are rare and balanced).
fn flow_depth(contents: &[u8]) -> usize {
    let (mut depth, mut max) = (0usize, 0usize);
    for &b in contents {
        match b {
            b'[' | b'{' => {
                depth += 1;
                max = max.max(depth);
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}

fn is_local(version: &str) -> bool {
    version.starts_with("file:") || version.starts_with("link:")
}

/// `name@1.2.3(peer@1)` (v6, v9) or `name/1.2.3_peer@1` (v5), without the leading `/`, to
/// `(name, version)`.
fn split_key(key: &str, slash_keys: bool) -> Option<(&str, &str)> {
    let (name, version) = if slash_keys {
        let (name, rest) = key.rsplit_once('/')?;
        (name, rest.split('_').next().unwrap_or(rest))
    } else {
        let key = key.split('(').next().unwrap_or(key);
        // A scoped name starts with `@`: the separator is the first `@` after the first byte.
        let at = key.get(1..)?.find('@')? + 1;
        (&key[..at], &key[at + 1..])
    };
    (!name.is_empty() && !version.is_empty()).then_some((name, version))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil;

    fn catalog(yaml: &str) -> FileFacts {
        PnpmCataloger
            .catalog("/app/pnpm-lock.yaml", yaml.as_bytes())
            .unwrap()
    }

    #[test]
    fn wants_pnpm_lock_only() {
        let c = PnpmCataloger;
        assert!(c.wants("/app/pnpm-lock.yaml"));
        for no in [
            "/app/pnpm-lock.yml",
            "/app/pnpm-workspace.yaml",
            "/app/node_modules/.pnpm/lock.yaml",
            "/app/mypnpm-lock.yaml",
        ] {
            assert!(!c.wants(no), "{no}");
        }
    }

    #[test]
    fn one_project_locked_by_pnpm_7_8_and_9() {
        let want = [
            "@sindresorhus/is 4.6.0",
            "debug 2.6.9",
            "isarray 1.0.0",
            "js-tokens 4.0.0",
            "json-schema 0.2.3",
            "loose-envify 1.4.0",
            "ms 2.0.0",
            "ms 2.1.3",
            "react 18.2.0",
            "react-dom 18.2.0",
            "scheduler 0.23.2",
        ];
        for case in ["v5", "v6", "v9"] {
            let facts = testutil::catalog_fixture(&PnpmCataloger, "pnpm", case);
            assert!(facts.iter().all(|f| f.warnings.is_empty()), "{case}");
            let mut got = testutil::summaries(&facts);
            got.sort();
            assert_eq!(got, want, "{case}");
        }
    }

    #[test]
    fn keys_of_every_shape() {
        let v5 = catalog(
            "lockfileVersion: 5.4\npackages:\n  /@s/a/1.0.0_react@18.2.0:\n    dev: false\n  \
             /b/2.0.0: {}\n  github.com/x/y/abc:\n    name: y\n    version: 0.1.0\n  \
             file:lib:\n    name: lib\n    version: 0.0.1\n  /nover: {}\n",
        );
        assert_eq!(
            testutil::summaries(std::slice::from_ref(&v5)),
            ["@s/a 1.0.0", "b 2.0.0", "y 0.1.0"]
        );
        assert_eq!(
            v5.warnings,
            ["packages[\"/nover\"]: no name and version, skipped"]
        );
        let v9 = catalog(
            "lockfileVersion: '9.0'\npackages:\n  '@s/a@1.0.0': {}\n  a@1.0.0(b@2.0.0): {}\n  \
             a@1.0.0(c@3.0.0): {}\n  lib@file:lib: {}\n  x@https://codeload.github.com/x/tar.gz/abc: {}\n",
        );
        assert_eq!(
            testutil::summaries(std::slice::from_ref(&v9)),
            ["@s/a 1.0.0", "a 1.0.0"]
        );
        assert!(v9.warnings.is_empty(), "{:?}", v9.warnings);
    }

    #[test]
    fn malformed_is_an_error() {
        let deep = format!("packages: {}", "[".repeat(65));
        for bad in ["[]", "packages: [1]", "a: [", "\u{0}", &deep] {
            assert!(
                PnpmCataloger
                    .catalog("/app/pnpm-lock.yaml", bad.as_bytes())
                    .is_err(),
                "{bad}"
            );
        }
        assert!(catalog("lockfileVersion: '9.0'\n").packages.is_empty());
    }

    #[test]
    fn hostile_input_does_not_panic() {
        for case in ["v5", "v6", "v9"] {
            let lock =
                fs_err::read(testutil::fixture("pnpm", case).join("app/pnpm-lock.yaml")).unwrap();
            testutil::assert_no_panic(&PnpmCataloger, "/app/pnpm-lock.yaml", &lock);
        }
    }
}
