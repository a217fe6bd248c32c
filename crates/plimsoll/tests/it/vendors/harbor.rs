//! Harbor: `type = "harbor"` through discovery → filter → pull → inventory.
//!
//! The stand-in answers Harbor's API v2.0 as its spec describes it (goharbor/harbor
//! `api/v2.0/swagger.yaml`, copied in crates/plimsoll-vendors/testdata; the API reference is
//! <https://goharbor.io/docs/main/build-customize-contribute/configure-swagger/>): `Project`,
//! `Repository` and `Artifact` bodies, `page`/`page_size` with `Link: <…>; rel="next"` and
//! `X-Total-Count`, HTTP Basic for a robot account, repository names with a slash encoded
//! twice in paths. It serves one item per page so paging is exercised. The requests themselves
//! are checked against the real spec by Prism in plimsoll-vendors' `harbor_prism` test; this
//! one names real images pushed to the lab registry, which Prism's placeholder data cannot.

use std::collections::BTreeMap;

use base64::Engine as _;
use serde_json::{Value, json as j};

use super::{StandIn, json};
use crate::registry_scan::{Setup, namespace, push};
use crate::{Harness, plimsoll, plimsoll_with_env, stderr};

const ROBOT: &str = "robot$scanner+ci";
const SECRET: &str = "Harbor-robot-secret-4f9a1c";

/// Harbor's list answer for page `page` (1-based) of `items`, one per page, with the `Link`
/// to the next page built from the request's own query (as Harbor does).
fn page_of(path: &str, query: &str, items: &[Value]) -> axum::http::Response<axum::body::Body> {
    let params: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    let page: usize = params
        .iter()
        .find(|(k, _)| k == "page")
        .and_then(|(_, p)| p.parse().ok())
        .unwrap_or(1);
    let body = j!(items.get(page - 1).into_iter().collect::<Vec<_>>());
    let mut headers = vec![("x-total-count", items.len().to_string())];
    if page < items.len() {
        let next: String = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(params.iter().map(|(k, v)| {
                if k == "page" {
                    (k.clone(), (page + 1).to_string())
                } else {
                    (k.clone(), v.clone())
                }
            }))
            .finish();
        headers.push(("link", format!("<{path}?{next}>; rel=\"next\"")));
    }
    json(200, &body, &headers)
}

/// A Harbor whose projects are `ns` and an empty one, holding `repositories` (full name →
/// `Artifact` list).
fn harbor(ns: String, repositories: BTreeMap<String, Vec<Value>>) -> StandIn {
    let expected = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{ROBOT}:{SECRET}"))
    );
    StandIn::start(move |target, seen| {
        if seen.authorization.as_deref() != Some(expected.as_str()) {
            return json(
                401,
                &j!({"errors": [{"code": "UNAUTHORIZED", "message": "unauthorized"}]}),
                &[],
            );
        }
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        let Some(rest) = path.strip_prefix("/api/v2.0/projects") else {
            return json(
                404,
                &j!({"errors": [{"code": "NOT_FOUND", "message": path}]}),
                &[],
            );
        };
        let segments: Vec<&str> = rest.split('/').filter(|s| !s.is_empty()).collect();
        match segments.as_slice() {
            [] => {
                let projects: Vec<Value> = [ns.as_str(), "zz-empty"]
                    .iter()
                    .enumerate()
                    .map(|(i, name)| j!({"project_id": i + 1, "name": name, "repo_count": 0}))
                    .collect();
                page_of(path, query, &projects)
            }
            [project, "repositories"] => {
                let items: Vec<Value> = repositories
                    .keys()
                    .filter(|r| r.starts_with(&format!("{project}/")))
                    .enumerate()
                    .map(|(i, name)| j!({"id": i + 1, "project_id": 1, "name": name}))
                    .collect();
                page_of(path, query, &items)
            }
            [project, "repositories", encoded, "artifacts"] => {
                // Twice encoded: `team%252Ftools` is `team/tools`.
                let name = encoded.replace("%252F", "/");
                match repositories.get(&format!("{project}/{name}")) {
                    Some(artifacts) => page_of(path, query, artifacts),
                    None => json(
                        404,
                        &j!({"errors": [{"code": "NOT_FOUND", "message": "repository not found"}]}),
                        &[],
                    ),
                }
            }
            _ => json(
                404,
                &j!({"errors": [{"code": "NOT_FOUND", "message": path}]}),
                &[],
            ),
        }
    })
}

