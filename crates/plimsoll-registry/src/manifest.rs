//! Manifest parsing and platform selection, shared by every image source (registry, OCI
//! layout, docker archive): Docker schema 2 and OCI manifests and indexes; schema 1 refused.

use bytes::Bytes;
pub use oci_spec::image::{ImageIndex, ImageManifest};
use serde::Deserialize;

use plimsoll_types::{Digest, Platform};

use crate::{Error, Result};

/// OCI image index.
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
/// OCI image manifest.
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
/// Docker manifest list.
pub const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
/// Docker schema 2 manifest.
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";

/// A parsed manifest: one image, or an index of images.
#[derive(Clone, Debug)]
pub enum Manifest {
    /// One image (OCI manifest or Docker schema 2).
    Image(Box<ImageManifest>),
    /// Several images (OCI index or Docker manifest list).
    Index(Box<ImageIndex>),
}

/// A manifest with its digest, media type and exact bytes.
#[derive(Clone, Debug)]
pub struct FetchedManifest {
    /// sha256 of `bytes`.
    pub digest: Digest,
    /// Media type, from the document or the `Content-Type` header.
    pub media_type: String,
    /// The parsed document.
    pub manifest: Manifest,
    /// The bytes as served (what the digest covers).
    pub bytes: Bytes,
}

/// An index entry that is a runnable image for one platform.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlatformManifest {
    /// Its platform.
    pub platform: Platform,
    /// Manifest digest.
    pub digest: Digest,
}

#[derive(Deserialize)]
struct Probe {
    #[serde(rename = "schemaVersion")]
    schema_version: Option<u32>,
    #[serde(rename = "mediaType")]
    media_type: Option<String>,
    manifests: Option<serde_json::Value>,
    layers: Option<serde_json::Value>,
}

/// Parses manifest bytes. `reference` is only used in error messages.
pub fn parse(
    reference: &str,
    bytes: Bytes,
    content_type: Option<&str>,
    digest: Digest,
) -> Result<FetchedManifest> {
    let invalid = |reason: String| Error::InvalidManifest {
        reference: reference.to_owned(),
        reason,
    };
    let probe: Probe = serde_json::from_slice(&bytes).map_err(|e| invalid(e.to_string()))?;
    let declared = probe
        .media_type
        .clone()
        .or_else(|| content_type.map(str::to_owned));
    if probe.schema_version == Some(1)
        || declared
            .as_deref()
            .is_some_and(|t| t.starts_with("application/vnd.docker.distribution.manifest.v1"))
    {
        return Err(Error::Schema1 {
            reference: reference.to_owned(),
        });
    }
    let media_type = match declared.as_deref() {
        Some(t @ (OCI_INDEX | DOCKER_LIST | OCI_MANIFEST | DOCKER_MANIFEST)) => t.to_owned(),
        // OCI allows omitting mediaType; registries then send a generic content type.
        _ if probe.manifests.is_some() => OCI_INDEX.to_owned(),
        _ if probe.layers.is_some() => OCI_MANIFEST.to_owned(),
        Some(other) => {
            return Err(Error::UnsupportedMediaType {
                reference: reference.to_owned(),
                media_type: other.to_owned(),
            });
        }
        None => return Err(invalid("neither `manifests` nor `layers` present".into())),
    };
    let manifest = if media_type == OCI_INDEX || media_type == DOCKER_LIST {
        Manifest::Index(Box::new(
            serde_json::from_slice(&bytes).map_err(|e| invalid(e.to_string()))?,
        ))
    } else {
        Manifest::Image(Box::new(
            serde_json::from_slice(&bytes).map_err(|e| invalid(e.to_string()))?,
        ))
    };
    Ok(FetchedManifest {
        digest,
        media_type,
        manifest,
        bytes,
    })
}

/// The runnable images of an index, in index order. Entries that are not image manifests
/// (nested indexes, artifacts) and buildx attestations (`unknown/unknown`) are left out.
pub fn index_platforms(reference: &str, index: &ImageIndex) -> Result<Vec<PlatformManifest>> {
    let mut out = Vec::new();
    for descriptor in index.manifests() {
        let media_type = descriptor.media_type().to_string();
        if media_type != OCI_MANIFEST && media_type != DOCKER_MANIFEST {
            continue;
        }
        let Some(p) = descriptor.platform() else {
            continue;
        };
        let (os, architecture) = (p.os().to_string(), p.architecture().to_string());
        if os == "unknown" || architecture == "unknown" {
            continue;
        }
        let digest = descriptor
            .digest()
            .to_string()
            .parse::<Digest>()
            .map_err(|e| Error::InvalidManifest {
                reference: reference.to_owned(),
                reason: e.to_string(),
            })?;
        out.push(PlatformManifest {
            platform: Platform {
                os,
                architecture,
                variant: p.variant().clone().filter(|v| !v.is_empty()),
            },
            digest,
        });
    }
    Ok(out)
}

