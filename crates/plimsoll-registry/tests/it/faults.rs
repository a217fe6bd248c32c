//! Behaviours a real registry will not produce on demand, driven by loopback servers that
//! inject the fault and record what the client sent: throttling and 5xx, the bearer token
//! realm, redirects to blob storage on another host, content that does not match its digest.

use std::net::Ipv4Addr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use base64::Engine as _;

use plimsoll_registry::manifest::{Manifest, OCI_MANIFEST};
use plimsoll_registry::{
    CredentialStore, Credentials, Error, Reference, RegistryClient, RegistryClientBuilder,
};
use plimsoll_types::Digest;

use crate::server::{Reply, Request, Server};

pub(crate) const LOCALHOST: Ipv4Addr = Ipv4Addr::LOCALHOST;
/// A second loopback address: another host as far as URLs are concerned.
pub(crate) const OTHER_LOOPBACK: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 2);
pub(crate) const USER: &str = "robot";
/// Distinctive, so a leak anywhere is found by a plain substring search.
pub(crate) const PASSWORD: &str = "Canary-pw-7f3b2e91";
pub(crate) const REPOSITORY: &str = "lab/x";
pub(crate) const SCOPE: &str = "repository:lab/x:pull";

/// A tiny image: a config blob and an OCI manifest naming it.
pub(crate) struct Image {
    pub(crate) config: Vec<u8>,
    pub(crate) config_digest: Digest,
    pub(crate) manifest: Vec<u8>,
    pub(crate) manifest_digest: Digest,
}

pub(crate) fn image() -> Image {
    let config =
        br#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"#
            .to_vec();
    let config_digest = Digest::sha256_of(&config);
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            "digest": config_digest.as_str(),
            "size": config.len(),
        },
        "layers": [],
    })
    .to_string()
    .into_bytes();
    let manifest_digest = Digest::sha256_of(&manifest);
    Image {
        config,
        config_digest,
        manifest,
        manifest_digest,
    }
}

/// The `Authorization` value of HTTP Basic for `user:password`.
pub(crate) fn basic(user: &str, password: &str) -> String {
    let encoded = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    format!("Basic {encoded}")
}

/// How a test server guards its `/v2/` endpoints (credentials are always USER/PASSWORD).
#[derive(Clone)]
pub(crate) enum Auth {
    /// `401` with a Basic challenge unless the request carries the right Basic header.
    Basic,
    /// `401` with a Bearer challenge whose realm is `/token` on the same server; the token
    /// endpoint hands out `token` only for the right Basic header.
    Bearer { token: String },
}

/// Wraps `content` in the auth gate `auth`.
pub(crate) fn gate(
    auth: Auth,
    content: impl Fn(&Request) -> Reply + Send + Sync + 'static,
) -> impl Fn(&Request) -> Reply + Send + Sync + 'static {
    let expected_basic = basic(USER, PASSWORD);
    move |request| match &auth {
        Auth::Basic => {
            if request.header("authorization") == Some(expected_basic.as_str()) {
                content(request)
            } else {
                Reply::error(401, "UNAUTHORIZED", "authentication required")
                    .header("www-authenticate", r#"Basic realm="test""#)
            }
        }
        Auth::Bearer { token } => {
            if request.path() == "/token" {
                if request.header("authorization") == Some(expected_basic.as_str()) {
                    Reply::status(200)
                        .header("content-type", "application/json")
                        .body(serde_json::json!({ "token": token, "expires_in": 300 }).to_string())
                } else {
                    Reply::error(401, "UNAUTHORIZED", "bad credentials")
                }
            } else if request.header("authorization") == Some(format!("Bearer {token}").as_str()) {
                content(request)
            } else {
                let challenge = format!(
                    r#"Bearer realm="http://{}/token",service="test",scope="{SCOPE}""#,
                    request.local
                );
                Reply::error(401, "UNAUTHORIZED", "authentication required")
                    .header("www-authenticate", challenge)
            }
        }
    }
}

