//! Layer streams: from the bytes of a layer blob to a sequence of tar entries, in one pass and
//! bounded memory.
//!
//! ```text
//! blob bytes ─► digest check ─► decompress (gzip | zstd | none, by magic bytes)
//!            ─► diff-id hash + size/ratio limits ─► tar walk ─► EntryVisitor
//! ```
//!
//! [`walk_layer`] drives the whole chain over any [`std::io::Read`]; nothing is written to disk
//! and only one entry is in flight at a time. Entries reach the [`EntryVisitor`] with a
//! normalised absolute path (`/usr/lib/os-release`); OCI whiteouts are reported as
//! [`EntryKind::Whiteout`] / [`EntryKind::Opaque`] rather than as files. A path with a `..`
//! component fails the whole layer: a layer like that is hostile, not merely odd.
//!
//! Links are reported, never followed: nothing here resolves a path, so nothing can escape the
//! image root.
//!
//! This crate is synchronous; the async registry side bridges into it with `spawn_blocking`.
//! It depends only on `plimsoll-types`.
//!
//! ```
//! use plimsoll_layer::{walk_layer, Entry, EntryKind, EntryVisitor, WalkOptions};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // A one-file tar, uncompressed.
//! let mut builder = tar::Builder::new(Vec::new());
//! let mut header = tar::Header::new_gnu();
//! header.set_size(5);
//! header.set_mode(0o644);
//! header.set_cksum();
//! builder.append_data(&mut header, "etc/hostname", &b"ship\n"[..])?;
//! let layer = builder.into_inner()?;
//!
//! struct Paths(Vec<String>);
//! impl EntryVisitor for Paths {
//!     fn visit(&mut self, entry: &mut Entry<'_>) -> plimsoll_layer::Result<()> {
//!         self.0.push(entry.path().to_owned());
//!         Ok(())
//!     }
//! }
//! let mut paths = Paths(Vec::new());
//! let summary = walk_layer(&layer[..], &WalkOptions::default(), &mut paths)?;
//! assert_eq!(paths.0, ["/etc/hostname"]);
//! assert_eq!(summary.entries, 1);
//! # Ok(()) }
//! ```

mod compression;
mod error;
mod path;
mod stream;
mod walk;

pub use crate::compression::Compression;
pub use crate::error::{Error, Result};
pub use crate::path::normalise_entry_path;
pub use crate::walk::{
    Entry, EntryKind, EntryVisitor, Limits, WalkOptions, WalkSummary, walk_layer,
};
