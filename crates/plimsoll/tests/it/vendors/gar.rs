//! Google Artifact Registry / Container Registry: `type = "gar"` through discovery → filter →
//! pull → inventory, with a throw-away service-account key (RSA, made by `openssl` per test).
//!
//! Three loopback stand-ins, since Google's services have no emulator here:
//! - the token endpoint (the key's `token_uri`), answering the JWT bearer grant as Google
//!   documents it (<https://developers.google.com/identity/protocols/oauth2/service-account#httprest>,
//!   RFC 7523): it VERIFIES each assertion (RS256 signature against the key's public key, with
//!   `openssl dgst -verify`; `iss` = the account, `aud` = the `token_uri`, `scope`
//!   cloud-platform, `iat`/`exp` at most an hour apart) and grants `ya29.lab-token-N`;
//! - the Artifact Registry API's `dockerImages.list`
//!   (<https://cloud.google.com/artifact-registry/docs/reference/rest/v1/projects.locations.repositories.dockerImages/list>):
//!   one image per page, `nextPageToken` paging, `uri`/`tags`/`uploadTime` as documented,
//!   naming images really pushed to the lab registry; bearer token required;
//! - the registry host: a front that demands HTTP Basic with an issued access token
//!   (`oauth2accesstoken`) or the key (`_json_key`), records what each pull carried, and
//!   forwards to the lab registry.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::Response;
use base64::Engine as _;
use serde_json::{Value, json as j};

use super::{StandIn, json};
use crate::Harness;
use crate::registry_scan::{Setup, namespace, push};

const SCOPE: &str = "https://www.googleapis.com/auth/cloud-platform";
const ACCOUNT: &str = "plimsoll-scanner@lab-project.iam.gserviceaccount.com";

/// A throw-away service-account key: the JSON file (as IAM writes it) and the public key PEM.
struct Key {
    json: String,
    public_pem: std::path::PathBuf,
    /// The base64 body lines of the private key: none may appear in a log.
    private_lines: Vec<String>,
}

fn make_key(dir: &std::path::Path, token_uri: &str) -> Key {
    let private = dir.join("sa-private.pem");
    let public = dir.join("sa-public.pem");
    let run = |args: &[&str]| {
        let out = std::process::Command::new("openssl")
            .args(args)
            .output()
            .expect("openssl");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    // PKCS#8 PEM (`BEGIN PRIVATE KEY`), as Google's keys are.
    run(&[
        "genpkey",
        "-algorithm",
        "RSA",
        "-pkeyopt",
        "rsa_keygen_bits:2048",
        "-out",
        private.to_str().unwrap(),
    ]);
    run(&[
        "pkey",
        "-in",
        private.to_str().unwrap(),
        "-pubout",
        "-out",
        public.to_str().unwrap(),
    ]);
    let pem = fs_err::read_to_string(&private).unwrap();
    let private_lines = pem
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .map(str::to_owned)
        .collect();
    let json = serde_json::to_string_pretty(&j!({
        "type": "service_account",
        "project_id": "lab-project",
        "private_key_id": "5d6c1f0e9b8a7c6d5e4f3a2b1c0d9e8f7a6b5c4d",
        "private_key": pem,
        "client_email": ACCOUNT,
        "client_id": "104567890123456789012",
        "auth_uri": "https://accounts.google.com/o/oauth2/auth",
        "token_uri": token_uri,
        "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
        "client_x509_cert_url": "https://www.googleapis.com/robot/v1/metadata/x509/plimsoll-scanner%40lab-project.iam.gserviceaccount.com",
        "universe_domain": "googleapis.com"
    }))
    .unwrap();
    Key {
        json,
        public_pem: public,
        private_lines,
    }
}

/// What the token endpoint did: tokens granted (in order), assertions received, and every
/// way an assertion fell short (empty when all were valid).
#[derive(Default)]
struct Grants {
    tokens: Vec<String>,
    assertions: Vec<String>,
    problems: Vec<String>,
}

/// base64url, padded or not (RFC 7515 says unpadded, which Plimsoll sends; Google takes both).
fn b64url(text: &str) -> Option<Vec<u8>> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(text.trim_end_matches('='))
        .ok()
}

