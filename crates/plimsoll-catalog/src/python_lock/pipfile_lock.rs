//! `Pipfile.lock`: JSON whose `default` and `develop` objects map a name to its pin.

use serde_json::Value;

use plimsoll_types::{FileFacts, Package, PackageKind};

use crate::{Error, Result};

/// Adds the packages of `contents` to `facts`.
pub(super) fn read(path: &str, contents: &[u8], facts: &mut FileFacts) -> Result<()> {
    let json: Value = serde_json::from_slice(contents).map_err(|source| Error::Json {
        path: path.to_owned(),
        source,
    })?;
    let malformed = |reason: &str| Error::Malformed {
        format: "Pipfile.lock",
        path: path.to_owned(),
        reason: reason.to_owned(),
    };
    let top = json
        .as_object()
        .ok_or_else(|| malformed("not a JSON object"))?;
    for section in ["default", "develop"] {
        let entries = match top.get(section) {
            Some(Value::Object(entries)) => entries,
            None | Some(Value::Null) => continue,
            Some(_) => return Err(malformed(&format!("`{section}` is not an object"))),
        };
        for (name, entry) in entries {
            let version = entry
                .get("version")
                .and_then(Value::as_str)
                .map(|v| v.trim().trim_start_matches("===").trim_start_matches("=="))
                .map(str::trim)
                .filter(|v| !v.is_empty());
            match version {
                Some(version) if !name.trim().is_empty() => facts.packages.push(Package::new(
                    PackageKind::Python,
                    name.trim(),
                    version,
                    path,
                )),
                // Editable, path and VCS entries carry no version: not a registry pin.
                _ if ["editable", "path", "file", "git", "hg", "svn", "bzr"]
                    .iter()
                    .any(|k| entry.get(k).is_some()) => {}
                _ => facts
                    .warnings
                    .push(format!("{section}[{name:?}]: no version, skipped")),
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil;

    #[test]
    fn sections_and_odd_entries() {
        let mut facts = FileFacts::default();
        read(
            "/app/Pipfile.lock",
            br#"{"_meta": {}, "default": {"requests": {"version": "==2.31.0"},
                "mylib": {"editable": true, "path": "."}, "odd": {}},
                "develop": {"pytest": {"version": "==8.0.0", "markers": "python_version >= '3.8'"}}}"#,
            &mut facts,
        )
        .unwrap();
        assert_eq!(
            testutil::summaries(std::slice::from_ref(&facts)),
            ["requests 2.31.0", "pytest 8.0.0"]
        );
        assert_eq!(facts.warnings, ["default[\"odd\"]: no version, skipped"]);
        for bad in [&b"[]"[..], br#"{"default": []}"#, b"{"] {
            assert!(read("/p", bad, &mut FileFacts::default()).is_err());
        }
    }
}
