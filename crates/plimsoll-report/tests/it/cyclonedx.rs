use plimsoll_report::{Format, write_inventory};
use serde_json::{Value, json};

use crate::{fixture, schemas};

fn bom() -> Value {
    let mut out = Vec::new();
    write_inventory(Format::CycloneDxJson, &fixture::inventory(), &mut out).unwrap();
    serde_json::from_slice(&out).unwrap()
}

fn property<'a>(component: &'a Value, name: &str) -> Option<&'a str> {
    component["properties"]
        .as_array()?
        .iter()
        .find(|p| p["name"] == name)
        .and_then(|p| p["value"].as_str())
}

#[test]
fn validates_against_the_official_1_6_schema() {
    let bom = bom();
    let violations = schemas::violations(&schemas::cyclonedx(), &bom);
    assert!(violations.is_empty(), "{violations:#?}");
    assert_eq!(bom["specVersion"], "1.6");
}

#[test]
fn broken_documents_fail_validation() {
    let validator = schemas::cyclonedx();
    let valid = bom();

    let mut missing_required = valid.clone();
    missing_required
        .as_object_mut()
        .unwrap()
        .remove("bomFormat");
    assert!(!schemas::violations(&validator, &missing_required).is_empty());

    let mut bad_enum = valid.clone();
    bad_enum["components"][0]["type"] = json!("operating system");
    assert!(!schemas::violations(&validator, &bad_enum).is_empty());

    let mut bad_serial = valid.clone();
    bad_serial["serialNumber"] = json!("not-a-urn");
    assert!(!schemas::violations(&validator, &bad_serial).is_empty());

    // Reaches into the separately registered `spdx.schema.json`: proves `$ref`s across files
    // are followed, not silently accepted.
    let mut bad_licence_id = valid;
    bad_licence_id["components"][1]["licenses"] = json!([{"license": {"id": "Not-A-Licence"}}]);
    assert!(!schemas::violations(&validator, &bad_licence_id).is_empty());
    bad_licence_id["components"][1]["licenses"] = json!([{"license": {"id": "MIT"}}]);
    assert!(schemas::violations(&validator, &bad_licence_id).is_empty());
}

#[test]
fn describes_the_image_as_a_container() {
    let bom = bom();
    let image = fixture::inventory();
    let root = &bom["metadata"]["component"];
    assert_eq!(root["type"], "container");
    assert_eq!(root["name"], "registry.example.com:5000/team/app");
    assert_eq!(root["version"], image.manifest_digest.as_str());
    let purl = root["purl"].as_str().unwrap();
    assert!(purl.starts_with("pkg:oci/app@sha256:"), "{purl}");
    assert!(purl.contains("arch=arm64"), "{purl}");
    assert!(purl.contains("tag=1.4.2"), "{purl}");
    assert_eq!(
        property(root, "plimsoll:image:platform"),
        Some("linux/arm64/v8")
    );
    assert_eq!(
        property(root, "plimsoll:image:index_digest"),
        Some(image.index_digest.as_ref().unwrap().as_str())
    );
    assert_eq!(
        bom["metadata"]["tools"]["components"][0]["name"],
        "plimsoll"
    );
}

#[test]
fn os_component_is_present() {
    let bom = bom();
    let os: Vec<&Value> = bom["components"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["type"] == "operating-system")
        .collect();
    assert_eq!(os.len(), 1);
    assert_eq!(os[0]["name"], "debian");
    assert_eq!(os[0]["version"], "12");
}

#[test]
fn every_package_appears_with_purl_and_layer() {
    let bom = bom();
    let image = fixture::inventory();
    let libraries: Vec<&Value> = bom["components"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["type"] == "library")
        .collect();
    assert_eq!(libraries.len(), image.packages.len());
    for (component, package) in libraries.iter().zip(&image.packages) {
        let layer = package.layer.as_ref().unwrap();
        assert_eq!(component["purl"], package.purl.as_deref().unwrap());
        assert_eq!(component["version"], package.version.as_str());
        assert_eq!(
            property(component, "plimsoll:package:type"),
            Some(package.kind.as_str())
        );
        assert_eq!(
            property(component, "plimsoll:location:path"),
            Some(package.found_in.as_str())
        );
        assert_eq!(
            property(component, "plimsoll:layer:index"),
            Some(layer.index.to_string().as_str())
        );
        assert_eq!(
            property(component, "plimsoll:layer:digest"),
            Some(layer.digest.as_str())
        );
        assert_eq!(
            property(component, "plimsoll:layer:diff_id"),
            Some(layer.diff_id.as_str())
        );
        assert_eq!(
            property(component, "plimsoll:source:name"),
            package.source.as_ref().map(|s| s.name.as_str())
        );
    }
    let names: Vec<String> = libraries
        .iter()
        .map(|c| match c["group"].as_str() {
            Some(group) => format!("{group}/{}", c["name"].as_str().unwrap()),
            None => c["name"].as_str().unwrap().to_owned(),
        })
        .collect();
    assert_eq!(names, fixture::PACKAGE_NAMES);

    // bom-refs are unique although the npm purl occurs twice, and the image depends on them all.
    let refs: Vec<&str> = bom["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["bom-ref"].as_str().unwrap())
        .collect();
    let unique: std::collections::HashSet<&str> = refs.iter().copied().collect();
    assert_eq!(unique.len(), refs.len(), "{refs:?}");
    assert_eq!(bom["dependencies"][0]["dependsOn"], json!(refs));
}
