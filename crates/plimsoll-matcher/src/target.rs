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
    // Debian and Alpine advisories are keyed by source package and version; dpkg and apk
    // record both (the catalogers set the package itself as its source when none is given).
    // rpm distributions' advisories (AlmaLinux, Rocky, SUSE) name binary packages with their
    // full `[epoch:]version-release`.
    let (name, version) = match (&package.source, package.kind) {
        (Some(source), PackageKind::Deb | PackageKind::Apk) => {
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

/// `Debian:12`, `Ubuntu:22.04:LTS`, `Alpine:v3.19` from `os-release`, as OSV spells them.
fn distro_ecosystem(kind: PackageKind, os: &OsRelease) -> Option<String> {
    let version = os.version_id.as_deref()?;
    match (kind, os.id.as_str()) {
        (PackageKind::Deb, "debian") => {
            // OSV's Debian ecosystems are per major release (`Debian:12`); point releases
            // (`12.5` in some derivatives) share them.
            let major = version.split('.').next()?;
            Some(format!("Debian:{major}"))
        }
        (PackageKind::Deb, "ubuntu") => {
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
            let mut parts = version.split('.');
            let (major, minor) = (parts.next()?, parts.next()?);
            Some(format!("Alpine:v{major}.{minor}"))
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
}
