//! Integration tests of `plimsoll-registry`'s public API.
//!
//! - [`real`]: against the real Distribution 2.8 registries of `scripts/test-registry.sh up`,
//!   gated by [`lab::lab`] (skipped without `PLIMSOLL_TEST_REGISTRY`, failing under `CI`).
//! - [`faults`]: against small loopback servers ([`server`]) that inject what a real registry
//!   will not produce on demand (429/5xx, bearer token realms, cross-host redirects, content
//!   that does not match its digest) and record what the client sent.
//! - [`redaction`]: no error or `Debug` output carries a password.
//! - [`listing`]: catalog and tag pagination and `HEAD` digests, against both kinds of server
//!   (it pushes its own repository, `paging/tags`, to the open lab registry).
//!
//! All traffic stays on 127.0.0.0/8.

// Integration tests are their own crate: clippy's `allow-unwrap-in-tests` covers only the
// `#[test]` fns, not the servers and helpers beside them, where a panic on broken setup is
// exactly the wanted failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod faults;
mod lab;
mod listing;
mod real;
mod redaction;
mod server;
