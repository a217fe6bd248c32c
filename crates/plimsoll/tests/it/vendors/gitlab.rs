//! GitLab: `type = "gitlab"` through discovery → filter → pull → inventory.
//!
//! The stand-in answers GitLab's REST API v4 as documented in "Container registry API"
//! (<https://docs.gitlab.com/api/container_registry/>): "List registry repositories — within
//! a group" (`GET /api/v4/groups/:id/registry/repositories`, `:id` the URL-encoded group path)
//! and "List registry repository tags — within a project"
//! (`GET /api/v4/projects/:id/registry/repositories/:repository_id/tags`), both paged with
//! `page`/`per_page` and `Link`/`X-Next-Page` headers as in "REST API pagination"
//! (<https://docs.gitlab.com/api/rest/#pagination>); the token in the `PRIVATE-TOKEN` header
//! ("REST API authentication"). One item per page, so paging is exercised. The GitLab OpenAPI
//! file (gitlabhq `doc/api/openapi/openapi_v2.yaml`) is too large to vendor here, and no
//! GitLab emulator exists.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json as j};

use super::{StandIn, json};
use crate::Harness;
use crate::registry_scan::{Setup, namespace, push};

const TOKEN: &str = "glpat-plimsoll-test-5e8d0a9c";

/// Page `page` of `items`, one per page, with GitLab's paging headers.
fn page_of(path: &str, query: &str, items: &[Value]) -> axum::http::Response<axum::body::Body> {
    let params: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    let page: usize = params
        .iter()
        .find(|(k, _)| k == "page")
        .map_or(1, |(_, p)| p.parse().unwrap());
    let body = j!(items.get(page - 1).into_iter().collect::<Vec<_>>());
    let mut headers = vec![
        ("x-total", items.len().to_string()),
        ("x-page", page.to_string()),
        ("x-per-page", "1".to_owned()),
    ];
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
        headers.push(("x-next-page", (page + 1).to_string()));
        headers.push((
            "link",
            format!("<http://{{host}}{path}?{next}>; rel=\"next\""),
        ));
    }
    json(200, &body, &headers)
}

