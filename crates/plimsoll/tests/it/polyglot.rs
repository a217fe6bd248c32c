//! One image with a bit of everything, built at test time and pushed to the lab registry: the
//! real Debian base layer, then a layer with an rpm database, a Go program, a `Cargo.lock` and
//! planted fake credentials, then a layer that deletes one of them, under a config that runs as
//! root, exposes SSH and carries a token in `Env`. Each part is checked against an independent
//! view: `rpm -qa` (recorded with the fixture), `go version -m`, and the secret scanner run
//! directly on the same files.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::oci_build::{Entry, Layer, push, write_layout};
use crate::vulnerabilities::fixture_db;
use crate::{Harness, plimsoll, run_oracle, stderr};

const ENV_TOKEN: &str = "ghp_FAKEfake0123456789FAKEfake0123456789";
const AWS_SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

fn repo_path(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(relative)
}

/// Every file under `root` as an entry at its path relative to `root`.
fn tree(root: &Path, dir: &Path, out: &mut Vec<(String, PathBuf)>) {
    for entry in fs_err::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_dir() {
            tree(root, &entry.path(), out);
        } else {
            let rel = entry.path().strip_prefix(root).unwrap().to_owned();
            out.push((format!("/{}", rel.display()), entry.path()));
        }
    }
}

/// A Go program from the tools script (Debian's own packages), if the tools are installed.
fn go_binary() -> Option<PathBuf> {
    let dir = std::env::var_os("PLIMSOLL_TOOLS_GO_BINARIES")?;
    let fzf = Path::new(&dir).join("usr/bin/fzf");
    fzf.is_file().then_some(fzf)
}

/// `go version -m`: the module path/version pairs, and stdlib.
fn go_version_m(binary: &Path) -> BTreeSet<(String, String)> {
    let out = run_oracle("go", &["version", "-m", binary.to_str().unwrap()], None);
    let mut set = BTreeSet::new();
    let mut lines = out.lines();
    let first = lines.next().unwrap();
    let go = first.rsplit(' ').next().unwrap().trim_start_matches("go");
    set.insert(("stdlib".to_owned(), go.to_owned()));
    let mut last_dep: Option<(String, String)> = None;
    for line in lines {
        let f: Vec<&str> = line.trim_start().split('\t').collect();
        match f.as_slice() {
            ["mod" | "dep", path, version, ..] => {
                if let Some(d) = last_dep.take() {
                    set.insert(d);
                }
                last_dep = Some(((*path).to_owned(), (*version).to_owned()));
            }
            ["=>", path, version, ..] => {
                last_dep = Some(((*path).to_owned(), (*version).to_owned()));
            }
            _ => {}
        }
    }
    set.extend(last_dep);
    set
}

/// (fixture under `plimsoll-catalog/testdata`, path in the image, package kind, purl prefix).
const LANGUAGE_FILES: [(&str, &str); 6] = [
    (
        "gem/debian-ruby/usr/lib/ruby/gems/3.1.0/specifications/rake-13.0.6.gemspec",
        "/usr/lib/ruby/gems/3.1.0/specifications/rake-13.0.6.gemspec",
    ),
    (
        "composer/path-repos/srv/app/composer.lock",
        "/srv/app/composer.lock",
    ),
    (
        "dotnet/webapi/app/WebApi.deps.json",
        "/app/WebApi.deps.json",
    ),
    ("yarn/yarn1/app/yarn.lock", "/web/yarn.lock"),
    ("python_lock/poetry/app/poetry.lock", "/svc/poetry.lock"),
    (
        "conda/miniconda/opt/conda/conda-meta/zlib-1.2.13-h5eee18b_0.json",
        "/opt/conda/conda-meta/zlib-1.2.13-h5eee18b_0.json",
    ),
];

/// Each language file's package kind and purl type.
const LANGUAGE_KINDS: [(&str, &str, &str); 6] = [
    (
        "/usr/lib/ruby/gems/3.1.0/specifications/rake-13.0.6.gemspec",
        "gem",
        "pkg:gem/",
    ),
    ("/srv/app/composer.lock", "composer", "pkg:composer/"),
    ("/app/WebApi.deps.json", "nuget", "pkg:nuget/"),
    ("/web/yarn.lock", "npm", "pkg:npm/"),
    ("/svc/poetry.lock", "python", "pkg:pypi/"),
    (
        "/opt/conda/conda-meta/zlib-1.2.13-h5eee18b_0.json",
        "conda",
        "pkg:conda/",
    ),
];

