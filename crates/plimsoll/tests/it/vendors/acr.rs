//! Azure Container Registry: `type = "acr"` through discovery → filter → pull → inventory.
//!
//! The stand-in answers as ACR documents itself (REST reference,
//! <https://learn.microsoft.com/rest/api/containerregistry/>: "Repository - Get List"
//! `GET /acr/v1/_catalog?n=&last=` and "Tag - Get List" `GET /acr/v1/{name}/_tags?n=&last=`,
//! both paged with a `Link: <…>; rel="next"` header; "Access Tokens - Get From Login"
//! `GET /oauth2/token?service=&scope=` with HTTP Basic; the scopes `registry:catalog:*`,
//! `repository:<name>:metadata_read` and `repository:<name>:pull` of the ACR authentication
//! overview, <https://github.com/Azure/acr/blob/main/docs/AAD-OAuth.md>). Every request without a
//! bearer token of the right scope gets ACR's `401` challenge. `/v2/` is forwarded to the lab
//! registry, where the images really are. One item per page, so paging is exercised; one
//! repository's token is refused `metadata_read` (a `_repositories_pull` scope map), so its tags
//! come from `/v2/<name>/tags/list`.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use serde_json::json as j;

use super::{Seen, StandIn, json};
use crate::Harness;
use crate::registry_scan::{Setup, namespace, push};

const USER: &str = "scanner-token";
const PASSWORD: &str = "acr-token-password-5e1f09";

/// Issued access tokens → their scope.
type Issued = Arc<Mutex<BTreeMap<String, String>>>;

fn query(target: &str) -> BTreeMap<String, String> {
    let query = target.split_once('?').map_or("", |(_, q)| q);
    url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect()
}

/// The scope a request needs, as ACR's challenge names it.
fn needed_scope(path: &str) -> Option<String> {
    if path == "/acr/v1/_catalog" {
        return Some("registry:catalog:*".into());
    }
    if let Some(repo) = path
        .strip_prefix("/acr/v1/")
        .and_then(|r| r.strip_suffix("/_tags"))
    {
        return Some(format!("repository:{repo}:metadata_read"));
    }
    let rest = path.strip_prefix("/v2/")?;
    let repo = ["/manifests/", "/blobs/", "/tags/list"]
        .iter()
        .find_map(|m| rest.find(m).map(|i| &rest[..i]))?;
    Some(format!("repository:{repo}:pull"))
}

fn acr(
    upstream: &str,
    catalog: Vec<String>,
    tags: BTreeMap<String, Vec<(String, String)>>,
    pull_only: String,
    issued: Issued,
) -> StandIn {
    let basic = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{PASSWORD}"))
    );
    StandIn::forwarding(upstream, move |target, seen: &Seen| {
        let path = target.split('?').next().unwrap();
        let params = query(target);
        if path == "/oauth2/token" {
            if seen.authorization.as_deref() != Some(basic.as_str()) {
                return Some(json(401, &j!({"errors": [{"code": "UNAUTHORIZED"}]}), &[]));
            }
            let scope = params.get("scope").cloned().unwrap_or_default();
            if scope == format!("repository:{pull_only}:metadata_read") {
                // The token's scope map has content/read only.
                return Some(json(
                    401,
                    &j!({"errors": [{"code": "UNAUTHORIZED", "message": "insufficient scopes"}]}),
                    &[],
                ));
            }
            let mut issued = issued.lock().unwrap();
            let token = format!("acr-access-{}-7c0d", issued.len());
            issued.insert(token.clone(), scope);
            return Some(json(200, &j!({"access_token": token}), &[]));
        }
        let scope = needed_scope(path)?;
        let granted = seen
            .authorization
            .as_deref()
            .and_then(|a| a.strip_prefix("Bearer "))
            .and_then(|t| issued.lock().unwrap().get(t).cloned());
        if granted.as_deref() != Some(scope.as_str()) {
            let host = seen.host.clone().unwrap_or_default();
            return Some(json(
                401,
                &j!({"errors": [{"code": "UNAUTHORIZED", "message": "authentication required"}]}),
                &[(
                    "www-authenticate",
                    format!(
                        r#"Bearer realm="http://{host}/oauth2/token",service="{host}",scope="{scope}""#
                    ),
                )],
            ));
        }
        if path.starts_with("/v2/") {
            return None;
        }
        let last = params.get("last");
        if path == "/acr/v1/_catalog" {
            let index = last.map_or(0, |l| catalog.iter().position(|r| r == l).unwrap() + 1);
            let mut headers = Vec::new();
            if index + 1 < catalog.len() {
                headers.push((
                    "link",
                    format!(
                        "</acr/v1/_catalog?last={}&n=100>; rel=\"next\"",
                        catalog[index]
                    ),
                ));
            }
            return Some(json(200, &j!({"repositories": [catalog[index]]}), &headers));
        }
        let repo = path
            .strip_prefix("/acr/v1/")
            .and_then(|r| r.strip_suffix("/_tags"))
            .unwrap();
        let repo_tags = &tags[repo];
        let index = last.map_or(0, |l| {
            repo_tags.iter().position(|(t, _)| t == l).unwrap() + 1
        });
        let (tag, digest) = &repo_tags[index];
        let mut headers = Vec::new();
        if index + 1 < repo_tags.len() {
            headers.push((
                "link",
                format!("</acr/v1/{repo}/_tags?last={tag}&n=100>; rel=\"next\""),
            ));
        }
        Some(json(
            200,
            &j!({
                "registry": seen.host.clone().unwrap_or_default(),
                "imageName": repo,
                "tags": [{
                    "name": tag, "digest": digest,
                    "createdTime": "2026-01-02T03:04:05.1234567Z",
                    "lastUpdateTime": "2026-01-02T03:04:06.1234567Z",
                    "signed": false,
                    "changeableAttributes": {"deleteEnabled": true, "writeEnabled": true,
                        "readEnabled": true, "listEnabled": true}
                }]
            }),
            &headers,
        ))
    })
}

