//! Public-API tests of plimsoll-store, one binary. Where a new test belongs:
//!
//! - `api`: the queries of `plimsoll serve` (pages, filters, search tables, tokens).
//! - `cache`: round-trips, upserts and analyzer-key misses of layer facts, manifest metadata,
//!   inventories and findings; tags.
//! - `results`: the results view (joins, statuses, filters).
//! - `runs`: scan runs and outcomes, the run lock.
//! - `schema`: opening, migrations, stores from a newer Plimsoll, corrupt values.
//! - `registry_images`: the inventories and stale tags of given registries (`plimsoll serve`).
//! - `crash`: a writer process killed with SIGKILL mid-write.
//!
//! `values` builds real-looking values of every stored type.

// Test helpers: a failure should fail the test loudly.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod api;
mod cache;
mod crash;
mod registry_images;
mod results;
mod runs;
mod schema;
mod values;

use plimsoll_store::Store;
use tempfile::TempDir;

/// A fresh store in a temporary directory (kept alive by the returned guard).
pub(crate) async fn temp_store() -> (TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("store.sqlite")).await.unwrap();
    (dir, store)
}
