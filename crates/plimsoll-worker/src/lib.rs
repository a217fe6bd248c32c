//! The main job: scanning whole registries.
//!
//! [`run`] takes a [`ScanConfig`] (registries, filters, workers) and a results store and goes
//! through four phases — **discovery** (repositories and tags through each registry's vendor
//! API, `plimsoll-vendors`), **metadata** (each tag's digest, platform images and creation
//! date; content addressed, so known digests come from the store), **filters**
//! (`plimsoll-filter`) and **scan** (`max_workers` images at once: pull, analyse, fold, match,
//! store). [`rematch`] re-matches every stored inventory against the current database
//! without contacting a registry; [`export`] writes the latest results to a directory;
//! [`check`] says whether each configured registry can be reached (`plimsoll registry check`).
//!
//! One configured registry may stand for several registry hosts (`plimsoll_vendors::resolve`:
//! an ECR organization's accounts × regions); each is discovered, rate-limited and named in the
//! results on its own, with the credentials its vendor issued scoped to that host.
//!
//! Failures of single images are outcomes, not errors: counted, stored with their cause, and
//! the run goes on. The summary line is the Sysdig registry scanner's
//! `Total: N = Success: X + Failed: Y + Skipped: Z`.

mod alerts;
mod check;
mod config;
mod discover;
mod error;
mod export;
mod matching;
mod metrics;
mod rematch;
mod run;

pub use crate::alerts::Alerts;
pub use crate::check::{RegistryCheck, check};
pub use crate::config::{
    AlertsConfig, MAX_CONCURRENCY_LIMIT, MAX_WORKERS_LIMIT, RegistryConfig, ScanConfig,
    VulnDbConfig,
};
pub use crate::discover::{DiscoveredTag, TaggedImage};
pub use crate::error::{Error, Result};
pub use crate::export::{ExportFormat, ExportSummary, SUMMARY_COLUMNS, export, load_report};
pub use crate::rematch::{RematchOptions, RematchSummary, rematch};
pub use crate::run::{NoProgress, Phase, Progress, RunOptions, RunSummary, TagOutcome, run};
