//! Orchestration, the one crate that composes the stages:
//! source → registry/layout/archive → layer walk → catalogers → inventory fold.
//!
//! [`Scanner::scan`] takes a [`SourceSpec`] (a registry reference, `oci-layout:DIR[:TAG]` or
//! `docker-archive:FILE`) and returns one [`ImageInventory`](plimsoll_types::ImageInventory)
//! per platform scanned. Each distinct layer is analysed once per `Scanner`
//! ([`analyse_layer`] is a pure function of the blob), on blocking threads, while the network
//! side stays async.
//!
//! ```
//! use plimsoll_scan::SourceSpec;
//! let s: SourceSpec = "oci-layout:./oci-dir:1.0".parse().unwrap();
//! assert!(matches!(s, SourceSpec::OciLayout { .. }));
//! ```

mod analyse;
mod budget;
mod config;
mod error;
mod scanner;
mod source;
mod store;

pub use crate::analyse::{analyse_layer, analyse_layer_with, analyzer_versions};
pub use crate::error::{Error, Result};
pub use crate::scanner::{
    BoxFuture, FactsCache, ImageDescription, PlatformDescription, ScanOptions, Scanner,
    current_analyzer_key,
};
pub use crate::source::SourceSpec;
