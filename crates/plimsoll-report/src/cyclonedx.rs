//! CycloneDX 1.6 JSON (<https://cyclonedx.org/docs/1.6/json/>), one image per document.
//!
//! Own structs rather than the `cyclonedx-bom` crate, which stops at 1.5. Only what Plimsoll
//! knows is written:
//!
//! - `metadata.component`: the image, `type: container`, named by its repository with the
//!   manifest digest as version, so name and version together identify the exact image.
//! - `components`: the distribution as an `operating-system` component (name = `os-release`
//!   `ID`, version = `VERSION_ID`), then one `library` per package, with its purl as given by the
//!   inventory fold (never computed here) and its file in `evidence.occurrences`.
//! - `properties` under our own `plimsoll:` namespace, following the CycloneDX property taxonomy
//!   convention of colon-separated, namespace-prefixed names: `plimsoll:package:type`,
//!   `plimsoll:package:arch`, `plimsoll:source:name`, `plimsoll:source:version`,
//!   `plimsoll:location:path`, `plimsoll:layer:index`, `plimsoll:layer:digest`,
//!   `plimsoll:layer:diff_id`; on the image `plimsoll:image:*`.
//! - `dependencies`: the image depends on every component it contains. Package-to-package edges
//!   are not known to the inventory, so none are claimed (an entry with an empty `dependsOn`
//!   would assert "no dependencies").
//!
//! Declared licences go in as `{"license": {"name": …}}`: they are package-manager strings
//! (`GPL-2+`), not validated SPDX ids or expressions, and `name` is the field for exactly that.

use std::collections::HashSet;

use serde::Serialize;

use plimsoll_types::{ImageInventory, OsRelease, Package, PackageKind};

use crate::Result;
use crate::creation::Creation;
use crate::image;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Bom {
    #[serde(rename = "bomFormat")]
    format: &'static str,
    spec_version: &'static str,
    serial_number: String,
    version: u32,
    metadata: Metadata,
    components: Vec<Component>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    dependencies: Vec<Dependency>,
}

#[derive(Serialize)]
struct Metadata {
    timestamp: String,
    tools: Tools,
    component: Component,
}

#[derive(Serialize)]
struct Tools {
    components: Vec<Component>,
}

#[derive(Serialize)]
struct Component {
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(rename = "bom-ref", skip_serializing_if = "Option::is_none")]
    bom_ref: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    group: Option<String>,
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    licenses: Vec<LicenseChoice>,
    #[serde(skip_serializing_if = "Option::is_none")]
    purl: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    properties: Vec<Property>,
    #[serde(skip_serializing_if = "Option::is_none")]
    evidence: Option<Evidence>,
}

impl Component {
    fn new(kind: &'static str, name: impl Into<String>) -> Self {
        Component {
            kind,
            bom_ref: None,
            group: None,
            name: name.into(),
            version: None,
            description: None,
            licenses: Vec::new(),
            purl: None,
            properties: Vec::new(),
            evidence: None,
        }
    }
}

#[derive(Serialize)]
struct LicenseChoice {
    license: License,
}

#[derive(Serialize)]
struct License {
    name: String,
}

#[derive(Serialize)]
struct Property {
    name: &'static str,
    value: String,
}

fn property(name: &'static str, value: impl Into<String>) -> Property {
    Property {
        name,
        value: value.into(),
    }
}

#[derive(Serialize)]
struct Evidence {
    occurrences: Vec<Occurrence>,
}

#[derive(Serialize)]
struct Occurrence {
    location: String,
}

#[derive(Serialize)]
struct Dependency {
    #[serde(rename = "ref")]
    reference: String,
    #[serde(rename = "dependsOn")]
    depends_on: Vec<String>,
}

/// Hands out `bom-ref`s, which must be unique within a BOM.
///
/// A package's purl is its natural `bom-ref`, but the same purl occurs more than once in one
/// image (the same npm package in two `node_modules` trees, a Python distribution in two
/// prefixes). Later occurrences get `#2`, `#3`, … in package order, which is stable because the
/// fold sorts packages; `#` rather than a version-like suffix so a consumer that misreads a
/// `bom-ref` as a purl gets a subpath, not a different version.
#[derive(Default)]
struct BomRefs {
    used: HashSet<String>,
}

