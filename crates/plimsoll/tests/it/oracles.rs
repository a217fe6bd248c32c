//! Each inventory equals what the package manager itself reports for the same files.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::{
    Harness, normalise_python_name, only_image, packages_of, pip_list, run_oracle, sbom_json,
};

/// `(name, version, source name, source version)` of every deb in an image.
fn debs(image: &Value) -> BTreeSet<(String, String, String, String)> {
    image["packages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["kind"] == "deb")
        .map(|p| {
            let s = |v: &Value| v.as_str().unwrap_or_default().to_owned();
            (
                s(&p["name"]),
                s(&p["version"]),
                s(&p["source"]["name"]),
                s(&p["source"]["version"]),
            )
        })
        .collect()
}

fn dpkg_query(admindir: &str) -> BTreeSet<(String, String, String, String)> {
    let out = run_oracle(
        "dpkg-query",
        &[
            "-W",
            &format!("--admindir={admindir}"),
            "-f",
            "${Package}\\t${Version}\\t${source:Package}\\t${source:Version}\\n",
        ],
        None,
    );
    out.lines()
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            (
                f[0].to_owned(),
                f[1].to_owned(),
                f[2].to_owned(),
                f[3].to_owned(),
            )
        })
        .collect()
}

#[test]
fn dpkg_inventory_equals_dpkg_query() {
    let Some(h) = Harness::get() else { return };
    let doc = sbom_json(&[&h.image("lab/debian:12")]);
    let image = only_image(&doc);
    let ours = debs(image);
    let oracle = dpkg_query(&h.path("rootfs/debian/var/lib/dpkg").display().to_string());
    assert!(
        oracle.len() > 50,
        "the oracle saw {} packages",
        oracle.len()
    );
    assert_eq!(ours, oracle, "dpkg inventory differs from dpkg-query -W");
    // Every package names the layer and file it came from.
    for p in image["packages"].as_array().unwrap() {
        assert_eq!(p["found_in"], "/var/lib/dpkg/status");
        assert_eq!(p["layer"]["index"], 0);
        assert_eq!(p["layer"]["diff_id"], image["layers"][0]["diff_id"]);
        assert!(
            p["purl"].as_str().unwrap().starts_with("pkg:deb/debian/"),
            "{p}"
        );
        assert!(
            p["purl"].as_str().unwrap().contains("distro=debian-12"),
            "{p}"
        );
    }
    assert_eq!(image["os"]["id"], "debian");
    assert_eq!(image["os"]["version_id"], "12");
}

#[test]
fn python_inventory_equals_pip_list() {
    let Some(h) = Harness::get() else { return };
    let doc = sbom_json(&[&h.image("lab/python-app:1")]);
    let image = only_image(&doc);
    let ours: BTreeSet<(String, String)> = packages_of(image, "python")
        .into_iter()
        .map(|(n, v)| (normalise_python_name(&n), v))
        .collect();
    let oracle = pip_list(&h);
    assert!(oracle.len() >= 10, "pip listed {oracle:?}");
    assert_eq!(ours, oracle, "python inventory differs from pip list");
    // The Python packages came with layer 1, the Debian ones with layer 0.
    for p in image["packages"].as_array().unwrap() {
        let want = i32::from(p["kind"] == "python");
        assert_eq!(p["layer"]["index"], want, "{p}");
    }
    let purls: Vec<&str> = image["packages"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["purl"].as_str())
        .collect();
    assert!(
        purls.contains(&"pkg:pypi/charset-normalizer@3.4.0"),
        "PEP 503 names in purls: {purls:?}"
    );
}

/// `(name, version)` of every node in an `npm ls --all --json` tree.
fn npm_tree(node: &Value, out: &mut BTreeSet<(String, String)>) {
    if let Some(deps) = node["dependencies"].as_object() {
        for (name, dep) in deps {
            if let Some(version) = dep["version"].as_str() {
                out.insert((name.clone(), version.to_owned()));
            }
            npm_tree(dep, out);
        }
    }
}

#[test]
fn npm_inventory_equals_npm_ls() {
    let Some(h) = Harness::get() else { return };
    let doc = sbom_json(&[&h.image("lab/node-app:1")]);
    let image = only_image(&doc);
    let ours: BTreeSet<(String, String)> = packages_of(image, "npm").into_iter().collect();
    let tree: Value = serde_json::from_str(&run_oracle(
        "npm",
        &["ls", "--all", "--json"],
        Some(&h.path("node-app")),
    ))
    .unwrap();
    let mut oracle = BTreeSet::new();
    npm_tree(&tree, &mut oracle);
    assert!(oracle.len() > 50, "npm ls saw {} packages", oracle.len());
    assert_eq!(ours, oracle, "npm inventory differs from npm ls --all");
    assert!(ours.contains(&(
        "@isaacs/string-locale-compare".to_owned(),
        "1.1.0".to_owned()
    )));
    // Installed copies win over the lockfile's description of the same packages.
    let from_lock = image["packages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["found_in"] == "/app/package-lock.json")
        .count();
    assert_eq!(
        from_lock, 0,
        "lockfile twins of installed packages must be dropped"
    );
}
