//! Broken and hostile images: one clear error line naming the image and the cause, exit 1, no
//! panic, nothing written anywhere.

use std::path::Path;

use crate::{Harness, plimsoll, stderr};

/// Runs `plimsoll sbom IMAGE` and returns its single error line.
fn fails(image: &str, extra: &[&str]) -> String {
    let mut args = vec!["sbom", image, "-f", "json", "--log-level", "error"];
    args.extend_from_slice(extra);
    let output = plimsoll(&args);
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{image} should fail: {err}");
    assert!(
        output.stdout.is_empty(),
        "{image}: nothing may be printed as a report"
    );
    assert!(!err.contains("panicked"), "{image}: {err}");
    assert_eq!(
        err.lines().count(),
        1,
        "{image}: exactly one error line: {err}"
    );
    assert!(
        err.starts_with(&format!("error: {image}: ")),
        "{image}: the line names the image: {err}"
    );
    err
}

#[test]
fn a_truncated_layer_is_a_decompression_error() {
    let Some(h) = Harness::get() else { return };
    let err = fails(&h.image("lab/bad-truncated:1"), &[]);
    assert!(
        err.contains("layer 0 (sha256:") && err.contains("gzip stream is corrupt or truncated"),
        "{err}"
    );
}

#[test]
fn a_path_traversal_layer_is_refused_and_writes_nothing() {
    let Some(h) = Harness::get() else { return };
    let err = fails(&h.image("lab/bad-traversal:1"), &[]);
    assert!(
        err.contains("`../../../tmp/plimsoll-evil` escapes the image root"),
        "{err}"
    );
    for path in [
        "/tmp/plimsoll-evil",
        "/tmp/plimsoll-evil-abs",
        "/tmp/plimsoll-evil-link",
    ] {
        assert!(!Path::new(path).exists(), "{path} was created");
    }
}

#[test]
fn a_decompression_bomb_is_stopped() {
    let Some(h) = Harness::get() else { return };
    let image = h.image("lab/bad-bomb:1");
    let err = fails(&image, &[]);
    assert!(
        err.contains("above the 500x cap (decompression bomb?)"),
        "{err}"
    );
    // The size cap works as well, and both are configurable.
    let err = fails(
        &image,
        &[
            "--max-expansion-ratio",
            "100000",
            "--max-layer-size",
            "100000000",
        ],
    );
    assert!(
        err.contains("layer expands beyond 100000000 bytes uncompressed"),
        "{err}"
    );
}

#[test]
fn a_tampered_blob_fails_its_digest_check() {
    let Some(h) = Harness::get() else { return };
    let expect = h.expect("bad.json");
    let bad = &expect["lab/bad-digest:1"];
    let err = fails(&h.image("lab/bad-digest:1"), &[]);
    let want = format!(
        "content digest mismatch: expected {}, got {}",
        bad["layer"].as_str().unwrap(),
        bad["served_sha256"].as_str().unwrap()
    );
    assert!(err.contains(&want), "{err}");
}

#[test]
fn schema1_missing_manifests_and_unknown_repositories_are_named() {
    let Some(h) = Harness::get() else { return };
    let err = fails(&h.image("lab/bad-schema1:1"), &[]);
    assert!(err.contains("Docker schema 1 manifest"), "{err}");
    let err = fails(&h.image("lab/debian:no-such-tag"), &[]);
    assert!(
        err.contains("manifest `no-such-tag` not found (404: MANIFEST_UNKNOWN"),
        "{err}"
    );
    let err = fails(&h.image("lab/no-such-repo:1"), &[]);
    assert!(err.contains("not found (404"), "{err}");
}

#[test]
fn an_unreachable_registry_is_a_clear_error() {
    // Port 9 (discard) on loopback: nothing listens there in the test environment.
    let err = fails("127.0.0.1:9/lab/x:1", &[]);
    assert!(err.contains("127.0.0.1:9"), "{err}");
}
