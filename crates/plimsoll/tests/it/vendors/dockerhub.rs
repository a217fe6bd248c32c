//! Docker Hub: `type = "dockerhub"` through discovery → filter → pull → inventory.
//!
//! The stand-in answers the Docker Hub API as its reference documents it
//! (<https://docs.docker.com/reference/api/hub/latest/>): "Create an authentication token"
//! (`POST /v2/auth/token` with `identifier` and `secret`, answering `access_token`), "List
//! repositories in a namespace" (`GET /v2/namespaces/{namespace}/repositories`) and "List
//! repository tags" (`GET /v2/namespaces/{namespace}/repositories/{repository}/tags`), both
//! paged by `page`/`page_size` with an absolute `next` URL in the body. One item per page, so
//! paging is exercised. No Docker Hub emulator exists; the registry side is the lab registry.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, OnceLock};

use serde_json::{Value, json as j};

use super::{StandIn, json};
use crate::Harness;
use crate::registry_scan::{Setup, namespace, push};

const USER: &str = "scanner";
const PAT: &str = "dckr_pat_plimsoll-test-0b9e4f";
const JWT: &str = "eyJhbGciOiJIUzI1NiJ9.plimsoll-test-hub-jwt.c2lnbmF0dXJl";

/// Page `page` of `items` (one per page), Hub-style: `count`, `next`, `previous`, `results`.
fn page_of(
    host: &str,
    path: &str,
    query: &str,
    items: &[Value],
) -> axum::http::Response<axum::body::Body> {
    let params: BTreeMap<String, String> = url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    let page: usize = params.get("page").map_or(1, |p| p.parse().unwrap());
    let next = (page < items.len()).then(|| {
        format!(
            "http://{host}{path}?page={}&page_size={}",
            page + 1,
            params["page_size"]
        )
    });
    json(
        200,
        &j!({
            "count": items.len(),
            "next": next,
            "previous": null,
            "results": items.get(page - 1).into_iter().collect::<Vec<_>>()
        }),
        &[],
    )
}

#[test]
fn dockerhub_listing_to_scanned_results() {
    let Some(h) = Harness::get() else { return };
    let ns = namespace("hub");
    let app = push(
        &h,
        "lab/debian:12",
        &format!("{ns}/app"),
        &["--tags", "2", "--unique-layer"],
    );
    let web = push(
        &h,
        "lab/debian:12",
        &format!("{ns}/web"),
        &["--tags", "1", "--unique-layer"],
    );
    let repositories: BTreeMap<String, BTreeMap<String, String>> = [
        ("app".to_owned(), app.clone()),
        ("web".to_owned(), web.clone()),
    ]
    .into_iter()
    .collect();
    let host = Arc::new(OnceLock::<String>::new());
    let host_in = Arc::clone(&host);
    let group = ns.clone();
    let api = StandIn::start(move |target, seen| {
        let host = host_in.get().unwrap();
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        if seen.method == "POST" && path == "/v2/auth/token" {
            let body: Value = serde_json::from_str(&seen.body).unwrap_or_default();
            if body == j!({"identifier": USER, "secret": PAT}) {
                return json(200, &j!({"access_token": JWT}), &[]);
            }
            return json(
                401,
                &j!({"errinfo": {}, "message": "incorrect username or password"}),
                &[],
            );
        }
        if seen.authorization.as_deref() != Some(&format!("Bearer {JWT}")[..]) {
            return json(401, &j!({"message": "authentication required"}), &[]);
        }
        if path == format!("/v2/namespaces/{group}/repositories") {
            let items: Vec<Value> = repositories
                .keys()
                .map(|name| j!({"name": name, "namespace": group, "repository_type": "image",
                    "status": 1, "is_private": true, "star_count": 0, "pull_count": 0,
                    "last_updated": "2026-01-02T03:04:05.000000Z", "date_registered": "2025-01-01T00:00:00.000000Z"}))
                .collect();
            return page_of(host, path, query, &items);
        }
        for (name, tags) in &repositories {
            if path == format!("/v2/namespaces/{group}/repositories/{name}/tags") {
                let items: Vec<Value> = tags
                    .iter()
                    .map(|(tag, digest)| {
                        j!({"name": tag, "digest": digest, "tag_status": "active",
                        "tag_last_pushed": "2026-01-02T03:04:05.123456Z",
                        "last_updated": "2026-01-02T03:04:05.123456Z", "images": []})
                    })
                    .collect();
                return page_of(host, path, query, &items);
            }
        }
        json(404, &j!({"message": "object not found"}), &[])
    });
    host.set(api.addr.to_string()).unwrap();

    let setup = Setup::new();
    let config = setup.dir().join("hub.toml");
    fs_err::write(
        &config,
        format!(
            r#"
store = "{store}"
db_dir = "{db}"

[filter]
include = ["{reg}/{ns}/*"]

[[registries]]
type = "dockerhub"
url = "http://{reg}"
api_url = "{api}"
namespaces = ["{ns}"]
user = "{USER}"
password_env = "PLIMSOLL_TEST_HUB_PAT"
"#,
            store = setup.store().display(),
            db = setup.db_dir().display(),
            reg = h.registry,
            api = api.url(),
        ),
    )
    .unwrap();
    let (output, log) = super::scan_traced(&config, &[("PLIMSOLL_TEST_HUB_PAT", PAT)]);
    assert!(output.status.success(), "{log}");

    // One login, then every listing page with its access token (sorted: tags are listed a few
    // repositories at a time). The PAT travels only in the login body.
    let seen = api.seen();
    let mut targets: Vec<String> = seen
        .iter()
        .map(|s| format!("{} {}", s.method, s.target))
        .collect();
    targets.sort_unstable();
    let want: BTreeSet<String> = [
        "POST /v2/auth/token".to_owned(),
        format!("GET /v2/namespaces/{ns}/repositories?page_size=100"),
        format!("GET /v2/namespaces/{ns}/repositories?page=2&page_size=100"),
        format!("GET /v2/namespaces/{ns}/repositories/app/tags?page_size=100"),
        format!("GET /v2/namespaces/{ns}/repositories/app/tags?page=2&page_size=100"),
        format!("GET /v2/namespaces/{ns}/repositories/web/tags?page_size=100"),
    ]
    .into_iter()
    .collect();
    assert_eq!(targets, want.into_iter().collect::<Vec<_>>(), "{log}");
    for s in &seen {
        if s.method == "GET" {
            assert_eq!(
                s.authorization.as_deref(),
                Some(&format!("Bearer {JWT}")[..])
            );
            assert!(!s.target.contains(PAT) && s.body.is_empty());
        }
    }

    let (scanned, rows) = super::scanned(&setup, &ns);
    let mut want = BTreeMap::new();
    for (tag, digest) in &app {
        want.insert(format!("{ns}/app:{tag}"), digest.clone());
    }
    for (tag, digest) in &web {
        want.insert(format!("{ns}/web:{tag}"), digest.clone());
    }
    assert_eq!(scanned, want, "{rows:#?}\n{log}");
    assert!(
        !log.contains(PAT) && !log.contains(JWT),
        "credential in the logs"
    );
}
