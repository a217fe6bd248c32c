//! Every registry type a configuration may name, and the implementation behind it. Adding a
//! vendor is one module, one [`Vendor`] variant and one arm in [`discovery`]; the `match`es
//! have no `_ =>`, so a forgotten arm does not compile.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::{
    Acr, Artifactory, Discovery, Distribution, DockerHub, Endpoint, Error, Gitlab, Harbor, Icr,
    Ocp, Quay, Resolved, Result, VendorOptions,
};

/// A registry vendor, as the `type` key of a registry's configuration names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Vendor {
    /// Plain OCI Distribution v2 (`distribution`, aliases `docker-registry` and `v2`): any
    /// registry that serves `/v2/_catalog`.
    Distribution,
    /// Harbor.
    Harbor,
    /// Quay (quay.io, Red Hat Quay).
    Quay,
    /// Amazon ECR.
    Ecr,
    /// Azure Container Registry.
    Acr,
    /// Google Artifact Registry.
    Gar,
    /// GitLab container registry.
    Gitlab,
    /// Docker Hub.
    DockerHub,
    /// Sonatype Nexus.
    Nexus,
    /// `JFrog` Artifactory.
    Artifactory,
    /// IBM Cloud Container Registry.
    Icr,
    /// `OpenShift`'s integrated registry (`ocp`, alias `openshift`), through image streams.
    Ocp,
}

impl Vendor {
    /// Every vendor, in the order messages list them.
    pub const ALL: [Vendor; 12] = [
        Vendor::Distribution,
        Vendor::Harbor,
        Vendor::Quay,
        Vendor::Ecr,
        Vendor::Acr,
        Vendor::Gar,
        Vendor::Gitlab,
        Vendor::DockerHub,
        Vendor::Nexus,
        Vendor::Artifactory,
        Vendor::Icr,
        Vendor::Ocp,
    ];

    /// The canonical `type` name (`distribution`, `harbor`, …).
    pub fn name(self) -> &'static str {
        match self {
            Vendor::Distribution => "distribution",
            Vendor::Harbor => "harbor",
            Vendor::Quay => "quay",
            Vendor::Ecr => "ecr",
            Vendor::Acr => "acr",
            Vendor::Gar => "gar",
            Vendor::Gitlab => "gitlab",
            Vendor::DockerHub => "dockerhub",
            Vendor::Nexus => "nexus",
            Vendor::Artifactory => "artifactory",
            Vendor::Icr => "icr",
            Vendor::Ocp => "ocp",
        }
    }

    /// Other names accepted for this vendor.
    pub fn aliases(self) -> &'static [&'static str] {
        match self {
            // `dockerv2` and `gcr`: the Sysdig registry scanner chart's names.
            Vendor::Distribution => &["docker-registry", "v2", "dockerv2"],
            Vendor::Gar => &["gcr"],
            Vendor::Ocp => &["openshift"],
            Vendor::Harbor
            | Vendor::Quay
            | Vendor::Ecr
            | Vendor::Acr
            | Vendor::Gitlab
            | Vendor::DockerHub
            | Vendor::Nexus
            | Vendor::Artifactory
            | Vendor::Icr => &[],
        }
    }
}

/// The discovery implementation for `vendor`, talking to `endpoint`.
pub fn discovery(vendor: Vendor, endpoint: Endpoint) -> Result<Box<dyn Discovery>> {
    match vendor {
        Vendor::Distribution => Ok(Box::new(Distribution::new(endpoint))),
        Vendor::Harbor => Ok(Box::new(Harbor::new(endpoint))),
        Vendor::Quay => Ok(Box::new(Quay::new(endpoint))),
        Vendor::Gitlab => Ok(Box::new(Gitlab::new(endpoint))),
        Vendor::DockerHub => Ok(Box::new(DockerHub::new(endpoint))),
        // A Nexus Docker connector serves `/v2/_catalog` itself.
        Vendor::Nexus => Ok(Box::new(Distribution::for_vendor(endpoint, Vendor::Nexus))),
        Vendor::Artifactory => Ok(Box::new(Artifactory::new(endpoint))),
        Vendor::Ocp => Ok(Box::new(Ocp::new(endpoint))),
        Vendor::Acr => Ok(Box::new(Acr::new(endpoint))),
        Vendor::Icr => Ok(Box::new(Icr::new(endpoint))),
        // ECR configurations may be many registries, Google's get their credentials issued
        // from a key: see `resolve`.
        Vendor::Ecr | Vendor::Gar => Err(Error::NeedsResolve { vendor }),
    }
}