/// Serves `image` as `lab/x:1` (by tag and digest) and its config blob; 404 otherwise.
pub(crate) fn content(image: &Image) -> impl Fn(&Request) -> Reply + Send + Sync + 'static {
    let manifest = image.manifest.clone();
    let manifest_digest = image.manifest_digest.to_string();
    let config = image.config.clone();
    let config_path = format!("/v2/{REPOSITORY}/blobs/{}", image.config_digest);
    move |request| {
        let path = request.path();
        if path == format!("/v2/{REPOSITORY}/manifests/1")
            || path == format!("/v2/{REPOSITORY}/manifests/{manifest_digest}")
        {
            Reply::status(200)
                .header("content-type", OCI_MANIFEST)
                .header("docker-content-digest", manifest_digest.clone())
                .body(manifest.clone())
        } else if path == config_path {
            Reply::status(200)
                .header("content-type", "application/octet-stream")
                .body(config.clone())
        } else {
            Reply::error(404, "MANIFEST_UNKNOWN", "manifest unknown")
        }
    }
}

/// `host/lab/x:1`.
pub(crate) fn reference(server: &Server) -> Reference {
    format!("{}/{REPOSITORY}:1", server.host()).parse().unwrap()
}

/// A client for the test servers: plain HTTP, quick retries.
pub(crate) fn builder(credentials: CredentialStore) -> RegistryClientBuilder {
    RegistryClient::builder()
        .plain_http(true)
        .credentials(credentials)
        .max_attempts(3)
        .backoff(Duration::from_millis(1), Duration::from_millis(20))
}

/// A store holding USER/PASSWORD for `host` only.
pub(crate) fn store_for(host: &str) -> CredentialStore {
    let mut store = CredentialStore::new();
    store.insert(host, Credentials::new(USER, PASSWORD));
    store
}

/// A handler that fails with `status` for the first `failures` requests, then serves `image`.
fn failing_then_ok(
    failures: usize,
    status: u16,
    extra: Option<(&'static str, &'static str)>,
    image: &Image,
) -> impl Fn(&Request) -> Reply + Send + Sync + 'static {
    let calls = AtomicUsize::new(0);
    let ok = content(image);
    move |request| {
        if calls.fetch_add(1, Ordering::SeqCst) < failures {
            let mut reply = Reply::error(status, "TOOMANYREQUESTS", "slow down");
            if let Some((name, value)) = extra {
                reply = reply.header(name, value);
            }
            reply
        } else {
            ok(request)
        }
    }
}

#[tokio::test]
async fn retry_after_is_honoured() {
    let image = image();
    let server = Server::start(
        LOCALHOST,
        failing_then_ok(1, 429, Some(("retry-after", "1")), &image),
    )
    .await;
    // Base delay 10 ms: without Retry-After the retry would come after ~10–100 ms.
    let client = builder(CredentialStore::new())
        .backoff(Duration::from_millis(10), Duration::from_secs(5))
        .build()
        .unwrap();
    let fetched = client.fetch_manifest(&reference(&server)).await.unwrap();
    assert_eq!(fetched.digest, image.manifest_digest);
    let requests = server.requests();
    assert_eq!(requests.len(), 2, "one 429, one success");
    let waited = requests[1].at - requests[0].at;
    assert!(
        waited >= Duration::from_millis(900),
        "Retry-After: 1 not honoured: retried after {waited:?}"
    );
}

#[tokio::test]
async fn retry_after_is_capped_by_the_maximum_delay() {
    // A hostile or confused server must not park a scan for an hour.
    let image = image();
    let server = Server::start(
        LOCALHOST,
        failing_then_ok(1, 503, Some(("retry-after", "3600")), &image),
    )
    .await;
    let client = builder(CredentialStore::new())
        .backoff(Duration::from_millis(10), Duration::from_millis(50))
        .build()
        .unwrap();
    // Generous bound: failing means waiting the hour, not being a little slow.
    let fetched = tokio::time::timeout(
        Duration::from_secs(30),
        client.fetch_manifest(&reference(&server)),
    )
    .await
    .expect("Retry-After: 3600 was obeyed beyond the 50 ms maximum delay")
    .unwrap();
    assert_eq!(fetched.digest, image.manifest_digest);
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test]
async fn retryable_statuses_are_retried() {
    let image = image();
    for status in [429, 500, 502, 503, 504] {
        let server = Server::start(LOCALHOST, failing_then_ok(2, status, None, &image)).await;
        let client = builder(CredentialStore::new()).build().unwrap();
        let fetched = client
            .fetch_manifest(&reference(&server))
            .await
            .unwrap_or_else(|e| panic!("{status} then 200 should succeed: {e}"));
        assert_eq!(fetched.digest, image.manifest_digest);
        assert_eq!(
            server.requests().len(),
            3,
            "{status}: two failures, one success"
        );
        let blob = client
            .fetch_blob(&reference(&server), &image.config_digest, 1 << 20)
            .await
            .unwrap();
        assert_eq!(blob, image.config);
    }
}

