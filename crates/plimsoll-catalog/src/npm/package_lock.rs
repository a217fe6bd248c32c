//! `package-lock.json` (<https://docs.npmjs.com/cli/configuring-npm/package-lock-json>).
//!
//! Three layouts exist:
//!
//! - `lockfileVersion: 1` (npm 5–6): a `dependencies` tree keyed by package name, each entry
//!   with `version` and maybe its own nested `dependencies`.
//! - `lockfileVersion: 3` (npm 9+): a flat `packages` map keyed by install path
//!   (`node_modules/debug/node_modules/ms`); the name is the part after the last
//!   `node_modules/`, unless the entry has a `name` (aliases, and link targets whose folder is
//!   named differently).
//! - `lockfileVersion: 2` (npm 7–8): both; `packages` is read, since it is the complete one.
//!
//! Quirks:
//!
//! - The root entry (`""`) is the project itself and is skipped.
//! - `link: true` entries are symlinks to a folder; the folder has its own entry (keyed by its
//!   path, `local-lib` or `packages/a`), which is read instead, named by its `name` or folder.
//! - In v1, local packages have a `file:` version that is not a version; they are skipped.
//!   Aliases (`"version": "npm:real-name@1.2.3"`) are read as the real package.
//! - Dev, optional and peer dependencies are all read and not marked: they are what
//!   `npm ls --all` shows once installed. An optional package for another platform (say
//!   `@esbuild/darwin-arm64`) is listed even though npm would not install it here.
//! - Entries with no string `version` are skipped with a warning.

use serde_json::{Map, Value};

use plimsoll_types::{FileFacts, Package, PackageKind};

use crate::{Error, Result};

/// Adds the packages of lockfile `json` to `facts`.
pub(super) fn read(path: &str, json: &Value, facts: &mut FileFacts) -> Result<()> {
    let malformed = |reason: &str| Error::Malformed {
        format: "package-lock.json",
        path: path.to_owned(),
        reason: reason.to_owned(),
    };
    let lock = json
        .as_object()
        .ok_or_else(|| malformed("not a JSON object"))?;
    match (lock.get("packages"), lock.get("dependencies")) {
        (Some(Value::Object(packages)), _) => read_packages(path, packages, facts),
        (Some(_), _) => return Err(malformed("`packages` is not an object")),
        (None, Some(Value::Object(dependencies))) => read_dependencies(path, dependencies, facts),
        (None, Some(_)) => return Err(malformed("`dependencies` is not an object")),
        (None, None) => {}
    }
    Ok(())
}

/// v2/v3: the flat `packages` map keyed by install path.
fn read_packages(path: &str, packages: &Map<String, Value>, facts: &mut FileFacts) {
    for (key, entry) in packages {
        if key.is_empty() {
            continue;
        }
        let Some(entry) = entry.as_object() else {
            facts
                .warnings
                .push(format!("packages[{key:?}]: not an object, skipped"));
            continue;
        };
        if entry.get("link").and_then(Value::as_bool) == Some(true) {
            continue;
        }
        let from_key = key
            .rsplit_once("/node_modules/")
            .map(|(_, name)| name)
            .or_else(|| key.strip_prefix("node_modules/"))
            .unwrap_or_else(|| key.rsplit('/').next().unwrap_or(key));
        let name = string(entry, "name").unwrap_or(from_key);
        let Some(version) = string(entry, "version") else {
            facts
                .warnings
                .push(format!("packages[{key:?}]: no version, skipped"));
            continue;
        };
        if name.is_empty() {
            facts
                .warnings
                .push(format!("packages[{key:?}]: no name, skipped"));
            continue;
        }
        let mut package = Package::new(PackageKind::Npm, name, version, path);
        package.licenses = super::licenses(entry);
        facts.packages.push(package);
    }
}

/// v1: the nested `dependencies` tree keyed by name. Recursion depth is bounded by
/// `serde_json`'s nesting limit (128), so it cannot overflow the stack.
fn read_dependencies(path: &str, dependencies: &Map<String, Value>, facts: &mut FileFacts) {
    for (key, entry) in dependencies {
        let Some(entry) = entry.as_object() else {
            facts
                .warnings
                .push(format!("dependencies[{key:?}]: not an object, skipped"));
            continue;
        };
        match string(entry, "version") {
            None => facts
                .warnings
                .push(format!("dependencies[{key:?}]: no version, skipped")),
            Some(version) if version.starts_with("file:") => {}
            Some(version) => {
                // `npm:real-name@1.2.3` installs `real-name` under the alias `key`.
                let (name, version) = version
                    .strip_prefix("npm:")
                    .and_then(|spec| spec.rsplit_once('@'))
                    .filter(|(name, version)| !name.is_empty() && !version.is_empty())
                    .unwrap_or((key.as_str(), version));
                facts
                    .packages
                    .push(Package::new(PackageKind::Npm, name, version, path));
            }
        }
        if let Some(Value::Object(nested)) = entry.get("dependencies") {
            read_dependencies(path, nested, facts);
        }
    }
}

fn string<'a>(entry: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    entry
        .get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

#[cfg(test)]
mod tests {
    use plimsoll_types::FileFacts;

