//! Catalog and tag listing, and manifest digests by `HEAD`: against the real registries
//! (Distribution pages `_catalog` with `Link` headers but answers tags in one page), and against
//! loopback servers for what it will not do on demand (paged tags, absolute and cross-host
//! next links, a pagination loop, the `registry:catalog:*` token scope, a missing
//! `Docker-Content-Digest`).

use std::sync::atomic::{AtomicUsize, Ordering};

use plimsoll_registry::manifest::{DOCKER_MANIFEST, OCI_INDEX, OCI_MANIFEST};
use plimsoll_registry::{CredentialStore, Credentials, Error, Reference, RegistryClient};
use plimsoll_types::Digest;

use crate::faults::{
    Auth, LOCALHOST, OTHER_LOOPBACK, REPOSITORY, builder, content, gate, image, reference,
    store_for,
};
use crate::lab::lab;
use crate::server::{Reply, Request, Server};

/// The dedicated repository of the paging test. Fixed rather than unique per run: every run
/// pushes the same manifest under the same tags (idempotent, safe to run concurrently), so
/// repeated runs do not pile up repositories in the shared lab registry.
const PAGING_REPOSITORY: &str = "paging/tags";
/// More tags than two pages of the page sizes used below.
const PAGING_TAGS: [&str; 8] = [
    "0.9", "1.0", "1.1", "2.0-rc.1", "2.0", "edge", "latest", "v3",
];

fn real_client(credentials: CredentialStore) -> RegistryClient {
    RegistryClient::builder()
        .credentials(credentials)
        .max_attempts(2)
        .backoff(
            std::time::Duration::from_millis(10),
            std::time::Duration::from_millis(100),
        )
        .build()
        .unwrap()
}

/// Uploads `bytes` as a blob of `repository` (POST, then PUT to the upload location).
async fn push_blob(http: &reqwest::Client, registry: &str, repository: &str, bytes: &[u8]) {
    let digest = Digest::sha256_of(bytes);
    let base = url::Url::parse(&format!("http://{registry}/")).unwrap();
    let start = http
        .post(
            base.join(&format!("v2/{repository}/blobs/uploads/"))
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(start.status(), 202, "{start:?}");
    let location = start.headers()["location"].to_str().unwrap().to_owned();
    let mut upload = base.join(&location).unwrap();
    upload
        .query_pairs_mut()
        .append_pair("digest", digest.as_str());
    let done = http
        .put(upload)
        .header("content-type", "application/octet-stream")
        .body(bytes.to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(done.status(), 201, "{done:?}");
}

/// Pushes one small image to `registry/repository` under every tag of `tags` (a PUT of the
/// same manifest per tag) and returns the manifest digest.
async fn push_tags(registry: &str, repository: &str, tags: &[&str]) -> Digest {
    let http = reqwest::Client::new();
    let config = br#"{"architecture":"amd64","os":"linux","created":"2024-01-01T00:00:00Z","rootfs":{"type":"layers","diff_ids":[]}}"#;
    push_blob(&http, registry, repository, config).await;
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            "digest": Digest::sha256_of(config).as_str(),
            "size": config.len(),
        },
        "layers": [],
    })
    .to_string();
    for tag in tags {
        let response = http
            .put(format!("http://{registry}/v2/{repository}/manifests/{tag}"))
            .header("content-type", OCI_MANIFEST)
            .body(manifest.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            201,
            "PUT {repository}:{tag}: {response:?}"
        );
    }
    Digest::sha256_of(manifest.as_bytes())
}

fn sorted(mut names: Vec<String>) -> Vec<String> {
    names.sort();
    names
}