/// The registries one configured registry stands for: one for most vendors (the endpoint's),
/// many for ECR in Organizations mode (every member account × region), each with the
/// discovery that lists it and, where the vendor issues them (ECR, Google from a
/// service-account key), its pull credentials.
pub async fn resolve(
    vendor: Vendor,
    endpoint: Endpoint,
    options: &VendorOptions,
) -> Result<Vec<Resolved>> {
    match vendor {
        Vendor::Ecr => {
            let aws = options.aws.clone().unwrap_or_default();
            // Boxed: the SDK calls make a future of kilobytes.
            let resolution = Box::pin(crate::ecr::resolve(&aws, &options.network)).await?;
            Ok(resolution
                .registries
                .into_iter()
                .map(|registry| Resolved {
                    credentials: Some(registry.credentials()),
                    plain_http: Some(registry.plain_http()),
                    discovery: Box::new(registry),
                })
                .collect())
        }
        Vendor::Gar => crate::gar::resolve(endpoint, options.gcp.clone().unwrap_or_default()).await,
        Vendor::Distribution
        | Vendor::Harbor
        | Vendor::Quay
        | Vendor::Acr
        | Vendor::Gitlab
        | Vendor::DockerHub
        | Vendor::Nexus
        | Vendor::Artifactory
        | Vendor::Icr
        | Vendor::Ocp => Ok(vec![Resolved {
            discovery: discovery(vendor, endpoint)?,
            credentials: None,
            plain_http: None,
        }]),
    }
}

impl FromStr for Vendor {
    type Err = Error;

    /// A canonical name or an alias, ASCII case-insensitive, surrounding spaces ignored.
    fn from_str(name: &str) -> Result<Self> {
        let wanted = name.trim();
        Vendor::ALL
            .into_iter()
            .find(|v| {
                std::iter::once(v.name())
                    .chain(v.aliases().iter().copied())
                    .any(|n| n.eq_ignore_ascii_case(wanted))
            })
            .ok_or_else(|| Error::UnknownType {
                name: name.to_owned(),
                known: known_names(),
            })
    }
}

/// `distribution (or docker-registry, v2), harbor, …`.
fn known_names() -> String {
    Vendor::ALL
        .iter()
        .map(|v| match v.aliases() {
            [] => v.name().to_owned(),
            aliases => format!("{} (or {})", v.name(), aliases.join(", ")),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

impl fmt::Display for Vendor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Serialize for Vendor {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

/// From the `type` string. Vendors without an implementation deserialize fine; [`discovery`]
/// refuses them, so a configuration check can name every problem at once.
impl<'de> Deserialize<'de> for Vendor {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        name.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_aliases_parse() {
        for (name, want) in [
            ("distribution", Vendor::Distribution),
            ("docker-registry", Vendor::Distribution),
            ("v2", Vendor::Distribution),
            (" Distribution ", Vendor::Distribution),
            ("V2", Vendor::Distribution),
            ("harbor", Vendor::Harbor),
            ("dockerhub", Vendor::DockerHub),
            ("icr", Vendor::Icr),
            ("dockerv2", Vendor::Distribution),
            ("GCR", Vendor::Gar),
            ("ocp", Vendor::Ocp),
            ("OpenShift", Vendor::Ocp),
        ] {
            assert_eq!(name.parse::<Vendor>().unwrap(), want, "{name}");
        }
        for vendor in Vendor::ALL {
            assert_eq!(vendor.name().parse::<Vendor>().unwrap(), vendor);
            assert_eq!(vendor.to_string(), vendor.name());
        }
    }

    #[test]
    fn unknown_types_list_the_known_ones() {
        let err = "docker-hub".parse::<Vendor>().unwrap_err();
        assert_eq!(
            err.to_string(),
            "unknown registry type `docker-hub`; known types: distribution (or docker-registry, \
             v2, dockerv2), harbor, quay, ecr, acr, gar (or gcr), gitlab, dockerhub, nexus, \
             artifactory, icr, ocp (or openshift)"
        );
    }

    #[test]
    fn every_vendor_builds_or_needs_resolving() {
        let client = std::sync::Arc::new(
            plimsoll_registry::RegistryClient::builder()
                .build()
                .unwrap(),
        );
        for vendor in Vendor::ALL {
            let endpoint = Endpoint::new("registry.example", std::sync::Arc::clone(&client));
            match discovery(vendor, endpoint) {
                Err(Error::NeedsResolve { vendor }) => {
                    assert!(matches!(vendor, Vendor::Ecr | Vendor::Gar), "{vendor}");
                }
                Ok(d) => {
                    assert_eq!(d.vendor(), vendor);
                    assert_eq!(d.registry(), "registry.example");
                }
                Err(err) => panic!("{vendor}: {err}"),
            }
        }
    }

    #[test]
    fn serde_round_trip() {
        let v: Vendor = serde_json::from_str(r#""docker-registry""#).unwrap();
        assert_eq!(v, Vendor::Distribution);
        assert_eq!(serde_json::to_string(&v).unwrap(), r#""distribution""#);
        let v: Vendor = serde_json::from_str(r#""harbor""#).unwrap();
        assert_eq!(v, Vendor::Harbor);
        let err = serde_json::from_str::<Vendor>(r#""nope""#).unwrap_err();
        assert!(
            err.to_string().contains("unknown registry type `nope`"),
            "{err}"
        );
    }
}
