//! `JFrog` Artifactory: `type = "artifactory"` through discovery → filter → pull → inventory.
//!
//! The stand-in answers Artifactory's Docker REST API as `JFrog` documents it ("List Docker
//! Repositories", `GET /api/docker/{repo-key}/v2/_catalog?n=&last=`, and "List Docker Tags",
//! `GET /api/docker/{repo-key}/v2/{image path}/tags/list?n=&last=`, both paged with a `Link`
//! next header; <https://jfrog.com/help/r/jfrog-rest-apis/list-docker-repositories>) under
//! the `/artifactory` context path, with HTTP Basic. One name per page, so paging is
//! exercised. With the repository-path access method the repository key is the first path
//! element of the image references, so the key here is the test's namespace in the lab
//! registry. No Artifactory emulator exists.

use std::collections::{BTreeMap, BTreeSet};

use base64::Engine as _;
use serde_json::json as j;

use super::{StandIn, json};
use crate::Harness;
use crate::registry_scan::{Setup, namespace, push};

const USER: &str = "scanner";
const TOKEN: &str = "cmVmdGtuOjAxOjE3OTk5OTk5OTk6plimsoll-test";

/// The names after `last` (all of them without it), one per page, Distribution-style.
fn page_of(
    path: &str,
    query: &str,
    field: &str,
    names: &[String],
) -> axum::http::Response<axum::body::Body> {
    let params: BTreeMap<String, String> = url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    let start = params
        .get("last")
        .map_or(0, |last| names.iter().position(|n| n == last).unwrap() + 1);
    let page: Vec<&String> = names.iter().skip(start).take(1).collect();
    let mut headers = Vec::new();
    if start + 1 < names.len() {
        headers.push((
            "link",
            format!(
                "<{path}?n={}&last={}>; rel=\"next\"",
                params["n"], names[start]
            ),
        ));
    }
    json(200, &j!({ field: page }), &headers)
}

#[test]
fn artifactory_listing_to_scanned_results() {
    let Some(h) = Harness::get() else { return };
    let ns = namespace("artifactory");
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
    let images: BTreeMap<String, Vec<String>> = [
        ("app".to_owned(), app.keys().cloned().collect()),
        ("team/tools".to_owned(), tools.keys().cloned().collect()),
    ]
    .into_iter()
    .collect();
    let key = ns.clone();
    let basic = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{TOKEN}"))
    );
    let api = StandIn::start(move |target, seen| {
        if seen.authorization.as_deref() != Some(basic.as_str()) {
            return json(
                401,
                &j!({"errors": [{"status": 401, "message": "Authentication is required"}]}),
                &[],
            );
        }
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        let prefix = format!("/artifactory/api/docker/{key}/v2/");
        let Some(rest) = path.strip_prefix(&prefix) else {
            return json(
                404,
                &j!({"errors": [{"status": 404, "message": "Not Found"}]}),
                &[],
            );
        };
        if rest == "_catalog" {
            let names: Vec<String> = images.keys().cloned().collect();
            return page_of(path, query, "repositories", &names);
        }
        if let Some(image) = rest.strip_suffix("/tags/list")
            && let Some(tags) = images.get(image)
        {
            return page_of(path, query, "tags", tags);
        }
        json(
            404,
            &j!({"errors": [{"code": "NAME_UNKNOWN", "message": "Repository name not known to registry."}]}),
            &[],
        )
    });

    let setup = Setup::new();
    let config = setup.dir().join("artifactory.toml");
    fs_err::write(
        &config,
        format!(
            r#"
store = "{store}"
db_dir = "{db}"

[filter]
include = ["{reg}/{ns}/*"]

[[registries]]
type = "artifactory"
url = "http://{reg}"
registry_api_url = "{api}/artifactory"
access_method = "repository_path"
namespaces = ["{ns}"]
user = "{USER}"
password_env = "PLIMSOLL_TEST_ARTIFACTORY_TOKEN"
"#,
            store = setup.store().display(),
            db = setup.db_dir().display(),
            reg = h.registry,
            api = api.url(),
        ),
    )
    .unwrap();
    let (output, log) = super::scan_traced(&config, &[("PLIMSOLL_TEST_ARTIFACTORY_TOKEN", TOKEN)]);
    assert!(output.status.success(), "{log}");

    let mut targets: Vec<String> = api.seen().iter().map(|s| s.target.clone()).collect();
    targets.sort_unstable();
    let (a1, a2) = {
        let tags: Vec<&String> = app.keys().collect();
        (tags[0].clone(), tags[1].clone())
    };
    let base = format!("/artifactory/api/docker/{ns}/v2");
    let want: BTreeSet<String> = [
        format!("{base}/_catalog?n=100"),
        format!("{base}/_catalog?n=100&last=app"),
        format!("{base}/app/tags/list?n=100"),
        format!("{base}/app/tags/list?n=100&last={a1}"),
        format!("{base}/team/tools/tags/list?n=100"),
    ]
    .into_iter()
    .collect();
    assert_eq!(targets, want.into_iter().collect::<Vec<_>>(), "{log}");
    assert!(api.seen().iter().all(|s| {
        s.authorization
            .as_deref()
            .is_some_and(|a| a.starts_with("Basic "))
    }));

    let (scanned, rows) = super::scanned(&setup, &ns);
    let mut want = BTreeMap::new();
    want.insert(format!("{ns}/app:{a1}"), app[&a1].clone());
    want.insert(format!("{ns}/app:{a2}"), app[&a2].clone());
    for (tag, digest) in &tools {
        want.insert(format!("{ns}/team/tools:{tag}"), digest.clone());
    }
    assert_eq!(scanned, want, "{rows:#?}\n{log}");
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{TOKEN}"));
    assert!(
        !log.contains(TOKEN) && !log.contains(&basic),
        "credential in the logs"
    );
}

