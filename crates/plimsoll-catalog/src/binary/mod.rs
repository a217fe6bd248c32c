//! Executables that record what they were built from: Go binaries ([`go_buildinfo`]) and Rust
//! binaries built with `cargo auditable` ([`cargo_auditable`]).
//!
//! One cataloger reads both because the layer walk hands a path to its catalogers by path and
//! mode, and an executable is the same kind of candidate for either; one parse of the section
//! table then serves both readers. ELF, Mach-O and PE are recognised by their magic and parsed
//! with `object`; anything else (scripts with an execute bit) yields nothing.
//!
//! Most executables carry neither record, so empty facts are dropped ([`Cataloger::keeps_empty`])
//! and a warning is given only where a record exists but cannot be read: a non-Go, non-auditable
//! ELF yields no facts at all. When the section table itself is unreadable (a truncated file)
//! the whole file is searched for the aligned Go build info header, as Go places it near the
//! start of the data.

mod cargo_auditable;
mod go_buildinfo;
mod large;

use object::{BinaryFormat, Object as _, ObjectSection as _};
use plimsoll_types::FileFacts;

use crate::{Cataloger, FileCandidate, Result};

/// Smaller executables are not Go or Rust programs (a static hello-world in either is over
/// 100 KB); the floor skips tiny wrappers cheaply.
const MIN_SIZE: u64 = 4 * 1024;

/// Larger executables are skipped by [`BinaryCataloger::wants_file`] (so silently): a few Go
/// binaries reach 200 MB, nothing sensible is bigger.
const MAX_SIZE: u64 = 256 * 1024 * 1024;

/// Larger executables are streamed ([`large`]) instead of read into memory: the layer walk's
/// memory stays bounded whatever the size of the programs in an image.
const MAX_IN_MEMORY: u64 = 16 * 1024 * 1024;

/// Extensions of executable-bit files that are not programs, or that other catalogers read
/// (`jar` and friends: `java`; `lock`: `cargo-lock`); lowercase. Shared libraries (`.so`,
/// `.so.1.2`) are left out too: Go and Rust programs are executables, and libraries are many.
const NOT_PROGRAMS: [&str; 30] = [
    "so", "jar", "war", "ear", "par", "jpi", "hpi", "py", "pyc", "sh", "bash", "pl", "pm", "rb",
    "js", "json", "lock", "txt", "md", "html", "xml", "yml", "yaml", "toml", "conf", "a", "o", "h",
    "c", "la",
];

/// Reads Go build info and `cargo auditable` data out of executables.
pub(crate) struct BinaryCataloger;

impl BinaryCataloger {
    const NAME: &'static str = "binary";
    /// Output version; bump when the facts change (STYLE rule 8).
    pub(crate) const VERSION: u32 = 1;
}

impl Cataloger for BinaryCataloger {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn version(&self) -> u32 {
        Self::VERSION
    }

    /// A path alone never decides: executables are recognised by mode ([`Self::wants_file`]).
    fn wants(&self, _path: &str) -> bool {
        false
    }

    fn wants_file(&self, file: &FileCandidate<'_>) -> bool {
        file.is_executable()
            && (MIN_SIZE..=MAX_SIZE).contains(&file.size)
            && is_program_name(file.path)
            && !crate::all::BY_PATH.iter().any(|c| c.wants(file.path))
    }

    fn keeps_empty(&self) -> bool {
        false
    }

    fn max_file_size(&self) -> u64 {
        MAX_SIZE
    }

    fn max_in_memory(&self) -> u64 {
        MAX_IN_MEMORY
    }

    fn catalog_reader(
        &self,
        path: &str,
        size: u64,
        reader: &mut dyn std::io::Read,
    ) -> Result<FileFacts> {
        large::catalog(Self::NAME, path, size, reader)
    }

