use packageurl::PackageUrl;

use plimsoll_types::{OsRelease, Package, PackageKind};

/// A purl whose name is the part after the last `separator` and namespace the part before.
fn namespaced<'a>(
    ty: &'a str,
    name: &'a str,
    separator: char,
) -> Result<PackageUrl<'a>, packageurl::Error> {
    match name.rsplit_once(separator) {
        Some((namespace, short)) if !namespace.is_empty() && !short.is_empty() => {
            let mut p = PackageUrl::new(ty, short)?;
            p.with_namespace(namespace)?;
            Ok(p)
        }
        _ => PackageUrl::new(ty, name),
    }
}

/// PEP 503 name normalisation: lowercase, runs of `-`, `_`, `.` become one `-`.
pub fn pep503_normalise(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut in_separator = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            if !in_separator {
                out.push('-');
            }
            in_separator = true;
        } else {
            out.push(c.to_ascii_lowercase());
            in_separator = false;
        }
    }
    out
}

/// The package URL of a package, per the purl-spec type definitions (`deb`, `apk`, `pypi`,
/// `npm`, `maven`). OS packages carry the distro as a qualifier (`distro=debian-12`), as Syft and
/// Trivy write it, because the same name and version mean different builds on different
/// releases. `None` only when the name is empty.
pub fn purl(package: &Package, os: Option<&OsRelease>) -> Option<String> {
    let distro = os.map(|os| match &os.version_id {
        Some(v) => format!("{}-{v}", os.id),
        None => os.id.clone(),
    });
    let build = || -> Result<String, packageurl::Error> {
        let mut purl = match package.kind {
            PackageKind::Deb => {
                let mut p = PackageUrl::new("deb", package.name.as_str())?;
                p.with_namespace(os.map_or("debian", |o| o.id.as_str()))?;
                p
            }
            PackageKind::Apk => {
                let mut p = PackageUrl::new("apk", package.name.as_str())?;
                p.with_namespace(os.map_or("alpine", |o| o.id.as_str()))?;
                p
            }
            PackageKind::Python => PackageUrl::new("pypi", pep503_normalise(&package.name))?,
            PackageKind::Npm => match package.name.split_once('/') {
                Some((scope, name)) if scope.starts_with('@') => {
                    let mut p = PackageUrl::new("npm", name)?;
                    p.with_namespace(scope)?;
                    p
                }
                _ => PackageUrl::new("npm", package.name.as_str())?,
            },
            // `pkg:maven/<group>/<artifact>@<version>`; an artifact whose group is unknown
            // (a jar named only by its file name) has no namespace.
            PackageKind::Maven => match package.maven_coordinates() {
                Some((group, artifact)) => {
                    let mut p = PackageUrl::new("maven", artifact)?;
                    p.with_namespace(group)?;
                    p
                }
                None => PackageUrl::new("maven", package.name.trim_start_matches(':').to_owned())?,
            },
            PackageKind::Rpm => {
                let mut p = PackageUrl::new("rpm", package.name.as_str())?;
                p.with_namespace(os.map_or("redhat", |o| o.id.as_str()))?;
                p
            }
            // Module paths split at the last `/`: `pkg:golang/github.com/gorilla/mux`.
            PackageKind::Go => namespaced("golang", &package.name, '/')?,
            PackageKind::Cargo => PackageUrl::new("cargo", package.name.as_str())?,
            PackageKind::Gem => PackageUrl::new("gem", package.name.as_str())?,
            PackageKind::Composer => namespaced("composer", &package.name, '/')?,
            PackageKind::Nuget => PackageUrl::new("nuget", package.name.as_str())?,
            PackageKind::Conda => PackageUrl::new("conda", package.name.as_str())?,
        };
        // rpm purls carry the epoch as a qualifier, not in the version.
        let (epoch, version) = match package.version.split_once(':') {
            Some((epoch, rest))
                if package.kind == PackageKind::Rpm
                    && epoch.bytes().all(|b| b.is_ascii_digit()) =>
            {
                (Some(epoch), rest)
            }
            _ => (None, package.version.as_str()),
        };
        purl.with_version(version)?;
        if let Some(epoch) = epoch {
            purl.add_qualifier("epoch", epoch)?;
        }
        if package.kind.is_os() {
            if let Some(arch) = &package.arch {
                purl.add_qualifier("arch", arch.as_str())?;
            }
            if let Some(distro) = &distro {
                purl.add_qualifier("distro", distro.as_str())?;
            }
            if let Some(source) = package.source.as_ref().filter(|s| s.name != package.name) {
                purl.add_qualifier("upstream", source.name.as_str())?;
            }
        }
        Ok(purl.to_string())
    };
    build().ok()
}

#[cfg(test)]
mod tests {
    use plimsoll_types::SourcePackage;

    use super::*;

    #[test]
    fn purls_per_type() {
        let alpine = OsRelease {
            id: "alpine".into(),
            version_id: Some("3.19.1".into()),
            ..OsRelease::default()
        };
        let mut musl = Package::new(
            PackageKind::Apk,
            "musl-utils",
            "1.2.4_git20230717-r4",
            "/lib/apk/db/installed",
        );
        musl.arch = Some("x86_64".into());
        musl.source = Some(SourcePackage {
            name: "musl".into(),
            version: "1.2.4_git20230717-r4".into(),
        });
        assert_eq!(
            purl(&musl, Some(&alpine)).unwrap(),
            "pkg:apk/alpine/musl-utils@1.2.4_git20230717-r4?arch=x86_64&distro=alpine-3.19.1&upstream=musl"
        );
        let scoped = Package::new(PackageKind::Npm, "@types/node", "20.1.0", "/x");
        assert_eq!(purl(&scoped, None).unwrap(), "pkg:npm/%40types/node@20.1.0");
        let log4j = Package::new(
            PackageKind::Maven,
            "org.apache.logging.log4j:log4j-core",
            "2.14.1",
            "/app/app.jar!/BOOT-INF/lib/log4j-core-2.14.1.jar",
        );
        assert_eq!(
            purl(&log4j, None).unwrap(),
            "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"
        );
        let bare = Package::new(PackageKind::Maven, "foo", "1.0", "/x");
        assert_eq!(purl(&bare, None).unwrap(), "pkg:maven/foo@1.0");
        let py = Package::new(PackageKind::Python, "Charset_Normalizer", "3.3.2", "/x");
        assert_eq!(
            purl(&py, None).unwrap(),
            "pkg:pypi/charset-normalizer@3.3.2"
        );
        let epoch = Package::new(PackageKind::Deb, "libc6", "1:2.36-9", "/x");
        assert_eq!(purl(&epoch, None).unwrap(), "pkg:deb/debian/libc6@1:2.36-9");
    }

    #[test]
    fn pep503() {
        assert_eq!(pep503_normalise("Foo.Bar__baz-_-qux"), "foo-bar-baz-qux");
    }
}
