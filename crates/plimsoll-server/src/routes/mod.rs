//! One module per resource, each with its handlers (annotated with `#[utoipa::path]`, so the
//! OpenAPI document is generated from them) and its response types. `crate::app` registers
//! them all through `utoipa_axum::routes!`, the only way a route gets into the router, so no
//! route can go undocumented.
//!
//! - `meta`: `/healthz`, `/readyz`, `/api/openapi.json` (public);
//! - `images`: `/api/v1/images`, `/api/v1/images/{digest}`,
//!   `/api/v1/vulnerabilities/{id}/images`;
//! - `repositories`: `/api/v1/repositories`;
//! - `runs`: `/api/v1/runs`, `/api/v1/runs/{id}`;
//! - `metrics`: `/metrics` (read scope), Prometheus text;
//! - `registries`: `/api/v1/registries`, `/api/v1/registries/{name}` (`GET`; `POST`, `PUT`,
//!   `DELETE` admin), `POST /api/v1/registries/{name}/scans` (admin);
//! - `vulndb`: `/api/v1/vulndb`, `POST /api/v1/vulndb/updates` (admin).

pub(crate) mod images;
pub(crate) mod list;
pub(crate) mod meta;
pub(crate) mod metrics;
pub(crate) mod registries;
pub(crate) mod repositories;
pub(crate) mod runs;
pub(crate) mod vulndb;
