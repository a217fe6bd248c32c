//! The one list of schemes and the maps from OSV ecosystems and package kinds to them.

use plimsoll_types::PackageKind;

use crate::{Apk, Composer, Dpkg, Maven, NuGet, Pep440, Rpm, RubyGems, Semver, VersionScheme};

/// Every scheme this crate implements.
pub fn all() -> &'static [&'static dyn VersionScheme] {
    &[
        &Dpkg, &Apk, &Rpm, &Pep440, &Semver, &NuGet, &Maven, &RubyGems, &Composer,
    ]
}

/// The scheme that orders versions of an OSV ecosystem, or `None` when this crate has no
/// ordering for it.
///
/// Only the base name before the first `:` decides (`Debian:12`, `Ubuntu:Pro:18.04:LTS`,
/// `Alpine:v3.19`, `Red Hat:rhel_aus:8.4::appstream`); names are the schema's exact spelling.
///
/// `None` is deliberate for ecosystems whose ordering is not one of these schemes, because a
/// near miss would silently misjudge some versions:
/// - `Hackage`, `CRAN`, `Bioconductor`, `ConanCenter`, `opam`, `Julia` and the rest: their own
///   orderings, not implemented yet.
/// - `Linux`, `Android`, `OSS-Fuzz`, `GIT`: commit or kernel ranges, not package versions.
/// - `Root`: its ordering depends on the base distribution named in the suffix.
pub fn scheme_for(ecosystem: &str) -> Option<&'static dyn VersionScheme> {
    let base = ecosystem
        .split_once(':')
        .map_or(ecosystem, |(base, _)| base);
    Some(match base {
        "Debian" | "Ubuntu" => &Dpkg,
        // apk-based distributions (Alpaquita's OSV ecosystem is "BellSoft").
        "Alpine"
        | "Wolfi"
        | "Chainguard"
        | "Alpaquita"
        | "BellSoft"
        | "BellSoft Hardened Containers" => &Apk,
        "Red Hat" | "Rocky Linux" | "AlmaLinux" | "openSUSE" | "SUSE" | "Photon OS" | "Mageia"
        | "openEuler" | "Azure Linux" => &Rpm,
        "PyPI" => &Pep440,
        "npm" | "crates.io" | "Go" | "Hex" | "Pub" | "SwiftURL" => &Semver,
        "NuGet" => &NuGet,
        "Maven" => &Maven,
        "RubyGems" => &RubyGems,
        // Composer orders `dev < alpha < beta < RC < stable < patch` and pads `1.0` to
        // `1.0.0.0`; `SemVer` would put `-p1` patches before the release.
        "Packagist" => &Composer,
        _ => return None,
    })
}

/// The scheme that orders versions of installed packages of one kind, or `None` where this
/// crate has none (conda, which has no OSV ecosystem).
///
/// An exhaustive `match`: a new [`PackageKind`] does not compile until it is decided here.
pub fn scheme_for_package(kind: PackageKind) -> Option<&'static dyn VersionScheme> {
    Some(match kind {
        PackageKind::Deb => &Dpkg,
        PackageKind::Apk => &Apk,
        PackageKind::Rpm => &Rpm,
        PackageKind::Python => &Pep440,
        PackageKind::Npm | PackageKind::Go | PackageKind::Cargo => &Semver,
        PackageKind::Maven => &Maven,
        PackageKind::Gem => &RubyGems,
        PackageKind::Nuget => &NuGet,
        PackageKind::Composer => &Composer,
        PackageKind::Conda => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ecosystems_map_by_base_name() {
        let cases = [
            ("Debian", "dpkg"),
            ("Debian:12", "dpkg"),
            ("Ubuntu:22.04:LTS", "dpkg"),
            ("Ubuntu:Pro:18.04:LTS", "dpkg"),
            ("Alpine:v3.19", "apk"),
            ("Wolfi", "apk"),
            ("PyPI", "pep440"),
            ("npm", "semver"),
            ("crates.io", "semver"),
            ("Go", "semver"),
            ("NuGet", "nuget"),
            ("Maven", "maven"),
            ("Maven:https://maven.google.com", "maven"),
            ("RubyGems", "rubygems"),
            ("Packagist", "composer"),
            ("Red Hat:rhel_aus:8.4::appstream", "rpm"),
            ("Rocky Linux:9", "rpm"),
            ("AlmaLinux:8", "rpm"),
            ("openSUSE:Tumbleweed", "rpm"),
            ("SUSE:Linux Enterprise Server 15 SP5", "rpm"),
        ];
        for (ecosystem, scheme) in cases {
            assert_eq!(
                scheme_for(ecosystem).map(VersionScheme::name),
                Some(scheme),
                "{ecosystem}"
            );
        }
        for unsupported in ["Hackage", "Linux", "GIT", "debian", "", "Root:Alpine:3.18"] {
            assert!(scheme_for(unsupported).is_none(), "{unsupported}");
        }
    }

    #[test]
    fn every_scheme_is_listed_once() {
        let mut names: Vec<_> = all().iter().map(|s| s.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), all().len());
        for kind in PackageKind::ALL {
            match scheme_for_package(kind) {
                Some(scheme) => assert!(names.contains(&scheme.name())),
                None => assert!(matches!(kind, PackageKind::Conda), "{kind:?} has no scheme"),
            }
        }
    }
}
