//! PHP Composer packages (<https://getcomposer.org/doc/>), named `vendor/name`, from:
//!
//! - `composer.lock`: the project's resolved set, `packages` and `packages-dev`. Both are read
//!   and not told apart (the package model has no dev flag): `composer install` installs both
//!   unless `--no-dev` is given, and nothing in the lockfile says which was used.
//! - `vendor/composer/installed.json`: what Composer actually installed into `vendor/`. Composer
//!   1 writes a JSON array of packages; Composer 2 writes `{"packages": [...], "dev": …}`.
//!
//! Versions are kept as written (`v5.4.21`, as the tag is named), not `version_normalized`:
//! Packagist advisories write `5.4.21`, and the `composer` version scheme ignores a leading `v`
//! as Composer does, so both match without rewriting the inventory.
//! `license` is an array of SPDX ids (a plain string in some old packages; both are read).
//!
//! An image with both files reports each package twice, with different `found_in`, as npm does.

use serde_json::{Map, Value};

use plimsoll_types::{FileFacts, Package, PackageKind};

use crate::{Cataloger, Error, Result};

const LOCKFILE: &str = "/composer.lock";
const INSTALLED: &str = "/vendor/composer/installed.json";

/// Reads `composer.lock` and `vendor/composer/installed.json`.
pub(crate) struct ComposerCataloger;

impl ComposerCataloger {
    const NAME: &'static str = "composer";
    /// Output version; bump when the facts change (STYLE rule 8).
    pub(crate) const VERSION: u32 = 1;
}

impl Cataloger for ComposerCataloger {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn version(&self) -> u32 {
        Self::VERSION
    }

    fn wants(&self, path: &str) -> bool {
        path.ends_with(LOCKFILE) || path.ends_with(INSTALLED)
    }

    fn catalog(&self, path: &str, contents: &[u8]) -> Result<FileFacts> {
        let json: Value = serde_json::from_slice(contents).map_err(|source| Error::Json {
            path: path.to_owned(),
            source,
        })?;
        let lockfile = path.ends_with(LOCKFILE);
        let malformed = |reason: &str| Error::Malformed {
            format: if lockfile {
                "composer.lock"
            } else {
                "installed.json"
            },
            path: path.to_owned(),
            reason: reason.to_owned(),
        };
        let mut facts = FileFacts {
            path: path.to_owned(),
            cataloger: Self::NAME.to_owned(),
            ..FileFacts::default()
        };
        match (&json, lockfile) {
            // Composer 1 `installed.json`.
            (Value::Array(packages), false) => read_list(path, "", packages, &mut facts),
            (Value::Object(top), _) => {
                let keys: &[&str] = if lockfile {
                    &["packages", "packages-dev"]
                } else {
                    &["packages"]
                };
                for key in keys {
                    match top.get(*key) {
                        Some(Value::Array(packages)) => read_list(path, key, packages, &mut facts),
                        Some(Value::Null) | None => {}
                        Some(_) => return Err(malformed(&format!("`{key}` is not an array"))),
                    }
                }
            }
            _ => return Err(malformed("not a JSON object")),
        }
        Ok(facts)
    }
}

