use std::collections::{BTreeMap, BTreeSet, HashMap};

use plimsoll_types::{
    FileFacts, LayerChanges, LayerFacts, LayerRef, OsRelease, Package, PackageId, PackageKind,
    Secret, VersionChange,
};

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
    /// What each layer did to the package view below it, one entry per layer.
    pub layer_changes: Vec<LayerChanges>,
    /// Secrets of every layer with their layer set, and the later layer that deletes each file
    /// where one does: a deleted file is still in the lower blob. A secret repeated unchanged
    /// in a later layer (a file copied up by `chmod`, say) is listed once, at its first layer.
    pub secrets: Vec<Secret>,
}

/// Versions of each (kind, name) in a view: what per-layer changes compare.
type PackageSet = BTreeMap<(PackageKind, String), BTreeSet<String>>;

/// A file of the view with the origin layer of each of its packages.
struct ViewFile {
    facts: FileFacts,
    origins: Vec<LayerRef>,
}

/// Folds layers (base first) into the image view.
pub fn fold(layers: &[LayerFacts]) -> FoldedImage {
    let mut view: BTreeMap<String, ViewFile> = BTreeMap::new();
    let mut layer_changes = Vec::with_capacity(layers.len());
    let mut before = PackageSet::new();
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
        let touched =
            !(layer.files.is_empty() && layer.whiteouts.is_empty() && layer.opaque_dirs.is_empty());
        if touched {
            let after = package_set(&view);
            layer_changes.push(changes(&before, &after));
            before = after;
        } else {
            layer_changes.push(LayerChanges::default());
        }
    }
    let secrets = fold_secrets(layers);

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
        layer_changes,
        secrets,
    }
}

fn package_set(view: &BTreeMap<String, ViewFile>) -> PackageSet {
    let mut set = PackageSet::new();
    for file in view.values() {
        for p in &file.facts.packages {
            set.entry((p.kind, p.name.clone()))
                .or_default()
                .insert(p.version.clone());
        }
    }
    set
}

/// Compares two views by (kind, name): versions only after are added, only before removed; a
/// name that lost exactly one version and gained exactly one changed version.
fn changes(before: &PackageSet, after: &PackageSet) -> LayerChanges {
    let empty = BTreeSet::new();
    let mut out = LayerChanges::default();
    let names: BTreeSet<&(PackageKind, String)> = before.keys().chain(after.keys()).collect();
    for key in names {
        let old = before.get(key).unwrap_or(&empty);
        let new = after.get(key).unwrap_or(&empty);
        if old == new {
            continue;
        }
        let gone: Vec<&String> = old.difference(new).collect();
        let came: Vec<&String> = new.difference(old).collect();
        let id = |version: &String| PackageId {
            kind: key.0,
            name: key.1.clone(),
            version: version.clone(),
        };
        if let ([from], [to]) = (gone.as_slice(), came.as_slice()) {
            out.changed.push(VersionChange {
                kind: key.0,
                name: key.1.clone(),
                from: (*from).clone(),
                to: (*to).clone(),
            });
        } else {
            out.removed.extend(gone.into_iter().map(id));
            out.added.extend(came.into_iter().map(id));
        }
    }
    out
}

/// Whether `layer` deletes `path` from the layers below (a whiteout of it or of a parent
/// directory, or an opaque parent directory).
fn deletes(layer: &LayerFacts, path: &str) -> bool {
    let under = |dir: &str| {
        path.strip_prefix(dir.trim_end_matches('/'))
            .is_some_and(|rest| rest.starts_with('/'))
    };
    layer.whiteouts.iter().any(|w| w == path || under(w))
        || layer.opaque_dirs.iter().any(|d| under(d))
}