#[tokio::test]
async fn real_tags_of_a_repository_with_many_tags() {
    let Some(lab) = lab() else { return };
    let digest = push_tags(&lab.registry, PAGING_REPOSITORY, &PAGING_TAGS).await;
    let client = real_client(CredentialStore::new());
    let mut want: Vec<String> = PAGING_TAGS.iter().map(|t| (*t).to_owned()).collect();
    want.sort();
    for page_size in [2, 3, 1000] {
        let tags = client
            .tags(&lab.registry, PAGING_REPOSITORY, page_size)
            .await
            .unwrap();
        assert_eq!(sorted(tags), want, "page size {page_size}");
    }
    // Every tag names the pushed manifest, and HEAD says so without a download.
    for tag in ["0.9", "latest"] {
        let r: Reference = format!("{}/{PAGING_REPOSITORY}:{tag}", lab.registry)
            .parse()
            .unwrap();
        assert_eq!(client.manifest_digest(&r).await.unwrap(), digest);
    }
}

#[tokio::test]
async fn real_catalog_pages_match_the_whole_catalog() {
    let Some(lab) = lab() else { return };
    push_tags(&lab.registry, PAGING_REPOSITORY, &PAGING_TAGS[..1]).await;
    let client = real_client(CredentialStore::new());
    let all = client.catalog(&lab.registry, 1000, None).await.unwrap();
    assert!(
        all.len() > 3,
        "the lab registry holds more than one page: {all:?}"
    );
    assert!(all.iter().any(|r| r == PAGING_REPOSITORY), "{all:?}");
    assert!(all.iter().any(|r| r == "lab/debian"), "{all:?}");
    // Distribution walks its storage directory by directory, so the order is by path
    // component: `a-b/x` after `a/x`, although `-` sorts before `/` byte-wise.
    let mut by_component = all.clone();
    by_component.sort_by(|a, b| a.split('/').cmp(b.split('/')));
    assert_eq!(
        by_component, all,
        "Distribution lists repositories in lexical order of their path components"
    );
    for page_size in [2, 3] {
        let paged = client
            .catalog(&lab.registry, page_size, None)
            .await
            .unwrap();
        assert_eq!(paged, all, "page size {page_size}");
    }
    for limit in [0, 1, 3, 4, all.len(), all.len() + 5] {
        let first = client.catalog(&lab.registry, 2, Some(limit)).await.unwrap();
        assert_eq!(first, all[..limit.min(all.len())], "limit {limit}");
    }
}

#[tokio::test]
async fn real_unknown_repository_has_no_tags() {
    let Some(lab) = lab() else { return };
    let client = real_client(CredentialStore::new());
    let err = client
        .tags(&lab.registry, "paging/no-such-repository", 10)
        .await
        .unwrap_err();
    let Error::RepositoryUnknown {
        registry,
        repository,
        detail,
    } = &err
    else {
        panic!("expected RepositoryUnknown, got {err:?}")
    };
    assert_eq!(registry, &lab.registry);
    assert_eq!(repository, "paging/no-such-repository");
    assert!(detail.contains("NAME_UNKNOWN"), "{detail}");
    assert!(
        err.to_string().contains("paging/no-such-repository"),
        "{err}"
    );

    let err = client
        .tags(&lab.registry, "Bad/../Name", 10)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidName { .. }), "{err:?}");
}

#[tokio::test]
async fn real_catalog_behind_basic_auth() {
    let Some(lab) = lab() else { return };
    let err = real_client(CredentialStore::new())
        .catalog(&lab.auth_registry, 100, None)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::CatalogDenied { registry, status: 401, .. } if *registry == lab.auth_registry),
        "{err:?}"
    );
    assert!(err.to_string().contains("registry:catalog:*"), "{err}");

    let mut store = CredentialStore::new();
    store.insert(
        &lab.auth_registry,
        Credentials::new(&lab.user, &lab.password),
    );
    let client = real_client(store);
    let repositories = client.catalog(&lab.auth_registry, 100, None).await.unwrap();
    assert!(
        repositories.iter().any(|r| r == "lab/private"),
        "{repositories:?}"
    );
    let tags = client
        .tags(&lab.auth_registry, "lab/private", 100)
        .await
        .unwrap();
    assert_eq!(tags, ["1"]);
}

