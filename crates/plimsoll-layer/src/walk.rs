use std::io::{self, Read};

use plimsoll_types::Digest;

use crate::path::normalise_entry_path;
use crate::stream::{self, Decoded};
use crate::{Compression, Error, Result};

/// Caps that keep a hostile or broken layer from exhausting CPU, memory or time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Refuse a layer whose uncompressed stream exceeds this many bytes.
    pub max_uncompressed_bytes: u64,
    /// Refuse a layer that expands more than this ratio (uncompressed / compressed) …
    pub max_expansion_ratio: u64,
    /// … once it has expanded beyond this many bytes (small layers of zeros are harmless).
    pub ratio_grace_bytes: u64,
}

impl Default for Limits {
    /// 64 `GiB` uncompressed, and 500× once past 256 `MiB`: real layers stay far below both
    /// (gzip of ordinary files is 2–10×), while a zip-bomb layer hits the ratio within a
    /// fraction of a second.
    fn default() -> Self {
        Limits {
            max_uncompressed_bytes: 64 << 30,
            max_expansion_ratio: 500,
            ratio_grace_bytes: 256 << 20,
        }
    }
}

/// Options of one walk.
#[derive(Clone, Debug, Default)]
pub struct WalkOptions {
    /// Size and ratio caps.
    pub limits: Limits,
    /// The digest the manifest names for the blob; the walk fails if the bytes differ.
    pub expected_digest: Option<Digest>,
    /// The diff-id the image config names; the walk fails if the uncompressed bytes differ.
    pub expected_diff_id: Option<Digest>,
}

/// What a walk measured.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WalkSummary {
    /// Compression found by magic bytes.
    pub compression: Compression,
    /// Digest of the blob bytes read.
    pub digest: Digest,
    /// Digest of the uncompressed stream.
    pub diff_id: Digest,
    /// Blob size.
    pub compressed_size: u64,
    /// Uncompressed size, including tar padding after the end-of-archive marker.
    pub uncompressed_size: u64,
    /// Tar entries seen (including whiteouts and directories).
    pub entries: u64,
}

/// What kind of entry a visitor sees.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EntryKind {
    /// A regular file; its bytes can be read from the [`Entry`].
    File,
    /// A directory.
    Directory,
    /// A symbolic link to `target`, as written (not resolved, never followed).
    Symlink {
        /// Link text.
        target: String,
    },
    /// A hard link to another entry of the same layer, normalised like entry paths.
    Hardlink {
        /// Absolute path of the link target.
        target: String,
    },
    /// `.wh.<name>`: deletes the entry's path from lower layers. [`Entry::path`] is the
    /// deleted path, not the marker's.
    Whiteout,
    /// `.wh..wh..opq`: hides everything lower layers put in this directory. [`Entry::path`] is
    /// the directory.
    Opaque,
    /// Devices, FIFOs and the like.
    Other,
}

/// One tar entry, handed to the visitor.
pub struct Entry<'a> {
    path: String,
    kind: EntryKind,
    size: u64,
    mode: u32,
    data: &'a mut dyn Read,
}

impl Entry<'_> {
    /// Absolute normalised path inside the image.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The entry kind.
    pub fn kind(&self) -> &EntryKind {
        &self.kind
    }

    /// Size of the file data in bytes (0 for non-files).
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Permission bits from the tar header (`0o755`); 0 when unreadable.
    pub fn mode(&self) -> u32 {
        self.mode
    }

    /// The file's bytes as a stream, for readers that must not hold a whole file in memory.
    /// What a reader leaves unread is skipped by the walk.
    pub fn reader(&mut self) -> &mut dyn Read {
        &mut *self.data
    }

    /// Reads a regular file's bytes if it is at most `max` bytes long; `None` if larger
    /// (nothing is read then) or not a file.
    pub fn read_limited(&mut self, max: u64) -> Result<Option<Vec<u8>>> {
        if self.kind != EntryKind::File || self.size > max {
            return Ok(None);
        }
        let capacity = usize::try_from(self.size).unwrap_or(0);
        let mut bytes = Vec::with_capacity(capacity);
        self.data
            .take(max)
            .read_to_end(&mut bytes)
            .map_err(Error::Tar)?;
        Ok(Some(bytes))
    }
}

