use std::collections::{BTreeMap, HashMap};

use plimsoll_types::{FileFacts, LayerFacts, LayerRef, OsRelease, Package, PackageKind};

use crate::purl::purl;

/// The image view of a stack of layers.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FoldedImage {
    /// The distribution from the surviving `os-release` (`/etc` preferred over `/usr/lib`).
    pub os: Option<OsRelease>,
    /// Packages with purl and origin layer set, sorted by (kind, name, version, path).
    pub packages: Vec<Package>,
    /// Warnings of the files that survive in the view.
    pub warnings: Vec<String>,
}

/// A file of the view with the origin layer of each of its packages.
struct ViewFile {
    facts: FileFacts,
    origins: Vec<LayerRef>,
}

/// Folds layers (base first) into the image view.
pub fn fold(layers: &[LayerFacts]) -> FoldedImage {
    let mut view: BTreeMap<String, ViewFile> = BTreeMap::new();
    for (index, layer) in layers.iter().enumerate() {
        let this_layer = LayerRef {
            index,
            digest: layer.digest.clone(),
            diff_id: layer.diff_id.clone(),
        };
        for dir in &layer.opaque_dirs {
            remove_under(&mut view, dir);
        }
        for path in &layer.whiteouts {
            view.remove(path);
            remove_under(&mut view, path);
        }
        for file in &layer.files {
            let lower = view.remove(&file.path);
            let origins = file
                .packages
                .iter()
                .map(|package| {
                    lower
                        .as_ref()
                        .and_then(|lower| {
                            lower
                                .facts
                                .packages
                                .iter()
                                .position(|p| p.identity() == package.identity())
                                .map(|i| lower.origins[i].clone())
                        })
                        .unwrap_or_else(|| this_layer.clone())
                })
                .collect();
            view.insert(
                file.path.clone(),
                ViewFile {
                    facts: file.clone(),
                    origins,
                },
            );
        }
    }

    let os = ["/etc/os-release", "/usr/lib/os-release"]
        .iter()
        .find_map(|p| view.get(*p).and_then(|f| f.facts.os.clone()));
    let mut packages = Vec::new();
    let mut warnings = Vec::new();
    for file in view.into_values() {
        warnings.extend(
            file.facts
                .warnings
                .iter()
                .map(|w| format!("{}: {w}", file.facts.path)),
        );
        for (mut package, origin) in file.facts.packages.into_iter().zip(file.origins) {
            package.purl = purl(&package, os.as_ref());
            package.layer = Some(origin);
            packages.push(package);
        }
    }
    drop_lockfile_twins(&mut packages);
    packages.sort_by(|a, b| {
        (a.kind, &a.name, &a.version, &a.found_in).cmp(&(b.kind, &b.name, &b.version, &b.found_in))
    });
    FoldedImage {
        os,
        packages,
        warnings,
    }
}

/// Removes every view entry strictly under directory `dir`.
fn remove_under(view: &mut BTreeMap<String, ViewFile>, dir: &str) {
    let prefix = if dir.ends_with('/') {
        dir.to_owned()
    } else {
        format!("{dir}/")
    };
    let doomed: Vec<String> = view
        .range(prefix.clone()..)
        .take_while(|(k, _)| k.starts_with(&prefix))
        .map(|(k, _)| k.clone())
        .collect();
    for path in doomed {
        view.remove(&path);
    }
}

/// An npm project in an image usually carries both `package-lock.json` and the installed
/// `node_modules`; both describe the same packages. Installed copies are what runs, so a lock
/// entry is dropped when the same name and version is installed under the lockfile's directory.
fn drop_lockfile_twins(packages: &mut Vec<Package>) {
    let mut installed: HashMap<(&str, &str), Vec<&str>> = HashMap::new();
    for p in packages
        .iter()
        .filter(|p| p.kind == PackageKind::Npm && !p.found_in.ends_with("/package-lock.json"))
    {
        installed
            .entry((p.name.as_str(), p.version.as_str()))
            .or_default()
            .push(p.found_in.as_str());
    }
    let redundant: Vec<bool> = packages
        .iter()
        .map(|p| {
            let Some(project) = p
                .found_in
                .strip_suffix("/package-lock.json")
                .filter(|_| p.kind == PackageKind::Npm)
            else {
                return false;
            };
            let modules = format!("{project}/node_modules/");
            installed
                .get(&(p.name.as_str(), p.version.as_str()))
                .is_some_and(|paths| paths.iter().any(|path| path.starts_with(&modules)))
        })
        .collect();
    let mut flags = redundant.into_iter();
    packages.retain(|_| !flags.next().unwrap_or(false));
}

#[cfg(test)]
mod tests {
    use plimsoll_types::{Digest, SourcePackage};

    use super::*;

    fn deb(name: &str, version: &str) -> Package {
        let mut p = Package::new(PackageKind::Deb, name, version, "/var/lib/dpkg/status");
        p.arch = Some("amd64".into());
        p.source = Some(SourcePackage {
            name: name.into(),
            version: version.into(),
        });
        p
    }

    fn python(name: &str, version: &str, dir: &str) -> FileFacts {
        let path = format!("{dir}/{name}-{version}.dist-info/METADATA");
        FileFacts {
            packages: vec![Package::new(PackageKind::Python, name, version, &path)],
            path,
            cataloger: "python".into(),
            ..FileFacts::default()
        }
    }

