//! Unit tests of the binary cataloger on synthetic object files written with `object::write`
//! (real Go and Rust binaries are megabytes: `tests/it/{go,rust}_oracle.rs` read those).

use object::write::Object;
use object::{Architecture, BinaryFormat, Endianness, SectionKind};
use plimsoll_types::FileFacts;

use super::*;
use crate::testutil;

const MODINFO: &str = "path\texample.net/hello\nmod\texample.net/hello\t(devel)\t\n\
    dep\tgolang.org/x/text\tv0.14.0\th1:x=\n";

/// An object file of `format` with the given `(segment, section, bytes)` data sections.
fn object_file(format: BinaryFormat, sections: &[(&str, &str, Vec<u8>)]) -> Vec<u8> {
    let mut obj = Object::new(format, Architecture::X86_64, Endianness::Little);
    let text = obj.add_section(
        obj.segment_name(object::write::StandardSegment::Text)
            .to_vec(),
        b".text".to_vec(),
        SectionKind::Text,
    );
    obj.append_section_data(text, &[0xc3; 64], 16);
    for (segment, name, data) in sections {
        let id = obj.add_section(
            segment.as_bytes().to_vec(),
            name.as_bytes().to_vec(),
            SectionKind::Data,
        );
        obj.append_section_data(id, data, 16);
    }
    obj.write().unwrap()
}

fn go_and_rust_elf() -> Vec<u8> {
    object_file(
        BinaryFormat::Elf,
        &[
            (
                "",
                ".go.buildinfo",
                go_buildinfo::tests::record("go1.22.1", MODINFO),
            ),
            (
                "",
                cargo_auditable::SECTION,
                cargo_auditable::tests::compress(cargo_auditable::tests::SAMPLE.as_bytes()),
            ),
        ],
    )
}

fn catalog(bytes: &[u8]) -> FileFacts {
    BinaryCataloger.catalog("/usr/bin/app", bytes).unwrap()
}

fn names(facts: &FileFacts) -> Vec<String> {
    facts
        .packages
        .iter()
        .map(|p| format!("{} {} {}", p.kind.as_str(), p.name, p.version))
        .collect()
}

#[test]
fn elf_with_both_records_yields_both() {
    let facts = catalog(&go_and_rust_elf());
    assert_eq!(
        names(&facts),
        [
            "cargo hex 0.4.3",
            "cargo mirror 2.0.0",
            "cargo cc 1.0.0",
            "go stdlib 1.22.1",
            "go example.net/hello (devel)",
            "go golang.org/x/text v0.14.0",
        ]
    );
    assert!(facts.warnings.is_empty(), "{:?}", facts.warnings);
    assert_eq!(facts.cataloger, "binary");
    assert!(facts.packages.iter().all(|p| p.found_in == "/usr/bin/app"));
}

#[test]
fn macho_go_section_is_found() {
    let bytes = object_file(
        BinaryFormat::MachO,
        &[(
            "__DATA",
            "__go_buildinfo",
            go_buildinfo::tests::record("go1.21.3", MODINFO),
        )],
    );
    assert_eq!(names(&catalog(&bytes))[0], "go stdlib 1.21.3");
}

#[test]
fn non_go_binaries_and_non_binaries_yield_nothing() {
    let plain = object_file(
        BinaryFormat::Elf,
        &[("", ".data", b"\xff Go buildinf: is only text here".to_vec())],
    );
    // The real `ls` of this machine: a C program, neither Go nor auditable.
    let ls = fs_err::read("/bin/ls").unwrap_or_default();
    for bytes in [
        plain.as_slice(),
        ls.as_slice(),
        b"#!/bin/sh\necho hi\n",
        b"",
        b"\x7fEL",
    ] {
        let facts = catalog(bytes);
        assert!(
            facts.packages.is_empty() && facts.warnings.is_empty(),
            "{facts:?}"
        );
    }
}