#[tokio::test]
async fn real_manifest_digest_matches_the_manifest() {
    let Some(lab) = lab() else { return };
    let client = real_client(CredentialStore::new());
    for (name, media_type) in [
        ("lab/debian:12", DOCKER_MANIFEST),
        ("lab/python-app:1", OCI_MANIFEST),
        ("lab/multiarch:1", OCI_INDEX),
    ] {
        let r: Reference = format!("{}/{name}", lab.registry).parse().unwrap();
        let fetched = client.fetch_manifest(&r).await.unwrap();
        assert_eq!(fetched.media_type, media_type, "{name}");
        let digest = client.manifest_digest(&r).await.unwrap();
        assert_eq!(digest, fetched.digest, "{name}");
        let pinned = r.with_digest(digest.clone());
        assert_eq!(client.manifest_digest(&pinned).await.unwrap(), digest);
    }
    let r: Reference = format!("{}/lab/debian:no-such-tag", lab.registry)
        .parse()
        .unwrap();
    let err = client.manifest_digest(&r).await.unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }), "{err:?}");
}

/// How a paged test server writes its next link, given the request and the next query.
type LinkStyle = fn(&Request, &str) -> String;

fn relative(request: &Request, query: &str) -> String {
    format!(r#"<{}?{query}>; rel="next""#, request.path())
}

fn absolute(request: &Request, query: &str) -> String {
    format!(
        r#"<http://{}{}?{query}>; rel="next""#,
        request.local,
        request.path()
    )
}

/// Serves `items` under `key` (`repositories` or `tags`) in pages of `n` after `last`, the way
/// Distribution does for `_catalog`, for every path (a test asks for one listing).
fn paged(
    key: &'static str,
    items: &[&str],
    link: LinkStyle,
) -> impl Fn(&Request) -> Reply + Send + Sync + 'static {
    let mut items: Vec<String> = items.iter().map(|s| (*s).to_owned()).collect();
    items.sort();
    move |request| {
        let n: usize = request.query("n").map_or(100, |n| n.parse().unwrap());
        let start = request
            .query("last")
            .map_or(0, |last| items.partition_point(|i| *i <= last));
        let page = &items[start..(start + n).min(items.len())];
        let mut reply = Reply::status(200)
            .header("content-type", "application/json")
            .body(serde_json::json!({ "name": REPOSITORY, key: page }).to_string());
        if start + n < items.len() {
            let query = url::form_urlencoded::Serializer::new(String::new())
                .append_pair("last", &page[page.len() - 1])
                .append_pair("n", &n.to_string())
                .finish();
            reply = reply.header("link", link(request, &query));
        }
        reply
    }
}

const SEVEN: [&str; 7] = ["a", "b", "c", "d", "e", "f", "g"];

#[tokio::test]
async fn tags_follow_relative_and_absolute_next_links() {
    for style in [relative as LinkStyle, absolute] {
        let server = Server::start(LOCALHOST, paged("tags", &SEVEN, style)).await;
        let client = builder(CredentialStore::new()).build().unwrap();
        let tags = client.tags(&server.host(), REPOSITORY, 3).await.unwrap();
        assert_eq!(tags, SEVEN);
        let targets: Vec<String> = server.requests().into_iter().map(|r| r.target).collect();
        assert_eq!(
            targets,
            [
                "/v2/lab/x/tags/list?n=3",
                "/v2/lab/x/tags/list?last=c&n=3",
                "/v2/lab/x/tags/list?last=f&n=3",
            ]
        );
    }
}

