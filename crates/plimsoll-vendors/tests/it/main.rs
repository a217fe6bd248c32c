//! Integration tests of `plimsoll-vendors`' public API.
//!
//! - Against the real Distribution 2.8 registries of `scripts/test-registry.sh up` (skipped
//!   without `PLIMSOLL_TEST_REGISTRY`, failing under `CI`).
//! - Against a loopback stand-in for what the lab registry will not do: a catalog that is not
//!   in lexical order.
//!
//! - Against a loopback stand-in of Google's token endpoint (`gar_token.rs`): the JWT bearer
//!   grant's claims and the renewal of access tokens.
//!
//! - Against Prism mocking Harbor's API v2.0 spec (`harbor_prism.rs`; skipped without
//!   `PLIMSOLL_TOOLS_PRISM`).
//!
//! All traffic stays on 127.0.0.0/8.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod harbor_prism;

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use plimsoll_registry::{CredentialStore, Credentials, RegistryClient};
use plimsoll_vendors::{Discovery, Endpoint, Error, Vendor, discovery};

mod cloud_listing;
mod ecr_paging;
mod gar_token;

/// The lab registries, or `None` when not configured (a failure under `CI`).
fn lab() -> Option<(String, String, Credentials)> {
    match std::env::var("PLIMSOLL_TEST_REGISTRY") {
        Ok(registry) if !registry.trim().is_empty() => {
            let var = |name: &str| {
                std::env::var(name).unwrap_or_else(|_| {
                    panic!(
                        "PLIMSOLL_TEST_REGISTRY is set but {name} is not: source .plimsoll-test/env"
                    )
                })
            };
            Some((
                registry,
                var("PLIMSOLL_TEST_AUTH_REGISTRY"),
                Credentials::new(
                    var("PLIMSOLL_TEST_AUTH_USER"),
                    var("PLIMSOLL_TEST_AUTH_PASSWORD"),
                ),
            ))
        }
        _ => {
            assert!(
                !std::env::var("CI").is_ok_and(|v| !matches!(v.trim(), "" | "0" | "false")),
                "PLIMSOLL_TEST_REGISTRY not set but CI is: run scripts/test-registry.sh up"
            );
            skip("PLIMSOLL_TEST_REGISTRY not set (run scripts/test-registry.sh up)");
            None
        }
    }
}

#[allow(
    clippy::print_stderr,
    reason = "a skipped test must say so in the test output"
)]
fn skip(reason: &str) {
    eprintln!("skipping: {reason}");
}

fn client(credentials: CredentialStore) -> Arc<RegistryClient> {
    Arc::new(
        RegistryClient::builder()
            .credentials(credentials)
            .max_attempts(2)
            .build()
            .unwrap(),
    )
}

fn distribution(
    type_name: &str,
    registry: &str,
    client: Arc<RegistryClient>,
) -> Box<dyn Discovery> {
    let vendor: Vendor = type_name.parse().unwrap();
    discovery(vendor, Endpoint::new(registry, client).page_size(3)).unwrap()
}

#[tokio::test]
async fn lists_the_lab_registry() {
    let Some((registry, _, _)) = lab() else {
        return;
    };
    let found = distribution("distribution", &registry, client(CredentialStore::new()));
    assert_eq!(found.vendor(), Vendor::Distribution);
    let repositories = found.repositories(None).await.unwrap();
    assert!(repositories.is_sorted(), "{repositories:?}");
    for name in ["lab/debian", "lab/multiarch", "lab/python-app"] {
        assert!(
            repositories.iter().any(|r| r == name),
            "{name}: {repositories:?}"
        );
    }
    for limit in [1, 2, 4] {
        let first = found.repositories(Some(limit)).await.unwrap();
        assert_eq!(first, repositories[..limit], "limit {limit}");
    }
    assert_eq!(names(found.tags("lab/debian").await.unwrap()), ["12"]);

    let err = found.tags("lab/no-such-repository").await.unwrap_err();
    let Error::Tags { source, .. } = &err else {
        panic!("expected Tags, got {err:?}")
    };
    assert!(
        matches!(**source, plimsoll_registry::Error::RepositoryUnknown { .. }),
        "{source:?}"
    );
    assert_eq!(
        err.to_string(),
        format!("cannot list the tags of {registry}/lab/no-such-repository")
    );
}

