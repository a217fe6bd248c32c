//! The queries of `plimsoll serve`'s read API: pages of the results view with filters and a
//! whitelisted sort, the platform images behind a digest, and pages of runs and outcomes.
//!
//! Sort columns and directions come from closed enums mapped to fixed SQL text, never from
//! caller strings (what each `AssertSqlSafe` below vouches for: the text is assembled only from
//! this crate's constants; every value is a bound parameter), and only the filters given become `WHERE` terms, so `SQLite` can use the
//! indexes that fit (`EXPLAIN QUERY PLAN` is checked in `tests/it/api.rs`).

use sqlx::AssertSqlSafe;

use time::OffsetDateTime;

use plimsoll_types::{Digest, Severity};

use crate::codec;
use crate::error::Result;
use crate::findings::SeverityCounts;
use crate::results::{RESULTS_SELECT, ResultRow, Row};
use crate::runs::{
    ImageOutcome, OUTCOME_COLUMNS, OutcomeRow, RUN_SELECT, RunId, RunRecord, RunRow,
};
use crate::store::Store;

/// One page of a list, with the size of the whole list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Page<T> {
    /// The rows of this page.
    pub items: Vec<T>,
    /// Rows in the whole list (every page).
    pub total: u64,
}

/// Which rows of a list, after sorting.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageRequest {
    /// Rows skipped.
    pub offset: u64,
    /// Rows returned at most.
    pub limit: u64,
}

/// Sort direction.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Order {
    /// Smallest first.
    #[default]
    Asc,
    /// Largest first.
    Desc,
}

impl Order {
    fn sql(self) -> &'static str {
        match self {
            Order::Asc => "ASC",
            Order::Desc => "DESC",
        }
    }
}

/// What [`Store::images`] sorts by; ties are broken by registry, repository, tag and platform.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ImageSort {
    /// Registry host, then repository and tag.
    #[default]
    Registry,
    /// Repository, then tag.
    Repository,
    /// Tag.
    Tag,
    /// When the findings were stored (never-scanned images first when ascending).
    ScannedAt,
    /// When discovery last saw the tag.
    LastSeen,
    /// `CRITICAL` findings.
    Critical,
    /// `HIGH` findings.
    High,
    /// `MEDIUM` findings.
    Medium,
    /// `LOW` findings.
    Low,
    /// Findings with a fix.
    Fixable,
}

impl ImageSort {
    fn sql(self) -> &'static str {
        match self {
            ImageSort::Registry => "t.registry",
            ImageSort::Repository => "t.repository",
            ImageSort::Tag => "t.tag",
            ImageSort::ScannedAt => "f.matched_at",
            ImageSort::LastSeen => "t.last_seen",
            ImageSort::Critical => "COALESCE(f.critical, 0)",
            ImageSort::High => "COALESCE(f.high, 0)",
            ImageSort::Medium => "COALESCE(f.medium, 0)",
            ImageSort::Low => "COALESCE(f.low, 0)",
            ImageSort::Fixable => "COALESCE(f.fixable, 0)",
        }
    }
}

/// Filters of [`Store::images`]; the default selects everything.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImageFilter {
    /// Only this registry host, exactly.
    pub registry: Option<String>,
    /// Only this repository, exactly.
    pub repository: Option<String>,
    /// Only this tag, exactly.
    pub tag: Option<String>,
    /// Only images with at least one finding of this severity.
    pub severity: Option<Severity>,
    /// Only images with at least one finding that has a fix.
    pub fixable: bool,
    /// Only images with a finding whose id or one of whose aliases is this (any case).
    pub vulnerability: Option<String>,
    /// Only images whose stored inventory has a package of this name.
    pub package: Option<String>,
}

/// Sort and page of [`Store::images`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ImageOrder {
    /// The sort key.
    pub sort: ImageSort,
    /// Its direction.
    pub order: Order,
    /// The page.
    pub page: PageRequest,
}

