//! `plimsoll report`: the latest results of every image in the store, written to a
//! directory — one report per platform image plus `summary.csv` — atomically per file.

use std::path::{Path, PathBuf};

use plimsoll_report::VulnFormat;
use plimsoll_store::{ResultFilter, ResultRow, Store};
use plimsoll_types::{FixState, VulnerabilityReport};

use crate::{Error, Result};

/// What to write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportFormat {
    /// One Plimsoll JSON report per image, plus `summary.csv`.
    Json,
    /// One SARIF 2.1.0 log per image, plus `summary.csv`.
    Sarif,
    /// `summary.csv` plus `findings.csv` (one row per finding of every image).
    Csv,
}

impl std::str::FromStr for ExportFormat {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "json" => Ok(ExportFormat::Json),
            "sarif" => Ok(ExportFormat::Sarif),
            "csv" => Ok(ExportFormat::Csv),
            other => Err(Error::Config(format!(
                "unknown report format `{other}` (json, sarif, csv)"
            ))),
        }
    }
}

/// What an export wrote.
#[derive(Debug, Default)]
pub struct ExportSummary {
    /// Rows of `summary.csv`.
    pub images: usize,
    /// Per-image report files.
    pub reports: usize,
    /// The summary file.
    pub summary_csv: PathBuf,
}

/// The columns of `summary.csv`, in order.
pub const SUMMARY_COLUMNS: [&str; 17] = [
    "registry",
    "repository",
    "tag",
    "digest",
    "platform",
    "os",
    "critical",
    "high",
    "medium",
    "low",
    "unknown",
    "fixable",
    "secrets",
    "config_findings",
    "status",
    "scanned_at",
    "report",
];

/// Writes the latest results of the images `filter` selects into `dir`.
pub async fn export(
    store: &Store,
    analyzer_key: &str,
    filter: &ResultFilter,
    format: ExportFormat,
    dir: &Path,
) -> Result<ExportSummary> {
    let out_err = |path: &Path, e: &dyn std::fmt::Display| Error::Output {
        path: path.to_owned(),
        reason: e.to_string(),
    };
    fs_err::create_dir_all(dir).map_err(|e| out_err(dir, &e))?;
    let rows = store.results(filter).await?;
    let mut summary = ExportSummary {
        summary_csv: dir.join("summary.csv"),
        ..ExportSummary::default()
    };
    let mut csv_rows: Vec<Vec<String>> = Vec::new();
    let mut findings_csv: Vec<Vec<String>> = Vec::new();
    let mut secrets_csv: Vec<Vec<String>> = Vec::new();
    let mut config_csv: Vec<Vec<String>> = Vec::new();
    for row in &rows {
        let report = match &row.manifest_digest {
            Some(digest) => load_report(store, analyzer_key, digest, Some(&row.tag)).await?,
            None => None,
        };
        let mut file_name = String::new();
        if let Some(report) = &report {
            match format {
                ExportFormat::Json | ExportFormat::Sarif => {
                    let (vuln_format, extension) = if format == ExportFormat::Json {
                        (VulnFormat::Json, "json")
                    } else {
                        (VulnFormat::Sarif, "sarif")
                    };
                    file_name = format!("{}.{extension}", report_file_stem(row));
                    let path = dir.join(&file_name);
                    let mut bytes = Vec::new();
                    plimsoll_report::write_vulnerability_reports(
                        vuln_format,
                        std::slice::from_ref(report),
                        &mut bytes,
                    )
                    .map_err(|e| out_err(&path, &e))?;
                    write_atomically(&path, &bytes)?;
                    summary.reports += 1;
                }
                ExportFormat::Csv => {
                    let place = || {
                        vec![
                            row.registry.clone(),
                            row.repository.clone(),
                            row.tag.clone(),
                            row.platform
                                .as_ref()
                                .map(ToString::to_string)
                                .unwrap_or_default(),
                        ]
                    };
                    for secret in &report.image.secrets {
                        let mut line = place();
                        line.extend([
                            secret.rule.clone(),
                            secret.severity.to_string(),
                            secret.path.clone(),
                            secret.line.to_string(),
                            secret
                                .layer
                                .as_ref()
                                .map(|l| l.index.to_string())
                                .unwrap_or_default(),
                            secret
                                .deleted_in_layer
                                .map(|i| i.to_string())
                                .unwrap_or_default(),
                            secret.redacted.clone(),
                        ]);
                        secrets_csv.push(line);
                    }
                    for finding in &report.config_findings {
                        let mut line = place();
                        line.extend([
                            finding.id.clone(),
                            finding.severity.to_string(),
                            finding.title.clone(),
                            finding.detail.clone(),
                        ]);
                        config_csv.push(line);
                    }
                    for f in &report.findings {
                        let mut line = place();
                        line.extend([
                            f.id.clone(),
                            f.aliases.join(" "),
                            f.package.clone(),
                            f.installed.clone(),
                            f.fixed_versions.join(" "),
                            match f.status {
                                FixState::Fixed => "fixed",
                                FixState::Unfixed => "unfixed",
                                FixState::WontFix => "wont-fix",
                            }
                            .to_owned(),
                            f.severity.to_string(),
                            f.cvss
                                .as_ref()
                                .map(|c| c.score.to_string())
                                .unwrap_or_default(),
                            f.layer
                                .as_ref()
                                .map(|l| l.digest.to_string())
                                .unwrap_or_default(),
                        ]);
                        findings_csv.push(line);
                    }
                }
            }
        }
        csv_rows.push(summary_row(row, report.as_ref(), &file_name));
    }
    summary.images = csv_rows.len();
    write_csv(&summary.summary_csv, &SUMMARY_COLUMNS, &csv_rows)?;
    if format == ExportFormat::Csv {
        write_csv(
            &dir.join("findings.csv"),
            &[
                "registry",
                "repository",
                "tag",
                "platform",
                "id",
                "aliases",
                "package",
                "installed",
                "fixed_versions",
                "status",
                "severity",
                "cvss_score",
                "layer",
            ],
            &findings_csv,
        )?;
        write_csv(
            &dir.join("secrets.csv"),
            &[
                "registry",
                "repository",
                "tag",
                "platform",
                "rule",
                "severity",
                "path",
                "line",
                "layer",
                "deleted_in_layer",
                "redacted",
            ],
            &secrets_csv,
        )?;
        write_csv(
            &dir.join("config.csv"),
            &[
                "registry",
                "repository",
                "tag",
                "platform",
                "id",
                "severity",
                "title",
                "detail",
            ],
            &config_csv,
        )?;
    }
    Ok(summary)
}

