//! Folds the facts of an image's layers, base first, into the image view: what a container
//! started from the image would see.
//!
//! Layer facts are per file (see [`plimsoll_types::LayerFacts`]), so folding is a walk over a
//! path-keyed map, the same way a union filesystem stacks layers:
//!
//! 1. an opaque marker (`.wh..wh..opq`) hides everything lower layers put under its directory;
//! 2. a whiteout (`.wh.<name>`) deletes the path and everything under it;
//! 3. a file replaces the lower file at the same path.
//!
//! Whiteouts act only on lower layers, so steps 1–2 run before step 3 for each layer. A
//! package's origin layer survives a rewrite of its file when the package itself is unchanged:
//! `apt-get install` in layer 3 rewrites `/var/lib/dpkg/status`, yet `bash` still came from the
//! base layer.
//!
//! The fold is a pure function of the facts; it reads no bytes. Depends only on `plimsoll-types`.
//!
//! ```
//! use plimsoll_inventory::fold;
//! let image = fold(&[]);
//! assert!(image.packages.is_empty() && image.os.is_none());
//! ```

mod base;
mod fold;
mod purl;

pub use crate::base::{HistoryEntry, base_image_layers};
pub use crate::fold::{FoldedImage, fold};
pub use crate::purl::{pep503_normalise, purl};
