//! npm packages, from two kinds of file:
//!
//! - [`package_json`]: the manifest of an installed package,
//!   `…/node_modules/<name>/package.json` or `…/node_modules/@scope/<name>/package.json`.
//!   Only a package's root manifest counts: `node_modules/tslib/modules/package.json` is a
//!   `{"type": "module"}` marker inside the package, not a package.
//! - [`package_lock`]: a project's `package-lock.json`, whose entries are what `npm ci`
//!   installs. `node_modules/.package-lock.json` (npm's hidden cache of the tree it installed)
//!   is not read: it duplicates the manifests next to it.
//!
//! An image that ships both a lockfile and its `node_modules` reports each package twice, with
//! different `found_in`; the inventory decides how to present that.
//!
//! The root `package.json` of a project is not read: it is the application itself, which has
//! no advisories, and it is usually not even versioned.

mod package_json;
mod package_lock;

use serde_json::Value;

use plimsoll_types::FileFacts;

use crate::{Cataloger, Error, Result};

const MANIFEST: &str = "/package.json";
const LOCKFILE: &str = "/package-lock.json";
const NODE_MODULES: &str = "/node_modules";

/// Reads installed npm package manifests and `package-lock.json` files.
pub(crate) struct NpmCataloger;

impl NpmCataloger {
    const NAME: &'static str = "npm";
    /// Output version; bump when the facts change (STYLE rule 8).
    pub(crate) const VERSION: u32 = 1;
}

impl Cataloger for NpmCataloger {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn version(&self) -> u32 {
        Self::VERSION
    }

    fn wants(&self, path: &str) -> bool {
        path.ends_with(LOCKFILE) || is_installed_manifest(path)
    }

    fn catalog(&self, path: &str, contents: &[u8]) -> Result<FileFacts> {
        let json: Value = serde_json::from_slice(contents).map_err(|source| Error::Json {
            path: path.to_owned(),
            source,
        })?;
        let mut facts = FileFacts {
            path: path.to_owned(),
            cataloger: Self::NAME.to_owned(),
            ..FileFacts::default()
        };
        if path.ends_with(LOCKFILE) {
            package_lock::read(path, &json, &mut facts)?;
        } else {
            package_json::read(path, &json, &mut facts)?;
        }
        Ok(facts)
    }
}

/// Whether `path` is `…/node_modules/<name>/package.json` or
/// `…/node_modules/@scope/<name>/package.json`. No allocation: three `rsplit_once`s.
fn is_installed_manifest(path: &str) -> bool {
    let Some(dir) = path.strip_suffix(MANIFEST) else {
        return false;
    };
    let Some((parent, name)) = dir.rsplit_once('/') else {
        return false;
    };
    // npm names never start with `.` or `_`; `.bin`, `.cache`, `.pnpm` are npm's own.
    if name.is_empty() || name.starts_with(['.', '_', '@']) || name == "node_modules" {
        return false;
    }
    if parent.ends_with(NODE_MODULES) {
        return true;
    }
    match parent.rsplit_once('/') {
        Some((grandparent, scope)) => {
            scope.len() > 1 && scope.starts_with('@') && grandparent.ends_with(NODE_MODULES)
        }
        None => false,
    }
}

