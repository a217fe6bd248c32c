//! SPDX 2.3 JSON (<https://spdx.github.io/spdx-spec/v2.3/>), one image per document.
//!
//! Own structs: `spdx-rs` models 2.2 and is unmaintained. The document describes the image as a
//! package (`primaryPackagePurpose: CONTAINER`) that `CONTAINS` the distribution
//! (`OPERATING_SYSTEM`) and every package (`LIBRARY`).
//!
//! Choices, each the conservative reading of the spec:
//!
//! - Licences are `NOASSERTION`. `licenseDeclared` must be an SPDX licence expression (§7.15);
//!   package managers record free text (`GPL-2+`, `BSD`), and guessing a mapping would assert
//!   something nobody declared. The raw strings go in `licenseComments` instead.
//! - `downloadLocation` and `copyrightText` are `NOASSERTION`: we read installed metadata, not
//!   archives or copyright files.
//! - `filesAnalyzed: false`: no files are listed, so no verification code is owed (§7.8).
//! - `primaryPackagePurpose` uses the JSON schema's spelling `OPERATING_SYSTEM`; the
//!   tag-value spelling `OPERATING-SYSTEM` fails the official JSON schema.
//! - SPDX ids allow only letters, digits, `.` and `-` (§7.2); package ids are
//!   `SPDXRef-Package-<type>-<name>-<version>` with other characters replaced by `-` and a
//!   `-2`, `-3`, … suffix where two packages sanitise alike.

use std::collections::HashSet;
use std::fmt::Write as _;

use serde::Serialize;

use plimsoll_types::{ImageInventory, OsRelease, Package};

use crate::Result;
use crate::creation::Creation;
use crate::image;

/// Base of `documentNamespace`. The spec asks for a unique URI, not a resolvable one; `.invalid`
/// (RFC 2606) can never resolve, so nobody mistakes it for a place to fetch the document from.
const NAMESPACE_BASE: &str = "https://plimsoll.invalid/spdx/";

const NOASSERTION: &str = "NOASSERTION";
const DOCUMENT_ID: &str = "SPDXRef-DOCUMENT";
const IMAGE_ID: &str = "SPDXRef-Image";
const OS_ID: &str = "SPDXRef-OperatingSystem";

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Document {
    spdx_version: &'static str,
    data_license: &'static str,
    #[serde(rename = "SPDXID")]
    spdx_id: &'static str,
    name: String,
    #[serde(rename = "documentNamespace")]
    namespace: String,
    creation_info: CreationInfo,
    packages: Vec<SpdxPackage>,
    relationships: Vec<Relationship>,
}

#[derive(Serialize)]
struct CreationInfo {
    created: String,
    creators: Vec<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SpdxPackage {
    #[serde(rename = "SPDXID")]
    spdx_id: String,
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    version_info: Option<String>,
    download_location: &'static str,
    files_analyzed: bool,
    license_concluded: &'static str,
    license_declared: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    license_comments: Option<String>,
    copyright_text: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    source_info: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    external_refs: Vec<ExternalRef>,
    primary_package_purpose: &'static str,
}

impl SpdxPackage {
    fn new(spdx_id: String, name: String, purpose: &'static str) -> Self {
        SpdxPackage {
            spdx_id,
            name,
            version_info: None,
            download_location: NOASSERTION,
            files_analyzed: false,
            license_concluded: NOASSERTION,
            license_declared: NOASSERTION,
            license_comments: None,
            copyright_text: NOASSERTION,
            description: None,
            source_info: None,
            external_refs: Vec::new(),
            primary_package_purpose: purpose,
        }
    }
}

#[derive(Serialize)]
struct ExternalRef {
    #[serde(rename = "referenceCategory")]
    category: &'static str,
    #[serde(rename = "referenceType")]
    kind: &'static str,
    #[serde(rename = "referenceLocator")]
    locator: String,
}

fn purl_ref(purl: Option<&String>) -> Vec<ExternalRef> {
    purl.map(|purl| ExternalRef {
        category: "PACKAGE-MANAGER",
        kind: "purl",
        locator: purl.clone(),
    })
    .into_iter()
    .collect()
}

#[derive(Serialize)]
struct Relationship {
    #[serde(rename = "spdxElementId")]
    element: String,
    #[serde(rename = "relationshipType")]
    kind: &'static str,
    #[serde(rename = "relatedSpdxElement")]
    related: String,
}

fn relationship(from: &str, kind: &'static str, to: &str) -> Relationship {
    Relationship {
        element: from.to_owned(),
        kind,
        related: to.to_owned(),
    }
}

/// Replaces every character outside `[A-Za-z0-9.-]` with `-`.
fn sanitise(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect()
}

/// Hands out unique `SPDXRef-Package-…` ids.
#[derive(Default)]
struct PackageIds {
    used: HashSet<String>,
}

impl PackageIds {
    fn id(&mut self, package: &Package) -> String {
        let base = format!(
            "SPDXRef-Package-{}",
            sanitise(&format!(
                "{}-{}-{}",
                package.kind.as_str(),
                package.name,
                package.version
            ))
        );
        if self.used.insert(base.clone()) {
            return base;
        }
        let mut n = 2_usize;
        loop {
            let candidate = format!("{base}-{n}");
            if self.used.insert(candidate.clone()) {
                return candidate;
            }
            n += 1;
        }
    }
}

/// Builds the SPDX document for one image.
pub(crate) fn document(image: &ImageInventory, creation: &Creation) -> Result<Document> {
    let image_name = image::name(image);
    let namespace_name: String = image_name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '/') {
                c
            } else {
                '-'
            }
        })
        .collect();

    let mut root = SpdxPackage::new(IMAGE_ID.to_owned(), image_name, "CONTAINER");
    root.version_info = Some(image.manifest_digest.to_string());
    root.source_info = Some(format!(
        "image {}, platform {}, config {}",
        image.source.display_name(),
        image.platform,
        image.config_digest
    ));
    root.external_refs = purl_ref(image::purl(image).as_ref());

    let mut packages = Vec::with_capacity(image.packages.len() + 2);
    let mut relationships = Vec::with_capacity(image.packages.len() + 2);
    relationships.push(relationship(DOCUMENT_ID, "DESCRIBES", IMAGE_ID));
    packages.push(root);
    if let Some(os) = &image.os {
        packages.push(os_package(os));
        relationships.push(relationship(IMAGE_ID, "CONTAINS", OS_ID));
    }
    let mut ids = PackageIds::default();
    for package in &image.packages {
        let spdx = spdx_package(package, ids.id(package));
        relationships.push(relationship(IMAGE_ID, "CONTAINS", &spdx.spdx_id));
        packages.push(spdx);
    }

    Ok(Document {
        spdx_version: "SPDX-2.3",
        data_license: "CC0-1.0",
        spdx_id: DOCUMENT_ID,
        name: image.source.display_name(),
        namespace: format!("{NAMESPACE_BASE}{namespace_name}-{}", creation.serial),
        creation_info: CreationInfo {
            created: creation.timestamp_rfc3339()?,
            creators: vec![format!("Tool: plimsoll-{}", env!("CARGO_PKG_VERSION"))],
        },
        packages,
        relationships,
    })
}