    use crate::npm::NpmCataloger;
    use crate::{Cataloger, testutil};

    const PATH: &str = "/app/package-lock.json";

    fn catalog(json: &str) -> FileFacts {
        NpmCataloger.catalog(PATH, json.as_bytes()).unwrap()
    }

    fn sorted(facts: &[FileFacts]) -> Vec<String> {
        let mut lines = testutil::summaries(facts);
        lines.sort();
        lines
    }

    #[test]
    fn v1_v2_and_v3_of_one_project() {
        // v1 and v2 were made by `npm install --lockfile-version=N` later than v3, so
        // json-schema and tslib resolved to newer patch releases.
        let v1 = testutil::catalog_fixture(&NpmCataloger, "npm", "lockfile-v1");
        assert_eq!(
            sorted(&v1),
            [
                "@sindresorhus/is 4.6.0",
                "debug 2.6.9",
                "isarray 1.0.0",
                "json-schema 0.2.5",
                "ms 2.0.0",
                "ms 2.1.3",
                "tslib 2.9.1",
            ]
        );
        let v2 = testutil::catalog_fixture(&NpmCataloger, "npm", "lockfile-v2");
        assert_eq!(
            sorted(&v2),
            [
                "@sindresorhus/is 4.6.0 lic=MIT",
                "debug 2.6.9 lic=MIT",
                "isarray 1.0.0 lic=MIT",
                "json-schema 0.2.5 lic=(AFL-2.1 OR BSD-3-Clause)",
                "local-lib 0.1.0 lic=UNLICENSED",
                "ms 2.0.0 lic=MIT",
                "ms 2.1.3 lic=MIT",
                "tslib 2.9.1 lic=0BSD",
            ]
        );
        let v3 = testutil::catalog_fixture(&NpmCataloger, "npm", "project-v3");
        let lock = v3
            .iter()
            .find(|f| f.path == "/srv/app/package-lock.json")
            .unwrap();
        assert_eq!(lock.packages.len(), 8);
        assert!(v1.iter().chain(&v2).all(|f| f.warnings.is_empty()));
    }

    #[test]
    fn v3_names_links_and_aliases() {
        let facts = catalog(
            r#"{"lockfileVersion": 3, "packages": {
                "": {"name": "app", "version": "1.0.0"},
                "node_modules/a": {"version": "1.0.0", "dev": true},
                "node_modules/a/node_modules/@s/b": {"version": "2.0.0", "license": "ISC"},
                "node_modules/alias": {"name": "real", "version": "3.0.0"},
                "node_modules/linked": {"resolved": "packages/linked", "link": true},
                "packages/linked": {"name": "@me/linked", "version": "0.0.1"},
                "packages/plain": {"version": "0.0.2"},
                "node_modules/nover": {"resolved": "https://x"},
                "node_modules/odd": 7
            }}"#,
        );
        assert_eq!(
            testutil::summaries(std::slice::from_ref(&facts)),
            [
                "a 1.0.0",
                "@s/b 2.0.0 lic=ISC",
                "real 3.0.0",
                "@me/linked 0.0.1",
                "plain 0.0.2",
            ]
        );
        assert_eq!(
            facts.warnings,
            [
                "packages[\"node_modules/nover\"]: no version, skipped",
                "packages[\"node_modules/odd\"]: not an object, skipped",
            ]
        );
    }

    #[test]
    fn v2_prefers_packages() {
        let facts = catalog(
            r#"{"lockfileVersion": 2,
                "packages": {"": {}, "node_modules/a": {"version": "1.0.0"}},
                "dependencies": {"a": {"version": "1.0.0"}, "ghost": {"version": "9.9.9"}}}"#,
        );
        assert_eq!(testutil::summaries(&[facts]), ["a 1.0.0"]);
    }

    #[test]
    fn v1_nesting_files_and_aliases() {
        let facts = catalog(
            r#"{"lockfileVersion": 1, "dependencies": {
                "a": {"version": "1.0.0", "dependencies": {"b": {"version": "2.0.0",
                    "dependencies": {"c": {"version": "3.0.0"}}}}},
                "local": {"version": "file:packages/local"},
                "alias": {"version": "npm:@s/real@4.0.0"},
                "broken": {"version": "npm:@"},
                "nover": {"integrity": "sha512-x"}
            }}"#,
        );
        assert_eq!(
            testutil::summaries(std::slice::from_ref(&facts)),
            [
                "a 1.0.0",
                "b 2.0.0",
                "c 3.0.0",
                "@s/real 4.0.0",
                "broken npm:@"
            ]
        );
        assert_eq!(
            facts.warnings,
            ["dependencies[\"nover\"]: no version, skipped"]
        );
    }

    #[test]
    fn shapes_without_packages() {
        assert!(catalog("{}").packages.is_empty());
        assert!(
            catalog(r#"{"lockfileVersion": 3, "packages": {"": {"name": "x"}}}"#)
                .packages
                .is_empty()
        );
        for bad in ["[]", r#"{"packages": []}"#, r#"{"dependencies": "x"}"#] {
            assert!(NpmCataloger.catalog(PATH, bad.as_bytes()).is_err(), "{bad}");
        }
    }
}
