//! End-to-end tests of the `plimsoll` binary against real registries and real images.
//!
//! Where tests belong:
//! - `cli.rs`: flags, help, logging, usage errors — no registry needed.
//! - `oracles.rs`: inventories compared with the package managers' own tools (`dpkg-query`,
//!   `pip list`, `npm ls`) run on the very files that went into the image layers.
//! - `sources.rs`: the other image sources (OCI layout, docker archive), zstd, multi-platform
//!   indexes, whiteouts, authenticated registries, SBOM files.
//! - `bad_input.rs`: hostile and broken images fail with one clear line, no panic, nothing lost.
//! - `registry_scan.rs`: `plimsoll registry scan|rematch`, `results`, `report` on images pushed at
//!   test time into namespaces of their own: filters, content addressing, kill -9, the lock.
//! - `ecr.rs`: Amazon ECR through a real moto server (single account: discovery → filter → pull
//!   → inventory; Organizations: `registry check` with a member that refuses), images in the
//!   real local registry; `registry_check.rs`: `registry check` of Distribution registries.
//! - `serve.rs`: `plimsoll serve` over real HTTP on a loopback port: tokens from the CLI, the
//!   first admin token, a store filled by a real `registry scan`, graceful shutdown.
//! - `scheduled.rs`: `plimsoll serve --config`: scheduled runs (cron with seconds), manual
//!   triggers and their 409, a new tag scanned by the next run while unchanged ones are not
//!   pulled.
//! - `ui.rs`: the web UI walked by headless Chromium (playwright-core) against a real server.
//! - `vulndb_refresh.rs`: `plimsoll serve --config` and the vulnerability database: a `db import`
//!   beside the server re-matched without a registry request (`findings.new`), a failed update
//!   (`db.update_failed`), `image.stale`.
//! - `vendors/`: each registry vendor's listing API (a loopback stand-in) through the whole
//!   `registry scan` path to scanned results, credentials kept to their host.
//! - `vulnerabilities.rs`: `plimsoll db` and `plimsoll image` with a database built from the
//!   repo's OSV fixtures (`testdata/osv/`).
//!
//! The registry tests need `scripts/test-registry.sh up` (the README's test command runs it).
//! Without it they print a skip message, except under CI (`CI` set), where a missing harness
//! fails the test instead of silently passing.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)] // test helpers: fail loudly, say why a test skips

mod bad_input;
mod cli;
mod ecr;
mod layers;
mod oci_build;
mod oracles;
mod polyglot;
mod registry_check;
mod registry_scan;
mod scheduled;
mod schema;
mod serve;
mod serve_registries;
mod sources;
mod ui;
mod vendors;
mod vulndb_refresh;
mod vulnerabilities;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

/// The harness's settings, from the environment `scripts/test-registry.sh` writes.
pub(crate) struct Harness {
    pub(crate) registry: String,
    pub(crate) auth_registry: String,
    pub(crate) auth_user: String,
    pub(crate) auth_password: String,
    pub(crate) dir: PathBuf,
}

impl Harness {
    /// The harness, or `None` (after printing why) when it is not running outside CI.
    pub(crate) fn get() -> Option<Harness> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        match (var("PLIMSOLL_TEST_REGISTRY"), var("PLIMSOLL_TEST_DIR")) {
            (Some(registry), Some(dir)) => Some(Harness {
                registry,
                auth_registry: var("PLIMSOLL_TEST_AUTH_REGISTRY")
                    .expect("PLIMSOLL_TEST_AUTH_REGISTRY"),
                auth_user: var("PLIMSOLL_TEST_AUTH_USER").expect("PLIMSOLL_TEST_AUTH_USER"),
                auth_password: var("PLIMSOLL_TEST_AUTH_PASSWORD")
                    .expect("PLIMSOLL_TEST_AUTH_PASSWORD"),
                dir: PathBuf::from(dir),
            }),
            _ if std::env::var_os("CI").is_some() => {
                panic!(
                    "CI is set but the registry harness is not: run `. .plimsoll-test/env` after scripts/test-registry.sh up"
                )
            }
            _ => {
                eprintln!(
                    "skipping: PLIMSOLL_TEST_REGISTRY not set (run scripts/test-registry.sh up, then . .plimsoll-test/env)"
                );
                None
            }
        }
    }

    pub(crate) fn image(&self, repo_tag: &str) -> String {
        format!("{}/{repo_tag}", self.registry)
    }

    pub(crate) fn path(&self, relative: &str) -> PathBuf {
        self.dir.join(relative)
    }

    pub(crate) fn expect(&self, name: &str) -> Value {
        let text = fs_err::read_to_string(self.path("expect").join(name)).unwrap();
        serde_json::from_str(&text).unwrap()
    }
}

