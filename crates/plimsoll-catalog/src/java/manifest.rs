//! `META-INF/MANIFEST.MF`, the fallback when an archive has no `pom.properties`
//! (<https://docs.oracle.com/en/java/javase/21/docs/specs/jar/jar.html#jar-manifest>).
//!
//! Only the main section (up to the first blank line) is read: `Name: value` headers, a line
//! starting with one space continuing the previous value. Coordinates, in order of preference:
//!
//! - `Implementation-Title` + `Implementation-Version`, when the title is an identifier (no
//!   spaces: `Apache Commons Lang` is a display name, not an artifact id);
//! - `Bundle-SymbolicName` (its `;singleton:=true`-style directives dropped) + `Bundle-Version`;
//!
//! with `Implementation-Vendor-Id` as the group when present (the Maven archiver writes the
//! `groupId` there), else no group.

use plimsoll_types::{Package, PackageKind};

/// Coordinates read from a manifest, and which headers gave them.
pub(super) struct Coordinates {
    group: Option<String>,
    artifact: String,
    version: String,
    /// The headers used, for the evidence warning.
    pub(super) fields: &'static str,
}

impl Coordinates {
    /// The package, named `group:artifact` or, without a group, `artifact`.
    pub(super) fn package(&self, found_in: &str) -> Package {
        let name = match &self.group {
            Some(group) => format!("{group}:{}", self.artifact),
            None => self.artifact.clone(),
        };
        Package::new(PackageKind::Maven, name, self.version.as_str(), found_in)
    }
}

/// The coordinates a manifest's main section gives, if any.
pub(super) fn coordinates(text: &str) -> Option<Coordinates> {
    let headers = main_section(text);
    let get = |key: &str| {
        headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.trim())
            .filter(|v| !v.is_empty())
    };
    let identifier = |s: &str| !s.contains(char::is_whitespace);
    let group = get("Implementation-Vendor-Id")
        .filter(|g| identifier(g))
        .map(str::to_owned);
    let (artifact, version, fields) = if let (Some(title), Some(version)) =
        (get("Implementation-Title"), get("Implementation-Version"))
        && identifier(title)
    {
        (
            title,
            version,
            "Implementation-Title, Implementation-Version",
        )
    } else if let (Some(symbolic), Some(version)) =
        (get("Bundle-SymbolicName"), get("Bundle-Version"))
    {
        let symbolic = symbolic.split(';').next().unwrap_or(symbolic).trim();
        if symbolic.is_empty() || !identifier(symbolic) {
            return None;
        }
        (symbolic, version, "Bundle-SymbolicName, Bundle-Version")
    } else {
        return None;
    };
    let fields = if group.is_some() {
        match fields {
            "Implementation-Title, Implementation-Version" => {
                "Implementation-Vendor-Id, Implementation-Title, Implementation-Version"
            }
            _ => "Implementation-Vendor-Id, Bundle-SymbolicName, Bundle-Version",
        }
    } else {
        fields
    };
    Some(Coordinates {
        group,
        artifact: artifact.to_owned(),
        version: version.to_owned(),
        fields,
    })
}

/// `(name, value)` headers of the main section, continuation lines joined.
fn main_section(text: &str) -> Vec<(String, String)> {
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        if line.is_empty() {
            break;
        }
        if let Some(more) = line.strip_prefix(' ') {
            if let Some((_, value)) = headers.last_mut() {
                value.push_str(more);
            }
        } else if let Some((name, value)) = line.split_once(':') {
            headers.push((name.trim().to_owned(), value.trim_start().to_owned()));
        }
    }
    headers
}
