//! Integration tests of plimsoll-version's public API, one binary (STYLE rule 11).
//!
//! - `osv_range`: the OSV evaluation algorithm through [`plimsoll_version::affected`].
//! - `oracle`: thousands of generated and real version pairs per scheme, ordered both by this
//!   crate and by the reference tool (dpkg, Python `packaging`, node `semver`, Maven's
//!   `ComparableVersion`), which must agree. `generate` makes the pairs.
//!
//! Tests may panic with messages and print skip notes to stderr: that is how a test reports.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

mod generate;
mod oracle;
mod osv_range;