/// Runs `plimsoll` with `args` and no inherited registry credentials.
/// Held by tests whose scans run over and over (`scheduled.rs`) and by tests that count a
/// namespace's blob requests in the registry's access log expecting none: a run on another
/// store reads the configs of every tag in the registry before its filters apply (metadata
/// first), so a scheduled run firing every 3 s would show up in that count.
pub(crate) fn blob_count_lock() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A tool's path from the environment `scripts/test-tools.sh` prints; `None` (after saying
/// why) when unset outside CI, a failure under CI.
pub(crate) fn tool_env(var: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(p) if !p.is_empty() => Some(p),
        _ if std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "0" && v != "false") => {
            panic!("CI is set but {var} is not: run scripts/test-tools.sh")
        }
        _ => {
            eprintln!("skipping: {var} not set (eval \"$(scripts/test-tools.sh)\")");
            None
        }
    }
}

pub(crate) fn plimsoll(args: &[&str]) -> Output {
    plimsoll_with_env(args, &[])
}

pub(crate) fn plimsoll_with_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_plimsoll"));
    command
        .args(args)
        .env_remove("PLIMSOLL_REGISTRY_USERNAME")
        .env_remove("PLIMSOLL_REGISTRY_PASSWORD")
        .env_remove("RUST_LOG")
        // No stray ~/.docker/config.json may lend credentials to a test.
        .env("DOCKER_CONFIG", "/nonexistent-plimsoll-test");
    for (k, v) in env {
        command.env(k, v);
    }
    command.output().expect("run plimsoll")
}

pub(crate) fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Runs `plimsoll sbom … -f json` and returns the parsed document; fails with stderr on error.
pub(crate) fn sbom_json(args: &[&str]) -> Value {
    let mut all = vec!["sbom", "-f", "json", "--log-level", "warn"];
    all.extend_from_slice(args);
    let output = plimsoll(&all);
    assert!(
        output.status.success(),
        "plimsoll {all:?} failed:\n{}",
        stderr(&output)
    );
    serde_json::from_slice(&output.stdout).expect("JSON output")
}

/// The packages of the only image in a JSON document.
pub(crate) fn only_image(doc: &Value) -> &Value {
    let images = doc["images"].as_array().unwrap();
    assert_eq!(images.len(), 1, "expected one image");
    &images[0]
}

/// Packages of one kind in an image, as (name, version) pairs.
pub(crate) fn packages_of(image: &Value, kind: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = image["packages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["kind"] == kind)
        .map(|p| {
            (
                p["name"].as_str().unwrap().to_owned(),
                p["version"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    out.sort();
    out
}

/// Runs a program and returns its stdout; panics with its stderr on failure.
pub(crate) fn run_oracle(program: &str, args: &[&str], dir: Option<&Path>) -> String {
    let mut command = Command::new(program);
    command.args(args);
    if let Some(dir) = dir {
        command.current_dir(dir);
    }
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("cannot run {program}: {e}"));
    assert!(
        output.status.success(),
        "{program} {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// PEP 503-style name normalisation for comparing Python package names.
pub(crate) fn normalise_python_name(name: &str) -> String {
    name.to_ascii_lowercase().replace(['_', '.'], "-")
}

/// The oracle of the harness's Python layer: `pip list` over the two trees that became it,
/// as (normalised name, version).
pub(crate) fn pip_list(h: &Harness) -> std::collections::BTreeSet<(String, String)> {
    let site = h.path("python/site").display().to_string();
    let dist = h.path("python/dist").display().to_string();
    let listed: Value = serde_json::from_str(&run_oracle(
        "python3",
        &[
            "-m", "pip", "list", "--path", &site, "--path", &dist, "--format", "json",
        ],
        None,
    ))
    .unwrap();
    listed
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                normalise_python_name(p["name"].as_str().unwrap()),
                p["version"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}