/// Every way `assertion` is not a valid grant for `token_uri`.
fn check_assertion(assertion: &str, token_uri: &str, public_pem: &std::path::Path) -> Vec<String> {
    let mut problems = Vec::new();
    let parts: Vec<&str> = assertion.split('.').collect();
    let [header, claims, signature] = parts[..] else {
        return vec![format!("not three JWT parts: {}", parts.len())];
    };
    let header: Value =
        serde_json::from_slice(&b64url(header).unwrap_or_default()).unwrap_or_default();
    if header["alg"] != "RS256" {
        problems.push(format!("alg {}", header["alg"]));
    }
    let claims: Value =
        serde_json::from_slice(&b64url(claims).unwrap_or_default()).unwrap_or_default();
    if claims["iss"] != ACCOUNT {
        problems.push(format!("iss {}", claims["iss"]));
    }
    if claims["aud"] != token_uri {
        problems.push(format!("aud {}", claims["aud"]));
    }
    if claims["scope"] != SCOPE {
        problems.push(format!("scope {}", claims["scope"]));
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        .cast_signed();
    match (claims["iat"].as_i64(), claims["exp"].as_i64()) {
        (Some(iat), Some(exp)) => {
            if iat > now + 60 || exp <= now || exp - iat > 3600 || exp <= iat {
                problems.push(format!("iat {iat} / exp {exp} at {now}"));
            }
        }
        _ => problems.push(format!("iat/exp missing: {claims}")),
    }
    // The signature over `header.claims`, verified by openssl against the public key.
    let dir = tempfile::tempdir().unwrap();
    let (input, sig) = (dir.path().join("input"), dir.path().join("sig"));
    let signed = &assertion[..assertion.rfind('.').unwrap()];
    fs_err::write(&input, signed).unwrap();
    fs_err::write(&sig, b64url(signature).unwrap_or_default()).unwrap();
    let verified = std::process::Command::new("openssl")
        .args(["dgst", "-sha256", "-verify"])
        .arg(public_pem)
        .arg("-signature")
        .arg(&sig)
        .arg(&input)
        .output()
        .expect("openssl dgst");
    if !verified.status.success() {
        problems.push(format!(
            "signature: {}",
            String::from_utf8_lossy(&verified.stdout)
        ));
    }
    problems
}

/// Google's token endpoint, granting tokens that live `expires_in` seconds.
fn token_endpoint(
    grants: Arc<Mutex<Grants>>,
    public_pem: std::path::PathBuf,
    expires_in: u64,
    port_slot: Arc<Mutex<String>>,
) -> StandIn {
    StandIn::start(move |target, seen| {
        let token_uri = format!("{}{target}", port_slot.lock().unwrap());
        let form: BTreeMap<String, String> = url::form_urlencoded::parse(seen.body.as_bytes())
            .into_owned()
            .collect();
        let mut problems = Vec::new();
        if seen.method != "POST" || target != "/token" {
            problems.push(format!("{} {target}", seen.method));
        }
        if form.get("grant_type").map(String::as_str)
            != Some("urn:ietf:params:oauth:grant-type:jwt-bearer")
        {
            problems.push(format!("grant_type {:?}", form.get("grant_type")));
        }
        let assertion = form.get("assertion").cloned().unwrap_or_default();
        problems.extend(check_assertion(&assertion, &token_uri, &public_pem));
        let mut g = grants.lock().unwrap();
        g.assertions.push(assertion);
        if !problems.is_empty() {
            g.problems.extend(problems);
            return json(
                400,
                &j!({"error": "invalid_grant", "error_description": "Invalid JWT Signature."}),
                &[],
            );
        }
        let token = format!(
            "ya29.lab-token-{}-{}",
            g.tokens.len() + 1,
            std::process::id()
        );
        g.tokens.push(token.clone());
        json(
            200,
            &j!({"access_token": token, "expires_in": expires_in, "token_type": "Bearer"}),
            &[],
        )
    })
}

/// The `dockerImages.list` API of `project/repository` in `location`: `images` (uri
/// without host, tags) one per page.
fn artifact_registry(
    project: String,
    location: &'static str,
    repository: &'static str,
    images: Vec<(String, Vec<String>)>,
    registry_host: Arc<Mutex<String>>,
    grants: Arc<Mutex<Grants>>,
) -> StandIn {
    StandIn::start(move |target, seen| {
        let granted = grants.lock().unwrap().tokens.clone();
        let bearer = seen
            .authorization
            .as_deref()
            .and_then(|a| a.strip_prefix("Bearer "));
        if !bearer.is_some_and(|t| granted.iter().any(|g| g == t)) {
            return json(
                401,
                &j!({"error": {"code": 401, "message": "Request had invalid authentication credentials.", "status": "UNAUTHENTICATED"}}),
                &[],
            );
        }
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        let want = format!(
            "/v1/projects/{project}/locations/{location}/repositories/{repository}/dockerImages"
        );
        if path != want {
            return json(
                404,
                &j!({"error": {"code": 404, "status": "NOT_FOUND"}}),
                &[],
            );
        }
        let params: BTreeMap<String, String> = url::form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect();
        let index: usize = params
            .get("pageToken")
            .map_or(0, |t| t.trim_start_matches("page").parse().unwrap());
        let (uri, tags) = &images[index];
        let host = registry_host.lock().unwrap().clone();
        let name_part = uri
            .split_once('@')
            .unwrap()
            .0
            .splitn(3, '/')
            .nth(2)
            .unwrap();
        let mut body = j!({"dockerImages": [{
            "name": format!(
                "projects/{project}/locations/{location}/repositories/{repository}/dockerImages/{}@{}",
                name_part.replace('/', "%2F"),
                uri.split_once('@').unwrap().1
            ),
            "uri": format!("{host}/{uri}"),
            "tags": tags,
            "imageSizeBytes": "2812135",
            "uploadTime": "2026-01-02T03:04:05.123456Z",
            "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "buildTime": "2026-01-02T03:00:00Z",
            "updateTime": "2026-01-02T03:04:05.123456Z"
        }]});
        if index + 1 < images.len() {
            body["nextPageToken"] = j!(format!("page{}", index + 1));
        }
        json(200, &body, &[])
    })
}

/// The registry host: HTTP Basic with `accepted()` credentials, then forwarded to the lab
/// registry. Records the password of every request; with `hold`, answers the first manifest
/// request only once the token endpoint has granted a second token (so later pulls must
/// carry the renewed one).
struct Front {
    addr: std::net::SocketAddr,
    passwords: Arc<Mutex<Vec<(String, String)>>>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

type Accepts = dyn Fn(&str, &str) -> bool + Send + Sync;

#[derive(Clone)]
struct FrontState {
    upstream: String,
    accepts: Arc<Accepts>,
    passwords: Arc<Mutex<Vec<(String, String)>>>,
    hold: Option<Arc<Mutex<Grants>>>,
    http: reqwest::Client,
}

impl Front {
    fn start(
        upstream: &str,
        accepts: impl Fn(&str, &str) -> bool + Send + Sync + 'static,
        hold: Option<Arc<Mutex<Grants>>>,
    ) -> Front {
        let passwords = Arc::new(Mutex::new(Vec::new()));
        let state = FrontState {
            upstream: upstream.to_owned(),
            accepts: Arc::new(accepts),
            passwords: Arc::clone(&passwords),
            hold,
            http: reqwest::Client::builder().no_proxy().build().unwrap(),
        };
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        std_listener.set_nonblocking(true).unwrap();
        let addr = std_listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(std_listener).unwrap();
                let app = axum::Router::new().fallback(forward).with_state(state);
                axum::serve(listener, app)
                    .with_graceful_shutdown(async {
                        let _ = stopped.await;
                    })
                    .await
                    .unwrap();
            });
        });
        Front {
            addr,
            passwords,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    fn host(&self) -> String {
        self.addr.to_string()
    }

    /// (path, `user:password`) of every request that carried credentials.
    fn passwords(&self) -> Vec<(String, String)> {
        self.passwords.lock().unwrap().clone()
    }
}