/// What [`Store::runs_page`] sorts by; ties are broken by id, newest first.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum RunSort {
    /// The run id (start order).
    #[default]
    Id,
    /// When it started.
    StartedAt,
    /// When it finished (unfinished runs first when ascending).
    FinishedAt,
    /// Its status name.
    Status,
}

impl RunSort {
    fn sql(self) -> &'static str {
        match self {
            RunSort::Id => "r.id",
            RunSort::StartedAt => "r.started_at",
            RunSort::FinishedAt => "r.finished_at",
            RunSort::Status => "r.status",
        }
    }
}

/// What [`Store::outcomes_page`] sorts by; ties are broken by recording order.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum OutcomeSort {
    /// The order they were recorded in.
    #[default]
    Recorded,
    /// Registry, repository, tag.
    Image,
    /// The outcome (`failed`, `skipped`, `success`).
    Status,
}

impl OutcomeSort {
    fn sql(self) -> &'static str {
        match self {
            OutcomeSort::Recorded => "id",
            OutcomeSort::Image => "registry, repository, tag",
            OutcomeSort::Status => "status",
        }
    }
}

/// One registry host of the tags table, for the web UI's registry list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegistrySummary {
    /// Registry host (`127.0.0.1:5000`), as the tags record it.
    pub registry: String,
    /// Repositories with at least one tag.
    pub repositories: u64,
    /// Tags.
    pub tags: u64,
}

/// One repository of a registry with its tags' findings summed, for the web UI.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RepositorySummary {
    /// Repository (`team/app`).
    pub repository: String,
    /// Tags.
    pub tags: u64,
    /// Rows of the images list (one per tag and platform image).
    pub images: u64,
    /// Findings per severity, summed over those rows.
    pub counts: SeverityCounts,
    /// When the newest findings of its images were stored.
    pub last_scanned: Option<OffsetDateTime>,
}

/// Totals over every row of the images list (one per tag and platform image), for the
/// dashboard: the same rows `GET /api/v1/images` pages through.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImageTotals {
    /// Rows.
    pub images: u64,
    /// Rows with stored findings (scanned at least once).
    pub scanned: u64,
    /// Findings per severity, summed over the rows.
    pub counts: SeverityCounts,
}

/// An advisory id and how many rows of the images list have a finding with it (as id or
/// alias): what `GET /api/v1/vulnerabilities/{id}/images` would count.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VulnerabilityCount {
    /// The id, as stored.
    pub id: String,
    /// Rows of the images list (tag and platform image) affected.
    pub images: u64,
}

#[derive(sqlx::FromRow)]
struct CountsRow {
    critical: i64,
    high: i64,
    medium: i64,
    low: i64,
    unknown: i64,
}

impl From<&CountsRow> for SeverityCounts {
    fn from(row: &CountsRow) -> Self {
        SeverityCounts {
            critical: codec::from_db(row.critical),
            high: codec::from_db(row.high),
            medium: codec::from_db(row.medium),
            low: codec::from_db(row.low),
            unknown: codec::from_db(row.unknown),
        }
    }
}

/// Severity sums over the rows of [`IMAGE_KEYS_FROM`], never NULL.
const COUNT_SUMS: &str = "COALESCE(SUM(f.critical), 0) AS critical, \
     COALESCE(SUM(f.high), 0) AS high, COALESCE(SUM(f.medium), 0) AS medium, \
     COALESCE(SUM(f.low), 0) AS low, COALESCE(SUM(f.unknown), 0) AS unknown";

/// `WHERE` terms with their string arguments, numbered as they are added.
#[derive(Default)]
struct Conditions {
    terms: Vec<String>,
    args: Vec<String>,
}

impl Conditions {
    /// Adds `term`, in which every `?` stands for the one argument `arg`.
    fn add(&mut self, term: &str, arg: &str) {
        self.args.push(arg.to_owned());
        self.terms
            .push(term.replace('?', &format!("${}", self.args.len())));
    }

