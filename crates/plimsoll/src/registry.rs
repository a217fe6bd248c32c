//! `plimsoll registry scan|rematch|check`: the main job, its database-only twin, and the
//! reachability check of the configuration.

use std::io::Write as _;
use std::process::ExitCode;

use anyhow::Context as _;

use plimsoll_worker::{ExportFormat, RunOptions};

use crate::cli::{CheckArgs, LogFormat, RegistryCommand, RematchArgs, ScanArgs};
use crate::image::open_db;
use crate::progress::RunProgress;
use crate::scan_config::{self, open_store, store_path};

pub(crate) async fn run(
    command: RegistryCommand,
    log_format: LogFormat,
) -> anyhow::Result<ExitCode> {
    match command {
        RegistryCommand::Scan(args) => scan(*args, log_format).await,
        RegistryCommand::Rematch(args) => rematch(args, log_format).await,
        RegistryCommand::Check(args) => check(*args).await,
    }
}

/// `plimsoll registry check`: one block per registry on stdout.
async fn check(args: CheckArgs) -> anyhow::Result<ExitCode> {
    let config = scan_config::load(&args.config)?;
    let checks = plimsoll_worker::check(&config).await;
    let mut out = std::io::stdout().lock();
    for check in &checks {
        out.write_all(check.render().as_bytes())?;
    }
    out.flush()?;
    Ok(if checks.iter().any(|c| c.problems > 0) {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

async fn scan(args: ScanArgs, log_format: LogFormat) -> anyhow::Result<ExitCode> {
    if let (Some(server), Some(registry)) = (&args.server, &args.registry) {
        return crate::serve::trigger(server, args.token.as_deref(), registry).await;
    }
    let config = scan_config::load(&args.config)?;
    let store = open_store(&store_path(args.config.store.as_ref(), Some(&config))).await?;
    // The database first: a missing one should fail before any request.
    let db_dir = config
        .db_dir
        .clone()
        .unwrap_or_else(plimsoll_vulndb::default_db_dir);
    let db = open_db(db_dir).await?;
    let progress = RunProgress::for_stderr(matches!(log_format, LogFormat::Json));
    let options = RunOptions {
        dry_run: args.dry_run,
        wait: args.wait,
    };
    let summary = plimsoll_worker::run(&config, &store, db, options, &progress).await?;
    if args.dry_run {
        print_decisions(&summary)?;
        tracing::info!(
            discovered = summary.discovered,
            selected = summary
                .decisions
                .iter()
                .filter(|(_, d)| d.is_scan())
                .count(),
            "dry run: nothing pulled"
        );
        return Ok(ExitCode::SUCCESS);
    }
    if let Some(dir) = &config.report_dir {
        let key = plimsoll_scan::current_analyzer_key();
        let written = plimsoll_worker::export(
            &store,
            &key,
            &plimsoll_store::ResultFilter::default(),
            ExportFormat::Json,
            dir,
        )
        .await?;
        tracing::info!(dir = %dir.display(), images = written.images, reports = written.reports, "reports written");
    }
    let totals = summary.totals();
    tracing::info!(
        run = summary.run.map(plimsoll_store::RunId::get),
        seconds = summary.elapsed.as_secs_f64(),
        analysed = summary.images_analysed,
        reused = summary.images_reused,
        "{}",
        summary.line()
    );
    Ok(if totals.failed > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// The dry run's answer on stdout: every discovered tag, scanned or why not.
fn print_decisions(summary: &plimsoll_worker::RunSummary) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "DECISION\tIMAGE\tDIGEST\tCREATED\tREASON")?;
    for (tag, decision) in &summary.decisions {
        let created = tag
            .created()
            .and_then(|c| {
                c.format(&time::format_description::well_known::Rfc3339)
                    .ok()
            })
            .unwrap_or_else(|| "-".into());
        let digest = tag
            .digest()
            .map_or_else(|| "-".to_owned(), ToString::to_string);
        let (verdict, reason) = if decision.is_scan() {
            (
                "scan",
                tag.image
                    .as_ref()
                    .err()
                    .map_or_else(String::new, |e| format!("metadata failed: {e}")),
            )
        } else {
            ("skip", decision.to_string())
        };
        writeln!(
            out,
            "{verdict}\t{}\t{digest}\t{created}\t{reason}",
            tag.reference_string()
        )?;
    }
    out.flush().context("writing the dry-run listing")
}

async fn rematch(args: RematchArgs, log_format: LogFormat) -> anyhow::Result<ExitCode> {
    let store = open_store(&store_path(args.store.path.as_ref(), None)).await?;
    let db_dir = args
        .db_dir
        .clone()
        .unwrap_or_else(plimsoll_vulndb::default_db_dir);
    let db = open_db(db_dir).await?;
    let progress = RunProgress::for_stderr(matches!(log_format, LogFormat::Json));
    let key = plimsoll_scan::current_analyzer_key();
    let options = plimsoll_worker::RematchOptions {
        wait: args.wait,
        ..plimsoll_worker::RematchOptions::default()
    };
    let summary = plimsoll_worker::rematch(&store, db, &key, options, &progress).await?;
    tracing::info!(
        inventories = summary.inventories,
        packages = summary.packages,
        findings = summary.findings,
        seconds = summary.elapsed.as_secs_f64(),
        "re-match complete (no registry contacted)"
    );
    Ok(ExitCode::SUCCESS)
}
