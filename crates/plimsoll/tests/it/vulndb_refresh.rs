//! `plimsoll serve --config` and the vulnerability database: a `plimsoll db import` run beside
//! the server makes it re-match the stored images without a registry request and send
//! `findings.new` for the advisory it added; a refresh from a feed that fails keeps the last
//! good database and sends `db.update_failed`; an image not scanned for longer than
//! `stale_after` is reported once as `image.stale`.

use std::collections::BTreeSet;
use std::io::{BufRead as _, BufReader, Write as _};
use std::net::TcpListener;
use std::sync::mpsc::{Receiver, channel};
use std::time::Duration;

use serde_json::Value;

use crate::registry_scan::{Setup, blob_request_lines, namespace, push, receiver};
use crate::scheduled::wait_for;
use crate::serve::Server;
use crate::{Harness, plimsoll, stderr};

/// A made-up advisory, clearly a test record, about a package `lab/node-app:1` really has
/// (`accepts` 1.3.8; the range is invented).
const TEST_ADVISORY: &str = "PLM-TEST-2026-0001";

fn write_test_advisory(dir: &std::path::Path) -> std::path::PathBuf {
    let feed = dir.join("extra-osv");
    fs_err::create_dir_all(&feed).unwrap();
    let record = serde_json::json!({
        "schema_version": "1.6.0",
        "id": TEST_ADVISORY,
        "modified": "2026-11-26T00:00:00Z",
        "published": "2026-11-26T00:00:00Z",
        "summary": "TEST RECORD for Plimsoll's test suite: not a real vulnerability",
        "details": "Written by crates/plimsoll/tests/it/vulndb_refresh.rs; the range is invented.",
        "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],
        "affected": [{
            "package": {"ecosystem": "npm", "name": "accepts"},
            "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "1.3.9"}]}]
        }]
    });
    fs_err::write(
        feed.join(format!("{TEST_ADVISORY}.json")),
        serde_json::to_vec_pretty(&record).unwrap(),
    )
    .unwrap();
    feed
}

/// The next webhook event of `kind`, skipping others (returned too, in order).
fn next_event(events: &Receiver<(String, Vec<u8>)>, kind: &str) -> (Value, Vec<Value>) {
    let mut skipped = Vec::new();
    loop {
        let (_, body) = events
            .recv_timeout(Duration::from_mins(5))
            .unwrap_or_else(|_| panic!("no {kind} event; got {skipped:#?}"));
        let event: Value = serde_json::from_slice(&body).unwrap();
        if event["type"] == kind {
            return (event, skipped);
        }
        skipped.push(event);
    }
}

/// A loopback feed that answers `500` to every request, each only once the test lets it
/// (so an update can be caught while it runs).
fn failing_feed() -> (String, std::sync::mpsc::Sender<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/osv/all.zip", listener.local_addr().unwrap());
    let (release, released) = channel::<()>();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
            }
            if released.recv().is_err() {
                return;
            }
            let _ = stream.write_all(
                b"HTTP/1.1 500 Internal Server Error\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
            );
        }
    });
    (url, release)
}