/// An `Artifact` with `tags`, as Harbor lists it.
fn artifact(repository: &str, digest: &str, tags: &[&str], push_time: &str) -> Value {
    j!({
        "id": 1,
        "type": "IMAGE",
        "media_type": "application/vnd.oci.image.manifest.v1+json",
        "manifest_media_type": "application/vnd.oci.image.manifest.v1+json",
        "project_id": 1,
        "repository_id": 1,
        "repository_name": repository,
        "digest": digest,
        "size": 1234,
        "push_time": push_time,
        "pull_time": "0001-01-01T00:00:00.000Z",
        "tags": tags.iter().enumerate().map(|(i, t)| j!({
            "id": i + 1, "repository_id": 1, "artifact_id": 1, "name": t,
            "push_time": push_time, "pull_time": "0001-01-01T00:00:00.000Z", "immutable": false
        })).collect::<Vec<_>>(),
        "accessories": null
    })
}

fn config(setup: &Setup, h: &Harness, api: &str, ns: &str) -> std::path::PathBuf {
    let path = setup.dir().join("harbor.toml");
    fs_err::write(
        &path,
        format!(
            r#"
store = "{store}"
db_dir = "{db}"

[filter]
include = ["{reg}/{ns}/*"]
max_repositories_per_registry = 10000

[[registries]]
name = "harbor"
type = "harbor"
url = "http://{reg}"
api_url = "{api}"
user = "{ROBOT}"
password_env = "PLIMSOLL_TEST_HARBOR_SECRET"
"#,
            store = setup.store().display(),
            db = setup.db_dir().display(),
            reg = h.registry,
        ),
    )
    .unwrap();
    path
}

