//! Rust dependency lists embedded by `cargo auditable`
//! (<https://github.com/rust-secure-code/cargo-auditable/blob/master/PARSING.md>): a section
//! named `.dep-v0` (ELF, PE; `__DATA,.dep-v0` on Mach-O) holding zlib-compressed JSON,
//! `{"packages": [{"name", "version", "source", "kind"?, "dependencies"?, "root"?}], "format"?}`.
//!
//! The section is inflated under [`MAX_JSON`] (the official `auditable-info` crate uses the same
//! kind of cap) and deserialised here. `auditable-info` itself was not used: it re-parses the
//! binary with its own object reader, while the cataloger has already parsed it with `object`
//! to look for Go build info.
//!
//! Packages come from registries only: `source` `crates.io` (OSV's `crates.io` ecosystem) and
//! `registry` (an alternative registry, whose crates usually mirror crates.io names). `local`
//! crates (the root package, workspace and path dependencies) and `git` crates are skipped:
//! they are not releases any advisory can name. Build dependencies (`kind: build`) are kept, as
//! `cargo audit bin` keeps them: they shaped the binary even if they are not linked into it.

use std::io::Read as _;

use plimsoll_types::{Package, PackageKind};
use serde::Deserialize;

/// The section's name.
pub(crate) const SECTION: &str = ".dep-v0";

/// Inflated JSON above this is refused: a real dependency list is tens of KB (a thousand crates
/// is ~100 KB), so 8 MiB is generous and stops a zlib bomb.
pub(crate) const MAX_JSON: u64 = 8 * 1024 * 1024;

#[derive(Deserialize)]
struct VersionInfo {
    packages: Vec<AuditPackage>,
}

#[derive(Deserialize)]
struct AuditPackage {
    name: String,
    version: String,
    source: String,
}

/// Reads the compressed section `data`. `Err` is a warning: the binary carries the section but
/// it cannot be read.
pub(crate) fn packages(data: &[u8], found_in: &str, max_json: u64) -> Result<Vec<Package>, String> {
    let mut json = Vec::new();
    flate2::read::ZlibDecoder::new(data)
        .take(max_json + 1)
        .read_to_end(&mut json)
        .map_err(|e| format!("cargo-auditable data: not valid zlib data: {e}"))?;
    if json.len() as u64 > max_json {
        return Err(format!(
            "cargo-auditable data: inflates past the {max_json}-byte limit"
        ));
    }
    let info: VersionInfo = serde_json::from_slice(&json)
        .map_err(|e| format!("cargo-auditable data: malformed JSON: {e}"))?;
    Ok(info
        .packages
        .into_iter()
        .filter(|p| matches!(p.source.as_str(), "crates.io" | "registry"))
        .map(|p| Package::new(PackageKind::Cargo, p.name, p.version, found_in))
        .collect())
}

#[cfg(test)]
pub(crate) mod tests {
    use std::io::Write as _;

    use super::*;

    /// zlib-compresses `json` as `cargo auditable` stores it.
    pub(crate) fn compress(json: &[u8]) -> Vec<u8> {
        let mut enc = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(json).unwrap();
        enc.finish().unwrap()
    }

    pub(crate) const SAMPLE: &str = r#"{"packages":[
        {"name":"hex","version":"0.4.3","source":"crates.io"},
        {"name":"app","version":"0.1.0","source":"local","dependencies":[0,2,3],"root":true},
        {"name":"mirror","version":"2.0.0","source":"registry"},
        {"name":"forked","version":"1.0.0","source":"git"},
        {"name":"cc","version":"1.0.0","source":"crates.io","kind":"build"}],"format":1}"#;

    #[test]
    fn registry_crates_are_kept_local_and_git_skipped() {
        let ps = packages(&compress(SAMPLE.as_bytes()), "/app", MAX_JSON).unwrap();
        let got: Vec<String> = ps
            .iter()
            .map(|p| format!("{} {}", p.name, p.version))
            .collect();
        assert_eq!(got, ["hex 0.4.3", "mirror 2.0.0", "cc 1.0.0"]);
        assert!(
            ps.iter()
                .all(|p| p.kind == PackageKind::Cargo && p.found_in == "/app")
        );
    }

    #[test]
    fn bombs_junk_and_truncations_are_errors() {
        let bomb = compress(&vec![b' '; 1024 * 1024]);
        let err = packages(&bomb, "/app", 1000).unwrap_err();
        assert!(err.contains("limit"), "{err}");
        assert!(
            packages(b"not zlib", "/app", MAX_JSON)
                .unwrap_err()
                .contains("zlib")
        );
        assert!(
            packages(&compress(b"{\"packages\": 7}"), "/app", MAX_JSON)
                .unwrap_err()
                .contains("JSON")
        );
        let good = compress(SAMPLE.as_bytes());
        for n in 0..good.len() {
            assert!(
                packages(&good[..n], "/app", MAX_JSON).is_err(),
                "truncated at {n}"
            );
        }
    }
}
