//! The `package.json` of an installed package (<https://docs.npmjs.com/cli/configuring-npm/package-json>).
//!
//! We read `name`, `version` and the licence (`license`, or the legacy `licenses`). An
//! installed manifest without a string `name` or `version` is not a package npm could have
//! installed from a registry (a hand-copied folder, a test fixture inside a package): it is
//! skipped with a warning.

use serde_json::Value;

use plimsoll_types::{FileFacts, Package, PackageKind};

use crate::{Error, Result};

/// Adds the package `json` describes to `facts`.
pub(super) fn read(path: &str, json: &Value, facts: &mut FileFacts) -> Result<()> {
    let Some(manifest) = json.as_object() else {
        return Err(Error::Malformed {
            format: "package.json",
            path: path.to_owned(),
            reason: "not a JSON object".to_owned(),
        });
    };
    let text = |key: &str| {
        manifest
            .get(key)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
    };
    let (Some(name), Some(version)) = (text("name"), text("version")) else {
        facts
            .warnings
            .push("no string name and version: not an installed package, skipped".to_owned());
        return Ok(());
    };
    let mut package = Package::new(PackageKind::Npm, name, version, path);
    package.licenses = super::licenses(manifest);
    facts.packages.push(package);
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::npm::NpmCataloger;
    use crate::{Cataloger, Error, testutil};

    const PATH: &str = "/app/node_modules/x/package.json";

    #[test]
    fn reads_name_version_and_licence() {
        let facts = NpmCataloger
            .catalog(
                PATH,
                br#"{"name": "@s/x", "version": "1.2.3", "license": {"type": "MIT"}}"#,
            )
            .unwrap();
        assert_eq!(testutil::summaries(&[facts]), ["@s/x 1.2.3 lic=MIT"]);
    }

    #[test]
    fn missing_name_or_version_is_a_warning() {
        for json in [
            "{}",
            r#"{"name": "x"}"#,
            r#"{"version": "1.0.0"}"#,
            r#"{"name": "x", "version": 1}"#,
            r#"{"name": "", "version": "1.0.0"}"#,
        ] {
            let facts = NpmCataloger.catalog(PATH, json.as_bytes()).unwrap();
            assert!(facts.packages.is_empty(), "{json}");
            assert_eq!(facts.warnings.len(), 1, "{json}");
        }
    }

    #[test]
    fn non_object_is_malformed() {
        let err = NpmCataloger.catalog(PATH, b"[1, 2]").unwrap_err();
        assert!(matches!(err, Error::Malformed { .. }));
        assert_eq!(
            err.to_string(),
            "malformed package.json file /app/node_modules/x/package.json: not a JSON object"
        );
    }
}
