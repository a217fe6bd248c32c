//! The matcher against an independent evaluation of the real PyPI corpus: every version named
//! by an advisory, and the versions just before and after it, checked both ways.
//!
//! The reference is `tests/reference/osv_pypi.py`, which applies the OSV schema's evaluation
//! algorithm with `packaging.version`. Needs `../shared/advisories/pypi` (skipped when absent)
//! and `$PLIMSOLL_TOOLS_PYTHON` from `scripts/test-tools.sh` (required under CI).

use std::collections::{BTreeSet, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use plimsoll_matcher::match_inventory;
use plimsoll_types::{Package, PackageKind};
use plimsoll_vulndb::{ImportOptions, ImportSource, VulnDb};

use crate::image;

fn corpus() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/advisories/pypi");
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!("skipping: {} is absent", dir.display());
        None
    }
}

fn python() -> Option<String> {
    match std::env::var("PLIMSOLL_TOOLS_PYTHON") {
        Ok(p) if !p.is_empty() => Some(p),
        _ if std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "0" && v != "false") => {
            panic!("CI is set but PLIMSOLL_TOOLS_PYTHON is not: run scripts/test-tools.sh")
        }
        _ => {
            eprintln!(
                "skipping: PLIMSOLL_TOOLS_PYTHON not set (eval \"$(scripts/test-tools.sh)\")"
            );
            None
        }
    }
}

/// Every (name, version) an advisory names, plus `.dev0` (just below) and `.post1` (just above)
/// of each event version: the boundaries where an evaluator is most likely wrong.
fn queries(corpus: &Path) -> Vec<(String, String)> {
    let mut out = BTreeSet::new();
    for entry in fs_err::read_dir(corpus).unwrap() {
        let path = entry.unwrap().path();
        let Ok(record) =
            serde_json::from_str::<serde_json::Value>(&fs_err::read_to_string(&path).unwrap())
        else {
            continue;
        };
        for affected in record["affected"].as_array().into_iter().flatten() {
            let name = affected["package"]["name"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            for v in affected["versions"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|v| v.as_str())
            {
                out.insert((name.clone(), v.to_owned()));
            }
            for range in affected["ranges"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|r| r["type"] == "ECOSYSTEM")
            {
                for event in range["events"].as_array().into_iter().flatten() {
                    for v in event
                        .as_object()
                        .unwrap()
                        .values()
                        .filter_map(|v| v.as_str())
                        .filter(|v| *v != "0")
                    {
                        out.insert((name.clone(), v.to_owned()));
                        out.insert((name.clone(), format!("{v}.dev0")));
                        out.insert((name.clone(), format!("{v}.post1")));
                    }
                }
            }
        }
    }
    out.into_iter().collect()
}

#[test]
fn pypi_findings_equal_an_independent_osv_evaluation() {
    let (Some(corpus), Some(python)) = (corpus(), python()) else {
        return;
    };
    let queries = queries(&corpus);
    assert!(queries.len() > 10_000, "{} queries", queries.len());

    // The reference.
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/reference/osv_pypi.py");
    let mut child = Command::new(&python)
        .arg(&script)
        .arg(&corpus)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut input = String::new();
    for (n, v) in &queries {
        input.push_str(&serde_json::json!({"name": n, "version": v}).to_string());
        input.push('\n');
    }
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let output = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    assert!(output.status.success());
    let reference: Vec<serde_json::Value> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(reference.len(), queries.len());

    // Plimsoll, on one inventory holding every query as a package.
    let dir = tempfile::tempdir().unwrap();
    plimsoll_vulndb::import(
        dir.path(),
        &[ImportSource::from_path(&corpus).unwrap()],
        &ImportOptions::new(),
    )
    .unwrap();
    let db = VulnDb::open(dir.path()).unwrap();
    let packages = queries
        .iter()
        .enumerate()
        .map(|(i, (n, v))| {
            Package::new(
                PackageKind::Python,
                n.as_str(),
                v.as_str(),
                format!("/q/{i}"),
            )
        })
        .collect();
    let outcome = match_inventory(&db, &image(None, packages)).unwrap();
    let mut ours: HashMap<usize, Vec<(String, BTreeSet<String>)>> = HashMap::new();
    for f in &outcome.findings {
        let i: usize = f.found_in.trim_start_matches("/q/").parse().unwrap();
        ours.entry(i)
            .or_default()
            .push((f.id.clone(), f.aliases.iter().cloned().collect()));
    }

    let (mut compared, mut affected, mut differences) = (0, 0, Vec::new());
    for (i, (name, version)) in queries.iter().enumerate() {
        if !reference[i]["error"].is_null() {
            continue; // packaging cannot read the version or an event: no verdict to compare
        }
        compared += 1;
        let want: BTreeSet<String> = reference[i]["ids"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_owned())
            .collect();
        affected += usize::from(!want.is_empty());
        let got = ours.get(&i).cloned().unwrap_or_default();
        let primaries_ok = got.iter().all(|(id, _)| want.contains(id));
        let covered = want.iter().all(|w| {
            got.iter()
                .any(|(id, aliases)| id == w || aliases.contains(w))
        });
        if !primaries_ok || !covered {
            differences.push(format!(
                "{name} {version}: reference {want:?}, plimsoll {got:?}"
            ));
        }
    }
    eprintln!(
        "compared {compared} of {} queries, {affected} affected, {} differences",
        queries.len(),
        differences.len()
    );
    assert!(
        compared > 10_000 && affected > 1_000,
        "compared {compared}, affected {affected}"
    );
    assert!(
        differences.is_empty(),
        "{} differences, first: {:#?}",
        differences.len(),
        &differences[..differences.len().min(20)]
    );
}
