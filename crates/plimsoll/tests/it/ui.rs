//! The web UI in a real browser: `plimsoll serve --config` over a store filled by a real
//! `registry scan` of images pushed to the lab registry, walked by headless Chromium through
//! playwright-core (`tests/browser/ui.mjs`): login with a token, the dashboard's chart against
//! the API's counts, registry → repository → tag → image, the Layers tab against the image's
//! own config history, the findings CSV downloaded, a CVE page.
//!
//! Needs the registry harness and the browser tools of `scripts/tools/browser.sh`
//! (`PLIMSOLL_TOOLS_CHROMIUM`, `PLIMSOLL_TOOLS_PLAYWRIGHT`): without them it skips with a
//! message, except under CI, where it fails. With `PLIMSOLL_UI_SCREENSHOTS=DIR` the script also
//! saves the screenshots of `docs/screenshots/`.

use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::path::Path;
use std::process::Command;

use serde_json::{Value, json};

use crate::registry_scan::{Setup, namespace, push};
use crate::serve::Server;
use crate::{Harness, stderr, tool_env};

/// GET `path` from the open lab registry: the body.
fn registry_get(h: &Harness, path: &str, accept: &str) -> Vec<u8> {
    let mut stream = TcpStream::connect(&h.registry).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {}\r\nAccept: {accept}\r\nConnection: close\r\n\r\n",
        h.registry
    )
    .unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).unwrap();
    let split = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("an HTTP answer");
    let head = String::from_utf8_lossy(&response[..split]);
    assert!(head.starts_with("HTTP/1.1 200"), "{path}: {head}");
    assert!(
        !head
            .to_ascii_lowercase()
            .contains("transfer-encoding: chunked"),
        "{head}"
    );
    response[split + 4..].to_vec()
}

/// The `created_by` of the first history entry that made a layer, from the image's config in
/// the registry: what the Layers tab must show for layer 0.
fn first_layer_command(h: &Harness, repository: &str, tag: &str) -> String {
    let manifest: Value = serde_json::from_slice(&registry_get(
        h,
        &format!("/v2/{repository}/manifests/{tag}"),
        "application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json",
    ))
    .unwrap();
    let config_digest = manifest["config"]["digest"].as_str().unwrap();
    let config: Value = serde_json::from_slice(&registry_get(
        h,
        &format!("/v2/{repository}/blobs/{config_digest}"),
        "*/*",
    ))
    .unwrap();
    config["history"]
        .as_array()
        .unwrap()
        .iter()
        .find(|entry| entry["empty_layer"] != true)
        .and_then(|entry| entry["created_by"].as_str())
        .expect("a history entry with a layer and a created_by")
        .to_owned()
}

#[test]
fn a_browser_logs_in_reads_the_dashboard_and_drills_down_to_an_images_layers_and_csv() {
    let Some(h) = Harness::get() else { return };
    let (Some(chromium), Some(playwright)) = (
        tool_env("PLIMSOLL_TOOLS_CHROMIUM"),
        tool_env("PLIMSOLL_TOOLS_PLAYWRIGHT"),
    ) else {
        return;
    };
    let ns = namespace("ui");
    let node = format!("{ns}/node-app");
    let pushed = push(
        &h,
        "lab/node-app:1",
        &node,
        &["--tags", "1", "--unique-layer"],
    );
    let tag = pushed.keys().next().expect("one tag pushed").clone();
    push(
        &h,
        "lab/python-app:1",
        &format!("{ns}/python-app"),
        &["--tags", "1", "--unique-layer"],
    );
    let setup = Setup::new();
    let output = setup.scan(&h, &ns, &[]);
    assert!(output.status.success(), "{}", stderr(&output));

    let config = setup.dir().join("plimsoll.toml");
    fs_err::write(
        &config,
        format!(
            r#"
store = "{store}"
db_dir = "{db}"

[filter]
include = ["{registry}/{ns}/*"]
max_repositories_per_registry = 10000

[[registries]]
name = "lab"
url = "http://{registry}"
schedule = "0 6 * * 6"
"#,
            store = setup.store().display(),
            db = setup.db_dir().display(),
            registry = h.registry,
        ),
    )
    .unwrap();
    let server = Server::start_with(&[
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

    // What the API says the chart must show: the list's counts, summed.
    let list = server.get_json("/api/v1/images?per_page=500", &token);
    assert_eq!(list["total"], 2, "{list}");
    let mut counts = json!({});
    for severity in ["critical", "high", "medium", "low", "unknown"] {
        let sum: u64 = list["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["counts"][severity].as_u64().unwrap())
            .sum();
        counts[severity] = json!(sum);
    }
    assert!(counts["critical"].as_u64().unwrap() >= 1, "{counts}");

    // The finding and its CVE alias, as the API reports them for the node image.
    let found = server.get_json("/api/v1/images?cve=GHSA-xvch-5gv4-984h", &token);
    let digest = found["items"][0]["manifest_digest"]
        .as_str()
        .unwrap()
        .to_owned();
    let report = server.get_json(&format!("/api/v1/images/{digest}"), &token);
    let finding = &report["reports"][0]["findings"][0];
    assert_eq!(finding["id"], "GHSA-xvch-5gv4-984h", "{report}");
    let cve = finding["aliases"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .find(|a| a.starts_with("CVE-"))
        .expect("a CVE alias")
        .to_owned();

    let critical_images =
        server.get_json("/api/v1/images?severity=critical", &token)["total"].clone();

    let expect = json!({
        "counts": counts,
        "registry": h.registry,
        "repository": node,
        "tag": tag,
        "created_by": first_layer_command(&h, &node, &tag),
        "finding": "GHSA-xvch-5gv4-984h",
        "cve": cve,
        "critical_images": critical_images,
        "package": "minimist",
        "csv_header": "platform,id,aliases,package,installed,fixed_versions,status,severity,cvss_score,layer",
    });
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser/ui.mjs");
    let mut command = Command::new("node");
    command
        .arg(&script)
        .env("PLIMSOLL_UI_URL", format!("http://{}", server.address))
        .env("PLIMSOLL_UI_TOKEN", &token)
        .env("PLIMSOLL_UI_EXPECT", expect.to_string())
        .env("PLIMSOLL_TOOLS_CHROMIUM", &chromium)
        .env("PLIMSOLL_TOOLS_PLAYWRIGHT", &playwright);
    if let Ok(dir) = std::env::var("PLIMSOLL_UI_SCREENSHOTS") {
        command.env("PLIMSOLL_UI_SCREENSHOTS", dir);
    }
    let output = command.output().expect("run node");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let result: Value = serde_json::from_str(stdout.trim()).unwrap_or_else(|e| {
        panic!(
            "the browser script printed no result ({e}): {stdout}\n{}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    assert_eq!(
        result["ok"],
        true,
        "{result}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.success());
    let checks: Vec<&str> = result["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    for needed in [
        "the dashboard has the severity chart",
        "the Layers tab shows a created_by command of the image",
        "the CSV has the finding's row",
        "the CVE page lists the repository",
        "no script errors on any page",
    ] {
        assert!(checks.contains(&needed), "{needed} not checked: {checks:?}");
    }

    let (status, lines) = server.stop();
    assert!(status.success(), "{lines:?}");
    // The token is on its one first-start line only: logging in through the form logs nothing
    // of it.
    assert_eq!(lines.join("\n").matches(&token).count(), 1, "{lines:?}");
}