#[tokio::test]
async fn other_statuses_are_not_retried() {
    let image = image();
    for status in [400, 403, 404, 501] {
        let server =
            Server::start(LOCALHOST, failing_then_ok(usize::MAX, status, None, &image)).await;
        let client = builder(CredentialStore::new()).build().unwrap();
        let err = client
            .fetch_manifest(&reference(&server))
            .await
            .unwrap_err();
        assert_eq!(server.requests().len(), 1, "{status} retried: {err}");
        match (status, &err) {
            (
                403,
                Error::Denied {
                    registry,
                    repository,
                    detail,
                },
            ) => {
                assert_eq!(registry, &server.host());
                assert_eq!(repository, REPOSITORY);
                assert!(detail.contains("TOOMANYREQUESTS"), "{detail}");
            }
            (404, Error::NotFound { what, .. }) => assert_eq!(what, "manifest `1`"),
            (400 | 501, Error::Status { status: s, .. }) => assert_eq!(*s, status),
            _ => panic!("{status}: unexpected {err:?}"),
        }
    }
}

#[tokio::test]
async fn persistent_503_exhausts_retries() {
    let image = image();
    let server = Server::start(LOCALHOST, failing_then_ok(usize::MAX, 503, None, &image)).await;
    let client = builder(CredentialStore::new())
        .max_attempts(4)
        .build()
        .unwrap();
    let err = client
        .fetch_manifest(&reference(&server))
        .await
        .unwrap_err();
    let Error::RetriesExhausted {
        attempts,
        ref last,
        ref url,
    } = err
    else {
        panic!("expected RetriesExhausted, got {err:?}")
    };
    assert_eq!(attempts, 4);
    assert!(last.starts_with("503"), "{last}");
    assert!(url.contains(&server.host()), "{url}");
    assert!(err.to_string().contains("after 4 attempts"), "{err}");
    assert_eq!(server.requests().len(), 4);
}

#[tokio::test]
async fn connection_refused_exhausts_retries() {
    // A port that was free a moment ago: nothing listens there any more.
    let addr = tokio::net::TcpListener::bind((LOCALHOST, 0))
        .await
        .unwrap()
        .local_addr()
        .unwrap();
    let reference: Reference = format!("{addr}/{REPOSITORY}:1").parse().unwrap();
    let client = builder(CredentialStore::new()).build().unwrap();
    let err = client.fetch_manifest(&reference).await.unwrap_err();
    assert!(
        matches!(err, Error::RetriesExhausted { attempts: 3, .. }),
        "{err:?}"
    );
    let single = builder(CredentialStore::new())
        .max_attempts(1)
        .build()
        .unwrap();
    let err = single.fetch_manifest(&reference).await.unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
}

#[tokio::test]
async fn loopback_registry_falls_back_to_plain_http() {
    let image = image();
    let server = Server::start(LOCALHOST, content(&image)).await;
    let client = RegistryClient::builder().max_attempts(1).build().unwrap();
    for _ in 0..2 {
        let fetched = client.fetch_manifest(&reference(&server)).await.unwrap();
        assert_eq!(fetched.digest, image.manifest_digest);
    }
    assert_eq!(
        server.requests().len(),
        2,
        "the TLS probe is not an HTTP request; the scheme is remembered"
    );
}