fn fold_secrets(layers: &[LayerFacts]) -> Vec<Secret> {
    let mut out: Vec<Secret> = Vec::new();
    for (index, layer) in layers.iter().enumerate() {
        let this_layer = LayerRef {
            index,
            digest: layer.digest.clone(),
            diff_id: layer.diff_id.clone(),
        };
        for secret in &layer.secrets {
            let repeated = out.iter().any(|s| {
                s.deleted_in_layer.is_none_or(|d| d > index)
                    && (&s.rule, &s.path, s.line, &s.redacted)
                        == (&secret.rule, &secret.path, secret.line, &secret.redacted)
            });
            if repeated {
                continue;
            }
            let mut secret = secret.clone();
            secret.layer = Some(this_layer.clone());
            secret.deleted_in_layer = layers
                .iter()
                .enumerate()
                .skip(index + 1)
                .find(|(_, upper)| deletes(upper, &secret.path))
                .map(|(i, _)| i);
            out.push(secret);
        }
    }
    out
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

/// Lockfiles whose entries describe what an installed tree beside them also records:
/// (kind, lockfile name, where the installed copies of the project live, relative to the
/// lockfile's directory).
const LOCKFILE_TWINS: &[(PackageKind, &str, &str)] = &[
    (PackageKind::Npm, "package-lock.json", "node_modules/"),
    (PackageKind::Npm, "yarn.lock", "node_modules/"),
    (PackageKind::Npm, "pnpm-lock.yaml", "node_modules/"),
    (PackageKind::Composer, "composer.lock", "vendor/"),
];

/// The (lockfile name, installed-tree prefix) a package was found through, if it came from a
/// lockfile of [`LOCKFILE_TWINS`]: the project directory and the installed tree's prefix.
fn lockfile_project(p: &Package) -> Option<(&str, &'static str)> {
    LOCKFILE_TWINS.iter().find_map(|(kind, name, tree)| {
        let project = p.found_in.strip_suffix(name)?.strip_suffix('/')?;
        (p.kind == *kind).then_some((project, *tree))
    })
}

/// A project in an image usually carries both its lockfile (`package-lock.json`, `yarn.lock`,
/// `pnpm-lock.yaml`, `composer.lock`) and the installed tree (`node_modules`, `vendor`); both
/// describe the same packages. Installed copies are what runs, so a lock entry is dropped when
/// the same name and version is installed under the lockfile's directory.
fn drop_lockfile_twins(packages: &mut Vec<Package>) {
    let mut installed: HashMap<(PackageKind, &str, &str), Vec<&str>> = HashMap::new();
    for p in packages.iter().filter(|p| lockfile_project(p).is_none()) {
        installed
            .entry((p.kind, p.name.as_str(), p.version.as_str()))
            .or_default()
            .push(p.found_in.as_str());
    }
    let redundant: Vec<bool> = packages
        .iter()
        .map(|p| {
            let Some((project, tree)) = lockfile_project(p) else {
                return false;
            };
            let prefix = format!("{project}/{tree}");
            installed
                .get(&(p.kind, p.name.as_str(), p.version.as_str()))
                .is_some_and(|paths| paths.iter().any(|path| path.starts_with(&prefix)))
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

    #[test]
    fn each_layer_records_added_removed_and_changed_packages() {
        let image = fold(&[
            layer(
                0,
                vec![status(vec![deb("bash", "5.2-1"), deb("curl", "7.88-1")])],
                &[],
                &[],
            ),
            layer(
                1,
                vec![
                    status(vec![
                        deb("bash", "5.2-1"),
                        deb("curl", "7.88-2"),
                        deb("jq", "1.6-2"),
                    ]),
                    python("six", "1.16.0", SITE),
                ],
                &[],
                &[],
            ),
            layer(2, vec![], &[], &[]),
            layer(3, vec![status(vec![deb("bash", "5.2-1")])], &[], &[]),
        ]);
        let id = |kind, name: &str, version: &str| PackageId {
            kind,
            name: name.into(),
            version: version.into(),
        };
        let c = &image.layer_changes;
        assert_eq!(c.len(), 4);
        assert_eq!(
            c[0].added,
            [
                id(PackageKind::Deb, "bash", "5.2-1"),
                id(PackageKind::Deb, "curl", "7.88-1")
            ]
        );
        assert_eq!(
            c[1].added,
            [
                id(PackageKind::Deb, "jq", "1.6-2"),
                id(PackageKind::Python, "six", "1.16.0")
            ]
        );
        assert_eq!(
            c[1].changed,
            [VersionChange {
                kind: PackageKind::Deb,
                name: "curl".into(),
                from: "7.88-1".into(),
                to: "7.88-2".into(),
            }]
        );
        assert!(c[1].removed.is_empty());
        assert!(c[2].is_empty(), "a layer without metadata changes nothing");
        assert_eq!(
            c[3].removed,
            [
                id(PackageKind::Deb, "curl", "7.88-2"),
                id(PackageKind::Deb, "jq", "1.6-2")
            ]
        );
        assert!(c[3].added.is_empty() && c[3].changed.is_empty());
    }

    fn secret(path: &str, line: u32) -> Secret {
        Secret {
            rule: "aws-access-key-id".into(),
            category: "AWS".into(),
            title: "AWS access key ID".into(),
            severity: plimsoll_types::Severity::Critical,
            path: path.into(),
            line,
            redacted: "AKIA****************".into(),
            layer: None,
            deleted_in_layer: None,
        }
    }

    #[test]
    fn secrets_keep_their_layer_and_the_layer_that_deleted_them() {
        let mut l0 = layer(0, vec![], &[], &[]);
        l0.secrets = vec![secret("/app/.env", 3), secret("/root/.aws/credentials", 2)];
        // Layer 1 copies /app/.env up unchanged (chmod) and adds a new one.
        let mut l1 = layer(1, vec![], &[], &[]);
        l1.secrets = vec![secret("/app/.env", 3), secret("/etc/app.conf", 1)];
        // Layer 2 deletes /root/.aws (the whole directory).
        let l2 = layer(2, vec![], &["/root/.aws"], &[]);
        // Layer 3 hides /etc by an opaque marker.
        let l3 = layer(3, vec![], &[], &["/etc"]);
        let image = fold(&[l0, l1, l2, l3]);
        let got: Vec<(&str, usize, Option<usize>)> = image
            .secrets
            .iter()
            .map(|s| {
                (
                    s.path.as_str(),
                    s.layer.as_ref().unwrap().index,
                    s.deleted_in_layer,
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("/app/.env", 0, None),
                ("/root/.aws/credentials", 0, Some(2)),
                ("/etc/app.conf", 1, Some(3)),
            ]
        );
    }

    #[test]
    fn yarn_and_composer_lock_entries_with_installed_twins_are_dropped() {
        let file = |path: &str, kind, pkgs: &[(&str, &str)]| FileFacts {
            path: path.into(),
            cataloger: "x".into(),
            packages: pkgs
                .iter()
                .map(|(n, v)| Package::new(kind, *n, *v, path))
                .collect(),
            ..FileFacts::default()
        };
        let image = fold(&[layer(
            0,
            vec![
                file(
                    "/app/yarn.lock",
                    PackageKind::Npm,
                    &[("debug", "4.3.4"), ("ms", "2.1.2")],
                ),
                file(
                    "/app/node_modules/debug/package.json",
                    PackageKind::Npm,
                    &[("debug", "4.3.4")],
                ),
                file(
                    "/srv/composer.lock",
                    PackageKind::Composer,
                    &[("monolog/monolog", "3.5.0"), ("psr/log", "3.0.0")],
                ),
                file(
                    "/srv/vendor/composer/installed.json",
                    PackageKind::Composer,
                    &[("monolog/monolog", "3.5.0")],
                ),
                // Same name and version under another project: not a twin.
                file(
                    "/other/pnpm-lock.yaml",
                    PackageKind::Npm,
                    &[("debug", "4.3.4")],
                ),
            ],
            &[],
            &[],
        )]);
        let got: Vec<(&str, &str)> = image
            .packages
            .iter()
            .map(|p| (p.name.as_str(), p.found_in.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("debug", "/app/node_modules/debug/package.json"),
                ("debug", "/other/pnpm-lock.yaml"),
                ("ms", "/app/yarn.lock"),
                ("monolog/monolog", "/srv/vendor/composer/installed.json"),
                ("psr/log", "/srv/composer.lock"),
            ]
        );
    }
}
