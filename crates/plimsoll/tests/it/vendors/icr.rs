//! IBM Cloud Container Registry: `type = "icr"` through discovery → filter → pull → inventory.
//!
//! Two stand-ins, as IBM documents the services:
//! - IAM (<https://cloud.ibm.com/apidocs/iam-identity-token-api>, "Create an IAM access token
//!   for a user or service ID using an API key"): `POST /identity/token`, form-encoded
//!   `grant_type=urn:ibm:params:oauth:grant-type:apikey&apikey=…`, answering `access_token`,
//!   `expires_in` and `expiration`. Its tokens here live 30 seconds, less than Plimsoll's
//!   renewal margin, so every use needs a new one: the test sees the renewal without waiting.
//! - The regional registry host (<https://cloud.ibm.com/apidocs/container-registry>, "List
//!   images": `GET /api/v1/images?includeIBM&includePrivate&includeManifestLists&namespace`,
//!   `Authorization: Bearer <IAM token>`, `Account: <account id>`, answering `RemoteAPIImage`s
//!   with `RepoTags`, `RepoDigests`, `DigestTags`, `Created`), and `/v2/` behind HTTP Basic with
//!   user `iamapikey` and the API key, forwarded to the lab registry where the images are.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use serde_json::json as j;

use super::{StandIn, json};
use crate::Harness;
use crate::registry_scan::{Setup, namespace, push};

const API_KEY: &str = "ibm-api-key-0f3c9a51d2";
const ACCOUNT: &str = "a1b2c3d4e5f60718293a4b5c6d7e8f90";

fn form(body: &str) -> BTreeMap<String, String> {
    url::form_urlencoded::parse(body.as_bytes())
        .into_owned()
        .collect()
}

/// IAM: issues `iam-access-N` for the right API key; the issued tokens, in order.
fn iam(issued: Arc<Mutex<Vec<String>>>) -> StandIn {
    StandIn::start(move |target, seen| {
        let body = form(&seen.body);
        if seen.method != "POST"
            || target != "/identity/token"
            || body.get("grant_type").map(String::as_str)
                != Some("urn:ibm:params:oauth:grant-type:apikey")
            || body.get("apikey").map(String::as_str) != Some(API_KEY)
        {
            return json(
                400,
                &j!({"errorCode": "BXNIM0415E", "errorMessage": "Provided API key could not be found."}),
                &[],
            );
        }
        let mut issued = issued.lock().unwrap();
        let token = format!("iam-access-{}-d41e", issued.len() + 1);
        issued.push(token.clone());
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        json(
            200,
            &j!({"access_token": token, "refresh_token": "not-used", "token_type": "Bearer",
                 "expires_in": 30, "expiration": now + 30, "scope": "ibm openid"}),
            &[],
        )
    })
}

