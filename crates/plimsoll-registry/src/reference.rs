//! Image references, parsed and normalised the way the Docker CLI does
//! (`distribution/reference`'s grammar): `alpine` is `docker.io/library/alpine:latest`.

use std::fmt;
use std::str::FromStr;

use plimsoll_types::Digest;

use crate::{Error, Result};

/// The registry Docker Hub images live on, as users write it.
pub const DOCKER_HUB: &str = "docker.io";
/// The host that actually serves Docker Hub's registry API.
const DOCKER_HUB_API: &str = "registry-1.docker.io";

/// A normalised image reference: registry host, repository, and a tag and/or digest.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Reference {
    registry: String,
    repository: String,
    tag: Option<String>,
    digest: Option<Digest>,
}

impl Reference {
    /// Builds a reference from parts (already valid).
    pub fn new(
        registry: &str,
        repository: &str,
        tag: Option<&str>,
        digest: Option<&Digest>,
    ) -> Result<Self> {
        let mut s = format!("{registry}/{repository}");
        if let Some(tag) = tag {
            s.push(':');
            s.push_str(tag);
        }
        if let Some(digest) = digest {
            s.push('@');
            s.push_str(digest.as_str());
        }
        s.parse()
    }

    /// Registry host as users write it, with port if any (`docker.io`, `127.0.0.1:5000`).
    pub fn registry(&self) -> &str {
        &self.registry
    }

    /// The host the API is served from (`registry-1.docker.io` for `docker.io`).
    pub fn api_host(&self) -> &str {
        api_host(&self.registry)
    }

    /// Repository path (`library/alpine`).
    pub fn repository(&self) -> &str {
        &self.repository
    }

    /// Tag, if any (`latest` is filled in when neither tag nor digest was given).
    pub fn tag(&self) -> Option<&str> {
        self.tag.as_deref()
    }

    /// Digest, if the reference pins one.
    pub fn digest(&self) -> Option<&Digest> {
        self.digest.as_ref()
    }

    /// What to put in `/v2/<name>/manifests/<reference>`: the digest when pinned, else the tag.
    pub fn manifest_reference(&self) -> String {
        match (&self.digest, &self.tag) {
            (Some(d), _) => d.to_string(),
            (None, Some(t)) => t.clone(),
            (None, None) => "latest".to_owned(),
        }
    }

    /// The same repository pinned to `digest` (tag kept for display).
    #[must_use]
    pub fn with_digest(&self, digest: Digest) -> Reference {
        Reference {
            digest: Some(digest),
            ..self.clone()
        }
    }

    /// Whether the registry host is a loopback address (plain HTTP is then acceptable, as
    /// Docker treats `127.0.0.0/8` as an insecure registry by default).
    pub fn is_loopback(&self) -> bool {
        is_loopback_host(&self.registry)
    }
}

/// The host serving `registry`'s API (`registry-1.docker.io` for Docker Hub, as users write it).
pub(crate) fn api_host(registry: &str) -> &str {
    if registry == DOCKER_HUB || registry == "index.docker.io" {
        DOCKER_HUB_API
    } else {
        registry
    }
}

/// Whether `registry` can be a registry host (`host[:port]`): nothing that would change the
/// meaning of a URL built from it.
pub(crate) fn valid_registry(registry: &str) -> bool {
    !registry.is_empty()
        && !registry
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || "/@?#\\".contains(c))
}

