//! .NET `NuGet` packages, from two JSON files:
//!
//! - `<app>.deps.json`, written by the .NET SDK next to a built application and read by the
//!   host to resolve assemblies (the "dependency manifest" of the `dotnet/runtime` host docs):
//!   `libraries` maps `Name/Version` to an entry whose `type` is `package` (from `NuGet`),
//!   `project` (the application and its project references) or `reference`/`runtimepack`
//!   (framework pieces). Only `package` entries are packages here.
//! - `packages.lock.json`, `NuGet`'s lock file (`RestorePackagesWithLockFile`):
//!   `dependencies.<target framework>[/<runtime id>].<Name>` with `resolved` versions; `Project`
//!   entries (project references) have none and are skipped. A package locked for several
//!   frameworks is listed once per distinct version.
//!
//! Names keep their spelling (`Newtonsoft.Json`); `NuGet` ids are case-insensitive, which
//! matching handles. Neither file records licences.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

use plimsoll_types::{FileFacts, Package, PackageKind};

use crate::{Cataloger, Error, Result};

const DEPS_JSON: &str = ".deps.json";
const PACKAGES_LOCK: &str = "/packages.lock.json";

/// Reads `*.deps.json` and `packages.lock.json`.
pub(crate) struct DotnetCataloger;

impl DotnetCataloger {
    const NAME: &'static str = "nuget";
    /// Output version; bump when the facts change (STYLE rule 8).
    pub(crate) const VERSION: u32 = 1;
}

impl Cataloger for DotnetCataloger {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn version(&self) -> u32 {
        Self::VERSION
    }

    fn wants(&self, path: &str) -> bool {
        path.ends_with(PACKAGES_LOCK) || is_deps_json(path)
    }

    fn catalog(&self, path: &str, contents: &[u8]) -> Result<FileFacts> {
        let json: Value = serde_json::from_slice(contents).map_err(|source| Error::Json {
            path: path.to_owned(),
            source,
        })?;
        let lock = path.ends_with(PACKAGES_LOCK);
        let malformed = |reason: &str| Error::Malformed {
            format: if lock {
                "packages.lock.json"
            } else {
                "deps.json"
            },
            path: path.to_owned(),
            reason: reason.to_owned(),
        };
        let top = json
            .as_object()
            .ok_or_else(|| malformed("not a JSON object"))?;
        let mut facts = FileFacts {
            path: path.to_owned(),
            cataloger: Self::NAME.to_owned(),
            ..FileFacts::default()
        };
        let key = if lock { "dependencies" } else { "libraries" };
        match top.get(key) {
            Some(Value::Object(map)) if lock => read_lock(path, map, &mut facts),
            Some(Value::Object(map)) => read_libraries(path, map, &mut facts),
            None | Some(Value::Null) => {}
            Some(_) => return Err(malformed(&format!("`{key}` is not an object"))),
        }
        Ok(facts)
    }
}

/// `…/<stem>.deps.json` with a non-empty stem.
fn is_deps_json(path: &str) -> bool {
    path.strip_suffix(DEPS_JSON)
        .and_then(|stem| stem.rsplit_once('/'))
        .is_some_and(|(_, stem)| !stem.is_empty())
}

fn read_libraries(path: &str, libraries: &Map<String, Value>, facts: &mut FileFacts) {
    for (key, entry) in libraries {
        let Some(entry) = entry.as_object() else {
            facts
                .warnings
                .push(format!("libraries[{key:?}]: not an object, skipped"));
            continue;
        };
        if entry.get("type").and_then(Value::as_str) != Some("package") {
            continue;
        }
        match key.split_once('/') {
            Some((name, version))
                if !name.trim().is_empty()
                    && !version.trim().is_empty()
                    && !version.contains('/') =>
            {
                facts.packages.push(Package::new(
                    PackageKind::Nuget,
                    name.trim(),
                    version.trim(),
                    path,
                ));
            }
            _ => facts
                .warnings
                .push(format!("libraries[{key:?}]: not `Name/Version`, skipped")),
        }
    }
}

