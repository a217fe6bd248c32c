//! Against the real Distribution 2.8 registries of `scripts/test-registry.sh up`; each test
//! starts with the [`lab`] gate. Expected digests come from the harness's `expect/` files
//! where it wrote them, so the client is checked against what was pushed, not against itself.

use std::time::Duration;

use futures_util::StreamExt as _;
use sha2::{Digest as _, Sha256};

use plimsoll_registry::manifest::{
    DOCKER_MANIFEST, ImageManifest, OCI_INDEX, OCI_MANIFEST, index_platforms, select_platform,
};
use plimsoll_registry::{
    CredentialStore, Credentials, Error, FetchedManifest, Manifest, Reference, RegistryClient,
};
use plimsoll_types::{Digest, Platform};

use crate::lab::{Lab, lab};
use crate::redaction::assert_no_secret;

/// Anonymous client with the default scheme logic (https probe, plain-HTTP fallback on
/// loopback), so the fallback is exercised against a real registry too.
fn client(credentials: CredentialStore) -> RegistryClient {
    RegistryClient::builder()
        .credentials(credentials)
        .max_attempts(2)
        .backoff(Duration::from_millis(10), Duration::from_millis(100))
        .build()
        .unwrap()
}

fn reference(host: &str, name: &str) -> Reference {
    format!("{host}/{name}").parse().unwrap()
}

fn image(fetched: &FetchedManifest) -> &ImageManifest {
    match &fetched.manifest {
        Manifest::Image(m) => m,
        Manifest::Index(_) => panic!("expected an image manifest, got an index"),
    }
}

fn digest(d: &impl ToString) -> Digest {
    d.to_string().parse().unwrap()
}

#[tokio::test]
async fn manifest_by_tag_then_by_digest() {
    let Some(lab) = lab() else { return };
    let client = client(CredentialStore::new());
    for (name, media_type) in [
        ("lab/debian:12", DOCKER_MANIFEST),
        ("lab/python-app:1", OCI_MANIFEST),
    ] {
        let by_tag = reference(&lab.registry, name);
        let fetched = client.fetch_manifest(&by_tag).await.unwrap();
        assert_eq!(fetched.media_type, media_type, "{name}");
        assert_eq!(fetched.digest, Digest::sha256_of(&fetched.bytes));
        if let Some(pushed) = lab.pushed_digest(&by_tag.to_string()) {
            assert_eq!(fetched.digest, pushed, "{name}: not the pushed manifest");
        }
        assert!(!image(&fetched).layers().is_empty());

        let by_digest = by_tag.with_digest(fetched.digest.clone());
        let again = client.fetch_manifest(&by_digest).await.unwrap();
        assert_eq!(again.digest, fetched.digest, "{name}");
        assert_eq!(again.bytes, fetched.bytes, "{name}");
        assert_eq!(again.media_type, media_type);
    }
}

#[tokio::test]
async fn multiarch_index_selects_platforms() {
    let Some(lab) = lab() else { return };
    let client = client(CredentialStore::new());
    let r = reference(&lab.registry, "lab/multiarch:1");
    let fetched = client.fetch_manifest(&r).await.unwrap();
    assert_eq!(fetched.media_type, OCI_INDEX);
    let Manifest::Index(index) = &fetched.manifest else {
        panic!("lab/multiarch:1 should be an index")
    };
    let platforms = index_platforms(&r.to_string(), index).unwrap();
    let names: Vec<String> = platforms.iter().map(|p| p.platform.to_string()).collect();
    assert_eq!(names, ["linux/amd64", "linux/arm64/v8"]);

    if let Some(expect) = lab.expect("multiarch.json") {
        assert_eq!(
            fetched.digest,
            expect["index"]["digest"].as_str().unwrap().parse().unwrap()
        );
        for (entry, found) in expect["platforms"]
            .as_array()
            .unwrap()
            .iter()
            .zip(&platforms)
        {
            assert_eq!(found.platform.architecture, entry["architecture"]);
            assert_eq!(
                found.digest,
                entry["manifest"].as_str().unwrap().parse().unwrap()
            );
        }
    }

    let wanted: Platform = "linux/arm64".parse().unwrap();
    let arm = select_platform(&r.to_string(), index, &wanted).unwrap();
    assert_eq!(arm.platform.variant.as_deref(), Some("v8"));
    let amd = select_platform(&r.to_string(), index, &"linux/amd64".parse().unwrap()).unwrap();
    assert_ne!(arm.digest, amd.digest);
    let err = select_platform(&r.to_string(), index, &"linux/s390x".parse().unwrap()).unwrap_err();
    assert!(
        matches!(&err, Error::NoMatchingPlatform { available, .. } if available == "linux/amd64, linux/arm64/v8"),
        "{err:?}"
    );

    // The selected entry is a real image of that platform: its config says so.
    for (selected, architecture) in [(&arm, "arm64"), (&amd, "amd64")] {
        let pinned = r.with_digest(selected.digest.clone());
        let manifest = client.fetch_manifest(&pinned).await.unwrap();
        assert_eq!(manifest.digest, selected.digest);
        let config_digest = digest(image(&manifest).config().digest());
        let config = client
            .fetch_blob(&pinned, &config_digest, 1 << 20)
            .await
            .unwrap();
        let config: serde_json::Value = serde_json::from_slice(&config).unwrap();
        assert_eq!(config["architecture"], architecture);
        assert_eq!(config["os"], "linux");
    }
}