/// Receives the entries of a layer, in tar order.
pub trait EntryVisitor {
    /// Called once per entry. Returning an error stops the walk and fails the layer.
    fn visit(&mut self, entry: &mut Entry<'_>) -> Result<()>;
}

const WHITEOUT_PREFIX: &str = ".wh.";
const OPAQUE_MARKER: &str = ".wh..wh..opq";

/// Walks a layer blob in one pass: decompresses, verifies digests, enforces limits and calls
/// `visitor` for every entry. The whole stream is read to its end (also past the tar
/// end-of-archive marker) so the digest and diff-id cover every byte.
///
/// Decoding runs on a scoped helper thread (see the `stream` module); the visitor runs on the
/// calling thread, so it need not be `Send`.
pub fn walk_layer<R: Read + Send>(
    blob: R,
    options: &WalkOptions,
    visitor: &mut dyn EntryVisitor,
) -> Result<WalkSummary> {
    let (tx, recycled, mut decoded) = stream::channel(options.limits);
    std::thread::scope(|scope| {
        scope.spawn(move || stream::decode(blob, &tx, &recycled));
        let outcome = walk_entries(&mut decoded, visitor);
        // Resolve to the root cause: a fault parked by the stream beats what the tar reader or
        // the visitor made of it.
        let fault = decoded.fault.take();
        let result = match (fault, outcome) {
            (Some(fault), _) => Err(fault),
            (None, Err(e)) => Err(e),
            (None, Ok(entries)) => finish(&mut decoded, entries, options),
        };
        // Dropping the reader hangs up the channel, so a decode thread still running stops.
        drop(decoded);
        result
    })
}

fn walk_entries(decoded: &mut Decoded, visitor: &mut dyn EntryVisitor) -> Result<u64> {
    let mut archive = tar::Archive::new(decoded);
    let mut entries = 0u64;
    for entry in archive.entries().map_err(Error::Tar)? {
        let mut entry = entry.map_err(Error::Tar)?;
        entries += 1;
        let raw_path = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        let path = normalise_entry_path(&raw_path)?;
        let header = entry.header();
        let size = header.entry_size().map_err(Error::Tar)?;
        let entry_type = header.entry_type();
        // An unreadable mode is not worth failing a layer over: it only steers which
        // catalogers look at the file.
        let mode = header.mode().unwrap_or(0) & 0o7777;
        let (path, kind) = classify(path, entry_type, &entry)?;
        let size = if kind == EntryKind::File { size } else { 0 };
        let mut visit = Entry {
            path,
            kind,
            size,
            mode,
            data: &mut entry,
        };
        visitor.visit(&mut visit)?;
    }
    Ok(entries)
}

fn classify<R: Read>(
    path: String,
    entry_type: tar::EntryType,
    entry: &tar::Entry<'_, R>,
) -> Result<(String, EntryKind)> {
    let (parent, name) = match path.rfind('/') {
        Some(i) => (&path[..i], &path[i + 1..]),
        None => ("", path.as_str()),
    };
    if name == OPAQUE_MARKER {
        let dir = if parent.is_empty() {
            "/".to_owned()
        } else {
            parent.to_owned()
        };
        return Ok((dir, EntryKind::Opaque));
    }
    if let Some(hidden) = name.strip_prefix(WHITEOUT_PREFIX) {
        // `.wh..wh.*` other than the opaque marker are aufs internals (hard-link directories);
        // they hide nothing.
        if hidden.starts_with(WHITEOUT_PREFIX) || hidden.is_empty() {
            return Ok((path, EntryKind::Other));
        }
        return Ok((format!("{parent}/{hidden}"), EntryKind::Whiteout));
    }
    let kind = match entry_type {
        tar::EntryType::Regular | tar::EntryType::Continuous | tar::EntryType::GNUSparse => {
            EntryKind::File
        }
        tar::EntryType::Directory => EntryKind::Directory,
        tar::EntryType::Symlink => EntryKind::Symlink {
            target: link_text(entry),
        },
        tar::EntryType::Link => EntryKind::Hardlink {
            target: normalise_entry_path(&link_text(entry))?,
        },
        _ => EntryKind::Other,
    };
    Ok((path, kind))
}

fn link_text<R: Read>(entry: &tar::Entry<'_, R>) -> String {
    entry
        .link_name_bytes()
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default()
}

fn finish(decoded: &mut Decoded, entries: u64, options: &WalkOptions) -> Result<WalkSummary> {
    // Drain what follows the end-of-archive marker (padding to the record size) so the hashes
    // cover the whole stream.
    io::copy(decoded, &mut io::sink()).map_err(Error::Tar)?;
    if let Some(fault) = decoded.fault.take() {
        return Err(fault);
    }
    let Some((compressed_size, digest, compression)) = decoded.end.take() else {
        return Err(Error::Read(io::Error::other(
            "layer stream ended without its trailer",
        )));
    };
    let diff_id = decoded.finish_hash();
    if let Some(expected) = &options.expected_digest
        && *expected != digest
    {
        return Err(Error::DigestMismatch {
            expected: expected.clone(),
            actual: digest,
        });
    }
    if let Some(expected) = &options.expected_diff_id
        && *expected != diff_id
    {
        return Err(Error::DiffIdMismatch {
            expected: expected.clone(),
            actual: diff_id,
        });
    }
    Ok(WalkSummary {
        compression,
        digest,
        diff_id,
        compressed_size,
        uncompressed_size: decoded.uncompressed,
        entries,
    })
}
