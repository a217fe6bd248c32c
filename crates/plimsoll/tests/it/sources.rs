//! The other sources and image shapes give the inventories they should.

use std::collections::BTreeSet;

use base64::Engine as _;
use serde_json::Value;

use crate::{Harness, only_image, packages_of, plimsoll, plimsoll_with_env, sbom_json, stderr};

/// What identifies a package's place in an image, for comparing sources.
fn fingerprint(image: &Value) -> BTreeSet<String> {
    image["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            format!(
                "{} {} {} {} {} {}",
                p["kind"], p["name"], p["version"], p["found_in"], p["layer"]["diff_id"], p["purl"]
            )
        })
        .collect()
}

#[test]
fn oci_layout_and_docker_archive_match_the_registry() {
    let Some(h) = Harness::get() else { return };
    let registry = sbom_json(&[&h.image("lab/python-app:1")]);
    let layout = sbom_json(&[&format!(
        "oci-layout:{}:1",
        h.path("oci/python-app").display()
    )]);
    let archive = sbom_json(&[&format!(
        "docker-archive:{}",
        h.path("python-app.docker.tar").display()
    )]);
    let want = fingerprint(only_image(&registry));
    assert!(want.len() > 90);
    assert_eq!(
        fingerprint(only_image(&layout)),
        want,
        "OCI layout differs from the registry"
    );
    assert_eq!(
        fingerprint(only_image(&archive)),
        want,
        "docker archive differs from the registry"
    );
    assert_eq!(only_image(&layout)["source"]["type"], "oci-layout");
    assert_eq!(only_image(&archive)["source"]["type"], "docker-archive");
    assert_eq!(only_image(&archive)["os"]["id"], "debian");
}

#[test]
fn a_zstd_image_reads_like_its_gzip_twin() {
    let Some(h) = Harness::get() else { return };
    let gzip = sbom_json(&[&h.image("lab/debian:12")]);
    let zstd = sbom_json(&[&h.image("lab/zstd:1")]);
    let zstd_image = only_image(&zstd);
    assert!(
        zstd_image["layers"][0]["media_type"]
            .as_str()
            .unwrap()
            .ends_with("+zstd"),
        "{}",
        zstd_image["layers"][0]
    );
    assert_eq!(
        zstd_image["layers"][0]["diff_id"],
        only_image(&gzip)["layers"][0]["diff_id"],
        "same tar, same diff-id"
    );
    assert_eq!(
        packages_of(zstd_image, "deb"),
        packages_of(only_image(&gzip), "deb")
    );
}

#[test]
fn all_platforms_gives_one_inventory_per_platform() {
    let Some(h) = Harness::get() else { return };
    let expect = h.expect("multiarch.json");
    let doc = sbom_json(&[&h.image("lab/multiarch:1"), "--all-platforms"]);
    let images = doc["images"].as_array().unwrap();
    let platforms = expect["platforms"].as_array().unwrap();
    assert_eq!(images.len(), platforms.len());
    for (image, want) in images.iter().zip(platforms) {
        assert_eq!(image["platform"]["os"], want["os"]);
        assert_eq!(image["platform"]["architecture"], want["architecture"]);
        assert_eq!(image["platform"]["variant"], want["variant"]);
        assert_eq!(image["manifest_digest"], want["manifest"]);
        assert_eq!(image["index_digest"], expect["index"]["digest"]);
        let allowed: Vec<&Value> = want["allowed_deb_architectures"]
            .as_array()
            .unwrap()
            .iter()
            .collect();
        let debs: Vec<&Value> = image["packages"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["kind"] == "deb")
            .collect();
        assert!(debs.len() > 50);
        assert!(
            debs.iter().all(|p| allowed.contains(&&p["arch"])),
            "{} has a deb of another architecture",
            want["architecture"]
        );
        assert!(debs.iter().any(|p| p["arch"] == want["deb_architecture"]));
    }

    let arm = sbom_json(&[&h.image("lab/multiarch:1"), "--platform", "linux/arm64"]);
    assert_eq!(only_image(&arm)["platform"]["architecture"], "arm64");
    let output = plimsoll(&[
        "sbom",
        &h.image("lab/multiarch:1"),
        "--platform",
        "linux/s390x",
    ]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains(
            "no image for platform linux/s390x in the index; available: linux/amd64, linux/arm64/v8"
        ),
        "{}",
        stderr(&output)
    );
}

