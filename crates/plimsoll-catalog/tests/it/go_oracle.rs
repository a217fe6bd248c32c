//! The `binary` cataloger on real Go programs, with `go version -m` (Debian's Go 1.19
//! toolchain) as the oracle.
//!
//! `scripts/tools/binaries.sh` extracts Debian's `fzf`, `age`, `shfmt` and `direnv` packages
//! (their binaries, and `fzf-tmux`, a shell script) and builds `hello`, a module-mode program
//! whose dependencies are a release, a pseudo-version, a `+incompatible` version, a module
//! `replace`d by another module and one replaced by a local directory, as ELF (x86-64, stripped,
//! 386, big-endian ppc64), Mach-O and PE, under `PLIMSOLL_TOOLS_GO_BINARIES`. For
//! every executable there, the Go packages the cataloger reads must be exactly what
//! `go version -m` prints: the main module, each dependency (or its `=>` replacement), and the
//! toolchain version as `stdlib`. A file `go version -m` rejects must yield nothing.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use plimsoll_types::PackageKind;

use crate::{claimants, executables, tool_env};

/// `(stdlib version, modules)` as `go version -m` prints them, or `None` when it says the
/// file is not a Go binary. Parsed here independently of the cataloger.
fn oracle(go: &Path, binary: &Path) -> Option<(String, BTreeSet<(String, String)>)> {
    let out = Command::new(go)
        .args(["version", "-m"])
        .arg(binary)
        .env("GOTOOLCHAIN", "local")
        .output()
        .expect("go version -m");
    let text = String::from_utf8(out.stdout).unwrap();
    // `go version` exits 0 even for files it cannot read, and prints the reason on stderr.
    let first = text.lines().next()?;
    let (_, go_version) = first.rsplit_once(": ")?;
    // Release names only (`go1.19.8`, `go1.19`): what Debian and the fixture build use.
    let numbers = go_version.trim().strip_prefix("go").unwrap();
    let stdlib = match numbers.matches('.').count() {
        1 => format!("{numbers}.0"),
        _ => numbers.to_owned(),
    };
    let mut modules: Vec<(String, String)> = Vec::new();
    let mut last_dep: Option<usize> = None;
    for line in text.lines().skip(1) {
        let fields: Vec<&str> = line.trim_start_matches('\t').split('\t').collect();
        match fields[..] {
            ["mod", path, version, ..] => {
                modules.push((path.into(), version.into()));
                last_dep = None;
            }
            ["dep", path, version, ..] => {
                modules.push((path.into(), version.into()));
                last_dep = Some(modules.len() - 1);
            }
            ["=>", path, version, ..] => {
                modules[last_dep.take().unwrap()] = (path.into(), version.into());
            }
            _ => last_dep = None,
        }
    }
    Some((stdlib, modules.into_iter().collect()))
}

#[test]
fn real_go_binaries_match_go_version_m() {
    let (Some(go), Some(dir)) = (
        tool_env("PLIMSOLL_TOOLS_GO"),
        tool_env("PLIMSOLL_TOOLS_GO_BINARIES"),
    ) else {
        return;
    };
    let files = executables(&dir, true);
    let (mut go_binaries, mut with_deps, mut modules) = (0, 0, 0);
    for real in &files {
        let path = format!("/{}", real.strip_prefix(&dir).unwrap().display());
        let claimed = claimants(&path, real);
        let want = oracle(&go, real);
        let facts = claimed
            .iter()
            .map(|c| c.catalog(&path, &fs_err::read(real).unwrap()).unwrap())
            .next();
        let Some((stdlib, want_modules)) = want else {
            // Not a Go binary: either not wanted at all, or read into nothing.
            assert!(
                facts.is_none_or(|f| f.packages.is_empty() && f.warnings.is_empty()),
                "{path}"
            );
            eprintln!("{path}: not a Go binary, nothing read");
            continue;
        };
        assert_eq!(claimed.len(), 1, "{path}");
        assert_eq!(claimed[0].name(), "binary");
        let facts = facts.unwrap();
        assert!(facts.warnings.is_empty(), "{path}: {:?}", facts.warnings);
        assert!(facts.packages.iter().all(|p| p.kind == PackageKind::Go));
        assert!(facts.packages.iter().all(|p| p.found_in == path));
        let got_stdlib: Vec<&str> = facts
            .packages
            .iter()
            .filter(|p| p.name == "stdlib")
            .map(|p| p.version.as_str())
            .collect();
        assert_eq!(got_stdlib, [stdlib.as_str()], "{path}");
        let got: BTreeSet<(String, String)> = facts
            .packages
            .iter()
            .filter(|p| p.name != "stdlib")
            .map(|p| (p.name.clone(), p.version.clone()))
            .collect();
        assert_eq!(got, want_modules, "{path}");
        go_binaries += 1;
        modules += want_modules.len();
        if want_modules.len() > 1 {
            with_deps += 1;
        }
        eprintln!("{path}: stdlib {stdlib}, {want_modules:?}");
    }
    assert!(go_binaries >= 5, "only {go_binaries} Go binaries");
    assert!(with_deps >= 1, "no Go binary with dependencies");
    eprintln!(
        "{} executables, {go_binaries} Go binaries, {modules} modules: identical to go version -m",
        files.len()
    );
}

/// Real Go binaries cut short (a partial download, a damaged layer): the section table at the
/// end is gone, so the cataloger searches the bytes for the aligned build info header. Cut just
/// after the record, it reads the same packages as from the whole file; cut before it, nothing
/// and no warning.
#[test]
fn truncated_go_binaries_fall_back_to_the_header_scan() {
    let Some(dir) = tool_env("PLIMSOLL_TOOLS_GO_BINARIES") else {
        return;
    };
    let binary = plimsoll_catalog::all()
        .into_iter()
        .find(|c| c.name() == "binary")
        .unwrap();
    let mut cut = 0;
    for real in executables(&dir, true) {
        let path = real.display().to_string();
        let bytes = fs_err::read(&real).unwrap();
        let Some(magic) = (0..bytes.len())
            .step_by(16)
            .find(|&i| bytes[i..].starts_with(b"\xff Go buildinf:"))
        else {
            continue;
        };
        let whole = binary.catalog(&path, &bytes).unwrap();
        assert!(!whole.packages.is_empty(), "{path}");
        let after = binary.catalog(&path, &bytes[..magic + 4096]).unwrap();
        assert_eq!(after.packages, whole.packages, "{path}");
        assert!(after.warnings.is_empty(), "{path}: {:?}", after.warnings);
        let before = binary.catalog(&path, &bytes[..magic]).unwrap();
        assert!(
            before.packages.is_empty() && before.warnings.is_empty(),
            "{path}: {before:?}"
        );
        cut += 1;
    }
    assert!(cut >= 5, "only {cut} Go binaries");
}