#[test]
fn unreadable_records_are_warnings() {
    let mut hostile = go_buildinfo::tests::record("go1.22.1", MODINFO);
    hostile.truncate(40); // the module information's length now runs past the end
    let bytes = object_file(
        BinaryFormat::Elf,
        &[
            ("", ".go.buildinfo", hostile),
            ("", cargo_auditable::SECTION, b"\x78\x9c garbage".to_vec()),
        ],
    );
    let facts = catalog(&bytes);
    assert!(facts.packages.is_empty());
    assert_eq!(facts.warnings.len(), 2, "{:?}", facts.warnings);
    assert!(
        facts
            .warnings
            .iter()
            .any(|w| w.contains("runs past the end"))
    );
    assert!(facts.warnings.iter().any(|w| w.contains("zlib")));
}

#[test]
fn truncated_elf_still_finds_go_build_info_or_says_nothing() {
    let good = go_and_rust_elf();
    let mut found = 0;
    for n in 0..good.len() {
        let facts = catalog(&good[..n]);
        if facts.packages.iter().any(|p| p.name == "stdlib") {
            found += 1;
        }
    }
    // Cut before the section headers at the end, the header scan still finds the record.
    assert!(found > 0);
    testutil::assert_no_panic(&BinaryCataloger, "/usr/bin/app", &good);
}

#[test]
fn wants_regular_executables_of_plausible_size_only() {
    let c = BinaryCataloger;
    let file = |path, size, mode| FileCandidate { path, size, mode };
    assert!(c.wants_file(&file("/usr/bin/kubectl", 50 << 20, 0o755)));
    assert!(c.wants_file(&file("/app/server", 8 << 10, 0o700)));
    assert!(c.wants_file(&file("/app/tool.exe", 8 << 10, 0o100)));
    assert!(!c.wants_file(&file("/usr/bin/kubectl", 50 << 20, 0o644)));
    assert!(!c.wants_file(&file("/usr/bin/tiny", 100, 0o755)));
    assert!(!c.wants_file(&file("/usr/bin/huge", (256 << 20) + 1, 0o755)));
    for path in [
        "/usr/lib/libz.so",
        "/usr/lib/libz.so.1.3",
        "/app/app.jar",
        "/usr/bin/pip.py",
        "/docker-entrypoint.sh",
        "/app/Cargo.lock",
    ] {
        assert!(!c.wants_file(&file(path, 1 << 20, 0o755)), "{path}");
    }
    assert!(!c.wants("/usr/bin/kubectl"));
    assert!(!c.keeps_empty());
}

/// The pre-1.18 pointer format in a synthetic Mach-O (whose writer gives sections addresses,
/// unlike ELF relocatable files): the header points at two Go string headers in `__data`,
/// which point at the strings. Written twice: once to learn where `__data` lands.
#[test]
fn pointer_format_is_resolved_through_sections() {
    let modinfo = format!("{}{MODINFO}{}", "0".repeat(16), "9".repeat(16));
    let version = "go1.16.15";
    let build = |data_addr: u64, big_endian: bool| {
        let u64_bytes = |v: u64| {
            if big_endian {
                v.to_be_bytes()
            } else {
                v.to_le_bytes()
            }
        };
        let mut header = b"\xff Go buildinf:".to_vec();
        header.extend([8, u8::from(big_endian)]);
        header.extend(u64_bytes(data_addr));
        header.extend(u64_bytes(data_addr + 16));
        let mut data = Vec::new();
        data.extend(u64_bytes(data_addr + 32));
        data.extend(u64_bytes(version.len() as u64));
        data.extend(u64_bytes(data_addr + 32 + version.len() as u64));
        data.extend(u64_bytes(modinfo.len() as u64));
        data.extend(version.as_bytes());
        data.extend(modinfo.as_bytes());
        object_file(
            BinaryFormat::MachO,
            &[
                ("__DATA", "__go_buildinfo", header),
                ("__DATA", "__data", data),
            ],
        )
    };
    let first = build(0, false);
    let parsed = object::File::parse(first.as_slice()).unwrap();
    let data_addr = parsed.section_by_name("__data").unwrap().address();
    assert_ne!(data_addr, 0);
    for big_endian in [false, true] {
        let facts = catalog(&build(data_addr, big_endian));
        assert!(facts.warnings.is_empty(), "{:?}", facts.warnings);
        assert_eq!(
            names(&facts),
            [
                "go stdlib 1.16.15",
                "go example.net/hello (devel)",
                "go golang.org/x/text v0.14.0",
            ]
        );
    }
    // Pointers one string too far: a warning, nothing read.
    let facts = catalog(&build(data_addr + 4096, false));
    assert!(facts.packages.is_empty());
    assert!(
        facts.warnings[0].contains("does not resolve"),
        "{:?}",
        facts.warnings
    );
}