fn config(setup: &Setup, h: &Harness, ns: &str, extra: &str) -> std::path::PathBuf {
    let path = setup.dir().join("plimsoll.toml");
    fs_err::write(
        &path,
        format!(
            r#"
store = "{store}"
db_dir = "{db}"

[filter]
include = ["{registry}/{ns}/*"]
max_repositories_per_registry = 10000

{extra}

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
    path
}

fn ids(event: &Value) -> BTreeSet<String> {
    event["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_owned())
        .collect()
}

fn images_with(server: &Server, token: &str, id: &str, repository: &str) -> Vec<Value> {
    let list = server.get_json(
        &format!("/api/v1/images?cve={id}&repository={repository}"),
        token,
    );
    list["items"].as_array().unwrap().clone()
}

#[test]
fn a_db_import_beside_the_server_is_rematched_without_pulling_and_a_failed_update_keeps_the_db() {
    let Some(h) = Harness::get() else { return };
    // Runs on other stores read every tag's config (metadata first): hold them off while this
    // test counts its namespace's blob requests.
    let _quiet = crate::blob_count_lock();
    let ns = namespace("dbrefresh");
    let repository = format!("{ns}/node-app");
    push(
        &h,
        "lab/node-app:1",
        &repository,
        &["--tags", "1", "--unique-layer"],
    );
    let setup = Setup::new();
    let (hook, events) = receiver();
    let (feed, release_feed) = failing_feed();
    let config = config(
        &setup,
        &h,
        &ns,
        &format!(
            "[vulndb]\nupdate_interval = \"off\"\nsources = [\"{feed}\"]\n\n\
             [[notifications]]\ntype = \"webhook\"\nurl = \"{hook}\"\nmax_attempts = 1\n"
        ),
    );
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

    // scan_on_start: the image is scanned (minimist's advisory is new to it), the run ends.
    let (new, _) = next_event(&events, "findings.new");
    assert!(ids(&new).contains("GHSA-xvch-5gv4-984h"), "{new}");
    next_event(&events, "run.finished");
    wait_for("the image to be scanned", || {
        (images_with(&server, &token, "GHSA-xvch-5gv4-984h", &repository).len() == 1).then_some(())
    });
    assert!(images_with(&server, &token, TEST_ADVISORY, &repository).is_empty());
    let before = server.get_json("/api/v1/vulndb", &token);
    assert_eq!(before["configured"], true, "{before}");
    assert_eq!(before["update_interval"], "off", "{before}");
    assert_eq!(before["rematch"]["registries"][0], h.registry, "{before}");
    let blobs_before = blob_request_lines(&h, &ns, &BTreeSet::new());
    assert!(!blobs_before.is_empty(), "the scan pulled blobs");

    // `plimsoll db import` from the command line, beside the running server.
    let feed_dir = write_test_advisory(setup.dir());
    let imported = plimsoll(&[
        "db",
        "import",
        feed_dir.to_str().unwrap(),
        "--db-dir",
        setup.db_dir().to_str().unwrap(),
    ]);
    assert!(imported.status.success(), "{}", stderr(&imported));

    // The server notices the new build, re-matches, and tells what is new: only the test
    // advisory (minimist's was known before).
    let (new, skipped) = next_event(&events, "findings.new");
    assert!(skipped.is_empty(), "{skipped:#?}");
    assert_eq!(
        ids(&new),
        BTreeSet::from([TEST_ADVISORY.to_owned()]),
        "{new}"
    );
    assert_eq!(new["findings"][0]["package"], "accepts", "{new}");
    assert_eq!(new["findings"][0]["severity"], "CRITICAL", "{new}");
    assert!(
        new["image"].as_str().unwrap().contains(&repository),
        "{new}"
    );
    let found = images_with(&server, &token, TEST_ADVISORY, &repository);
    assert_eq!(found.len(), 1, "{found:#?}");
    let status = wait_for("the re-match to be recorded", || {
        let status = server.get_json("/api/v1/vulndb", &token);
        (status["rematch"]["last"]["status"] == "completed").then_some(status)
    });
    assert_ne!(status["generation"], before["generation"], "{status}");
    let rematch = &status["rematch"]["last"];
    assert!(rematch["inventories"].as_u64().unwrap() >= 1, "{status}");
    assert_eq!(rematch["images_with_new_findings"], 1, "{status}");
    let run = rematch["run"].as_i64().unwrap();
    let record = server.get_json(&format!("/api/v1/runs/{run}"), &token);
    assert_eq!(record["run"]["status"], "completed", "{record}");
    assert!(
        record["run"]["description"]
            .as_str()
            .unwrap()
            .starts_with("rematch after a vulnerability database update"),
        "{record}"
    );
    // Not one registry request for the re-match.
    let blobs_after = blob_request_lines(&h, &ns, &BTreeSet::new());
    assert_eq!(
        blobs_after.len(),
        blobs_before.len(),
        "{:#?}",
        &blobs_after[blobs_before.len()..]
    );

    // An update from a feed that fails: accepted, refused again while it runs, then failed,
    // told, and the last good database stays in use.
    let (code, body) = server.request("POST", "/api/v1/vulndb/updates", Some(&token));
    assert_eq!(code, 202, "{body}");
    assert!(body.contains("\"trigger\":\"manual\""), "{body}");
    let (code, body) = server.request("POST", "/api/v1/vulndb/updates", Some(&token));
    assert_eq!(code, 409, "{body}");
    assert!(body.contains("already"), "{body}");
    release_feed.send(()).unwrap();
    let (failed, _) = next_event(&events, "db.update_failed");
    assert!(
        failed["reason"].as_str().unwrap().contains("500"),
        "{failed}"
    );
    assert!(
        failed["reason"].as_str().unwrap().contains(&feed),
        "{failed}"
    );
    assert!(!failed["last_good_built_at"].is_null(), "{failed}");
    let status = wait_for("the failure to be recorded", || {
        let s = server.get_json("/api/v1/vulndb", &token);
        (s["last_update"]["status"] == "failed").then_some(s)
    });
    assert!(
        status["last_update"]["error"]
            .as_str()
            .unwrap()
            .contains("500"),
        "{status}"
    );
    assert_eq!(status["last_update"]["new_build"], false, "{status}");
    assert_eq!(status["built_at"], failed["last_good_built_at"], "{status}");
    // The old database still matches: a scan now finds both advisories again.
    let (code, body) = server.request("POST", "/api/v1/registries/lab/scans", Some(&token));
    assert_eq!(code, 202, "{body}");
    next_event(&events, "run.finished");
    for id in ["GHSA-xvch-5gv4-984h", TEST_ADVISORY] {
        assert_eq!(
            images_with(&server, &token, id, &repository).len(),
            1,
            "{id}"
        );
    }
    let (code, _) = server.stop();
    assert!(code.success());
}

#[test]
fn an_image_not_scanned_for_longer_than_stale_after_is_reported_once() {
    let Some(h) = Harness::get() else { return };
    let ns = namespace("stale");
    let repository = format!("{ns}/node-app");
    let tags = push(
        &h,
        "lab/node-app:1",
        &repository,
        &["--tags", "2", "--unique-layer"],
    );
    let setup = Setup::new();
    let (hook, events) = receiver();
    let config = config(
        &setup,
        &h,
        &ns,
        &format!(
            "[vulndb]\nupdate_interval = \"off\"\n\n[alerts]\nstale_after = \"1m\"\n\n\
             [[notifications]]\ntype = \"webhook\"\nurl = \"{hook}\"\nevents = [\"image.stale\"]\n"
        ),
    );
    let server = Server::start_with(&[
        "--log-format",
        "json",
        "--log-level",
        "debug",
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--config",
        config.to_str().unwrap(),
    ]);
    // scan_on_start scans both tags once; the schedule (Saturdays) does not come again.
    let mut reported = BTreeSet::new();
    for _ in 0..tags.len() {
        let (stale, _) = next_event(&events, "image.stale");
        assert_eq!(stale["hours"], 0, "{stale}");
        assert!(!stale["last_scanned"].is_null(), "{stale}");
        assert!(
            reported.insert(stale["image"].as_str().unwrap().to_owned()),
            "reported twice: {stale}"
        );
    }
    let expected: BTreeSet<String> = tags
        .keys()
        .map(|t| format!("{}/{repository}:{t}", h.registry))
        .collect();
    assert_eq!(reported, expected);
    // Later checks find them still stale and say nothing more: wait until the log shows two
    // more checks after the last report, then no further event may have arrived.
    let quiet_checks = |lines: &[String]| -> usize {
        let checks: Vec<Value> = lines
            .iter()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .filter(|l| l["message"] == "image.stale check")
            .collect();
        let last_report = checks.iter().rposition(|c| c["new"] != 0);
        last_report.map_or(0, |i| {
            checks[i + 1..]
                .iter()
                .filter(|c| c["stale"] == 2 && c["new"] == 0)
                .count()
        })
    };
    wait_for("two more stale checks", || {
        (quiet_checks(&server.log_so_far()) >= 2).then_some(())
    });
    let (code, lines) = server.stop();
    assert!(code.success());
    assert!(quiet_checks(&lines) >= 2);
    assert!(events.try_recv().is_err(), "an event was repeated");
}

#[test]
fn the_refresh_and_alert_keys_are_validated_before_the_server_listens() {
    let setup = Setup::new();
    let config = setup.dir().join("plimsoll.toml");
    // Top-level keys first (TOML puts any key after a table header into that table).
    let file = |tables: &str, registry: &str| {
        format!(
            "db_dir = \"{}\"\n\n{tables}\n[[registries]]\nname = \"lab\"\nurl = \"http://127.0.0.1:5000\"\n{registry}\n",
            setup.db_dir().display()
        )
    };
    for (keys, says) in [
        (
            "[vulndb]\nupdate_interval = \"2m\"\n",
            "vulndb.update_interval `2m`: out of range (5m..=7d)",
        ),
        (
            "[vulndb]\nupdate_interval = \"hourly\"\n",
            "vulndb.update_interval `hourly`: a unit needs a number before it",
        ),
        (
            "[vulndb]\nsources = [\" \"]\n",
            "vulndb.sources: an empty source",
        ),
        (
            "[vulndb]\nupdate_every = \"6h\"\n",
            "found `update_every`, expected `one of `update_interval`",
        ),
        (
            "[alerts]\nstale_after = \"30s\"\n",
            "alerts.stale_after `30s`: out of range (1m..=365d)",
        ),
        ("[alerts]\nstale_before = \"1h\"\n", "found `stale_before`"),
    ] {
        fs_err::write(&config, file(keys, "")).unwrap();
        let output = plimsoll(&[
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--store",
            setup.store().to_str().unwrap(),
            "--config",
            config.to_str().unwrap(),
        ]);
        assert!(!output.status.success(), "{keys}");
        let text = stderr(&output);
        assert!(text.contains(says), "{keys}: {text}");
        assert!(!text.contains("listening on"), "{keys}: {text}");
    }

    // Valid keys: shown by the API (no scan, no update runs: nothing is due).
    fs_err::write(
        &config,
        file(
            "[vulndb]\nupdate_interval = \"off\"\nsources = [\"/srv/osv\"]\n\n[alerts]\nstale_after = \"48h\"\n",
            "rescan_on_db_update = false",
        ),
    )
    .unwrap();
    let server = Server::start_with(&[
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--store",
        setup.store().to_str().unwrap(),
        "--config",
        config.to_str().unwrap(),
    ]);
    let token = server.admin_token.clone().unwrap();
    let status = server.get_json("/api/v1/vulndb", &token);
    assert_eq!(status["configured"], true, "{status}");
    assert_eq!(status["update_interval"], "off", "{status}");
    assert_eq!(status["next_update"], Value::Null, "{status}");
    assert_eq!(
        status["sources"],
        serde_json::json!(["/srv/osv"]),
        "{status}"
    );
    assert_eq!(status["records"], 4, "{status}");
    assert_eq!(status["state"], "idle", "{status}");
    assert_eq!(
        status["rematch"]["registries"],
        serde_json::json!([]),
        "{status}"
    );
    let (code, body) = server.request("POST", "/api/v1/vulndb/updates", None);
    assert_eq!(code, 401, "{body}");
    let (code, _) = server.stop();
    assert!(code.success());
}
