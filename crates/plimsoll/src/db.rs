use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use time::format_description::well_known::Rfc3339;

use plimsoll_vulndb::{ImportMode, ImportOptions, ImportReport, ImportSource, VulnDb};

use crate::cli::{DbCommand, DbImportArgs, DbStatusArgs, DbUpdateArgs};

pub(crate) async fn run(command: DbCommand) -> anyhow::Result<()> {
    match command {
        DbCommand::Import(args) => import(args).await,
        DbCommand::Update(args) => update(args).await,
        DbCommand::Status(args) => status(args).await,
    }
}

fn db_dir(given: Option<PathBuf>) -> PathBuf {
    given.unwrap_or_else(plimsoll_vulndb::default_db_dir)
}

async fn import(args: DbImportArgs) -> anyhow::Result<()> {
    let dir = db_dir(args.db_dir);
    let sources = args
        .paths
        .iter()
        .map(ImportSource::from_path)
        .collect::<Result<Vec<_>, _>>()?;
    let mode = if args.replace {
        ImportMode::Replace
    } else {
        ImportMode::Merge
    };
    let shown = dir.clone();
    let report = tokio::task::spawn_blocking(move || {
        plimsoll_vulndb::import(&dir, &sources, &ImportOptions::new().mode(mode))
    })
    .await
    .context("import task failed")?
    .with_context(|| format!("importing into {}", shown.display()))?;
    print_import(&report, &shown)
}

async fn update(args: DbUpdateArgs) -> anyhow::Result<()> {
    let dir = db_dir(args.db_dir);
    let sources = if args.source.is_empty() {
        args.ecosystem
            .iter()
            .map(|e| plimsoll_vulndb::osv_all_zip_url(e))
            .collect()
    } else {
        args.source
    };
    let refreshed = refresh(&dir, &sources).await?;
    for import in &refreshed.imports {
        print_import(import, &dir)?;
    }
    let mut out = std::io::stdout().lock();
    for url in &refreshed.not_modified {
        writeln!(out, "not modified: {url}")?;
    }
    if refreshed.imports.is_empty() {
        writeln!(out, "the database at {} is up to date", dir.display())?;
    }
    Ok(())
}

/// The ecosystems whose `all.zip` `db update` fetches from the public OSV bucket when no
/// `--source` is given (and `plimsoll serve` when `[vulndb] sources` is empty).
pub(crate) const DEFAULT_ECOSYSTEMS: &str =
    "PyPI,npm,Debian,Alpine,Ubuntu,Go,crates.io,Maven,RubyGems,NuGet,Packagist";

/// The public OSV bucket's `all.zip` of each default ecosystem.
pub(crate) fn default_sources() -> Vec<String> {
    DEFAULT_ECOSYSTEMS
        .split(',')
        .map(plimsoll_vulndb::osv_all_zip_url)
        .collect()
}

/// What [`refresh`] did.
pub(crate) struct Refreshed {
    /// The imports made (local sources first, then the changed feeds), each a new build.
    pub(crate) imports: Vec<ImportReport>,
    /// Feeds the server reported unchanged.
    pub(crate) not_modified: Vec<String>,
}

/// `db update --source …`: local directories, zips and files imported, HTTP(S) feeds
/// downloaded if they changed and imported. Shared by `plimsoll db update` and the database
/// refresh of `plimsoll serve`.
pub(crate) async fn refresh(dir: &Path, sources: &[String]) -> anyhow::Result<Refreshed> {
    let (urls, paths): (Vec<String>, Vec<String>) = sources
        .iter()
        .cloned()
        .partition(|s| s.starts_with("http://") || s.starts_with("https://"));
    let mut refreshed = Refreshed {
        imports: Vec::new(),
        not_modified: Vec::new(),
    };
    if !paths.is_empty() {
        let sources = paths
            .iter()
            .map(ImportSource::from_path)
            .collect::<Result<Vec<_>, _>>()?;
        let d = dir.to_owned();
        let report = tokio::task::spawn_blocking(move || {
            plimsoll_vulndb::import(&d, &sources, &ImportOptions::new())
        })
        .await
        .context("import task failed")??;
        refreshed.imports.push(report);
    }
    if !urls.is_empty() {
        let report = plimsoll_vulndb::update(dir, &urls, &ImportOptions::new()).await?;
        refreshed.not_modified = report.not_modified;
        refreshed.imports.extend(report.import);
    }
    Ok(refreshed)
}

fn print_import(report: &ImportReport, dir: &std::path::Path) -> anyhow::Result<()> {
    let mut text = String::new();
    let totals = report.meta.totals();
    writeln!(
        text,
        "imported into {}: {} records now ({} added, {} updated, {} removed) in {:.2} s",
        dir.display(),
        report.meta.records,
        report.added,
        report.updated,
        report.removed,
        report.duration.as_secs_f64()
    )?;
    for source in &report.sources {
        writeln!(
            text,
            "  {}: {} documents, {} records, {} imported",
            source.location, source.counts.documents, source.counts.records, source.counts.imported
        )?;
    }
    let skipped = totals.malformed + totals.withdrawn;
    if skipped > 0 || !report.warnings.is_empty() {
        writeln!(
            text,
            "  skipped: {} malformed, {} withdrawn (see warnings in the log)",
            totals.malformed, totals.withdrawn
        )?;
    }
    for warning in &report.warnings {
        tracing::warn!(origin = %warning.origin, id = warning.id.as_deref().unwrap_or(""), "{}", warning.message);
    }
    std::io::stdout().lock().write_all(text.as_bytes())?;
    Ok(())
}

async fn status(args: DbStatusArgs) -> anyhow::Result<()> {
    let dir = db_dir(args.db_dir);
    let db = tokio::task::spawn_blocking(move || VulnDb::open(&dir))
        .await
        .context("status task failed")??;
    let meta = db.status();
    let mut out = std::io::stdout().lock();
    if args.format == "json" {
        serde_json::to_writer_pretty(&mut out, meta)?;
        writeln!(out)?;
        return Ok(());
    }
    let mut text = String::new();
    writeln!(text, "Database:        {}", db.dir().display())?;
    writeln!(text, "Schema version:  {}", meta.schema_version)?;
    writeln!(
        text,
        "Built at:        {} by {}",
        meta.built_at.format(&Rfc3339)?,
        meta.built_by
    )?;
    writeln!(text, "Records:         {}", meta.records)?;
    writeln!(text, "\nECOSYSTEM                     RECORDS")?;
    for (ecosystem, count) in &meta.ecosystems {
        writeln!(text, "{ecosystem:<28}  {count:>7}")?;
    }
    let unknown = meta.unknown_ecosystems();
    if !unknown.is_empty() {
        writeln!(text, "\nUnknown ecosystems (entries not imported):")?;
        for (ecosystem, count) in &unknown {
            writeln!(text, "  {ecosystem}: {count}")?;
        }
    }
    writeln!(text, "\nSOURCES")?;
    for source in &meta.sources {
        writeln!(
            text,
            "  {} (imported {}): {} records",
            source.location,
            source.imported_at.format(&Rfc3339)?,
            source.counts.imported
        )?;
    }
    out.write_all(text.as_bytes())?;
    Ok(())
}
