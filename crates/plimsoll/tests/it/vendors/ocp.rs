//! `OpenShift`: `type = "ocp"` through discovery → filter → pull → inventory.
//!
//! The stand-in answers the `OpenShift` image stream API as documented in "`ImageStream`
//! [image.openshift.io/v1]"
//! (<https://docs.openshift.com/container-platform/latest/rest_api/image_apis/imagestream-image-openshift-io-v1.html>):
//! `GET /apis/image.openshift.io/v1/namespaces/{namespace}/imagestreams` and
//! `GET /apis/image.openshift.io/v1/imagestreams` (every namespace), `ImageStreamList`s paged
//! by `limit` and `continue` (the list's `metadata.continue`, "API concepts: retrieving large
//! results sets in chunks"), each stream's `status.tags[].items[]` newest first with `image`
//! (the manifest digest) and `created`; the service account token as `Authorization: Bearer`.
//! One stream per page, so paging is exercised. No `OpenShift` API emulator exists as a program
//! that runs here (`openshift/origin` needs a cluster).
//!
//! The integrated registry takes the same token as the password of any user name; the
//! htpasswd lab registry (whose password here plays the token) stands for it, so the one
//! secret goes to the API as a bearer token and to the registry, and nowhere else.

use std::collections::BTreeMap;
use std::process::Command;

use serde_json::{Value, json as j};

use super::{StandIn, json};
use crate::registry_scan::{Setup, namespace, push};
use crate::{Harness, plimsoll_with_env, stderr};

/// Pushes `tags` tags of `lab/private:1` to the htpasswd registry as `repository`; tag → digest.
fn push_private(h: &Harness, repository: &str, tags: usize) -> BTreeMap<String, String> {
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../scripts/testimages/pushtags.py");
    let output = Command::new("python3")
        .arg(&script)
        .args(["--registry", &h.auth_registry, "--user", &h.auth_user])
        .args(["--base", "lab/private:1", "--repo", repository])
        .args(["--tags", &tags.to_string(), "--unique-layer"])
        .env("PUSHTAGS_PASSWORD", &h.auth_password)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "pushtags.py: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let line: Value = serde_json::from_slice(&output.stdout).unwrap();
    line["tags"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(t, d)| (t.clone(), d.as_str().unwrap().to_owned()))
        .collect()
}

/// An `ImageStream` `ns/name` whose tags point at `tags` (tag → digest), plus a tag whose
/// import failed (no items), which must not be scanned.
fn stream(ns: &str, name: &str, registry: &str, tags: &BTreeMap<String, String>) -> Value {
    let mut status_tags: Vec<Value> = tags
        .iter()
        .map(|(tag, digest)| {
            j!({
                "tag": tag,
                "items": [
                    {"created": "2026-01-02T03:04:05Z",
                     "dockerImageReference": format!("{registry}/{ns}/{name}@{digest}"),
                     "image": digest, "generation": 2},
                    {"created": "2025-01-02T03:04:05Z",
                     "dockerImageReference": format!("{registry}/{ns}/{name}@sha256:{}", "0".repeat(64)),
                     "image": format!("sha256:{}", "0".repeat(64)), "generation": 1}
                ]
            })
        })
        .collect();
    status_tags.push(j!({
        "tag": "import-failed", "items": null,
        "conditions": [{"type": "ImportSuccess", "status": "False", "reason": "NotFound"}]
    }));
    j!({
        "metadata": {"name": name, "namespace": ns, "uid": "5b0c", "resourceVersion": "1",
                     "creationTimestamp": "2026-01-02T03:04:05Z"},
        "spec": {"lookupPolicy": {"local": false}},
        "status": {"dockerImageRepository": format!("{registry}/{ns}/{name}"), "tags": status_tags}
    })
}

/// The image stream API over `streams`, one per page, for `Bearer token` only.
fn openshift(ns: String, token: &str, streams: Vec<Value>) -> StandIn {
    let expected = format!("Bearer {token}");
    StandIn::start(move |target, seen| {
        if seen.authorization.as_deref() != Some(expected.as_str()) {
            return json(
                401,
                &j!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                     "message": "Unauthorized", "reason": "Unauthorized", "code": 401}),
                &[],
            );
        }
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        let params: BTreeMap<String, String> = url::form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect();
        let namespaced = format!("/apis/image.openshift.io/v1/namespaces/{ns}/imagestreams");
        if path != namespaced && path != "/apis/image.openshift.io/v1/imagestreams" {
            return json(
                404,
                &j!({"kind": "Status", "status": "Failure", "reason": "NotFound", "code": 404}),
                &[],
            );
        }
        // `continue` is opaque to clients; here the index of the next stream.
        let index: usize = params
            .get("continue")
            .map_or(0, |t| t.trim_start_matches("c-").parse().unwrap());
        let mut metadata = j!({"resourceVersion": "4242"});
        if index + 1 < streams.len() {
            metadata["continue"] = j!(format!("c-{}", index + 1));
        }
        json(
            200,
            &j!({"kind": "ImageStreamList", "apiVersion": "image.openshift.io/v1",
                 "metadata": metadata, "items": [streams[index].clone()]}),
            &[],
        )
    })
}