#[tokio::test]
async fn bearer_token_is_fetched_once_and_cached() {
    let image = image();
    let token = "tok-4c1d9a".to_owned();
    let server = Server::start(
        LOCALHOST,
        gate(
            Auth::Bearer {
                token: token.clone(),
            },
            content(&image),
        ),
    )
    .await;
    let client = builder(store_for(&server.host())).build().unwrap();
    let reference = reference(&server);
    for _ in 0..2 {
        let fetched = client.fetch_manifest(&reference).await.unwrap();
        assert_eq!(fetched.digest, image.manifest_digest);
    }
    // Same repository, same scope: the blob reuses the token too.
    let blob = client
        .fetch_blob(&reference, &image.config_digest, 1 << 20)
        .await
        .unwrap();
    assert_eq!(blob, image.config);

    let requests = server.requests();
    assert!(requests.iter().all(|r| r.method == "GET"), "{requests:#?}");
    let token_requests: Vec<_> = requests.iter().filter(|r| r.path() == "/token").collect();
    assert_eq!(token_requests.len(), 1, "token not cached: {requests:#?}");
    let t = token_requests[0];
    assert_eq!(
        t.header("authorization"),
        Some(basic(USER, PASSWORD).as_str())
    );
    assert_eq!(t.query("service").as_deref(), Some("test"));
    assert_eq!(t.query("scope").as_deref(), Some(SCOPE));

    let api: Vec<_> = requests.iter().filter(|r| r.path() != "/token").collect();
    assert_eq!(
        api.len(),
        4,
        "one challenged request, two manifests, one blob"
    );
    assert_eq!(
        api[0].header("authorization"),
        None,
        "first request is anonymous"
    );
    let bearer = format!("Bearer {token}");
    for r in &api[1..] {
        assert_eq!(r.header("authorization"), Some(bearer.as_str()), "{r:?}");
    }
}

#[tokio::test]
async fn bearer_token_refused_without_the_right_credentials() {
    let image = image();
    let server = Server::start(
        LOCALHOST,
        gate(
            Auth::Bearer {
                token: "tok".into(),
            },
            content(&image),
        ),
    )
    .await;
    let mut wrong = CredentialStore::new();
    wrong.insert(&server.host(), Credentials::new(USER, "not-the-password"));
    for store in [wrong, CredentialStore::new()] {
        let client = builder(store).build().unwrap();
        let err = client
            .fetch_manifest(&reference(&server))
            .await
            .unwrap_err();
        let Error::Unauthorized {
            registry,
            repository,
            ..
        } = &err
        else {
            panic!("expected Unauthorized, got {err:?}")
        };
        assert_eq!(registry, &server.host());
        assert_eq!(repository, REPOSITORY);
    }
}

#[tokio::test]
async fn credentials_of_another_host_are_not_sent() {
    let image = image();
    let server = Server::start(LOCALHOST, gate(Auth::Basic, content(&image))).await;
    let port = server.addr().port();
    let mut store = CredentialStore::new();
    // Same address, another port; same port, another name for it: both other registries.
    store.insert(
        &format!("127.0.0.1:{}", port.wrapping_add(1)),
        Credentials::new(USER, PASSWORD),
    );
    store.insert(
        &format!("localhost:{port}"),
        Credentials::new(USER, PASSWORD),
    );
    let client = builder(store).build().unwrap();
    let err = client
        .fetch_manifest(&reference(&server))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Unauthorized { .. }), "{err:?}");
    for r in server.requests() {
        assert_eq!(r.header("authorization"), None, "{r:?}");
    }
}

/// Blob storage elsewhere: the registry at `127.0.0.1` answers the blob GET with a 307 to a
/// recorder at `storage_ip`, which serves the bytes.
async fn redirect_case(auth: Auth, storage_ip: Ipv4Addr) {
    let image = image();
    let config = image.config.clone();
    let storage = Server::start(storage_ip, move |_| {
        Reply::status(200)
            .header("content-type", "application/octet-stream")
            .body(config.clone())
    })
    .await;
    let location = format!("http://{}/storage/blob?X-Amz-Signature=abc", storage.host());
    let serve = content(&image);
    let registry = Server::start(
        LOCALHOST,
        gate(auth.clone(), move |request| {
            if request.path().contains("/blobs/") {
                Reply::status(307).header("location", location.clone())
            } else {
                serve(request)
            }
        }),
    )
    .await;
    let client = builder(store_for(&registry.host())).build().unwrap();
    let blob = client
        .fetch_blob(&reference(&registry), &image.config_digest, 1 << 20)
        .await
        .unwrap();
    assert_eq!(blob, image.config);

    let sent = match &auth {
        Auth::Basic => basic(USER, PASSWORD),
        Auth::Bearer { token } => format!("Bearer {token}"),
    };
    let to_registry = registry.requests();
    assert!(
        to_registry
            .iter()
            .any(|r| r.path().contains("/blobs/") && r.header("authorization") == Some(&sent)),
        "the registry itself must get the credentials: {to_registry:#?}"
    );
    let to_storage = storage.requests();
    assert_eq!(to_storage.len(), 1, "{to_storage:#?}");
    assert_eq!(to_storage[0].path(), "/storage/blob");
    let secrets = [
        PASSWORD.to_owned(),
        basic(USER, PASSWORD),
        sent.trim_start_matches("Bearer ").to_owned(),
    ];
    for (name, value) in &to_storage[0].headers {
        assert_ne!(name, "authorization", "{to_storage:#?}");
        for secret in &secrets {
            assert!(!value.contains(secret.as_str()), "{name}: {value}");
        }
    }
}

