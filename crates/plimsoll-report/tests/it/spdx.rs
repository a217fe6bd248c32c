use std::collections::HashSet;

use plimsoll_report::{Format, write_inventory};
use serde_json::{Value, json};

use crate::{fixture, schemas};

fn document() -> Value {
    let mut out = Vec::new();
    write_inventory(Format::SpdxJson, &fixture::inventory(), &mut out).unwrap();
    serde_json::from_slice(&out).unwrap()
}

fn packages(doc: &Value) -> &Vec<Value> {
    doc["packages"].as_array().unwrap()
}

#[test]
fn validates_against_the_official_2_3_schema() {
    let doc = document();
    let violations = schemas::violations(&schemas::spdx(), &doc);
    assert!(violations.is_empty(), "{violations:#?}");
    assert_eq!(doc["spdxVersion"], "SPDX-2.3");
}

#[test]
fn broken_documents_fail_validation() {
    let validator = schemas::spdx();
    let valid = document();

    let mut missing_required = valid.clone();
    missing_required
        .as_object_mut()
        .unwrap()
        .remove("spdxVersion");
    assert!(!schemas::violations(&validator, &missing_required).is_empty());

    let mut package_without_download_location = valid.clone();
    package_without_download_location["packages"][2]
        .as_object_mut()
        .unwrap()
        .remove("downloadLocation");
    assert!(!schemas::violations(&validator, &package_without_download_location).is_empty());

    // The tag-value spelling is not the JSON schema's: this is why we write OPERATING_SYSTEM.
    let mut tag_value_spelling = valid;
    tag_value_spelling["packages"][1]["primaryPackagePurpose"] = json!("OPERATING-SYSTEM");
    assert!(!schemas::violations(&validator, &tag_value_spelling).is_empty());
}

#[test]
fn spdx_ids_are_unique_and_valid() {
    let doc = document();
    let ids: Vec<&str> = packages(&doc)
        .iter()
        .map(|p| p["SPDXID"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids.iter().collect::<HashSet<_>>().len(),
        ids.len(),
        "{ids:?}"
    );
    for id in &ids {
        let rest = id
            .strip_prefix("SPDXRef-")
            .unwrap_or_else(|| panic!("{id}"));
        assert!(
            !rest.is_empty()
                && rest
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-'),
            "{id}"
        );
    }
    let namespace = doc["documentNamespace"].as_str().unwrap();
    assert!(
        namespace.starts_with("https://") && !namespace.contains('#'),
        "{namespace}"
    );
}

#[test]
fn image_contains_the_os_and_every_package() {
    let doc = document();
    let image = fixture::inventory();
    let packages = packages(&doc);
    assert_eq!(packages.len(), image.packages.len() + 2);
    assert_eq!(packages[0]["primaryPackagePurpose"], "CONTAINER");
    assert_eq!(packages[0]["versionInfo"], image.manifest_digest.as_str());
    assert_eq!(packages[1]["primaryPackagePurpose"], "OPERATING_SYSTEM");
    assert_eq!(packages[1]["name"], "debian");

    for (spdx, package) in packages[2..].iter().zip(&image.packages) {
        assert_eq!(spdx["name"], package.name.as_str());
        assert_eq!(spdx["versionInfo"], package.version.as_str());
        assert_eq!(spdx["primaryPackagePurpose"], "LIBRARY");
        assert_eq!(
            spdx["externalRefs"],
            json!([{
                "referenceCategory": "PACKAGE-MANAGER",
                "referenceType": "purl",
                "referenceLocator": package.purl.as_deref().unwrap()
            }])
        );
        let source_info = spdx["sourceInfo"].as_str().unwrap();
        let layer = package.layer.as_ref().unwrap();
        assert!(source_info.contains(&package.found_in), "{source_info}");
        assert!(
            source_info.contains(layer.diff_id.as_str()),
            "{source_info}"
        );
    }
    let names: Vec<&str> = packages[2..]
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, fixture::PACKAGE_NAMES);

    let relationships = doc["relationships"].as_array().unwrap();
    assert!(relationships.contains(&json!({
        "spdxElementId": "SPDXRef-DOCUMENT",
        "relationshipType": "DESCRIBES",
        "relatedSpdxElement": packages[0]["SPDXID"]
    })));
    for package in &packages[1..] {
        assert!(
            relationships.contains(&json!({
                "spdxElementId": packages[0]["SPDXID"],
                "relationshipType": "CONTAINS",
                "relatedSpdxElement": package["SPDXID"]
            })),
            "{}",
            package["SPDXID"]
        );
    }
}
