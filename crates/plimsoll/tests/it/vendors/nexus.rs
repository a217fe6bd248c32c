//! Sonatype Nexus: `type = "nexus"` lists through the Distribution endpoints a Nexus Docker
//! repository serves on its connector port (`/v2/_catalog`, `/v2/<name>/tags/list`; Nexus
//! "Docker Registry" documentation, <https://help.sonatype.com/en/docker-registry.html>). No
//! Nexus runs here; the connector's side of the protocol is the lab registry itself, so this
//! checks that the type is accepted, dispatched and runs the whole path.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::registry_scan::{Setup, namespace, push};
use crate::{Harness, plimsoll, stderr};

#[test]
fn nexus_connector_catalog_to_scanned_results() {
    let Some(h) = Harness::get() else { return };
    let ns = namespace("nexus");
    let app = push(
        &h,
        "lab/debian:12",
        &format!("{ns}/app"),
        &["--tags", "2", "--unique-layer"],
    );
    let setup = Setup::new();
    let config = setup.dir().join("nexus.toml");
    fs_err::write(
        &config,
        format!(
            r#"
store = "{store}"
db_dir = "{db}"

[filter]
include = ["{reg}/{ns}/*"]
max_repositories_per_registry = 10000

[[registries]]
name = "nexus-docker-hosted"
type = "nexus"
url = "http://{reg}"
"#,
            store = setup.store().display(),
            db = setup.db_dir().display(),
            reg = h.registry,
        ),
    )
    .unwrap();
    let output = plimsoll(&["registry", "scan", "--config", config.to_str().unwrap()]);
    assert!(output.status.success(), "{}", stderr(&output));
    let output = plimsoll(&[
        "results",
        "list",
        "--format",
        "json",
        "--repository",
        &ns,
        "--store",
        setup.store().to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let rows: Vec<Value> = serde_json::from_slice::<Value>(&output.stdout)
        .unwrap()
        .as_array()
        .unwrap()
        .clone();
    let scanned: BTreeMap<String, String> = rows
        .iter()
        .filter(|r| r["status"] == "scanned")
        .map(|r| {
            (
                r["tag"].as_str().unwrap().to_owned(),
                r["digest"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(scanned, app, "{rows:#?}");
}
