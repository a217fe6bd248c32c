//! `META-INF/maven/<group>/<artifact>/pom.properties`, which the Maven archiver writes into
//! every jar it builds: `groupId`, `artifactId` and `version` in Java properties syntax
//! (<https://docs.oracle.com/javase/8/docs/api/java/util/Properties.html#load-java.io.Reader->).
//!
//! The properties win over the directory names when both are present (they are what Maven
//! wrote; a shading plugin may relocate the directory); a missing `groupId` or `artifactId`
//! falls back to its directory. No `version` means no package.

use std::collections::HashMap;

use plimsoll_types::{Package, PackageKind};

/// Whether an archive entry is `META-INF/maven/<group>/<artifact>/pom.properties`.
pub(super) fn is_pom_properties(name: &str) -> bool {
    directories(name).is_some()
}

/// `(group, artifact)` directory names of a `pom.properties` entry.
fn directories(name: &str) -> Option<(&str, &str)> {
    let rest = name.strip_prefix("META-INF/maven/")?;
    let rest = rest.strip_suffix("/pom.properties")?;
    let (group, artifact) = rest.split_once('/')?;
    (!group.is_empty() && !artifact.is_empty() && !artifact.contains('/'))
        .then_some((group, artifact))
}

/// The package a `pom.properties` entry `name` with contents `text` records, or why none.
pub(super) fn package(name: &str, text: &str, found_in: &str) -> Result<Package, String> {
    let (dir_group, dir_artifact) = directories(name).ok_or("not a pom.properties path")?;
    let props = parse(text);
    let get = |key: &str| props.get(key).map(String::as_str).filter(|v| !v.is_empty());
    let group = get("groupId").unwrap_or(dir_group);
    let artifact = get("artifactId").unwrap_or(dir_artifact);
    let version = get("version").ok_or("no version: no package")?;
    Ok(Package::new(
        PackageKind::Maven,
        format!("{group}:{artifact}"),
        version,
        found_in,
    ))
}

/// Java properties: `key=value`, `key: value` or `key value`; `#` and `!` comments; a trailing
/// odd backslash continues the line; `\t`, `\n`, `\r`, `\f`, `\uXXXX` and `\<any>` escapes.
/// Maven writes each key once; should one repeat, the first wins.
pub(super) fn parse(text: &str) -> HashMap<String, String> {
    let mut out = HashMap::new();
    let mut lines = text.lines();
    while let Some(first) = lines.next() {
        let mut logical = first.trim_start().to_owned();
        if logical.starts_with(['#', '!']) {
            continue;
        }
        while ends_with_odd_backslashes(&logical) {
            logical.pop();
            match lines.next() {
                Some(next) => logical.push_str(next.trim_start()),
                None => break,
            }
        }
        if logical.is_empty() {
            continue;
        }
        let (key, value) = split_key(&logical);
        out.entry(unescape(key)).or_insert_with(|| unescape(value));
    }
    out
}

fn ends_with_odd_backslashes(s: &str) -> bool {
    s.bytes().rev().take_while(|&b| b == b'\\').count() % 2 == 1
}

/// Splits a logical line at the first unescaped `=`, `:` or whitespace (then skips whitespace
/// and one `=`/`:`).
fn split_key(line: &str) -> (&str, &str) {
    let bytes = line.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'=' | b':' | b' ' | b'\t' | b'\x0c' => break,
            _ => i += 1,
        }
    }
    let i = i.min(bytes.len());
    let key = &line[..i];
    let mut rest = line[i..].trim_start_matches([' ', '\t', '\x0c']);
    if let Some(r) = rest.strip_prefix(['=', ':']) {
        rest = r.trim_start_matches([' ', '\t', '\x0c']);
    }
    (key, rest)
}

fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('f') => out.push('\x0c'),
            Some('u') => {
                let hex: String = chars.clone().take(4).collect();
                match u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
                    Some(u) if hex.len() == 4 => {
                        out.push(u);
                        for _ in 0..4 {
                            chars.next();
                        }
                    }
                    _ => out.push('u'),
                }
            }
            Some(other) => out.push(other),
            None => {}
        }
    }
    out.trim_end().to_owned()
}
