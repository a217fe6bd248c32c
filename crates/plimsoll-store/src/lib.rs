//! Plimsoll's embedded results store: what `plimsoll registry scan` learns, kept between runs in
//! one `SQLite` file (default [`Store::default_path`]).
//!
//! - **Caches**, content addressed, so a re-scan does only the new work: layer facts by
//!   (layer digest, analyzer key) ([`Store::layer_facts`], [`Store::layer_facts_many`]),
//!   top-level manifest metadata by digest ([`ManifestMeta`]), and inventories by (platform
//!   image manifest digest, analyzer key) ([`Store::has_inventory`] answers without decoding).
//!   The analyzer key is an opaque string the caller builds from the cataloger versions
//!   (STYLE rule 8): anything stored under another key is a miss.
//! - **State**: tags as last seen by discovery ([`Store::record_tags`]), the latest findings of
//!   each platform image ([`Store::put_findings`]), and scan runs with each image's outcome
//!   ([`Store::start_run`], [`Store::record_outcome`], [`Store::finish_run`]).
//! - **Views**: [`Store::results`] joins tags → platform images → inventory and findings → the
//!   latest outcome, one [`ResultRow`] per tag and platform, for `plimsoll results` and
//!   `plimsoll report`.
//! - **The read API** of `plimsoll serve`: pages of the results view with filters on the
//!   search tables (advisory ids and aliases, package names, kept beside the blobs)
//!   ([`Store::images`]), pages of runs and outcomes, and API tokens stored by their hash
//!   ([`ApiToken`]).
//! - **One scan at a time**: [`Store::lock_runs`] takes an advisory file lock that the kernel
//!   releases when its holder dies.
//!
//! Big values (layer facts, inventories, findings) are stored as zstd-compressed JSON; the
//! scalars queries need are columns beside them. Every put is one `SQLite` transaction in WAL
//! mode, so a process killed at any moment loses at most its in-flight write and never leaves
//! a half-written value. The schema is versioned by embedded migrations
//! (`migrations/sqlite/`), applied by [`Store::open`]; a store migrated by a newer Plimsoll is
//! refused with [`Error::TooNew`] and left untouched. The SQL sticks to what `PostgreSQL` also
//! speaks where that costs nothing (`$n` parameters, `ON CONFLICT … DO UPDATE`, `RETURNING`).
//!
//! Everything is async (tokio). Encoding and decoding run inline (each thread reuses one zstd
//! context), except decoding an inventory, which runs on tokio's blocking pool so that a
//! re-match reading thousands of them decodes on every core.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use plimsoll_store::{ManifestMeta, Store};
//! use plimsoll_types::Digest;
//!
//! let dir = tempfile::tempdir()?;
//! let store = Store::open(&dir.path().join("store.sqlite")).await?;
//! let index = Digest::sha256_of(b"an index");
//! assert!(store.manifest_meta(&index).await?.is_none());
//! let meta = ManifestMeta {
//!     digest: index.clone(),
//!     media_type: "application/vnd.oci.image.index.v1+json".into(),
//!     platforms: vec![],
//! };
//! store.put_manifest_meta(&meta).await?;
//! assert_eq!(store.manifest_meta(&index).await?, Some(meta));
//! # Ok(())
//! # }
//! ```

#![deny(missing_docs)]

mod api_queries;
mod codec;
mod error;
mod findings;
mod inventories;
mod layers;
mod lock;
mod manifests;
mod passwords;
mod registries;
mod registry_images;
mod results;
mod runs;
mod search;
mod store;
mod tokens;

pub use crate::api_queries::{
    ImageFilter, ImageOrder, ImageSort, ImageTotals, Order, OutcomeSort, Page, PageRequest,
    RegistrySummary, RepositorySummary, RunSort, VulnerabilityCount,
};
pub use crate::error::{BoxError, Error, Result};
pub use crate::findings::{SeverityCounts, StoredFindings};
pub use crate::lock::RunLock;
pub use crate::manifests::{ManifestMeta, PlatformImage, TagRecord};
pub use crate::registries::ApiRegistry;
pub use crate::registry_images::LastScan;
pub use crate::results::{ResultFilter, ResultRow, ResultStatus};
pub use crate::runs::{
    ImageOutcome, OutcomeStatus, RunEnd, RunId, RunRecord, RunStatus, RunTotals,
};
pub use crate::store::Store;
pub use crate::tokens::{ApiToken, TokenScope};
