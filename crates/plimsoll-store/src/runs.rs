use std::fmt;
use std::num::ParseIntError;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use sqlx::AssertSqlSafe;
use time::OffsetDateTime;

use plimsoll_types::{Digest, Platform};

use crate::codec;
use crate::error::{Error, Result};
use crate::store::Store;

/// The id of a scan run, increasing with each run of a store.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RunId(i64);

impl RunId {
    /// The number users see (`plimsoll results show --run 12`).
    pub fn get(self) -> i64 {
        self.0
    }
}

impl From<i64> for RunId {
    fn from(id: i64) -> Self {
        RunId(id)
    }
}

impl FromStr for RunId {
    type Err = ParseIntError;
    fn from_str(s: &str) -> Result<Self, ParseIntError> {
        s.parse().map(RunId)
    }
}

impl fmt::Display for RunId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Where a run stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RunStatus {
    /// Started, not finished.
    Running,
    /// Finished: every image was attempted (some may have failed).
    Completed,
    /// Finished early on an error that stopped the whole run.
    Failed,
    /// Its process died without finishing it (found when the next run took the lock).
    Interrupted,
}

impl RunStatus {
    /// The lowercase name stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Running => "running",
            RunStatus::Completed => "completed",
            RunStatus::Failed => "failed",
            RunStatus::Interrupted => "interrupted",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "running" => RunStatus::Running,
            "completed" => RunStatus::Completed,
            "failed" => RunStatus::Failed,
            "interrupted" => RunStatus::Interrupted,
            _ => return None,
        })
    }
}

impl fmt::Display for RunStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a run ended, for [`Store::finish_run`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunEnd {
    /// Every image was attempted.
    Completed,
    /// The run stopped early.
    Failed,
    /// The run was asked to stop and did, between images: what finished is stored, the
    /// images not started were not scanned.
    Interrupted,
}

impl From<RunEnd> for RunStatus {
    fn from(end: RunEnd) -> Self {
        match end {
            RunEnd::Completed => RunStatus::Completed,
            RunEnd::Failed => RunStatus::Failed,
            RunEnd::Interrupted => RunStatus::Interrupted,
        }
    }
}

/// Image counts of a run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunTotals {
    /// Images attempted.
    pub total: u64,
    /// Scanned successfully.
    pub success: u64,
    /// Failed.
    pub failed: u64,
    /// Skipped (filtered out, or unchanged since the last scan).
    pub skipped: u64,
}

/// A scan run as stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunRecord {
    /// Its id.
    pub id: RunId,
    /// What was scanned, as given to [`Store::start_run`].
    pub description: String,
    /// Where it stands.
    pub status: RunStatus,
    /// When it started.
    #[serde(with = "time::serde::rfc3339")]
    pub started_at: OffsetDateTime,
    /// When it finished (or was found interrupted).
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub finished_at: Option<OffsetDateTime>,
    /// The totals given to [`Store::finish_run`]; for a run without them (running,
    /// interrupted), counted from its recorded outcomes.
    pub totals: RunTotals,
}

/// What became of one image in a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum OutcomeStatus {
    /// Scanned.
    Success,
    /// Failed (see the cause).
    Failed,
    /// Not scanned on purpose (see the cause).
    Skipped,
}

impl OutcomeStatus {
    /// The lowercase name stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            OutcomeStatus::Success => "success",
            OutcomeStatus::Failed => "failed",
            OutcomeStatus::Skipped => "skipped",
        }
    }

    pub(crate) fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "success" => OutcomeStatus::Success,
            "failed" => OutcomeStatus::Failed,
            "skipped" => OutcomeStatus::Skipped,
            _ => return None,
        })
    }
}

impl fmt::Display for OutcomeStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The outcome of one image (one tag, one platform where known) in a run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageOutcome {
    /// Registry host (`docker.io`).
    pub registry: String,
    /// Repository (`library/alpine`).
    pub repository: String,
    /// Tag.
    pub tag: String,
    /// Top-level manifest digest the tag pointed at, if resolved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<Digest>,
    /// The platform image, if the outcome is about one; `None` for the whole tag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<Platform>,
    /// What happened.
    pub status: OutcomeStatus,
    /// Why it failed or was skipped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cause: Option<String>,
    /// Time spent pulling, in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pull_ms: Option<u64>,
    /// Time spent analysing layers, in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub analysis_ms: Option<u64>,
    /// Time spent matching, in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub matching_ms: Option<u64>,
}