#[tokio::test]
async fn fetch_blob_verifies_the_config() {
    let Some(lab) = lab() else { return };
    let client = client(CredentialStore::new());
    let r = reference(&lab.registry, "lab/debian:12");
    let manifest = client.fetch_manifest(&r).await.unwrap();
    let descriptor = image(&manifest).config().clone();
    let config_digest = digest(descriptor.digest());
    let config = client
        .fetch_blob(&r, &config_digest, 1 << 20)
        .await
        .unwrap();
    assert_eq!(config.len() as u64, descriptor.size());
    assert_eq!(
        Digest::from_sha256_bytes(&Sha256::digest(&config)),
        config_digest
    );
    let parsed: serde_json::Value = serde_json::from_slice(&config).unwrap();
    assert_eq!(parsed["os"], "linux");

    let err = client.fetch_blob(&r, &config_digest, 16).await.unwrap_err();
    assert!(matches!(err, Error::TooLarge { limit: 16, .. }), "{err:?}");
}

#[tokio::test]
async fn blob_stream_yields_exactly_the_blob() {
    let Some(lab) = lab() else { return };
    let client = client(CredentialStore::new());
    let r = reference(&lab.registry, "lab/debian:12");
    let manifest = client.fetch_manifest(&r).await.unwrap();
    let layer = image(&manifest).layers()[0].clone();
    let layer_digest = digest(layer.digest());
    let (length, mut stream) = client.blob_stream(&r, &layer_digest).await.unwrap();
    assert_eq!(length, Some(layer.size()));
    let mut hasher = Sha256::new();
    let mut read = 0_u64;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.unwrap();
        read += chunk.len() as u64;
        hasher.update(&chunk);
    }
    assert_eq!(read, layer.size());
    assert_eq!(Digest::from_sha256_bytes(&hasher.finalize()), layer_digest);
}

#[tokio::test]
async fn tampered_blob_is_caught() {
    // lab/bad-digest:1: the registry serves other bytes of the same length under the digest.
    let Some(lab) = lab() else { return };
    let client = client(CredentialStore::new());
    let r = reference(&lab.registry, "lab/bad-digest:1");
    let manifest = client.fetch_manifest(&r).await.unwrap();
    let layer = image(&manifest).layers()[0].clone();
    let layer_digest = digest(layer.digest());
    let err = client
        .fetch_blob(&r, &layer_digest, 64 << 20)
        .await
        .unwrap_err();
    let Error::DigestMismatch {
        expected, actual, ..
    } = &err
    else {
        panic!("expected DigestMismatch, got {err:?}")
    };
    assert_eq!(expected, &layer_digest);
    if let Some(bad) = lab.expect("bad.json") {
        let served = &bad["lab/bad-digest:1"]["served_sha256"];
        assert_eq!(actual, &served.as_str().unwrap().parse().unwrap());
    }

    // The stream does not verify (its consumer hashes); it hands over what was served.
    let (_, mut stream) = client.blob_stream(&r, &layer_digest).await.unwrap();
    let mut hasher = Sha256::new();
    while let Some(chunk) = stream.next().await {
        hasher.update(chunk.unwrap());
    }
    assert_eq!(&Digest::from_sha256_bytes(&hasher.finalize()), actual);
}

#[tokio::test]
async fn schema1_is_refused() {
    let Some(lab) = lab() else { return };
    if lab.schema1_skipped() {
        crate::lab::skip("the harness could not push lab/bad-schema1:1 (expect/schema1-skipped)");
        return;
    }
    let client = client(CredentialStore::new());
    let err = client
        .fetch_manifest(&reference(&lab.registry, "lab/bad-schema1:1"))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Schema1 { .. }), "{err:?}");
    assert!(err.to_string().contains("schema 1"), "{err}");
}

