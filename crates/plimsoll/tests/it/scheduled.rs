//! `plimsoll serve --config`: the registry of a registry-scan configuration scanned on a cron
//! schedule with seconds (every 3 s), a manual trigger refused with 409 while a run of the
//! registry is queued or running, and a tag pushed meanwhile scanned by a later run while the
//! unchanged tags are not pulled again.

use std::collections::BTreeMap;
use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::Harness;
use crate::registry_scan::{Setup, blob_request_lines, namespace, push};
use crate::serve::Server;

/// How long any one awaited event may take on a loaded machine: a limit, not a timing.
const PATIENCE: Duration = Duration::from_mins(5);

/// Polls `probe` until it gives a value; panics with `what` after [`PATIENCE`].
pub(crate) fn wait_for<T>(what: &str, mut probe: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(value) = probe() {
            return value;
        }
        assert!(start.elapsed() < PATIENCE, "gave up waiting for {what}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// tag → status of the repository's images in the API.
fn tags(server: &Server, token: &str, repository: &str) -> BTreeMap<String, String> {
    let list = server.get_json(
        &format!("/api/v1/images?repository={repository}&per_page=500"),
        token,
    );
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["tag"].as_str().unwrap().to_owned(),
                i["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// The layer digests of `repository:tag` in the open registry, base first (`pushtags.py
/// --unique-layer` puts the tag's own layer last).
fn manifest_layers(h: &Harness, repository: &str, tag: &str) -> Vec<String> {
    let mut stream = TcpStream::connect(&h.registry).unwrap();
    write!(
        stream,
        "GET /v2/{repository}/manifests/{tag} HTTP/1.1\r\nHost: {}\r\nAccept: \
         application/vnd.oci.image.manifest.v1+json, \
         application/vnd.docker.distribution.manifest.v2+json\r\nConnection: close\r\n\r\n",
        h.registry
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let (head, body) = response.split_once("\r\n\r\n").unwrap();
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    let manifest: Value = serde_json::from_str(body).unwrap();
    manifest["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["digest"].as_str().unwrap().to_owned())
        .collect()
}

fn lab(server: &Server, token: &str) -> Value {
    let list = server.get_json("/api/v1/registries", token);
    assert_eq!(list["items"].as_array().unwrap().len(), 1, "{list}");
    list["items"][0].clone()
}

#[test]
fn scheduled_runs_fire_a_busy_registry_refuses_a_trigger_and_only_new_tags_are_pulled() {
    let Some(h) = Harness::get() else { return };
    let _quiet = crate::blob_count_lock();
    let ns = namespace("sched");
    let repository = format!("{ns}/node-app");
    push(
        &h,
        "lab/node-app:1",
        &repository,
        &["--tags", "3", "--unique-layer"],
    );
    let setup = Setup::new();
    let config = setup.dir().join("plimsoll.toml");
    fs_err::write(
        &config,
        format!(
            r#"
store = "{store}"
db_dir = "{db}"
max_workers = 2

[filter]
include = ["{registry}/{ns}/*"]
# The lab registry accumulates repositories across local runs; never cap them away.
max_repositories_per_registry = 10000

[[registries]]
name = "lab"
url = "http://{registry}"
schedule = "*/3 * * * * *"
password = "never-shown-by-the-api"
user = "nobody"
"#,
            store = setup.store().display(),
            db = setup.db_dir().display(),
            registry = h.registry,
        ),
    )
    .unwrap();
    let server = Server::start_with(&[
        "--log-format",
        "json",
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--config",
        config.to_str().unwrap(),
    ]);
    let token = server
        .admin_token
        .clone()
        .expect("first start: admin token");

    let registry = lab(&server, &token);
    assert_eq!(registry["name"], "lab");
    assert_eq!(registry["schedule"], "cron */3 * * * * * (UTC)");
    assert!(!registry.to_string().contains("never-shown"), "{registry}");

    // The schedule fires without anyone asking: a finished run, and the three tags scanned.
    wait_for("a scheduled run to finish", || {
        let runs = server.get_json("/api/v1/runs", &token);
        runs["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["status"] == "completed")
            .then_some(())
    });
    wait_for("the three tags to be scanned", || {
        let found = tags(&server, &token, &repository);
        (found.len() == 3 && found.values().all(|s| s == "scanned")).then_some(())
    });
    let last = lab(&server, &token)["last_run"].clone();
    assert_eq!(last["trigger"], "schedule", "{last}");
    let blobs_first = blob_request_lines(&h, &ns, &std::collections::BTreeSet::new()).len();
    assert!(blobs_first > 0, "the first run pulled blobs");

    // A manual trigger is accepted when the registry is idle; another one while that run is
    // queued or running is refused. Runs every 3 s keep the registry busy most of the time,
    // so try until a 202 is followed by a refusal (each answer is checked as it comes).
    wait_for("an accepted trigger followed by a refused one", || {
        let (status, body) = server.request("POST", "/api/v1/registries/lab/scans", Some(&token));
        if status == 409 {
            assert!(body.contains("\"code\":\"conflict\""), "{body}");
            assert!(
                body.contains("already running") || body.contains("already queued"),
                "{body}"
            );
            return None;
        }
        assert_eq!(status, 202, "{body}");
        assert!(body.contains("\"trigger\":\"manual\""), "{body}");
        let (again, body) = server.request("POST", "/api/v1/registries/lab/scans", Some(&token));
        if again == 409 {
            assert!(
                body.contains("a run of registry `lab` is already"),
                "{body}"
            );
            return Some(());
        }
        // The manual run finished between the two requests; try again.
        assert_eq!(again, 202, "{body}");
        None
    });
    let (status, body) = server.request("POST", "/api/v1/registries/nope/scans", Some(&token));
    assert_eq!(status, 404, "{body}");

    // The same from the command line: `registry scan --server`.
    let url = format!("http://{}", server.address);
    let cli = |registry: &str| {
        crate::plimsoll(&[
            "registry",
            "scan",
            "--server",
            &url,
            "--token",
            &token,
            "--registry",
            registry,
        ])
    };
    let unknown = cli("nope");
    assert!(!unknown.status.success());
    assert!(
        crate::stderr(&unknown).contains("no registry named `nope`"),
        "{}",
        crate::stderr(&unknown)
    );
    wait_for("a scan queued from the command line", || {
        let output = cli("lab");
        let text = crate::stderr(&output);
        if output.status.success() {
            assert!(text.contains("scan of registry `lab` queued"), "{text}");
            Some(())
        } else {
            assert!(text.contains("409") && text.contains("already"), "{text}");
            None
        }
    });

    // A new tag: a later run scans it; the unchanged tags are not pulled again.
    let before = blob_request_lines(&h, &ns, &std::collections::BTreeSet::new());
    let pushed = push(
        &h,
        "lab/node-app:1",
        &repository,
        &["--tag-names", "new", "--unique-layer"],
    );
    assert_eq!(pushed.len(), 1);
    wait_for("the new tag to be scanned", || {
        let found = tags(&server, &token, &repository);
        (found.get("new").map(String::as_str) == Some("scanned")).then_some(())
    });
    let after = blob_request_lines(&h, &ns, &std::collections::BTreeSet::new());
    let new_blobs = &after[before.len()..];
    assert!(!new_blobs.is_empty(), "the new tag's blobs were pulled");
    // The new tag's own layer was pulled; no layer of an unchanged tag was. (Configs are left
    // out: the metadata phase reads one again when the store cannot answer for its digest, a
    // read, not a pull.)
    let own_layer = manifest_layers(&h, &repository, "new").pop().unwrap();
    assert!(
        new_blobs.iter().any(|l| l.contains(&own_layer)),
        "the new tag's layer was pulled: {new_blobs:#?}"
    );
    for tag in ["t0001", "t0002", "t0003"] {
        let unique = manifest_layers(&h, &repository, tag).pop().unwrap();
        assert!(
            !new_blobs.iter().any(|l| l.contains(&unique)),
            "{tag}'s layer was pulled again: {new_blobs:#?}"
        );
    }

    // What Prometheus would scrape: the runs, the images, the registry's answers and the
    // database in use, all from this server's own work.
    let (status, exposition) = server.request("GET", "/metrics", Some(&token));
    assert_eq!(status, 200, "{exposition}");
    let value = |series: &str| -> f64 {
        exposition
            .lines()
            .find_map(|l| l.strip_prefix(series).map(|v| v.trim().parse().unwrap()))
            .unwrap_or_else(|| panic!("no {series} in {exposition}"))
    };
    assert!(value("plimsoll_scan_runs_total{status=\"completed\"}") >= 3.0);
    // The registry label is the host; every tag of this test (4) was scanned at least once.
    assert!(
        value("plimsoll_images_scanned_total{registry=\"lab\",status=\"success\"}") >= 4.0,
        "{exposition}"
    );
    assert!(
        value(&format!(
            "plimsoll_registry_requests_total{{registry=\"{}\",status=\"200\"}}",
            h.registry
        )) > 0.0
    );
    let built = value("plimsoll_vulndb_built_timestamp_seconds");
    let db_status = crate::plimsoll(&[
        "db",
        "status",
        "--format",
        "json",
        "--db-dir",
        setup.db_dir().to_str().unwrap(),
    ]);
    let db_status: Value = serde_json::from_slice(&db_status.stdout).unwrap();
    let built_at = time::OffsetDateTime::parse(
        db_status["built_at"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    assert_eq!(built.to_string(), built_at.unix_timestamp().to_string());
    assert!(
        exposition.contains("plimsoll_scan_queue_depth "),
        "{exposition}"
    );
    assert!(
        exposition.contains("plimsoll_image_scan_duration_seconds_bucket{registry=\"lab\","),
        "{exposition}"
    );

    let (status, lines) = server.stop();
    assert!(status.success(), "{}", lines.join("\n"));
    // Across every run (scheduled every 3 s, and the manual ones), each tag's image was
    // pulled and analysed once: the unchanged ones never again, the new one once.
    let mut stored: BTreeMap<String, usize> = BTreeMap::new();
    for line in &lines {
        let Ok(json) = serde_json::from_str::<Value>(line) else {
            continue;
        };
        if json["message"] == "inventory stored" {
            let image = json["image"].as_str().unwrap().to_owned();
            *stored.entry(image).or_default() += 1;
        }
    }
    let expected: BTreeMap<String, usize> = ["t0001", "t0002", "t0003", "new"]
        .iter()
        .map(|t| (format!("{}/{repository}:{t}", h.registry), 1))
        .collect();
    assert_eq!(stored, expected, "{}", lines.join("\n"));
    assert!(
        lines.iter().filter(|l| l.contains("scan finished")).count() >= 3,
        "several runs: {}",
        lines.join("\n")
    );
}

#[test]
fn a_bad_schedule_stops_the_start_naming_the_registry_and_the_key() {
    let dir = tempfile::tempdir().unwrap();
    for (keys, says) in [
        ("interval = \"2m\"", "interval `2m`: out of range (5m..=7d)"),
        ("schedule = \"0 6 * *\"", "schedule `0 6 * *`"),
        (
            "timezone = \"Europe/Pariss\"",
            "timezone `Europe/Pariss`: neither a fixed offset such as +02:00 nor a time-zone \
             name of the IANA database",
        ),
        (
            "schedule = \"0 6 * * 6\"\ninterval = \"6h\"",
            "set either schedule or interval, not both",
        ),
    ] {
        let config = dir.path().join("plimsoll.toml");
        fs_err::write(
            &config,
            format!("[[registries]]\nname = \"lab\"\nurl = \"http://127.0.0.1:5000\"\n{keys}\n"),
        )
        .unwrap();
        let output = crate::plimsoll(&[
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--store",
            dir.path().join("store.sqlite").to_str().unwrap(),
            "--config",
            config.to_str().unwrap(),
        ]);
        assert!(!output.status.success(), "{keys}");
        let text = crate::stderr(&output);
        assert!(
            text.contains("registry `lab`") && text.contains(says),
            "{keys}: {text}"
        );
    }
}

#[test]
fn sigterm_stops_a_run_between_images_and_loses_nothing_finished() {
    let Some(h) = Harness::get() else { return };
    let _quiet = crate::blob_count_lock();
    let ns = namespace("sched-stop");
    let repository = format!("{ns}/node-app");
    push(
        &h,
        "lab/node-app:1",
        &repository,
        &["--tags", "30", "--unique-layer"],
    );
    let setup = Setup::new();
    let config = setup.dir().join("plimsoll.toml");
    fs_err::write(
        &config,
        format!(
            r#"
store = "{store}"
db_dir = "{db}"
max_workers = 1

[filter]
include = ["{registry}/{ns}/*"]
max_tags_per_repository = 50
max_repositories_per_registry = 10000

[[registries]]
name = "lab"
url = "http://{registry}"
scan_on_start = true
"#,
            store = setup.store().display(),
            db = setup.db_dir().display(),
            registry = h.registry,
        ),
    )
    .unwrap();
    let server = Server::start_with(&[
        "--log-format",
        "json",
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--config",
        config.to_str().unwrap(),
    ]);
    let token = server.admin_token.clone().unwrap();
    // scan_on_start: a run starts; once it has stored an image, SIGTERM.
    let run = wait_for("the run on start to store an image", || {
        let registry = lab(&server, &token);
        let run = registry["run"].as_i64()?;
        let detail = server.get_json(&format!("/api/v1/runs/{run}"), &token);
        (detail["outcomes"]["total"].as_u64()? >= 1).then_some(run)
    });
    assert_eq!(lab(&server, &token)["trigger"], "start");
    let (status, lines) = server.stop();
    let log = lines.join("\n");
    assert!(status.success(), "{log}");
    assert!(
        log.contains("run stopped on request between images"),
        "{log}"
    );

    // The store holds the run as interrupted, with every image it finished.
    let server = Server::start_with(&[
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--store",
        setup.store().to_str().unwrap(),
    ]);
    let detail = server.get_json(&format!("/api/v1/runs/{run}?per_page=500"), &token);
    assert_eq!(detail["run"]["status"], "interrupted", "{detail}");
    let done = detail["outcomes"]["total"].as_u64().unwrap();
    assert!((1..30).contains(&done), "{detail}");
    assert_eq!(detail["run"]["totals"]["success"].as_u64().unwrap(), done);
    let scanned = tags(&server, &token, &repository)
        .values()
        .filter(|s| *s == "scanned")
        .count();
    assert_eq!(
        scanned as u64, done,
        "every finished image is in the results"
    );
    let (status, lines) = server.stop();
    assert!(status.success(), "{lines:?}");
}
