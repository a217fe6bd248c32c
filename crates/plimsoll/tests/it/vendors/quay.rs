//! Quay: `type = "quay"` through discovery → filter → pull → inventory.
//!
//! The stand-in answers Quay's API v1 as Red Hat documents it (API reference,
//! <https://docs.redhat.com/en/documentation/red_hat_quay/3/html/red_hat_quay_api_reference/>:
//! `listRepos` `GET /api/v1/repository?namespace=` paged by the `next_page` token it returns;
//! `listRepoTags` `GET /api/v1/repository/{repository}/tag/?onlyActiveTags&page&limit` paged by
//! `has_additional`; `OAuth` access tokens as `Authorization: Bearer`). One item per page, so
//! both kinds of paging are exercised. No Quay emulator exists, and quay/quay publishes no
//! static spec (it generates one at run time), so the shapes are the documented examples'.

use std::collections::BTreeMap;

use serde_json::json as j;

use super::{StandIn, json};
use crate::Harness;
use crate::registry_scan::{Setup, namespace, push};

const TOKEN: &str = "quay-oauth-token-9d3b7e21";

fn quay(ns: String, repositories: BTreeMap<String, Vec<(String, String)>>) -> StandIn {
    let expected = format!("Bearer {TOKEN}");
    StandIn::start(move |target, seen| {
        if seen.authorization.as_deref() != Some(expected.as_str()) {
            return json(
                401,
                &j!({"status": 401, "error_message": "Requires authentication", "title": "unauthorized", "error_type": "invalid_token", "detail": "Requires authentication", "type": "https://quay.io/api/v1/error/invalid_token"}),
                &[],
            );
        }
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        let params: BTreeMap<String, String> = url::form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect();
        if path == "/api/v1/repository" {
            assert_eq!(params.get("namespace"), Some(&ns), "{target}");
            let names: Vec<&String> = repositories.keys().collect();
            // next_page is an opaque token; here the index of the next repository.
            let index: usize = params
                .get("next_page")
                .map_or(0, |t| t.trim_start_matches("tok").parse().unwrap());
            let name = names[index].rsplit('/').next().unwrap();
            let mut body = j!({"repositories": [{
                "namespace": ns, "name": name, "description": null, "is_public": false,
                "kind": "image", "state": "NORMAL", "is_starred": false
            }]});
            if index + 1 < names.len() {
                body["next_page"] = j!(format!("tok{}", index + 1));
            }
            return json(200, &body, &[]);
        }
        let Some(repo) = path
            .strip_prefix("/api/v1/repository/")
            .and_then(|r| r.strip_suffix("/tag/"))
        else {
            return json(404, &j!({"status": 404, "error_message": "Not Found"}), &[]);
        };
        let Some(tags) = repositories.get(repo) else {
            return json(404, &j!({"status": 404, "error_message": "Not Found"}), &[]);
        };
        let page: usize = params["page"].parse().unwrap();
        let (name, digest) = &tags[page - 1];
        json(
            200,
            &j!({
                "tags": [{
                    "name": name, "reversion": false, "start_ts": 1_767_323_045,
                    "manifest_digest": digest, "is_manifest_list": false, "size": 1234,
                    "last_modified": "Fri, 02 Jan 2026 03:04:05 -0000"
                }],
                "page": page,
                "has_additional": page < tags.len()
            }),
            &[],
        )
    })
}