#[test]
fn gitlab_listing_to_scanned_results() {
    let Some(h) = Harness::get() else { return };
    let ns = namespace("gitlab");
    let app = push(
        &h,
        "lab/debian:12",
        &format!("{ns}/app"),
        &["--tags", "2", "--unique-layer"],
    );
    let api_image = push(
        &h,
        "lab/debian:12",
        &format!("{ns}/svc/api"),
        &["--tags", "1", "--unique-layer"],
    );
    // (project id, repository id, path, tags)
    let repositories: Vec<(u64, u64, String, Vec<String>)> = vec![
        (7, 11, format!("{ns}/app"), app.keys().cloned().collect()),
        (
            8,
            12,
            format!("{ns}/svc/api"),
            api_image.keys().cloned().collect(),
        ),
    ];
    // GitLab's `Link` headers are absolute: the stand-in names itself once it knows its port.
    let listing = repositories.clone();
    let group = ns.clone();
    let registry = h.registry.clone();
    let host = std::sync::Arc::new(std::sync::OnceLock::<String>::new());
    let host_in = std::sync::Arc::clone(&host);
    let api = StandIn::start(move |target, seen| {
        if seen.private_token.as_deref() != Some(TOKEN) || seen.authorization.is_some() {
            return json(401, &j!({"message": "401 Unauthorized"}), &[]);
        }
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        let fix = |mut r: axum::http::Response<axum::body::Body>| {
            if let Some(link) = r.headers().get("link").and_then(|v| v.to_str().ok()) {
                let link = link.replace("{host}", host_in.get().unwrap());
                r.headers_mut().insert("link", link.parse().unwrap());
            }
            r
        };
        if path == format!("/api/v4/groups/{group}/registry/repositories") {
            let items: Vec<Value> = listing
                .iter()
                .map(|(project, id, path, _)| {
                    j!({
                        "id": id, "name": path.rsplit('/').next(), "path": path,
                        "project_id": project, "location": format!("{registry}/{path}"),
                        "created_at": "2026-01-02T03:04:05.000Z", "cleanup_policy_started_at": null,
                        "status": null
                    })
                })
                .collect();
            return fix(page_of(path, query, &items));
        }
        for (project, id, repo, tags) in &listing {
            if path == format!("/api/v4/projects/{project}/registry/repositories/{id}/tags") {
                let items: Vec<Value> = tags
                    .iter()
                    .map(|t| j!({"name": t, "path": format!("{repo}:{t}"), "location": format!("{registry}/{repo}:{t}")}))
                    .collect();
                return fix(page_of(path, query, &items));
            }
        }
        json(404, &j!({"message": "404 Not found"}), &[])
    });
    host.set(api.addr.to_string()).unwrap();

    let setup = Setup::new();
    let config = gitlab_config(&setup, "gitlab.toml", &h.registry, &api.url(), &ns);
    let (output, log) = super::scan_traced(&config, &[("PLIMSOLL_TEST_GITLAB_TOKEN", TOKEN)]);
    assert!(output.status.success(), "{log}");

    // The exact requests (sorted: repositories' tags are listed a few at a time), each with the
    // token in PRIVATE-TOKEN and no Authorization header.
    let mut targets: Vec<String> = api.seen().iter().map(|s| s.target.clone()).collect();
    targets.sort_unstable();
    let want: BTreeSet<String> = [
        format!("/api/v4/groups/{ns}/registry/repositories?page=1&per_page=100"),
        format!("/api/v4/groups/{ns}/registry/repositories?page=2&per_page=100"),
        "/api/v4/projects/7/registry/repositories/11/tags?page=1&per_page=100".to_owned(),
        "/api/v4/projects/7/registry/repositories/11/tags?page=2&per_page=100".to_owned(),
        "/api/v4/projects/8/registry/repositories/12/tags?page=1&per_page=100".to_owned(),
    ]
    .into_iter()
    .collect();
    assert_eq!(targets, want.into_iter().collect::<Vec<_>>(), "{log}");
    assert!(
        api.seen()
            .iter()
            .all(|s| s.private_token.as_deref() == Some(TOKEN) && s.authorization.is_none())
    );

    let (scanned, rows) = super::scanned(&setup, &ns);
    let mut want = BTreeMap::new();
    for (tag, digest) in &app {
        want.insert(format!("{ns}/app:{tag}"), digest.clone());
    }
    for (tag, digest) in &api_image {
        want.insert(format!("{ns}/svc/api:{tag}"), digest.clone());
    }
    assert_eq!(scanned, want, "{rows:#?}\n{log}");
    assert!(!log.contains(TOKEN), "token in the logs");
}

