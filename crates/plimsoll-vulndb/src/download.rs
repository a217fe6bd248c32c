//! Fetching feeds over HTTP(S): [`download`] and [`update`].
//!
//! The async edge of the crate. A feed is downloaded into a `.part` file that is renamed only
//! once complete (length checked against `Content-Length`), so an interrupted download is
//! never imported; the next run simply starts again ("restartable"). The validators of the
//! last imported copy (`ETag`, `Last-Modified`, kept in the database metadata) make an
//! unchanged feed cost one `304 Not Modified` round trip.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use futures_util::StreamExt;
use reqwest::StatusCode;
use reqwest::header::{ETAG, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED};
use tokio::io::AsyncWriteExt;

use crate::db::VulnDb;
use crate::error::{Error, Result};
use crate::import::{ImportMode, ImportOptions, ImportReport, import};
use crate::source::ImportSource;
use crate::store::DOWNLOADS;

/// The public OSV bucket; `<base>/<Ecosystem>/all.zip` holds every record of one ecosystem.
pub const OSV_BUCKET: &str = "https://osv-vulnerabilities.storage.googleapis.com";

/// The URL of OSV's `all.zip` for one base ecosystem (`PyPI`, `Debian`, `Red Hat`).
///
/// ```
/// assert_eq!(
///     plimsoll_vulndb::osv_all_zip_url("Red Hat"),
///     "https://osv-vulnerabilities.storage.googleapis.com/Red%20Hat/all.zip"
/// );
/// ```
pub fn osv_all_zip_url(ecosystem: &str) -> String {
    format!("{OSV_BUCKET}/{}/all.zip", ecosystem.replace(' ', "%20"))
}

/// A feed downloaded completely to a local file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Downloaded {
    /// The URL it came from (the source's location in the metadata).
    pub url: String,
    /// The local copy.
    pub path: PathBuf,
    /// The response's `ETag`.
    pub etag: Option<String>,
    /// The response's `Last-Modified`.
    pub last_modified: Option<String>,
}

/// The outcome of a conditional download.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Download {
    /// The server answered `304 Not Modified`: the imported copy is current.
    NotModified,
    /// A new copy was downloaded.
    Fetched(Downloaded),
}

static DOWNLOAD_COUNTER: AtomicU64 = AtomicU64::new(0);

