//! Builds small OCI images at test time (gzip tar layers, config, manifest in an OCI layout)
//! and pushes them to the lab registry with `skopeo`, the harness's own push tool.

use std::io::Write as _;
use std::path::Path;

use flate2::Compression;
use flate2::write::GzEncoder;
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

/// One file of a layer.
pub(crate) struct Entry {
    pub(crate) path: String,
    pub(crate) bytes: Vec<u8>,
    pub(crate) mode: u32,
}

impl Entry {
    pub(crate) fn file(path: &str, bytes: impl Into<Vec<u8>>) -> Entry {
        Entry {
            path: path.trim_start_matches('/').to_owned(),
            bytes: bytes.into(),
            mode: 0o644,
        }
    }

    pub(crate) fn executable(path: &str, bytes: impl Into<Vec<u8>>) -> Entry {
        Entry {
            mode: 0o755,
            ..Entry::file(path, bytes)
        }
    }

    /// A whiteout deleting `path` from the layers below.
    pub(crate) fn whiteout(path: &str) -> Entry {
        let path = path.trim_start_matches('/');
        let (dir, name) = path.rsplit_once('/').unwrap_or(("", path));
        let marker = if dir.is_empty() {
            format!(".wh.{name}")
        } else {
            format!("{dir}/.wh.{name}")
        };
        Entry::file(&marker, Vec::new())
    }
}

/// A layer blob: either built from entries or an existing gzip blob (a harness layer).
pub(crate) enum Layer {
    Entries(Vec<Entry>, &'static str),
    Blob {
        gzip: Vec<u8>,
        diff_id: String,
        created_by: String,
    },
}

fn sha256(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

fn tar_of(entries: &[Entry]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    for e in entries {
        let mut header = tar::Header::new_ustar();
        header.set_size(e.bytes.len() as u64);
        header.set_mode(e.mode);
        header.set_mtime(1_700_000_000);
        header.set_entry_type(tar::EntryType::Regular);
        builder
            .append_data(&mut header, &e.path, e.bytes.as_slice())
            .unwrap();
    }
    builder.into_inner().unwrap()
}

/// Writes an OCI layout at `dir` with one image tagged `tag`; `config` holds the runtime
/// `config` object (User, Env, …). History: one entry per layer, plus `CMD ["bash"]` after the
/// first, as the harness images have.
pub(crate) fn write_layout(dir: &Path, tag: &str, layers: Vec<Layer>, config: &Value) {
    let blobs = dir.join("blobs/sha256");
    fs_err::create_dir_all(&blobs).unwrap();
    let put = |bytes: &[u8]| -> (String, usize) {
        let digest = sha256(bytes);
        fs_err::write(blobs.join(digest.trim_start_matches("sha256:")), bytes).unwrap();
        (digest, bytes.len())
    };
    let mut descriptors = Vec::new();
    let mut diff_ids = Vec::new();
    let mut history = Vec::new();
    for (i, layer) in layers.into_iter().enumerate() {
        let (gzip, diff_id, created_by) = match layer {
            Layer::Entries(entries, created_by) => {
                let tar = tar_of(&entries);
                let mut enc = GzEncoder::new(Vec::new(), Compression::fast());
                enc.write_all(&tar).unwrap();
                (enc.finish().unwrap(), sha256(&tar), created_by.to_owned())
            }
            Layer::Blob {
                gzip,
                diff_id,
                created_by,
            } => (gzip, diff_id, created_by),
        };
        let (digest, size) = put(&gzip);
        descriptors.push(json!({
            "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
            "digest": digest, "size": size,
        }));
        diff_ids.push(diff_id);
        history.push(json!({"created": "2024-01-01T00:00:00Z", "created_by": created_by}));
        if i == 0 {
            history.push(json!({
                "created": "2024-01-01T00:00:00Z",
                "created_by": "/bin/sh -c #(nop)  CMD [\"bash\"]",
                "empty_layer": true,
            }));
        }
    }
    let config = json!({
        "created": "2024-01-01T00:00:00Z",
        "architecture": "amd64",
        "os": "linux",
        "config": config,
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": history,
    });
    let (config_digest, config_size) = put(&serde_json::to_vec(&config).unwrap());
    let manifest = json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            "digest": config_digest, "size": config_size,
        },
        "layers": descriptors,
    });
    let (manifest_digest, manifest_size) = put(&serde_json::to_vec(&manifest).unwrap());
    let index = json!({
        "schemaVersion": 2,
        "manifests": [{
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": manifest_digest, "size": manifest_size,
            "annotations": {"org.opencontainers.image.ref.name": tag},
        }],
    });
    fs_err::write(dir.join("index.json"), serde_json::to_vec(&index).unwrap()).unwrap();
    fs_err::write(dir.join("oci-layout"), br#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
}

/// Pushes the layout's image to `reference` (`127.0.0.1:5000/repo:tag`) with skopeo.
pub(crate) fn push(dir: &Path, tag: &str, reference: &str) {
    crate::run_oracle(
        "skopeo",
        &[
            "copy",
            "--quiet",
            "--preserve-digests",
            "--dest-tls-verify=false",
            &format!("oci:{}:{tag}", dir.display()),
            &format!("docker://{reference}"),
        ],
        None,
    );
}