/// The index entry for `wanted`; the first match wins, as in Docker.
pub fn select_platform(
    reference: &str,
    index: &ImageIndex,
    wanted: &Platform,
) -> Result<PlatformManifest> {
    let platforms = index_platforms(reference, index)?;
    platforms
        .iter()
        .find(|p| wanted.selects(&p.platform))
        .cloned()
        .ok_or_else(|| Error::NoMatchingPlatform {
            reference: reference.to_owned(),
            wanted: wanted.to_string(),
            available: if platforms.is_empty() {
                "none".to_owned()
            } else {
                platforms
                    .iter()
                    .map(|p| p.platform.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            },
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    const D1: &str = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
    const D2: &str = "sha256:2222222222222222222222222222222222222222222222222222222222222222";
    const D3: &str = "sha256:3333333333333333333333333333333333333333333333333333333333333333";

    fn parse_str(json: &str, content_type: Option<&str>) -> Result<FetchedManifest> {
        parse(
            "r",
            Bytes::from(json.to_owned()),
            content_type,
            Digest::sha256_of(json.as_bytes()),
        )
    }

    fn index() -> String {
        format!(
            r#"{{"schemaVersion":2,"mediaType":"{OCI_INDEX}","manifests":[
            {{"mediaType":"{OCI_MANIFEST}","digest":"{D1}","size":1,"platform":{{"os":"linux","architecture":"amd64"}}}},
            {{"mediaType":"{OCI_MANIFEST}","digest":"{D2}","size":1,"platform":{{"os":"linux","architecture":"arm64","variant":"v8"}}}},
            {{"mediaType":"{OCI_MANIFEST}","digest":"{D3}","size":1,"platform":{{"os":"unknown","architecture":"unknown"}}}}]}}"#
        )
    }

    #[test]
    fn selects_platforms_from_an_index() {
        let fetched = parse_str(&index(), None).unwrap();
        let Manifest::Index(index) = fetched.manifest else {
            panic!("not an index")
        };
        let all = index_platforms("r", &index).unwrap();
        assert_eq!(all.len(), 2, "the attestation entry is skipped");
        let arm = select_platform("r", &index, &"linux/arm64".parse().unwrap()).unwrap();
        assert_eq!(arm.digest.as_str(), D2);
        let err = select_platform("r", &index, &"linux/s390x".parse().unwrap()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "no image for platform linux/s390x in the index; available: linux/amd64, linux/arm64/v8"
        );
    }

    #[test]
    fn parses_docker_schema2_and_refuses_schema1() {
        let v2 = format!(
            r#"{{"schemaVersion":2,"mediaType":"{DOCKER_MANIFEST}","config":{{"mediaType":"application/vnd.docker.container.image.v1+json","digest":"{D1}","size":7}},
            "layers":[{{"mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip","digest":"{D2}","size":9}}]}}"#
        );
        let fetched = parse_str(&v2, Some("application/json")).unwrap();
        assert_eq!(fetched.media_type, DOCKER_MANIFEST);
        assert!(matches!(fetched.manifest, Manifest::Image(ref m) if m.layers().len() == 1));
        let v1 = r#"{"schemaVersion":1,"name":"x","tag":"1","fsLayers":[]}"#;
        let err = parse_str(
            v1,
            Some("application/vnd.docker.distribution.manifest.v1+prettyjws"),
        )
        .unwrap_err();
        assert!(matches!(err, Error::Schema1 { .. }));
        assert!(err.to_string().contains("schema 1"));
        assert!(matches!(
            parse_str("{", None),
            Err(Error::InvalidManifest { .. })
        ));
        assert!(matches!(
            parse_str(
                r#"{"schemaVersion":2,"mediaType":"application/vnd.cncf.helm.chart"}"#,
                None
            ),
            Err(Error::UnsupportedMediaType { .. })
        ));
    }
}
