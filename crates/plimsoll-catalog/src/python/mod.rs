//! Installed Python distributions: `*.dist-info/METADATA` (wheels, PEP 376/PEP 627),
//! `*.egg-info/PKG-INFO` (setuptools) and `*.egg-info` files (distutils writes PKG-INFO content
//! straight into a file with that name, e.g. `/usr/lib/python2.7/wsgiref.egg-info`).
//!
//! All three hold the Python core metadata
//! (<https://packaging.python.org/en/latest/specifications/core-metadata/>): RFC 822-style
//! headers, then an optional body (the long description) after the first empty line. We read
//! `Name`, `Version`, `License` and `License-Expression` from the headers. Quirks:
//!
//! - Header names compare ASCII case-insensitively, and the first occurrence wins.
//! - A line starting with a space or tab continues the previous header; only an empty line
//!   ends the headers (a line of spaces is a continuation, as in Python's `email` parser), and
//!   so does a line that is not a header at all.
//! - Multi-line values (setuptools writes whole licence texts into `License`) are unfolded:
//!   each continuation line loses its indentation and the `|` that metadata 1.x used to protect
//!   indentation, and lines are joined with `\n`.
//! - `name` is the `Name:` value as written (`Flask`, `PyYAML`); PEP 503 normalisation belongs
//!   to the purl and to matching.
//! - Licences: `License-Expression` (PEP 639, metadata 2.4) when present, since it supersedes
//!   `License`; otherwise `License`, except the `UNKNOWN` that old setuptools wrote for "not
//!   given".
//! - Any path with those suffixes is read, not only ones under `site-packages`/`dist-packages`:
//!   virtualenvs, `--target` installs and `.egg-info` of editable installs live elsewhere.

use plimsoll_types::{FileFacts, Package, PackageKind};

use crate::{Cataloger, Result};

/// Reads Python core metadata files.
pub(crate) struct PythonCataloger;

impl PythonCataloger {
    const NAME: &'static str = "python";
    /// Output version; bump when the facts change (STYLE rule 8).
    pub(crate) const VERSION: u32 = 1;
}

/// The headers we keep.
#[derive(Default)]
struct Metadata {
    name: Option<String>,
    version: Option<String>,
    license: Option<String>,
    license_expression: Option<String>,
}

impl Metadata {
    fn slot(&mut self, header: &str) -> Option<&mut Option<String>> {
        [
            ("Name", &mut self.name),
            ("Version", &mut self.version),
            ("License", &mut self.license),
            ("License-Expression", &mut self.license_expression),
        ]
        .into_iter()
        .find(|(h, _)| h.eq_ignore_ascii_case(header))
        .map(|(_, slot)| slot)
    }
}

impl Cataloger for PythonCataloger {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn version(&self) -> u32 {
        Self::VERSION
    }

    fn wants(&self, path: &str) -> bool {
        path.ends_with(".dist-info/METADATA")
            || path.ends_with(".egg-info/PKG-INFO")
            || path.ends_with(".egg-info")
    }

    fn catalog(&self, path: &str, contents: &[u8]) -> Result<FileFacts> {
        let text = String::from_utf8_lossy(contents);
        let metadata = parse_headers(&text);
        let mut facts = FileFacts {
            path: path.to_owned(),
            cataloger: Self::NAME.to_owned(),
            ..FileFacts::default()
        };
        let name = metadata.name.filter(|n| !n.is_empty());
        let version = metadata.version.filter(|v| !v.is_empty());
        let (Some(name), Some(version)) = (name, version) else {
            facts
                .warnings
                .push("no Name and Version headers: not core metadata, skipped".to_owned());
            return Ok(facts);
        };
        let license = metadata
            .license_expression
            .filter(|l| !l.is_empty())
            .or_else(|| metadata.license.filter(|l| !l.is_empty() && l != "UNKNOWN"));
        let mut package = Package::new(PackageKind::Python, name, version, path);
        package.licenses = license.into_iter().collect();
        facts.packages.push(package);
        Ok(facts)
    }
}

