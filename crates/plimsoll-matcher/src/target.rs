use std::borrow::Cow;

use plimsoll_types::{OsRelease, Package, PackageKind};

/// Where to look a package up: OSV ecosystem, package name and version as the advisories
/// write them. Borrows from the package: matching looks up every package of every image, and
/// most have no advisory, so nothing is allocated before the database says there is one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OsvPackage<'a> {
    /// OSV ecosystem (`Debian:12`, `PyPI`).
    pub ecosystem: Cow<'a, str>,
    /// Name as advisories key it (the source package for OS packages).
    pub name: &'a str,
    /// Version to evaluate (the source version for OS packages).
    pub version: &'a str,
}

/// The OSV coordinates of a package, or `None` when no OSV ecosystem covers it (an OS package
/// of a distribution OSV does not describe, or of an unknown release).
pub fn osv_package<'a>(package: &'a Package, os: Option<&OsRelease>) -> Option<OsvPackage<'a>> {
    let distro = if package.kind.is_os() {
        Some(distro_ecosystem(package.kind, os?)?)
    } else {
        None
    };
    osv_package_in(package, distro.map(Cow::Owned))
}

/// [`osv_package`] with the distribution's ecosystem worked out once per image by the caller.
pub(crate) fn osv_package_in<'a>(
    package: &'a Package,
    distro: Option<Cow<'a, str>>,
) -> Option<OsvPackage<'a>> {
    let ecosystem: Cow<'a, str> = match package.kind {
        PackageKind::Deb | PackageKind::Apk | PackageKind::Rpm => distro?,
        PackageKind::Python => Cow::Borrowed("PyPI"),
        PackageKind::Npm => Cow::Borrowed("npm"),
        // Names are `group:artifact`, as OSV's Maven ecosystem keys them.
        PackageKind::Maven => Cow::Borrowed("Maven"),
        PackageKind::Go => Cow::Borrowed("Go"),
        PackageKind::Cargo => Cow::Borrowed("crates.io"),
        PackageKind::Gem => Cow::Borrowed("RubyGems"),
        PackageKind::Composer => Cow::Borrowed("Packagist"),
        PackageKind::Nuget => Cow::Borrowed("NuGet"),
        // No OSV ecosystem describes conda builds.
        PackageKind::Conda => return None,
    };
    // Distribution advisories are keyed by source package and version: Debian's and Alpine's,
    // and, as the OSV schema defines them, AlmaLinux's, Rocky's, Mageia's and openEuler's
    // (SUSE's name the source package and list its binaries). dpkg and apk record the source
    // (the catalogers set the package itself when none is given); rpm's is the source rpm's
    // name and `[epoch:]version-release` with the binary's epoch.
    let (name, version) = match (&package.source, package.kind) {
        (Some(source), PackageKind::Deb | PackageKind::Apk | PackageKind::Rpm) => {
            (source.name.as_str(), source.version.as_str())
        }
        // OSV's Go ecosystem writes versions without the `v` (`1.2.3`, stdlib `1.21.3`); a
        // main module built from a checkout says `(devel)`, which no advisory can name.
        (_, PackageKind::Go) if package.version == "(devel)" => return None,
        (_, PackageKind::Go) => (
            package.name.as_str(),
            package
                .version
                .strip_prefix('v')
                .unwrap_or(&package.version),
        ),
        _ => (package.name.as_str(), package.version.as_str()),
    };
    Some(OsvPackage {
        ecosystem,
        name,
        version,
    })
}

/// The distribution ecosystem of an image's OS packages, if OSV has one for it.
pub(crate) fn image_distro(os: Option<&OsRelease>, kind: PackageKind) -> Option<String> {
    distro_ecosystem(kind, os?)
}