#[test]
fn sbom_formats_write_one_document_per_platform() {
    let Some(h) = Harness::get() else { return };
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("sbom.cdx.json");
    let output = plimsoll(&[
        "sbom",
        &h.image("lab/multiarch:1"),
        "--all-platforms",
        "-f",
        "cyclonedx-json",
        "-o",
        target.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    for platform in ["linux-amd64", "linux-arm64-v8"] {
        let path = dir.path().join(format!("sbom.cdx-{platform}.json"));
        let doc: Value = serde_json::from_slice(&fs_err::read(&path).unwrap()).unwrap();
        assert_eq!(doc["specVersion"], "1.6");
        assert!(doc["components"].as_array().unwrap().len() > 50);
    }
    let leftovers: Vec<_> = fs_err::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(
        leftovers.len(),
        2,
        "only the two reports, no partial files: {leftovers:?}"
    );

    let output = plimsoll(&[
        "sbom",
        &h.image("lab/multiarch:1"),
        "--all-platforms",
        "-f",
        "spdx-json",
    ]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("pass --output FILE"),
        "{}",
        stderr(&output)
    );

    let spdx = dir.path().join("archive.spdx.json");
    let archive = format!(
        "docker-archive:{}",
        h.path("python-app.docker.tar").display()
    );
    let output = plimsoll(&[
        "sbom",
        &archive,
        "-f",
        "spdx-json",
        "-o",
        spdx.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let doc: Value = serde_json::from_slice(&fs_err::read(&spdx).unwrap()).unwrap();
    assert_eq!(doc["spdxVersion"], "SPDX-2.3");
}

#[test]
fn whiteouts_remove_packages_of_lower_layers() {
    let Some(h) = Harness::get() else { return };
    let expect = h.expect("whiteout.json");
    let doc = sbom_json(&[&h.image("lab/whiteout:1")]);
    let image = only_image(&doc);
    let normalise = |n: &str| n.to_ascii_lowercase().replace(['_', '.'], "-");
    let has =
        |kind: &str, name: &str| {
            image["packages"].as_array().unwrap().iter().any(|p| {
                p["kind"] == kind && normalise(p["name"].as_str().unwrap()) == normalise(name)
            })
        };
    for gone in expect["absent"].as_array().unwrap() {
        let (kind, name) = (
            gone["kind"].as_str().unwrap(),
            gone["name"].as_str().unwrap(),
        );
        assert!(
            !has(kind, name),
            "{kind} {name} should be gone: {}",
            gone["why"]
        );
    }
    for kept in expect["present"].as_array().unwrap() {
        let (kind, name) = (
            kept["kind"].as_str().unwrap(),
            kept["name"].as_str().unwrap(),
        );
        assert!(has(kind, name), "{kind} {name} should be present");
    }
    // `packaging` was re-added by the layer that hid its directory: it comes from layer 2.
    let packaging = image["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "packaging")
        .unwrap();
    assert_eq!(packaging["layer"]["index"], 2);
    // Debs untouched by the status rewrite keep their base-layer origin.
    let bash = image["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "bash")
        .unwrap();
    assert_eq!(bash["layer"]["index"], 0);
}

#[test]
fn authenticated_registries_need_their_own_credentials() {
    let Some(h) = Harness::get() else { return };
    let image = format!("{}/lab/private:1", h.auth_registry);
    let anonymous = plimsoll(&["sbom", &image, "-f", "json"]);
    assert_eq!(anonymous.status.code(), Some(1));
    let err = stderr(&anonymous);
    assert!(
        err.contains("authentication failed") && err.contains("401"),
        "{err}"
    );

    let env = [
        ("PLIMSOLL_REGISTRY_USERNAME", h.auth_user.as_str()),
        ("PLIMSOLL_REGISTRY_PASSWORD", h.auth_password.as_str()),
    ];
    let ok = plimsoll_with_env(
        &["sbom", &image, "-f", "json", "--log-level", "trace"],
        &env,
    );
    assert!(ok.status.success(), "{}", stderr(&ok));
    let doc: Value = serde_json::from_slice(&ok.stdout).unwrap();
    assert!(packages_of(only_image(&doc), "deb").len() > 50);
    let basic = base64::engine::general_purpose::STANDARD
        .encode(format!("{}:{}", h.auth_user, h.auth_password));
    assert!(
        stderr(&ok).contains("connecting to"),
        "trace logging of the HTTP stack is on (else this check proves little)"
    );
    assert!(
        !stderr(&ok).contains(&h.auth_password) && !stderr(&ok).contains(&basic),
        "the password reached the logs"
    );
    let encoded = String::from_utf8_lossy(&ok.stdout);
    assert!(
        !encoded.contains(&h.auth_password),
        "the password reached the report"
    );

    let wrong = plimsoll_with_env(
        &["sbom", &image],
        &[
            ("PLIMSOLL_REGISTRY_USERNAME", "plimsoll"),
            ("PLIMSOLL_REGISTRY_PASSWORD", "wrong"),
        ],
    );
    assert_eq!(wrong.status.code(), Some(1));
    assert!(
        stderr(&wrong).contains("authentication failed"),
        "{}",
        stderr(&wrong)
    );

    // Credentials given for the auth registry are not offered to the open one (and it needs none).
    let other = plimsoll_with_env(
        &[
            "sbom",
            &h.image("lab/debian:12"),
            "-f",
            "json",
            "--log-level",
            "trace",
        ],
        &env,
    );
    assert!(other.status.success());
    assert!(
        !stderr(&other).contains(&basic),
        "credentials go only to their registry"
    );
}

#[test]
fn docker_config_credentials_are_used_for_their_host() {
    let Some(h) = Harness::get() else { return };
    let dir = tempfile::tempdir().unwrap();
    let auth = base64::engine::general_purpose::STANDARD
        .encode(format!("{}:{}", h.auth_user, h.auth_password));
    fs_err::write(
        dir.path().join("config.json"),
        format!(
            r#"{{"auths":{{"{}":{{"auth":"{auth}"}}}}}}"#,
            h.auth_registry
        ),
    )
    .unwrap();
    let image = format!("{}/lab/private:1", h.auth_registry);
    let output = plimsoll_with_env(
        &["sbom", &image, "-f", "json"],
        &[("DOCKER_CONFIG", dir.path().to_str().unwrap())],
    );
    assert!(output.status.success(), "{}", stderr(&output));
}

#[test]
fn json_logs_are_one_object_per_line_on_stderr() {
    let Some(h) = Harness::get() else { return };
    let output = plimsoll(&[
        "sbom",
        &h.image("lab/debian:12"),
        "-f",
        "json",
        "--log-format",
        "json",
        "--log-level",
        "info",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let lines: Vec<Value> = stderr(&output)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    let done = lines
        .iter()
        .find(|l| l["message"] == "inventory complete")
        .expect("an 'inventory complete' event");
    assert_eq!(done["level"], "INFO");
    assert_eq!(done["platform"], "linux/amd64");
    assert!(done["packages"].as_u64().unwrap() > 50);
    // stdout is still only the report.
    let _: Value = serde_json::from_slice(&output.stdout).unwrap();
}