fn read_list(path: &str, key: &str, packages: &[Value], facts: &mut FileFacts) {
    let label = if key.is_empty() { "" } else { key };
    for (i, entry) in packages.iter().enumerate() {
        let Some(entry) = entry.as_object() else {
            facts
                .warnings
                .push(format!("{label}[{i}]: not an object, skipped"));
            continue;
        };
        let (Some(name), Some(version)) = (string(entry, "name"), string(entry, "version")) else {
            facts
                .warnings
                .push(format!("{label}[{i}]: no name or version, skipped"));
            continue;
        };
        let mut package = Package::new(PackageKind::Composer, name, version, path);
        package.licenses = match entry.get("license") {
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(Value::as_str)
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
            Some(Value::String(s)) if !s.trim().is_empty() => vec![s.trim().to_owned()],
            _ => Vec::new(),
        };
        facts.packages.push(package);
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
    use super::*;
    use crate::testutil;

    fn catalog(path: &str, json: &str) -> FileFacts {
        ComposerCataloger.catalog(path, json.as_bytes()).unwrap()
    }

    #[test]
    fn wants_lockfiles_and_installed_json() {
        let c = ComposerCataloger;
        for yes in [
            "/app/composer.lock",
            "/composer.lock",
            "/var/www/html/vendor/composer/installed.json",
        ] {
            assert!(c.wants(yes), "{yes}");
        }
        for no in [
            "/app/composer.json",
            "/app/vendor/composer/installed.php",
            "/app/installed.json",
            "/app/vendor/installed.json",
            "/app/composer.lock.bak",
            "/app/mycomposer.lock",
        ] {
            assert!(!c.wants(no), "{no}");
        }
    }

    #[test]
    fn lockfile_reads_both_lists() {
        let facts = catalog(
            "/app/composer.lock",
            r#"{"packages": [
                  {"name": "symfony/console", "version": "v5.4.21", "license": ["MIT"]},
                  {"name": "old/lib", "version": "1.0", "license": "BSD-3-Clause"},
                  {"name": "no/version"},
                  7
               ],
               "packages-dev": [{"name": "phpunit/phpunit", "version": "9.6.3",
                                 "license": ["BSD-3-Clause", ""]}]}"#,
        );
        assert_eq!(
            testutil::summaries(std::slice::from_ref(&facts)),
            [
                "symfony/console v5.4.21 lic=MIT",
                "old/lib 1.0 lic=BSD-3-Clause",
                "phpunit/phpunit 9.6.3 lic=BSD-3-Clause",
            ]
        );
        assert_eq!(
            facts.warnings,
            [
                "packages[2]: no name or version, skipped",
                "packages[3]: not an object, skipped"
            ]
        );
    }

    #[test]
    fn installed_json_both_generations() {
        let path = "/app/vendor/composer/installed.json";
        let v1 = catalog(path, r#"[{"name": "a/b", "version": "1.2.3"}]"#);
        let v2 = catalog(
            path,
            r#"{"packages": [{"name": "a/b", "version": "1.2.3"}], "dev": true,
                "dev-package-names": [], "packages-dev": [{"name": "x/y", "version": "1"}]}"#,
        );
        assert_eq!(testutil::summaries(&[v1]), ["a/b 1.2.3"]);
        assert_eq!(testutil::summaries(&[v2]), ["a/b 1.2.3"]);
    }

    #[test]
    fn malformed_shapes_are_errors() {
        for (path, bad) in [
            ("/app/composer.lock", "[]"),
            ("/app/composer.lock", r#"{"packages": {}}"#),
            ("/app/vendor/composer/installed.json", "7"),
            ("/app/composer.lock", "{"),
        ] {
            assert!(
                ComposerCataloger.catalog(path, bad.as_bytes()).is_err(),
                "{bad}"
            );
        }
        assert!(catalog("/app/composer.lock", "{}").packages.is_empty());
    }

    #[test]
    fn real_project_and_composer1_tree() {
        let facts = testutil::catalog_fixture(&ComposerCataloger, "composer", "path-repos");
        assert_eq!(facts.len(), 2);
        for f in &facts {
            assert!(f.warnings.is_empty());
            assert_eq!(
                testutil::summaries(std::slice::from_ref(f)),
                [
                    "acme/http 2.0.0-RC1 lic=Apache-2.0|MIT",
                    "acme/log v1.2.3 lic=MIT",
                    "acme/test-kit 0.9.1 lic=BSD-3-Clause",
                ]
            );
        }
        let v1 = testutil::catalog_fixture(&ComposerCataloger, "composer", "composer1");
        assert_eq!(testutil::summaries(&v1).len(), 3);
    }

    #[test]
    fn hostile_input_does_not_panic() {
        let sample = br#"{"packages": [{"name": "symfony/console", "version": "v5.4.21",
            "license": ["MIT"]}], "packages-dev": []}"#;
        testutil::assert_no_panic(&ComposerCataloger, "/app/composer.lock", sample);
        testutil::assert_no_panic(
            &ComposerCataloger,
            "/app/vendor/composer/installed.json",
            sample,
        );
    }
}
