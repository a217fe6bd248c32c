use serde::{Deserialize, Serialize};

use crate::Digest;

/// Which package manager recorded a package; decides its purl type and, later, its
/// vulnerability ecosystem and version ordering.
///
/// Deliberately not `#[non_exhaustive]`: adding a kind must break every `match` on it, so no
/// stage forgets the new kind (house rule 7).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PackageKind {
    /// Debian/Ubuntu dpkg database (`/var/lib/dpkg/status`, distroless `status.d/*`).
    Deb,
    /// Alpine apk database (`/lib/apk/db/installed`).
    Apk,
    /// Installed Python distributions (`*.dist-info/METADATA`, `*.egg-info/PKG-INFO`).
    Python,
    /// npm packages (`node_modules/**/package.json`, `package-lock.json`).
    Npm,
    /// Java archives (`*.jar`, `*.war`, `*.ear`, nested jars): Maven coordinates, named
    /// `group:artifact` as OSV's `Maven` ecosystem names them (`org.apache.logging.log4j:log4j-core`).
    /// [`Package::maven_coordinates`] splits the name back into group and artifact.
    Maven,
    /// rpm database (`/var/lib/rpm/rpmdb.sqlite`, `Packages`, `Packages.db`): version is
    /// `[epoch:]version-release`, as rpm-distribution advisories write it.
    Rpm,
    /// Go modules from a binary's build info, and the Go standard library (`stdlib`, version
    /// without the `go` prefix, as OSV's Go ecosystem names it). Names are module paths.
    Go,
    /// Rust crates (`cargo auditable` data in binaries, `Cargo.lock`); OSV ecosystem `crates.io`.
    Cargo,
    /// Ruby gems (`specifications/*.gemspec`, `Gemfile.lock`).
    Gem,
    /// PHP Composer packages (`composer.lock`, `vendor/composer/installed.json`), `vendor/name`.
    Composer,
    /// .NET `NuGet` packages (`*.deps.json`, `packages.lock.json`).
    Nuget,
    /// conda packages (`conda-meta/*.json`); no OSV ecosystem, so inventoried but not matched.
    Conda,
}

impl PackageKind {
    /// Every kind, in a stable order (used for summaries and docs).
    pub const ALL: [PackageKind; 12] = [
        PackageKind::Deb,
        PackageKind::Apk,
        PackageKind::Python,
        PackageKind::Npm,
        PackageKind::Maven,
        PackageKind::Rpm,
        PackageKind::Go,
        PackageKind::Cargo,
        PackageKind::Gem,
        PackageKind::Composer,
        PackageKind::Nuget,
        PackageKind::Conda,
    ];

    /// The stable lowercase name used in JSON output and tables.
    pub fn as_str(self) -> &'static str {
        match self {
            PackageKind::Deb => "deb",
            PackageKind::Apk => "apk",
            PackageKind::Python => "python",
            PackageKind::Npm => "npm",
            PackageKind::Maven => "maven",
            PackageKind::Rpm => "rpm",
            PackageKind::Go => "go",
            PackageKind::Cargo => "cargo",
            PackageKind::Gem => "gem",
            PackageKind::Composer => "composer",
            PackageKind::Nuget => "nuget",
            PackageKind::Conda => "conda",
        }
    }

    /// Whether packages of this kind belong to the operating system (matched against distro
    /// advisories) rather than a language ecosystem.
    pub fn is_os(self) -> bool {
        match self {
            PackageKind::Deb | PackageKind::Apk | PackageKind::Rpm => true,
            PackageKind::Python
            | PackageKind::Npm
            | PackageKind::Maven
            | PackageKind::Go
            | PackageKind::Cargo
            | PackageKind::Gem
            | PackageKind::Composer
            | PackageKind::Nuget
            | PackageKind::Conda => false,
        }
    }
}

