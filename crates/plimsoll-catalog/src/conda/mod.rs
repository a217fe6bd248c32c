//! conda packages from an environment's `conda-meta/<name>-<version>-<build>.json` records,
//! which conda (and mamba, micromamba) write for each linked package: `name`, `version`,
//! `build`, `license`, `subdir` (`linux-64`, `noarch`), the files it installed, and more.
//!
//! `conda-meta/history` (the transaction log) is not read: the JSON records are the current
//! state. The `subdir` becomes the package's `arch`; the build string (`h5eee18b_0`) has no
//! place in the package model and is left out. Conda has no OSV ecosystem, so these packages
//! are inventoried but not matched.

use serde_json::Value;

use plimsoll_types::{FileFacts, Package, PackageKind};

use crate::{Cataloger, Error, Result};

const CONDA_META: &str = "/conda-meta";
const JSON: &str = ".json";

/// Reads `conda-meta/*.json` records.
pub(crate) struct CondaCataloger;

impl CondaCataloger {
    const NAME: &'static str = "conda";
    /// Output version; bump when the facts change (STYLE rule 8).
    pub(crate) const VERSION: u32 = 1;
}

impl Cataloger for CondaCataloger {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn version(&self) -> u32 {
        Self::VERSION
    }

    fn wants(&self, path: &str) -> bool {
        path.strip_suffix(JSON)
            .and_then(|stem| stem.rsplit_once('/'))
            .is_some_and(|(dir, stem)| !stem.is_empty() && dir.ends_with(CONDA_META))
    }

    fn catalog(&self, path: &str, contents: &[u8]) -> Result<FileFacts> {
        let json: Value = serde_json::from_slice(contents).map_err(|source| Error::Json {
            path: path.to_owned(),
            source,
        })?;
        let record = json.as_object().ok_or_else(|| Error::Malformed {
            format: "conda-meta",
            path: path.to_owned(),
            reason: "not a JSON object".to_owned(),
        })?;
        let mut facts = FileFacts {
            path: path.to_owned(),
            cataloger: Self::NAME.to_owned(),
            ..FileFacts::default()
        };
        let field = |key: &str| {
            record
                .get(key)
                .and_then(Value::as_str)
                .map(str::trim)
                .filter(|s| !s.is_empty())
        };
        match (field("name"), field("version")) {
            (Some(name), Some(version)) => {
                let mut package = Package::new(PackageKind::Conda, name, version, path);
                package.arch = field("subdir").map(str::to_owned);
                package.licenses = field("license").map(str::to_owned).into_iter().collect();
                facts.packages.push(package);
            }
            _ => facts
                .warnings
                .push("no package name and version, skipped".to_owned()),
        }
        Ok(facts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil;

    #[test]
    fn wants_records_only() {
        let c = CondaCataloger;
        for yes in [
            "/opt/conda/conda-meta/python-3.11.7-h955ad1f_0.json",
            "/opt/conda/envs/app/conda-meta/numpy-1.26.4-py311h08b1b3b_0.json",
        ] {
            assert!(c.wants(yes), "{yes}");
        }
        for no in [
            "/opt/conda/conda-meta/history",
            "/opt/conda/conda-meta/.json",
            "/opt/conda/conda-meta/sub/x.json",
            "/opt/conda/pkgs/zlib-1.2.13-h5eee18b_0/info/index.json",
            "/opt/conda/my-conda-meta/x.json",
            "/opt/conda/conda-meta/x.json.bak",
        ] {
            assert!(!c.wants(no), "{no}");
        }
    }

    #[test]
    fn environment_records() {
        let facts = testutil::catalog_fixture(&CondaCataloger, "conda", "miniconda");
        assert!(facts.iter().all(|f| f.warnings.is_empty()));
        assert_eq!(
            testutil::summaries(&facts),
            [
                "ca-certificates 2024.3.11 linux-64 lic=MPL-2.0",
                "python 3.11.7 linux-64 lic=PSF-2.0",
                "requests 2.31.0 noarch lic=Apache-2.0",
                "zlib 1.2.13 linux-64 lic=Zlib",
            ]
        );
    }

    #[test]
    fn odd_records() {
        let path = "/opt/conda/conda-meta/x-1-0.json";
        let facts = CondaCataloger.catalog(path, br#"{"name": "x"}"#).unwrap();
        assert!(facts.packages.is_empty());
        assert_eq!(facts.warnings, ["no package name and version, skipped"]);
        assert!(CondaCataloger.catalog(path, b"[]").is_err());
        assert!(CondaCataloger.catalog(path, b"{").is_err());
        let sample = fs_err::read(
            testutil::fixture("conda", "miniconda")
                .join("opt/conda/conda-meta/zlib-1.2.13-h5eee18b_0.json"),
        )
        .unwrap();
        testutil::assert_no_panic(&CondaCataloger, path, &sample);
    }
}