    fn add_fixed(&mut self, term: &str) {
        self.terms.push(term.to_owned());
    }

    fn sql(&self) -> String {
        if self.terms.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", self.terms.join(" AND "))
        }
    }

    /// The number of the next argument.
    fn next(&self) -> usize {
        self.args.len() + 1
    }
}

fn severity_column(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "f.critical > 0",
        Severity::High => "f.high > 0",
        Severity::Medium => "f.medium > 0",
        Severity::Low => "f.low > 0",
        Severity::Unknown => "f.unknown > 0",
    }
}

fn image_conditions(filter: &ImageFilter) -> Conditions {
    let mut c = Conditions::default();
    if let Some(registry) = &filter.registry {
        c.add("t.registry = ?", registry);
    }
    if let Some(repository) = &filter.repository {
        c.add("t.repository = ?", repository);
    }
    if let Some(tag) = &filter.tag {
        c.add("t.tag = ?", tag);
    }
    if let Some(severity) = filter.severity {
        c.add_fixed(severity_column(severity));
    }
    if filter.fixable {
        c.add_fixed("f.fixable > 0");
    }
    // Each search filter is two terms: one on the tag's digest, so SQLite can start from the
    // few tags whose images match (the search table's primary key, then the digest indexes)
    // instead of walking every tag; one on the platform row, to keep only matching platforms
    // of a multi-platform tag.
    if let Some(id) = &filter.vulnerability {
        c.add(
            "t.digest IN (SELECT p2.digest FROM finding_ids fi \
               JOIN manifest_platforms p2 ON p2.manifest_digest = fi.manifest_digest \
               WHERE fi.vuln_id = ?) \
             AND p.manifest_digest IN (SELECT fi.manifest_digest FROM finding_ids fi \
               WHERE fi.vuln_id = ?)",
            id,
        );
    }
    if let Some(name) = &filter.package {
        c.add(
            "t.digest IN (SELECT p2.digest FROM inventory_packages ip \
               JOIN manifest_platforms p2 ON p2.manifest_digest = ip.manifest_digest \
               WHERE ip.name = ?) \
             AND p.manifest_digest IN (SELECT ip.manifest_digest FROM inventory_packages ip \
               WHERE ip.name = ?)",
            name,
        );
    }
    c
}

/// The rows of [`Store::images`] and the joins that sort and filter them, without the
/// per-row look-ups of the results view (newest inventory, latest outcome).
const IMAGE_KEYS_FROM: &str = "FROM tags t \
     LEFT JOIN manifest_platforms p ON p.digest = t.digest \
     LEFT JOIN findings f ON f.manifest_digest = p.manifest_digest";

/// The page query of [`Store::images`], in two steps: the page's keys (tag row, platform
/// position) are sorted and cut from the light joins of [`IMAGE_KEYS_FROM`] once (a
/// materialised CTE), then only those rows get the results view's per-row look-ups (newest
/// inventory, latest outcome). In one step `SQLite` ran those look-ups for every row before
/// sorting. `benches/lookups.rs`, 10,000 tags of two platforms each, on a loaded 2-core
/// machine: the first page sorted by a count went from 200 to 110 ms (most of it now the
/// sort of 20,000 light rows); a page filtered by an advisory id takes 0.3 ms.
fn page_sql(c: &Conditions, order: ImageOrder) -> String {
    let next = c.next();
    let key = format!(
        "{} {}, t.registry, t.repository, t.tag, p.position",
        order.sort.sql(),
        order.order.sql()
    );
    format!(
        "WITH page AS MATERIALIZED (\
           SELECT t.rowid AS tag_row, COALESCE(p.position, -1) AS position {IMAGE_KEYS_FROM}{} \
           ORDER BY {key} LIMIT ${next} OFFSET ${}) \
         {RESULTS_SELECT} WHERE (t.rowid, COALESCE(p.position, -1)) IN page \
         ORDER BY {key}",
        c.sql(),
        next + 1
    )
}

