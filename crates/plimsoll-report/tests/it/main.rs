//! Tests of `plimsoll-report` through its public API, one binary for the crate (house rule 11).
//!
//! - `fixture`: the inventory the tests write (Debian, debs with source packages, a scoped npm
//!   package, a Python distribution, one package of each newer kind, two layers), a
//!   vulnerability report against it, and the report with secrets, configuration findings and
//!   layer changes.
//! - `schemas`: validators for the official CycloneDX 1.6, SPDX 2.3 and SARIF 2.1.0 JSON schemas,
//!   vendored in `testdata/schemas/` (origin and licence in `testdata/README.md`); no network,
//!   no Python.
//! - `cyclonedx`, `spdx`: the documents validate, carry every package with its purl and layer,
//!   and a broken document fails (so the validator is known to run).
//! - `formats`: table and JSON output, format names, image-count errors.
//! - `sarif`: vulnerability logs validate, map severities to levels, have one rule per
//!   vulnerability id and one run per platform, and a broken log fails.
//! - `vulnerabilities`: vulnerability table and JSON output, format names.
//! - `complete`: secrets and configuration findings in every vulnerability format (SARIF still
//!   valid, secrets only redacted), the layer and module views.

// `allow-unwrap-in-tests` covers `#[test]` fns only; the shared helpers here are test code too.
#![allow(
    clippy::unwrap_used,
    reason = "test helpers: a panic is the failure report"
)]

mod complete;
mod cyclonedx;
mod fixture;
mod formats;
mod sarif;
mod schemas;
mod spdx;
mod vulnerabilities;
