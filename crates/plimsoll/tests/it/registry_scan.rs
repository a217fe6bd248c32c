//! `plimsoll registry scan|rematch`, `results`, `report`: whole-registry runs against the
//! harness's open registry, on images pushed at test time by `scripts/testimages/pushtags.py`
//! (real layers of the harness images, fresh creation dates, one namespace per test so tests
//! running side by side never see each other's images).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::vulnerabilities::fixture_db;
use crate::{Harness, plimsoll, plimsoll_with_env, stderr};

/// A namespace of its own for one test: unique per test and per test process.
pub(crate) fn namespace(test: &str) -> String {
    format!("rs{}-{test}", std::process::id())
}

/// Pushes tags with `pushtags.py`; returns tag → digest of the one repository.
pub(crate) fn push(
    h: &Harness,
    base: &str,
    repo: &str,
    extra: &[&str],
) -> BTreeMap<String, String> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/testimages/pushtags.py");
    let output = Command::new("python3")
        .arg(&script)
        .args(["--registry", &h.registry, "--base", base, "--repo", repo])
        .args(extra)
        .output()
        .expect("run pushtags.py");
    assert!(
        output.status.success(),
        "pushtags.py failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let line: Value = serde_json::from_slice(&output.stdout).expect("pushtags.py JSON line");
    line["tags"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(t, d)| (t.clone(), d.as_str().unwrap().to_owned()))
        .collect()
}

/// A store path and a database for one test.
pub(crate) struct Setup {
    dir: tempfile::TempDir,
    db: tempfile::TempDir,
}

impl Setup {
    pub(crate) fn new() -> Setup {
        Setup {
            dir: tempfile::tempdir().unwrap(),
            db: fixture_db(),
        }
    }

    pub(crate) fn store(&self) -> PathBuf {
        self.dir.path().join("store.sqlite")
    }

    /// The vulnerability database directory.
    pub(crate) fn db_dir(&self) -> &Path {
        self.db.path()
    }

    /// A directory of the test's own (beside the store).
    pub(crate) fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// `registry scan` of the open registry limited to `ns`, with JSON logs.
    /// Limited to `ns/*` unless `extra` names its own `--include` patterns.
    fn scan_args(&self, h: &Harness, ns: &str, extra: &[&str]) -> Vec<String> {
        let include = if extra.contains(&"--include") {
            Vec::new()
        } else {
            vec!["--include".to_owned(), format!("{}/{ns}/*", h.registry)]
        };
        let mut args: Vec<String> = [
            "--log-format",
            "json",
            "registry",
            "scan",
            "--registry-url",
            &format!("http://{}", h.registry),
            "--store",
            self.store().to_str().unwrap(),
            "--db-dir",
            self.db.path().to_str().unwrap(),
        ]
        .iter()
        .map(ToString::to_string)
        .collect();
        args.extend(include);
        if !extra.contains(&"--max-repositories-per-registry") {
            // The lab registry accumulates repositories across local runs; never cap them away.
            args.extend([
                "--max-repositories-per-registry".to_owned(),
                "10000".to_owned(),
            ]);
        }
        args.extend(extra.iter().map(ToString::to_string));
        args
    }

    pub(crate) fn scan(&self, h: &Harness, ns: &str, extra: &[&str]) -> Output {
        let args = self.scan_args(h, ns, extra);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        plimsoll(&args)
    }

    fn results(&self, ns: &str) -> Vec<Value> {
        let output = plimsoll(&[
            "results",
            "list",
            "--format",
            "json",
            "--repository",
            ns,
            "--store",
            self.store().to_str().unwrap(),
        ]);
        assert!(output.status.success(), "{}", stderr(&output));
        serde_json::from_slice::<Value>(&output.stdout)
            .unwrap()
            .as_array()
            .unwrap()
            .clone()
    }
}

/// The JSON log lines of a run.
fn log_lines(output: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&output.stderr)
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .collect()
}

fn messages<'a>(lines: &'a [Value], message: &str) -> Vec<&'a Value> {
    lines.iter().filter(|l| l["message"] == message).collect()
}

/// The last log line's message: the run summary.
fn summary(output: &Output) -> String {
    let lines = log_lines(output);
    lines
        .last()
        .and_then(|l| l["message"].as_str())
        .unwrap_or_default()
        .to_owned()
}

