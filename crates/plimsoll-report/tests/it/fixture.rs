use plimsoll_types::{
    ConfigFinding, Cvss, Digest, Finding, FixState, ImageInventory, ImageSource, LayerChanges,
    LayerRef, LayerSummary, OsRelease, Package, PackageId, PackageKind, Platform, Secret, Severity,
    SeveritySource, SourcePackage, VulnerabilityReport,
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
pub(crate) const PACKAGE_NAMES: [&str; 13] = [
    "libc6",
    "libssl3",
    "zlib1g",
    "requests",
    "@types/node",
    "@types/node",
    "openssl-libs",
    "github.com/spf13/cobra",
    "serde",
    "rack",
    "monolog/monolog",
    "Newtonsoft.Json",
    "numpy",
];

/// One package of each kind added after the first five, with the purl type the purl spec gives
/// it, all in layer 1.
fn newer_kinds() -> Vec<Package> {
    let mut rpm = package(
        PackageKind::Rpm,
        "openssl-libs",
        "1:3.0.7-27.el9",
        "/var/lib/rpm/rpmdb.sqlite",
        "pkg:rpm/rocky/openssl-libs@3.0.7-27.el9?arch=x86_64&epoch=1&distro=rocky-9.3",
        1,
    );
    rpm.arch = Some("x86_64".to_owned());
    rpm.source = Some(SourcePackage {
        name: "openssl".to_owned(),
        version: "1:3.0.7-27.el9".to_owned(),
    });
    rpm.licenses = vec!["ASL 2.0".to_owned()];
    vec![
        rpm,
        package(
            PackageKind::Go,
            "github.com/spf13/cobra",
            "v1.8.0",
            "/usr/local/bin/app",
            "pkg:golang/github.com/spf13/cobra@v1.8.0",
            1,
        ),
        package(
            PackageKind::Cargo,
            "serde",
            "1.0.197",
            "/usr/local/bin/tool",
            "pkg:cargo/serde@1.0.197",
            1,
        ),
        package(
            PackageKind::Gem,
            "rack",
            "3.0.9",
            "/usr/local/bundle/specifications/rack-3.0.9.gemspec",
            "pkg:gem/rack@3.0.9",
            1,
        ),
        package(
            PackageKind::Composer,
            "monolog/monolog",
            "3.5.0",
            "/var/www/composer.lock",
            "pkg:composer/monolog/monolog@3.5.0",
            1,
        ),
        package(
            PackageKind::Nuget,
            "Newtonsoft.Json",
            "13.0.3",
            "/app/app.deps.json",
            "pkg:nuget/Newtonsoft.Json@13.0.3",
            1,
        ),
        package(
            PackageKind::Conda,
            "numpy",
            "1.26.4",
            "/opt/conda/conda-meta/numpy-1.26.4-py311h64a7726_0.json",
            "pkg:conda/numpy@1.26.4?build=py311h64a7726_0&channel=conda-forge&subdir=linux-64",
            1,
        ),
    ]
}

/// Debian 12, three debs, a Python distribution, the same scoped npm package twice (two
/// `node_modules` trees, so purls repeat) and one package of each newer kind, over two layers.
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
                    base_image: index == 0,
                    changes: plimsoll_types::LayerChanges::default(),
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
        ]
        .into_iter()
        .chain(newer_kinds())
        .collect(),
        config: None,
        secrets: Vec::new(),
        warnings: Vec::new(),
    }
}

fn finding(package: &Package, id: &str, severity: Severity, fixed: &[&str]) -> Finding {
    Finding {
        id: id.to_owned(),
        aliases: Vec::new(),
        summary: None,
        package: package.name.clone(),
        kind: package.kind,
        installed: package.version.clone(),
        purl: package.purl.clone(),
        matched_ecosystem: match package.kind {
            PackageKind::Deb => "Debian:12",
            PackageKind::Apk => "Alpine:v3.20",
            PackageKind::Python => "PyPI",
            PackageKind::Npm => "npm",
            PackageKind::Maven => "Maven",
            PackageKind::Rpm => "Rocky Linux:9",
            PackageKind::Go => "Go",
            PackageKind::Cargo => "crates.io",
            PackageKind::Gem => "RubyGems",
            PackageKind::Composer => "Packagist",
            PackageKind::Nuget => "NuGet",
            PackageKind::Conda => "conda",
        }
        .to_owned(),
        matched_name: package
            .source
            .as_ref()
            .map_or_else(|| package.name.clone(), |s| s.name.clone()),
        fixed_versions: fixed.iter().map(|&v| v.to_owned()).collect(),
        status: if fixed.is_empty() {
            FixState::Unfixed
        } else {
            FixState::Fixed
        },
        severity,
        severity_source: SeveritySource::Database,
        cvss: None,
        found_in: package.found_in.clone(),
        layer: package.layer.clone(),
        references: Vec::new(),
    }
}

/// The advisory ids of [`report`], one per distinct id, in first-seen order.
pub(crate) const VULNERABILITY_IDS: [&str; 5] = [
    "CVE-2026-1000",
    "CVE-2023-45853",
    "GHSA-9hjg-9r4m-mvj7",
    "CVE-2026-1001",
    "GHSA-0000-node-0001",
];

