//! Public-API tests of plimsoll-server, one binary, driving [`plimsoll_server::app`] with
//! `tower::ServiceExt::oneshot` (no socket). Where a new test belongs:
//!
//! - `auth`: tokens (missing, unknown, revoked, scopes), public endpoints;
//! - `images`: image lists (filters, sorting, pages), reports and exports, vulnerabilities;
//! - `runs`: the run history and one run;
//! - `registries`: registries (the file's and those created through the API: checks,
//!   write-only credentials) and manual scans, against a scheduler whose runs the test finishes
//!   by hand;
//! - `metrics`: the Prometheus exposition;
//! - `openapi`: the served document against the router;
//! - `ui`: the web UI (sessions, CSRF, escaping, pages).
//!
//! `fixture` fills a store with the realistic values of plimsoll-store's own tests
//! (`values.rs`, shared by path).

// Test helpers: a failure should fail the test loudly.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod auth;
mod fixture;
mod images;
mod metrics;
mod openapi;
mod registries;
mod runs;
mod ui;
// Not every helper of plimsoll-store's fixtures is used here.
#[allow(dead_code)]
#[path = "../../../plimsoll-store/tests/it/values.rs"]
mod values;