#[tokio::test]
async fn auth_registry_needs_credentials_for_the_catalog() {
    let Some((_, auth_registry, credentials)) = lab() else {
        return;
    };
    let anonymous = distribution("v2", &auth_registry, client(CredentialStore::new()));
    let err = anonymous.repositories(None).await.unwrap_err();
    let Error::Repositories { source, .. } = &err else {
        panic!("expected Repositories, got {err:?}")
    };
    assert!(
        matches!(**source, plimsoll_registry::Error::CatalogDenied { .. }),
        "{source:?}"
    );

    let mut store = CredentialStore::new();
    store.insert(&auth_registry, credentials);
    let found = distribution("docker-registry", &auth_registry, client(store));
    // Other tests push repositories of their own to the same registry (in namespaces of their
    // own): the harness's one must be listed, sorted among them.
    let repositories = found.repositories(None).await.unwrap();
    assert!(
        repositories.iter().any(|r| r == "lab/private"),
        "{repositories:?}"
    );
    assert!(repositories.is_sorted(), "{repositories:?}");
    assert_eq!(names(found.tags("lab/private").await.unwrap()), ["1"]);
}

/// Serves `/v2/_catalog` with `repositories` in the given (unsorted) order, one page of `n`
/// after `last` (as positions in that order), and `/v2/<name>/tags/list` with duplicates.
async fn unsorted_registry(
    repositories: &'static [&'static str],
) -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind(("127.0.0.1", 0)).await.unwrap();
    let host = listener.local_addr().unwrap().to_string();
    let log = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&log);
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let mut buf = vec![0_u8; 8192];
            let n = stream.read(&mut buf).await.unwrap_or(0);
            let head = String::from_utf8_lossy(&buf[..n]).into_owned();
            let target = head.split(' ').nth(1).unwrap_or_default().to_owned();
            seen.lock().unwrap().push(target.clone());
            let url = url_of(&target);
            let query = |key: &str| {
                url.query_pairs()
                    .find(|(k, _)| k == key)
                    .map(|(_, v)| v.into_owned())
            };
            let (body, link) = if url.path() == "/v2/_catalog" {
                let n: usize = query("n").map_or(100, |n| n.parse().unwrap());
                let start = query("last").map_or(0, |last| {
                    repositories.iter().position(|r| *r == last).unwrap() + 1
                });
                let end = (start + n).min(repositories.len());
                let link = (end < repositories.len()).then(|| {
                    format!(
                        "link: </v2/_catalog?n={n}&last={}>; rel=\"next\"\r\n",
                        repositories[end - 1].replace('/', "%2F")
                    )
                });
                (
                    serde_json::json!({ "repositories": &repositories[start..end] }).to_string(),
                    link,
                )
            } else {
                (r#"{"name":"x","tags":["b","a","b"]}"#.to_owned(), None)
            };
            let reply = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n{}content-length: {}\r\nconnection: close\r\n\r\n{body}",
                link.unwrap_or_default(),
                body.len()
            );
            let _ = stream.write_all(reply.as_bytes()).await;
            let _ = stream.shutdown().await;
        }
    });
    (host, log)
}

fn url_of(target: &str) -> url::Url {
    url::Url::parse(&format!("http://h{target}")).unwrap()
}

#[tokio::test]
async fn a_catalog_out_of_lexical_order_is_listed_whole_before_capping() {
    const REPOSITORIES: &[&str] = &["zeta/app", "alpha/app", "mid/app", "beta/app", "alpha/app"];
    let (host, log) = unsorted_registry(REPOSITORIES).await;
    let client = Arc::new(
        RegistryClient::builder()
            .plain_http(true)
            .max_attempts(1)
            .build()
            .unwrap(),
    );
    let found = discovery(
        Vendor::Distribution,
        Endpoint::new(&host, client).page_size(2),
    )
    .unwrap();
    // The first two served are zeta and alpha; the sorted first two are alpha and beta.
    assert_eq!(
        found.repositories(Some(2)).await.unwrap(),
        ["alpha/app", "beta/app"]
    );
    let requests = log.lock().unwrap().clone();
    assert_eq!(
        requests,
        [
            "/v2/_catalog?n=2",
            "/v2/_catalog?n=2",
            "/v2/_catalog?n=2&last=alpha%2Fapp",
            "/v2/_catalog?n=2&last=beta%2Fapp",
        ],
        "one early-stopped page, then the whole catalog"
    );
    assert_eq!(
        found.repositories(None).await.unwrap(),
        ["alpha/app", "beta/app", "mid/app", "zeta/app"]
    );
    assert_eq!(names(found.tags("x").await.unwrap()), ["a", "b"]);
}

/// The names of listed tags (the Distribution API gives nothing else).
fn names(tags: Vec<plimsoll_vendors::ListedTag>) -> Vec<String> {
    assert!(
        tags.iter()
            .all(|t| t.digest.is_none() && t.pushed_at.is_none()),
        "{tags:?}"
    );
    tags.into_iter().map(|t| t.name).collect()
}