fn limit(page: PageRequest) -> (i64, i64) {
    (codec::to_db(page.limit), codec::to_db(page.offset))
}

impl Store {
    /// A page of the results view (one row per tag and platform image, as
    /// [`Store::results`]) that `filter` selects, sorted by `order`, with the count of all
    /// selected rows.
    pub async fn images(&self, filter: &ImageFilter, order: ImageOrder) -> Result<Page<ResultRow>> {
        let action = "list images";
        let c = image_conditions(filter);
        let count_sql = format!("SELECT COUNT(*) {IMAGE_KEYS_FROM}{}", c.sql());
        let mut count = sqlx::query_scalar(AssertSqlSafe(count_sql));
        for arg in &c.args {
            count = count.bind(arg);
        }
        let total: i64 = count
            .fetch_one(&self.pool)
            .await
            .map_err(self.query_err(action))?;
        let sql = page_sql(&c, order);
        let (limit, offset) = limit(order.page);
        let mut query = sqlx::query_as::<_, Row>(AssertSqlSafe(sql));
        for arg in &c.args {
            query = query.bind(arg);
        }
        let rows = query
            .bind(limit)
            .bind(offset)
            .fetch_all(&self.pool)
            .await
            .map_err(self.query_err(action))?;
        Ok(Page {
            items: rows
                .into_iter()
                .map(|row| self.result_row(row))
                .collect::<Result<_>>()?,
            total: codec::from_db(total),
        })
    }

