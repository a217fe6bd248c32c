use crate::Cataloger;
use crate::apk::ApkCataloger;
use crate::binary::BinaryCataloger;
use crate::cargo_lock::CargoLockCataloger;
use crate::composer::ComposerCataloger;
use crate::conda::CondaCataloger;
use crate::dotnet::DotnetCataloger;
use crate::dpkg::DpkgCataloger;
use crate::gem::GemCataloger;
use crate::java::JavaCataloger;
use crate::npm::NpmCataloger;
use crate::os_release::OsReleaseCataloger;
use crate::pnpm::PnpmCataloger;
use crate::python::PythonCataloger;
use crate::python_lock::PythonLockCataloger;
use crate::rpm::RpmCataloger;
use crate::yarn::YarnCataloger;

/// The catalogers that claim files by path alone, in [`all`]'s order. The `binary` cataloger
/// leaves their paths to them, so an executable `Cargo.lock` or status file is still claimed
/// once. A new path cataloger goes here too; a test checks that this is [`all`] without
/// `binary`.
pub(crate) const BY_PATH: [&dyn Cataloger; 15] = [
    &DpkgCataloger,
    &ApkCataloger,
    &PythonCataloger,
    &NpmCataloger,
    &JavaCataloger,
    &RpmCataloger,
    &OsReleaseCataloger,
    &GemCataloger,
    &ComposerCataloger,
    &DotnetCataloger,
    &YarnCataloger,
    &PnpmCataloger,
    &PythonLockCataloger,
    &CondaCataloger,
    &CargoLockCataloger,
];