fn os_package(os: &OsRelease) -> SpdxPackage {
    let mut package = SpdxPackage::new(OS_ID.to_owned(), os.id.clone(), "OPERATING_SYSTEM");
    package.version_info.clone_from(&os.version_id);
    package.description.clone_from(&os.pretty_name);
    package
}

fn spdx_package(package: &Package, spdx_id: String) -> SpdxPackage {
    let mut spdx = SpdxPackage::new(spdx_id, package.name.clone(), "LIBRARY");
    spdx.version_info = Some(package.version.clone());
    spdx.external_refs = purl_ref(package.purl.as_ref());
    if !package.licenses.is_empty() {
        spdx.license_comments = Some(format!(
            "declared in the package metadata, not checked as SPDX: {}",
            package.licenses.join(", ")
        ));
    }
    let mut info = format!(
        "{} package found in {}",
        package.kind.as_str(),
        package.found_in
    );
    if let Some(layer) = &package.layer {
        // Infallible: writing to a String.
        let _ = write!(info, ", layer {} (diff_id {})", layer.index, layer.diff_id);
    }
    if let Some(source) = &package.source {
        let _ = write!(
            info,
            ", built from source package {} {}",
            source.name, source.version
        );
    }
    spdx.source_info = Some(info);
    spdx
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};
    use time::OffsetDateTime;
    use uuid::Uuid;

    use super::*;
    use crate::testutil;

    fn render(image: &ImageInventory) -> Value {
        let creation = Creation {
            timestamp: OffsetDateTime::from_unix_timestamp(1_795_000_000).unwrap(),
            serial: Uuid::from_u128(0x0123_4567_89ab_4def_8123_4567_89ab_cdef),
        };
        serde_json::to_value(document(image, &creation).unwrap()).unwrap()
    }

    fn is_valid_spdx_id(id: &str) -> bool {
        id.strip_prefix("SPDXRef-").is_some_and(|rest| {
            !rest.is_empty()
                && rest
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
        })
    }

    #[test]
    fn document_header() {
        let doc = render(&testutil::inventory());
        assert_eq!(doc["spdxVersion"], "SPDX-2.3");
        assert_eq!(doc["dataLicense"], "CC0-1.0");
        assert_eq!(doc["SPDXID"], "SPDXRef-DOCUMENT");
        assert_eq!(doc["name"], "docker.io/library/debian:12");
        assert_eq!(
            doc["documentNamespace"],
            "https://plimsoll.invalid/spdx/docker.io/library/debian-01234567-89ab-4def-8123-456789abcdef"
        );
        assert_eq!(
            doc["creationInfo"],
            json!({"created": "2026-11-18T11:06:40Z", "creators": [format!("Tool: plimsoll-{}", env!("CARGO_PKG_VERSION"))]})
        );
    }

    #[test]
    fn image_os_and_packages() {
        let image = testutil::inventory();
        let doc = render(&image);
        let packages = doc["packages"].as_array().unwrap();
        assert_eq!(packages.len(), 7);
        assert_eq!(packages[0]["SPDXID"], "SPDXRef-Image");
        assert_eq!(packages[0]["name"], "docker.io/library/debian");
        assert_eq!(packages[0]["versionInfo"], image.manifest_digest.as_str());
        assert_eq!(packages[0]["primaryPackagePurpose"], "CONTAINER");
        assert_eq!(packages[0]["externalRefs"][0]["referenceType"], "purl");
        assert_eq!(
            packages[1],
            json!({
                "SPDXID": "SPDXRef-OperatingSystem",
                "name": "debian",
                "versionInfo": "12",
                "downloadLocation": "NOASSERTION",
                "filesAnalyzed": false,
                "licenseConcluded": "NOASSERTION",
                "licenseDeclared": "NOASSERTION",
                "copyrightText": "NOASSERTION",
                "description": "Debian GNU/Linux 12 (bookworm)",
                "primaryPackagePurpose": "OPERATING_SYSTEM"
            })
        );
        let diff = testutil::layer(0).diff_id;
        assert_eq!(
            packages[3],
            json!({
                "SPDXID": "SPDXRef-Package-deb-libc6-2.36-9-deb12u4",
                "name": "libc6",
                "versionInfo": "2.36-9+deb12u4",
                "downloadLocation": "NOASSERTION",
                "filesAnalyzed": false,
                "licenseConcluded": "NOASSERTION",
                "licenseDeclared": "NOASSERTION",
                "licenseComments": "declared in the package metadata, not checked as SPDX: LGPL-2.1+, GPL-2+",
                "copyrightText": "NOASSERTION",
                "sourceInfo": format!("deb package found in /var/lib/dpkg/status, layer 0 (diff_id {diff}), built from source package glibc 2.36-9+deb12u4"),
                "externalRefs": [{
                    "referenceCategory": "PACKAGE-MANAGER",
                    "referenceType": "purl",
                    "referenceLocator": "pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12"
                }],
                "primaryPackagePurpose": "LIBRARY"
            })
        );
        assert_eq!(
            packages[6]["SPDXID"],
            "SPDXRef-Package-npm--babel-core-7.23.0"
        );
        assert_eq!(packages[6]["name"], "@babel/core");
    }

    #[test]
    fn relationships_describe_the_image_containing_everything() {
        let doc = render(&testutil::inventory());
        let relationships = doc["relationships"].as_array().unwrap();
        assert_eq!(
            relationships[0],
            json!({"spdxElementId": "SPDXRef-DOCUMENT", "relationshipType": "DESCRIBES", "relatedSpdxElement": "SPDXRef-Image"})
        );
        let contained: Vec<&Value> = relationships[1..]
            .iter()
            .inspect(|r| {
                assert_eq!(r["spdxElementId"], "SPDXRef-Image");
                assert_eq!(r["relationshipType"], "CONTAINS");
            })
            .map(|r| &r["relatedSpdxElement"])
            .collect();
        let ids: Vec<&Value> = doc["packages"].as_array().unwrap()[1..]
            .iter()
            .map(|p| &p["SPDXID"])
            .collect();
        assert_eq!(contained, ids);
    }

    #[test]
    fn spdx_ids_are_unique_and_valid_even_when_names_sanitise_alike() {
        let mut image = testutil::inventory();
        let twin = |name: &str| {
            let mut p = Package::new(plimsoll_types::PackageKind::Python, name, "1.0", "/m");
            p.layer = None;
            p
        };
        image.packages.extend([
            twin("zope_interface"),
            twin("zope-interface"),
            twin("zope interface"),
            twin("zope_interface"),
        ]);
        image.os = None;
        let doc = render(&image);
        let ids: Vec<&str> = doc["packages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["SPDXID"].as_str().unwrap())
            .collect();
        assert!(ids.iter().all(|id| is_valid_spdx_id(id)), "{ids:?}");
        assert_eq!(
            ids.iter().collect::<HashSet<_>>().len(),
            ids.len(),
            "{ids:?}"
        );
        assert_eq!(
            ids[6..],
            [
                "SPDXRef-Package-python-zope-interface-1.0",
                "SPDXRef-Package-python-zope-interface-1.0-2",
                "SPDXRef-Package-python-zope-interface-1.0-3",
                "SPDXRef-Package-python-zope-interface-1.0-4",
            ]
        );
        let last = &doc["packages"][9];
        assert_eq!(last["sourceInfo"], "python package found in /m");
        assert!(last.get("externalRefs").is_none());
        assert!(last.get("licenseComments").is_none());
    }
}
