use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use plimsoll_registry::Reference;

use crate::{Error, Result};

/// Where to read an image from, as a user writes it on the command line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SourceSpec {
    /// `127.0.0.1:5000/lab/app:1`, `alpine`, `docker://alpine` or `registry:alpine`.
    Registry(Reference),
    /// `oci-layout:DIR[:TAG]`: an OCI image layout directory, optionally one tag of it.
    OciLayout {
        /// The layout directory.
        path: PathBuf,
        /// `org.opencontainers.image.ref.name` to select.
        tag: Option<String>,
    },
    /// `docker-archive:FILE`: the output of `docker save` (or `skopeo copy … docker-archive:`).
    DockerArchive {
        /// The tarball.
        path: PathBuf,
    },
}

impl FromStr for SourceSpec {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        if let Some(rest) = s
            .strip_prefix("oci-layout:")
            .or_else(|| s.strip_prefix("oci:"))
        {
            // `DIR:TAG`; a path may itself contain ':' only before its last '/'.
            let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
            let (path, tag) = match rest[last_slash..].rfind(':') {
                Some(i) => (
                    &rest[..last_slash + i],
                    Some(rest[last_slash + i + 1..].to_owned()),
                ),
                None => (rest, None),
            };
            if path.is_empty() {
                return Err(Error::InvalidSource {
                    source_spec: s.to_owned(),
                    reason: "missing layout directory".into(),
                });
            }
            return Ok(SourceSpec::OciLayout {
                path: PathBuf::from(path),
                tag: tag.filter(|t| !t.is_empty()),
            });
        }
        if let Some(path) = s.strip_prefix("docker-archive:") {
            if path.is_empty() {
                return Err(Error::InvalidSource {
                    source_spec: s.to_owned(),
                    reason: "missing archive path".into(),
                });
            }
            return Ok(SourceSpec::DockerArchive {
                path: PathBuf::from(path),
            });
        }
        let reference = s
            .strip_prefix("docker://")
            .or_else(|| s.strip_prefix("registry:"))
            .unwrap_or(s);
        Ok(SourceSpec::Registry(reference.parse()?))
    }
}

impl fmt::Display for SourceSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SourceSpec::Registry(r) => write!(f, "{r}"),
            SourceSpec::OciLayout {
                path,
                tag: Some(tag),
            } => write!(f, "oci-layout:{}:{tag}", path.display()),
            SourceSpec::OciLayout { path, tag: None } => write!(f, "oci-layout:{}", path.display()),
            SourceSpec::DockerArchive { path } => write!(f, "docker-archive:{}", path.display()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_sources() {
        assert_eq!(
            "oci-layout:./some/oci-dir:1.0"
                .parse::<SourceSpec>()
                .unwrap(),
            SourceSpec::OciLayout {
                path: "./some/oci-dir".into(),
                tag: Some("1.0".into())
            }
        );
        assert_eq!(
            "oci-layout:/tmp/x".parse::<SourceSpec>().unwrap(),
            SourceSpec::OciLayout {
                path: "/tmp/x".into(),
                tag: None
            }
        );
        assert_eq!(
            "docker-archive:./image.tar".parse::<SourceSpec>().unwrap(),
            SourceSpec::DockerArchive {
                path: "./image.tar".into()
            }
        );
        let SourceSpec::Registry(r) = "docker://alpine".parse::<SourceSpec>().unwrap() else {
            panic!()
        };
        assert_eq!(r.to_string(), "docker.io/library/alpine:latest");
        assert!("docker-archive:".parse::<SourceSpec>().is_err());
        assert!("Not A Reference".parse::<SourceSpec>().is_err());
    }
}