    fn status(packages: Vec<Package>) -> FileFacts {
        FileFacts {
            path: "/var/lib/dpkg/status".into(),
            cataloger: "dpkg".into(),
            packages,
            ..FileFacts::default()
        }
    }

    fn os_release() -> FileFacts {
        FileFacts {
            path: "/usr/lib/os-release".into(),
            cataloger: "os-release".into(),
            os: Some(OsRelease {
                id: "debian".into(),
                version_id: Some("12".into()),
                ..OsRelease::default()
            }),
            ..FileFacts::default()
        }
    }

    fn layer(n: u8, files: Vec<FileFacts>, whiteouts: &[&str], opaque: &[&str]) -> LayerFacts {
        LayerFacts {
            digest: Digest::sha256_of(&[n]),
            diff_id: Digest::sha256_of(&[n, n]),
            compressed_size: 0,
            uncompressed_size: 0,
            entries: 0,
            analyzers: vec![],
            files,
            whiteouts: whiteouts.iter().map(|s| (*s).to_owned()).collect(),
            opaque_dirs: opaque.iter().map(|s| (*s).to_owned()).collect(),
            secrets: vec![],
        }
    }

    fn names(image: &FoldedImage) -> Vec<(&str, usize)> {
        image
            .packages
            .iter()
            .map(|p| (p.name.as_str(), p.layer.as_ref().unwrap().index))
            .collect()
    }

    const SITE: &str = "/usr/local/lib/python3.11/site-packages";

    #[test]
    fn a_rewritten_status_keeps_the_origin_of_unchanged_packages() {
        let image = fold(&[
            layer(
                0,
                vec![
                    status(vec![deb("bash", "5.2-1"), deb("curl", "7.88-1")]),
                    os_release(),
                ],
                &[],
                &[],
            ),
            layer(
                1,
                vec![status(vec![
                    deb("bash", "5.2-1"),
                    deb("curl", "7.88-2"),
                    deb("jq", "1.6-2"),
                ])],
                &[],
                &[],
            ),
            layer(
                2,
                vec![status(vec![deb("bash", "5.2-1"), deb("jq", "1.6-2")])],
                &[],
                &[],
            ),
        ]);
        assert_eq!(
            names(&image),
            [("bash", 0), ("jq", 1)],
            "curl was removed by the last rewrite"
        );
        assert_eq!(image.os.as_ref().unwrap().id, "debian");
        let bash = &image.packages[0];
        assert_eq!(
            bash.purl.as_deref(),
            Some("pkg:deb/debian/bash@5.2-1?arch=amd64&distro=debian-12")
        );
        assert_eq!(
            bash.layer.as_ref().unwrap().diff_id,
            Digest::sha256_of(&[0, 0])
        );
    }

    #[test]
    fn whiteouts_and_opaque_dirs_remove_lower_files_only() {
        let image = fold(&[
            layer(
                0,
                vec![
                    python("six", "1.16.0", SITE),
                    python("idna", "3.7", SITE),
                    python("attrs", "23.2.0", "/opt/venv/site-packages"),
                ],
                &[],
                &[],
            ),
            layer(
                1,
                vec![python("certifi", "2024.2.2", "/opt/venv/site-packages")],
                &[&format!("{SITE}/six-1.16.0.dist-info")],
                &["/opt/venv"],
            ),
        ]);
        assert_eq!(names(&image), [("certifi", 1), ("idna", 0)]);
    }

    #[test]
    fn whiting_out_a_parent_directory_removes_everything_below() {
        let image = fold(&[
            layer(0, vec![python("six", "1.16.0", SITE)], &[], &[]),
            layer(1, vec![], &["/usr/local/lib/python3.11"], &[]),
        ]);
        assert!(image.packages.is_empty());
        // A sibling with a shared prefix survives.
        let image = fold(&[
            layer(0, vec![python("six", "1.16.0", SITE)], &[], &[]),
            layer(1, vec![], &["/usr/local/lib/python3.1"], &[]),
        ]);
        assert_eq!(image.packages.len(), 1);
    }

    #[test]
    fn lockfile_entries_with_an_installed_twin_are_dropped() {
        let lock = FileFacts {
            path: "/app/package-lock.json".into(),
            cataloger: "npm".into(),
            packages: vec![
                Package::new(
                    PackageKind::Npm,
                    "express",
                    "4.19.2",
                    "/app/package-lock.json",
                ),
                Package::new(
                    PackageKind::Npm,
                    "left-pad",
                    "1.3.0",
                    "/app/package-lock.json",
                ),
            ],
            ..FileFacts::default()
        };
        let installed = FileFacts {
            path: "/app/node_modules/express/package.json".into(),
            cataloger: "npm".into(),
            packages: vec![Package::new(
                PackageKind::Npm,
                "express",
                "4.19.2",
                "/app/node_modules/express/package.json",
            )],
            ..FileFacts::default()
        };
        let image = fold(&[layer(0, vec![lock, installed], &[], &[])]);
        let found: Vec<_> = image
            .packages
            .iter()
            .map(|p| (p.name.as_str(), p.found_in.as_str()))
            .collect();
        assert_eq!(
            found,
            [
                ("express", "/app/node_modules/express/package.json"),
                ("left-pad", "/app/package-lock.json")
            ]
        );
    }
}
