//! `poetry.lock`: TOML with one `[[package]]` table per locked distribution.

use toml::{Table, Value};

use plimsoll_types::{FileFacts, Package, PackageKind};

use crate::{Error, Result};

/// Adds the packages of `contents` to `facts`.
pub(super) fn read(path: &str, contents: &[u8], facts: &mut FileFacts) -> Result<()> {
    let malformed = |reason: String| Error::Malformed {
        format: "poetry.lock",
        path: path.to_owned(),
        reason,
    };
    let text = std::str::from_utf8(contents).map_err(|e| malformed(e.to_string()))?;
    let table: Table = text
        .parse()
        .map_err(|e: toml::de::Error| malformed(e.message().to_owned()))?;
    let packages = match table.get("package") {
        Some(Value::Array(packages)) => packages,
        None => return Ok(()),
        Some(_) => return Err(malformed("`package` is not an array of tables".to_owned())),
    };
    for (i, package) in packages.iter().enumerate() {
        let Some(package) = package.as_table() else {
            facts
                .warnings
                .push(format!("package[{i}]: not a table, skipped"));
            continue;
        };
        let source_type = package
            .get("source")
            .and_then(|s| s.get("type"))
            .and_then(Value::as_str);
        if matches!(source_type, Some("directory" | "file")) {
            continue;
        }
        let field = |key: &str| {
            package
                .get(key)
                .and_then(Value::as_str)
                .map(str::trim)
                .filter(|s| !s.is_empty())
        };
        match (field("name"), field("version")) {
            (Some(name), Some(version)) => {
                facts
                    .packages
                    .push(Package::new(PackageKind::Python, name, version, path));
            }
            _ => facts
                .warnings
                .push(format!("package[{i}]: no name or version, skipped")),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil;

    #[test]
    fn sources_and_bad_entries() {
        let mut facts = FileFacts::default();
        read(
            "/app/poetry.lock",
            br#"
[[package]]
name = "requests"
version = "2.31.0"

[[package]]
name = "mylib"
version = "0.1.0"
[package.source]
type = "directory"
url = "../mylib"

[[package]]
name = "nover"

[[package]]
name = "fromgit"
version = "1.0.0"
[package.source]
type = "git"
url = "https://example.org/x.git"
"#,
            &mut facts,
        )
        .unwrap();
        assert_eq!(
            testutil::summaries(std::slice::from_ref(&facts)),
            ["requests 2.31.0", "fromgit 1.0.0"]
        );
        assert_eq!(facts.warnings, ["package[2]: no name or version, skipped"]);
        for bad in [&b"package = 1"[..], b"[[package]\n", b"\xff"] {
            assert!(read("/p", bad, &mut FileFacts::default()).is_err());
        }
    }
}