#[test]
fn openshift_image_streams_to_scanned_results() {
    let Some(h) = Harness::get() else { return };
    let ns = namespace("ocp");
    let app = push_private(&h, &format!("{ns}/app"), 2);
    let web = push_private(&h, &format!("{ns}/web"), 1);
    let token = h.auth_password.clone();
    let api = openshift(
        ns.clone(),
        &token,
        vec![
            stream(&ns, "app", &h.auth_registry, &app),
            stream(&ns, "web", &h.auth_registry, &web),
        ],
    );
    let setup = Setup::new();
    let config = setup.dir().join("ocp.toml");
    fs_err::write(
        &config,
        format!(
            r#"
store = "{store}"
db_dir = "{db}"

[filter]
include = ["{reg}/{ns}/*"]

[[registries]]
type = "ocp"
url = "http://{reg}"
api_url = "{api}"
namespaces = ["{ns}"]
user = "{user}"
password_env = "PLIMSOLL_TEST_OCP_TOKEN"
"#,
            store = setup.store().display(),
            db = setup.db_dir().display(),
            reg = h.auth_registry,
            api = api.url(),
            user = h.auth_user,
        ),
    )
    .unwrap();
    let env = [("PLIMSOLL_TEST_OCP_TOKEN", token.as_str())];
    let (output, log) = super::scan_traced(&config, &env);
    assert!(output.status.success(), "{log}");
    let targets: Vec<String> = api.seen().iter().map(|s| s.target.clone()).collect();
    assert_eq!(
        targets,
        vec![
            format!("/apis/image.openshift.io/v1/namespaces/{ns}/imagestreams?limit=100"),
            format!(
                "/apis/image.openshift.io/v1/namespaces/{ns}/imagestreams?limit=100&continue=c-1"
            ),
        ],
        "{log}"
    );
    assert!(
        api.seen()
            .iter()
            .all(|s| s.authorization == Some(format!("Bearer {token}")) && s.method == "GET")
    );
    let (scanned, rows) = super::scanned(&setup, &ns);
    let mut want = BTreeMap::new();
    for (tag, digest) in &app {
        want.insert(format!("{ns}/app:{tag}"), digest.clone());
    }
    for (tag, digest) in &web {
        want.insert(format!("{ns}/web:{tag}"), digest.clone());
    }
    assert_eq!(scanned, want, "{rows:#?}\n{log}");
    assert!(!log.contains(&token), "the token in the logs");

    // `registry check` reads the image streams too, one item's worth.
    let check = plimsoll_with_env(
        &["registry", "check", "--config", config.to_str().unwrap()],
        &env,
    );
    let out = String::from_utf8_lossy(&check.stdout).into_owned() + &stderr(&check);
    assert!(check.status.success(), "{out}");
    assert!(
        out.contains(&format!("access granted as `{}`", h.auth_user))
            && out.contains(&format!(
                "image streams (namespaces {ns}): readable (first repository: {ns}/app)"
            )),
        "{out}"
    );
    assert!(
        api.seen()
            .last()
            .is_some_and(|s| s.target.ends_with("imagestreams?limit=1")),
        "{:?}",
        api.seen()
    );
    assert!(!out.contains(&token), "{out}");
}

/// Without `namespaces`, every namespace's streams (`/apis/image.openshift.io/v1/imagestreams`);
/// without `user`, the token alone (from a file) is the whole configuration; a token the API
/// refuses fails the registry with the API's 401.
#[test]
fn openshift_all_namespaces_with_a_token_alone() {
    const TOKEN: &str = "sha256~plimsoll-ocp-test-token-4f1e";
    const EXPIRED: &str = "sha256~expired-plimsoll-ocp-token-90d2";
    let Some(h) = Harness::get() else { return };
    let ns = namespace("ocp-all");
    let app = push(
        &h,
        "lab/debian:12",
        &format!("{ns}/app"),
        &["--tags", "1", "--unique-layer"],
    );
    let api = openshift(
        ns.clone(),
        TOKEN,
        vec![stream(&ns, "app", &h.registry, &app)],
    );
    let setup = Setup::new();
    let token_file = setup.dir().join("token");
    fs_err::write(&token_file, format!("{TOKEN}\n")).unwrap();
    let config = setup.dir().join("ocp.toml");
    fs_err::write(
        &config,
        format!(
            r#"
store = "{store}"
db_dir = "{db}"

[filter]
include = ["{reg}/{ns}/*"]

[[registries]]
type = "openshift"
url = "http://{reg}"
api_url = "{api}"
password_file = "{token}"
"#,
            store = setup.store().display(),
            db = setup.db_dir().display(),
            reg = h.registry,
            api = api.url(),
            token = token_file.display(),
        ),
    )
    .unwrap();
    let (output, log) = super::scan_traced(&config, &[]);
    assert!(output.status.success(), "{log}");
    let targets: Vec<String> = api.seen().iter().map(|s| s.target.clone()).collect();
    assert_eq!(
        targets,
        vec!["/apis/image.openshift.io/v1/imagestreams?limit=100".to_owned()],
        "{log}"
    );
    let (scanned, rows) = super::scanned(&setup, &ns);
    let want: BTreeMap<String, String> = app
        .iter()
        .map(|(t, d)| (format!("{ns}/app:{t}"), d.clone()))
        .collect();
    assert_eq!(scanned, want, "{rows:#?}\n{log}");
    assert!(!log.contains(TOKEN), "the token in the logs");

    // A token the API does not take: the registry fails, saying the API refused it.
    fs_err::write(&token_file, format!("{EXPIRED}\n")).unwrap();
    let (output, log) = super::scan_traced(&config, &[]);
    assert_eq!(output.status.code(), Some(1), "{log}");
    assert!(
        log.lines().any(|l| l.contains(&format!(
            "the API at {}/apis/image.openshift.io/v1/imagestreams refused the request (401",
            api.url()
        ))),
        "{log}"
    );
    assert!(!log.contains(EXPIRED), "the token in the logs");
}
