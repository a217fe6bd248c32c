//! The `pnpm` cataloger against what pnpm installed: for the projects `scripts/tools/pnpm.sh`
//! installs with pnpm 7, 8 and 9 (lockfile versions 5.4, 6.0 and 9.0), the packages read from
//! `pnpm-lock.yaml` must be exactly the `(name, version)` pairs of the package directories in
//! pnpm's virtual store, `node_modules/.pnpm/<entry>/node_modules/<name>` (real directories;
//! the symlinks beside them are dependencies), minus the project's own `file:` folder. Needs
//! `PLIMSOLL_TOOLS_PNPM_PROJECTS`; skipped without it, except under `CI`.

use std::collections::BTreeSet;
use std::path::PathBuf;

use crate::yarn_oracle::{installed, local_names};

fn projects() -> Option<PathBuf> {
    crate::tool_env("PLIMSOLL_TOOLS_PNPM_PROJECTS")
}

#[test]
fn pnpm_lock_matches_the_virtual_store() {
    let Some(projects) = projects() else {
        return;
    };
    let cataloger = plimsoll_catalog::all()
        .into_iter()
        .find(|c| c.name() == "pnpm")
        .unwrap();
    for project in ["pnpm7", "pnpm8", "pnpm9"] {
        let dir = projects.join(project);
        let mut want = BTreeSet::new();
        for entry in fs_err::read_dir(dir.join("node_modules/.pnpm")).unwrap() {
            let entry = entry.unwrap();
            if entry.file_type().unwrap().is_dir() && entry.file_name() != "node_modules" {
                installed(&entry.path().join("node_modules"), &mut want);
            }
        }
        let mut local = BTreeSet::new();
        local_names(&dir, &mut local);
        want.retain(|(name, _)| !local.contains(name));
        let facts = cataloger
            .catalog(
                "/app/pnpm-lock.yaml",
                &fs_err::read(dir.join("pnpm-lock.yaml")).unwrap(),
            )
            .unwrap();
        assert!(facts.warnings.is_empty(), "{project}: {:?}", facts.warnings);
        let got: BTreeSet<(String, String)> = facts
            .packages
            .iter()
            .map(|p| (p.name.clone(), p.version.clone()))
            .collect();
        assert_eq!(got.len(), facts.packages.len(), "{project}: duplicates");
        assert_eq!(got, want, "{project}");
        assert!(want.len() >= 10, "{project}: {want:?}");
        eprintln!("pnpm oracle: {project} agrees ({} packages)", got.len());
    }
}