/// The columns of a [`RunRecord`]; totals of an unfinished run counted from its outcomes.
pub(crate) const RUN_SELECT: &str = "SELECT r.id, r.description, r.status, r.started_at, \
       r.finished_at, \
       COALESCE(r.total, \
         (SELECT COUNT(*) FROM run_outcomes o WHERE o.run_id = r.id)) AS total, \
       COALESCE(r.success, (SELECT COUNT(*) FROM run_outcomes o \
         WHERE o.run_id = r.id AND o.status = 'success')) AS success, \
       COALESCE(r.failed, (SELECT COUNT(*) FROM run_outcomes o \
         WHERE o.run_id = r.id AND o.status = 'failed')) AS failed, \
       COALESCE(r.skipped, (SELECT COUNT(*) FROM run_outcomes o \
         WHERE o.run_id = r.id AND o.status = 'skipped')) AS skipped \
     FROM runs r";

/// The columns of an [`ImageOutcome`].
pub(crate) const OUTCOME_COLUMNS: &str = "registry, repository, tag, digest, platform_os, \
       platform_arch, platform_variant, status, cause, pull_ms, analysis_ms, matching_ms";

#[derive(sqlx::FromRow)]
pub(crate) struct RunRow {
    id: i64,
    description: String,
    status: String,
    started_at: i64,
    finished_at: Option<i64>,
    total: i64,
    success: i64,
    failed: i64,
    skipped: i64,
}

#[derive(sqlx::FromRow)]
pub(crate) struct OutcomeRow {
    registry: String,
    repository: String,
    tag: String,
    digest: Option<String>,
    platform_os: Option<String>,
    platform_arch: Option<String>,
    platform_variant: Option<String>,
    status: String,
    cause: Option<String>,
    pull_ms: Option<i64>,
    analysis_ms: Option<i64>,
    matching_ms: Option<i64>,
}

impl Store {
    /// Records the start of a scan run (status running, started now). Take
    /// [`Store::lock_runs`] first: the next lock holder marks runs left running as interrupted.
    pub async fn start_run(&self, description: &str) -> Result<RunId> {
        sqlx::query_scalar(
            "INSERT INTO runs (description, status, started_at) VALUES ($1, 'running', $2) \
             RETURNING id",
        )
        .bind(description)
        .bind(codec::now_ms())
        .fetch_one(&self.pool)
        .await
        .map(RunId)
        .map_err(self.query_err("start a run"))
    }

    /// Records what became of one image in `run`.
    pub async fn record_outcome(&self, run: RunId, outcome: &ImageOutcome) -> Result<()> {
        let platform = outcome.platform.as_ref();
        let result = sqlx::query(
            "INSERT INTO run_outcomes (run_id, registry, repository, tag, digest, platform_os, \
               platform_arch, platform_variant, status, cause, pull_ms, analysis_ms, \
               matching_ms, recorded_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
        )
        .bind(run.0)
        .bind(&outcome.registry)
        .bind(&outcome.repository)
        .bind(&outcome.tag)
        .bind(outcome.digest.as_ref().map(Digest::as_str))
        .bind(platform.map(|p| p.os.as_str()))
        .bind(platform.map(|p| p.architecture.as_str()))
        .bind(platform.and_then(|p| p.variant.as_deref()))
        .bind(outcome.status.as_str())
        .bind(outcome.cause.as_deref())
        .bind(codec::to_db_opt(outcome.pull_ms))
        .bind(codec::to_db_opt(outcome.analysis_ms))
        .bind(codec::to_db_opt(outcome.matching_ms))
        .bind(codec::now_ms())
        .execute(&self.pool)
        .await;
        match result {
            Ok(_) => Ok(()),
            Err(sqlx::Error::Database(e)) if e.is_foreign_key_violation() => {
                Err(self.unknown_run(run))
            }
            Err(e) => Err(self.query_err("record an image outcome")(e)),
        }
    }

