//! Python packages pinned by a project's lock or requirements files (the installed
//! distributions themselves are the `python` cataloger's):
//!
//! - `poetry.lock` (TOML): each `[[package]]` has `name` and `version`. Packages whose
//!   `[package.source]` is a local `directory` or `file` are the project's own and skipped.
//! - `Pipfile.lock` (JSON): `default` and `develop` map names to `{"version": "==1.2.3"}`; the
//!   `==` is dropped. Entries without a version (editable, path or VCS installs) are skipped.
//! - `requirements*.txt` (pip's requirements-file format): only exact pins,
//!   `name[extras]==version` or `===version`, count. Unpinned or ranged requirements, options
//!   (`-r`, `-e`, `--hash`, `--index-url`), URLs and comments are ignored; an environment marker
//!   (`; python_version < "3.9"`) keeps the pin, since the lockfile cannot say which
//!   environment the image runs. Lines continue after a trailing `\`. Requirements files inside
//!   installed packages (`site-packages`, `dist-packages`) or `node_modules` are not read: they
//!   belong to the package, not the image's application.
//!
//! Dev and default packages are not told apart (the package model has no such flag). Names are
//! kept as written; PEP 503 normalisation happens in purls and matching.

mod pipfile_lock;
mod poetry_lock;
mod requirements;

use plimsoll_types::FileFacts;

use crate::{Cataloger, Result};

const POETRY_LOCK: &str = "/poetry.lock";
const PIPFILE_LOCK: &str = "/Pipfile.lock";

/// Reads `poetry.lock`, `Pipfile.lock` and `requirements*.txt`.
pub(crate) struct PythonLockCataloger;

impl PythonLockCataloger {
    const NAME: &'static str = "python-lock";
    /// Output version; bump when the facts change (STYLE rule 8).
    pub(crate) const VERSION: u32 = 1;
}

impl Cataloger for PythonLockCataloger {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn version(&self) -> u32 {
        Self::VERSION
    }

    fn wants(&self, path: &str) -> bool {
        path.ends_with(POETRY_LOCK) || path.ends_with(PIPFILE_LOCK) || is_requirements(path)
    }

    fn catalog(&self, path: &str, contents: &[u8]) -> Result<FileFacts> {
        let mut facts = FileFacts {
            path: path.to_owned(),
            cataloger: Self::NAME.to_owned(),
            ..FileFacts::default()
        };
        if path.ends_with(POETRY_LOCK) {
            poetry_lock::read(path, contents, &mut facts)?;
        } else if path.ends_with(PIPFILE_LOCK) {
            pipfile_lock::read(path, contents, &mut facts)?;
        } else {
            requirements::read(path, &String::from_utf8_lossy(contents), &mut facts);
        }
        Ok(facts)
    }
}

/// `…/requirements*.txt`, outside installed packages.
fn is_requirements(path: &str) -> bool {
    let Some((dir, file)) = path.rsplit_once('/') else {
        return false;
    };
    file.starts_with("requirements")
        // pip does not care about case, nor do the people who name these files.
        && std::path::Path::new(file)
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("txt"))
        && !dir.contains("/site-packages/")
        && !dir.ends_with("/site-packages")
        && !dir.contains("/dist-packages/")
        && !dir.ends_with("/dist-packages")
        && !dir.contains("/node_modules/")
        && !dir.ends_with("/node_modules")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil;

    #[test]
    fn wants_locks_and_requirements() {
        let c = PythonLockCataloger;
        for yes in [
            "/app/poetry.lock",
            "/app/Pipfile.lock",
            "/app/requirements.txt",
            "/app/requirements-dev.txt",
            "/app/requirements_prod.txt",
            "/requirements.txt",
        ] {
            assert!(c.wants(yes), "{yes}");
        }
        for no in [
            "/app/Pipfile",
            "/app/pyproject.toml",
            "/app/requirements.in",
            "/app/dev-requirements.txt",
            "/app/requirements.txt.bak",
            "/usr/lib/python3/dist-packages/foo/requirements.txt",
            "/usr/local/lib/python3.11/site-packages/foo/requirements.txt",
            "/app/node_modules/x/requirements.txt",
            "/usr/lib/python3/dist-packages/foo.egg-info/requires.txt",
            "/app/poetry.lock.bak",
        ] {
            assert!(!c.wants(no), "{no}");
        }
    }

    #[test]
    fn real_locks() {
        for case in ["poetry", "pipenv", "pip"] {
            let facts = testutil::catalog_fixture(&PythonLockCataloger, "python_lock", case);
            assert!(!facts.is_empty(), "{case}");
            assert!(facts.iter().all(|f| !f.packages.is_empty()), "{case}");
        }
    }

    #[test]
    fn hostile_input_does_not_panic() {
        for (case, file) in [
            ("poetry", "app/poetry.lock"),
            ("pipenv", "app/Pipfile.lock"),
            ("pip", "app/requirements.txt"),
        ] {
            let sample = fs_err::read(testutil::fixture("python_lock", case).join(file)).unwrap();
            testutil::assert_no_panic(&PythonLockCataloger, &format!("/{file}"), &sample);
        }
    }
}