/// Whether `host[:port]` names this machine.
pub(crate) fn is_loopback_host(host_port: &str) -> bool {
    let host = match host_port.rsplit_once(':') {
        Some((h, port)) if port.bytes().all(|b| b.is_ascii_digit()) => h,
        _ => host_port,
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

impl FromStr for Reference {
    type Err = Error;

    fn from_str(input: &str) -> Result<Self> {
        let invalid = |reason: &str| Error::InvalidReference {
            reference: input.to_owned(),
            reason: reason.to_owned(),
        };
        if input.is_empty() {
            return Err(invalid("empty reference"));
        }
        let (name_tag, digest) = match input.split_once('@') {
            Some((n, d)) => (
                n,
                Some(
                    d.parse::<Digest>()
                        .map_err(|_| invalid("digest must be sha256:<64 hex digits>"))?,
                ),
            ),
            None => (input, None),
        };
        // The tag is after the last ':' that follows the last '/', so `host:5000/repo` keeps its port.
        let last_slash = name_tag.rfind('/').map_or(0, |i| i + 1);
        let (name, tag) = match name_tag[last_slash..].rfind(':') {
            Some(i) => (
                &name_tag[..last_slash + i],
                Some(&name_tag[last_slash + i + 1..]),
            ),
            None => (name_tag, None),
        };
        if let Some(tag) = tag
            && !valid_tag(tag)
        {
            return Err(invalid("tag must match [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}"));
        }
        let (registry, repository) = match name.split_once('/') {
            Some((first, rest))
                if first.contains(['.', ':'])
                    || first == "localhost"
                    || first.chars().any(|c| c.is_ascii_uppercase()) =>
            {
                (first.to_owned(), rest.to_owned())
            }
            _ => (DOCKER_HUB.to_owned(), name.to_owned()),
        };
        let registry = if registry == "index.docker.io" {
            DOCKER_HUB.to_owned()
        } else {
            registry
        };
        let repository = if registry == DOCKER_HUB && !repository.contains('/') {
            format!("library/{repository}")
        } else {
            repository
        };
        if !valid_repository(&repository) {
            return Err(invalid(
                "repository must be lowercase path components of [a-z0-9] separated by '.', '_', '__' or '-'",
            ));
        }
        if registry.is_empty() || registry.contains(['/', '@', ' ']) {
            return Err(invalid("invalid registry host"));
        }
        let tag = match (tag, &digest) {
            (Some(t), _) => Some(t.to_owned()),
            (None, Some(_)) => None,
            (None, None) => Some("latest".to_owned()),
        };
        Ok(Reference {
            registry,
            repository,
            tag,
            digest,
        })
    }
}

fn valid_tag(tag: &str) -> bool {
    let bytes = tag.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= 128
        && (bytes[0].is_ascii_alphanumeric() || bytes[0] == b'_')
        && bytes
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
}

/// OCI distribution spec: `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(\/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*`.
pub(crate) fn valid_repository(repository: &str) -> bool {
    !repository.is_empty()
        && repository.len() <= 255
        && repository.split('/').all(|component| {
            let bytes = component.as_bytes();
            !bytes.is_empty()
                && bytes[0].is_ascii_alphanumeric()
                && bytes[bytes.len() - 1].is_ascii_alphanumeric()
                && bytes.iter().all(|&b| {
                    b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-')
                })
                && !component.contains("..")
                && !component.contains("___")
        })
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.registry, self.repository)?;
        if let Some(tag) = &self.tag {
            write!(f, ":{tag}")?;
        }
        if let Some(digest) = &self.digest {
            write!(f, "@{digest}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const D: &str = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    #[test]
    fn normalises_like_docker() {
        for (input, want) in [
            ("alpine", "docker.io/library/alpine:latest"),
            ("alpine:3.19", "docker.io/library/alpine:3.19"),
            ("bitnami/redis", "docker.io/bitnami/redis:latest"),
            (
                "index.docker.io/library/alpine",
                "docker.io/library/alpine:latest",
            ),
            (
                "127.0.0.1:5000/lab/python-app:1",
                "127.0.0.1:5000/lab/python-app:1",
            ),
            ("localhost/app", "localhost/app:latest"),
            ("localhost:5000/app", "localhost:5000/app:latest"),
            (
                "ghcr.io/org/team/app:v1.2.3-rc.1",
                "ghcr.io/org/team/app:v1.2.3-rc.1",
            ),
            (
                &format!("alpine@{D}"),
                &format!("docker.io/library/alpine@{D}"),
            ),
            (&format!("quay.io/a/b:1@{D}"), &format!("quay.io/a/b:1@{D}")),
        ] {
            let r: Reference = input.parse().unwrap();
            assert_eq!(r.to_string(), want, "{input}");
        }
        let r: Reference = "127.0.0.1:5000/lab/app".parse().unwrap();
        assert_eq!(
            (r.registry(), r.repository(), r.tag()),
            ("127.0.0.1:5000", "lab/app", Some("latest"))
        );
        assert!(r.is_loopback());
        let hub: Reference = "alpine".parse().unwrap();
        assert_eq!(hub.api_host(), "registry-1.docker.io");
        assert!(!hub.is_loopback());
    }

    #[test]
    fn rejects_invalid() {
        for bad in [
            "",
            "alpine:",
            "alpine:-bad",
            "a//b",
            "repo@sha256:1234",
            "docker.io/Library/x",
            "a/../b",
            "x:y:z",
        ] {
            assert!(bad.parse::<Reference>().is_err(), "{bad} must be rejected");
        }
    }

    #[test]
    fn loopback_hosts() {
        for (h, want) in [
            ("127.0.0.1:5000", true),
            ("localhost", true),
            ("[::1]:5000", true),
            ("127.1.2.3", true),
            ("10.0.0.1:5000", false),
            ("quay.io", false),
        ] {
            assert_eq!(is_loopback_host(h), want, "{h}");
        }
    }
}
