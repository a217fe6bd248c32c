//! `plimsoll db` and `plimsoll image`: a database built from the repo's OSV fixtures, matched
//! against the harness images.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::{Harness, plimsoll, plimsoll_with_env, stderr};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/osv")
}

/// A fresh database from the fixtures, in a temporary directory.
pub(crate) fn fixture_db() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let output = plimsoll(&[
        "db",
        "import",
        fixtures().to_str().unwrap(),
        "--db-dir",
        dir.path().to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.contains("4 records now (4 added"), "{text}");
    dir
}

fn scan(db: &Path, image: &str, extra: &[&str]) -> (Option<i32>, Value) {
    let mut args = vec![
        "image",
        image,
        "-f",
        "json",
        "--log-level",
        "warn",
        "--db-dir",
        db.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let output = plimsoll(&args);
    let doc = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", stderr(&output)));
    (output.status.code(), doc)
}

fn ids(doc: &Value) -> Vec<String> {
    doc["reports"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn db_status_lists_ecosystems_and_sources() {
    let db = fixture_db();
    let output = plimsoll(&["db", "status", "--db-dir", db.path().to_str().unwrap()]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        text.contains("Schema version:  1") && text.contains("Records:         4"),
        "{text}"
    );
    assert!(
        text.lines()
            .any(|l| l.starts_with("PyPI") && l.trim_end().ends_with(" 2")),
        "{text}"
    );
    assert!(
        text.lines()
            .any(|l| l.starts_with("npm") && l.trim_end().ends_with(" 2")),
        "{text}"
    );
    let json = plimsoll(&[
        "db",
        "status",
        "-f",
        "json",
        "--db-dir",
        db.path().to_str().unwrap(),
    ]);
    let meta: Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(meta["records"], 4);
}

#[test]
fn a_missing_database_is_a_clear_error_before_any_pull() {
    let output = plimsoll(&[
        "image",
        "127.0.0.1:9/never/pulled:1",
        "--db-dir",
        "/nonexistent/plimsoll-db",
    ]);
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert!(
        err.contains(
            "no vulnerability database at /nonexistent/plimsoll-db; run `plimsoll db import DIR`"
        ),
        "{err}"
    );
}

#[test]
fn node_app_has_the_minimist_prototype_pollution() {
    let Some(h) = Harness::get() else { return };
    let db = fixture_db();
    let (code, doc) = scan(db.path(), &h.image("lab/node-app:1"), &[]);
    assert_eq!(code, Some(0), "findings alone do not fail the command");
    assert_eq!(
        ids(&doc),
        ["GHSA-xvch-5gv4-984h"],
        "the older advisory (fixed in 1.2.3) must not match 1.2.5"
    );
    let finding = &doc["reports"][0]["findings"][0];
    assert_eq!(finding["package"], "minimist");
    assert_eq!(finding["installed"], "1.2.5");
    assert_eq!(finding["fixed_versions"], serde_json::json!(["1.2.6"]));
    assert_eq!(finding["status"], "fixed");
    assert_eq!(finding["severity"], "CRITICAL");
    assert_eq!(finding["severity_source"], "cvss-v3");
    assert_eq!(finding["cvss"]["score"], 9.8);
    assert_eq!(finding["aliases"], serde_json::json!(["CVE-2021-44906"]));
    assert_eq!(finding["layer"]["index"], 1);
    assert_eq!(
        finding["found_in"],
        "/app/node_modules/minimist/package.json"
    );
}

#[test]
fn python_app_findings_with_filters_exit_codes_and_ignores() {
    let Some(h) = Harness::get() else { return };
    let db = fixture_db();
    let image = h.image("lab/python-app:1");
    let (code, doc) = scan(db.path(), &image, &[]);
    assert_eq!(code, Some(0));
    let mut found = ids(&doc);
    found.sort();
    assert_eq!(found, ["GHSA-9hjg-9r4m-mvj7", "GHSA-pq67-6m6q-mj2v"]);
    for f in doc["reports"][0]["findings"].as_array().unwrap() {
        assert_eq!(f["severity"], "MEDIUM");
        assert_eq!(f["severity_source"], "database");
    }

    let (code, doc) = scan(db.path(), &image, &["--severity", "HIGH,CRITICAL"]);
    assert_eq!(code, Some(0));
    assert!(ids(&doc).is_empty());
    assert_eq!(doc["reports"][0]["suppressed"], 2);

    let (code, _) = scan(db.path(), &image, &["--exit-code", "3"]);
    assert_eq!(
        code,
        Some(3),
        "--exit-code applies when anything is reported"
    );
    let (code, _) = scan(db.path(), &image, &["--fail-on", "HIGH"]);
    assert_eq!(code, Some(0), "nothing HIGH or above");
    let (code, _) = scan(db.path(), &image, &["--fail-on", "MEDIUM"]);
    assert_eq!(code, Some(1));

    let dir = tempfile::tempdir().unwrap();
    let ignore = dir.path().join("ignore");
    fs_err::write(
        &ignore,
        "CVE-2024-47081  # accepted: no .netrc in the image\nGHSA-pq67-6m6q-mj2v exp:2020-01-01\n",
    )
    .unwrap();
    let (code, doc) = scan(
        db.path(),
        &image,
        &[
            "--ignore-file",
            ignore.to_str().unwrap(),
            "--fail-on",
            "MEDIUM",
        ],
    );
    assert_eq!(
        ids(&doc),
        ["GHSA-pq67-6m6q-mj2v"],
        "ignored by alias; the expired rule ignores nothing"
    );
    assert_eq!(code, Some(1));
}

#[test]
fn sarif_and_table_outputs() {
    let Some(h) = Harness::get() else { return };
    let db = fixture_db();
    let env = [("PLIMSOLL_DB_DIR", db.path().to_str().unwrap())];
    let output = plimsoll_with_env(
        &[
            "image",
            &h.image("lab/node-app:1"),
            "-f",
            "sarif",
            "--log-level",
            "warn",
        ],
        &env,
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let sarif: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    assert_eq!(
        sarif["runs"][0]["results"][0]["ruleId"],
        "GHSA-xvch-5gv4-984h"
    );
    assert_eq!(sarif["runs"][0]["results"][0]["level"], "error");
    let output = plimsoll_with_env(
        &[
            "image",
            &h.image("lab/node-app:1"),
            "-f",
            "table",
            "--log-level",
            "warn",
        ],
        &env,
    );
    let table = String::from_utf8_lossy(&output.stdout);
    assert!(
        table.contains("Total: 1 (UNKNOWN: 0, LOW: 0, MEDIUM: 0, HIGH: 0, CRITICAL: 1)"),
        "{table}"
    );
    assert!(
        table.contains("minimist") && table.contains("GHSA-xvch-5gv4-984h"),
        "{table}"
    );
}

/// Runs a reference evaluator (`crates/plimsoll-matcher/tests/reference/`) on queries.
fn reference(
    program: &str,
    script: &str,
    env: &[(&str, &str)],
    corpus: &Path,
    queries: &[(String, String)],
) -> Vec<Value> {
    use std::io::Write as _;
    let script = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../plimsoll-matcher/tests/reference")
        .join(script);
    let mut command = std::process::Command::new(program);
    command
        .arg(&script)
        .arg(corpus)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped());
    for (k, v) in env {
        command.env(k, v);
    }
    let mut child = command
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {program}: {e}"));
    let mut input = String::new();
    for (n, v) in queries {
        input.push_str(&serde_json::json!({"name": n, "version": v}).to_string());
        input.push('\n');
    }
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "{program} {}", script.display());
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn harness_images_match_an_independent_evaluation_of_the_real_corpus() {
    let Some(h) = Harness::get() else { return };
    let advisories = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/advisories");
    if !advisories.is_dir() {
        eprintln!("skipping: {} is absent", advisories.display());
        return;
    }
    let (Some(python), Some(node_path)) = (
        crate::tool_env("PLIMSOLL_TOOLS_PYTHON"),
        crate::tool_env("PLIMSOLL_TOOLS_NODE_PATH"),
    ) else {
        return;
    };
    let db = tempfile::tempdir().unwrap();
    let import = plimsoll(&[
        "db",
        "import",
        advisories.join("pypi").to_str().unwrap(),
        advisories.join("npm").to_str().unwrap(),
        "--db-dir",
        db.path().to_str().unwrap(),
        "--log-level",
        "error",
    ]);
    assert!(import.status.success(), "{}", stderr(&import));

    let mut affected_total = 0;
    for (image, kind, program, script, ecosystem_dir) in [
        (
            "lab/python-app:1",
            "python",
            python.as_str(),
            "osv_pypi.py",
            "pypi",
        ),
        ("lab/node-app:1", "npm", "node", "osv_npm.js", "npm"),
    ] {
        let image = h.image(image);
        let sbom = crate::sbom_json(&[&image]);
        let queries = crate::packages_of(crate::only_image(&sbom), kind);
        let env = [("NODE_PATH", node_path.as_str())];
        let want = reference(
            program,
            script,
            &env,
            &advisories.join(ecosystem_dir),
            &queries,
        );
        let (code, doc) = scan(db.path(), &image, &[]);
        assert_eq!(code, Some(0));
        let findings = doc["reports"][0]["findings"].as_array().unwrap();
        for (row, (name, version)) in want.iter().zip(&queries) {
            assert!(
                row["error"].is_null(),
                "the reference cannot read {name} {version}: {}",
                row["error"]
            );
            let want: BTreeSet<&str> = row["ids"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap())
                .collect();
            affected_total += want.len();
            let got: Vec<&Value> = findings
                .iter()
                .filter(|f| f["package"] == name.as_str() && f["installed"] == version.as_str())
                .collect();
            for f in &got {
                assert!(
                    want.contains(f["id"].as_str().unwrap()),
                    "{image}: {name} {version}: {} is not in the reference {want:?}",
                    f["id"]
                );
            }
            for id in &want {
                let covered = got.iter().any(|f| {
                    f["id"] == *id || f["aliases"].as_array().unwrap().iter().any(|a| a == id)
                });
                assert!(
                    covered,
                    "{image}: {name} {version}: the reference finds {id}, plimsoll does not"
                );
            }
        }
    }
    assert!(
        affected_total >= 1,
        "minimist 1.2.5 is affected in the corpus"
    );
}

#[test]
fn layers_and_modules_views_show_where_findings_come_from() {
    let Some(h) = Harness::get() else { return };
    let db = fixture_db();
    let view = |flag: &str| {
        let output = plimsoll(&[
            "image",
            &h.image("lab/node-app:1"),
            flag,
            "--log-level",
            "warn",
            "--db-dir",
            db.path().to_str().unwrap(),
        ]);
        assert!(output.status.success(), "{}", stderr(&output));
        String::from_utf8(output.stdout).unwrap()
    };
    let layers = view("--layers");
    let rows: Vec<&str> = layers
        .lines()
        .skip_while(|l| !l.starts_with("LAYER"))
        .skip(1)
        .take_while(|l| !l.is_empty())
        .collect();
    assert_eq!(rows.len(), 2, "{layers}");
    // The Debian base layer (88 debs from debootstrap) and the npm layer with minimist.
    assert!(rows[0].starts_with("0      base"), "{layers}");
    assert!(
        rows[0].contains("+88 ") && rows[0].contains("debootstrap"),
        "{layers}"
    );
    assert!(
        rows[1].contains("CRITICAL: 1") && rows[1].contains("npm install"),
        "{layers}"
    );
    assert!(
        layers.contains(
            "0 of 1 finding come from the base image (layer 0), 1 from the layers on top"
        ),
        "{layers}"
    );

    let modules = view("--modules");
    let first = modules
        .lines()
        .skip_while(|l| !l.starts_with("TYPE"))
        .nth(1)
        .unwrap();
    // The vulnerable module sorts first, with its fix and location.
    for part in [
        "minimist",
        "1.2.5",
        "CRITICAL",
        "1.2.6",
        "/app/node_modules/minimist/package.json",
    ] {
        assert!(first.contains(part), "{part} missing from {first}");
    }
    assert!(
        modules.contains("Packages: 162 (1 vulnerable)"),
        "{modules}"
    );
}