impl BomRefs {
    fn unique(&mut self, base: String) -> String {
        if self.used.insert(base.clone()) {
            return base;
        }
        let mut n = 2_usize;
        loop {
            let candidate = format!("{base}#{n}");
            if self.used.insert(candidate.clone()) {
                return candidate;
            }
            n += 1;
        }
    }
}

/// Builds the BOM for one image.
pub(crate) fn document(image: &ImageInventory, creation: &Creation) -> Result<Bom> {
    let mut refs = BomRefs::default();

    let image_purl = image::purl(image);
    let image_ref = refs.unique(
        image_purl
            .clone()
            .unwrap_or_else(|| format!("image:{}", image.manifest_digest)),
    );
    let mut root = Component::new("container", image::name(image));
    root.bom_ref = Some(image_ref.clone());
    root.version = Some(image.manifest_digest.to_string());
    root.purl = image_purl;
    root.properties = image_properties(image);

    let mut components = Vec::with_capacity(image.packages.len() + 1);
    if let Some(os) = &image.os {
        components.push(os_component(os, &mut refs));
    }
    components.extend(
        image
            .packages
            .iter()
            .map(|package| package_component(package, &mut refs)),
    );

    let dependencies = vec![Dependency {
        reference: image_ref,
        depends_on: components
            .iter()
            .filter_map(|c| c.bom_ref.clone())
            .collect(),
    }];

    let mut tool = Component::new("application", "plimsoll");
    tool.version = Some(env!("CARGO_PKG_VERSION").to_owned());

    Ok(Bom {
        format: "CycloneDX",
        spec_version: "1.6",
        serial_number: creation.serial.urn().to_string(),
        version: 1,
        metadata: Metadata {
            timestamp: creation.timestamp_rfc3339()?,
            tools: Tools {
                components: vec![tool],
            },
            component: root,
        },
        components,
        dependencies,
    })
}

fn image_properties(image: &ImageInventory) -> Vec<Property> {
    let mut properties = vec![
        property("plimsoll:image:reference", image.source.display_name()),
        property("plimsoll:image:platform", image.platform.to_string()),
        property(
            "plimsoll:image:config_digest",
            image.config_digest.to_string(),
        ),
    ];
    if let Some(index) = &image.index_digest {
        properties.push(property("plimsoll:image:index_digest", index.to_string()));
    }
    if let Some(created) = &image.created {
        properties.push(property("plimsoll:image:created", created.clone()));
    }
    properties
}

fn os_component(os: &OsRelease, refs: &mut BomRefs) -> Component {
    let base = match &os.version_id {
        Some(version) => format!("os:{}@{version}", os.id),
        None => format!("os:{}", os.id),
    };
    let mut component = Component::new("operating-system", os.id.clone());
    component.bom_ref = Some(refs.unique(base));
    component.version.clone_from(&os.version_id);
    component.description.clone_from(&os.pretty_name);
    if let Some(codename) = &os.version_codename {
        component
            .properties
            .push(property("plimsoll:os:codename", codename.clone()));
    }
    component
}

