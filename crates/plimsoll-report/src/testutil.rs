//! One small but complete inventory shared by the unit tests of every format.

use plimsoll_types::{
    Digest, ImageInventory, ImageSource, LayerRef, LayerSummary, OsRelease, Package, PackageKind,
    Platform, SourcePackage,
};

/// The reference of layer `index` (0 or 1) of [`inventory`].
pub(crate) fn layer(index: usize) -> LayerRef {
    LayerRef {
        index,
        digest: Digest::sha256_of(format!("layer{index}").as_bytes()),
        diff_id: Digest::sha256_of(format!("diff{index}").as_bytes()),
    }
}

/// A package with a source package, purl and layer.
pub(crate) fn package(
    kind: PackageKind,
    (name, version): (&str, &str),
    source: Option<(&str, &str)>,
    found_in: &str,
    purl: &str,
    layer_index: usize,
) -> Package {
    let mut p = Package::new(kind, name, version, found_in);
    p.source = source.map(|(name, version)| SourcePackage {
        name: name.into(),
        version: version.into(),
    });
    p.purl = Some(purl.into());
    p.layer = Some(layer(layer_index));
    p
}

/// Debian 12 with three debs (one binNMU whose source version differs), a scoped npm package
/// and a Python distribution, over two layers; packages in the fold's order.
pub(crate) fn inventory() -> ImageInventory {
    let status = "/var/lib/dpkg/status";
    let mut base_files = package(
        PackageKind::Deb,
        ("base-files", "12.4+deb12u5"),
        Some(("base-files", "12.4+deb12u5")),
        status,
        "pkg:deb/debian/base-files@12.4%2Bdeb12u5?arch=amd64&distro=debian-12",
        0,
    );
    base_files.arch = Some("amd64".into());
    base_files.licenses = vec!["GPL-2+".into()];
    let mut libdb = package(
        PackageKind::Deb,
        ("libdb5.3", "5.3.28+dfsg2-1+b1"),
        Some(("db5.3", "5.3.28+dfsg2-1")),
        status,
        "pkg:deb/debian/libdb5.3@5.3.28%2Bdfsg2-1%2Bb1?arch=amd64&distro=debian-12",
        0,
    );
    libdb.arch = Some("amd64".into());
    let mut libc6 = package(
        PackageKind::Deb,
        ("libc6", "2.36-9+deb12u4"),
        Some(("glibc", "2.36-9+deb12u4")),
        status,
        "pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12",
        0,
    );
    libc6.arch = Some("amd64".into());
    libc6.licenses = vec!["LGPL-2.1+".into(), "GPL-2+".into()];
    let mut requests = package(
        PackageKind::Python,
        ("requests", "2.31.0"),
        None,
        "/usr/lib/python3/dist-packages/requests-2.31.0.dist-info/METADATA",
        "pkg:pypi/requests@2.31.0",
        1,
    );
    requests.licenses = vec!["Apache-2.0".into()];
    let mut babel = package(
        PackageKind::Npm,
        ("@babel/core", "7.23.0"),
        None,
        "/app/node_modules/@babel/core/package.json",
        "pkg:npm/%40babel/core@7.23.0",
        1,
    );
    babel.licenses = vec!["MIT".into()];

    ImageInventory {
        source: ImageSource::Registry {
            reference: "docker.io/library/debian:12".into(),
        },
        manifest_digest: Digest::sha256_of(b"manifest"),
        index_digest: None,
        config_digest: Digest::sha256_of(b"config"),
        platform: Platform {
            os: "linux".into(),
            architecture: "amd64".into(),
            variant: None,
        },
        created: Some("2026-11-01T00:00:00Z".into()),
        os: Some(OsRelease {
            id: "debian".into(),
            version_id: Some("12".into()),
            version_codename: Some("bookworm".into()),
            pretty_name: Some("Debian GNU/Linux 12 (bookworm)".into()),
            id_like: Vec::new(),
        }),
        layers: (0..2)
            .map(|index| {
                let layer = layer(index);
                LayerSummary {
                    index,
                    digest: layer.digest,
                    diff_id: layer.diff_id,
                    media_type: "application/vnd.oci.image.layer.v1.tar+gzip".into(),
                    compressed_size: 1000 * (index as u64 + 1),
                    uncompressed_size: 3000 * (index as u64 + 1),
                    created_by: (index == 1).then(|| "RUN pip install requests".into()),
                }
            })
            .collect(),
        packages: vec![base_files, libc6, libdb, requests, babel],
        warnings: Vec::new(),
    }
}