/// `Debian:12`, `Ubuntu:22.04:LTS`, `Alpine:v3.19`, `Rocky Linux:9` from `os-release`, as OSV
/// spells them (the OSV schema's ecosystem list, `ecosystems.json`, and the ecosystem strings
/// of the published records).
///
/// rpm distributions, by `os-release` `ID`:
///
/// | `ID`                                | ecosystem                                  |
/// |-------------------------------------|--------------------------------------------|
/// | `rocky`                             | `Rocky Linux:<major>`                      |
/// | `almalinux`                         | `AlmaLinux:<major>`                        |
/// | `opensuse-leap`, `opensuse-tumbleweed`, `opensuse-*` | `openSUSE:<PRETTY_NAME without "openSUSE ">` (`openSUSE:Leap 15.6`, `openSUSE:Tumbleweed`) |
/// | `sles`, `sled`, `sle-*`, `sl-micro` | `SUSE:<PRETTY_NAME without "SUSE ">` (`SUSE:Linux Enterprise Server 15 SP5`) |
/// | `photon`                            | `Photon OS:<VERSION_ID>` (`Photon OS:5.0`) |
/// | `azurelinux`, `mariner`             | `Azure Linux:<major>` (CBL-Mariner 1 and 2 are published as `Azure Linux:1`/`:2`) |
/// | `mageia`                            | `Mageia:<VERSION_ID>`                      |
/// | `openEuler` (its `ID` is mixed-case) | `openEuler:<VERSION_ID>[-<LTS…>]` from `PRETTY_NAME` (`openEuler 22.03 (LTS-SP1)` → `openEuler:22.03-LTS-SP1`) |
///
/// RHEL (`rhel`), `CentOS` (`centos`), Fedora (`fedora`), Amazon Linux (`amzn`) and Oracle Linux
/// (`ol`) get `None`: OSV has no plain ecosystem for them. Red Hat's records are under
/// `Red Hat:<CPE of a product stream>` (`Red Hat:enterprise_linux:9::appstream`), which
/// `os-release` cannot name (a package's stream is in its repository, not in the image), and
/// Fedora, Amazon and Oracle Linux publish no OSV data.
fn distro_ecosystem(kind: PackageKind, os: &OsRelease) -> Option<String> {
    let version = || os.version_id.as_deref();
    let major = || {
        version()
            .and_then(|v| v.split('.').next())
            .filter(|m| !m.is_empty())
    };
    // SUSE's and openSUSE's release is the marketing name of `PRETTY_NAME`, less the vendor.
    let pretty_without = |prefix: &str| {
        os.pretty_name
            .as_deref()
            .and_then(|p| p.strip_prefix(prefix))
            .map(str::trim)
            .filter(|p| !p.is_empty())
    };
    match (kind, os.id.as_str()) {
        (PackageKind::Deb, "debian") => {
            // OSV's Debian ecosystems are per major release (`Debian:12`); point releases
            // (`12.5` in some derivatives) share them.
            Some(format!("Debian:{}", major()?))
        }
        (PackageKind::Deb, "ubuntu") => {
            let version = version()?;
            // LTS releases are the even years' April releases (22.04, 24.04).
            let lts = version.split_once('.').is_some_and(|(year, month)| {
                month == "04" && year.parse::<u32>().is_ok_and(|y| y % 2 == 0)
            });
            Some(if lts {
                format!("Ubuntu:{version}:LTS")
            } else {
                format!("Ubuntu:{version}")
            })
        }
        (PackageKind::Apk, "alpine") => {
            let mut parts = version()?.split('.');
            let (major, minor) = (parts.next()?, parts.next()?);
            Some(format!("Alpine:v{major}.{minor}"))
        }
        (PackageKind::Rpm, "rocky") => Some(format!("Rocky Linux:{}", major()?)),
        (PackageKind::Rpm, "almalinux") => Some(format!("AlmaLinux:{}", major()?)),
        (PackageKind::Rpm, id) if id.starts_with("opensuse") => {
            Some(format!("openSUSE:{}", pretty_without("openSUSE ")?))
        }
        (PackageKind::Rpm, id)
            if matches!(id, "sles" | "sled" | "sl-micro") || id.starts_with("sle-") =>
        {
            Some(format!("SUSE:{}", pretty_without("SUSE ")?))
        }
        (PackageKind::Rpm, "photon") => Some(format!("Photon OS:{}", version()?)),
        (PackageKind::Rpm, "azurelinux" | "mariner") => Some(format!("Azure Linux:{}", major()?)),
        (PackageKind::Rpm, "mageia") => Some(format!("Mageia:{}", version()?)),
        (PackageKind::Rpm, id) if id.eq_ignore_ascii_case("openeuler") => {
            let version = version()?;
            // `openEuler 22.03 (LTS-SP1)`: the release type is in the parentheses; innovation
            // releases (`openEuler 23.09`) have none.
            let kind = os
                .pretty_name
                .as_deref()
                .and_then(|p| p.split_once('('))
                .and_then(|(_, rest)| rest.split_once(')'))
                .map(|(inside, _)| inside.trim())
                .filter(|k| !k.is_empty());
            Some(match kind {
                Some(kind) => format!("openEuler:{version}-{kind}"),
                None => format!("openEuler:{version}"),
            })
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use plimsoll_types::SourcePackage;

    use super::*;

    fn os(id: &str, version: &str) -> OsRelease {
        OsRelease {
            id: id.into(),
            version_id: Some(version.into()),
            ..OsRelease::default()
        }
    }

    #[test]
    fn distro_releases_map_to_osv_ecosystems() {
        let mut musl = Package::new(
            PackageKind::Apk,
            "musl-utils",
            "1.2.4-r2",
            "/lib/apk/db/installed",
        );
        musl.source = Some(SourcePackage {
            name: "musl".into(),
            version: "1.2.4-r2".into(),
        });
        let t = osv_package(&musl, Some(&os("alpine", "3.19.1"))).unwrap();
        assert_eq!((t.ecosystem.as_ref(), t.name), ("Alpine:v3.19", "musl"));
        let bash = Package::new(
            PackageKind::Deb,
            "bash",
            "5.1-6ubuntu1",
            "/var/lib/dpkg/status",
        );
        assert_eq!(
            osv_package(&bash, Some(&os("ubuntu", "22.04")))
                .unwrap()
                .ecosystem,
            "Ubuntu:22.04:LTS"
        );
        assert_eq!(
            osv_package(&bash, Some(&os("ubuntu", "23.10")))
                .unwrap()
                .ecosystem,
            "Ubuntu:23.10"
        );
        assert_eq!(
            osv_package(&bash, Some(&os("ubuntu", "21.04")))
                .unwrap()
                .ecosystem,
            "Ubuntu:21.04"
        );
        assert!(
            osv_package(&bash, None).is_none(),
            "no OS, no distro ecosystem"
        );
        assert!(osv_package(&bash, Some(&os("pop", "22.04"))).is_none());
        let pip = Package::new(PackageKind::Python, "Requests", "2.31.0", "/x");
        assert_eq!(osv_package(&pip, None).unwrap().ecosystem, "PyPI");
    }

    fn os_pretty(id: &str, version: Option<&str>, pretty: &str) -> OsRelease {
        OsRelease {
            id: id.into(),
            version_id: version.map(Into::into),
            pretty_name: Some(pretty.into()),
            ..OsRelease::default()
        }
    }

    fn rpm_ecosystem(os: &OsRelease) -> Option<String> {
        let p = Package::new(
            PackageKind::Rpm,
            "openssl-libs",
            "1:3.0.7-24.el9",
            "/var/lib/rpm/rpmdb.sqlite",
        );
        osv_package(&p, Some(os)).map(|t| {
            // rpm packages are looked up by binary name and full `[epoch:]version-release`.
            assert_eq!((t.name, t.version), ("openssl-libs", "1:3.0.7-24.el9"));
            t.ecosystem.into_owned()
        })
    }

    #[test]
    fn rpm_packages_are_looked_up_by_source_rpm() {
        let mut libs = Package::new(
            PackageKind::Rpm,
            "openssl-libs",
            "1:3.0.7-27.el9",
            "/var/lib/rpm/rpmdb.sqlite",
        );
        libs.source = Some(SourcePackage {
            name: "openssl".into(),
            version: "1:3.0.7-27.el9".into(),
        });
        let t = osv_package(&libs, Some(&os("rocky", "9.3"))).unwrap();
        assert_eq!(
            (t.ecosystem.as_ref(), t.name, t.version),
            ("Rocky Linux:9", "openssl", "1:3.0.7-27.el9")
        );
        assert!(
            osv_package(&libs, Some(&os("rhel", "9.3"))).is_none(),
            "no OSV ecosystem for RHEL itself"
        );
    }

    /// `os-release` contents as the distributions ship them, and the OSV ecosystem strings of
    /// their published records.
    #[test]
    fn rpm_distributions_map_to_osv_ecosystems() {
        let cases: &[(OsRelease, Option<&str>)] = &[
            (os("rocky", "9.3"), Some("Rocky Linux:9")),
            (os("rocky", "8.10"), Some("Rocky Linux:8")),
            (os("almalinux", "9.4"), Some("AlmaLinux:9")),
            (os("almalinux", "8"), Some("AlmaLinux:8")),
            (
                os_pretty("opensuse-leap", Some("15.6"), "openSUSE Leap 15.6"),
                Some("openSUSE:Leap 15.6"),
            ),
            (
                os_pretty(
                    "opensuse-tumbleweed",
                    Some("20240101"),
                    "openSUSE Tumbleweed",
                ),
                Some("openSUSE:Tumbleweed"),
            ),
            (
                os_pretty(
                    "opensuse-leap-micro",
                    Some("5.5"),
                    "openSUSE Leap Micro 5.5",
                ),
                Some("openSUSE:Leap Micro 5.5"),
            ),
            (
                os_pretty("sles", Some("15.5"), "SUSE Linux Enterprise Server 15 SP5"),
                Some("SUSE:Linux Enterprise Server 15 SP5"),
            ),
            (
                os_pretty("sle-micro", Some("5.4"), "SUSE Linux Enterprise Micro 5.4"),
                Some("SUSE:Linux Enterprise Micro 5.4"),
            ),
            (
                os_pretty("sl-micro", Some("6.0"), "SUSE Linux Micro 6.0"),
                Some("SUSE:Linux Micro 6.0"),
            ),
            (os("photon", "5.0"), Some("Photon OS:5.0")),
            (os("photon", "3.0"), Some("Photon OS:3.0")),
            (os("azurelinux", "3.0"), Some("Azure Linux:3")),
            (os("mariner", "2.0"), Some("Azure Linux:2")),
            (os("mageia", "9"), Some("Mageia:9")),
            (
                os_pretty("openEuler", Some("22.03"), "openEuler 22.03 (LTS-SP1)"),
                Some("openEuler:22.03-LTS-SP1"),
            ),
            (
                os_pretty("openEuler", Some("24.03"), "openEuler 24.03 (LTS)"),
                Some("openEuler:24.03-LTS"),
            ),
            (
                os_pretty("openEuler", Some("23.09"), "openEuler 23.09"),
                Some("openEuler:23.09"),
            ),
            // No plain OSV ecosystem: Red Hat's are per product stream (CPE), and Fedora,
            // Amazon Linux, Oracle Linux and CentOS publish none.
            (os("rhel", "9.4"), None),
            (os("centos", "7"), None),
            (os("fedora", "40"), None),
            (os("amzn", "2023"), None),
            (os("ol", "9.4"), None),
            // What a mapping needs is missing: no version, no pretty name.
            (
                OsRelease {
                    id: "rocky".into(),
                    ..OsRelease::default()
                },
                None,
            ),
            (os("sles", "15.5"), None),
            (os("opensuse-leap", "15.6"), None),
        ];
        for (os, want) in cases {
            assert_eq!(rpm_ecosystem(os).as_deref(), *want, "{os:?}");
        }
    }

    /// A distribution's ecosystem is for its own package kind only.
    #[test]
    fn rpm_distributions_are_for_rpm_packages_only() {
        let deb = Package::new(PackageKind::Deb, "bash", "5.2-1", "/var/lib/dpkg/status");
        assert!(osv_package(&deb, Some(&os("rocky", "9.3"))).is_none());
        let rpm = Package::new(
            PackageKind::Rpm,
            "bash",
            "5.1.8-9.el9",
            "/var/lib/rpm/rpmdb.sqlite",
        );
        assert!(osv_package(&rpm, Some(&os("debian", "12"))).is_none());
        assert!(osv_package(&rpm, None).is_none());
    }
}