#[tokio::test]
async fn a_next_link_to_another_host_is_refused() {
    let elsewhere = Server::start(OTHER_LOOPBACK, paged("tags", &SEVEN, relative)).await;
    let other = elsewhere.host();
    // The other host would serve the rest of the list, so only the refusal can stop the client.
    let server = Server::start(LOCALHOST, move |_| {
        Reply::status(200)
            .body(r#"{"name":"lab/x","tags":["a","b"]}"#)
            .header(
                "link",
                format!(r#"<http://{other}/v2/lab/x/tags/list?last=b&n=2>; rel="next""#),
            )
    })
    .await;
    let client = builder(store_for(&server.host())).build().unwrap();
    let err = client
        .tags(&server.host(), REPOSITORY, 2)
        .await
        .unwrap_err();
    let Error::PageLink { link, reason, .. } = &err else {
        panic!("expected PageLink, got {err:?}")
    };
    assert!(link.contains(&elsewhere.host()), "{link}");
    assert_eq!(reason, "it points to another host");
    assert!(
        elsewhere.requests().is_empty(),
        "the other host was contacted"
    );
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn a_next_link_to_another_port_is_refused() {
    let server = Server::start(LOCALHOST, |request| {
        Reply::status(200).body(r#"{"repositories":["a"]}"#).header(
            "link",
            format!(
                r#"<http://127.0.0.1:{}/v2/_catalog?last=a>; rel="next""#,
                request.local.port().wrapping_add(1)
            ),
        )
    })
    .await;
    let client = builder(CredentialStore::new()).build().unwrap();
    let err = client.catalog(&server.host(), 1, None).await.unwrap_err();
    assert!(
        matches!(&err, Error::PageLink { reason, .. } if reason == "it points to another host"),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_pagination_loop_is_refused() {
    let server = Server::start(LOCALHOST, |_| {
        Reply::status(200)
            .body(r#"{"repositories":["a"]}"#)
            .header("link", r#"</v2/_catalog?last=a&n=1>; rel="next""#)
    })
    .await;
    let client = builder(CredentialStore::new()).build().unwrap();
    let err = client.catalog(&server.host(), 1, None).await.unwrap_err();
    assert!(
        matches!(&err, Error::PageLink { reason, .. } if reason.contains("already read")),
        "{err:?}"
    );
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test]
async fn catalog_asks_for_the_catalog_scope_and_stops_at_the_limit() {
    let repositories: Vec<String> = (0..10).map(|i| format!("team/app{i}")).collect();
    let names: Vec<&str> = repositories.iter().map(String::as_str).collect();
    let server = Server::start(
        LOCALHOST,
        gate(
            Auth::Bearer {
                token: "tok-catalog".into(),
            },
            paged("repositories", &names, relative),
        ),
    )
    .await;
    let client = builder(store_for(&server.host())).build().unwrap();
    let all = client.catalog(&server.host(), 4, None).await.unwrap();
    assert_eq!(all, repositories);
    let first = client.catalog(&server.host(), 2, Some(3)).await.unwrap();
    assert_eq!(first, repositories[..3]);

    let requests = server.requests();
    let tokens: Vec<_> = requests.iter().filter(|r| r.path() == "/token").collect();
    assert_eq!(tokens.len(), 1, "token not cached: {requests:#?}");
    assert_eq!(
        tokens[0].query("scope").as_deref(),
        Some("registry:catalog:*")
    );
    let pages: Vec<_> = requests
        .iter()
        .filter(|r| r.path() == "/v2/_catalog" && r.header("authorization").is_some())
        .map(|r| r.target.clone())
        .collect();
    assert_eq!(
        pages,
        [
            "/v2/_catalog?n=4",
            "/v2/_catalog?last=team%2Fapp3&n=4",
            "/v2/_catalog?last=team%2Fapp7&n=4",
            // The limit lowers the first page and stops after the second.
            "/v2/_catalog?n=2",
            "/v2/_catalog?last=team%2Fapp1&n=2",
        ]
    );
}

#[tokio::test]
async fn catalog_refused_by_the_token_realm_or_the_registry() {
    // No credentials: the realm refuses a token.
    let server = Server::start(
        LOCALHOST,
        gate(
            Auth::Bearer {
                token: "tok".into(),
            },
            paged("repositories", &["a"], relative),
        ),
    )
    .await;
    let client = builder(CredentialStore::new()).build().unwrap();
    let err = client.catalog(&server.host(), 10, None).await.unwrap_err();
    assert!(
        matches!(&err, Error::CatalogDenied { status: 401, registry, .. } if *registry == server.host()),
        "{err:?}"
    );
    // Valid credentials without catalog rights: 403.
    let server = Server::start(LOCALHOST, |_| {
        Reply::error(403, "DENIED", "requested access to the resource is denied")
    })
    .await;
    let client = builder(CredentialStore::new()).build().unwrap();
    let err = client.catalog(&server.host(), 10, None).await.unwrap_err();
    assert!(
        matches!(&err, Error::CatalogDenied { status: 403, detail, .. } if detail.contains("DENIED")),
        "{err:?}"
    );
}

#[tokio::test]
async fn null_tags_and_malformed_pages() {
    let server = Server::start(LOCALHOST, |request| {
        if request.path().starts_with("/v2/empty/") {
            Reply::status(200).body(r#"{"name":"empty","tags":null}"#)
        } else if request.path().starts_with("/v2/gone/") {
            Reply::error(404, "NAME_UNKNOWN", "repository name not known to registry")
        } else {
            Reply::status(200).body("<html>not json</html>")
        }
    })
    .await;
    let client = builder(CredentialStore::new()).build().unwrap();
    assert!(
        client
            .tags(&server.host(), "empty", 10)
            .await
            .unwrap()
            .is_empty()
    );
    let err = client.tags(&server.host(), "gone", 10).await.unwrap_err();
    assert!(
        matches!(&err, Error::RepositoryUnknown { repository, detail, .. } if repository == "gone" && detail.contains("NAME_UNKNOWN")),
        "{err:?}"
    );
    let err = client.tags(&server.host(), "html", 10).await.unwrap_err();
    assert!(matches!(err, Error::InvalidResponse { .. }), "{err:?}");
    let err = client.catalog("bad host/x", 10, None).await.unwrap_err();
    assert!(matches!(err, Error::InvalidName { .. }), "{err:?}");
}

#[tokio::test]
async fn manifest_digest_uses_head_and_falls_back_to_get() {
    let image = image();
    let server = Server::start(LOCALHOST, content(&image)).await;
    let client = builder(CredentialStore::new()).build().unwrap();
    let digest = client.manifest_digest(&reference(&server)).await.unwrap();
    assert_eq!(digest, image.manifest_digest);
    let requests = server.requests();
    assert_eq!(requests.len(), 1, "{requests:#?}");
    assert_eq!(requests[0].method, "HEAD");
    assert!(
        requests[0]
            .header("accept")
            .is_some_and(|a| a.contains(OCI_INDEX) && a.contains(DOCKER_MANIFEST)),
        "{requests:#?}"
    );

    // Without Docker-Content-Digest: HEAD, then GET and hash.
    let manifest = image.manifest.clone();
    let gets = std::sync::Arc::new(AtomicUsize::new(0));
    let counter = std::sync::Arc::clone(&gets);
    let server = Server::start(LOCALHOST, move |request| {
        if request.method == "GET" {
            counter.fetch_add(1, Ordering::SeqCst);
        }
        Reply::status(200)
            .header("content-type", OCI_MANIFEST)
            .body(manifest.clone())
    })
    .await;
    let digest = client.manifest_digest(&reference(&server)).await.unwrap();
    assert_eq!(digest, image.manifest_digest);
    let methods: Vec<String> = server.requests().into_iter().map(|r| r.method).collect();
    assert_eq!(methods, ["HEAD", "GET"]);
    assert_eq!(gets.load(Ordering::SeqCst), 1);

    // A pinned reference must match what the registry says (this one answers any reference
    // with the tag's digest).
    let other = Digest::sha256_of(b"something else");
    let header = image.manifest_digest.to_string();
    let server = Server::start(LOCALHOST, move |_| {
        Reply::status(200)
            .header("content-type", OCI_MANIFEST)
            .header("docker-content-digest", header.clone())
    })
    .await;
    let err = client
        .manifest_digest(&reference(&server).with_digest(other.clone()))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::DigestMismatch { expected, .. } if *expected == other),
        "{err:?}"
    );
}