/// Every enabled cataloger, in a fixed order. Adding a cataloger is one module plus one line here.
///
/// The order is part of the contract: the layer walk offers a file to the catalogers in this
/// order, and the cache key lists them sorted, so reordering changes neither facts nor keys.
pub fn all() -> Vec<Box<dyn Cataloger>> {
    vec![
        Box::new(DpkgCataloger),
        Box::new(ApkCataloger),
        Box::new(PythonCataloger),
        Box::new(NpmCataloger),
        Box::new(JavaCataloger),
        Box::new(RpmCataloger),
        Box::new(OsReleaseCataloger),
        Box::new(GemCataloger),
        Box::new(ComposerCataloger),
        Box::new(DotnetCataloger),
        Box::new(YarnCataloger),
        Box::new(PnpmCataloger),
        Box::new(PythonLockCataloger),
        Box::new(CondaCataloger),
        Box::new(CargoLockCataloger),
        Box::new(BinaryCataloger),
    ]
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::os::unix::fs::PermissionsExt as _;

    use super::*;
    use crate::FileCandidate;
    use crate::testutil;

    #[test]
    fn names_are_unique_and_versions_start_at_one() {
        let all = all();
        let names: BTreeSet<&str> = all.iter().map(|c| c.name()).collect();
        assert_eq!(names.len(), all.len());
        let names_in_order: Vec<&str> = all.iter().map(|c| c.name()).collect();
        assert_eq!(
            names_in_order,
            [
                "dpkg",
                "apk",
                "python",
                "npm",
                "java",
                "rpm",
                "os-release",
                "gem",
                "composer",
                "nuget",
                "yarn",
                "pnpm",
                "python-lock",
                "conda",
                "cargo-lock",
                "binary"
            ]
        );
        assert!(all.iter().all(|c| c.version() >= 1));
        let by_path: Vec<&str> = BY_PATH.iter().map(|c| c.name()).collect();
        assert_eq!(by_path, names_in_order[..BY_PATH.len()]);
    }

    /// Which cataloger (if any) claims each path: the glob half of the tests, as Syft's
    /// `TestCataloger_Globs` does it. No path may be claimed by two catalogers.
    #[test]
    fn each_path_is_claimed_by_the_right_cataloger() {
        let cases: &[(&str, Option<&str>)] = &[
            ("/var/lib/dpkg/status", Some("dpkg")),
            ("/var/lib/dpkg/status.d/libc6", Some("dpkg")),
            ("/var/lib/dpkg/status.d/libc6.md5sums", None),
            ("/var/lib/dpkg/status-old", None),
            ("/var/lib/dpkg/available", None),
            ("/lib/apk/db/installed", Some("apk")),
            (
                "/usr/lib/python3/dist-packages/six-1.16.0.egg-info/PKG-INFO",
                Some("python"),
            ),
            (
                "/usr/local/lib/python3.11/site-packages/flask-3.1.3.dist-info/METADATA",
                Some("python"),
            ),
            ("/usr/lib/python2.7/wsgiref.egg-info", Some("python")),
            (
                "/usr/local/lib/python3.11/site-packages/flask-3.1.3.dist-info/RECORD",
                None,
            ),
            ("/app/node_modules/debug/package.json", Some("npm")),
            ("/app/node_modules/@types/node/package.json", Some("npm")),
            ("/app/node_modules/tslib/modules/package.json", None),
            ("/app/package.json", None),
            ("/app/package-lock.json", Some("npm")),
            ("/app/node_modules/.package-lock.json", None),
            ("/app/app.jar", Some("java")),
            ("/usr/share/java/commons-lang3.JAR", Some("java")),
            ("/opt/jboss/deployments/app.war", Some("java")),
            ("/opt/app/app.ear", Some("java")),
            ("/var/jenkins_home/plugins/git.jpi", Some("java")),
            ("/var/jenkins_home/plugins/old.hpi", Some("java")),
            ("/opt/app/service.par", Some("java")),
            ("/app/.jar", None),
            ("/app/app.jar.sha1", None),
            ("/app/jar", None),
            ("/var/lib/rpm/rpmdb.sqlite", Some("rpm")),
            ("/var/lib/rpm/Packages", Some("rpm")),
            ("/var/lib/rpm/Packages.db", Some("rpm")),
            ("/usr/lib/sysimage/rpm/rpmdb.sqlite", Some("rpm")),
            ("/usr/lib/sysimage/rpm/Packages", Some("rpm")),
            ("/usr/lib/sysimage/rpm/Packages.db", Some("rpm")),
            ("/var/lib/rpm/rpmdb.sqlite-wal", None),
            ("/var/lib/rpm/rpmdb.sqlite-shm", None),
            ("/var/lib/rpm/Name", None),
            ("/usr/lib/sysimage/rpm/Index.db", None),
            ("/var/lib/rpm/sub/Packages", None),
            ("/root/var/lib/rpm/Packages", None),
            (
                "/var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages",
                None,
            ),
            ("/srv/repo/Packages", None),
            ("/var/lib/rpm/", None),
            ("/etc/os-release", Some("os-release")),
            ("/usr/lib/os-release", Some("os-release")),
            ("/etc/lsb-release", None),
            ("/app/Cargo.lock", Some("cargo-lock")),
            ("/usr/src/app/Cargo.lock", Some("cargo-lock")),
            ("/app/Cargo.toml", None),
            ("/usr/bin/kubectl", None),
            (
                "/usr/lib/ruby/gems/3.1.0/specifications/rake-13.0.6.gemspec",
                Some("gem"),
            ),
            (
                "/usr/lib/ruby/gems/3.1.0/specifications/default/json-2.6.1.gemspec",
                Some("gem"),
            ),
            (
                "/usr/local/bundle/specifications/rack-3.0.8.gemspec",
                Some("gem"),
            ),
            ("/usr/local/bundle/gems/rack-3.0.8/rack.gemspec", None),
            ("/app/myapp.gemspec", None),
            ("/app/Gemfile.lock", Some("gem")),
            ("/app/gems.locked", Some("gem")),
            ("/app/Gemfile", None),
            ("/app/composer.lock", Some("composer")),
            ("/app/vendor/composer/installed.json", Some("composer")),
            ("/app/vendor/composer/installed.php", None),
            ("/app/composer.json", None),
            ("/app/installed.json", None),
            ("/app/WebApi.deps.json", Some("nuget")),
            ("/src/WebApi/packages.lock.json", Some("nuget")),
            ("/app/.deps.json", None),
            ("/app/WebApi.runtimeconfig.json", None),
            ("/app/yarn.lock", Some("yarn")),
            ("/app/node_modules/.yarn-integrity", None),
            ("/app/.yarn/install-state.gz", None),
            ("/app/pnpm-lock.yaml", Some("pnpm")),
            ("/app/pnpm-workspace.yaml", None),
            ("/app/node_modules/.pnpm/lock.yaml", None),
            ("/app/poetry.lock", Some("python-lock")),
            ("/app/Pipfile.lock", Some("python-lock")),
            ("/app/requirements.txt", Some("python-lock")),
            ("/app/requirements-dev.txt", Some("python-lock")),
            ("/app/Pipfile", None),
            ("/app/requirements.in", None),
            (
                "/usr/local/lib/python3.11/site-packages/foo/requirements.txt",
                None,
            ),
            (
                "/usr/lib/python3/dist-packages/foo.egg-info/requires.txt",
                None,
            ),
            (
                "/opt/conda/conda-meta/zlib-1.2.13-h5eee18b_0.json",
                Some("conda"),
            ),
            ("/opt/conda/conda-meta/history", None),
            (
                "/opt/conda/pkgs/zlib-1.2.13-h5eee18b_0/info/index.json",
                None,
            ),
            ("/", None),
            ("", None),
        ];
        // The same files with an execute bit: executables go to `binary`, unless another
        // cataloger claims the path or the name says it is no program.
        let executables: &[(&str, Option<&str>)] = &[
            ("/usr/bin/kubectl", Some("binary")),
            ("/usr/local/bin/app.exe", Some("binary")),
            ("/var/lib/dpkg/status", Some("dpkg")),
            ("/app/Cargo.lock", Some("cargo-lock")),
            ("/app/app.jar", Some("java")),
            ("/app/node_modules/debug/package.json", Some("npm")),
            ("/usr/lib/x86_64-linux-gnu/libssl.so.3", None),
            ("/usr/lib/libfoo.so", None),
            ("/usr/bin/pip3.py", None),
            ("/docker-entrypoint.sh", None),
        ];
        let all = all();
        for (mode, table) in [(0o644, cases), (0o755, executables)] {
            for (path, want) in table {
                let file = FileCandidate {
                    path,
                    size: 64 * 1024,
                    mode,
                };
                let claimed: Vec<&str> = all
                    .iter()
                    .filter(|c| c.wants_file(&file))
                    .map(|c| c.name())
                    .collect();
                assert_eq!(
                    claimed,
                    want.iter().copied().collect::<Vec<_>>(),
                    "{path} {mode:o}"
                );
            }
        }
    }

    /// Every fixture tree, walked as the layer walk would with every cataloger: nothing errors
    /// and no file is claimed twice.
    #[test]
    fn fixtures_catalog_without_errors() {
        let all = all();
        let root = testutil::testdata();
        let mut read = 0;
        for (image_path, real) in testutil::image_files(&root) {
            // `testdata/<module>/<case>/<image path>`: strip the first two components.
            let inner: String = image_path.splitn(4, '/').skip(3).collect();
            let inner = format!("/{inner}");
            let meta = fs_err::metadata(&real).unwrap();
            let file = FileCandidate {
                path: &inner,
                size: meta.len(),
                mode: meta.permissions().mode(),
            };
            let claimed: Vec<&Box<dyn Cataloger>> =
                all.iter().filter(|c| c.wants_file(&file)).collect();
            assert!(claimed.len() <= 1, "{inner} claimed twice");
            for c in claimed {
                let bytes = fs_err::read(&real).unwrap();
                let facts = c
                    .catalog(&inner, &bytes)
                    .unwrap_or_else(|e| panic!("{inner}: {e}"));
                assert_eq!(facts.path, inner);
                assert_eq!(facts.cataloger, c.name());
                read += 1;
            }
        }
        assert!(read > 20, "only {read} fixture files read");
    }
}