    /// The platform image manifest digests `digest` stands for, in manifest order: itself when
    /// it is a platform image (known from stored metadata, or an inventory), else the
    /// platform images of the stored index or image manifest with that digest. Empty when the
    /// store knows nothing of it.
    pub async fn platform_images_of(&self, digest: &Digest) -> Result<Vec<Digest>> {
        let action = "look up an image";
        let own: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM manifest_platforms WHERE manifest_digest = $1) \
                 OR EXISTS (SELECT 1 FROM inventories WHERE manifest_digest = $1)",
        )
        .bind(digest.as_str())
        .fetch_one(&self.pool)
        .await
        .map_err(self.query_err(action))?;
        if own {
            return Ok(vec![digest.clone()]);
        }
        let rows: Vec<String> = sqlx::query_scalar(
            "SELECT manifest_digest FROM manifest_platforms WHERE digest = $1 ORDER BY position",
        )
        .bind(digest.as_str())
        .fetch_all(&self.pool)
        .await
        .map_err(self.query_err(action))?;
        rows.iter()
            .map(|d| self.digest(d, "platform manifest"))
            .collect()
    }

    /// A tag that points at `digest` (a top-level digest, or the index holding a platform
    /// image), the one seen most recently: the configuration checks of a report depend on it.
    pub async fn tag_of(&self, digest: &Digest) -> Result<Option<String>> {
        sqlx::query_scalar(
            "SELECT t.tag FROM tags t WHERE t.digest = $1 \
                OR t.digest IN (SELECT p.digest FROM manifest_platforms p \
                                WHERE p.manifest_digest = $1) \
             ORDER BY t.last_seen DESC, t.registry, t.repository, t.tag LIMIT 1",
        )
        .bind(digest.as_str())
        .fetch_optional(&self.pool)
        .await
        .map_err(self.query_err("look up the tag of an image"))
    }

    /// A page of the scan runs, sorted by `sort` then newest first, with the number of runs.
    pub async fn runs_page(
        &self,
        sort: RunSort,
        order: Order,
        page: PageRequest,
    ) -> Result<Page<RunRecord>> {
        let action = "list runs";
        let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM runs")
            .fetch_one(&self.pool)
            .await
            .map_err(self.query_err(action))?;
        let sql = format!(
            "{RUN_SELECT} ORDER BY {} {}, r.id DESC LIMIT $1 OFFSET $2",
            sort.sql(),
            order.sql()
        );
        let (limit, offset) = limit(page);
        let rows: Vec<RunRow> = sqlx::query_as(AssertSqlSafe(sql))
            .bind(limit)
            .bind(offset)
            .fetch_all(&self.pool)
            .await
            .map_err(self.query_err(action))?;
        Ok(Page {
            items: rows
                .into_iter()
                .map(|row| self.run_record(row))
                .collect::<Result<_>>()?,
            total: codec::from_db(total),
        })
    }

    /// One scan run, if it exists.
    pub async fn run(&self, run: RunId) -> Result<Option<RunRecord>> {
        let sql = format!("{RUN_SELECT} WHERE r.id = $1");
        let row: Option<RunRow> = sqlx::query_as(AssertSqlSafe(sql))
            .bind(run.get())
            .fetch_optional(&self.pool)
            .await
            .map_err(self.query_err("read a run"))?;
        row.map(|row| self.run_record(row)).transpose()
    }

    /// A page of the outcomes of `run` (through the `run_outcomes_by_run` index), with their
    /// number.
    pub async fn outcomes_page(
        &self,
        run: RunId,
        sort: OutcomeSort,
        order: Order,
        page: PageRequest,
    ) -> Result<Page<ImageOutcome>> {
        let action = "list the outcomes of a run";
        let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM run_outcomes WHERE run_id = $1")
            .bind(run.get())
            .fetch_one(&self.pool)
            .await
            .map_err(self.query_err(action))?;
        let direction = order.sql();
        // Every column of a multi-column key gets the direction.
        let key = sort
            .sql()
            .split(", ")
            .map(|column| format!("{column} {direction}"))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "SELECT {OUTCOME_COLUMNS} FROM run_outcomes WHERE run_id = $1 \
             ORDER BY {key}, id LIMIT $2 OFFSET $3"
        );
        let (limit, offset) = limit(page);
        let rows: Vec<OutcomeRow> = sqlx::query_as(AssertSqlSafe(sql))
            .bind(run.get())
            .bind(limit)
            .bind(offset)
            .fetch_all(&self.pool)
            .await
            .map_err(self.query_err(action))?;
        Ok(Page {
            items: rows
                .into_iter()
                .map(|row| self.outcome(run, row))
                .collect::<Result<_>>()?,
            total: codec::from_db(total),
        })
    }

    /// Every registry host the tags table knows, with its repositories and tags, by host.
    pub async fn registries_seen(&self) -> Result<Vec<RegistrySummary>> {
        let rows: Vec<(String, i64, i64)> = sqlx::query_as(
            "SELECT registry, COUNT(DISTINCT repository), COUNT(*) FROM tags \
             GROUP BY registry ORDER BY registry",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(self.query_err("list registries"))?;
        Ok(rows
            .into_iter()
            .map(|(registry, repositories, tags)| RegistrySummary {
                registry,
                repositories: codec::from_db(repositories),
                tags: codec::from_db(tags),
            })
            .collect())
    }

    /// The repositories of registry host `registry`, by name, each with its tags' findings
    /// summed over the rows of the images list.
    pub async fn repositories(&self, registry: &str) -> Result<Vec<RepositorySummary>> {
        #[derive(sqlx::FromRow)]
        struct RepoRow {
            repository: String,
            tags: i64,
            images: i64,
            #[sqlx(flatten)]
            counts: CountsRow,
            last_scanned: Option<i64>,
        }
        let sql = format!(
            "SELECT t.repository AS repository, COUNT(DISTINCT t.tag) AS tags, \
                    COUNT(*) AS images, {COUNT_SUMS}, MAX(f.matched_at) AS last_scanned \
             {IMAGE_KEYS_FROM} WHERE t.registry = $1 \
             GROUP BY t.repository ORDER BY t.repository"
        );
        let rows: Vec<RepoRow> = sqlx::query_as(AssertSqlSafe(sql))
            .bind(registry)
            .fetch_all(&self.pool)
            .await
            .map_err(self.query_err("list repositories"))?;
        rows.into_iter()
            .map(|row| {
                Ok(RepositorySummary {
                    counts: SeverityCounts::from(&row.counts),
                    repository: row.repository,
                    tags: codec::from_db(row.tags),
                    images: codec::from_db(row.images),
                    last_scanned: row
                        .last_scanned
                        .map(|ms| self.time(ms, "findings"))
                        .transpose()?,
                })
            })
            .collect()
    }

    /// Rows, scanned rows and findings per severity over the whole images list.
    pub async fn image_totals(&self) -> Result<ImageTotals> {
        #[derive(sqlx::FromRow)]
        struct TotalsRow {
            images: i64,
            scanned: i64,
            #[sqlx(flatten)]
            counts: CountsRow,
        }
        let sql = format!(
            "SELECT COUNT(*) AS images, COUNT(f.manifest_digest) AS scanned, {COUNT_SUMS} \
             {IMAGE_KEYS_FROM}"
        );
        let row: TotalsRow = sqlx::query_as(AssertSqlSafe(sql))
            .fetch_one(&self.pool)
            .await
            .map_err(self.query_err("count images"))?;
        Ok(ImageTotals {
            images: codec::from_db(row.images),
            scanned: codec::from_db(row.scanned),
            counts: SeverityCounts::from(&row.counts),
        })
    }

    /// The `limit` advisory ids starting with `prefix` (any case: `CVE-`) that affect the most
    /// rows of the images list, most first, ties by id. Aliases are ids too, so a finding
    /// known as `GHSA-…` with the alias `CVE-…` counts under its CVE.
    pub async fn top_vulnerabilities(
        &self,
        prefix: &str,
        limit: u64,
    ) -> Result<Vec<VulnerabilityCount>> {
        // `LIKE` needs its wildcards escaped in the caller's prefix.
        let pattern = format!(
            "{}%",
            prefix
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        );
        let rows: Vec<(String, i64)> = sqlx::query_as(
            "SELECT fi.vuln_id, COUNT(*) AS n FROM tags t \
               JOIN manifest_platforms p ON p.digest = t.digest \
               JOIN finding_ids fi ON fi.manifest_digest = p.manifest_digest \
             WHERE fi.vuln_id LIKE $1 ESCAPE '\\' \
             GROUP BY fi.vuln_id ORDER BY n DESC, fi.vuln_id LIMIT $2",
        )
        .bind(pattern)
        .bind(codec::to_db(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(self.query_err("count images per vulnerability"))?;
        Ok(rows
            .into_iter()
            .map(|(id, images)| VulnerabilityCount {
                id,
                images: codec::from_db(images),
            })
            .collect())
    }

    /// `EXPLAIN QUERY PLAN` of [`Store::images`]'s page query for `filter`, one line per step:
    /// for tests and `docs/server.md`, to keep the lists on indexes.
    pub async fn explain_images(
        &self,
        filter: &ImageFilter,
        order: ImageOrder,
    ) -> Result<Vec<String>> {
        let c = image_conditions(filter);
        let sql = format!("EXPLAIN QUERY PLAN {}", page_sql(&c, order));
        let (limit, offset) = limit(order.page);
        let mut query = sqlx::query_as::<_, (i64, i64, i64, String)>(AssertSqlSafe(sql));
        for arg in &c.args {
            query = query.bind(arg);
        }
        let rows = query
            .bind(limit)
            .bind(offset)
            .fetch_all(&self.pool)
            .await
            .map_err(self.query_err("explain a query"))?;
        Ok(rows.into_iter().map(|(_, _, _, detail)| detail).collect())
    }
}