fn packages(image: &Value, kind: &str) -> Vec<Value> {
    image["packages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["kind"] == kind)
        .cloned()
        .collect()
}

#[test]
fn a_polyglot_image_yields_each_ecosystem_every_secret_once_and_config_findings() {
    let Some(h) = Harness::get() else { return };
    let dir = tempfile::tempdir().unwrap();

    // Layer 0: the harness's real Debian layer, as pushed for lab/debian:12.
    let meta: Value =
        serde_json::from_str(&fs_err::read_to_string(h.path("layers/debian.json")).unwrap())
            .unwrap();
    let base = Layer::Blob {
        gzip: fs_err::read(h.path("layers").join(meta["file"].as_str().unwrap())).unwrap(),
        diff_id: meta["diff_id"].as_str().unwrap().to_owned(),
        created_by: meta["created_by"].as_str().unwrap().to_owned(),
    };

    // Layer 1: rpm database, Cargo.lock, a Go program and the planted credentials.
    let mut files = Vec::new();
    let planted_root = repo_path("plimsoll-secrets/testdata/planted");
    let mut planted = Vec::new();
    tree(&planted_root, &planted_root, &mut planted);
    assert!(planted.len() >= 8, "{planted:?}");
    for (path, real) in &planted {
        files.push(Entry::file(path, fs_err::read(real).unwrap()));
    }
    let rpmdb = repo_path("plimsoll-catalog/testdata/rpm/sqlite/var/lib/rpm/rpmdb.sqlite");
    files.push(Entry::file(
        "/var/lib/rpm/rpmdb.sqlite",
        fs_err::read(rpmdb).unwrap(),
    ));
    let lock = repo_path("plimsoll-catalog/testdata/cargo_lock/v3/usr/src/csv-core/Cargo.lock");
    files.push(Entry::file(
        "/usr/src/csv-core/Cargo.lock",
        fs_err::read(lock).unwrap(),
    ));
    // One lockfile or metadata file per language ecosystem, from the catalogers' fixtures
    // (each cataloger's own oracle test checks its parsing; here the pipeline is checked).
    let testdata = repo_path("plimsoll-catalog/testdata");
    for (fixture, path) in LANGUAGE_FILES {
        files.push(Entry::file(
            path,
            fs_err::read(testdata.join(fixture)).unwrap(),
        ));
    }
    let go = go_binary();
    match &go {
        Some(binary) => files.push(Entry::executable(
            "/usr/local/bin/fzf",
            fs_err::read(binary).unwrap(),
        )),
        None if std::env::var_os("CI").is_some() => {
            panic!("CI is set but PLIMSOLL_TOOLS_GO_BINARIES is not (scripts/test-tools.sh)")
        }
        None => {
            eprintln!("no Go program: PLIMSOLL_TOOLS_GO_BINARIES not set (scripts/test-tools.sh)");
        }
    }
    let app = Layer::Entries(files, "COPY . / # buildkit");
    // Layer 2: deletes the AWS credentials file (still in layer 1's blob).
    let cleanup = Layer::Entries(
        vec![Entry::whiteout("/root/.aws/credentials")],
        "RUN /bin/sh -c rm /root/.aws/credentials # buildkit",
    );
    let config = json!({
        "Env": ["PATH=/usr/local/bin:/usr/bin:/bin", format!("GITHUB_TOKEN={ENV_TOKEN}")],
        "ExposedPorts": {"22/tcp": {}},
        "Cmd": ["bash"],
    });
    write_layout(dir.path(), "1", vec![base, app, cleanup], &config);
    let reference = format!("{}/poly{}/polyglot:1", h.registry, std::process::id());
    push(dir.path(), "1", &reference);

    let db = fixture_db();
    let scan = |format: &str| {
        let output = plimsoll(&[
            "image",
            &reference,
            "-f",
            format,
            "--log-level",
            "warn",
            "--db-dir",
            db.path().to_str().unwrap(),
        ]);
        assert!(output.status.success(), "{}", stderr(&output));
        String::from_utf8(output.stdout).unwrap()
    };
    let json_text = scan("json");
    let doc: Value = serde_json::from_str(&json_text).unwrap();
    let report = &doc["reports"][0];
    let image = &report["image"];

    // rpm: what `rpm -qa` listed for this database when the fixture was made.
    let qa = fs_err::read_to_string(repo_path("plimsoll-catalog/testdata/rpm/sqlite/rpm-qa.txt"))
        .unwrap();
    let want_rpm: BTreeSet<String> = qa
        .lines()
        .map(|l| l.split('|').next().unwrap().to_owned())
        .filter(|n| n != "gpg-pubkey")
        .collect();
    let got_rpm: BTreeSet<String> = packages(image, "rpm")
        .iter()
        .map(|p| p["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(got_rpm, want_rpm);
    for p in packages(image, "rpm") {
        // The os-release of the image is Debian's: the purl namespace says so.
        assert!(
            p["purl"].as_str().unwrap().starts_with("pkg:rpm/debian/"),
            "{p}"
        );
    }

    // Cargo.lock: registry crates of a real published lockfile, found in layer 1.
    let cargo = packages(image, "cargo");
    assert!(!cargo.is_empty());
    for p in &cargo {
        assert!(p["purl"].as_str().unwrap().starts_with("pkg:cargo/"), "{p}");
        assert_eq!(p["found_in"], "/usr/src/csv-core/Cargo.lock");
        assert_eq!(p["layer"]["index"], 1);
    }

    // Every language file gave packages of its kind, with its purl type, from layer 1.
    for (path, kind, purl) in LANGUAGE_KINDS {
        let found: Vec<Value> = packages(image, kind)
            .into_iter()
            .filter(|p| p["found_in"] == path)
            .collect();
        assert!(!found.is_empty(), "no {kind} package from {path}");
        for p in found {
            assert!(p["purl"].as_str().unwrap().starts_with(purl), "{p}");
            assert_eq!(p["layer"]["index"], 1, "{p}");
        }
    }

    // Go: exactly what `go version -m` says about the same binary.
    if let Some(binary) = &go {
        let got: BTreeSet<(String, String)> = packages(image, "go")
            .iter()
            .map(|p| {
                (
                    p["name"].as_str().unwrap().to_owned(),
                    p["version"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        let want = go_version_m(binary);
        assert_eq!(got, want);
        for p in packages(image, "go") {
            assert!(
                p["purl"].as_str().unwrap().starts_with("pkg:golang/"),
                "{p}"
            );
        }
    }

    // Secrets: the scanner's own findings on the planted files, each exactly once, located in
    // layer 1; the AWS file marked as deleted by layer 2; the token in Env from the config.
    let scanner = plimsoll_secrets::SecretScanner::builtin();
    let mut want: Vec<(String, u64, String)> = Vec::new();
    for (path, real) in &planted {
        let size = fs_err::metadata(real).unwrap().len();
        if scanner.wants(path, size) {
            for s in scanner.scan(path, &fs_err::read(real).unwrap()) {
                want.push((s.path, u64::from(s.line), s.rule));
            }
        }
    }
    want.push(("config:ENV".into(), 0, "github-token".into()));
    want.sort();
    assert!(
        want.len() >= 10,
        "the scanner finds the planted secrets: {want:?}"
    );
    let secrets = image["secrets"].as_array().unwrap();
    let mut got: Vec<(String, u64, String)> = secrets
        .iter()
        .map(|s| {
            (
                s["path"].as_str().unwrap().to_owned(),
                s["line"].as_u64().unwrap(),
                s["rule"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    got.sort();
    assert_eq!(got, want, "each planted secret exactly once");
    for s in secrets {
        if s["path"] == "config:ENV" {
            assert!(s.get("layer").is_none());
            continue;
        }
        assert_eq!(s["layer"]["index"], 1, "{s}");
        let deleted = s["path"] == "/root/.aws/credentials";
        assert_eq!(s.get("deleted_in_layer").is_some(), deleted, "{s}");
        if deleted {
            assert_eq!(s["deleted_in_layer"], 2);
        }
    }
    // Never the secret itself, in any output.
    let table = scan("table");
    let sarif = scan("sarif");
    for text in [&json_text, &table, &sarif] {
        assert!(!text.contains(ENV_TOKEN));
        assert!(!text.contains(AWS_SECRET));
        assert!(!text.contains("AKIAIOSFODNN7EXAMPLE"));
    }

    // Configuration findings of this config.
    let ids: BTreeSet<&str> = report["config_findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    for id in ["PLM-CFG-001", "PLM-CFG-003", "PLM-CFG-005", "PLM-CFG-006"] {
        assert!(ids.contains(id), "{id} missing: {ids:?}");
    }

    // The layered view: layer 1 added the rpm, cargo and Go packages; layer 2 changed none.
    let layers = image["layers"].as_array().unwrap();
    assert_eq!(layers.len(), 3);
    assert_eq!(layers[0]["base_image"], true);
    let added: BTreeSet<&str> = layers[1]["changes"]["added"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["kind"].as_str().unwrap())
        .collect();
    for kind in [
        "rpm", "cargo", "gem", "composer", "nuget", "npm", "python", "conda",
    ] {
        assert!(added.contains(kind), "{kind} not among {added:?}");
    }
    assert!(layers[2].get("changes").is_none(), "{}", layers[2]);
}