#[test]
fn quay_listing_to_scanned_results() {
    let Some(h) = Harness::get() else { return };
    let ns = namespace("quay");
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
    let mut repositories = BTreeMap::new();
    repositories.insert(
        format!("{ns}/app"),
        app.iter()
            .map(|(t, d)| (t.clone(), d.clone()))
            .collect::<Vec<_>>(),
    );
    repositories.insert(
        format!("{ns}/web"),
        web.iter()
            .map(|(t, d)| (t.clone(), d.clone()))
            .collect::<Vec<_>>(),
    );
    let api = quay(ns.clone(), repositories);
    let setup = Setup::new();
    let token_file = setup.dir().join("quay-token");
    fs_err::write(&token_file, format!("{TOKEN}\n")).unwrap();
    let config = setup.dir().join("quay.toml");
    fs_err::write(
        &config,
        format!(
            r#"
store = "{store}"
db_dir = "{db}"

[filter]
include = ["{reg}/{ns}/*"]

[[registries]]
type = "quay"
url = "http://{reg}"
api_url = "{api}"
namespaces = ["{ns}"]
api_token_file = "{token}"
user = "{ns}+scanner"
password = "robot-encrypted-password-71c2"
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

    // Repositories' tags are listed a few at a time: compare sorted.
    let mut targets: Vec<String> = api.seen().iter().map(|s| s.target.clone()).collect();
    targets.sort_unstable();
    assert_eq!(
        targets,
        vec![
            format!("/api/v1/repository?namespace={ns}"),
            format!("/api/v1/repository?namespace={ns}&next_page=tok1"),
            format!("/api/v1/repository/{ns}/app/tag/?onlyActiveTags=true&page=1&limit=100"),
            format!("/api/v1/repository/{ns}/app/tag/?onlyActiveTags=true&page=2&limit=100"),
            format!("/api/v1/repository/{ns}/web/tag/?onlyActiveTags=true&page=1&limit=100"),
        ]
        .into_iter()
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect::<Vec<_>>(),
        "{log}"
    );
    assert!(
        api.seen()
            .iter()
            .all(|s| s.authorization.as_deref() == Some(&format!("Bearer {TOKEN}")[..]))
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
    assert!(
        !log.contains(TOKEN) && !log.contains("robot-encrypted-password-71c2"),
        "credential in the logs"
    );
}

/// The vendor keys travel through `POST /api/v1/registries` too: a Quay registry created over
/// the API (its API token in the server's environment) is listed through Quay's API and
/// scanned, and the token is in no answer and no log line.
#[test]
fn a_quay_registry_created_through_the_api_is_listed_through_quays_api() {
    let Some(h) = Harness::get() else { return };
    let ns = namespace("quay-api");
    let app = push(
        &h,
        "lab/debian:12",
        &format!("{ns}/app"),
        &["--tags", "1", "--unique-layer"],
    );
    let mut repositories = BTreeMap::new();
    repositories.insert(
        format!("{ns}/app"),
        app.iter()
            .map(|(t, d)| (t.clone(), d.clone()))
            .collect::<Vec<_>>(),
    );
    let api = quay(ns.clone(), repositories);
    let setup = Setup::new();
    let config = setup.dir().join("plimsoll.toml");
    fs_err::write(
        &config,
        format!(
            "store = \"{store}\"\ndb_dir = \"{db}\"\n\n[filter]\ninclude = [\"{reg}/{ns}/*\"]\n",
            store = setup.store().display(),
            db = setup.db_dir().display(),
            reg = h.registry,
        ),
    )
    .unwrap();
    let server = crate::serve::Server::start_with_env(
        &[
            "--log-level",
            "trace",
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--config",
            config.to_str().unwrap(),
        ],
        &[("PLIMSOLL_TEST_QUAY_TOKEN", TOKEN)],
    );
    let admin = server.admin_token.clone().unwrap();
    let body = j!({
        "name": "quay-api",
        "type": "quay",
        "url": format!("http://{}", h.registry),
        "api_url": api.url(),
        "namespaces": [ns],
        "api_token_env": "PLIMSOLL_TEST_QUAY_TOKEN",
        "scan_on_start": true,
    })
    .to_string();
    let (status, answer) = server.send("POST", "/api/v1/registries", Some(&admin), Some(&body));
    assert_eq!(status, 201, "{answer}");

    let images = format!("/api/v1/images?registry={}", h.registry);
    let scanned = crate::serve_registries::wait_for("the image listed by Quay's API", || {
        let list = server.get_json(&images, &admin);
        let found: BTreeMap<String, String> = list["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|i| i["repository"] == format!("{ns}/app").as_str())
            .filter(|i| i["status"] == "scanned")
            .map(|i| {
                (
                    i["tag"].as_str().unwrap().to_owned(),
                    i["digest"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        (!found.is_empty()).then_some(found)
    });
    assert_eq!(scanned, app);
    // Listed through the stand-in, with the token of the server's environment.
    let seen = api.seen();
    assert!(
        seen.iter()
            .any(|s| s.target == format!("/api/v1/repository?namespace={ns}")),
        "{seen:?}"
    );
    assert!(
        seen.iter()
            .all(|s| s.authorization.as_deref() == Some(&format!("Bearer {TOKEN}")[..]))
    );
    let listed = server.get_json("/api/v1/registries/quay-api", &admin);
    assert!(!listed.to_string().contains(TOKEN), "{listed}");

    let (status, lines) = server.stop();
    let log = lines.join("\n");
    assert!(status.success(), "{log}");
    assert!(!log.contains(TOKEN), "the Quay token reached the log");
}