fn read_lock(path: &str, frameworks: &Map<String, Value>, facts: &mut FileFacts) {
    let mut seen = BTreeSet::new();
    for (framework, packages) in frameworks {
        let Some(packages) = packages.as_object() else {
            facts.warnings.push(format!(
                "dependencies[{framework:?}]: not an object, skipped"
            ));
            continue;
        };
        for (name, entry) in packages {
            let Some(entry) = entry.as_object() else {
                facts.warnings.push(format!(
                    "dependencies[{framework:?}][{name:?}]: not an object, skipped"
                ));
                continue;
            };
            let resolved = entry
                .get("resolved")
                .and_then(Value::as_str)
                .map(str::trim)
                .filter(|v| !v.is_empty());
            let Some(version) = resolved else {
                if entry.get("type").and_then(Value::as_str) != Some("Project") {
                    facts.warnings.push(format!(
                        "dependencies[{framework:?}][{name:?}]: no resolved version, skipped"
                    ));
                }
                continue;
            };
            if name.trim().is_empty() || !seen.insert((name.as_str(), version)) {
                continue;
            }
            facts
                .packages
                .push(Package::new(PackageKind::Nuget, name.trim(), version, path));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil;

    fn catalog(path: &str, json: &str) -> FileFacts {
        DotnetCataloger.catalog(path, json.as_bytes()).unwrap()
    }

    #[test]
    fn wants_deps_json_and_lockfiles() {
        let c = DotnetCataloger;
        for yes in [
            "/app/MyApp.deps.json",
            "/usr/share/dotnet/shared/Microsoft.NETCore.App/8.0.0/Microsoft.NETCore.App.deps.json",
            "/src/MyApp/packages.lock.json",
        ] {
            assert!(c.wants(yes), "{yes}");
        }
        for no in [
            "/app/.deps.json",
            "/app/MyApp.runtimeconfig.json",
            "/app/MyApp.deps.json.bak",
            "/app/mypackages.lock.json",
            "/app/package-lock.json",
            "MyApp.deps.json",
        ] {
            assert!(!c.wants(no), "{no}");
        }
    }

    #[test]
    fn fixtures() {
        let app = testutil::catalog_fixture(&DotnetCataloger, "dotnet", "webapi");
        assert!(app.iter().all(|f| f.warnings.is_empty()));
        assert_eq!(
            testutil::summaries(&app),
            [
                "Microsoft.Extensions.Logging.Abstractions 8.0.0",
                "Newtonsoft.Json 13.0.3",
                "Serilog 3.1.1",
                "System.Text.Json 8.0.4",
                // The lock's frameworks in key order: net6.0, net8.0, net8.0/linux-x64.
                "System.Text.Json 6.0.9",
                "Microsoft.Extensions.Logging.Abstractions 8.0.0",
                "Newtonsoft.Json 13.0.3",
                "Serilog 3.1.1",
                "System.Text.Json 8.0.4",
            ]
        );
    }

    #[test]
    fn odd_entries_warn() {
        let deps = catalog(
            "/app/a.deps.json",
            r#"{"libraries": {"A/1.0": {"type": "package"}, "B": {"type": "package"},
                "C/1/2": {"type": "package"}, "D/2.0": 7, "app/1.0.0": {"type": "project"},
                "runtimepack.X/8.0.0": {"type": "runtimepack"}}}"#,
        );
        assert_eq!(testutil::summaries(std::slice::from_ref(&deps)), ["A 1.0"]);
        assert_eq!(deps.warnings.len(), 3, "{:?}", deps.warnings);
        let lock = catalog(
            "/app/packages.lock.json",
            r#"{"version": 1, "dependencies": {"net8.0": {"A": {"type": "Direct"},
                "B": 1, "P": {"type": "Project"}}, "net6.0": []}}"#,
        );
        assert!(lock.packages.is_empty());
        assert_eq!(lock.warnings.len(), 3, "{:?}", lock.warnings);
        for bad in ["[]", r#"{"libraries": []}"#, "{"] {
            assert!(
                DotnetCataloger
                    .catalog("/a/x.deps.json", bad.as_bytes())
                    .is_err()
            );
        }
        assert!(catalog("/a/packages.lock.json", "{}").packages.is_empty());
    }

    #[test]
    fn hostile_input_does_not_panic() {
        let root = testutil::fixture("dotnet", "webapi");
        let deps = fs_err::read(root.join("app/WebApi.deps.json")).unwrap();
        testutil::assert_no_panic(&DotnetCataloger, "/app/WebApi.deps.json", &deps);
        let lock = fs_err::read(root.join("src/WebApi/packages.lock.json")).unwrap();
        testutil::assert_no_panic(&DotnetCataloger, "/src/WebApi/packages.lock.json", &lock);
    }
}
