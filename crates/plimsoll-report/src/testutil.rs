//! One small but complete inventory, and findings against it, shared by the unit tests of every
//! format.

use plimsoll_types::{
    ConfigFinding, Cvss, Digest, Finding, FixState, ImageInventory, ImageSource, LayerChanges,
    LayerRef, LayerSummary, OsRelease, Package, PackageId, PackageKind, Platform, Secret, Severity,
    SeveritySource, SourcePackage, VersionChange, VulnerabilityReport,
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
                    base_image: index == 0,
                    changes: plimsoll_types::LayerChanges::default(),
                }
            })
            .collect(),
        packages: vec![base_files, libc6, libdb, requests, babel],
        config: None,
        secrets: Vec::new(),
        warnings: Vec::new(),
    }
}

/// A finding of `id` against `package`: fixed when `fixed` names versions, unfixed otherwise;
/// severity from the database, no CVSS, summary or references (tests add what they need).
pub(crate) fn finding(package: &Package, id: &str, severity: Severity, fixed: &[&str]) -> Finding {
    let matched_ecosystem = match package.kind {
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
    };
    Finding {
        id: id.into(),
        aliases: Vec::new(),
        summary: None,
        package: package.name.clone(),
        kind: package.kind,
        installed: package.version.clone(),
        purl: package.purl.clone(),
        matched_ecosystem: matched_ecosystem.into(),
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

/// [`inventory`] with eight findings over four packages (`base-files` has none), most severe
/// first as the matcher returns them: every severity, fixed (one and two versions), unfixed and
/// won't-fix, aliases, CVSS v3, a summary too long for the table, and two findings that share a
/// severity within one package (ids out of order) and packages that share a worst severity.
pub(crate) fn report() -> VulnerabilityReport {
    let image = inventory();
    let [_, libc6, libdb, requests, babel] = &image.packages[..] else {
        unreachable!("inventory() has five packages")
    };

    let mut critical = finding(
        libc6,
        "CVE-2026-0001",
        Severity::Critical,
        &["2.36-9+deb12u9"],
    );
    critical.summary = Some("glibc: buffer overflow in getaddrinfo".into());
    critical.severity_source = SeveritySource::CvssV3;
    critical.cvss = Some(Cvss {
        kind: "CVSS_V3".into(),
        vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H".into(),
        score: 9.8,
    });
    critical.references = vec![
        "https://security-tracker.debian.org/tracker/CVE-2026-0001".into(),
        "https://nvd.nist.gov/vuln/detail/CVE-2026-0001".into(),
    ];
    let mut unfixed = finding(libc6, "CVE-2026-0002", Severity::High, &[]);
    unfixed.summary = Some(
        "glibc: the iconv() function in the GNU C Library may overflow the output buffer \
         passed to it by up to four bytes when converting to ISO-2022-CN-EXT"
            .into(),
    );
    let mut high = finding(libc6, "CVE-2025-9999", Severity::High, &["2.36-9+deb12u9"]);
    high.summary = Some("glibc: use after free in qsort".into());
    let mut pysec = finding(requests, "PYSEC-2026-10", Severity::High, &["2.32.4"]);
    pysec.summary = Some("Requests leaks .netrc credentials".into());
    pysec.severity_source = SeveritySource::Alias;
    let mut ghsa = finding(
        requests,
        "GHSA-9wx4-h78v-vm56",
        Severity::Medium,
        &["2.32.0"],
    );
    ghsa.aliases = vec!["CVE-2024-35195".into()];
    ghsa.summary = Some(
        "Requests `Session` object does not verify requests after making first request with \
         verify=False"
            .into(),
    );
    ghsa.severity_source = SeveritySource::CvssV3;
    ghsa.cvss = Some(Cvss {
        kind: "CVSS_V3".into(),
        vector: "CVSS:3.1/AV:L/AC:H/PR:H/UI:R/S:U/C:H/I:H/A:N".into(),
        score: 5.6,
    });
    ghsa.references =
        vec!["https://github.com/psf/requests/security/advisories/GHSA-9wx4-h78v-vm56".into()];
    let mut babel_high = finding(
        babel,
        "GHSA-67hx-6x53-jw92",
        Severity::High,
        &["7.23.2", "8.0.0-alpha.4"],
    );
    babel_high.summary = Some("Babel vulnerable to arbitrary code execution".into());
    let mut low = finding(libdb, "CVE-2019-8457", Severity::Low, &[]);
    low.status = FixState::WontFix;
    low.summary = Some("sqlite: heap out-of-bound read in function rtreenode()".into());
    let mut unknown = finding(babel, "GHSA-c2qf-rxjj-qqgw", Severity::Unknown, &[]);
    unknown.severity_source = SeveritySource::None;

    VulnerabilityReport {
        findings: vec![
            critical, unfixed, high, pysec, babel_high, ghsa, low, unknown,
        ],
        image,
        db_built_at: Some("2026-11-25T06:00:00Z".into()),
        suppressed: 2,
        config_findings: Vec::new(),
    }
}

/// [`report`] over three layers that say what they did: the base layer 0 added the debs, layer
/// 1 (a long `RUN` line) added the language packages, removed `tzdata` and upgraded
/// `base-files`, and layer 2 deleted `/app/.env`. Two secrets, one in that deleted file (still
/// in layer 1's blob) and one in the configuration's `Env`, and two configuration findings.
pub(crate) fn full_report() -> VulnerabilityReport {
    let mut report = report();
    let image = &mut report.image;
    image.packages[0].layer = Some(layer(1));
    let id = |kind, name: &str, version: &str| PackageId {
        kind,
        name: name.into(),
        version: version.into(),
    };
    let created_by = [
        "/bin/sh -c #(nop) ADD file:6d1b0c4f3d2e1a09 in / ",
        "/bin/sh -c apt-get purge -y tzdata \t&&   pip install requests==2.31.0 && npm install @babel/core@7.23.0",
        "RUN /bin/sh -c rm /app/.env # buildkit",
    ];
    let changes = [
        LayerChanges {
            added: vec![
                id(PackageKind::Deb, "base-files", "12.4+deb12u4"),
                id(PackageKind::Deb, "libc6", "2.36-9+deb12u4"),
                id(PackageKind::Deb, "libdb5.3", "5.3.28+dfsg2-1+b1"),
                id(PackageKind::Deb, "tzdata", "2024a-0+deb12u1"),
            ],
            ..LayerChanges::default()
        },
        LayerChanges {
            added: vec![
                id(PackageKind::Npm, "@babel/core", "7.23.0"),
                id(PackageKind::Python, "requests", "2.31.0"),
            ],
            removed: vec![id(PackageKind::Deb, "tzdata", "2024a-0+deb12u1")],
            changed: vec![VersionChange {
                kind: PackageKind::Deb,
                name: "base-files".into(),
                from: "12.4+deb12u4".into(),
                to: "12.4+deb12u5".into(),
            }],
        },
        LayerChanges::default(),
    ];
    image.layers = (0..3)
        .map(|index| {
            let r = layer(index);
            LayerSummary {
                index,
                digest: r.digest,
                diff_id: r.diff_id,
                media_type: "application/vnd.oci.image.layer.v1.tar+gzip".into(),
                compressed_size: [29_150_000, 1_536, 93][index],
                uncompressed_size: [78_900_000, 4_200_000, 512][index],
                created_by: Some(created_by[index].into()),
                base_image: index == 0,
                changes: changes[index].clone(),
            }
        })
        .collect();
    image.secrets = vec![
        Secret {
            rule: "aws-access-key-id".into(),
            category: "AWS".into(),
            title: "AWS access key ID".into(),
            severity: Severity::Critical,
            path: "/app/.env".into(),
            line: 3,
            redacted: "AKIA****************".into(),
            layer: Some(layer(1)),
            deleted_in_layer: Some(2),
        },
        Secret {
            rule: "generic-password".into(),
            category: "Generic".into(),
            title: "Password in configuration".into(),
            severity: Severity::High,
            path: "config:ENV".into(),
            line: 0,
            redacted: "DB_PASSWORD=hu*****".into(),
            layer: None,
            deleted_in_layer: None,
        },
    ];
    report.config_findings = vec![
        ConfigFinding {
            id: "PLM-CFG-001".into(),
            severity: Severity::High,
            title: "Image runs as root".into(),
            detail: "User is \"\" (root)".into(),
        },
        ConfigFinding {
            id: "PLM-CFG-002".into(),
            severity: Severity::Low,
            title: "No health check".into(),
            detail: "the configuration sets no Healthcheck".into(),
        },
    ];
    report
}
