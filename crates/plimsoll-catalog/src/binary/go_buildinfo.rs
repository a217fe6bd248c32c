//! Go build information (`runtime/debug.BuildInfo`) as the Go linker embeds it in every binary
//! since Go 1.13, read the way `go version -m` (package `debug/buildinfo`) reads it.
//!
//! The record starts with a 32-byte header, 16-byte aligned: the 14-byte magic
//! `\xff Go buildinf:`, the pointer size, and a flags byte (bit 0: big-endian, bit 1: strings
//! inline). Since Go 1.18 the strings follow the header inline, each prefixed by its length as
//! an unsigned LEB128 varint: the Go version (`go1.21.3`, possibly with ` X:experiment`
//! suffixes), then the module information, a text block wrapped in 16-byte sentinels at both
//! ends. Before Go 1.18 the header held two pointers (of the header's size and byte order) to Go
//! string headers (data pointer, length) instead, resolved here through the section table as
//! `debug/buildinfo` resolves them; no toolchain that old is at hand, so that format is tested
//! on synthetic Mach-O files only.
//!
//! The module information is tab-separated lines: `path` (main package), `mod` (main module),
//! `dep` (a dependency) optionally followed by `=>` (its replacement, which is what was
//! linked), and `build` settings. A replacement is recorded as written: another module at its
//! version, or a local directory (`./fork`) at `(devel)`, which names no release and so
//! matches no advisory. The main module is kept even at `(devel)` (built from a checkout), as
//! `go version -m` shows it.

use plimsoll_types::{Package, PackageKind};

/// The header magic.
pub(crate) const MAGIC: &[u8; 14] = b"\xff Go buildinf:";
/// Header size; the inline strings start right after it.
const HEADER: usize = 32;
/// The header is aligned to this within its section.
pub(crate) const ALIGN: usize = 16;
/// Flag: strings are inline after the header (Go ≥ 1.18).
const FLAG_INLINE: u8 = 0x2;
/// Size of each sentinel around the module information.
const SENTINEL: usize = 16;
/// A pointed-to string longer than this is not build info (`debug/buildinfo` stops at 4 GiB;
/// real module information is a few KB, so 16 MiB is generous and bounds the copy).
const MAX_POINTED_STRING: u64 = 16 * 1024 * 1024;

/// The binary's memory as its section table maps it: `len` bytes at virtual address `addr`,
/// or `None` where nothing (or too little) is mapped from the file.
pub(crate) type Memory<'a> = dyn Fn(u64, u64) -> Option<&'a [u8]> + 'a;

/// The two strings of a Go build info record.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct BuildInfo {
    /// `go1.21.3`, as the toolchain names itself.
    pub(crate) go_version: String,
    /// Module information without its sentinels; empty for a binary built outside module mode.
    pub(crate) modinfo: String,
}

/// Finds the 16-byte-aligned header in `region` (a section's bytes, or a whole file when the
/// section table is unreadable), as `debug/buildinfo` searches its data section.
pub(crate) fn find_header(region: &[u8]) -> Option<&[u8]> {
    let mut offset = 0;
    while offset + HEADER <= region.len() {
        if region[offset..].starts_with(MAGIC) {
            return Some(&region[offset..]);
        }
        offset += ALIGN;
    }
    None
}

/// Reads the record starting at a header found by [`find_header`]; `memory` resolves the
/// pointers of the pre-1.18 format (`None` when the section table is unreadable). `Err` is a
/// warning: the binary is a Go binary, but its build info cannot be read.
pub(crate) fn parse(record: &[u8], memory: Option<&Memory<'_>>) -> Result<BuildInfo, String> {
    let header = record
        .get(..HEADER)
        .ok_or_else(|| format!("Go build info header truncated at {} bytes", record.len()))?;
    let flags = header[15];
    let (version, modinfo) = if flags & FLAG_INLINE == 0 {
        let memory = memory.ok_or_else(|| {
            "Go < 1.18 build info not read: section table unreadable, pointers unresolved"
                .to_owned()
        })?;
        pointed_strings(header, memory)?
    } else {
        let mut rest = &record[HEADER..];
        let version = read_string(&mut rest, "Go version")?;
        let modinfo = read_string(&mut rest, "module information")?;
        (version, modinfo)
    };
    let modinfo = strip_sentinels(modinfo);
    Ok(BuildInfo {
        go_version: String::from_utf8_lossy(version).into_owned(),
        modinfo: String::from_utf8_lossy(modinfo).into_owned(),
    })
}