    /// Records the end of `run` with its totals.
    pub async fn finish_run(&self, run: RunId, end: RunEnd, totals: RunTotals) -> Result<()> {
        let updated = sqlx::query(
            "UPDATE runs SET status = $1, finished_at = $2, total = $3, success = $4, \
               failed = $5, skipped = $6 \
             WHERE id = $7",
        )
        .bind(RunStatus::from(end).as_str())
        .bind(codec::now_ms())
        .bind(codec::to_db(totals.total))
        .bind(codec::to_db(totals.success))
        .bind(codec::to_db(totals.failed))
        .bind(codec::to_db(totals.skipped))
        .bind(run.0)
        .execute(&self.pool)
        .await
        .map_err(self.query_err("finish a run"))?
        .rows_affected();
        if updated == 0 {
            return Err(self.unknown_run(run));
        }
        Ok(())
    }

    /// The latest `limit` runs, newest first.
    pub async fn runs(&self, limit: usize) -> Result<Vec<RunRecord>> {
        let sql = format!("{RUN_SELECT} ORDER BY r.id DESC LIMIT $1");
        let rows: Vec<RunRow> = sqlx::query_as(AssertSqlSafe(sql))
            .bind(i64::try_from(limit).unwrap_or(i64::MAX))
            .fetch_all(&self.pool)
            .await
            .map_err(self.query_err("list runs"))?;
        rows.into_iter().map(|row| self.run_record(row)).collect()
    }

    /// The outcomes recorded for `run`, in the order they were recorded.
    pub async fn run_outcomes(&self, run: RunId) -> Result<Vec<ImageOutcome>> {
        let sql =
            format!("SELECT {OUTCOME_COLUMNS} FROM run_outcomes WHERE run_id = $1 ORDER BY id");
        let rows: Vec<OutcomeRow> = sqlx::query_as(AssertSqlSafe(sql))
            .bind(run.0)
            .fetch_all(&self.pool)
            .await
            .map_err(self.query_err("list the outcomes of a run"))?;
        rows.into_iter().map(|row| self.outcome(run, row)).collect()
    }

    pub(crate) fn run_record(&self, row: RunRow) -> Result<RunRecord> {
        Ok(RunRecord {
            id: RunId(row.id),
            status: RunStatus::parse(&row.status).ok_or_else(|| {
                self.corrupt(
                    format!("run {}", row.id),
                    format!("unknown status `{}`", row.status),
                )
            })?,
            description: row.description,
            started_at: self.time(row.started_at, "run start")?,
            finished_at: row
                .finished_at
                .map(|ms| self.time(ms, "run end"))
                .transpose()?,
            totals: RunTotals {
                total: codec::from_db(row.total),
                success: codec::from_db(row.success),
                failed: codec::from_db(row.failed),
                skipped: codec::from_db(row.skipped),
            },
        })
    }

    pub(crate) fn outcome(&self, run: RunId, row: OutcomeRow) -> Result<ImageOutcome> {
        Ok(ImageOutcome {
            digest: row.digest.map(|d| self.digest(&d, "outcome")).transpose()?,
            platform: codec::platform_of(row.platform_os, row.platform_arch, row.platform_variant),
            status: OutcomeStatus::parse(&row.status).ok_or_else(|| {
                self.corrupt(
                    format!("outcome of {}:{} in run {run}", row.repository, row.tag),
                    format!("unknown status `{}`", row.status),
                )
            })?,
            registry: row.registry,
            repository: row.repository,
            tag: row.tag,
            cause: row.cause,
            pull_ms: codec::from_db_opt(row.pull_ms),
            analysis_ms: codec::from_db_opt(row.analysis_ms),
            matching_ms: codec::from_db_opt(row.matching_ms),
        })
    }

    pub(crate) fn unknown_run(&self, run: RunId) -> Error {
        Error::UnknownRun {
            path: self.path().to_owned(),
            run,
        }
    }
}