    fn catalog(&self, path: &str, contents: &[u8]) -> Result<FileFacts> {
        let mut facts = FileFacts {
            path: path.to_owned(),
            cataloger: Self::NAME.to_owned(),
            ..FileFacts::default()
        };
        if !has_executable_magic(contents) {
            return Ok(facts);
        }
        let parsed = object::File::parse(contents);
        let go_record = match &parsed {
            Ok(file) => {
                if let Some(section) = file.section_by_name(cargo_auditable::SECTION) {
                    match section.data() {
                        Ok(data) => {
                            match cargo_auditable::packages(data, path, cargo_auditable::MAX_JSON) {
                                Ok(packages) => facts.packages.extend(packages),
                                Err(warning) => facts.warnings.push(warning),
                            }
                        }
                        Err(e) => facts
                            .warnings
                            .push(format!("cargo-auditable section unreadable: {e}")),
                    }
                }
                go_region(file, contents).and_then(go_buildinfo::find_header)
            }
            // Truncated or damaged headers: Go build info sits near the start of the data, so
            // it may still be there. Say nothing unless it is.
            Err(_) => go_buildinfo::find_header(contents),
        };
        if let Some(record) = go_record {
            let memory = |addr: u64, len: u64| match &parsed {
                Ok(file) => read_memory(file, addr, len),
                Err(_) => None,
            };
            let memory: Option<&go_buildinfo::Memory<'_>> = parsed.is_ok().then_some(&memory);
            match go_buildinfo::parse(record, memory) {
                Ok(info) => {
                    let packages = go_buildinfo::packages(&info, path, &mut facts.warnings);
                    facts.packages.extend(packages);
                }
                Err(warning) => facts.warnings.push(warning),
            }
        }
        Ok(facts)
    }
}

/// Where Go puts its build info: its own section on ELF (`.go.buildinfo`) and Mach-O
/// (`__go_buildinfo`), the start of `.data` on PE. `None` means not a Go binary. A section
/// whose bytes lie past the end of a truncated file (PE and Mach-O headers survive a cut) gives
/// the whole file to search instead.
fn go_region<'a>(file: &object::File<'a>, contents: &'a [u8]) -> Option<&'a [u8]> {
    let names: &[&str] = match file.format() {
        BinaryFormat::Pe => &[".data"],
        _ => &[".go.buildinfo", "__go_buildinfo"],
    };
    names
        .iter()
        .find_map(|name| file.section_by_name(name))
        .map(|s| s.data().unwrap_or(contents))
}

/// `len` bytes at virtual address `addr`, from the section holding it (as `debug/buildinfo`
/// reads them); `None` if no section with file data covers the whole range.
fn read_memory<'a>(file: &object::File<'a>, addr: u64, len: u64) -> Option<&'a [u8]> {
    file.sections().find_map(|section| {
        let offset = addr.checked_sub(section.address())?;
        if offset >= section.size() {
            return None;
        }
        let start = usize::try_from(offset).ok()?;
        let end = start.checked_add(usize::try_from(len).ok()?)?;
        section.data().ok()?.get(start..end)
    })
}

/// ELF, Mach-O (both byte orders, 32/64-bit, universal) or PE (`MZ`).
fn has_executable_magic(bytes: &[u8]) -> bool {
    let Some(magic) = bytes.get(..4) else {
        return false;
    };
    magic == b"\x7fELF"
        || matches!(
            magic,
            [0xfe, 0xed, 0xfa, 0xce | 0xcf]
                | [0xce | 0xcf, 0xfa, 0xed, 0xfe]
                | [0xca, 0xfe, 0xba, 0xbe]
        )
        || magic.starts_with(b"MZ")
}

/// Whether the file name may be a program: not one of [`NOT_PROGRAMS`] and not a versioned
/// shared library (`libz.so.1.3`).
fn is_program_name(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    if name.contains(".so.") {
        return false;
    }
    match name.rsplit_once('.') {
        Some((_, ext)) => !NOT_PROGRAMS.iter().any(|e| ext.eq_ignore_ascii_case(e)),
        None => true,
    }
}

#[cfg(test)]
mod tests;
