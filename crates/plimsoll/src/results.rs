//! `plimsoll results list|show` and `plimsoll report`: what the results store holds.

use std::io::Write as _;
use std::process::ExitCode;

use anyhow::{Context as _, bail};

use plimsoll_report::VulnFormat;
use plimsoll_store::ResultFilter;

use crate::cli::{ReportArgs, ResultsCommand, ServerArgs, StoreArgs};
use crate::output::{stdout_is_terminal, write_report};
use crate::remote::Remote;
use crate::scan_config::{open_store, store_path};

pub(crate) async fn run(command: ResultsCommand) -> anyhow::Result<ExitCode> {
    match command {
        ResultsCommand::List(args) => {
            let rows = match Source::open(&args.store, &args.server).await? {
                Source::Store(store) => {
                    let filter = ResultFilter {
                        registry: args.registry.clone(),
                        repository: args.repository.clone(),
                    };
                    store.results(&filter).await?
                }
                Source::Remote(remote) => {
                    let mut rows = remote.results(args.registry.as_deref()).await?;
                    // The API's `repository` is an exact match; this command's is "contains".
                    if let Some(part) = &args.repository {
                        rows.retain(|r| r.repository.contains(part.as_str()));
                    }
                    rows
                }
            };
            if args.format == "json" {
                let mut out = std::io::stdout().lock();
                serde_json::to_writer_pretty(&mut out, &rows)?;
                writeln!(out)?;
                return Ok(ExitCode::SUCCESS);
            }
            let mut out = std::io::stdout().lock();
            writeln!(
                out,
                "IMAGE\tPLATFORM\tOS\tCRITICAL\tHIGH\tMEDIUM\tLOW\tUNKNOWN\tFIXABLE\tSTATUS"
            )?;
            for r in &rows {
                writeln!(
                    out,
                    "{}/{}:{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
                    r.registry,
                    r.repository,
                    r.tag,
                    r.platform
                        .as_ref()
                        .map_or_else(|| "-".into(), ToString::to_string),
                    r.os.as_deref().unwrap_or("-"),
                    r.counts.critical,
                    r.counts.high,
                    r.counts.medium,
                    r.counts.low,
                    r.counts.unknown,
                    r.fixable,
                    r.status.as_str()
                )?;
            }
            Ok(ExitCode::SUCCESS)
        }
        ResultsCommand::Show(args) => {
            let source = Source::open(&args.store, &args.server).await?;
            let (registry, rest) = args
                .image
                .split_once('/')
                .context("IMAGE is REGISTRY/REPOSITORY:TAG, as `results list` shows it")?;
            let (repository, tag) = rest
                .rsplit_once(':')
                .context("IMAGE is REGISTRY/REPOSITORY:TAG, as `results list` shows it")?;
            let rows = match &source {
                Source::Store(store) => store.results(&ResultFilter::default()).await?,
                Source::Remote(remote) => remote.results(None).await?,
            };
            let key = plimsoll_scan::current_analyzer_key();
            let mut reports = Vec::new();
            for row in rows.iter().filter(|r| {
                (r.registry == registry || r.digest.to_string() == registry)
                    && r.repository == repository
                    && r.tag == tag
            }) {
                let Some(digest) = &row.manifest_digest else {
                    continue;
                };
                match &source {
                    Source::Store(store) => {
                        if let Some(report) =
                            plimsoll_worker::load_report(store, &key, digest, Some(tag)).await?
                        {
                            reports.push(report);
                        }
                    }
                    // Not scanned yet: the server has no report (404), the store none either.
                    Source::Remote(remote)
                        if row.status == plimsoll_store::ResultStatus::Scanned =>
                    {
                        reports.extend(remote.reports(digest).await?);
                    }
                    Source::Remote(_) => {}
                }
            }
            if reports.is_empty() {
                bail!("the store holds no results for {}", args.image);
            }
            let format: VulnFormat = match &args.format {
                Some(f) => f.parse()?,
                None if stdout_is_terminal(None) => VulnFormat::Table,
                None => VulnFormat::Json,
            };
            let view = args.view.view();
            write_report(None, |out| match view {
                Some(view) => Ok(plimsoll_report::write_view(view, &reports, out)?),
                None => Ok(plimsoll_report::write_vulnerability_reports(
                    format, &reports, out,
                )?),
            })?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Where `results` reads: the store file, or a server's API (`--server`).
enum Source {
    Store(plimsoll_store::Store),
    Remote(Remote),
}

impl Source {
    async fn open(store: &StoreArgs, server: &ServerArgs) -> anyhow::Result<Self> {
        Ok(match &server.server {
            Some(url) => Source::Remote(Remote::new(url, server.token.clone())?),
            None => Source::Store(open_store(&store_path(store.path.as_ref(), None)).await?),
        })
    }
}

pub(crate) async fn report(args: ReportArgs) -> anyhow::Result<ExitCode> {
    let store = open_store(&store_path(args.store.path.as_ref(), None)).await?;
    let format: plimsoll_worker::ExportFormat = args.format.parse()?;
    let key = plimsoll_scan::current_analyzer_key();
    let filter = ResultFilter {
        registry: args.registry.clone(),
        repository: args.repository.clone(),
    };
    let summary = plimsoll_worker::export(&store, &key, &filter, format, &args.output).await?;
    tracing::info!(
        dir = %args.output.display(),
        images = summary.images,
        reports = summary.reports,
        summary = %summary.summary_csv.display(),
        "reports written"
    );
    Ok(ExitCode::SUCCESS)
}