#[test]
fn harbor_listing_to_scanned_results() {
    let Some(h) = Harness::get() else { return };
    let ns = namespace("harbor");
    let app = push(
        &h,
        "lab/debian:12",
        &format!("{ns}/app"),
        &["--tags", "2", "--unique-layer"],
    );
    let tools = push(
        &h,
        "lab/debian:12",
        &format!("{ns}/team/tools"),
        &["--tags", "1", "--unique-layer"],
    );
    let (app_tags, app_digests): (Vec<&String>, Vec<&String>) = app.iter().unzip();
    let tools_tag = tools.keys().next().unwrap();
    let mut repositories = BTreeMap::new();
    repositories.insert(
        format!("{ns}/app"),
        vec![
            artifact(
                &format!("{ns}/app"),
                app_digests[0],
                &[app_tags[0]],
                "2026-01-02T03:04:05.000Z",
            ),
            artifact(
                &format!("{ns}/app"),
                app_digests[1],
                &[app_tags[1]],
                "2026-01-02T03:04:05.000Z",
            ),
            // An untagged artifact (Harbor keeps them until garbage collection): not an image to scan.
            artifact(
                &format!("{ns}/app"),
                "sha256:0000000000000000000000000000000000000000000000000000000000000000",
                &[],
                "2026-01-02T03:04:05.000Z",
            ),
        ],
    );
    repositories.insert(
        format!("{ns}/team/tools"),
        vec![artifact(
            &format!("{ns}/team/tools"),
            &tools[tools_tag],
            &[tools_tag],
            "2026-01-02T03:04:05.000Z",
        )],
    );
    let api = harbor(ns.clone(), repositories);
    let setup = Setup::new();
    let config = config(&setup, &h, &api.url(), &ns);
    let (output, log) = super::scan_traced(&config, &[("PLIMSOLL_TEST_HARBOR_SECRET", SECRET)]);
    assert!(output.status.success(), "{log}");

    // The exact requests: projects paged one per page, then each project's repositories,
    // then each repository's artifacts (nested name encoded twice), all with the robot's
    // Basic credentials.
    // (Repositories are listed a few at a time, so only the pages of one are in order.)
    let seen = api.seen();
    let mut targets: Vec<&str> = seen.iter().map(|s| s.target.as_str()).collect();
    targets.sort_unstable();
    assert_eq!(
        targets,
        [
            "/api/v2.0/projects?page=1&page_size=100&with_detail=false".to_owned(),
            "/api/v2.0/projects?page=2&page_size=100&with_detail=false".to_owned(),
            format!("/api/v2.0/projects/{ns}/repositories?page=1&page_size=100"),
            format!("/api/v2.0/projects/{ns}/repositories?page=2&page_size=100"),
            "/api/v2.0/projects/zz-empty/repositories?page=1&page_size=100".to_owned(),
            format!("/api/v2.0/projects/{ns}/repositories/app/artifacts?page=1&page_size=100&with_tag=true&with_accessory=false"),
            format!("/api/v2.0/projects/{ns}/repositories/app/artifacts?page=2&page_size=100&with_tag=true&with_accessory=false"),
            format!("/api/v2.0/projects/{ns}/repositories/app/artifacts?page=3&page_size=100&with_tag=true&with_accessory=false"),
            format!("/api/v2.0/projects/{ns}/repositories/team%252Ftools/artifacts?page=1&page_size=100&with_tag=true&with_accessory=false"),
        ]
        .iter()
        .map(String::as_str)
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect::<Vec<_>>(),
        "{log}"
    );
    assert!(seen.iter().all(|s| {
        s.authorization
            .as_deref()
            .is_some_and(|a| a.starts_with("Basic "))
    }));

    let rows = results(&setup, &ns);
    let scanned: BTreeMap<String, String> = rows
        .iter()
        .filter(|r| r["status"] == "scanned")
        .map(|r| {
            (
                format!(
                    "{}:{}",
                    r["repository"].as_str().unwrap(),
                    r["tag"].as_str().unwrap()
                ),
                r["digest"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    let mut want = BTreeMap::new();
    for (tag, digest) in &app {
        want.insert(format!("{ns}/app:{tag}"), digest.clone());
    }
    want.insert(
        format!("{ns}/team/tools:{tools_tag}"),
        tools[tools_tag].clone(),
    );
    assert_eq!(scanned, want, "{rows:#?}\n{log}");
    assert_eq!(
        rows.len(),
        want.len(),
        "the untagged artifact is no image to scan: {rows:#?}"
    );

    // No credential in any log line, at trace level: neither the secret nor its Basic form.
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("{ROBOT}:{SECRET}"));
    assert!(
        !log.contains(SECRET) && !log.contains(&basic),
        "credential in the logs"
    );
}

#[test]
fn harbor_credentials_never_follow_a_redirect_to_another_host() {
    let Some(h) = Harness::get() else { return };
    let ns = namespace("harbor-redirect");
    // Another host (another port is another host to credentials) that would collect them.
    let elsewhere = StandIn::start(|_, _| json(200, &serde_json::json!([]), &[]));
    let to = format!("{}/api/v2.0/projects?page=1", elsewhere.url());
    let api = StandIn::start(move |_, _| {
        axum::http::Response::builder()
            .status(302)
            .header("location", to.clone())
            .body(axum::body::Body::empty())
            .unwrap()
    });
    let setup = Setup::new();
    let config = config(&setup, &h, &api.url(), &ns);
    let (output, log) = super::scan_traced(&config, &[("PLIMSOLL_TEST_HARBOR_SECRET", SECRET)]);
    assert_eq!(output.status.code(), Some(1), "{log}");
    assert!(
        log.contains("redirected to") && log.contains("another host"),
        "{log}"
    );
    assert_eq!(api.seen().len(), 1, "{:?}", api.seen());
    assert!(api.seen()[0].authorization.is_some());
    assert!(
        elsewhere.seen().is_empty(),
        "the other host was contacted: {:?}",
        elsewhere.seen()
    );
    assert!(!log.contains(SECRET), "credential in the logs");
    // A key the type does not take is refused before any request, naming key and type.
    let bad = setup.dir().join("bad.toml");
    fs_err::write(
        &bad,
        fs_err::read_to_string(&config)
            .unwrap()
            .replace("type = \"harbor\"", "type = \"distribution\""),
    )
    .unwrap();
    let output = plimsoll(&[
        "registry",
        "scan",
        "--config",
        bad.to_str().unwrap(),
        "--dry-run",
    ]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("`api_url` does not apply to type = \"distribution\""),
        "{}",
        stderr(&output)
    );
}

fn results(setup: &Setup, ns: &str) -> Vec<Value> {
    let output = plimsoll(&[
        "results",
        "list",
        "--format",
        "json",
        "--repository",
        ns,
        "--store",
        setup.store().to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    serde_json::from_slice::<Value>(&output.stdout)
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

/// Several registries of different types in one configuration, each with its own
/// credentials: a Harbor (robot account, API stand-in) and the lab's password-protected
/// Distribution registry. A credential sent to the wrong host would be refused there and
/// fail that registry.
#[test]
fn harbor_beside_a_password_registry_in_one_config() {
    let Some(h) = Harness::get() else { return };
    let ns = namespace("harbor-several");
    let app = push(
        &h,
        "lab/debian:12",
        &format!("{ns}/app"),
        &["--tags", "1", "--unique-layer"],
    );
    let (tag, digest) = app.iter().next().unwrap();
    let mut repositories = BTreeMap::new();
    repositories.insert(
        format!("{ns}/app"),
        vec![artifact(
            &format!("{ns}/app"),
            digest,
            &[tag],
            "2026-01-02T03:04:05.000Z",
        )],
    );
    let api = harbor(ns.clone(), repositories);
    let setup = Setup::new();
    let config = setup.dir().join("several.toml");
    fs_err::write(
        &config,
        format!(
            r#"
store = "{store}"
db_dir = "{db}"

[filter]
include = ["{reg}/{ns}/*", "{auth}/lab/*"]
max_repositories_per_registry = 10000

[[registries]]
name = "harbor"
type = "harbor"
url = "http://{reg}"
api_url = "{api}"
user = "{ROBOT}"
password_env = "PLIMSOLL_TEST_HARBOR_SECRET"

[[registries]]
name = "private"
type = "distribution"
url = "http://{auth}"
user = "{user}"
password_env = "PLIMSOLL_TEST_PRIVATE_PASSWORD"
"#,
            store = setup.store().display(),
            db = setup.db_dir().display(),
            reg = h.registry,
            auth = h.auth_registry,
            api = api.url(),
            user = h.auth_user,
        ),
    )
    .unwrap();
    let output = plimsoll_with_env(
        &[
            "--log-level",
            "trace",
            "--log-format",
            "json",
            "registry",
            "scan",
            "--config",
            config.to_str().unwrap(),
        ],
        &[
            ("PLIMSOLL_TEST_HARBOR_SECRET", SECRET),
            ("PLIMSOLL_TEST_PRIVATE_PASSWORD", &h.auth_password),
        ],
    );
    let log = stderr(&output);
    assert!(output.status.success(), "{log}");
    // Harbor's image scanned...
    let rows = results(&setup, &ns);
    assert!(
        rows.iter()
            .any(|r| r["status"] == "scanned" && r["tag"] == tag.as_str()),
        "{rows:#?}\n{log}"
    );
    // ...and the private registry listed with its own password (its catalog refuses anyone
    // else); whether its old lab image passes the age filter is not this test's business.
    let listed: Vec<Value> = log
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|l| l["message"] == "discovery" && l["registry"] == "private")
        .collect();
    assert!(
        listed.len() == 1 && listed[0]["tags"].as_u64().unwrap_or(0) >= 1,
        "{listed:?}\n{log}"
    );
    assert!(!log.contains("discovery failed"), "{log}");
    assert!(api.seen().iter().all(|s| {
        s.authorization
            .as_deref()
            .is_some_and(|a| a.starts_with("Basic "))
    }));
    assert!(
        !log.contains(SECRET) && !log.contains(&h.auth_password),
        "a password in the logs"
    );
}