/// The `subdomain` and `port` access methods end to end: image references carry no repository
/// key (`<key>.art.example/<image>`, `art.example:<port>/<image>`), the listing asks the API
/// under the configured key, and pulls go to the registry `url`, whose host or port selects
/// the repository. A loopback front plays that registry (HTTP Basic as Artifactory asks, then
/// a redirect of each manifest and blob to the lab registry, which holds the bytes). For the
/// subdomain, `http://docker-local.artifactory.test` (a reserved name that resolves nowhere)
/// is reached through `HTTP_PROXY` pointing at the front, which then sees the subdomain in
/// `Host`; `NO_PROXY` sends the API and the lab registry direct.
#[test]
fn artifactory_subdomain_and_port_access_methods() {
    const KEY: &str = "docker-local";
    let Some(h) = Harness::get() else { return };
    for method in ["port", "subdomain"] {
        let ns = namespace(&format!("artifactory-{method}"));
        let image = format!("{ns}/app");
        let app = push(
            &h,
            "lab/debian:12",
            &image,
            &["--tags", "1", "--unique-layer"],
        );
        let tags: Vec<String> = app.keys().cloned().collect();
        let basic = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{TOKEN}"))
        );
        let (listed, api_basic) = (image.clone(), basic.clone());
        let api = StandIn::start(move |target, seen| {
            if seen.authorization.as_deref() != Some(api_basic.as_str()) {
                return json(401, &j!({"errors": [{"status": 401}]}), &[]);
            }
            let (path, _) = target.split_once('?').unwrap_or((target, ""));
            let base = format!("/artifactory/api/docker/{KEY}/v2");
            if path == format!("{base}/_catalog") {
                return json(200, &j!({"repositories": [listed]}), &[]);
            }
            if path == format!("{base}/{listed}/tags/list") {
                return json(200, &j!({"name": listed, "tags": tags}), &[]);
            }
            json(404, &j!({"errors": [{"code": "NAME_UNKNOWN"}]}), &[])
        });
        let (lab, front_basic) = (h.registry.clone(), basic.clone());
        let front = StandIn::start(move |target, seen| {
            if seen.authorization.as_deref() != Some(front_basic.as_str()) {
                return json(
                    401,
                    &j!({"errors": [{"code": "UNAUTHORIZED"}]}),
                    &[(
                        "www-authenticate",
                        "Basic realm=\"Artifactory Realm\"".to_owned(),
                    )],
                );
            }
            if target == "/v2/" {
                return json(200, &j!({}), &[]);
            }
            json(
                307,
                &j!({}),
                &[("location", format!("http://{lab}{target}"))],
            )
        });
        let (registry, env) = match method {
            "port" => (front.addr.to_string(), Vec::new()),
            _ => (
                format!("{KEY}.artifactory.test"),
                vec![
                    ("HTTP_PROXY", front.url()),
                    ("NO_PROXY", "127.0.0.1,localhost".to_owned()),
                ],
            ),
        };
        let setup = Setup::new();
        let config = setup.dir().join("artifactory.toml");
        fs_err::write(
            &config,
            format!(
                r#"
store = "{store}"
db_dir = "{db}"

[filter]
include = ["{registry}/{ns}/*"]

[[registries]]
type = "artifactory"
url = "http://{registry}"
registry_api_url = "{api}/artifactory"
access_method = "{method}"
namespaces = ["{KEY}"]
user = "{USER}"
password_env = "PLIMSOLL_TEST_ARTIFACTORY_TOKEN"
"#,
                store = setup.store().display(),
                db = setup.db_dir().display(),
                api = api.url(),
            ),
        )
        .unwrap();
        let mut env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        env.push(("PLIMSOLL_TEST_ARTIFACTORY_TOKEN", TOKEN));
        let (output, log) = super::scan_traced(&config, &env);
        assert!(output.status.success(), "{method}: {log}");
        let (scanned, rows) = super::scanned(&setup, &ns);
        let want: BTreeMap<String, String> = app
            .iter()
            .map(|(t, d)| (format!("{image}:{t}"), d.clone()))
            .collect();
        assert_eq!(scanned, want, "{method}: {rows:#?}\n{log}");
        // The results name the images by the registry `url`, with no repository key.
        assert!(
            rows.iter().all(|r| r["registry"] == registry.as_str()),
            "{method}: {rows:#?}"
        );

        let base = format!("/artifactory/api/docker/{KEY}/v2");
        let mut targets: Vec<String> = api.seen().iter().map(|s| s.target.clone()).collect();
        targets.sort_unstable();
        assert_eq!(
            targets,
            vec![
                format!("{base}/_catalog?n=100"),
                format!("{base}/{image}/tags/list?n=100"),
            ],
            "{method}: {log}"
        );
        // The front got the pulls (`<image>` with no key) under the access method's host name,
        // with the credentials once it asked for them.
        let pulls: Vec<_> = front
            .seen()
            .into_iter()
            .filter(|s| s.target.starts_with(&format!("/v2/{image}/manifests/")))
            .collect();
        assert!(
            pulls
                .iter()
                .all(|s| s.host.as_deref() == Some(registry.as_str()))
                && pulls
                    .iter()
                    .any(|s| s.authorization.as_deref() == Some(basic.as_str())),
            "{method}: {:#?}",
            front.seen()
        );
        let encoded = base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{TOKEN}"));
        assert!(
            !log.contains(TOKEN) && !log.contains(&encoded),
            "{method}: credential in the logs"
        );
    }
}