/// Images whose inventory a run stored (pulled and analysed).
fn analysed(output: &Output) -> BTreeSet<String> {
    messages(&log_lines(output), "inventory stored")
        .iter()
        .map(|l| l["image"].as_str().unwrap().to_owned())
        .collect()
}

/// The config digests of `manifests`, read from the lab registry's own storage (the
/// Distribution filesystem layout), so counting them needs no request.
fn config_digests(h: &Harness, manifests: &BTreeMap<String, String>) -> BTreeSet<String> {
    manifests
        .values()
        .map(|digest| {
            let hex = digest.trim_start_matches("sha256:");
            let data = h
                .path("registry/open/data/docker/registry/v2/blobs/sha256")
                .join(&hex[..2])
                .join(hex)
                .join("data");
            let manifest: Value = serde_json::from_slice(&fs_err::read(data).unwrap()).unwrap();
            manifest["config"]["digest"].as_str().unwrap().to_owned()
        })
        .collect()
}

/// Blob GETs under `ns` in the registry's access log, leaving out those of `excluded` digests,
/// once the count has settled: the registry writes its log lines asynchronously, and on a
/// loaded machine the last requests of a run can land a moment after the client has exited.
/// Settled = unchanged for a second.
pub(crate) fn blob_request_lines(
    h: &Harness,
    ns: &str,
    excluded: &BTreeSet<String>,
) -> Vec<String> {
    let log = h.path("registry/open/registry.log");
    let needle = format!("/v2/{ns}/");
    let lines = || -> Vec<String> {
        let text = fs_err::read_to_string(&log).unwrap_or_default();
        text.lines()
            .filter(|l| l.contains("\"GET ") && l.contains(&needle) && l.contains("/blobs/"))
            .filter(|l| !excluded.iter().any(|d| l.contains(d.as_str())))
            .map(str::to_owned)
            .collect()
    };
    let mut last = lines();
    let mut steady = 0;
    for _ in 0..40 {
        std::thread::sleep(std::time::Duration::from_millis(250));
        let now = lines();
        if now.len() == last.len() {
            steady += 1;
            if steady == 4 {
                break;
            }
        } else {
            steady = 0;
        }
        last = now;
    }
    last
}

