//! Registries that redirect manifest and blob requests to another host (as registries backed by
//! object storage or a CDN do): the registry's credentials — HTTP Basic, or the bearer token
//! its token realm issued — must never reach that other host.
//!
//! One loopback server plays both hosts, told apart by the name the client used: `127.0.0.1:P`
//! is the registry (it checks credentials, answers `/v2/`, the catalog and the tags, and
//! redirects every manifest and blob request), `localhost:P` — the same address and port under
//! another host name, the case a port-only comparison would get wrong — records what reaches
//! it and redirects once more to the lab registry, which serves the real bytes. The redirect
//! shapes are the distribution spec's ("Pulling blobs": a `307` to the content's location,
//! <https://github.com/opencontainers/distribution-spec/blob/main/spec.md#pulling-blobs>).

use std::collections::BTreeMap;

use serde_json::json as j;

use super::{StandIn, json};
use crate::Harness;
use crate::registry_scan::{Setup, namespace, push};

const USER: &str = "redirect-scanner";
const PASSWORD: &str = "redirect-password-2b9e41";
const TOKEN: &str = "redirect-bearer-token-8c03f7";

#[derive(Clone, Copy, Debug)]
pub(crate) enum Auth {
    Basic,
    Bearer,
}

/// `Basic base64(user:password)`.
pub(crate) fn basic_of(user: &str, password: &str) -> String {
    use base64::Engine as _;
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
    )
}

fn basic() -> String {
    basic_of(USER, PASSWORD)
}

/// The registry (`127.0.0.1:P`, taking `basic` or the token its realm issues for it) and the
/// other host (`localhost:P`) of one listing.
pub(crate) fn redirecting(
    auth: Auth,
    basic: String,
    lab: String,
    repository: String,
    tags: Vec<String>,
) -> StandIn {
    StandIn::start(move |target, seen| {
        let host = seen.host.clone().unwrap_or_default();
        let path = target.split_once('?').map_or(target, |(p, _)| p);
        if let Some(port) = host.strip_prefix("localhost:") {
            assert!(!port.is_empty());
            return json(
                307,
                &j!({}),
                &[("location", format!("http://{lab}{target}"))],
            );
        }
        let challenge = match auth {
            Auth::Basic => "Basic realm=\"redirecting\"".to_owned(),
            Auth::Bearer => {
                format!("Bearer realm=\"http://{host}/token\",service=\"redirecting\"")
            }
        };
        let unauthorized = || {
            json(
                401,
                &j!({"errors": [{"code": "UNAUTHORIZED", "message": "authentication required"}]}),
                &[("www-authenticate", challenge.clone())],
            )
        };
        if path == "/token" {
            if seen.authorization.as_deref() != Some(basic.as_str()) {
                return unauthorized();
            }
            return json(200, &j!({"token": TOKEN, "expires_in": 300}), &[]);
        }
        let wanted = match auth {
            Auth::Basic => basic.clone(),
            Auth::Bearer => format!("Bearer {TOKEN}"),
        };
        if seen.authorization.as_deref() != Some(wanted.as_str()) {
            return unauthorized();
        }
        if path == "/v2/" {
            return json(200, &j!({}), &[]);
        }
        if path == "/v2/_catalog" {
            return json(200, &j!({"repositories": [repository]}), &[]);
        }
        if path == format!("/v2/{repository}/tags/list") {
            return json(200, &j!({"name": repository, "tags": tags}), &[]);
        }
        if path.starts_with(&format!("/v2/{repository}/manifests/"))
            || path.starts_with(&format!("/v2/{repository}/blobs/"))
        {
            let port = host.rsplit(':').next().unwrap();
            return json(
                307,
                &j!({}),
                &[("location", format!("http://localhost:{port}{target}"))],
            );
        }
        json(404, &j!({"errors": [{"code": "NAME_UNKNOWN"}]}), &[])
    })
}

#[test]
fn registry_credentials_never_follow_a_redirect_to_another_host() {
    let Some(h) = Harness::get() else { return };
    for auth in [Auth::Basic, Auth::Bearer] {
        let ns = namespace(&format!("redirect-{auth:?}").to_lowercase());
        let app = push(
            &h,
            "lab/debian:12",
            &format!("{ns}/app"),
            &["--tags", "1", "--unique-layer"],
        );
        let server = redirecting(
            auth,
            basic(),
            h.registry.clone(),
            format!("{ns}/app"),
            app.keys().cloned().collect(),
        );
        let registry = server.addr.to_string();
        let setup = Setup::new();
        let config = setup.dir().join("redirects.toml");
        fs_err::write(
            &config,
            format!(
                r#"
store = "{store}"
db_dir = "{db}"

[filter]
include = ["{registry}/{ns}/*"]

[[registries]]
name = "redirecting"
url = "http://{registry}"
user = "{USER}"
password_env = "PLIMSOLL_TEST_REDIRECT_PASSWORD"
"#,
                store = setup.store().display(),
                db = setup.db_dir().display(),
            ),
        )
        .unwrap();
        let (output, log) =
            super::scan_traced(&config, &[("PLIMSOLL_TEST_REDIRECT_PASSWORD", PASSWORD)]);
        assert!(output.status.success(), "{auth:?}: {log}");
        let (scanned, rows) = super::scanned(&setup, &ns);
        let want: BTreeMap<String, String> = app
            .iter()
            .map(|(t, d)| (format!("{ns}/app:{t}"), d.clone()))
            .collect();
        assert_eq!(scanned, want, "{auth:?}: {rows:#?}\n{log}");

        let seen = server.seen();
        let (elsewhere, at_registry): (Vec<_>, Vec<_>) = seen.iter().partition(|s| {
            s.host
                .as_deref()
                .is_some_and(|h| h.starts_with("localhost:"))
        });
        // The manifest and the blobs (config and layers) all went the redirect's way...
        assert!(
            elsewhere.iter().any(|s| s.target.contains("/manifests/"))
                && elsewhere
                    .iter()
                    .filter(|s| s.target.contains("/blobs/"))
                    .count()
                    >= 2,
            "{auth:?}: {seen:#?}"
        );
        // ...with credentials at the registry, and none at the other host.
        assert!(
            at_registry
                .iter()
                .any(|s| s.target.contains("/manifests/") && s.authorization.is_some()),
            "{auth:?}: {seen:#?}"
        );
        assert!(
            elsewhere.iter().all(|s| s.authorization.is_none()),
            "{auth:?}: credentials reached the other host: {elsewhere:#?}"
        );
        if let Auth::Bearer = auth {
            assert!(
                at_registry.iter().any(|s| s.target.starts_with("/token?")),
                "{seen:#?}"
            );
        }
        assert!(
            !log.contains(PASSWORD) && !log.contains(TOKEN) && !log.contains(&basic()[6..]),
            "{auth:?}: a credential in the log"
        );
    }
}