#[tokio::test]
async fn unknown_tag_repository_and_blob_are_not_found() {
    let Some(lab) = lab() else { return };
    let client = client(CredentialStore::new());
    let err = client
        .fetch_manifest(&reference(&lab.registry, "lab/debian:no-such-tag"))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }), "{err:?}");
    let message = err.to_string();
    assert!(message.contains("MANIFEST_UNKNOWN"), "{message}");
    assert!(message.contains("no-such-tag"), "{message}");

    let err = client
        .fetch_manifest(&reference(&lab.registry, "lab/no-such-repository:1"))
        .await
        .unwrap_err();
    // Distribution 2.8 says MANIFEST_UNKNOWN here too; others say NAME_UNKNOWN.
    assert!(
        matches!(&err, Error::NotFound { detail, .. } if detail.contains("_UNKNOWN")),
        "{err:?}"
    );

    let missing = Digest::sha256_of(b"no such blob in the lab registry");
    let err = client
        .fetch_blob(
            &reference(&lab.registry, "lab/debian:12"),
            &missing,
            1 << 20,
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::NotFound { what, detail } if what.contains(missing.as_str()) && detail.contains("BLOB_UNKNOWN")),
        "{err:?}"
    );
}

fn private(lab: &Lab) -> Reference {
    reference(&lab.auth_registry, "lab/private:1")
}

fn assert_unauthorized(lab: &Lab, err: &Error) {
    let Error::Unauthorized {
        registry,
        repository,
        detail,
    } = err
    else {
        panic!("expected Unauthorized, got {err:?}")
    };
    assert_eq!(registry, &lab.auth_registry);
    assert_eq!(repository, "lab/private");
    assert!(detail.contains("UNAUTHORIZED"), "{detail}");
    assert_no_secret(&[err.to_string(), format!("{err:?}")], &[&lab.password]);
}

#[tokio::test]
async fn auth_registry_refuses_anonymous() {
    let Some(lab) = lab() else { return };
    let err = client(CredentialStore::new())
        .fetch_manifest(&private(&lab))
        .await
        .unwrap_err();
    assert_unauthorized(&lab, &err);
}

#[tokio::test]
async fn auth_registry_refuses_a_wrong_password() {
    let Some(lab) = lab() else { return };
    let wrong = format!("{}-wrong", lab.password);
    let mut store = CredentialStore::new();
    store.insert(&lab.auth_registry, Credentials::new(&lab.user, &wrong));
    let err = client(store)
        .fetch_manifest(&private(&lab))
        .await
        .unwrap_err();
    assert_unauthorized(&lab, &err);
    assert_no_secret(&[err.to_string(), format!("{err:?}")], &[&wrong]);
}

#[tokio::test]
async fn auth_registry_accepts_the_right_credentials() {
    let Some(lab) = lab() else { return };
    let mut store = CredentialStore::new();
    store.insert(
        &lab.auth_registry,
        Credentials::new(&lab.user, &lab.password),
    );
    let client = client(store);
    let r = private(&lab);
    let fetched = client.fetch_manifest(&r).await.unwrap();
    assert_eq!(fetched.media_type, DOCKER_MANIFEST);
    if let Some(pushed) = lab.pushed_digest(&r.to_string()) {
        assert_eq!(fetched.digest, pushed);
    }
    // Blobs are behind the same auth.
    let config_digest = digest(image(&fetched).config().digest());
    let config = client
        .fetch_blob(&r, &config_digest, 1 << 20)
        .await
        .unwrap();
    assert_eq!(Digest::sha256_of(&config), config_digest);
    assert_no_secret(&[format!("{client:?}")], &[&lab.password]);
}

#[tokio::test]
async fn credentials_for_another_host_are_not_used() {
    let Some(lab) = lab() else { return };
    let port = lab
        .auth_registry
        .rsplit_once(':')
        .map_or("", |(_, port)| port);
    let mut store = CredentialStore::new();
    // The open registry (same address, other port), and the auth registry under another name.
    for host in [
        lab.registry.as_str(),
        &format!("localhost:{port}"),
        "docker.io",
    ] {
        store.insert(host, Credentials::new(&lab.user, &lab.password));
    }
    let err = client(store)
        .fetch_manifest(&private(&lab))
        .await
        .unwrap_err();
    assert_unauthorized(&lab, &err);
}