fn client(url: &str) -> Result<reqwest::Client> {
    reqwest::Client::builder()
        .user_agent(concat!("plimsoll/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(Duration::from_secs(30))
        .read_timeout(Duration::from_mins(2))
        .build()
        .map_err(|source| Error::Http {
            url: url.to_owned(),
            source,
        })
}

/// Downloads `url` into `dest_dir`, conditionally on the validators of the copy already
/// imported (`If-None-Match: etag`, `If-Modified-Since: last_modified`).
pub async fn download(
    url: &str,
    dest_dir: &Path,
    etag: Option<&str>,
    last_modified: Option<&str>,
) -> Result<Download> {
    let http = |source| Error::Http {
        url: url.to_owned(),
        source,
    };
    let mut request = client(url)?.get(url);
    if let Some(etag) = etag {
        request = request.header(IF_NONE_MATCH, etag);
    }
    if let Some(last_modified) = last_modified {
        request = request.header(IF_MODIFIED_SINCE, last_modified);
    }
    let response = request.send().await.map_err(http)?;
    let status = response.status();
    if status == StatusCode::NOT_MODIFIED {
        return Ok(Download::NotModified);
    }
    if !status.is_success() {
        return Err(Error::HttpStatus {
            url: url.to_owned(),
            status: status.as_u16(),
        });
    }
    let header = |name| {
        response
            .headers()
            .get(name)
            .and_then(|v: &reqwest::header::HeaderValue| v.to_str().ok())
            .map(str::to_owned)
    };
    let new_etag = header(ETAG);
    let new_last_modified = header(LAST_MODIFIED);
    let expected = response.content_length();

    tokio::fs::create_dir_all(dest_dir)
        .await
        .map_err(|source| Error::WriteDb {
            path: dest_dir.to_owned(),
            source,
        })?;
    let stem = format!(
        "feed-{}-{}",
        std::process::id(),
        DOWNLOAD_COUNTER.fetch_add(1, Ordering::Relaxed)
    );
    let part = dest_dir.join(format!("{stem}.part"));
    let done = dest_dir.join(format!("{stem}.download"));
    let result = async {
        let write_err = |source| Error::WriteDb {
            path: part.clone(),
            source,
        };
        let mut file = tokio::fs::File::create(&part).await.map_err(write_err)?;
        let mut received = 0_u64;
        let mut body = response.bytes_stream();
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(http)?;
            received += chunk.len() as u64;
            file.write_all(&chunk).await.map_err(write_err)?;
        }
        if let Some(expected) = expected
            && received != expected
        {
            return Err(Error::Truncated {
                url: url.to_owned(),
                received,
                expected,
            });
        }
        file.flush().await.map_err(write_err)?;
        file.sync_all().await.map_err(write_err)?;
        drop(file);
        tokio::fs::rename(&part, &done)
            .await
            .map_err(|source| Error::WriteDb {
                path: done.clone(),
                source,
            })
    }
    .await;
    if let Err(e) = result {
        let _ = tokio::fs::remove_file(&part).await;
        return Err(e);
    }
    Ok(Download::Fetched(Downloaded {
        url: url.to_owned(),
        path: done,
        etag: new_etag,
        last_modified: new_last_modified,
    }))
}

/// What [`update`] did.
#[derive(Debug, Clone)]
pub struct UpdateReport {
    /// URLs the server reported unchanged (`304`), not downloaded.
    pub not_modified: Vec<String>,
    /// URLs downloaded and imported.
    pub downloaded: Vec<String>,
    /// The import, when anything was downloaded.
    pub import: Option<ImportReport>,
}

/// Refreshes the database at `db_dir` from feed URLs (zips or JSON files): each URL is
/// downloaded conditionally on the validators stored for it; the changed ones are imported
/// with `options` on a blocking thread, the unchanged ones keep their records (in
/// [`ImportMode::Merge`]). In [`ImportMode::Replace`] every URL is downloaded unconditionally,
/// since a replaced database would otherwise lose the unchanged feeds' records.
///
/// Downloads land in `<db_dir>/downloads/` and are deleted once imported or failed.
pub async fn update(
    db_dir: &Path,
    urls: &[String],
    options: &ImportOptions,
) -> Result<UpdateReport> {
    let previous = match VulnDb::open(db_dir) {
        Ok(db) if options.mode == ImportMode::Merge => Some(db.status().clone()),
        // Missing, another schema (records unreadable, so download everything), or replacing.
        _ => None,
    };
    let dest = db_dir.join(DOWNLOADS);
    let mut report = UpdateReport {
        not_modified: Vec::new(),
        downloaded: Vec::new(),
        import: None,
    };
    let mut fetched = Vec::new();
    let mut failure = None;
    for url in urls {
        let known = previous
            .as_ref()
            .and_then(|meta| meta.sources.iter().find(|s| &s.location == url));
        let outcome = download(
            url,
            &dest,
            known.and_then(|s| s.etag.as_deref()),
            known.and_then(|s| s.last_modified.as_deref()),
        )
        .await;
        match outcome {
            Ok(Download::NotModified) => report.not_modified.push(url.clone()),
            Ok(Download::Fetched(downloaded)) => {
                report.downloaded.push(url.clone());
                fetched.push(downloaded);
            }
            Err(e) => {
                failure = Some(e);
                break;
            }
        }
    }
    if failure.is_none() && !fetched.is_empty() {
        let sources: Vec<ImportSource> = fetched
            .iter()
            .cloned()
            .map(ImportSource::Download)
            .collect();
        let db_dir = db_dir.to_owned();
        let options = options.clone();
        match tokio::task::spawn_blocking(move || import(&db_dir, &sources, &options)).await {
            Ok(Ok(import_report)) => report.import = Some(import_report),
            Ok(Err(e)) => failure = Some(e),
            Err(e) => failure = Some(Error::Task(e)),
        }
    }
    for downloaded in &fetched {
        let _ = tokio::fs::remove_file(&downloaded.path).await;
    }
    match failure {
        Some(e) => Err(e),
        None => Ok(report),
    }
}