/// The stored inventory and findings of one platform image as a report, with the
/// configuration checks for `tag` worked out now (they depend on the tag and the date).
pub async fn load_report(
    store: &Store,
    analyzer_key: &str,
    digest: &plimsoll_types::Digest,
    tag: Option<&str>,
) -> Result<Option<VulnerabilityReport>> {
    let Some(image) = store.inventory(digest, analyzer_key).await? else {
        return Ok(None);
    };
    let stored = store.findings(digest).await?;
    let (findings, db_built_at) = match stored {
        Some(s) => (s.findings, s.db_built_at),
        None => (Vec::new(), None),
    };
    let config_findings = plimsoll_checks::check_image(
        &image,
        tag,
        time::OffsetDateTime::now_utc(),
        &plimsoll_checks::CheckOptions::default(),
    );
    Ok(Some(VulnerabilityReport {
        image,
        findings,
        db_built_at,
        suppressed: 0,
        config_findings,
    }))
}

fn summary_row(row: &ResultRow, loaded: Option<&VulnerabilityReport>, report: &str) -> Vec<String> {
    vec![
        row.registry.clone(),
        row.repository.clone(),
        row.tag.clone(),
        row.digest.to_string(),
        row.platform
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default(),
        row.os.clone().unwrap_or_default(),
        row.counts.critical.to_string(),
        row.counts.high.to_string(),
        row.counts.medium.to_string(),
        row.counts.low.to_string(),
        row.counts.unknown.to_string(),
        row.fixable.to_string(),
        loaded
            .map(|r| r.image.secrets.len().to_string())
            .unwrap_or_default(),
        loaded
            .map(|r| r.config_findings.len().to_string())
            .unwrap_or_default(),
        row.status.as_str().to_owned(),
        row.scanned_at
            .and_then(|t| {
                t.format(&time::format_description::well_known::Rfc3339)
                    .ok()
            })
            .unwrap_or_default(),
        report.to_owned(),
    ]
}

/// `registry__repository__tag__os_arch`, every character outside `[A-Za-z0-9._-]` as `_`.
fn report_file_stem(row: &ResultRow) -> String {
    let clean = |s: &str| -> String {
        s.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || matches!(c, '.' | '-') {
                    c
                } else {
                    '_'
                }
            })
            .collect()
    };
    let mut stem = format!(
        "{}__{}__{}",
        clean(&row.registry),
        clean(&row.repository),
        clean(&row.tag)
    );
    if let Some(p) = &row.platform {
        stem.push_str("__");
        stem.push_str(&clean(&p.to_string()));
    }
    stem
}

fn write_csv(path: &Path, header: &[&str], rows: &[Vec<String>]) -> Result<()> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let io = |e: csv::Error| Error::Output {
        path: path.to_owned(),
        reason: e.to_string(),
    };
    writer.write_record(header).map_err(io)?;
    for row in rows {
        writer.write_record(row).map_err(io)?;
    }
    let bytes = writer.into_inner().map_err(|e| Error::Output {
        path: path.to_owned(),
        reason: e.to_string(),
    })?;
    write_atomically(path, &bytes)
}

/// Write to a temporary file beside `path`, then rename: a reader never sees half a file.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let err = |e: std::io::Error| Error::Output {
        path: path.to_owned(),
        reason: e.to_string(),
    };
    let tmp = path.with_extension("partial");
    fs_err::write(&tmp, bytes).map_err(err)?;
    fs_err::rename(&tmp, path).map_err(err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_names_are_flat_and_safe() {
        let row = ResultRow {
            registry: "127.0.0.1:5000".into(),
            repository: "lab/python-app".into(),
            tag: "1".into(),
            digest: plimsoll_types::Digest::sha256_of(b"x"),
            platform: Some("linux/arm64/v8".parse().unwrap()),
            manifest_digest: None,
            os: None,
            counts: plimsoll_store::SeverityCounts::default(),
            fixable: 0,
            status: plimsoll_store::ResultStatus::Scanned,
            cause: None,
            scanned_at: None,
            db_built_at: None,
            last_seen: time::OffsetDateTime::UNIX_EPOCH,
        };
        assert_eq!(
            report_file_stem(&row),
            "127.0.0.1_5000__lab_python-app__1__linux_arm64_v8"
        );
    }
}