/// GitLab's registry authenticates pulls through GitLab itself ("Container registry
/// authentication", <https://docs.gitlab.com/administration/packages/container_registry/>):
/// its 401 names the realm `<external_url>/jwt/auth` (`service="container_registry"`), where a
/// `GET` with the user and access token as HTTP Basic and `scope=repository:<path>:pull`
/// gives `{"token": "<JWT>"}` for the registry. Here a loopback registry front asks for that
/// JWT and, once given it, redirects manifests and blobs to the lab registry (as GitLab's
/// registry does to object storage); the API stand-in issues the JWT.
#[test]
fn gitlab_registry_pulls_with_a_token_from_the_jwt_realm() {
    const JWT: &str = "eyJhbGciOiJSUzI1NiJ9.eyJhY2Nlc3MiOlt7fV19.gitlab-jwt-sig-7a52";
    let Some(h) = Harness::get() else { return };
    let ns = namespace("gitlab-jwt");
    let app = push(
        &h,
        "lab/debian:12",
        &format!("{ns}/app"),
        &["--tags", "1", "--unique-layer"],
    );
    let tags: Vec<String> = app.keys().cloned().collect();
    let (group, repository) = (ns.clone(), format!("{ns}/app"));
    let basic = {
        use base64::Engine as _;
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("scanner:{TOKEN}"))
        )
    };
    let (listed, expected_basic) = (tags.clone(), basic.clone());
    let api = StandIn::start(move |target, seen| {
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        if path == "/jwt/auth" {
            if seen.authorization.as_deref() != Some(expected_basic.as_str()) {
                return json(401, &j!({"errors": [{"code": "UNAUTHORIZED"}]}), &[]);
            }
            return json(200, &j!({"token": JWT}), &[]);
        }
        if seen.private_token.as_deref() != Some(TOKEN) || seen.authorization.is_some() {
            return json(401, &j!({"message": "401 Unauthorized"}), &[]);
        }
        if path == format!("/api/v4/groups/{group}/registry/repositories") {
            let item = j!({"id": 21, "name": "app", "path": format!("{group}/app"), "project_id": 9,
                           "location": format!("registry/{group}/app"), "created_at": "2026-01-02T03:04:05.000Z"});
            return page_of(path, query, &[item]);
        }
        if path == "/api/v4/projects/9/registry/repositories/21/tags" {
            let items: Vec<Value> = listed.iter().map(|t| j!({"name": t})).collect();
            return page_of(path, query, &items);
        }
        json(404, &j!({"message": "404 Not found"}), &[])
    });
    let (realm, lab, served) = (
        format!("{}/jwt/auth", api.url()),
        h.registry.clone(),
        repository.clone(),
    );
    let registry = StandIn::start(move |target, seen| {
        if seen.authorization.as_deref() != Some(&format!("Bearer {JWT}")[..]) {
            return json(
                401,
                &j!({"errors": [{"code": "UNAUTHORIZED", "message": "authentication required"}]}),
                &[(
                    "www-authenticate",
                    format!("Bearer realm=\"{realm}\",service=\"container_registry\""),
                )],
            );
        }
        let path = target.split_once('?').map_or(target, |(p, _)| p);
        if path == "/v2/" {
            return json(200, &j!({}), &[]);
        }
        if path.starts_with(&format!("/v2/{served}/")) {
            return json(
                307,
                &j!({}),
                &[("location", format!("http://{lab}{target}"))],
            );
        }
        json(404, &j!({"errors": [{"code": "NAME_UNKNOWN"}]}), &[])
    });
    let setup = Setup::new();
    let config = gitlab_config(
        &setup,
        "gitlab-jwt.toml",
        &registry.addr.to_string(),
        &api.url(),
        &ns,
    );
    let (output, log) = super::scan_traced(&config, &[("PLIMSOLL_TEST_GITLAB_TOKEN", TOKEN)]);
    assert!(output.status.success(), "{log}");
    let (scanned, rows) = super::scanned(&setup, &ns);
    let want: BTreeMap<String, String> = app
        .iter()
        .map(|(t, d)| (format!("{repository}:{t}"), d.clone()))
        .collect();
    assert_eq!(scanned, want, "{rows:#?}\n{log}");

    // The realm was asked for exactly the repository's pull scope, with user and token...
    let realm_requests: Vec<_> = api
        .seen()
        .into_iter()
        .filter(|s| s.target.starts_with("/jwt/auth"))
        .collect();
    assert!(!realm_requests.is_empty(), "{:?}", api.seen());
    for request in &realm_requests {
        assert_eq!(
            request.target,
            format!(
                "/jwt/auth?service=container_registry&scope=repository%3A{}%3Apull",
                repository.replace('/', "%2F")
            ),
        );
        assert_eq!(request.authorization.as_deref(), Some(basic.as_str()));
    }
    // ...and the registry saw the JWT only, never the access token.
    let at_registry = registry.seen();
    assert!(
        at_registry.iter().any(|s| s.target.contains("/manifests/")
            && s.authorization.as_deref() == Some(&format!("Bearer {JWT}")[..])),
        "{at_registry:#?}"
    );
    assert!(
        at_registry.iter().all(|s| s.private_token.is_none()
            && s.authorization
                .as_deref()
                .is_none_or(|a| a == format!("Bearer {JWT}"))),
        "{at_registry:#?}"
    );
    assert!(
        !log.contains(TOKEN) && !log.contains(JWT) && !log.contains(&basic[6..]),
        "a credential in the logs"
    );
}

/// A scan configuration of one `type = "gitlab"` registry at `registry` whose API is `api`,
/// listing the group `ns`, the token in `PLIMSOLL_TEST_GITLAB_TOKEN`.
fn gitlab_config(
    setup: &Setup,
    file: &str,
    registry: &str,
    api: &str,
    ns: &str,
) -> std::path::PathBuf {
    let config = setup.dir().join(file);
    fs_err::write(
        &config,
        format!(
            r#"
store = "{store}"
db_dir = "{db}"

[filter]
include = ["{registry}/{ns}/*"]

[[registries]]
type = "gitlab"
url = "http://{registry}"
external_url = "{api}"
namespaces = ["{ns}"]
user = "scanner"
password_env = "PLIMSOLL_TEST_GITLAB_TOKEN"
"#,
            store = setup.store().display(),
            db = setup.db_dir().display(),
        ),
    )
    .unwrap();
    config
}
