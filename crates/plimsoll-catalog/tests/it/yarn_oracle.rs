//! The `yarn` cataloger against what Yarn installed: for each project `scripts/tools/yarn.sh`
//! installs (one with Yarn 1.22, one with Yarn 4 and the node-modules linker), the packages read
//! from its `yarn.lock` must be exactly the `(name, version)` pairs of the `package.json` files
//! Yarn wrote under `node_modules` (followed into nested `node_modules`, symlinks skipped),
//! minus the project's own folders (`file:`, `link:` and workspace packages, which the cataloger
//! leaves out by design). Needs `PLIMSOLL_TOOLS_YARN_PROJECTS`; skipped without it, except under
//! `CI`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::Value;

fn projects() -> Option<PathBuf> {
    crate::tool_env("PLIMSOLL_TOOLS_YARN_PROJECTS")
}

pub(crate) fn manifest(path: &Path) -> Option<(String, String)> {
    let json: Value = serde_json::from_slice(&fs_err::read(path).ok()?).ok()?;
    Some((
        json.get("name")?.as_str()?.to_owned(),
        json.get("version")?.as_str()?.to_owned(),
    ))
}

/// `(name, version)` of every package directory under `node_modules` (scoped too), recursing
/// into nested `node_modules`; symlinked packages (workspaces, `link:`) are skipped.
pub(crate) fn installed(node_modules: &Path, out: &mut BTreeSet<(String, String)>) {
    let Ok(entries) = fs_err::read_dir(node_modules) else {
        return;
    };
    for entry in entries {
        let entry = entry.unwrap();
        let name = entry.file_name().into_string().unwrap();
        if !entry.file_type().unwrap().is_dir() || name.starts_with('.') {
            continue;
        }
        if name.starts_with('@') {
            installed(&entry.path(), out);
            continue;
        }
        if let Some(pair) = manifest(&entry.path().join("package.json")) {
            out.insert(pair);
        }
        installed(&entry.path().join("node_modules"), out);
    }
}

/// Names of the project's own packages: `package.json` files outside `node_modules`.
pub(crate) fn local_names(dir: &Path, out: &mut BTreeSet<String>) {
    for entry in fs_err::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        let path = entry.path();
        let kind = entry.file_type().unwrap();
        if kind.is_dir() && entry.file_name() != "node_modules" && entry.file_name() != ".yarn" {
            local_names(&path, out);
        } else if kind.is_file()
            && entry.file_name() == "package.json"
            && let Some((name, _)) = manifest(&path)
        {
            out.insert(name);
        }
    }
}

#[test]
fn yarn_lock_matches_the_installed_tree() {
    let Some(projects) = projects() else {
        return;
    };
    let cataloger = plimsoll_catalog::all()
        .into_iter()
        .find(|c| c.name() == "yarn")
        .unwrap();
    for project in ["yarn1", "berry"] {
        let dir = projects.join(project);
        let mut want = BTreeSet::new();
        installed(&dir.join("node_modules"), &mut want);
        let mut local = BTreeSet::new();
        local_names(&dir, &mut local);
        want.retain(|(name, _)| !local.contains(name));
        let lock = dir.join("yarn.lock");
        let facts = cataloger
            .catalog("/app/yarn.lock", &fs_err::read(&lock).unwrap())
            .unwrap();
        assert!(facts.warnings.is_empty(), "{project}: {:?}", facts.warnings);
        let got: BTreeSet<(String, String)> = facts
            .packages
            .iter()
            .map(|p| (p.name.clone(), p.version.clone()))
            .collect();
        assert_eq!(got.len(), facts.packages.len(), "{project}: duplicates");
        assert_eq!(got, want, "{project}");
        assert!(want.len() >= 5, "{project}: {want:?}");
        eprintln!("yarn oracle: {project} agrees ({} packages)", got.len());
    }
}