#[test]
fn a_registry_scan_stores_results_reports_and_scans_each_digest_once() {
    let Some(h) = Harness::get() else { return };
    let ns = namespace("basic");
    push(
        &h,
        "lab/python-app:1",
        &format!("{ns}/python-app"),
        &["--tags", "2", "--unique-layer"],
    );
    push(
        &h,
        "lab/node-app:1",
        &format!("{ns}/node-app"),
        &["--tags", "1", "--unique-layer"],
    );
    let same = push(
        &h,
        "lab/debian:12",
        &format!("{ns}/debian"),
        &["--tags", "3", "--same-digest"],
    );
    assert_eq!(same.values().collect::<BTreeSet<_>>().len(), 1, "{same:?}");
    let setup = Setup::new();
    let reports = setup.dir.path().join("reports");
    let output = setup.scan(&h, &ns, &["--report-dir", reports.to_str().unwrap()]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(
        summary(&output),
        "Total: 6 = Success: 6 + Failed: 0 + Skipped: 0",
        "{}",
        stderr(&output)
    );
    // Three tags of one digest: one job, one inventory.
    let debian: Vec<String> = analysed(&output)
        .into_iter()
        .filter(|i| i.contains(&format!("{ns}/debian:")))
        .collect();
    assert_eq!(debian.len(), 1, "{debian:?}");

    let rows = setup.results(&ns);
    assert_eq!(rows.len(), 6, "{rows:#?}");
    for row in &rows {
        assert_eq!(row["status"], "scanned", "{row}");
        assert_eq!(row["platform"]["os"], "linux", "{row}");
        assert_eq!(row["platform"]["architecture"], "amd64", "{row}");
        assert_eq!(row["os"], "Debian GNU/Linux 12 (bookworm)", "{row}");
    }
    let node = rows
        .iter()
        .find(|r| r["repository"] == format!("{ns}/node-app"))
        .unwrap();
    // minimist 1.2.5 in the node app: GHSA-xvch-5gv4-984h, CRITICAL, fixed in 1.2.6.
    assert_eq!(node["counts"]["critical"], 1, "{node}");
    assert_eq!(node["fixable"], 1, "{node}");

    // The report directory: summary.csv with a row per tag, one JSON report per image.
    let csv = fs_err::read_to_string(reports.join("summary.csv")).unwrap();
    let header = csv.lines().next().unwrap();
    assert_eq!(
        header,
        "registry,repository,tag,digest,platform,os,critical,high,medium,low,unknown,fixable,secrets,config_findings,status,scanned_at,report"
    );
    let ours: Vec<&str> = csv.lines().filter(|l| l.contains(&ns)).collect();
    assert_eq!(ours.len(), 6, "{csv}");
    // Only what the run selected: the rest of the registry was filtered out.
    assert_eq!(csv.lines().count(), 1 + 6, "{csv}");
    let node_row = ours.iter().find(|l| l.contains("/node-app,")).unwrap();
    let report_file = node_row.rsplit(',').next().unwrap();
    // The harness image runs as root with no health check and no source label, and holds no
    // secret.
    let columns: Vec<&str> = node_row.split(',').collect();
    assert_eq!((columns[12], columns[13]), ("0", "3"), "{node_row}");
    let report: Value =
        serde_json::from_str(&fs_err::read_to_string(reports.join(report_file)).unwrap()).unwrap();
    let findings = report["reports"][0]["findings"].as_array().unwrap();
    assert_eq!(findings[0]["id"], "GHSA-xvch-5gv4-984h", "{report}");

    // `results show` reads the same from the store.
    let shown = plimsoll(&[
        "results",
        "show",
        &format!("{}/{ns}/node-app:t0001", h.registry),
        "--format",
        "json",
        "--store",
        setup.store().to_str().unwrap(),
    ]);
    assert!(shown.status.success(), "{}", stderr(&shown));
    let shown: Value = serde_json::from_slice(&shown.stdout).unwrap();
    assert_eq!(
        shown["reports"][0]["findings"][0]["id"],
        "GHSA-xvch-5gv4-984h"
    );
    // The stored report keeps the layered view: the npm layer on top of the harness base
    // layers introduced the finding.
    let layers = plimsoll(&[
        "results",
        "show",
        &format!("{}/{ns}/node-app:t0001", h.registry),
        "--layers",
        "--store",
        setup.store().to_str().unwrap(),
    ]);
    assert!(layers.status.success(), "{}", stderr(&layers));
    let layers = String::from_utf8(layers.stdout).unwrap();
    assert!(
        layers.contains("0 of 1 finding come from the base image"),
        "{layers}"
    );

    // `plimsoll report --format csv` writes findings.csv beside summary.csv.
    let exported = setup.dir.path().join("csv");
    let output = plimsoll(&[
        "report",
        "--format",
        "csv",
        "--output",
        exported.to_str().unwrap(),
        "--repository",
        &ns,
        "--store",
        setup.store().to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let findings_csv = fs_err::read_to_string(exported.join("findings.csv")).unwrap();
    assert!(
        findings_csv
            .lines()
            .any(|l| l.contains("GHSA-xvch-5gv4-984h")
                && l.contains("minimist,1.2.5,1.2.6,fixed,CRITICAL")),
        "{findings_csv}"
    );
}

#[test]
fn an_unchanged_registry_is_rescanned_without_pulling_a_blob_and_rematched_offline() {
    let Some(h) = Harness::get() else { return };
    let _quiet = crate::blob_count_lock();
    let ns = namespace("rescan");
    let manifests = push(
        &h,
        "lab/node-app:1",
        &format!("{ns}/node-app"),
        &["--tags", "3", "--unique-layer"],
    );
    // Config blobs are left out of the counts: other tests' scans, running at the same time
    // against the same registry, read the configs of every tag they discover (creation dates
    // for the age filter) before their include patterns drop this namespace.
    let configs = config_digests(&h, &manifests);
    let setup = Setup::new();
    let first = setup.scan(&h, &ns, &[]);
    assert!(first.status.success(), "{}", stderr(&first));
    assert_eq!(analysed(&first).len(), 3);
    let blobs_after_first = blob_request_lines(&h, &ns, &configs).len();
    assert!(
        blobs_after_first > 0,
        "the first run must have pulled blobs"
    );

    let second = setup.scan(&h, &ns, &[]);
    assert!(second.status.success(), "{}", stderr(&second));
    assert_eq!(
        summary(&second),
        "Total: 3 = Success: 3 + Failed: 0 + Skipped: 0"
    );
    assert!(analysed(&second).is_empty(), "{}", stderr(&second));
    let after_second = blob_request_lines(&h, &ns, &configs);
    assert_eq!(
        after_second.len(),
        blobs_after_first,
        "the second run fetched blobs: {:#?}\n{}",
        &after_second[blobs_after_first.min(after_second.len())..],
        stderr(&second)
    );

    // rematch needs no registry: point it at the store only, with a fresh database.
    let output = plimsoll(&[
        "--log-format",
        "json",
        "registry",
        "rematch",
        "--store",
        setup.store().to_str().unwrap(),
        "--db-dir",
        setup.db.path().to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let done = messages(
        &log_lines(&output),
        "re-match complete (no registry contacted)",
    )
    .first()
    .copied()
    .cloned()
    .unwrap_or_else(|| panic!("{}", stderr(&output)));
    assert!(done["inventories"].as_u64().unwrap() >= 3, "{done}");
    assert_eq!(
        blob_request_lines(&h, &ns, &configs).len(),
        blobs_after_first
    );
    let rows = setup.results(&ns);
    assert!(
        rows.iter().all(|r| r["counts"]["critical"] == 1),
        "{rows:#?}"
    );
}

/// The dry run's decisions: image → (verdict, reason).
fn decisions(output: &Output) -> BTreeMap<String, (String, String)> {
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .skip(1)
        .map(|l| {
            let cols: Vec<&str> = l.split('\t').collect();
            (cols[1].to_owned(), (cols[0].to_owned(), cols[4].to_owned()))
        })
        .collect()
}

#[test]
fn filters_defaults_limits_and_include_beats_exclude() {
    let Some(h) = Harness::get() else { return };
    let ns = namespace("filters");
    let reg = &h.registry;
    // Seven fresh tags: the default keeps the five newest (t0001 is newest: pushtags makes each
    // later tag one second older).
    push(
        &h,
        "lab/debian:12",
        &format!("{ns}/many"),
        &["--tags", "7", "--unique-layer"],
    );
    // Ages 0, 100 and 400 days: the default max age (90) keeps only the first.
    push(
        &h,
        "lab/debian:12",
        &format!("{ns}/aged"),
        &["--tags", "3", "--unique-layer", "--age-days", "0,100,400"],
    );
    push(
        &h,
        "lab/debian:12",
        &format!("{ns}/other"),
        &["--tag-names", "keep,drop", "--unique-layer"],
    );
    let setup = Setup::new();
    let output = setup.scan(
        &h,
        &ns,
        &[
            "--dry-run",
            "--include",
            &format!("{reg}/{ns}/many:*"),
            "--include",
            &format!("{reg}/{ns}/aged:*"),
            "--include",
            &format!("{reg}/{ns}/other:keep"),
            "--exclude",
            &format!("{reg}/{ns}/other*"),
        ],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let d = decisions(&output);
    let verdict = |image: &str| {
        d.get(&format!("{reg}/{ns}/{image}"))
            .unwrap_or_else(|| panic!("{image} not listed: {d:#?}"))
            .clone()
    };
    for t in ["t0001", "t0002", "t0003", "t0004", "t0005"] {
        assert_eq!(verdict(&format!("many:{t}")).0, "scan", "{t}");
    }
    for t in ["t0006", "t0007"] {
        let (v, why) = verdict(&format!("many:{t}"));
        assert_eq!(v, "skip", "{t}");
        assert!(why.contains('5'), "{t}: {why}");
    }
    assert_eq!(verdict("aged:t0001").0, "scan");
    for t in ["aged:t0002", "aged:t0003"] {
        let (v, why) = verdict(t);
        assert_eq!(v, "skip", "{t}");
        assert!(why.contains("90 days"), "{t}: {why}");
    }
    // Include beats exclude: other:keep matches both.
    assert_eq!(verdict("other:keep").0, "scan");
    let (v, why) = verdict("other:drop");
    assert_eq!(v, "skip");
    assert!(why.contains("excluded by pattern"), "{why}");
    // The patterns are applied before any manifest is read: the excluded tag's was not even
    // asked for by Plimsoll, the included one's was (the registry's access log).
    let log = h.path("registry/open/registry.log");
    let manifest_asked = |tag: &str| {
        let needle = format!("/v2/{ns}/other/manifests/{tag} ");
        fs_err::read_to_string(&log)
            .unwrap_or_default()
            .lines()
            // Plimsoll's own requests: the push wrote these manifests too.
            .any(|l| l.contains(&needle) && l.contains("\"plimsoll/"))
    };
    let mut waited = 0;
    while !manifest_asked("keep") {
        assert!(
            waited < 100,
            "other:keep's manifest never shows in {}",
            log.display()
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
        waited += 1;
    }
    assert!(
        !manifest_asked("drop"),
        "the excluded tag's manifest was read"
    );
    // A dry run stores nothing.
    assert!(setup.results(&ns).is_empty());

    // Out-of-range values fail at start-up, naming the key and the range.
    for (flag, value, key) in [
        ("--max-age-days", "366", "max_age_days"),
        ("--max-age-days", "0", "max_age_days"),
        ("--max-tags-per-repository", "51", "max_tags_per_repository"),
        (
            "--max-repositories-per-registry",
            "10001",
            "max_repositories_per_registry",
        ),
        ("--max-workers", "0", "max_workers"),
    ] {
        let output = setup.scan(&h, &ns, &["--dry-run", flag, value]);
        assert_eq!(output.status.code(), Some(1), "{flag} {value}");
        let err = stderr(&output);
        assert!(
            err.contains(key) && err.contains(value),
            "{flag} {value}: {err}"
        );
    }
}

#[test]
fn configuration_file_environment_and_flags_in_that_order() {
    let Some(h) = Harness::get() else { return };
    let ns = namespace("config");
    push(
        &h,
        "lab/debian:12",
        &format!("{ns}/app"),
        &["--tags", "3", "--unique-layer"],
    );
    let setup = Setup::new();
    let password_file = setup.dir.path().join("auth-password");
    fs_err::write(&password_file, format!("{}\n", h.auth_password)).unwrap();
    let config = setup.dir.path().join("plimsoll.toml");
    fs_err::write(
        &config,
        format!(
            r#"
max_workers = 2
store = "{store}"
db_dir = "{db}"

[filter]
include = ["{reg}/{ns}/*", "{auth}/lab/*"]
max_tags_per_repository = 1
max_repositories_per_registry = 10000

[[registries]]
name = "open"
url = "http://{reg}"

[[registries]]
name = "private"
url = "http://{auth}"
user = "{user}"
password_file = "{pw}"
"#,
            store = setup.store().display(),
            db = setup.db.path().display(),
            reg = h.registry,
            auth = h.auth_registry,
            user = h.auth_user,
            pw = password_file.display(),
        ),
    )
    .unwrap();
    let config = config.to_str().unwrap();
    // The file alone: both registries, one tag per repository.
    let output = plimsoll(&[
        "--log-level",
        "trace",
        "registry",
        "scan",
        "--config",
        config,
        "--dry-run",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let d = decisions(&output);
    let scanned: Vec<&String> = d
        .iter()
        .filter(|(_, (v, _))| v == "scan")
        .map(|(k, _)| k)
        .collect();
    assert!(
        scanned.contains(&&format!("{}/{ns}/app:t0001", h.registry)),
        "{d:#?}"
    );
    assert!(
        !scanned.contains(&&format!("{}/{ns}/app:t0002", h.registry)),
        "{d:#?}"
    );
    // The authenticated registry was listed and read with the password from its file...
    assert!(
        d.contains_key(&format!("{}/lab/private:1", h.auth_registry)),
        "{d:#?}"
    );
    // ...which no log line shows, not even at trace level.
    assert!(
        !stderr(&output).contains(&h.auth_password),
        "password in the logs"
    );

    // The environment overrides the file, flags override the environment.
    let output = plimsoll_with_env(
        &["registry", "scan", "--config", config, "--dry-run"],
        &[("PLIMSOLL_FILTER__MAX_TAGS_PER_REPOSITORY", "2")],
    );
    let d = decisions(&output);
    assert_eq!(
        d[&format!("{}/{ns}/app:t0002", h.registry)].0,
        "scan",
        "{d:#?}"
    );
    let output = plimsoll_with_env(
        &[
            "registry",
            "scan",
            "--config",
            config,
            "--dry-run",
            "--max-tags-per-repository",
            "3",
        ],
        &[("PLIMSOLL_FILTER__MAX_TAGS_PER_REPOSITORY", "2")],
    );
    let d = decisions(&output);
    assert_eq!(
        d[&format!("{}/{ns}/app:t0003", h.registry)].0,
        "scan",
        "{d:#?}"
    );
    let output = plimsoll_with_env(
        &["registry", "scan", "--config", config, "--dry-run"],
        &[("PLIMSOLL_MAX_WORKERS", "65")],
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("max_workers = 65"),
        "{}",
        stderr(&output)
    );

    // A wrong password fails that registry's discovery, counted, without printing it.
    fs_err::write(&password_file, "not-the-password\n").unwrap();
    let output = plimsoll(&[
        "--log-level",
        "trace",
        "registry",
        "scan",
        "--config",
        config,
    ]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let err = stderr(&output);
    assert!(err.contains("Failed: 1"), "{err}");
    assert!(!err.contains("not-the-password"), "password in the logs");
}

#[test]
fn a_second_run_on_the_same_store_exits_at_once_unless_it_waits() {
    let Some(h) = Harness::get() else { return };
    let ns = namespace("lock");
    push(
        &h,
        "lab/debian:12",
        &format!("{ns}/app"),
        &["--tags", "1", "--unique-layer"],
    );
    let setup = Setup::new();
    // Open the store once so the lock file's directory exists.
    let first = setup.scan(&h, &ns, &[]);
    assert!(first.status.success(), "{}", stderr(&first));
    // Hold the run lock the way a running scan does (flock on <store>.lock).
    let lock = format!("{}.lock", setup.store().display());
    let mut holder = Command::new("flock")
        .args(["--exclusive", &lock, "sleep", "6"])
        .stdout(Stdio::null())
        .spawn()
        .expect("flock");
    std::thread::sleep(Duration::from_millis(300));
    let busy = setup.scan(&h, &ns, &[]);
    assert_eq!(busy.status.code(), Some(1), "{}", stderr(&busy));
    assert!(
        stderr(&busy).contains("another scan run holds the run lock"),
        "{}",
        stderr(&busy)
    );
    // --wait waits for the holder, then runs.
    let started = Instant::now();
    let waited = setup.scan(&h, &ns, &["--wait"]);
    assert!(waited.status.success(), "{}", stderr(&waited));
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "did not wait for the lock"
    );
    holder.wait().unwrap();
}

#[test]
fn a_run_killed_mid_way_loses_nothing_and_the_next_run_finishes_the_rest() {
    let Some(h) = Harness::get() else { return };
    let ns = namespace("kill");
    let tags = push(
        &h,
        "lab/python-app:1",
        &format!("{ns}/app"),
        &["--tags", "30", "--unique-layer"],
    );
    let setup = Setup::new();
    let log_path = setup.dir.path().join("first.log");
    let args = setup.scan_args(
        &h,
        &ns,
        &["--max-workers", "1", "--max-tags-per-repository", "50"],
    );
    let mut first = Command::new(env!("CARGO_BIN_EXE_plimsoll"))
        .args(&args)
        .env("DOCKER_CONFIG", "/nonexistent-plimsoll-test")
        .stderr(fs_err::File::create(&log_path).unwrap().into_file())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    // Kill it -9 once a few images are stored, early in the thirty.
    let deadline = Instant::now() + Duration::from_mins(2);
    loop {
        let stored = fs_err::read_to_string(&log_path)
            .unwrap_or_default()
            .matches("inventory stored")
            .count();
        if stored >= 3 {
            break;
        }
        assert!(
            first.try_wait().unwrap().is_none(),
            "the run ended before it could be killed"
        );
        assert!(
            Instant::now() < deadline,
            "no progress: {}",
            fs_err::read_to_string(&log_path).unwrap()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    first.kill().unwrap(); // SIGKILL
    first.wait().unwrap();
    let first_log = fs_err::read_to_string(&log_path).unwrap();
    let stored_first: BTreeSet<String> = first_log
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|l| l["message"] == "inventory stored")
        .map(|l| l["image"].as_str().unwrap().to_owned())
        .collect();
    assert!(
        stored_first.len() < tags.len(),
        "killed too late to test anything"
    );

    let second = setup.scan(&h, &ns, &["--max-tags-per-repository", "50"]);
    assert!(second.status.success(), "{}", stderr(&second));
    assert_eq!(
        summary(&second),
        "Total: 30 = Success: 30 + Failed: 0 + Skipped: 0"
    );
    let stored_second = analysed(&second);
    // Nothing finished before the kill is done again; together the runs cover every image.
    assert!(
        stored_first.is_disjoint(&stored_second),
        "{stored_first:?} ∩ {stored_second:?}"
    );
    let all: BTreeSet<String> = stored_first.union(&stored_second).cloned().collect();
    let expected: BTreeSet<String> = tags
        .keys()
        .map(|t| format!("{}/{ns}/app:{t}", h.registry))
        .collect();
    assert!(all.is_subset(&expected), "{all:?}");
    // An image whose inventory was committed just before the kill, but whose "inventory
    // stored" log line was not yet written, is in neither log: the second run found it in the
    // store. At most one per worker can be in that window.
    let silent: Vec<&String> = expected.difference(&all).collect();
    assert!(silent.len() <= 5, "not scanned by either run: {silent:?}");
    // The store holds each image once, scanned.
    let rows = setup.results(&ns);
    assert_eq!(rows.len(), 30);
    assert!(rows.iter().all(|r| r["status"] == "scanned"), "{rows:#?}");
}

/// A loopback HTTP receiver: answers 200 to every request and hands over
/// (headers, body) of each.
pub(crate) fn receiver() -> (String, std::sync::mpsc::Receiver<(String, Vec<u8>)>) {
    use std::io::{BufRead as _, BufReader, Read as _, Write as _};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut head = String::new();
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                head.push_str(&line);
            }
            let length = head
                .lines()
                .find_map(|l| {
                    let (k, v) = l.split_once(':')?;
                    k.eq_ignore_ascii_case("content-length")
                        .then(|| v.trim().parse::<usize>().ok())?
                })
                .unwrap_or(0);
            let mut body = vec![0; length];
            reader.read_exact(&mut body).unwrap();
            let _ = stream
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
            if tx.send((head, body)).is_err() {
                return;
            }
        }
    });
    (url, rx)
}

#[test]
fn a_scan_notifies_its_end_and_new_critical_findings_once() {
    let Some(h) = Harness::get() else { return };
    let ns = namespace("notify");
    push(
        &h,
        "lab/node-app:1",
        &format!("{ns}/node-app"),
        &["--tags", "1", "--unique-layer"],
    );
    let setup = Setup::new();
    let (url, events) = receiver();
    let config = setup.dir.path().join("notify.toml");
    fs_err::write(
        &config,
        format!(
            "[[notifications]]\ntype = \"webhook\"\nurl = \"{url}\"\nsecret = \"test-only-hmac-key\"\n"
        ),
    )
    .unwrap();
    let received = |count: usize| -> Vec<(String, Value)> {
        (0..count)
            .map(|_| {
                let (head, body) = events
                    .recv_timeout(std::time::Duration::from_mins(1))
                    .expect("a notification");
                (head, serde_json::from_slice(&body).unwrap())
            })
            .collect()
    };

    let first = setup.scan(&h, &ns, &["--config", config.to_str().unwrap()]);
    assert!(first.status.success(), "{}", stderr(&first));
    let mut got = received(2);
    got.sort_by_key(|(_, e)| e["type"].as_str().unwrap().to_owned());
    let (new_head, new) = &got[0];
    assert_eq!(new["type"], "findings.new", "{new}");
    assert!(
        new["image"]
            .as_str()
            .unwrap()
            .contains(&format!("{ns}/node-app")),
        "{new}"
    );
    assert_eq!(new["findings"][0]["id"], "GHSA-xvch-5gv4-984h");
    assert_eq!(new["findings"][0]["severity"], "CRITICAL");
    assert!(
        new_head
            .to_ascii_lowercase()
            .contains("x-plimsoll-signature: sha256=")
    );
    let (_, end) = &got[1];
    assert_eq!(end["type"], "run.finished", "{end}");
    assert_eq!(
        end["summary"], "Total: 1 = Success: 1 + Failed: 0 + Skipped: 0",
        "{end}"
    );

    // Nothing new the second time: only the run's end.
    let second = setup.scan(&h, &ns, &["--config", config.to_str().unwrap()]);
    assert!(second.status.success(), "{}", stderr(&second));
    let got = received(1);
    assert_eq!(got[0].1["type"], "run.finished", "{}", got[0].1);
    assert!(
        events
            .recv_timeout(std::time::Duration::from_millis(500))
            .is_err(),
        "a second event arrived"
    );
    // The HMAC key never reaches the log.
    assert!(!stderr(&first).contains("test-only-hmac-key"));
}