fn package_component(package: &Package, refs: &mut BomRefs) -> Component {
    let base = package.purl.clone().unwrap_or_else(|| {
        format!(
            "{}:{}@{}",
            package.kind.as_str(),
            package.name,
            package.version
        )
    });
    // npm scopes go in `group`, as the CycloneDX npm tooling writes them (`@babel` + `core`).
    let (group, name) = match package.kind {
        PackageKind::Npm => match package.name.split_once('/') {
            Some((scope, name)) if scope.starts_with('@') => {
                (Some(scope.to_owned()), name.to_owned())
            }
            _ => (None, package.name.clone()),
        },
        // Maven groups go in `group`, as the CycloneDX Maven plugin writes them.
        PackageKind::Maven => match package.name.split_once(':') {
            Some((group, artifact)) if !group.is_empty() => {
                (Some(group.to_owned()), artifact.to_owned())
            }
            _ => (None, package.name.clone()),
        },
        PackageKind::Composer | PackageKind::Go => match package.name.rsplit_once('/') {
            Some((group, name)) => (Some(group.to_owned()), name.to_owned()),
            None => (None, package.name.clone()),
        },
        PackageKind::Deb
        | PackageKind::Apk
        | PackageKind::Python
        | PackageKind::Rpm
        | PackageKind::Cargo
        | PackageKind::Gem
        | PackageKind::Nuget
        | PackageKind::Conda => (None, package.name.clone()),
    };
    let mut component = Component::new("library", name);
    component.bom_ref = Some(refs.unique(base));
    component.group = group;
    component.version = Some(package.version.clone());
    component.purl.clone_from(&package.purl);
    component.licenses = package
        .licenses
        .iter()
        .map(|name| LicenseChoice {
            license: License { name: name.clone() },
        })
        .collect();

    let props = &mut component.properties;
    props.push(property("plimsoll:package:type", package.kind.as_str()));
    if let Some(arch) = &package.arch {
        props.push(property("plimsoll:package:arch", arch.clone()));
    }
    if let Some(source) = &package.source {
        props.push(property("plimsoll:source:name", source.name.clone()));
        props.push(property("plimsoll:source:version", source.version.clone()));
    }
    props.push(property("plimsoll:location:path", package.found_in.clone()));
    if let Some(layer) = &package.layer {
        props.push(property("plimsoll:layer:index", layer.index.to_string()));
        props.push(property("plimsoll:layer:digest", layer.digest.to_string()));
        props.push(property(
            "plimsoll:layer:diff_id",
            layer.diff_id.to_string(),
        ));
    }
    component.evidence = Some(Evidence {
        occurrences: vec![Occurrence {
            location: package.found_in.clone(),
        }],
    });
    component
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};
    use time::OffsetDateTime;
    use uuid::Uuid;

    use super::*;
    use crate::testutil;

    fn fixed() -> Creation {
        Creation {
            timestamp: OffsetDateTime::from_unix_timestamp(1_795_000_000).unwrap(),
            serial: Uuid::from_u128(0x0123_4567_89ab_4def_8123_4567_89ab_cdef),
        }
    }

    fn render(image: &ImageInventory) -> Value {
        serde_json::to_value(document(image, &fixed()).unwrap()).unwrap()
    }

    #[test]
    fn header_and_image_component() {
        let image = testutil::inventory();
        let bom = render(&image);
        assert_eq!(bom["bomFormat"], "CycloneDX");
        assert_eq!(bom["specVersion"], "1.6");
        assert_eq!(
            bom["serialNumber"],
            "urn:uuid:01234567-89ab-4def-8123-456789abcdef"
        );
        assert_eq!(bom["version"], 1);
        assert_eq!(bom["metadata"]["timestamp"], "2026-11-18T11:06:40Z");
        assert_eq!(
            bom["metadata"]["tools"],
            json!({"components": [{"type": "application", "name": "plimsoll", "version": env!("CARGO_PKG_VERSION")}]})
        );
        let root = &bom["metadata"]["component"];
        let purl = format!(
            "pkg:oci/debian@{}?arch=amd64&repository_url=docker.io%2Flibrary%2Fdebian&tag=12",
            image.manifest_digest
        );
        assert_eq!(root["type"], "container");
        assert_eq!(root["name"], "docker.io/library/debian");
        assert_eq!(root["version"], image.manifest_digest.as_str());
        assert_eq!(root["purl"], purl.as_str());
        assert_eq!(root["bom-ref"], purl.as_str());
        assert_eq!(
            root["properties"][0],
            json!({"name": "plimsoll:image:reference", "value": "docker.io/library/debian:12"})
        );
        assert_eq!(
            root["properties"][1],
            json!({"name": "plimsoll:image:platform", "value": "linux/amd64"})
        );
    }

    #[test]
    fn os_and_packages_become_components() {
        let bom = render(&testutil::inventory());
        let components = bom["components"].as_array().unwrap();
        assert_eq!(components.len(), 6);
        assert_eq!(
            components[0],
            json!({
                "type": "operating-system",
                "bom-ref": "os:debian@12",
                "name": "debian",
                "version": "12",
                "description": "Debian GNU/Linux 12 (bookworm)",
                "properties": [{"name": "plimsoll:os:codename", "value": "bookworm"}]
            })
        );
        let layer = testutil::layer(0);
        assert_eq!(
            components[3],
            json!({
                "type": "library",
                "bom-ref": "pkg:deb/debian/libdb5.3@5.3.28%2Bdfsg2-1%2Bb1?arch=amd64&distro=debian-12",
                "name": "libdb5.3",
                "version": "5.3.28+dfsg2-1+b1",
                "purl": "pkg:deb/debian/libdb5.3@5.3.28%2Bdfsg2-1%2Bb1?arch=amd64&distro=debian-12",
                "properties": [
                    {"name": "plimsoll:package:type", "value": "deb"},
                    {"name": "plimsoll:package:arch", "value": "amd64"},
                    {"name": "plimsoll:source:name", "value": "db5.3"},
                    {"name": "plimsoll:source:version", "value": "5.3.28+dfsg2-1"},
                    {"name": "plimsoll:location:path", "value": "/var/lib/dpkg/status"},
                    {"name": "plimsoll:layer:index", "value": "0"},
                    {"name": "plimsoll:layer:digest", "value": layer.digest.as_str()},
                    {"name": "plimsoll:layer:diff_id", "value": layer.diff_id.as_str()}
                ],
                "evidence": {"occurrences": [{"location": "/var/lib/dpkg/status"}]}
            })
        );
        let babel = &components[5];
        assert_eq!(babel["group"], "@babel");
        assert_eq!(babel["name"], "core");
        assert_eq!(babel["licenses"], json!([{"license": {"name": "MIT"}}]));
        assert_eq!(
            components[2]["licenses"],
            json!([{"license": {"name": "LGPL-2.1+"}}, {"license": {"name": "GPL-2+"}}])
        );
        let deps = bom["dependencies"].as_array().unwrap();
        assert_eq!(deps.len(), 1);
        assert_eq!(deps[0]["ref"], bom["metadata"]["component"]["bom-ref"]);
        let depends_on: Vec<&Value> = deps[0]["dependsOn"].as_array().unwrap().iter().collect();
        let refs: Vec<&Value> = components.iter().map(|c| &c["bom-ref"]).collect();
        assert_eq!(depends_on, refs);
    }

    #[test]
    fn maven_groups_go_in_group() {
        let mut refs = BomRefs::default();
        let mut log4j = Package::new(
            PackageKind::Maven,
            "org.apache.logging.log4j:log4j-core",
            "2.14.1",
            "/app/app.jar!/BOOT-INF/lib/log4j-core-2.14.1.jar",
        );
        log4j.purl = Some("pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1".into());
        let c = package_component(&log4j, &mut refs);
        assert_eq!(c.group.as_deref(), Some("org.apache.logging.log4j"));
        assert_eq!(c.name, "log4j-core");
        let bare = Package::new(PackageKind::Maven, "log4j-core", "2.14.1", "/x.jar");
        let c = package_component(&bare, &mut refs);
        assert_eq!((c.group, c.name.as_str()), (None, "log4j-core"));
    }

    #[test]
    fn duplicate_purls_get_distinct_bom_refs_and_missing_purls_are_omitted() {
        let mut image = testutil::inventory();
        let mut nested = image.packages[4].clone();
        nested.found_in = "/app/node_modules/x/node_modules/@babel/core/package.json".into();
        image.packages.push(nested.clone());
        image.packages.push(nested);
        let mut bare = Package::new(PackageKind::Python, "six", "1.16.0", "/six/METADATA");
        bare.layer = None;
        image.packages.push(bare);
        image.os = None;
        image.source = plimsoll_types::ImageSource::DockerArchive {
            path: "a.tar".into(),
        };

        let bom = render(&image);
        let root = &bom["metadata"]["component"];
        assert_eq!(root["name"], "docker-archive:a.tar");
        assert!(root.get("purl").is_none());
        assert_eq!(
            root["bom-ref"],
            format!("image:{}", image.manifest_digest).as_str()
        );

        let components = bom["components"].as_array().unwrap();
        let refs: Vec<&str> = components
            .iter()
            .map(|c| c["bom-ref"].as_str().unwrap())
            .collect();
        assert_eq!(
            refs[4..],
            [
                "pkg:npm/%40babel/core@7.23.0",
                "pkg:npm/%40babel/core@7.23.0#2",
                "pkg:npm/%40babel/core@7.23.0#3",
                "python:six@1.16.0",
            ]
        );
        let six = &components[7];
        assert!(six.get("purl").is_none());
        assert!(six.get("licenses").is_none());
        assert_eq!(
            six["properties"],
            json!([
                {"name": "plimsoll:package:type", "value": "python"},
                {"name": "plimsoll:location:path", "value": "/six/METADATA"}
            ])
        );
    }
}