/// The licences of a manifest or lockfile entry: `license` as an SPDX string, as a legacy
/// `{"type": …}` object, or the legacy `licenses` array of strings or such objects.
fn licenses(entry: &serde_json::Map<String, Value>) -> Vec<String> {
    fn one(value: &Value) -> Option<String> {
        let s = match value {
            Value::String(s) => s,
            Value::Object(o) => o.get("type").and_then(Value::as_str)?,
            _ => return None,
        };
        let s = s.trim();
        (!s.is_empty()).then(|| s.to_owned())
    }
    let from = |key: &str| -> Vec<String> {
        match entry.get(key) {
            Some(Value::Array(items)) => items.iter().filter_map(one).collect(),
            Some(value) => one(value).into_iter().collect(),
            None => Vec::new(),
        }
    };
    let license = from("license");
    if license.is_empty() {
        from("licenses")
    } else {
        license
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::testutil;

    #[test]
    fn wants_package_roots_and_lockfiles() {
        let c = NpmCataloger;
        for yes in [
            "/srv/app/node_modules/debug/package.json",
            "/srv/app/node_modules/debug/node_modules/ms/package.json",
            "/srv/app/node_modules/@sindresorhus/is/package.json",
            "/usr/lib/node_modules/npm/package.json",
            "/node_modules/x/package.json",
            "/srv/app/node_modules/.pnpm/ms@2.1.3/node_modules/ms/package.json",
            "/srv/app/package-lock.json",
            "/package-lock.json",
        ] {
            assert!(c.wants(yes), "{yes}");
        }
        for no in [
            "/srv/app/package.json",
            "/srv/app/node_modules/tslib/modules/package.json",
            "/srv/app/node_modules/@babel/runtime/helpers/esm/package.json",
            "/srv/app/node_modules/@scope/package.json",
            "/srv/app/node_modules/@/x/package.json",
            "/srv/app/node_modules/.bin/package.json",
            "/srv/app/node_modules/node_modules/package.json",
            "/srv/app/node_modules/package.json",
            "/srv/app/node_modules/.package-lock.json",
            "/srv/app/node_modules/debug/package.json.bak",
            "/srv/app/my_node_modules/debug/package.json",
            "package.json",
            "/package.json",
        ] {
            assert!(!c.wants(no), "{no}");
        }
    }

    #[test]
    fn project_v3_installed_tree_and_lockfile() {
        let facts = testutil::catalog_fixture(&NpmCataloger, "npm", "project-v3");
        let paths: Vec<&str> = facts.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "/srv/app/node_modules/@sindresorhus/is/package.json",
                "/srv/app/node_modules/debug/node_modules/ms/package.json",
                "/srv/app/node_modules/debug/package.json",
                "/srv/app/node_modules/isarray/package.json",
                "/srv/app/node_modules/json-schema/package.json",
                "/srv/app/node_modules/ms/package.json",
                "/srv/app/node_modules/tslib/package.json",
                "/srv/app/package-lock.json",
            ]
        );
        let installed = testutil::summaries(&facts[..7]);
        assert_eq!(
            installed,
            [
                "@sindresorhus/is 4.6.0 lic=MIT",
                "ms 2.0.0 lic=MIT",
                "debug 2.6.9 lic=MIT",
                "isarray 1.0.0 lic=MIT",
                "json-schema 0.2.3 lic=AFLv2.1|BSD",
                "ms 2.1.3 lic=MIT",
                "tslib 2.6.2 lic=0BSD",
            ]
        );
        // The lockfile lists the same tree (minus the link), plus the linked local package.
        let mut locked = testutil::summaries(&facts[7..]);
        assert!(
            locked.contains(&"local-lib 0.1.0 lic=UNLICENSED".to_owned()),
            "{locked:?}"
        );
        locked.retain(|l| !l.starts_with("local-lib"));
        let mut installed_without_legacy_licences = installed.clone();
        installed_without_legacy_licences[4] = "json-schema 0.2.3".to_owned();
        locked.sort();
        installed_without_legacy_licences.sort();
        assert_eq!(locked, installed_without_legacy_licences);
        assert!(facts.iter().all(|f| f.warnings.is_empty()));
    }

    #[test]
    fn licence_forms() {
        let l = |v: Value| licenses(v.as_object().unwrap());
        assert_eq!(l(json!({"license": "MIT"})), ["MIT"]);
        assert_eq!(
            l(json!({"license": "(MIT OR Apache-2.0)"})),
            ["(MIT OR Apache-2.0)"]
        );
        assert_eq!(l(json!({"license": {"type": "ISC", "url": "x"}})), ["ISC"]);
        assert_eq!(
            l(json!({"licenses": [{"type": "MIT"}, "BSD", 3, {"url": "x"}]})),
            ["MIT", "BSD"]
        );
        assert_eq!(l(json!({"licenses": {"type": "MIT"}})), ["MIT"]);
        assert_eq!(
            l(json!({"license": ["MIT", "GPL-2.0"]})),
            ["MIT", "GPL-2.0"]
        );
        assert_eq!(l(json!({"license": "", "licenses": ["MIT"]})), ["MIT"]);
        assert!(l(json!({"license": 7})).is_empty());
    }

    #[test]
    fn invalid_json_is_an_error() {
        let err = NpmCataloger
            .catalog("/a/node_modules/x/package.json", b"{\"name\": ")
            .unwrap_err();
        assert!(matches!(err, Error::Json { .. }));
        assert_eq!(
            err.to_string(),
            "malformed JSON in /a/node_modules/x/package.json"
        );
        let err = NpmCataloger
            .catalog("/a/package-lock.json", b"{\"name\": \"caf\xe9\"}")
            .unwrap_err();
        assert!(matches!(err, Error::Json { .. }));
    }

    #[test]
    fn hostile_input_does_not_panic() {
        let root = testutil::fixture("npm", "project-v3").join("srv/app");
        let lock = fs_err::read(root.join("package-lock.json")).unwrap();
        testutil::assert_no_panic(&NpmCataloger, "/a/package-lock.json", &lock);
        let manifest = fs_err::read(root.join("node_modules/json-schema/package.json")).unwrap();
        testutil::assert_no_panic(&NpmCataloger, "/a/node_modules/x/package.json", &manifest);
        let v1 =
            fs_err::read(testutil::fixture("npm", "lockfile-v1").join("srv/app/package-lock.json"))
                .unwrap();
        testutil::assert_no_panic(&NpmCataloger, "/a/package-lock.json", &v1);
    }
}
