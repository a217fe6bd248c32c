//! The `python-lock` cataloger against the tools that write and read these files, run from the
//! venv `scripts/tools/python-lock.sh` makes: Poetry's `Locker` (the lock as `poetry install`
//! reads it) for `poetry.lock`; `pipenv requirements --dev` for `Pipfile.lock`; and pip's own
//! requirements-file parser (`pip._internal.req.req_file.parse_requirements`, the file's own
//! lines only, not its `-r` includes) with `packaging` deciding which requirements are exact
//! pins, for `requirements*.txt`. Files: the fixtures and the projects the script locks. Local
//! path packages are left out on both sides (the cataloger skips them by design). Needs
//! `PLIMSOLL_TOOLS_PYTHON_LOCK_VENV` and `PLIMSOLL_TOOLS_PYTHON_LOCK_PROJECTS`; skipped without
//! them, except under `CI`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Prints `file<TAB>name<TAB>version` for each package the tools see in each file.
const ORACLE: &str = r#"
import os, subprocess, sys
from pathlib import Path
from packaging.requirements import Requirement

def pins(lines):
    for line in lines:
        r = Requirement(line)
        specs = list(r.specifier)
        if len(specs) == 1 and specs[0].operator in ("==", "===") and "*" not in specs[0].version:
            yield r.name, specs[0].version

for f in sys.argv[1:]:
    p = Path(f)
    if p.name == "poetry.lock":
        from poetry.packages.locker import Locker
        for pkg in Locker(p, {}).locked_repository().packages:
            if pkg.source_type not in ("directory", "file"):
                print(f, pkg.pretty_name, pkg.version.text, sep="\t")
    elif p.name == "Pipfile.lock":
        env = dict(os.environ, PIPENV_PIPFILE=str(p.parent / "Pipfile"), PIPENV_VERBOSITY="-1")
        out = subprocess.run([os.path.join(os.path.dirname(sys.executable), "pipenv"), "requirements", "--dev"],
                             env=env, capture_output=True, text=True, check=True).stdout
        # Options and local paths (`-e ./mylib`, `./mylib`) are not registry pins.
        lines = [l for l in out.splitlines() if l and not l.startswith(("-", ".", "/"))]
        for name, version in pins(lines):
            print(f, name, version, sep="\t")
    else:
        from pip._internal.req.req_file import parse_requirements
        from pip._internal.network.session import PipSession
        # Only this file's own lines: the cataloger reads one file, not its `-r` includes.
        own = f"-r {p} "
        lines = [r.requirement for r in parse_requirements(str(p), session=PipSession())
                 if not r.is_editable and r.comes_from.startswith(own)]
        lines = [l for l in lines if "://" not in l]
        for name, version in pins(lines):
            print(f, name, version, sep="\t")
"#;

fn inputs(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs_err::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        let path = entry.path();
        let name = entry.file_name().into_string().unwrap();
        if entry.file_type().unwrap().is_dir() {
            if name != "mylib" {
                inputs(&path, out);
            }
        } else if name == "poetry.lock"
            || name == "Pipfile.lock"
            || (name.starts_with("requirements") && path.extension().is_some_and(|e| e == "txt"))
        {
            out.push(path);
        }
    }
}

#[test]
fn locks_agree_with_poetry_pipenv_and_pip() {
    let (Some(venv), Some(projects)) = (
        crate::tool_env("PLIMSOLL_TOOLS_PYTHON_LOCK_VENV"),
        crate::tool_env("PLIMSOLL_TOOLS_PYTHON_LOCK_PROJECTS"),
    ) else {
        return;
    };
    let mut files = Vec::new();
    inputs(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/python_lock"),
        &mut files,
    );
    inputs(&projects, &mut files);
    files.sort();
    assert!(files.len() >= 7, "{files:?}");
    let output = Command::new(venv.join("bin/python"))
        .arg("-c")
        .arg(ORACLE)
        .args(&files)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "oracle failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let mut want: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for line in String::from_utf8(output.stdout).unwrap().lines() {
        let (file, pair) = line.split_once('\t').unwrap();
        want.entry(file.to_owned())
            .or_default()
            .push(pair.replace('\t', " "));
    }
    let cataloger = plimsoll_catalog::all()
        .into_iter()
        .find(|c| c.name() == "python-lock")
        .unwrap();
    for file in &files {
        let path = file.to_str().unwrap();
        assert!(cataloger.wants(path), "{path}");
        let facts = cataloger
            .catalog(path, &fs_err::read(file).unwrap())
            .unwrap();
        assert!(facts.warnings.is_empty(), "{path}: {:?}", facts.warnings);
        let mut got: Vec<String> = facts
            .packages
            .iter()
            .map(|p| format!("{} {}", p.name, p.version))
            .collect();
        let mut expected = want.remove(path).unwrap_or_default();
        got.sort();
        expected.sort();
        assert_eq!(got, expected, "{path}");
        assert!(!got.is_empty(), "{path}");
        eprintln!("python-lock oracle: {path} agrees ({} packages)", got.len());
    }
}