/// Reads at most `step` bytes per call, as a tar entry read through a decoder may.
struct Trickle<'a> {
    bytes: &'a [u8],
    step: usize,
}

impl std::io::Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = buf.len().min(self.step).min(self.bytes.len());
        buf[..n].copy_from_slice(&self.bytes[..n]);
        self.bytes = &self.bytes[n..];
        Ok(n)
    }
}

fn streamed(bytes: &[u8], step: usize) -> FileFacts {
    let mut reader = Trickle { bytes, step };
    BinaryCataloger
        .catalog_reader("/usr/bin/app", bytes.len() as u64, &mut reader)
        .unwrap()
}

const MIB: usize = 1024 * 1024;

/// An ELF larger than the in-memory limit: `before` MiB of data, the two records, `after` MiB.
fn large_elf(before: usize, after: usize) -> Vec<u8> {
    object_file(
        BinaryFormat::Elf,
        &[
            ("", ".data.pad0", vec![0x5a; before * MIB]),
            (
                "",
                ".go.buildinfo",
                go_buildinfo::tests::record("go1.22.1", MODINFO),
            ),
            (
                "",
                cargo_auditable::SECTION,
                cargo_auditable::tests::compress(cargo_auditable::tests::SAMPLE.as_bytes()),
            ),
            ("", ".data.pad1", vec![0xa5; after * MIB]),
        ],
    )
}

#[test]
fn large_executables_are_streamed_with_the_same_result() {
    // Records near the end: both found from the stream and the kept tail.
    let bytes = large_elf(18, 0);
    assert!(bytes.len() as u64 > MAX_IN_MEMORY);
    let whole = catalog(&bytes);
    assert!(
        names(&whole).iter().any(|n| n.starts_with("go stdlib")),
        "{whole:?}"
    );
    assert!(
        names(&whole).iter().any(|n| n.starts_with("cargo ")),
        "{whole:?}"
    );
    for step in [MIB, 997, 4096 + 3] {
        let facts = streamed(&bytes, step);
        assert_eq!(names(&facts), names(&whole), "read {step} bytes at a time");
        assert!(facts.warnings.is_empty(), "{:?}", facts.warnings);
    }
}

#[test]
fn streamed_records_in_the_middle_go_found_rust_said_unread() {
    // 6 MiB in: past the kept head; 12 MiB before the end: before the kept tail.
    let bytes = large_elf(6, 12);
    let facts = streamed(&bytes, 65_536);
    assert!(
        names(&facts).iter().any(|n| n.starts_with("go stdlib")),
        "{facts:?}"
    );
    assert!(
        !names(&facts).iter().any(|n| n.starts_with("cargo ")),
        "{facts:?}"
    );
    assert_eq!(facts.warnings.len(), 1, "{:?}", facts.warnings);
    assert!(
        facts.warnings[0].starts_with("cargo auditable data not read"),
        "{:?}",
        facts.warnings
    );
}

#[test]
fn large_non_executables_and_plain_programs_yield_nothing() {
    let text = vec![b'x'; 17 * MIB];
    assert_eq!(
        streamed(&text, MIB),
        FileFacts {
            path: "/usr/bin/app".into(),
            cataloger: "binary".into(),
            ..FileFacts::default()
        }
    );
    let plain = object_file(BinaryFormat::Elf, &[("", ".data", vec![0; 17 * MIB])]);
    let facts = streamed(&plain, MIB);
    assert!(
        facts.packages.is_empty() && facts.warnings.is_empty(),
        "{facts:?}"
    );
}
