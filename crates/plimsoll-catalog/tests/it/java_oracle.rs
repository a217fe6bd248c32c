//! The `java` cataloger against real jars, with Info-ZIP `unzip` as the oracle.
//!
//! The jars are Debian's (`libcommons-lang3-java`, `libcommons-io-java`,
//! `libjackson2-core-java`), extracted by `scripts/test-tools.sh` into the directory it exports
//! as `PLIMSOLL_TOOLS_JARS`. For every regular `*.jar` there, the packages the cataloger reads
//! must be exactly the (groupId, artifactId, version) triples that
//! `unzip -p JAR 'META-INF/maven/*/*/pom.properties'` prints, parsed here independently of the
//! cataloger's own properties parser. Skipped without `PLIMSOLL_TOOLS_JARS`, except under `CI`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use plimsoll_types::PackageKind;

fn jars_dir() -> Option<PathBuf> {
    match std::env::var("PLIMSOLL_TOOLS_JARS") {
        Ok(p) if !p.is_empty() => Some(PathBuf::from(p)),
        _ if std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "0" && v != "false") => {
            panic!("CI is set but PLIMSOLL_TOOLS_JARS is not: run scripts/test-tools.sh")
        }
        _ => {
            eprintln!("skipping: PLIMSOLL_TOOLS_JARS not set (eval \"$(scripts/test-tools.sh)\")");
            None
        }
    }
}

/// Regular `*.jar` files under `dir` (symlinks skipped: the layer walk catalogs only regular
/// files, and Debian's versioned names are links to the same jar).
fn jars(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in fs_err::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        let kind = entry.file_type().unwrap();
        let path = entry.path();
        if kind.is_dir() {
            out.extend(jars(&path));
        } else if kind.is_file()
            && path
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("jar"))
        {
            out.push(path);
        }
    }
    out.sort();
    out
}

/// The oracle: `unzip -p` concatenates every matching `pom.properties`; a record ends when one
/// of its keys repeats (each file names each key once).
fn oracle(jar: &Path) -> BTreeSet<(String, String)> {
    let output = Command::new("unzip")
        .arg("-p")
        .arg(jar)
        .arg("META-INF/maven/*/*/pom.properties")
        .output()
        .expect("unzip (install it: scripts/test-tools.sh)");
    // 11: no matching entries. Anything else but 0 is a failure of the oracle itself.
    let code = output.status.code();
    assert!(
        matches!(code, Some(0 | 11)),
        "unzip {}: {code:?}",
        jar.display()
    );
    let text = String::from_utf8_lossy(&output.stdout);
    let mut records = Vec::new();
    let mut current: BTreeMap<String, String> = BTreeMap::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let key = key.trim().to_owned();
        if !matches!(key.as_str(), "groupId" | "artifactId" | "version") {
            continue;
        }
        if current.contains_key(&key) {
            records.push(std::mem::take(&mut current));
        }
        current.insert(key, value.trim().to_owned());
    }
    if !current.is_empty() {
        records.push(current);
    }
    records
        .into_iter()
        .map(|r| {
            (
                format!("{}:{}", r["groupId"], r["artifactId"]),
                r["version"].clone(),
            )
        })
        .collect()
}

#[test]
fn real_jars_match_unzip() {
    let Some(dir) = jars_dir() else { return };
    let jars = jars(&dir);
    assert!(!jars.is_empty(), "no jars in {}", dir.display());
    let catalogers = plimsoll_catalog::all();
    let mut compared = 0;
    for jar in &jars {
        let path = format!(
            "/usr/share/java/{}",
            jar.file_name().unwrap().to_string_lossy()
        );
        let claimed: Vec<_> = catalogers.iter().filter(|c| c.wants(&path)).collect();
        assert_eq!(claimed.len(), 1, "{path}");
        assert_eq!(claimed[0].name(), "java");
        let facts = claimed[0]
            .catalog(&path, &fs_err::read(jar).unwrap())
            .unwrap();
        assert!(facts.warnings.is_empty(), "{path}: {:?}", facts.warnings);
        let got: BTreeSet<(String, String)> = facts
            .packages
            .iter()
            .map(|p| {
                assert_eq!(p.kind, PackageKind::Maven);
                assert_eq!(p.found_in, path);
                (p.name.clone(), p.version.clone())
            })
            .collect();
        let want = oracle(jar);
        assert!(
            !want.is_empty(),
            "{path}: the oracle found no pom.properties"
        );
        assert_eq!(got, want, "{path}");
        compared += want.len();
        eprintln!("{path}: {want:?}");
    }
    eprintln!(
        "{} real jars, {compared} packages, identical to unzip's pom.properties",
        jars.len()
    );
}