#[tokio::test]
async fn basic_credentials_do_not_follow_a_redirect_to_another_host() {
    redirect_case(Auth::Basic, OTHER_LOOPBACK).await;
}

#[tokio::test]
async fn bearer_token_does_not_follow_a_redirect_to_another_host() {
    redirect_case(
        Auth::Bearer {
            token: "tok-8e2f".into(),
        },
        OTHER_LOOPBACK,
    )
    .await;
}

#[tokio::test]
async fn basic_credentials_do_not_follow_a_redirect_to_another_port() {
    redirect_case(Auth::Basic, LOCALHOST).await;
}

#[tokio::test]
async fn manifest_digest_header_mismatch_is_refused() {
    let image = image();
    let claimed = Digest::sha256_of(b"some other manifest");
    let manifest = image.manifest.clone();
    let header = claimed.to_string();
    let server = Server::start(LOCALHOST, move |_| {
        Reply::status(200)
            .header("content-type", OCI_MANIFEST)
            .header("docker-content-digest", header.clone())
            .body(manifest.clone())
    })
    .await;
    let client = builder(CredentialStore::new()).build().unwrap();
    let err = client
        .fetch_manifest(&reference(&server))
        .await
        .unwrap_err();
    let Error::DigestMismatch {
        expected, actual, ..
    } = &err
    else {
        panic!("expected DigestMismatch, got {err:?}")
    };
    assert_eq!(expected, &claimed);
    assert_eq!(actual, &image.manifest_digest);
}

#[tokio::test]
async fn manifest_not_matching_its_pinned_digest_is_refused() {
    // The server serves the tag's bytes for any digest and sends no digest header: only the
    // digest in the reference can catch it.
    let image = image();
    let manifest = image.manifest.clone();
    let server = Server::start(LOCALHOST, move |_| {
        Reply::status(200)
            .header("content-type", OCI_MANIFEST)
            .body(manifest.clone())
    })
    .await;
    let client = builder(CredentialStore::new()).build().unwrap();
    let good = client
        .fetch_manifest(&reference(&server).with_digest(image.manifest_digest.clone()))
        .await
        .unwrap();
    assert!(matches!(good.manifest, Manifest::Image(_)));
    let pinned = Digest::sha256_of(b"what was asked for");
    let err = client
        .fetch_manifest(&reference(&server).with_digest(pinned.clone()))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::DigestMismatch { expected, actual, .. }
            if *expected == pinned && *actual == image.manifest_digest),
        "{err:?}"
    );
}

#[tokio::test]
async fn blob_not_matching_its_digest_is_refused() {
    let image = image();
    let tampered =
        br#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":["evil"]}}"#;
    let server = Server::start(LOCALHOST, move |_| {
        Reply::status(200)
            .header("content-type", "application/octet-stream")
            .body(tampered.to_vec())
    })
    .await;
    let client = builder(CredentialStore::new()).build().unwrap();
    let err = client
        .fetch_blob(&reference(&server), &image.config_digest, 1 << 20)
        .await
        .unwrap_err();
    let Error::DigestMismatch {
        what,
        expected,
        actual,
    } = &err
    else {
        panic!("expected DigestMismatch, got {err:?}")
    };
    assert_eq!(what, &format!("blob {}", image.config_digest));
    assert_eq!(expected, &image.config_digest);
    assert_eq!(actual, &Digest::sha256_of(tampered));
}