/// The registry host: the images API for `namespace` (others are empty) and `/v2/`.
fn icr(
    upstream: &str,
    ns: String,
    images: BTreeMap<String, BTreeMap<String, String>>,
    issued: Arc<Mutex<Vec<String>>>,
) -> StandIn {
    let basic = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("iamapikey:{API_KEY}"))
    );
    StandIn::forwarding(upstream, move |target, seen| {
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        if path.starts_with("/v2/") {
            if seen.authorization.as_deref() == Some(basic.as_str()) {
                return None;
            }
            return Some(json(
                401,
                &j!({"errors": [{"code": "UNAUTHORIZED"}]}),
                &[("www-authenticate", r#"Basic realm="Registry""#.to_owned())],
            ));
        }
        if path != "/api/v1/images" {
            return Some(json(404, &j!({"message": "not found"}), &[]));
        }
        // Only the token IAM issued last is current.
        let current = issued.lock().unwrap().last().map(|t| format!("Bearer {t}"));
        if seen.authorization.is_none() || seen.authorization != current {
            return Some(json(
                401,
                &j!({"code": "CRG0101E", "message": "You are not authorized"}),
                &[],
            ));
        }
        if seen.account.as_deref() != Some(ACCOUNT) {
            return Some(json(
                400,
                &j!({"code": "CRG0020E", "message": "No account header"}),
                &[],
            ));
        }
        let params = form(query);
        if params.get("namespace") != Some(&ns) {
            return Some(json(200, &j!([]), &[]));
        }
        let host = seen.host.clone().unwrap();
        let list: Vec<serde_json::Value> = images
            .iter()
            .flat_map(|(repo, tags)| {
                let host = host.clone();
                tags.iter().map(move |(tag, digest)| {
                    j!({
                        "Id": format!("sha256:{:0>64}", tag.len()), "ParentId": "",
                        "Created": 1_767_323_045,
                        "DigestTags": {digest: [tag]},
                        "RepoTags": [format!("{host}/{repo}:{tag}")],
                        "RepoDigests": [format!("{host}/{repo}@{digest}")],
                        "Size": 1234, "VirtualSize": 1234, "Labels": {},
                        "ManifestType": "application/vnd.docker.distribution.manifest.v2+json",
                        "Vulnerable": "", "VulnerabilityCount": 0,
                        "ConfigurationIssueCount": 0, "IssueCount": 0, "ExemptIssueCount": 0
                    })
                })
            })
            .collect();
        Some(json(200, &serde_json::Value::Array(list), &[]))
    })
}

#[test]
fn icr_listing_to_scanned_results() {
    let Some(h) = Harness::get() else { return };
    let ns = namespace("icr");
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
    let mut images = BTreeMap::new();
    images.insert(format!("{ns}/app"), app.clone());
    images.insert(format!("{ns}/web"), web.clone());
    let issued: Arc<Mutex<Vec<String>>> = Arc::default();
    let iam = iam(Arc::clone(&issued));
    let registry = icr(&h.registry, ns.clone(), images, Arc::clone(&issued));
    let host = registry.addr.to_string();
    let other = format!("{ns}-empty");

    let setup = Setup::new();
    let config = setup.dir().join("icr.toml");
    fs_err::write(
        &config,
        format!(
            r#"
store = "{store}"
db_dir = "{db}"

[filter]
include = ["{host}/{ns}/*"]

[[registries]]
type = "icr"
url = "http://{host}"
user = "iamapikey"
password_env = "PLIMSOLL_TEST_ICR_KEY"
account_id = "{ACCOUNT}"
iam_url = "{iam}/identity/token"
namespaces = ["{ns}", "{other}"]
"#,
            store = setup.store().display(),
            db = setup.db_dir().display(),
            iam = iam.url(),
        ),
    )
    .unwrap();
    let (output, log) = super::scan_traced(&config, &[("PLIMSOLL_TEST_ICR_KEY", API_KEY)]);
    assert!(output.status.success(), "{log}");

    // IAM: one exchange per use, since its tokens are too short-lived to keep.
    let issued = issued.lock().unwrap().clone();
    assert_eq!(issued, ["iam-access-1-d41e", "iam-access-2-d41e"], "{log}");
    let iam_seen = iam.seen();
    assert_eq!(iam_seen.len(), 2, "{iam_seen:#?}");
    for s in &iam_seen {
        assert_eq!(
            (s.method.as_str(), s.target.as_str()),
            ("POST", "/identity/token")
        );
        assert_eq!(s.authorization, None);
        assert_eq!(
            form(&s.body).get("apikey").map(String::as_str),
            Some(API_KEY)
        );
    }

    // The images API: once per namespace, each with the token current then and the account.
    let seen = registry.seen();
    let api: Vec<(String, Option<String>, Option<String>)> = seen
        .iter()
        .filter(|s| s.target.starts_with("/api/"))
        .map(|s| (s.target.clone(), s.authorization.clone(), s.account.clone()))
        .collect();
    let query =
        "includeIBM=false&includePrivate=true&includeManifestLists=true&vulnerabilities=false";
    assert_eq!(
        api,
        [
            (
                format!("/api/v1/images?{query}&namespace={ns}"),
                Some("Bearer iam-access-1-d41e".to_owned()),
                Some(ACCOUNT.to_owned())
            ),
            (
                format!("/api/v1/images?{query}&namespace={other}"),
                Some("Bearer iam-access-2-d41e".to_owned()),
                Some(ACCOUNT.to_owned())
            ),
        ],
        "{log}"
    );
    // The registry: Basic with the API key, never the IAM token; no HEAD (digests listed).
    let basic = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("iamapikey:{API_KEY}"))
    );
    for s in seen.iter().filter(|s| s.target.starts_with("/v2/")) {
        assert!(
            s.authorization.is_none() || s.authorization.as_deref() == Some(basic.as_str()),
            "{s:?}"
        );
        assert_ne!(s.method, "HEAD", "{s:?}");
    }
    assert!(
        seen.iter()
            .any(|s| s.authorization.as_deref() == Some(basic.as_str()))
    );

    let (scanned, rows) = super::scanned(&setup, &ns);
    let mut want = BTreeMap::new();
    for (repo, tags) in [("app", &app), ("web", &web)] {
        for (tag, digest) in tags {
            want.insert(format!("{ns}/{repo}:{tag}"), digest.clone());
        }
    }
    assert_eq!(scanned, want, "{rows:#?}\n{log}");
    assert!(!log.contains(API_KEY), "API key in the logs");
    for token in &issued {
        assert!(
            !log.contains(token.as_str()),
            "IAM token {token} in the logs"
        );
    }

    // `registry check` goes through IAM and the images API too.
    let output = crate::plimsoll_with_env(
        &["registry", "check", "--config", config.to_str().unwrap()],
        &[("PLIMSOLL_TEST_ICR_KEY", API_KEY)],
    );
    let out = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{out}{}", crate::stderr(&output));
    assert!(
        out.contains(&format!(
            "image list (IAM token for the API key, /api/v1/images): readable (first repository: {ns}/app)"
        )),
        "{out}"
    );
    assert!(!out.contains(API_KEY));
}
