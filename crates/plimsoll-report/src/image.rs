//! How an image is named in the SBOM formats: its name, and its Package URL.

use packageurl::PackageUrl;
use plimsoll_types::{ImageInventory, ImageSource};

/// A registry reference split into repository, tag and digest.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Reference<'a> {
    /// `registry[:port]/path`, without tag or digest.
    pub(crate) repository: &'a str,
    pub(crate) tag: Option<&'a str>,
    pub(crate) digest: Option<&'a str>,
}

impl<'a> Reference<'a> {
    /// Splits `registry[:port]/path[:tag][@digest]`. A `:` names a tag only after the last `/`,
    /// since before it the colon separates the registry host from its port.
    pub(crate) fn parse(reference: &'a str) -> Self {
        let (rest, digest) = match reference.split_once('@') {
            Some((rest, digest)) => (rest, Some(digest)),
            None => (reference, None),
        };
        let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
        match rest[last_slash..].rfind(':') {
            Some(colon) => {
                let colon = last_slash + colon;
                Reference {
                    repository: &rest[..colon],
                    tag: Some(&rest[colon + 1..]),
                    digest,
                }
            }
            None => Reference {
                repository: rest,
                tag: None,
                digest,
            },
        }
    }
}

/// The name of the image as a component or package: the repository without tag or digest for
/// a registry image (the manifest digest goes in the version field, so the pair identifies the
/// exact image), and the user's own words for a layout or archive, which have no repository.
pub(crate) fn name(image: &ImageInventory) -> String {
    match &image.source {
        ImageSource::Registry { reference } => Reference::parse(reference).repository.to_owned(),
        ImageSource::OciLayout { .. } | ImageSource::DockerArchive { .. } => {
            image.source.display_name()
        }
    }
}

/// The image's Package URL under the purl-spec `oci` type:
/// `pkg:oci/<last path segment>@<manifest digest>?arch=…&repository_url=…&tag=…`.
///
/// Only registry images get one: `repository_url` is what makes an `oci` purl resolvable, and a
/// layout directory or `docker save` archive has none. The name is lowercased as the type
/// requires (registries already store lowercase repositories). The digest is the platform
/// manifest's, not the index's, because the document describes this one platform's image.
pub(crate) fn purl(image: &ImageInventory) -> Option<String> {
    let ImageSource::Registry { reference } = &image.source else {
        return None;
    };
    let reference = Reference::parse(reference);
    let name = reference
        .repository
        .rsplit('/')
        .next()
        .unwrap_or(reference.repository)
        .to_ascii_lowercase();
    let mut purl = PackageUrl::new("oci", name).ok()?;
    purl.with_version(image.manifest_digest.as_str()).ok()?;
    purl.add_qualifier("arch", image.platform.architecture.as_str())
        .ok()?;
    purl.add_qualifier("repository_url", reference.repository)
        .ok()?;
    if let Some(tag) = reference.tag {
        purl.add_qualifier("tag", tag).ok()?;
    }
    Some(purl.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil;

    #[test]
    fn splits_references() {
        let cases = [
            (
                "docker.io/library/debian:12",
                "docker.io/library/debian",
                Some("12"),
                None,
            ),
            (
                "localhost:5000/team/app",
                "localhost:5000/team/app",
                None,
                None,
            ),
            (
                "localhost:5000/app:v1",
                "localhost:5000/app",
                Some("v1"),
                None,
            ),
            (
                "ghcr.io/o/app:v1@sha256:abc",
                "ghcr.io/o/app",
                Some("v1"),
                Some("sha256:abc"),
            ),
            (
                "ghcr.io/o/app@sha256:abc",
                "ghcr.io/o/app",
                None,
                Some("sha256:abc"),
            ),
        ];
        for (input, repository, tag, digest) in cases {
            assert_eq!(
                Reference::parse(input),
                Reference {
                    repository,
                    tag,
                    digest
                },
                "{input}"
            );
        }
    }

    #[test]
    fn registry_images_get_an_oci_purl() {
        let image = testutil::inventory();
        assert_eq!(name(&image), "docker.io/library/debian");
        assert_eq!(
            purl(&image).unwrap(),
            format!(
                "pkg:oci/debian@{}?arch=amd64&repository_url=docker.io%2Flibrary%2Fdebian&tag=12",
                image.manifest_digest
            )
        );
    }

    #[test]
    fn archives_keep_their_path_and_have_no_purl() {
        let mut image = testutil::inventory();
        image.source = ImageSource::DockerArchive {
            path: "/tmp/app.tar".into(),
        };
        assert_eq!(name(&image), "docker-archive:/tmp/app.tar");
        assert_eq!(purl(&image), None);
    }
}
