//! Real-looking values of every stored type: a Debian bookworm image with dpkg and Python
//! packages, and the findings a match against it gives.

use time::OffsetDateTime;

use plimsoll_store::{ManifestMeta, PlatformImage};
use plimsoll_types::{
    AnalyzerVersion, Cvss, Digest, FileFacts, Finding, FixState, ImageInventory, ImageSource,
    LayerChanges, LayerFacts, LayerRef, LayerSummary, OsRelease, Package, PackageId, PackageKind,
    Platform, Severity, SeveritySource, SourcePackage,
};

/// The analyzer key of the tests' catalogers.
pub(crate) const ANALYZER: &str = "dpkg=2,os-release=1,python=3";

pub(crate) fn digest(seed: &str) -> Digest {
    Digest::sha256_of(seed.as_bytes())
}

pub(crate) fn platform(text: &str) -> Platform {
    text.parse().unwrap()
}

pub(crate) fn bookworm() -> OsRelease {
    OsRelease {
        id: "debian".into(),
        version_id: Some("12".into()),
        version_codename: Some("bookworm".into()),
        pretty_name: Some("Debian GNU/Linux 12 (bookworm)".into()),
        id_like: vec![],
    }
}

fn layer_ref(index: usize, seed: &str) -> LayerRef {
    LayerRef {
        index,
        digest: digest(seed),
        diff_id: digest(&format!("{seed} diff")),
    }
}

pub(crate) fn deb(name: &str, version: &str, source: Option<&str>) -> Package {
    let mut package = Package::new(PackageKind::Deb, name, version, "/var/lib/dpkg/status");
    package.source = source.map(|s| SourcePackage {
        name: s.into(),
        version: version.into(),
    });
    package.arch = Some("amd64".into());
    package.licenses = vec!["GPL-2.0-or-later".into()];
    package.purl = Some(format!(
        "pkg:deb/debian/{name}@{version}?arch=amd64&distro=debian-12"
    ));
    package.layer = Some(layer_ref(0, "base layer"));
    package
}

fn python(name: &str, version: &str) -> Package {
    let found_in = format!("/usr/lib/python3/dist-packages/{name}-{version}.dist-info/METADATA");
    let mut package = Package::new(PackageKind::Python, name, version, found_in);
    package.licenses = vec!["Apache-2.0".into()];
    package.purl = Some(format!("pkg:pypi/{}@{version}", name.to_lowercase()));
    package.layer = Some(layer_ref(1, "app layer"));
    package
}

/// The base layer of a bookworm image.
pub(crate) fn layer_facts(seed: &str) -> LayerFacts {
    let mut status = FileFacts {
        path: "/var/lib/dpkg/status".into(),
        cataloger: "dpkg".into(),
        packages: vec![
            deb("libssl3", "3.0.11-1~deb12u2", Some("openssl")),
            deb("zlib1g", "1:1.2.13.dfsg-1", Some("zlib")),
            deb("bash", "5.2.15-2+b2", None),
        ],
        ..FileFacts::default()
    };
    for package in &mut status.packages {
        package.purl = None;
        package.layer = None;
    }
    status.warnings = vec!["stanza 41: missing Version, skipped".into()];
    LayerFacts {
        digest: digest(seed),
        diff_id: digest(&format!("{seed} diff")),
        compressed_size: 29_150_474,
        uncompressed_size: 77_874_688,
        entries: 3_412,
        analyzers: vec![
            AnalyzerVersion {
                name: "dpkg".into(),
                version: 2,
            },
            AnalyzerVersion {
                name: "os-release".into(),
                version: 1,
            },
        ],
        files: vec![
            FileFacts {
                path: "/etc/os-release".into(),
                cataloger: "os-release".into(),
                os: Some(bookworm()),
                ..FileFacts::default()
            },
            status,
        ],
        whiteouts: vec!["/var/cache/apt/archives/partial".into()],
        opaque_dirs: vec!["/var/lib/apt/lists".into()],
        secrets: vec![],
    }
}