/// Findings against [`inventory`], most severe first: every severity, fixed, unfixed and
/// won't-fix, CVSS v3 and v4, aliases, a free-text reference before a URL, and one advisory
/// against both `@types/node` installations (one rule, two results). `libc6` has none.
pub(crate) fn report() -> VulnerabilityReport {
    let image = inventory();
    let [_libc6, libssl, zlib, requests, node_a, node_b] = &image.packages[..6] else {
        panic!("inventory() starts with these six packages")
    };
    let mut critical = finding(
        libssl,
        "CVE-2026-1000",
        Severity::Critical,
        &["3.0.15-1~deb12u1"],
    );
    critical.summary = Some("openssl: use after free in SSL_free_buffers".to_owned());
    critical.severity_source = SeveritySource::CvssV3;
    critical.cvss = Some(Cvss {
        kind: "CVSS_V3".to_owned(),
        vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:H".to_owned(),
        score: 9.1,
    });
    critical.references = vec![
        "see the Debian security tracker".to_owned(),
        "https://security-tracker.debian.org/tracker/CVE-2026-1000".to_owned(),
    ];
    let mut wont_fix = finding(zlib, "CVE-2023-45853", Severity::High, &[]);
    wont_fix.status = FixState::WontFix;
    wont_fix.summary = Some("zlib: integer overflow in zipOpenNewFileInZip4_6".to_owned());
    let mut medium = finding(
        requests,
        "GHSA-9hjg-9r4m-mvj7",
        Severity::Medium,
        &["2.32.4"],
    );
    medium.aliases = vec!["CVE-2024-47081".to_owned(), "PYSEC-2025-49".to_owned()];
    medium.summary =
        Some("Requests vulnerable to .netrc credentials leak via malicious URLs".to_owned());
    medium.severity_source = SeveritySource::CvssV4;
    medium.cvss = Some(Cvss {
        kind: "CVSS_V4".to_owned(),
        vector: "CVSS:4.0/AV:N/AC:H/AT:P/PR:N/UI:N/VC:H/VI:N/VA:N/SC:N/SI:N/SA:N".to_owned(),
        score: 5.3,
    });
    medium.references =
        vec!["https://github.com/psf/requests/security/advisories/GHSA-9hjg-9r4m-mvj7".to_owned()];
    let low = finding(libssl, "CVE-2026-1001", Severity::Low, &[]);
    let node = |package: &Package| {
        let mut f = finding(
            package,
            "GHSA-0000-node-0001",
            Severity::Unknown,
            &["20.11.6"],
        );
        f.severity_source = SeveritySource::None;
        f
    };
    let findings = vec![critical, wont_fix, medium, low, node(node_a), node(node_b)];
    VulnerabilityReport {
        image,
        findings,
        db_built_at: Some("2026-11-24T03:00:00Z".to_owned()),
        suppressed: 1,
        config_findings: Vec::new(),
    }
}

/// [`report`] with what the complete inventory adds: layers that record their command and
/// package changes (layer 0 the base image), two secrets (one in a file layer 2 deletes, one in
/// the configuration's `Env`) and two configuration findings.
pub(crate) fn full_report() -> VulnerabilityReport {
    let mut report = report();
    let image = &mut report.image;
    image.layers.push(LayerSummary {
        index: 2,
        digest: layer_ref(2).digest,
        diff_id: layer_ref(2).diff_id,
        media_type: "application/vnd.oci.image.layer.v1.tar+gzip".to_owned(),
        compressed_size: 120,
        uncompressed_size: 1_024,
        created_by: Some("RUN /bin/sh -c rm /app/.env # buildkit".to_owned()),
        base_image: false,
        changes: LayerChanges::default(),
    });
    image.layers[0].created_by = Some("/bin/sh -c #(nop) ADD file:e4b1 in / ".to_owned());
    image.layers[1].created_by = Some("RUN /bin/sh -c pip install requests # buildkit".to_owned());
    image.layers[1].changes = LayerChanges {
        added: vec![PackageId {
            kind: PackageKind::Python,
            name: "requests".to_owned(),
            version: "2.32.3".to_owned(),
        }],
        ..LayerChanges::default()
    };
    image.secrets = vec![
        Secret {
            rule: "aws-access-key-id".to_owned(),
            category: "AWS".to_owned(),
            title: "AWS access key ID".to_owned(),
            severity: Severity::Critical,
            path: "/app/.env".to_owned(),
            line: 2,
            redacted: "AKIA****************".to_owned(),
            layer: Some(layer_ref(1)),
            deleted_in_layer: Some(2),
        },
        Secret {
            rule: "aws-access-key-id".to_owned(),
            category: "AWS".to_owned(),
            title: "AWS access key ID".to_owned(),
            severity: Severity::Critical,
            path: "config:ENV".to_owned(),
            line: 0,
            redacted: "AWS_ACCESS_KEY_ID=AKIA****************".to_owned(),
            layer: None,
            deleted_in_layer: None,
        },
    ];
    report.config_findings = vec![
        ConfigFinding {
            id: "PLM-CFG-001".to_owned(),
            severity: Severity::High,
            title: "Image runs as root".to_owned(),
            detail: "User is \"\" (root)".to_owned(),
        },
        ConfigFinding {
            id: "PLM-CFG-005".to_owned(),
            severity: Severity::Medium,
            title: "Tag is latest".to_owned(),
            detail: "the image was referenced by the tag `latest`".to_owned(),
        },
    ];
    report
}
