//! Executables too large to hold in memory (a 100 MB `node`, a 150 MB Go server), read as a
//! stream in bounded memory.
//!
//! Two things are kept while the bytes pass: the Go build info record, found by its aligned
//! magic as the bytes go by (Go writes the version and module strings inline after it since
//! Go 1.18), and the first and last few megabytes of the file. Section tables sit at the start
//! (Mach-O, PE) or the end (ELF), and linkers put non-allocated sections such as
//! `cargo auditable`'s `.dep-v0` at the end too, so `object` parses the file from those two
//! windows through [`Windows`], a `ReadRef` that answers only for bytes it kept.

use std::io::Read;
use std::ops::Range;

use object::read::ReadRef;
use object::{Object as _, ObjectSection as _};
use plimsoll_types::FileFacts;

use super::{cargo_auditable, go_buildinfo, has_executable_magic};
use crate::{Error, Result};

/// Bytes kept from the start of the file.
const HEAD: usize = 4 * 1024 * 1024;
/// Bytes kept from the end of the file.
const TAIL: usize = 8 * 1024 * 1024;
/// Bytes of a Go build info record kept after its magic: its two strings, with room to spare
/// (module lists of large programs are tens of kilobytes).
const GO_RECORD: usize = 1024 * 1024;
/// Read size.
const CHUNK: usize = 1024 * 1024;

/// The kept parts of a file.
struct Windows {
    head: Vec<u8>,
    tail: Vec<u8>,
    tail_start: u64,
    len: u64,
}

impl Windows {
    fn slice(&self, range: Range<u64>) -> Option<&[u8]> {
        if range.end <= self.head.len() as u64 {
            let r = usize::try_from(range.start).ok()?..usize::try_from(range.end).ok()?;
            return self.head.get(r);
        }
        if range.start >= self.tail_start && range.end <= self.len {
            let start = usize::try_from(range.start - self.tail_start).ok()?;
            let end = usize::try_from(range.end - self.tail_start).ok()?;
            return self.tail.get(start..end);
        }
        None
    }
}

impl<'a> ReadRef<'a> for &'a Windows {
    fn len(self) -> Result<u64, ()> {
        Ok(self.len)
    }

    fn read_bytes_at(self, offset: u64, size: u64) -> Result<&'a [u8], ()> {
        let end = offset.checked_add(size).ok_or(())?;
        self.slice(offset..end).ok_or(())
    }

    fn read_bytes_at_until(self, range: Range<u64>, delimiter: u8) -> Result<&'a [u8], ()> {
        // The range may run past a window (string tables give only a start); search what is
        // kept of it.
        let kept = if range.end <= self.head.len() as u64 || range.start >= self.tail_start {
            let end = if range.start >= self.tail_start {
                range.end.min(self.len)
            } else {
                range.end.min(self.head.len() as u64)
            };
            self.slice(range.start..end).ok_or(())?
        } else {
            self.slice(range.start..self.head.len() as u64).ok_or(())?
        };
        let at = memchr::memchr(delimiter, kept).ok_or(())?;
        Ok(&kept[..at])
    }
}

/// Finds the Go build info record in a stream: the magic at a 16-byte-aligned offset.
#[derive(Default)]
struct GoSearch {
    /// The last bytes of the previous chunk, so a magic split across chunks is seen.
    carry: Vec<u8>,
    carry_start: u64,
    record: Option<Vec<u8>>,
}

impl GoSearch {
    fn feed(&mut self, offset: u64, chunk: &[u8]) {
        if let Some(record) = &mut self.record {
            let room = GO_RECORD.saturating_sub(record.len());
            record.extend_from_slice(&chunk[..room.min(chunk.len())]);
            return;
        }
        let mut window = std::mem::take(&mut self.carry);
        let window_start = if window.is_empty() {
            offset
        } else {
            self.carry_start
        };
        window.extend_from_slice(chunk);
        let finder = memchr::memmem::Finder::new(go_buildinfo::MAGIC);
        let aligned = finder
            .find_iter(&window)
            .find(|&at| (window_start + at as u64).is_multiple_of(go_buildinfo::ALIGN as u64));
        if let Some(at) = aligned {
            let end = window.len().min(at + GO_RECORD);
            self.record = Some(window[at..end].to_vec());
            return;
        }
        let keep = window.len().min(go_buildinfo::MAGIC.len() - 1);
        self.carry_start = window_start + (window.len() - keep) as u64;
        self.carry = window[window.len() - keep..].to_vec();
    }
}

/// Reads Go build info and `cargo auditable` data from an executable of `size` bytes.
pub(super) fn catalog(
    name: &str,
    path: &str,
    size: u64,
    reader: &mut dyn Read,
) -> Result<FileFacts> {
    let mut facts = FileFacts {
        path: path.to_owned(),
        cataloger: name.to_owned(),
        ..FileFacts::default()
    };
    let read_err = |source| Error::Read {
        path: path.to_owned(),
        source,
    };
    let mut head = Vec::with_capacity(HEAD);
    Read::take(&mut *reader, HEAD as u64)
        .read_to_end(&mut head)
        .map_err(read_err)?;
    if !has_executable_magic(&head) {
        return Ok(facts);
    }
    let mut go = GoSearch::default();
    go.feed(0, &head);
    // The tail as a ring of chunks, trimmed to TAIL bytes.
    let mut tail: std::collections::VecDeque<Vec<u8>> = std::collections::VecDeque::new();
    let mut tail_bytes = 0usize;
    let mut offset = head.len() as u64;
    let mut buffer = vec![0u8; CHUNK];
    loop {
        let n = reader.read(&mut buffer).map_err(read_err)?;
        if n == 0 {
            break;
        }
        go.feed(offset, &buffer[..n]);
        tail.push_back(buffer[..n].to_vec());
        tail_bytes += n;
        while tail_bytes - tail.front().map_or(0, Vec::len) >= TAIL {
            tail_bytes -= tail.pop_front().map_or(0, |c| c.len());
        }
        offset += n as u64;
    }
    let tail: Vec<u8> = tail.into_iter().flatten().collect();
    let windows = Windows {
        tail_start: offset - tail.len() as u64,
        head,
        tail,
        len: offset,
    };
    if offset != size {
        facts
            .warnings
            .push(format!("executable ended at {offset} of {size} bytes"));
    }
    if let Ok(file) = object::File::parse(&windows)
        && let Some(section) = file.section_by_name(cargo_auditable::SECTION)
    {
        match section.data() {
            Ok(data) => match cargo_auditable::packages(data, path, cargo_auditable::MAX_JSON) {
                Ok(packages) => facts.packages.extend(packages),
                Err(warning) => facts.warnings.push(warning),
            },
            Err(_) => facts.warnings.push(format!(
                "cargo auditable data not read: it lies outside the first {} MiB and last {} MiB \
                 kept of this {size}-byte executable",
                HEAD >> 20,
                TAIL >> 20
            )),
        }
    }
    if let Some(record) = go.record {
        match go_buildinfo::parse(&record, None) {
            Ok(info) => {
                let packages = go_buildinfo::packages(&info, path, &mut facts.warnings);
                facts.packages.extend(packages);
            }
            Err(warning) => facts.warnings.push(warning),
        }
    }
    Ok(facts)
}
