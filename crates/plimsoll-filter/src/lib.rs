//! Which discovered images `plimsoll registry scan` scans: a pure, synchronous function from
//! candidates (registry, repository, tag, digest, creation date) and a [`FilterConfig`] to one
//! [`Decision`] per candidate, every skip with a precise [`SkipReason`].
//!
//! ## Order of application
//!
//! Each rule sees only the candidates the rules before it kept:
//!
//! 1. **Repository cap** (`max_repositories_per_registry`, default 500, 1..=10,000): per
//!    registry, the repositories in sorted order; those beyond the first N are skipped whole.
//!    It comes first because it bounds discovery itself (a registry's catalog can be listed
//!    only that far).
//! 2. **Patterns** (`include`, `exclude`), matched against `registry/repository:tag`. An image
//!    matching an include pattern is scanned even if an exclude pattern matches it too (include
//!    wins). Otherwise an exclude match skips it, and so does a non-empty include list that it
//!    does not match. An empty include list includes everything.
//! 3. **Age** (`max_age_days`, default 90, 1..=365): an image created more than N days before
//!    `now` is skipped. **An image without a creation date is not age-filtered**: missing data
//!    is no evidence of age, and skipping it would hide images from the scan silently.
//! 4. **Tag cap** (`max_tags_per_repository`, default 5, 1..=50): per repository, the N newest
//!    of the images still kept, by creation date; equal dates, and images without a date (which
//!    count as the oldest), are ordered by tag name descending, so the choice is deterministic.
//!    The cap counts tags: tags sharing one digest are separate candidates and all kept (the
//!    scanner scans a digest once).
//!
//! ## Pattern syntax
//!
//! One list per direction; a pattern is a **wildcard** unless it starts with `re:`, which
//! makes the rest a regular expression. Wildcards are the common case and read like image
//! references (`lab/*`, `*:latest`); as the default they also avoid a silent trap, because in a
//! regex `app*` means `ap` followed by any number of `p`. Registry hosts are full of dots, which
//! a wildcard takes literally. The prefix keeps regexes one word away in the same list.
//!
//! - Wildcard: `*` matches any run of characters (`/` and `:` included), `?` any one
//!   character, everything else itself. Without a `:` in its last path component it matches
//!   any tag (`org/repo*` is `org/repo*:*`). Without a registry host, any registry: the first
//!   component is a host when it contains `.` or `:` or is `localhost`, Docker's rule, and a
//!   pattern without one is matched against `repository:tag`. So `*` matches everything,
//!   `library/nginx` matches it on every registry, `registry.example.com/*` matches a whole
//!   registry, and `*.example.com/team/*:v*` combines them. Repositories are matched as the
//!   registry names them (`library/nginx` on Docker Hub, not `nginx`).
//! - `re:<regex>`: Rust `regex` syntax (linear time), anchored at both ends, against the
//!   whole `registry/repository:tag`.
//!
//! ```
//! use plimsoll_filter::{Candidate, Decision, Filter, FilterConfig, Pattern};
//! use plimsoll_types::Digest;
//! use time::macros::datetime;
//!
//! let config = FilterConfig {
//!     include: vec![Pattern::new("re:.*:v[0-9]+")?],
//!     exclude: vec![Pattern::new("lab/*")?],
//!     ..FilterConfig::default()
//! };
//! let filter = Filter::new(config)?;
//! let image = |repository: &str, tag: &str| Candidate {
//!     registry: "127.0.0.1:5000".into(),
//!     repository: repository.into(),
//!     tag: tag.into(),
//!     digest: Digest::sha256_of(tag.as_bytes()),
//!     created: Some(datetime!(2026-01-10 0:00 UTC)),
//! };
//! let decisions = filter.decide(
//!     &[image("lab/app", "v2"), image("lab/app", "dev"), image("team/app", "dev")],
//!     datetime!(2026-02-01 0:00 UTC),
//! );
//! assert_eq!(decisions[0], Decision::Scan); // include wins over exclude
//! assert_eq!(decisions[1].to_string(), r#"skip: excluded by pattern "lab/*""#);
//! assert_eq!(decisions[2].to_string(), "skip: not included by any include pattern");
//! # Ok::<(), plimsoll_filter::Error>(())
//! ```
//!
//! Depends only on `plimsoll-types`.

#![deny(missing_docs)]

mod config;
mod error;
mod filter;
mod pattern;

pub use crate::config::{
    FilterConfig, MAX_AGE_DAYS, MAX_REPOSITORIES_PER_REGISTRY, MAX_TAGS_PER_REPOSITORY,
};
pub use crate::error::{Error, Result};
pub use crate::filter::{Candidate, Decision, Filter, SkipReason};
pub use crate::pattern::Pattern;