/// The source package a binary package was built from, as the package manager records it
/// (dpkg `Source:`, apk `o:` origin). Distro advisories are keyed by source package.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct SourcePackage {
    /// Source package name.
    pub name: String,
    /// Source version where it differs from the binary version (dpkg `Source: name (version)`).
    pub version: String,
}

/// The layer that introduced a package into the image view.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LayerRef {
    /// Position in the manifest, 0 = base.
    pub index: usize,
    /// Digest of the layer blob as stored in the registry.
    pub digest: Digest,
    /// Digest of the uncompressed tar (`rootfs.diff_ids` in the image config).
    pub diff_id: Digest,
}

/// One installed package.
///
/// Catalogers fill the fields they can read from one file; the inventory fold adds `purl`
/// (which needs the distro, possibly from another layer) and `layer`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Package {
    /// Name as the package manager spells it (Python: the distribution's own spelling;
    /// PEP 503 normalisation is in the purl and in matching).
    pub name: String,
    /// Version as recorded (dpkg `Version:` with epoch and revision, apk `V:`, …).
    pub version: String,
    /// The package manager that recorded it.
    pub kind: PackageKind,
    /// Source package, where the package manager records one; for dpkg without a `Source:`
    /// field the source is the package itself, as dpkg defines.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<SourcePackage>,
    /// Architecture (`amd64`, `x86_64`, `all`, `noarch`) where recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arch: Option<String>,
    /// Declared licences, as recorded (not normalised to SPDX ids yet).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub licenses: Vec<String>,
    /// Path of the file the package was found in, absolute inside the image (`/var/lib/dpkg/status`).
    pub found_in: String,
    /// Package URL (<https://github.com/package-url/purl-spec>), set by the inventory fold.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purl: Option<String>,
    /// The layer that introduced this package, set by the inventory fold.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layer: Option<LayerRef>,
}

impl Package {
    /// A package with the required fields; the rest start empty.
    pub fn new(
        kind: PackageKind,
        name: impl Into<String>,
        version: impl Into<String>,
        found_in: impl Into<String>,
    ) -> Self {
        Package {
            name: name.into(),
            version: version.into(),
            kind,
            source: None,
            arch: None,
            licenses: Vec::new(),
            found_in: found_in.into(),
            purl: None,
            layer: None,
        }
    }

    /// `(group, artifact)` of a [`PackageKind::Maven`] package, whose name is `group:artifact`;
    /// `None` for other kinds, and for a Maven package known only by its artifact (a jar with
    /// neither `pom.properties` nor a group in its manifest).
    pub fn maven_coordinates(&self) -> Option<(&str, &str)> {
        if self.kind != PackageKind::Maven {
            return None;
        }
        self.name
            .split_once(':')
            .filter(|(group, artifact)| !group.is_empty() && !artifact.is_empty())
    }

    /// Identity of a package inside one file: the same (kind, name, version, arch) in a lower
    /// and an upper copy of a file means the upper layer did not change that package.
    pub fn identity(&self) -> (PackageKind, &str, &str, Option<&str>) {
        (self.kind, &self.name, &self.version, self.arch.as_deref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maven_coordinates_split_group_and_artifact() {
        let p = |kind, name| Package::new(kind, name, "1", "/x.jar");
        assert_eq!(
            p(PackageKind::Maven, "org.apache.commons:commons-lang3").maven_coordinates(),
            Some(("org.apache.commons", "commons-lang3"))
        );
        assert_eq!(
            p(PackageKind::Maven, "commons-lang3").maven_coordinates(),
            None
        );
        assert_eq!(p(PackageKind::Maven, ":x").maven_coordinates(), None);
        assert_eq!(p(PackageKind::Npm, "a:b").maven_coordinates(), None);
        assert_eq!(PackageKind::Maven.as_str(), "maven");
        assert!(!PackageKind::Maven.is_os());
        assert!(PackageKind::ALL.contains(&PackageKind::Maven));
    }
}