/// The version and module strings of the pointer format (Go 1.13–1.17): two pointers after
/// the magic, pointer size and flags, each to a Go string header.
fn pointed_strings<'a>(header: &[u8], memory: &Memory<'a>) -> Result<(&'a [u8], &'a [u8]), String> {
    let ptr_size = usize::from(header[14]);
    let big_endian = header[15] & 0x1 != 0;
    let read_ptr = |bytes: &[u8]| -> Option<u64> {
        match (ptr_size, big_endian) {
            (4, false) => Some(u64::from(u32::from_le_bytes(
                bytes.get(..4)?.try_into().ok()?,
            ))),
            (4, true) => Some(u64::from(u32::from_be_bytes(
                bytes.get(..4)?.try_into().ok()?,
            ))),
            (8, false) => Some(u64::from_le_bytes(bytes.get(..8)?.try_into().ok()?)),
            (8, true) => Some(u64::from_be_bytes(bytes.get(..8)?.try_into().ok()?)),
            _ => None,
        }
    };
    if ptr_size != 4 && ptr_size != 8 {
        return Err(format!(
            "Go build info: pointer size {ptr_size} is neither 4 nor 8"
        ));
    }
    let string_at = |what: &str, slot: usize| -> Result<&'a [u8], String> {
        let unreadable = || format!("Go < 1.18 build info: {what} pointer does not resolve");
        let addr = read_ptr(&header[16 + slot * ptr_size..]).ok_or_else(unreadable)?;
        let string_header = memory(addr, 2 * ptr_size as u64).ok_or_else(unreadable)?;
        let data = read_ptr(string_header).ok_or_else(unreadable)?;
        let len = read_ptr(&string_header[ptr_size..]).ok_or_else(unreadable)?;
        if len > MAX_POINTED_STRING {
            return Err(format!(
                "Go < 1.18 build info: {what} length {len} is implausible"
            ));
        }
        memory(data, len).ok_or_else(unreadable)
    };
    Ok((
        string_at("Go version", 0)?,
        string_at("module information", 1)?,
    ))
}

/// One varint-length-prefixed string, bounded by the bytes present: a length past the end is
/// an error, never an allocation.
fn read_string<'a>(rest: &mut &'a [u8], what: &str) -> Result<&'a [u8], String> {
    let (len, used) =
        read_uvarint(rest).ok_or_else(|| format!("Go build info: bad {what} length"))?;
    let body = &rest[used..];
    let len = usize::try_from(len)
        .ok()
        .filter(|&len| len <= body.len())
        .ok_or_else(|| {
            format!(
                "Go build info: {what} length {len} runs past the end ({} bytes left)",
                body.len()
            )
        })?;
    *rest = &body[len..];
    Ok(&body[..len])
}

/// Unsigned LEB128 as Go's `binary.Uvarint`: at most 10 bytes, no overflow past 64 bits.
/// Returns the value and the bytes used.
fn read_uvarint(bytes: &[u8]) -> Option<(u64, usize)> {
    let mut value: u64 = 0;
    for (i, &b) in bytes.iter().enumerate().take(10) {
        if i == 9 && b > 1 {
            return None; // more than 64 bits
        }
        value |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return Some((value, i + 1));
        }
    }
    None
}

/// `debug/buildinfo`'s rule: the sentinels are present when the block is long enough and a
/// newline sits just before the trailing one; otherwise there is no module information.
fn strip_sentinels(modinfo: &[u8]) -> &[u8] {
    let n = modinfo.len();
    if n > 2 * SENTINEL && modinfo[n - SENTINEL - 1] == b'\n' {
        &modinfo[SENTINEL..n - SENTINEL]
    } else {
        &[]
    }
}