#[test]
fn acr_listing_to_scanned_results() {
    let Some(h) = Harness::get() else { return };
    let ns = namespace("acr");
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
    let tools = push(
        &h,
        "lab/debian:12",
        &format!("{ns}/tools"),
        &["--tags", "1", "--unique-layer"],
    );
    let listed = |tags: &BTreeMap<String, String>| {
        tags.iter()
            .map(|(t, d)| (t.clone(), d.clone()))
            .collect::<Vec<_>>()
    };
    let mut tags = BTreeMap::new();
    tags.insert(format!("{ns}/app"), listed(&app));
    tags.insert(format!("{ns}/web"), listed(&web));
    let catalog = vec![
        format!("{ns}/app"),
        format!("{ns}/tools"),
        format!("{ns}/web"),
    ];
    let issued: Issued = Arc::default();
    let registry = acr(
        &h.registry,
        catalog,
        tags,
        format!("{ns}/tools"),
        Arc::clone(&issued),
    );
    let host = registry.addr.to_string();

    let setup = Setup::new();
    let config = setup.dir().join("acr.toml");
    fs_err::write(
        &config,
        format!(
            r#"
store = "{store}"
db_dir = "{db}"

[filter]
include = ["{host}/{ns}/*"]

[[registries]]
type = "acr"
url = "http://{host}"
user = "{USER}"
password = "{PASSWORD}"
"#,
            store = setup.store().display(),
            db = setup.db_dir().display(),
        ),
    )
    .unwrap();
    let (output, log) = super::scan_traced(&config, &[]);
    assert!(output.status.success(), "{log}");

    let seen = registry.seen();
    // The listing requests, in the order of each listing (repositories' tags run side by side).
    let listing: BTreeSet<String> = seen
        .iter()
        .map(|s| s.target.clone())
        .filter(|t| t.starts_with("/acr/v1/") || t.contains("/tags/list"))
        .collect();
    let want: BTreeSet<String> = [
        "/acr/v1/_catalog?n=100".to_owned(),
        format!("/acr/v1/_catalog?last={ns}/app&n=100"),
        format!("/acr/v1/_catalog?last={ns}/tools&n=100"),
        format!("/acr/v1/{ns}/app/_tags?n=100"),
        format!(
            "/acr/v1/{ns}/app/_tags?last={}&n=100",
            app.keys().next().unwrap()
        ),
        format!("/acr/v1/{ns}/web/_tags?n=100"),
        // The token endpoint refused `metadata_read` for tools (asked for before the request,
        // the challenge being known): its tags come from the plain listing.
        format!("/v2/{ns}/tools/tags/list?n=100"),
    ]
    .into_iter()
    .collect();
    assert_eq!(listing, want, "{log}");

    // Credentials: Basic only to the token endpoint, bearer tokens of the right scope elsewhere.
    let scopes: BTreeSet<String> = seen
        .iter()
        .filter(|s| s.target.starts_with("/oauth2/token"))
        .map(|s| {
            let q = query(&s.target);
            assert_eq!(q.get("service"), Some(&host), "{}", s.target);
            q["scope"].clone()
        })
        .collect();
    let mut want_scopes: BTreeSet<String> = [
        "registry:catalog:*".to_owned(),
        format!("repository:{ns}/app:metadata_read"),
        format!("repository:{ns}/web:metadata_read"),
        format!("repository:{ns}/tools:metadata_read"),
    ]
    .into_iter()
    .collect();
    for repo in ["app", "web", "tools"] {
        want_scopes.insert(format!("repository:{ns}/{repo}:pull"));
    }
    assert_eq!(scopes, want_scopes, "{log}");
    for s in &seen {
        let basic = s
            .authorization
            .as_deref()
            .is_some_and(|a| a.starts_with("Basic "));
        assert_eq!(
            basic,
            s.target.starts_with("/oauth2/token"),
            "credentials on {}",
            s.target
        );
    }

    let (scanned, rows) = super::scanned(&setup, &ns);
    let mut want = BTreeMap::new();
    for (repo, tags) in [("app", &app), ("web", &web), ("tools", &tools)] {
        for (tag, digest) in tags {
            want.insert(format!("{ns}/{repo}:{tag}"), digest.clone());
        }
    }
    assert_eq!(scanned, want, "{rows:#?}\n{log}");
    // Digests came from the listing: no HEAD for the tags ACR listed with one.
    assert!(
        !seen
            .iter()
            .any(|s| s.method == "HEAD" && !s.target.contains("/tools/")),
        "{seen:#?}"
    );

    assert!(!log.contains(PASSWORD), "password in the logs");
    for token in issued.lock().unwrap().keys() {
        assert!(!log.contains(token.as_str()), "token {token} in the logs");
    }

    // `registry check` names the listing and its token scope.
    let output = crate::plimsoll(&["registry", "check", "--config", config.to_str().unwrap()]);
    let out = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{out}{}", crate::stderr(&output));
    assert!(
        out.contains(&format!(
            "catalog (/acr/v1/_catalog, token scope registry:catalog:*): readable (first repository: {ns}/app)"
        )),
        "{out}"
    );
}
