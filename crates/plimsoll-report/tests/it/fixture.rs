use plimsoll_types::{
    Digest, ImageInventory, ImageSource, LayerRef, LayerSummary, OsRelease, Package, PackageKind,
    Platform, SourcePackage,
};

pub(crate) fn layer_ref(index: usize) -> LayerRef {
    LayerRef {
        index,
        digest: Digest::sha256_of(format!("blob {index}").as_bytes()),
        diff_id: Digest::sha256_of(format!("tar {index}").as_bytes()),
    }
}

fn package(
    kind: PackageKind,
    name: &str,
    version: &str,
    found_in: &str,
    purl: &str,
    layer: usize,
) -> Package {
    let mut p = Package::new(kind, name, version, found_in);
    p.purl = Some(purl.to_owned());
    p.layer = Some(layer_ref(layer));
    p
}

fn deb(name: &str, version: &str, source: (&str, &str), license: &str) -> Package {
    let purl = format!(
        "pkg:deb/debian/{name}@{}?arch=amd64&distro=debian-12",
        version.replace('+', "%2B").replace(':', "%3A")
    );
    let mut p = package(
        PackageKind::Deb,
        name,
        version,
        "/var/lib/dpkg/status",
        &purl,
        0,
    );
    p.arch = Some("amd64".to_owned());
    p.source = Some(SourcePackage {
        name: source.0.to_owned(),
        version: source.1.to_owned(),
    });
    p.licenses = vec![license.to_owned()];
    p
}

/// The names of every package in [`inventory`], in order.
pub(crate) const PACKAGE_NAMES: [&str; 6] = [
    "libc6",
    "libssl3",
    "zlib1g",
    "requests",
    "@types/node",
    "@types/node",
];

/// Debian 12, three debs, a Python distribution and the same scoped npm package twice (two
/// `node_modules` trees, so purls repeat), over two layers.
pub(crate) fn inventory() -> ImageInventory {
    let mut requests = package(
        PackageKind::Python,
        "requests",
        "2.32.3",
        "/usr/local/lib/python3.11/site-packages/requests-2.32.3.dist-info/METADATA",
        "pkg:pypi/requests@2.32.3",
        1,
    );
    requests.licenses = vec!["Apache-2.0".to_owned()];
    let node_types = |found_in: &str| {
        let mut p = package(
            PackageKind::Npm,
            "@types/node",
            "20.11.5",
            found_in,
            "pkg:npm/%40types/node@20.11.5",
            1,
        );
        p.licenses = vec!["MIT".to_owned()];
        p
    };
    ImageInventory {
        source: ImageSource::Registry {
            reference: "registry.example.com:5000/team/app:1.4.2".to_owned(),
        },
        manifest_digest: Digest::sha256_of(b"app manifest"),
        index_digest: Some(Digest::sha256_of(b"app index")),
        config_digest: Digest::sha256_of(b"app config"),
        platform: Platform {
            os: "linux".to_owned(),
            architecture: "arm64".to_owned(),
            variant: Some("v8".to_owned()),
        },
        created: Some("2026-10-30T09:15:00Z".to_owned()),
        os: Some(OsRelease {
            id: "debian".to_owned(),
            version_id: Some("12".to_owned()),
            version_codename: Some("bookworm".to_owned()),
            pretty_name: Some("Debian GNU/Linux 12 (bookworm)".to_owned()),
            id_like: Vec::new(),
        }),
        layers: (0..2)
            .map(|index| {
                let r = layer_ref(index);
                LayerSummary {
                    index,
                    digest: r.digest,
                    diff_id: r.diff_id,
                    media_type: "application/vnd.oci.image.layer.v1.tar+gzip".to_owned(),
                    compressed_size: 29_000_000,
                    uncompressed_size: 80_000_000,
                    created_by: None,
                }
            })
            .collect(),
        packages: vec![
            deb(
                "libc6",
                "2.36-9+deb12u7",
                ("glibc", "2.36-9+deb12u7"),
                "LGPL-2.1+",
            ),
            deb(
                "libssl3",
                "3.0.13-1~deb12u1",
                ("openssl", "3.0.13-1~deb12u1"),
                "Apache-2.0",
            ),
            deb(
                "zlib1g",
                "1:1.2.13.dfsg-1",
                ("zlib", "1:1.2.13.dfsg-1"),
                "Zlib",
            ),
            requests,
            node_types("/app/node_modules/@types/node/package.json"),
            node_types("/app/packages/api/node_modules/@types/node/package.json"),
        ],
        warnings: Vec::new(),
    }
}
