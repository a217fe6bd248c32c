use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context as _, bail};

use plimsoll_report::VulnFormat;
use plimsoll_types::{FixState, ImageSource, Severity, VulnerabilityReport};
use plimsoll_vulndb::VulnDb;

use crate::cli::ImageArgs;
use crate::ignore::IgnoreList;
use crate::output::{stdout_is_terminal, write_report};
use crate::target::inventories;

const DEFAULT_IGNORE_FILE: &str = ".plimsollignore";

pub(crate) async fn run(args: ImageArgs) -> anyhow::Result<ExitCode> {
    let format: VulnFormat = match &args.format {
        Some(f) => f.parse()?,
        None if stdout_is_terminal(args.output.as_deref()) => VulnFormat::Table,
        None => VulnFormat::Json,
    };
    let severities: Vec<Severity> = args
        .severity
        .iter()
        .map(|s| s.parse())
        .collect::<Result<_, _>>()?;
    let fail_on: Option<Severity> = args.fail_on.as_deref().map(str::parse).transpose()?;
    let ignores = match &args.ignore_file {
        Some(path) => IgnoreList::load(path)?,
        None if Path::new(DEFAULT_IGNORE_FILE).exists() => {
            IgnoreList::load(Path::new(DEFAULT_IGNORE_FILE))?
        }
        None => IgnoreList::default(),
    };
    let today = time::OffsetDateTime::now_utc().date();
    for rule in ignores.expired(today) {
        tracing::warn!(id = %rule.id, expired = ?rule.expires, "ignore rule has expired; the vulnerability is reported again");
    }

    // Open the database first: a missing database should fail before any pull.
    let db_dir = args
        .db_dir
        .clone()
        .unwrap_or_else(plimsoll_vulndb::default_db_dir);
    let db = open_db(db_dir).await?;

    let started = Instant::now();
    let images = inventories(&args.target).await?;
    let pulled_and_analysed = started.elapsed();

    let started = Instant::now();
    let (db, matched) = tokio::task::spawn_blocking(move || {
        let mut out = Vec::new();
        {
            // One matcher for every platform: advisories prepared once serve them all.
            let mut matcher = plimsoll_matcher::Matcher::new(&db);
            for image in images {
                let outcome = matcher.match_inventory(&image);
                out.push((image, outcome));
            }
        }
        (db, out)
    })
    .await
    .context("matching task failed")?;
    let matching = started.elapsed();

    let built_at = db
        .status()
        .built_at
        .format(&time::format_description::well_known::Rfc3339)
        .ok();
    let mut reports = Vec::new();
    let mut failing = false;
    for (mut image, outcome) in matched {
        let outcome = outcome.with_context(|| image.source.display_name())?;
        for problem in &outcome.problems {
            tracing::warn!(image = %image.source.display_name(), "{problem}");
        }
        image.warnings.extend(outcome.problems.iter().cloned());
        let total = outcome.findings.len();
        let findings: Vec<_> = outcome
            .findings
            .into_iter()
            .filter(|f| severities.is_empty() || severities.contains(&f.severity))
            .filter(|f| !(args.ignore_unfixed && f.status != FixState::Fixed))
            .filter(|f| match ignores.suppressing(f, today) {
                Some(rule) => {
                    tracing::info!(id = %f.id, package = %f.package, reason = rule.reason.as_deref().unwrap_or(""), "ignored by the ignore file");
                    false
                }
                None => true,
            })
            .collect();
        failing |= match fail_on {
            Some(threshold) => findings.iter().any(|f| f.severity >= threshold),
            None => !findings.is_empty() && args.exit_code != 0,
        };
        tracing::info!(
            image = %image.source.display_name(),
            platform = %image.platform,
            vulnerabilities = findings.len(),
            packages_checked = outcome.packages_checked,
            "matching complete"
        );
        let tag = image_tag(&image.source);
        let config_findings: Vec<_> = plimsoll_checks::check_image(
            &image,
            tag.as_deref(),
            time::OffsetDateTime::now_utc(),
            &plimsoll_checks::CheckOptions::default(),
        )
        .into_iter()
        .filter(|f| ignores.suppressing_id(&f.id, today).is_none())
        .collect();
        image
            .secrets
            .retain(|s| ignores.suppressing_id(&s.rule, today).is_none());
        reports.push(VulnerabilityReport {
            suppressed: total - findings.len(),
            config_findings,
            image,
            findings,
            db_built_at: built_at.clone(),
        });
    }
    tracing::info!(
        pull_and_analysis_ms = pulled_and_analysed.as_millis(),
        matching_ms = matching.as_millis(),
        "timings"
    );
    let view = args.view.view();
    write_report(args.output.as_deref(), |out| match view {
        Some(view) => Ok(plimsoll_report::write_view(view, &reports, out)?),
        None => Ok(plimsoll_report::write_vulnerability_reports(
            format, &reports, out,
        )?),
    })?;
    Ok(if failing {
        ExitCode::from(if args.exit_code == 0 {
            1
        } else {
            args.exit_code
        })
    } else {
        ExitCode::SUCCESS
    })
}

/// The tag an image was pulled by (`None` for a digest, a layout or an archive).
fn image_tag(source: &ImageSource) -> Option<String> {
    let ImageSource::Registry { reference } = source else {
        return None;
    };
    let name = reference
        .split_once('@')
        .map_or(reference.as_str(), |(n, _)| n);
    if reference.contains('@') {
        return None;
    }
    // The tag follows the last `:` after the last `/` (a port is before the first `/`).
    let last = name.rsplit_once('/').map_or(name, |(_, last)| last);
    last.rsplit_once(':').map(|(_, tag)| tag.to_owned())
}

pub(crate) async fn open_db(dir: PathBuf) -> anyhow::Result<VulnDb> {
    let db = tokio::task::spawn_blocking(move || VulnDb::open(&dir))
        .await
        .context("opening task failed")??;
    if db.status().records == 0 {
        bail!(
            "the vulnerability database at {} is empty; run `plimsoll db import DIR` or `plimsoll db update`",
            db.dir().display()
        );
    }
    // For `plimsoll serve`'s /metrics (a no-op elsewhere): the build time of the database in
    // use, so an alert can fire on `time() - plimsoll_vulndb_built_timestamp_seconds`.
    // Unix seconds need 36 bits for the next two thousand years: f64 holds them exactly.
    #[allow(clippy::cast_precision_loss)]
    let built = db.status().built_at.unix_timestamp() as f64;
    metrics::gauge!("plimsoll_vulndb_built_timestamp_seconds").set(built);
    Ok(db)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_come_from_registry_references_only() {
        let r = |reference: &str| ImageSource::Registry {
            reference: reference.into(),
        };
        assert_eq!(
            image_tag(&r("127.0.0.1:5000/lab/app:latest")).as_deref(),
            Some("latest")
        );
        assert_eq!(
            image_tag(&r("docker.io/library/debian:12")).as_deref(),
            Some("12")
        );
        assert_eq!(image_tag(&r("127.0.0.1:5000/lab/app")), None);
        assert_eq!(
            image_tag(&r("docker.io/library/debian:12@sha256:0123")),
            None,
            "pulled by digest"
        );
        assert_eq!(
            image_tag(&ImageSource::DockerArchive { path: "a:b".into() }),
            None
        );
    }
}