/// The Go version as OSV's Go ecosystem writes standard-library versions (the Go vulnerability
/// database's semver form): `go1.21.3` → `1.21.3`, `go1.19` → `1.19.0`, `go1.21rc2` →
/// `1.21.0-rc.2`, `go1.21.3 X:boringcrypto` → `1.21.3`. `None` for a development toolchain
/// (`devel go1.22-…`) or anything else that is not a release name.
pub(crate) fn stdlib_version(go_version: &str) -> Option<String> {
    let name = go_version.split_whitespace().next()?;
    let rest = name.strip_prefix("go")?;
    let (numbers, pre) = match rest.find(|c: char| !(c.is_ascii_digit() || c == '.')) {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    let parts: Vec<&str> = numbers.split('.').collect();
    if parts.is_empty()
        || parts.len() > 3
        || parts
            .iter()
            .any(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()))
    {
        return None;
    }
    let mut version = parts.join(".");
    for _ in parts.len()..3 {
        version.push_str(".0");
    }
    if !pre.is_empty() {
        let (tag, n) = ["rc", "beta"]
            .iter()
            .find_map(|t| pre.strip_prefix(t).map(|n| (*t, n)))?;
        if n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        version = format!("{version}-{tag}.{n}");
    }
    Some(version)
}

/// The packages of one binary: the standard library, the main module and every dependency
/// (its replacement when replaced). Problems go to `warnings`.
pub(crate) fn packages(
    info: &BuildInfo,
    found_in: &str,
    warnings: &mut Vec<String>,
) -> Vec<Package> {
    let mut out = Vec::new();
    match stdlib_version(&info.go_version) {
        Some(v) => out.push(Package::new(PackageKind::Go, "stdlib", v, found_in)),
        None => warnings.push(format!(
            "Go version {:?} is not a release name; stdlib not recorded",
            info.go_version
        )),
    }
    // Index in `out` of the last `dep`, which a following `=>` line replaces.
    let mut last_dep: Option<usize> = None;
    for line in info.modinfo.lines() {
        let mut fields = line.split('\t');
        let word = fields.next().unwrap_or_default();
        let path = fields.next().unwrap_or_default();
        let version = fields.next().unwrap_or_default();
        match word {
            "mod" | "dep" if !path.is_empty() && !version.is_empty() => {
                out.push(Package::new(PackageKind::Go, path, version, found_in));
                last_dep = (word == "dep").then_some(out.len() - 1);
            }
            "=>" if !path.is_empty() => match last_dep.take() {
                Some(i) => out[i] = Package::new(PackageKind::Go, path, version, found_in),
                None => warnings.push(format!("Go build info: replacement {path} follows no dep")),
            },
            "mod" | "dep" | "=>" => warnings.push(format!("Go build info: bad line {line:?}")),
            _ => last_dep = None,
        }
    }
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A record as the Go ≥ 1.18 linker lays it out.
    pub(crate) fn record(version: &str, modinfo: &str) -> Vec<u8> {
        let mut out = MAGIC.to_vec();
        out.extend([8, FLAG_INLINE]);
        out.resize(HEADER, 0);
        let mut push = |s: &[u8]| {
            let mut n = s.len();
            loop {
                let b = u8::try_from(n & 0x7f).unwrap();
                n >>= 7;
                out.push(if n == 0 { b } else { b | 0x80 });
                if n == 0 {
                    break;
                }
            }
            out.extend_from_slice(s);
        };
        push(version.as_bytes());
        let mut wrapped = vec![0x30; SENTINEL];
        wrapped.extend_from_slice(modinfo.as_bytes());
        wrapped.extend_from_slice(&[0xf9; SENTINEL]);
        push(&wrapped);
        out
    }

    const MODINFO: &str = "path\texample.net/hello\nmod\texample.net/hello\t(devel)\t\n\
        dep\texample.com/greet\tv1.2.3\th1:abc=\ndep\texample.org/shout\tv0.1.0\n\
        =>\t./shout\t(devel)\t\nbuild\tGOOS=linux\n";

    fn names(ps: &[Package]) -> Vec<String> {
        ps.iter()
            .map(|p| format!("{} {}", p.name, p.version))
            .collect()
    }

    #[test]
    fn inline_record_yields_stdlib_main_module_and_replaced_deps() {
        let mut region = vec![0u8; 48];
        region.extend(record("go1.21.3 X:boringcrypto", MODINFO));
        let info = parse(find_header(&region).unwrap(), None).unwrap();
        assert_eq!(info.go_version, "go1.21.3 X:boringcrypto");
        let mut warnings = Vec::new();
        let ps = packages(&info, "/bin/hello", &mut warnings);
        assert_eq!(
            names(&ps),
            [
                "stdlib 1.21.3",
                "example.net/hello (devel)",
                "example.com/greet v1.2.3",
                "./shout (devel)"
            ]
        );
        assert!(warnings.is_empty(), "{warnings:?}");
        assert!(
            ps.iter()
                .all(|p| p.found_in == "/bin/hello" && p.kind == PackageKind::Go)
        );
    }

    #[test]
    fn header_must_be_aligned() {
        let mut region = vec![0u8; 8];
        region.extend(record("go1.21.3", MODINFO));
        assert!(find_header(&region).is_none());
    }

    #[test]
    fn modinfo_without_sentinels_is_empty() {
        let rec = record("go1.19.8", "");
        let info = parse(&rec, None).unwrap();
        assert_eq!(info.modinfo, "");
        let ps = packages(&info, "/x", &mut Vec::new());
        assert_eq!(names(&ps), ["stdlib 1.19.8"]);
    }

    #[test]
    fn stdlib_versions_follow_the_go_vulnerability_database() {
        for (go, want) in [
            ("go1.21.3", Some("1.21.3")),
            ("go1.19", Some("1.19.0")),
            ("go1.21.0", Some("1.21.0")),
            ("go1.21rc2", Some("1.21.0-rc.2")),
            ("go1.18beta1", Some("1.18.0-beta.1")),
            ("go1.21.3 X:boringcrypto,loopvar", Some("1.21.3")),
            ("devel go1.22-abcdef Tue", None),
            ("go", None),
            ("go1..2", None),
            ("go1.2.3.4", None),
            ("go1.21alpha1", None),
            ("", None),
        ] {
            assert_eq!(stdlib_version(go).as_deref(), want, "{go}");
        }
    }

    #[test]
    fn hostile_records_are_warnings_not_panics() {
        let good = record("go1.21.3", MODINFO);
        // Every truncation.
        for n in 0..good.len() {
            let _ = parse(&good[..n], None);
        }
        // A length past the end, and a huge varint: errors, no allocation of that size.
        let mut huge = good[..HEADER].to_vec();
        huge.extend([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
        let err = parse(&huge, None).unwrap_err();
        assert!(err.contains("runs past the end"), "{err}");
        let mut overflow = good[..HEADER].to_vec();
        overflow.extend([0xff; 11]);
        assert_eq!(
            parse(&overflow, None).unwrap_err(),
            "Go build info: bad Go version length"
        );
        // The pointer format: without a section table, with pointers to nowhere, with a
        // string header claiming 4 GiB, and with a bad pointer size.
        let mut old = good[..HEADER].to_vec();
        old[15] = 0;
        assert!(parse(&old, None).unwrap_err().contains("Go < 1.18"));
        let nowhere = |_: u64, _: u64| -> Option<&[u8]> { None };
        assert!(
            parse(&old, Some(&nowhere))
                .unwrap_err()
                .contains("does not resolve")
        );
        let liar = |_: u64, len: u64| -> Option<&[u8]> {
            (len == 16).then_some(&[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0][..])
        };
        assert!(
            parse(&old, Some(&liar))
                .unwrap_err()
                .contains("implausible")
        );
        old[14] = 3;
        assert!(
            parse(&old, Some(&nowhere))
                .unwrap_err()
                .contains("pointer size 3")
        );
        // Junk module lines.
        let info = BuildInfo {
            go_version: "go1.21.3".into(),
            modinfo: "=>\tx\tv1\ndep\ndep\t\t\n\t\t\t\nmod\tm\n".into(),
        };
        let mut warnings = Vec::new();
        let ps = packages(&info, "/x", &mut warnings);
        assert_eq!(names(&ps), ["stdlib 1.21.3"]);
        assert_eq!(warnings.len(), 4, "{warnings:?}");
    }
}
