//! Plimsoll's own JSON: the inventories exactly as the pipeline holds them.
//!
//! The schema is documented field by field in `docs/inventory-json.md`. It is the serde form of
//! `plimsoll_types::ImageInventory` wrapped in a small envelope, so the envelope's `schema` tag
//! is the contract: a change to the types that renames, removes or retypes a field must bump it
//! (the pinned-output test below fails first), while added optional fields keep `v1`.

use serde::Serialize;

use plimsoll_types::ImageInventory;

/// The value of the top-level `schema` field.
pub(crate) const SCHEMA: &str = "plimsoll.inventory/v1";

#[derive(Serialize)]
struct Document<'a> {
    schema: &'static str,
    tool: Tool,
    images: &'a [ImageInventory],
}

/// The writing tool, as both Plimsoll JSON formats name it.
#[derive(Clone, Copy, Serialize)]
pub(crate) struct Tool {
    pub(crate) name: &'static str,
    pub(crate) version: &'static str,
}

/// This build of Plimsoll.
pub(crate) const TOOL: Tool = Tool {
    name: "plimsoll",
    version: env!("CARGO_PKG_VERSION"),
};

/// The document as a JSON value tree, ready for `serde_json` to write.
///
/// No timestamp or run id: the same inventories give the same bytes, so outputs can be diffed
/// and cached.
pub(crate) fn document(images: &[ImageInventory]) -> impl Serialize + '_ {
    Document {
        schema: SCHEMA,
        tool: TOOL,
        images,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::testutil;

    #[test]
    fn round_trips_to_the_same_inventories() {
        let images = vec![testutil::inventory(), testutil::inventory()];
        let value = serde_json::to_value(document(&images)).unwrap();
        assert_eq!(value["schema"], "plimsoll.inventory/v1");
        assert_eq!(value["tool"]["name"], "plimsoll");
        assert_eq!(value["tool"]["version"], env!("CARGO_PKG_VERSION"));
        let back: Vec<ImageInventory> = serde_json::from_value(value["images"].clone()).unwrap();
        assert_eq!(back, images);
    }

    /// Pins the v1 field names and shapes. If this fails because `plimsoll-types` changed, decide
    /// whether the change is compatible (new optional field: update this test and the doc) or not
    /// (bump [`SCHEMA`]).
    #[test]
    fn pins_the_v1_shape() {
        let mut image = testutil::inventory();
        image.packages.truncate(1);
        image.layers.truncate(1);
        image.index_digest = Some(plimsoll_types::Digest::sha256_of(b"index"));
        image.warnings = vec!["a warning".into()];
        let os = image.os.as_mut().unwrap();
        os.id_like = vec!["linux".into()];
        let full = testutil::full_report().image;
        image.layers[0].changes = full.layers[1].changes.clone();
        image.layers[0]
            .created_by
            .clone_from(&full.layers[0].created_by);
        image.secrets = full.secrets;
        image.config = Some(plimsoll_types::ImageConfigFacts {
            user: Some(String::new()),
            exposed_ports: vec!["8080/tcp".into()],
            env_names: vec!["PATH".into(), "DB_PASSWORD".into()],
            healthcheck: false,
            command: vec!["python3".into(), "app.py".into()],
            labels: [(
                "org.opencontainers.image.version".to_owned(),
                "1.0".to_owned(),
            )]
            .into(),
        });
        let value = serde_json::to_value(document(&[image])).unwrap();
        let manifest = "sha256:05b3abf2579a5eb66403cd78be557fd860633a1fe2103c7642030defe32c657f";
        let config = "sha256:b79606fb3afea5bd1609ed40b622142f1c98125abcfe89a76a661b0e8e343910";
        let index = "sha256:1bc04b5291c26a46d918139138b992d2de976d6851d0893b0476b85bfbdfc6e6";
        let layer = "sha256:4fbec69b941195fd56f8212a5000e304129451d82efca94ff0e0fb2d5355472e";
        let diff = "sha256:d45fe94714c2649d9d1bfbce7cc2a04c14cc51a207c716e6e8949a8cc58032e1";
        let expected: Value = json!({
            "schema": "plimsoll.inventory/v1",
            "tool": {"name": "plimsoll", "version": env!("CARGO_PKG_VERSION")},
            "images": [{
                "source": {"type": "registry", "reference": "docker.io/library/debian:12"},
                "manifest_digest": manifest,
                "index_digest": index,
                "config_digest": config,
                "platform": {"os": "linux", "architecture": "amd64"},
                "created": "2026-11-01T00:00:00Z",
                "os": {
                    "id": "debian",
                    "version_id": "12",
                    "version_codename": "bookworm",
                    "pretty_name": "Debian GNU/Linux 12 (bookworm)",
                    "id_like": ["linux"]
                },
                "layers": [{
                    "index": 0,
                    "digest": layer,
                    "diff_id": diff,
                    "media_type": "application/vnd.oci.image.layer.v1.tar+gzip",
                    "compressed_size": 1000,
                    "uncompressed_size": 3000,
                    "created_by": "/bin/sh -c #(nop) ADD file:6d1b0c4f3d2e1a09 in / ",
                    "base_image": true,
                    "changes": {
                        "added": [
                            {"kind": "npm", "name": "@babel/core", "version": "7.23.0"},
                            {"kind": "python", "name": "requests", "version": "2.31.0"}
                        ],
                        "removed": [{"kind": "deb", "name": "tzdata", "version": "2024a-0+deb12u1"}],
                        "changed": [{"kind": "deb", "name": "base-files", "from": "12.4+deb12u4", "to": "12.4+deb12u5"}]
                    }
                }],
                "packages": [{
                    "name": "base-files",
                    "version": "12.4+deb12u5",
                    "kind": "deb",
                    "source": {"name": "base-files", "version": "12.4+deb12u5"},
                    "arch": "amd64",
                    "licenses": ["GPL-2+"],
                    "found_in": "/var/lib/dpkg/status",
                    "purl": "pkg:deb/debian/base-files@12.4%2Bdeb12u5?arch=amd64&distro=debian-12",
                    "layer": {"index": 0, "digest": layer, "diff_id": diff}
                }],
                "config": {
                    "user": "",
                    "exposed_ports": ["8080/tcp"],
                    "env_names": ["PATH", "DB_PASSWORD"],
                    "healthcheck": false,
                    "command": ["python3", "app.py"],
                    "labels": {"org.opencontainers.image.version": "1.0"}
                },
                "secrets": [
                    {
                        "rule": "aws-access-key-id",
                        "category": "AWS",
                        "title": "AWS access key ID",
                        "severity": "CRITICAL",
                        "path": "/app/.env",
                        "line": 3,
                        "redacted": "AKIA****************",
                        "layer": {
                            "index": 1,
                            "digest": testutil::layer(1).digest.as_str(),
                            "diff_id": testutil::layer(1).diff_id.as_str()
                        },
                        "deleted_in_layer": 2
                    },
                    {
                        "rule": "generic-password",
                        "category": "Generic",
                        "title": "Password in configuration",
                        "severity": "HIGH",
                        "path": "config:ENV",
                        "line": 0,
                        "redacted": "DB_PASSWORD=hu*****"
                    }
                ],
                "warnings": ["a warning"]
            }]
        });
        assert_eq!(value, expected);
    }

    #[test]
    fn other_sources_are_tagged_by_type() {
        let mut image = testutil::inventory();
        image.source = plimsoll_types::ImageSource::OciLayout {
            path: "./l".into(),
            reference: Some("v1".into()),
        };
        let value = serde_json::to_value(document(&[image.clone()])).unwrap();
        assert_eq!(
            value["images"][0]["source"],
            json!({"type": "oci-layout", "path": "./l", "reference": "v1"})
        );
        image.source = plimsoll_types::ImageSource::DockerArchive {
            path: "a.tar".into(),
        };
        let value = serde_json::to_value(document(&[image])).unwrap();
        assert_eq!(
            value["images"][0]["source"],
            json!({"type": "docker-archive", "path": "a.tar"})
        );
    }
}