/// The inventory of a bookworm image with `extra` more Python packages.
pub(crate) fn inventory(
    manifest_digest: &Digest,
    platform_text: &str,
    extra: usize,
) -> ImageInventory {
    let mut packages = vec![
        deb("bash", "5.2.15-2+b2", None),
        deb("libssl3", "3.0.11-1~deb12u2", Some("openssl")),
        deb("zlib1g", "1:1.2.13.dfsg-1", Some("zlib")),
        python("requests", "2.31.0"),
        python("urllib3", "1.26.18"),
    ];
    packages.extend((0..extra).map(|i| python(&format!("plugin-{i}"), "1.0.0")));
    ImageInventory {
        source: ImageSource::Registry {
            reference: "registry.example.com/team/app:1.4.2".into(),
        },
        manifest_digest: manifest_digest.clone(),
        index_digest: Some(digest("app index")),
        config_digest: digest(&format!("{manifest_digest} config")),
        platform: platform(platform_text),
        created: Some("2026-11-20T08:15:30Z".into()),
        os: Some(bookworm()),
        layers: vec![
            LayerSummary {
                index: 0,
                digest: digest("base layer"),
                diff_id: digest("base layer diff"),
                media_type: "application/vnd.oci.image.layer.v1.tar+gzip".into(),
                compressed_size: 29_150_474,
                uncompressed_size: 77_874_688,
                created_by: Some("# debian.sh --arch 'amd64' out/ 'bookworm' '@1700438400'".into()),
                base_image: true,
                changes: LayerChanges::default(),
            },
            LayerSummary {
                index: 1,
                digest: digest("app layer"),
                diff_id: digest("app layer diff"),
                media_type: "application/vnd.oci.image.layer.v1.tar+zstd".into(),
                compressed_size: 4_812_201,
                uncompressed_size: 16_384_000,
                created_by: Some("RUN pip install -r requirements.txt".into()),
                base_image: false,
                changes: LayerChanges {
                    added: vec![PackageId {
                        kind: PackageKind::Python,
                        name: "requests".into(),
                        version: "2.32.3".into(),
                    }],
                    ..LayerChanges::default()
                },
            },
        ],
        packages,
        config: None,
        secrets: vec![],
        warnings: vec!["/usr/lib/python3/dist-packages/broken.dist-info: no METADATA".into()],
    }
}

pub(crate) fn finding(id: &str, severity: Severity, status: FixState) -> Finding {
    Finding {
        id: id.into(),
        aliases: vec![format!("CVE-{}", &id[id.len() - 9..])],
        summary: Some("Excessive time spent checking DH q parameter value".into()),
        package: "libssl3".into(),
        kind: PackageKind::Deb,
        installed: "3.0.11-1~deb12u2".into(),
        purl: Some("pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12".into()),
        matched_ecosystem: "Debian:12".into(),
        matched_name: "openssl".into(),
        fixed_versions: match status {
            FixState::Fixed => vec!["3.0.13-1~deb12u1".into()],
            FixState::Unfixed | FixState::WontFix => vec![],
        },
        status,
        severity,
        severity_source: SeveritySource::CvssV3,
        cvss: Some(Cvss {
            kind: "CVSS_V3".into(),
            vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H".into(),
            score: 7.5,
        }),
        found_in: "/var/lib/dpkg/status".into(),
        layer: Some(layer_ref(0, "base layer")),
        references: vec!["https://security-tracker.debian.org/tracker/CVE-2023-3817".into()],
    }
}

/// A finding list with every severity: 1 critical, 2 high, 1 medium, 1 low, 1 unknown; three
/// of them fixed.
pub(crate) fn findings() -> Vec<Finding> {
    vec![
        finding("DSA-5678-1-2024-0001", Severity::Critical, FixState::Fixed),
        finding("DSA-5679-1-2024-0002", Severity::High, FixState::Fixed),
        finding("DSA-5680-1-2024-0003", Severity::High, FixState::Unfixed),
        finding("DSA-5681-1-2024-0004", Severity::Medium, FixState::WontFix),
        finding("DSA-5682-1-2024-0005", Severity::Low, FixState::Fixed),
        finding("DSA-5683-1-2024-0006", Severity::Unknown, FixState::Unfixed),
    ]
}

/// Config creation time, at second precision like real configs.
pub(crate) fn created(unix: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(unix).unwrap()
}

/// An index with an amd64 and an arm64/v8 image.
pub(crate) fn index_meta(seed: &str) -> ManifestMeta {
    ManifestMeta {
        digest: digest(seed),
        media_type: "application/vnd.oci.image.index.v1+json".into(),
        platforms: vec![
            PlatformImage {
                platform: platform("linux/amd64"),
                manifest_digest: digest(&format!("{seed} amd64")),
                config_digest: digest(&format!("{seed} amd64 config")),
                created: Some(created(1_763_000_000)),
            },
            PlatformImage {
                platform: platform("linux/arm64/v8"),
                manifest_digest: digest(&format!("{seed} arm64")),
                config_digest: digest(&format!("{seed} arm64 config")),
                created: Some(created(1_763_000_500)),
            },
        ],
    }
}

/// A single-platform image manifest.
pub(crate) fn image_meta(seed: &str) -> ManifestMeta {
    ManifestMeta {
        digest: digest(seed),
        media_type: "application/vnd.docker.distribution.manifest.v2+json".into(),
        platforms: vec![PlatformImage {
            platform: platform("linux/amd64"),
            manifest_digest: digest(seed),
            config_digest: digest(&format!("{seed} config")),
            created: None,
        }],
    }
}