impl Drop for Front {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

async fn forward(State(state): State<FrontState>, request: Request) -> Response<Body> {
    let target = request
        .uri()
        .path_and_query()
        .map(ToString::to_string)
        .unwrap_or_default();
    let basic = request
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
        .and_then(|b| String::from_utf8(b).ok());
    let Some((user, password)) = basic
        .as_deref()
        .and_then(|b| b.split_once(':'))
        .map(|(u, p)| (u.to_owned(), p.to_owned()))
    else {
        return Response::builder()
            .status(401)
            .header("www-authenticate", "Basic realm=\"gar-front\"")
            .body(Body::empty())
            .unwrap();
    };
    state
        .passwords
        .lock()
        .unwrap()
        .push((target.clone(), format!("{user}:{password}")));
    if !(state.accepts)(&user, &password) {
        return Response::builder()
            .status(401)
            .header("www-authenticate", "Basic realm=\"gar-front\"")
            .body(Body::from("{\"errors\":[{\"code\":\"UNAUTHORIZED\"}]}"))
            .unwrap();
    }
    if let Some(grants) = &state.hold
        && target.contains("/manifests/")
    {
        let deadline = Instant::now() + Duration::from_mins(2);
        while grants.lock().unwrap().tokens.len() < 2 {
            assert!(Instant::now() < deadline, "no second grant within 120 s");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    let mut upstream = state.http.request(
        request.method().clone(),
        format!("http://{}{target}", state.upstream),
    );
    for name in ["accept", "range"] {
        if let Some(value) = request.headers().get(name) {
            upstream = upstream.header(name, value.clone());
        }
    }
    let answer = upstream.send().await.unwrap();
    let mut response = Response::builder().status(answer.status().as_u16());
    for (name, value) in answer.headers() {
        if !matches!(name.as_str(), "transfer-encoding" | "connection") {
            response = response.header(name.as_str(), value.as_bytes());
        }
    }
    response
        .body(Body::from(answer.bytes().await.unwrap()))
        .unwrap()
}

/// Pushes `{ns}/images/app` (two tags) and `{ns}/images/web` (one): repository → tag → digest.
fn push_images(h: &Harness, ns: &str) -> BTreeMap<String, BTreeMap<String, String>> {
    let mut pushed = BTreeMap::new();
    for (image, tags) in [("app", "2"), ("web", "1")] {
        let repo = format!("{ns}/images/{image}");
        pushed.insert(
            repo.clone(),
            push(
                h,
                "lab/debian:12",
                &repo,
                &["--tags", tags, "--unique-layer"],
            ),
        );
    }
    pushed
}

/// Lines of `log` holding any of `secrets`, with the secret masked.
fn leaks(log: &str, secrets: &[&str]) -> Vec<String> {
    log.lines()
        .filter_map(|line| {
            secrets
                .iter()
                .find(|s| !s.is_empty() && line.contains(*s))
                .map(|s| line.replace(s, "<SECRET>"))
        })
        .collect()
}

#[test]
fn gar_access_tokens_list_pull_and_renew() {
    let Some(h) = Harness::get() else { return };
    let ns = namespace("gar");
    let pushed = push_images(&h, &ns);
    let setup = Setup::new();

    let grants = Arc::new(Mutex::new(Grants::default()));
    let token_base = Arc::new(Mutex::new(String::new()));
    let dir = tempfile::tempdir().unwrap();
    // The key needs the token URI, which needs the port: the public key file is made first.
    let public_pem = dir.path().join("sa-public.pem");
    // Tokens live 4 s: renewed after 2 s, so a second grant comes during the scan.
    let tokens = token_endpoint(
        Arc::clone(&grants),
        public_pem.clone(),
        4,
        Arc::clone(&token_base),
    );
    *token_base.lock().unwrap() = tokens.url();
    let token_uri = format!("{}/token", tokens.url());
    let key = make_key(dir.path(), &token_uri);
    assert_eq!(key.public_pem, public_pem);

    let accepted = Arc::clone(&grants);
    let front = Front::start(
        &h.registry,
        move |user, password| {
            user == "oauth2accesstoken"
                && accepted
                    .lock()
                    .unwrap()
                    .tokens
                    .iter()
                    .any(|t| t == password)
        },
        Some(Arc::clone(&grants)),
    );
    let registry_host = Arc::new(Mutex::new(front.host()));
    // One untagged image (a digest only) comes along in the listing, as the API gives them.
    let mut images = Vec::new();
    for (repo, tags) in &pushed {
        for (tag, digest) in tags {
            images.push((format!("{repo}@{digest}"), vec![tag.clone()]));
        }
    }
    let untagged = format!("{ns}/images/old@sha256:{}", "0".repeat(64));
    images.insert(1, (untagged, Vec::new()));
    let api = artifact_registry(
        ns.clone(),
        "us-central1",
        "images",
        images.clone(),
        Arc::clone(&registry_host),
        Arc::clone(&grants),
    );

    // The key as base64, the way Kubernetes secrets and CI variables often hold it.
    let key_b64 = base64::engine::general_purpose::STANDARD.encode(&key.json);
    let config = setup.dir().join("gar.toml");
    fs_err::write(
        &config,
        format!(
            r#"
store = "{store}"
db_dir = "{db}"

[filter]
include = ["{front}/{ns}/*"]

[[registries]]
type = "gcr"
url = "http://{front}"
api_url = "{api}"
location = "us-central1"
namespaces = ["{ns}/images"]
json_key_env = "PLIMSOLL_TEST_GAR_KEY"
"#,
            store = setup.store().display(),
            db = setup.db_dir().display(),
            front = front.host(),
            api = api.url(),
        ),
    )
    .unwrap();
    let (output, log) = super::scan_traced(&config, &[("PLIMSOLL_TEST_GAR_KEY", &key_b64)]);
    assert!(output.status.success(), "{log}");

    let g = grants.lock().unwrap();
    assert!(
        g.problems.is_empty(),
        "invalid assertions: {:?}",
        g.problems
    );
    assert!(g.tokens.len() >= 2, "no renewal: {:?}", g.tokens);

    // The API: every page of the one repository, with the first token as bearer.
    let base = format!("/v1/projects/{ns}/locations/us-central1/repositories/images/dockerImages");
    let mut want = vec![format!("{base}?pageSize=100")];
    want.extend((1..images.len()).map(|i| format!("{base}?pageSize=100&pageToken=page{i}")));
    let seen = api.seen();
    assert_eq!(
        seen.iter().map(|s| s.target.clone()).collect::<Vec<_>>(),
        want,
        "{log}"
    );
    assert!(
        seen.iter()
            .all(|s| s.authorization.as_deref() == Some(&format!("Bearer {}", g.tokens[0])[..])),
        "{seen:?}"
    );

    // The token endpoint gets the signed assertion in the form body and no credential header.
    assert!(
        tokens
            .seen()
            .iter()
            .all(|s| s.method == "POST" && s.authorization.is_none()),
        "{:?}",
        tokens.seen()
    );

    // Pulls: only granted tokens, as oauth2accesstoken; the renewed one after the hold.
    let pulls = front.passwords();
    assert!(
        pulls.iter().all(|(_, p)| p
            .strip_prefix("oauth2accesstoken:")
            .is_some_and(|t| g.tokens.iter().any(|g| g == t))),
        "{pulls:?}"
    );
    assert!(
        pulls
            .iter()
            .any(|(_, p)| p.ends_with(&g.tokens[1]) || g.tokens[2..].iter().any(|t| p.ends_with(t))),
        "no pull with a renewed token: {pulls:?}"
    );

    let (scanned, rows) = super::scanned(&setup, &ns);
    let want: BTreeMap<String, String> = pushed
        .iter()
        .flat_map(|(repo, tags)| {
            tags.iter()
                .map(move |(tag, digest)| (format!("{repo}:{tag}"), digest.clone()))
        })
        .collect();
    assert_eq!(scanned, want, "{rows:#?}\n{log}");

    let mut secrets: Vec<String> = vec![key_b64.clone()];
    secrets.extend(g.tokens.iter().cloned());
    secrets.extend(g.assertions.iter().cloned());
    secrets.extend(key.private_lines.iter().cloned());
    drop(g);

    // `registry check`: the account, its token, the registry with it, the API listing.
    let checked = crate::plimsoll_with_env(
        &[
            "--log-level",
            "trace",
            "registry",
            "check",
            "--config",
            config.to_str().unwrap(),
        ],
        &[("PLIMSOLL_TEST_GAR_KEY", &key_b64)],
    );
    let out = String::from_utf8_lossy(&checked.stdout).into_owned();
    let check_log = crate::stderr(&checked);
    assert_eq!(checked.status.code(), Some(0), "{out}{check_log}");
    for line in [
        format!("registry `{}` (type gar): ok", front.host()),
        format!("service account {ACCOUNT}: access token granted by 127.0.0.1"),
        format!(
            "{}/v2/: reachable, access granted as {ACCOUNT} (access token)",
            front.host()
        ),
        format!(
            "Artifact Registry {ns}/images: readable, 2 tagged images (first: {ns}/images/app)"
        ),
    ] {
        assert!(out.contains(&line), "missing `{line}` in:\n{out}");
    }
    let grants = grants.lock().unwrap();
    secrets.extend(grants.tokens.iter().cloned());
    secrets.extend(grants.assertions.iter().cloned());
    let secrets: Vec<&str> = secrets.iter().map(String::as_str).collect();
    let leaked = leaks(&format!("{log}\n{out}\n{check_log}"), &secrets);
    assert!(leaked.is_empty(), "secrets in the trace log: {leaked:#?}");
}

#[test]
fn gcr_json_key_pulls_through_the_catalog_without_a_token() {
    let Some(h) = Harness::get() else { return };
    let ns = namespace("gcr");
    let pushed = push_images(&h, &ns);
    let setup = Setup::new();

    let grants = Arc::new(Mutex::new(Grants::default()));
    let token_base = Arc::new(Mutex::new(String::new()));
    let dir = tempfile::tempdir().unwrap();
    let public_pem = dir.path().join("sa-public.pem");
    let tokens = token_endpoint(
        Arc::clone(&grants),
        public_pem,
        3600,
        Arc::clone(&token_base),
    );
    *token_base.lock().unwrap() = tokens.url();
    let key = make_key(dir.path(), &format!("{}/token", tokens.url()));

    let expected = key.json.clone();
    let front = Front::start(
        &h.registry,
        move |user, password| user == "_json_key" && password == expected,
        None,
    );
    // The Sysdig chart's shape: user `_json_key`, the key inline as the password.
    let config = setup.dir().join("gcr.toml");
    fs_err::write(
        &config,
        format!(
            r#"
store = "{store}"
db_dir = "{db}"

[filter]
include = ["{front}/{ns}/*"]
# The lab registry's catalog holds every test's repositories: list all of it.
max_repositories_per_registry = 10000

[[registries]]
type = "gar"
url = "http://{front}"
user = "_json_key"
password = '''{key}'''
pull_auth = "json_key"
"#,
            store = setup.store().display(),
            db = setup.db_dir().display(),
            front = front.host(),
            key = key.json,
        ),
    )
    .unwrap();
    let (output, log) = super::scan_traced(&config, &[]);
    assert!(output.status.success(), "{log}");

    // No token needed: nothing asked of the token endpoint.
    assert!(tokens.seen().is_empty(), "{:?}", tokens.seen());
    let pulls = front.passwords();
    assert!(
        pulls
            .iter()
            .any(|(path, _)| path.starts_with("/v2/_catalog")),
        "{pulls:?}"
    );
    let want_password = format!("_json_key:{}", key.json);
    assert!(pulls.iter().all(|(_, p)| *p == want_password));

    let (scanned, rows) = super::scanned(&setup, &ns);
    let want: BTreeMap<String, String> = pushed
        .iter()
        .flat_map(|(repo, tags)| {
            tags.iter()
                .map(move |(tag, digest)| (format!("{repo}:{tag}"), digest.clone()))
        })
        .collect();
    assert_eq!(scanned, want, "{rows:#?}\n{log}");
    let mut secrets: Vec<&str> = key.private_lines.iter().map(String::as_str).collect();
    secrets.push(&key.json);
    let leaked = leaks(&log, &secrets);
    assert!(leaked.is_empty(), "secrets in the trace log: {leaked:#?}");
}

/// The token grant is a request of the registry's like any other: with a `proxy` it goes
/// through that proxy (a real tinyproxy wanting credentials), as the registry's own requests do.
#[test]
fn the_token_grant_goes_through_the_registrys_proxy() {
    use super::proxy::{PROXY_PASSWORD, PROXY_USER, Tinyproxy};
    let Some(h) = Harness::get() else { return };
    let Some(program) = crate::tool_env("PLIMSOLL_TOOLS_TINYPROXY") else {
        return;
    };
    let setup = Setup::new();
    let proxy = Tinyproxy::start(&program, setup.dir());
    let grants = Arc::new(Mutex::new(Grants::default()));
    let token_base = Arc::new(Mutex::new(String::new()));
    let dir = tempfile::tempdir().unwrap();
    let public_pem = dir.path().join("sa-public.pem");
    let tokens = token_endpoint(
        Arc::clone(&grants),
        public_pem,
        3600,
        Arc::clone(&token_base),
    );
    *token_base.lock().unwrap() = tokens.url();
    let key = make_key(dir.path(), &format!("{}/token", tokens.url()));
    let key_file = dir.path().join("key.json");
    fs_err::write(&key_file, &key.json).unwrap();
    let config = setup.dir().join("gar-proxy.toml");
    fs_err::write(
        &config,
        format!(
            r#"
[[registries]]
name = "gar-proxy"
type = "gar"
url = "http://{reg}"
json_key_file = "{key}"
proxy = "http://{PROXY_USER}:{PROXY_PASSWORD}@127.0.0.1:{port}"
"#,
            reg = h.registry,
            key = key_file.display(),
            port = proxy.port,
        ),
    )
    .unwrap();
    let checked = crate::plimsoll(&["registry", "check", "--config", config.to_str().unwrap()]);
    let out = String::from_utf8_lossy(&checked.stdout).into_owned();
    assert_eq!(
        checked.status.code(),
        Some(0),
        "{out}{}\n{}",
        crate::stderr(&checked),
        proxy.log()
    );
    assert!(
        out.contains(&format!(
            "service account {ACCOUNT}: access token granted by 127.0.0.1"
        )),
        "{out}"
    );
    let g = grants.lock().unwrap();
    assert!(g.problems.is_empty(), "{:?}", g.problems);
    assert_eq!(g.tokens.len(), 1, "one grant");
    let forwarded = proxy.log();
    assert!(
        forwarded
            .lines()
            .any(|l| l.contains(&format!("POST {}/token", tokens.url()))),
        "the grant did not go through the proxy:\n{forwarded}"
    );
}