/// Reads the header block of core metadata (see the module doc for the rules).
fn parse_headers(text: &str) -> Metadata {
    let mut metadata = Metadata::default();
    // The value being built for the current header, if it is one we keep and the first of
    // its name; `None` while inside a header we skip.
    let mut current: Option<&mut Option<String>> = None;
    for raw in text.split('\n') {
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        if line.is_empty() {
            break;
        }
        if line.starts_with([' ', '\t']) {
            if let Some(Some(value)) = current.as_mut().map(|slot| slot.as_mut()) {
                let unindented = line.trim_start_matches([' ', '\t']);
                value.push('\n');
                value.push_str(
                    unindented
                        .strip_prefix('|')
                        .unwrap_or(unindented)
                        .trim_end(),
                );
            }
            continue;
        }
        let Some((header, value)) = line.split_once(':') else {
            break;
        };
        // Finish the previous value before borrowing the next slot.
        if let Some(Some(value)) = current.take().map(|slot| slot.as_mut()) {
            let trimmed = value.trim_end().len();
            value.truncate(trimmed);
        }
        current = metadata
            .slot(header.trim_end())
            .filter(|slot| slot.is_none())
            .map(|slot| {
                *slot = Some(value.trim().to_owned());
                slot
            });
    }
    if let Some(Some(value)) = current.map(|slot| slot.as_mut()) {
        let trimmed = value.trim_end().len();
        value.truncate(trimmed);
    }
    metadata
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil;

    fn catalog(text: &str) -> FileFacts {
        PythonCataloger
            .catalog("/x.dist-info/METADATA", text.as_bytes())
            .unwrap()
    }

    #[test]
    fn wants_metadata_files() {
        let c = PythonCataloger;
        for yes in [
            "/usr/local/lib/python3.11/site-packages/flask-3.1.3.dist-info/METADATA",
            "/usr/lib/python3/dist-packages/six-1.16.0.egg-info/PKG-INFO",
            "/usr/lib/python2.7/wsgiref.egg-info",
            "/opt/venv/lib/python3.12/site-packages/pip-24.0.dist-info/METADATA",
        ] {
            assert!(c.wants(yes), "{yes}");
        }
        for no in [
            "/usr/local/lib/python3.11/site-packages/flask-3.1.3.dist-info/RECORD",
            "/usr/local/lib/python3.11/site-packages/flask-3.1.3.dist-info/METADATA.bak",
            "/usr/lib/python3/dist-packages/six-1.16.0.egg-info/SOURCES.txt",
            "/usr/lib/python3/dist-packages/six.py",
            "/METADATA",
        ] {
            assert!(!c.wants(no), "{no}");
        }
    }

    #[test]
    fn pyenv_site_packages() {
        let facts = testutil::catalog_fixture(&PythonCataloger, "python", "pyenv-site-packages");
        let mut lines = testutil::summaries(&facts);
        // traitlets records its whole licence text: check its first line only.
        let traitlets = lines
            .iter_mut()
            .find(|l| l.starts_with("traitlets"))
            .unwrap();
        let first_line = traitlets.lines().next().unwrap().to_owned();
        *traitlets = first_line;
        assert_eq!(
            lines,
            [
                "antlr4-python3-runtime 4.13.2 lic=BSD",
                "backcall 0.2.0",
                "cryptography 48.0.0 lic=Apache-2.0 OR BSD-3-Clause",
                "Flask 3.1.3 lic=BSD-3-Clause",
                "traitlets 5.15.0 lic=BSD 3-Clause License",
            ]
        );
        assert!(facts.iter().all(|f| f.warnings.is_empty()));
        assert!(
            facts
                .iter()
                .flat_map(|f| &f.packages)
                .all(|p| p.kind == PackageKind::Python && p.source.is_none() && p.arch.is_none())
        );
    }

    #[test]
    fn multi_line_license_is_unfolded() {
        let facts = testutil::catalog_fixture(&PythonCataloger, "python", "pyenv-site-packages");
        let traitlets = facts
            .iter()
            .flat_map(|f| &f.packages)
            .find(|p| p.name == "traitlets")
            .unwrap();
        let license = &traitlets.licenses[0];
        assert!(license.starts_with(
            "BSD 3-Clause License\n\n- Copyright (c) 2001-, IPython Development Team\n"
        ));
        assert!(
            license
                .ends_with("OF THIS SOFTWARE, EVEN IF ADVISED OF THE POSSIBILITY OF SUCH DAMAGE.")
        );
        assert!(license.contains("\n1. Redistributions of source code"));
    }

    #[test]
    fn debian_dist_packages() {
        let facts = testutil::catalog_fixture(&PythonCataloger, "python", "debian-dist-packages");
        assert_eq!(
            testutil::summaries(&facts),
            [
                "PyJWT 2.6.0 lic=MIT",
                "distro 1.8.0 lic=Apache License, Version 2.0",
                "python-apt 2.6.0 lic=GNU GPL",
                "six 1.16.0 lic=MIT",
            ]
        );
    }

    #[test]
    fn distutils_egg_info_files() {
        let facts =
            testutil::catalog_fixture(&PythonCataloger, "python", "distutils-egg-info-file");
        assert_eq!(
            testutil::summaries(&facts),
            [
                "Python 2.7.18 lic=PSF license",
                "wsgiref 0.1.2 lic=PSF or ZPL"
            ]
        );
        assert_eq!(facts[1].path, "/usr/lib/python2.7/wsgiref.egg-info");
    }

    #[test]
    fn headers_stop_at_the_body() {
        let facts = catalog(
            "Metadata-Version: 2.1\r\nname:  demo \r\nVersion: 1.0\r\nLicense: UNKNOWN\r\n\r\nVersion: 9.9\r\nLicense-Expression: MIT\r\n",
        );
        assert_eq!(
            testutil::summaries(std::slice::from_ref(&facts)),
            ["demo 1.0"]
        );
    }

    #[test]
    fn first_header_wins_and_expression_beats_license() {
        let facts = catalog(
            "Name: a\nName: b\nVersion: 2\nLicense: BSD\n       |  indented\nLicense-Expression: MIT OR Apache-2.0\n",
        );
        assert_eq!(
            testutil::summaries(std::slice::from_ref(&facts)),
            ["a 2 lic=MIT OR Apache-2.0"]
        );
        let facts = catalog(
            "Name: a\nVersion: 2\nLicense: BSD\n       |  indented\n        \nClassifier: x\n",
        );
        assert_eq!(facts.packages[0].licenses, ["BSD\n  indented"]);
    }

    #[test]
    fn non_header_line_ends_headers() {
        let facts = catalog("Name: a\nthis is body text\nVersion: 2\n");
        assert!(facts.packages.is_empty());
        assert_eq!(facts.warnings.len(), 1);
    }

    #[test]
    fn missing_name_or_version_is_a_warning() {
        for text in ["", "Version: 1\n", "Name: a\n", "Name:\nVersion: 1\n"] {
            let facts = catalog(text);
            assert!(facts.packages.is_empty(), "{text:?}");
            assert_eq!(
                facts.warnings,
                ["no Name and Version headers: not core metadata, skipped"]
            );
        }
    }

    #[test]
    fn non_utf8_is_read_lossily() {
        let facts = PythonCataloger
            .catalog(
                "/x.dist-info/METADATA",
                b"Name: caf\xe9\nVersion: 1.0\nAuthor: \xff\n",
            )
            .unwrap();
        assert_eq!(facts.packages[0].name, "caf\u{fffd}");
    }

    #[test]
    fn hostile_input_does_not_panic() {
        let sample = fs_err::read(
            testutil::fixture("python", "pyenv-site-packages")
                .join("usr/local/lib/python3.11/site-packages/traitlets-5.15.0.dist-info/METADATA"),
        )
        .unwrap();
        testutil::assert_no_panic(&PythonCataloger, "/x.dist-info/METADATA", &sample);
    }
}
