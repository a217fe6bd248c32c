//! Secrets stay out of messages: every error the client can be made to produce, with
//! credentials configured, is rendered (`Display`, `Debug`, the whole `source()` chain) and
//! searched for the password and its Basic encoding; so are the `Debug` forms of the store,
//! the builder and the client.

use std::error::Error as _;

use plimsoll_registry::manifest::OCI_MANIFEST;
use plimsoll_registry::{CredentialStore, Credentials, Error, Reference, RegistryClient};
use plimsoll_types::Digest;

use crate::faults::{Auth, LOCALHOST, PASSWORD, USER, basic, builder, gate, image, store_for};
use crate::server::{Reply, Request, Server};

/// Everything a user could see of `err`.
fn renderings(err: &Error) -> Vec<String> {
    let mut out = vec![err.to_string(), format!("{err:?}")];
    let mut source = err.source();
    while let Some(s) = source {
        out.push(s.to_string());
        out.push(format!("{s:?}"));
        source = s.source();
    }
    out
}

/// Asserts that none of `texts` carries a secret.
pub(crate) fn assert_no_secret(texts: &[String], secrets: &[&str]) {
    for text in texts {
        for secret in secrets {
            assert!(!text.contains(secret), "secret leaked into output: {text}");
        }
    }
}

fn reference(server: &Server, repository: &str, tag: &str) -> Reference {
    format!("{}/{repository}:{tag}", server.host())
        .parse()
        .unwrap()
}

/// Behind Basic auth, one fault per tag of `lab/x`, and a blob that does not match its digest.
fn faulty_content(request: &Request) -> Reply {
    let image = image();
    let tag = request
        .path()
        .strip_prefix("/v2/lab/x/manifests/")
        .unwrap_or_default();
    match tag {
        "retry" => Reply::error(503, "UNAVAILABLE", "down"),
        "denied" => Reply::error(403, "DENIED", "no pull for you"),
        "bad" => Reply::error(400, "NAME_INVALID", "bad name"),
        "mismatch" => Reply::status(200)
            .header("content-type", OCI_MANIFEST)
            .header(
                "docker-content-digest",
                Digest::sha256_of(b"other").to_string(),
            )
            .body(image.manifest),
        "garbage" => Reply::status(200)
            .header("content-type", OCI_MANIFEST)
            .body("{not json"),
        "" => Reply::status(200).body("tampered blob bytes"),
        _ => Reply::error(404, "MANIFEST_UNKNOWN", "manifest unknown"),
    }
}

/// A bearer realm whose token endpoint misbehaves per repository (the scope names it).
fn broken_token_endpoint(request: &Request) -> Reply {
    if request.path() != "/token" {
        let challenge = format!(
            r#"Bearer realm="http://{}/token",service="test""#,
            request.local
        );
        return Reply::error(401, "UNAUTHORIZED", "authentication required")
            .header("www-authenticate", challenge);
    }
    match request.query("scope").as_deref() {
        Some("repository:lab/refused:pull") => Reply::error(401, "UNAUTHORIZED", "bad creds"),
        Some("repository:lab/empty:pull") => Reply::status(200).body("{}"),
        Some("repository:lab/garbled:pull") => Reply::status(200).body("<html>"),
        _ => Reply::error(500, "UNKNOWN", "token service broken"),
    }
}

#[tokio::test]
async fn no_error_or_debug_output_contains_the_password() {
    let image = image();
    let basic_server = Server::start(LOCALHOST, gate(Auth::Basic, faulty_content)).await;
    let always_401 = Server::start(LOCALHOST, |_| {
        Reply::error(401, "UNAUTHORIZED", "authentication required")
            .header("www-authenticate", r#"Basic realm="test""#)
    })
    .await;
    let bearer_server = Server::start(LOCALHOST, broken_token_endpoint).await;
    let refused = tokio::net::TcpListener::bind((LOCALHOST, 0))
        .await
        .unwrap()
        .local_addr()
        .unwrap();

    let mut store = store_for(&basic_server.host());
    for host in [always_401.host(), bearer_server.host(), refused.to_string()] {
        store.insert(&host, Credentials::new(USER, PASSWORD));
    }
    let mut outputs = vec![
        format!("{store:?}"),
        format!("{:?}", Credentials::new(USER, PASSWORD)),
    ];
    let client_builder = builder(store.clone());
    outputs.push(format!("{client_builder:?}"));
    let client = client_builder.build().unwrap();
    outputs.push(format!("{client:?}"));
    let single_attempt = builder(store).max_attempts(1).build().unwrap();

    let mut errors = Vec::new();
    for tag in ["retry", "denied", "bad", "mismatch", "garbage", "missing"] {
        let r = reference(&basic_server, "lab/x", tag);
        errors.push(client.fetch_manifest(&r).await.unwrap_err());
    }
    let blob_ref = reference(&basic_server, "lab/x", "1");
    errors.push(
        client
            .fetch_blob(&blob_ref, &image.config_digest, 1 << 20)
            .await
            .unwrap_err(),
    );
    errors.push(
        client
            .fetch_blob(&blob_ref, &image.config_digest, 4)
            .await
            .unwrap_err(),
    );
    errors.push(
        client
            .fetch_manifest(&reference(&always_401, "lab/x", "1"))
            .await
            .unwrap_err(),
    );
    for repository in ["lab/refused", "lab/empty", "lab/garbled", "lab/broken"] {
        errors.push(
            client
                .fetch_manifest(&reference(&bearer_server, repository, "1"))
                .await
                .unwrap_err(),
        );
    }
    let refused_ref: Reference = format!("{refused}/lab/x:1").parse().unwrap();
    errors.push(client.fetch_manifest(&refused_ref).await.unwrap_err());
    errors.push(
        single_attempt
            .fetch_manifest(&refused_ref)
            .await
            .unwrap_err(),
    );
    let unbuildable = RegistryClient::builder()
        .credentials(CredentialStore::new())
        .ca_cert("/nonexistent/plimsoll-ca.pem".into())
        .build()
        .unwrap_err();
    errors.push(unbuildable);

    // Every kind the faults above were meant to produce did occur, so the sweep covers them.
    let kinds: Vec<&str> = errors
        .iter()
        .map(|e| match e {
            Error::RetriesExhausted { .. } => "retries",
            Error::Denied { .. } => "denied",
            Error::Status { .. } => "status",
            Error::DigestMismatch { .. } => "digest",
            Error::InvalidManifest { .. } => "invalid",
            Error::NotFound { .. } => "not-found",
            Error::TooLarge { .. } => "too-large",
            Error::Unauthorized { .. } => "unauthorized",
            Error::Token { .. } => "token",
            Error::Transport { .. } => "transport",
            Error::CaCert { .. } => "ca-cert",
            _ => "other",
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "retries",
            "denied",
            "status",
            "digest",
            "invalid",
            "not-found",
            "digest",
            "too-large",
            "unauthorized",
            "unauthorized",
            "token",
            "token",
            "token",
            "retries",
            "transport",
            "ca-cert",
        ],
        "{errors:#?}"
    );

    // The canary really was in play: the servers received it.
    let sent = basic(USER, PASSWORD);
    assert!(
        basic_server
            .requests()
            .iter()
            .any(|r| r.header("authorization") == Some(sent.as_str()))
    );
    assert!(
        bearer_server
            .requests()
            .iter()
            .any(|r| r.path() == "/token" && r.header("authorization") == Some(sent.as_str()))
    );

    for err in &errors {
        outputs.extend(renderings(err));
    }
    let encoded = sent.trim_start_matches("Basic ");
    assert_no_secret(&outputs, &[PASSWORD, encoded]);
}
