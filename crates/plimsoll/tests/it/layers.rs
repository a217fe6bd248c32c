//! The layered view: per layer its command, sizes, base-image flag and package changes,
//! checked against the image's own manifest and config and the package tools' views.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::{Harness, normalise_python_name, only_image, pip_list, run_oracle, sbom_json};

/// Layer sizes and diff-ids from the OCI layout the harness pushed (the same bytes).
fn layout_layers(h: &Harness, image: &str) -> Vec<(u64, String)> {
    let dir = h.path("oci").join(image);
    let read = |digest: &str| -> Value {
        let hex = digest.trim_start_matches("sha256:");
        let bytes = fs_err::read(dir.join("blobs/sha256").join(hex)).unwrap();
        serde_json::from_slice(&bytes).unwrap()
    };
    let index: Value =
        serde_json::from_slice(&fs_err::read(dir.join("index.json")).unwrap()).unwrap();
    let manifest = read(index["manifests"][0]["digest"].as_str().unwrap());
    let config = read(manifest["config"]["digest"].as_str().unwrap());
    manifest["layers"]
        .as_array()
        .unwrap()
        .iter()
        .zip(config["rootfs"]["diff_ids"].as_array().unwrap())
        .map(|(l, d)| (l["size"].as_u64().unwrap(), d.as_str().unwrap().to_owned()))
        .collect()
}

fn added(layer: &Value, kind: &str) -> BTreeSet<(String, String)> {
    layer["changes"]["added"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .filter(|p| p["kind"] == kind)
        .map(|p| {
            (
                p["name"].as_str().unwrap().to_owned(),
                p["version"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn python_app_layers_show_commands_sizes_base_and_added_packages() {
    let Some(h) = Harness::get() else { return };
    let doc = sbom_json(&[&h.image("lab/python-app:1")]);
    let image = only_image(&doc);
    let layers = image["layers"].as_array().unwrap();
    assert_eq!(layers.len(), 2);

    // Sizes and diff-ids as the manifest and config state them (pushed with preserved digests).
    let want = layout_layers(&h, "python-app");
    for (layer, (size, diff_id)) in layers.iter().zip(&want) {
        assert_eq!(layer["compressed_size"].as_u64(), Some(*size));
        assert_eq!(layer["diff_id"], diff_id.as_str());
        assert!(layer["uncompressed_size"].as_u64().unwrap() > *size);
    }

    // The config history: the Debian layer, `CMD ["bash"]`, then the pip layer; the CMD marks
    // where the base image ends.
    assert!(
        layers[0]["created_by"]
            .as_str()
            .unwrap()
            .starts_with("debootstrap")
    );
    assert!(
        layers[1]["created_by"]
            .as_str()
            .unwrap()
            .contains("pip install")
    );
    assert_eq!(layers[0]["base_image"], true);
    assert!(layers[1].get("base_image").is_none(), "{}", layers[1]);

    // Packages added per layer, against dpkg-query and pip list on the trees that became the
    // layers.
    let dpkg = run_oracle(
        "dpkg-query",
        &[
            "-W",
            &format!(
                "--admindir={}",
                h.path("rootfs/debian/var/lib/dpkg").display()
            ),
            "-f",
            "${Package}\\t${Version}\\n",
        ],
        None,
    );
    let debs: BTreeSet<(String, String)> = dpkg
        .lines()
        .map(|l| {
            let (n, v) = l.split_once('\t').unwrap();
            (n.to_owned(), v.to_owned())
        })
        .collect();
    assert!(debs.len() > 50);
    assert_eq!(added(&layers[0], "deb"), debs);
    assert!(added(&layers[1], "deb").is_empty());

    let pips = pip_list(&h);
    let ours: BTreeSet<(String, String)> = added(&layers[1], "python")
        .into_iter()
        .map(|(n, v)| (normalise_python_name(&n), v))
        .collect();
    assert_eq!(ours, pips);
    assert!(layers[1]["changes"].get("removed").is_none());
}

#[test]
fn the_whiteout_layer_records_what_it_removed() {
    let Some(h) = Harness::get() else { return };
    let doc = sbom_json(&[&h.image("lab/whiteout:1")]);
    let image = only_image(&doc);
    let expect = h.expect("whiteout.json");
    let top = &image["layers"][2];
    let removed: BTreeSet<(String, String)> = top["changes"]["removed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["kind"].as_str().unwrap().to_owned(),
                p["name"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    // Every package the expect file says is absent (six whited out, attrs hidden by an opaque
    // directory, a purged deb) is recorded as removed by the top layer, and nothing else is.
    let absent: BTreeSet<(String, String)> = expect["absent"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["kind"].as_str().unwrap().to_owned(),
                a["name"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(removed, absent);
    assert!(
        top["changes"].get("added").is_none(),
        "packaging was re-added, not new: {top}"
    );
}

#[test]
fn config_facts_are_in_the_inventory() {
    let Some(h) = Harness::get() else { return };
    let doc = sbom_json(&[&h.image("lab/python-app:1")]);
    let image = only_image(&doc);
    // The harness config: `Cmd ["bash"]`, no user, no health check.
    assert_eq!(image["config"]["command"], serde_json::json!(["bash"]));
    assert!(image["config"].get("user").is_none());
    assert!(image["config"]["healthcheck"] == false);
}
