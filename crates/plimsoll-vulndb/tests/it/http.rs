//! `update` against a loopback HTTP/1.1 server written by hand (no network, no mock crate):
//! 200 with an `ETag`, then 304 when `If-None-Match` matches.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use plimsoll_vulndb::{Error, ImportOptions, VulnDb, update};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use crate::{files_under, testdata, zip_of};

/// What the server serves, and what it saw.
#[derive(Default)]
struct Feed {
    etag: Mutex<String>,
    body: Mutex<Vec<u8>>,
    /// Announce this many more bytes than sent, then hang up.
    short_by: AtomicUsize,
    requests: AtomicUsize,
    full_responses: AtomicUsize,
    last_if_none_match: Mutex<Option<String>>,
}

async fn serve(feed: Arc<Feed>) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let (mut socket, _) = listener.accept().await.unwrap();
            let feed = Arc::clone(&feed);
            tokio::spawn(async move {
                let mut request = Vec::new();
                let mut buf = [0_u8; 4096];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    let n = socket.read(&mut buf).await.unwrap();
                    if n == 0 {
                        return;
                    }
                    request.extend_from_slice(&buf[..n]);
                }
                let request = String::from_utf8_lossy(&request).into_owned();
                let if_none_match = request.lines().find_map(|line| {
                    let (name, value) = line.split_once(':')?;
                    name.eq_ignore_ascii_case("if-none-match")
                        .then(|| value.trim().to_owned())
                });
                feed.requests.fetch_add(1, Ordering::SeqCst);
                feed.last_if_none_match
                    .lock()
                    .unwrap()
                    .clone_from(&if_none_match);
                let etag = feed.etag.lock().unwrap().clone();
                if if_none_match.as_deref() == Some(etag.as_str()) {
                    let head = format!(
                        "HTTP/1.1 304 Not Modified\r\nETag: {etag}\r\nConnection: close\r\n\r\n"
                    );
                    socket.write_all(head.as_bytes()).await.unwrap();
                } else {
                    feed.full_responses.fetch_add(1, Ordering::SeqCst);
                    let body = feed.body.lock().unwrap().clone();
                    let announced = body.len() + feed.short_by.load(Ordering::SeqCst);
                    let head = format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: application/zip\r\nContent-Length: {announced}\r\nETag: {etag}\r\nLast-Modified: Tue, 26 Nov 2026 10:00:00 GMT\r\nConnection: close\r\n\r\n"
                    );
                    socket.write_all(head.as_bytes()).await.unwrap();
                    socket.write_all(&body).await.unwrap();
                }
                let _ = socket.shutdown().await;
            });
        }
    });
    addr
}

fn zip_of_case(case: &str) -> Vec<u8> {
    zip_of(&files_under(&testdata(case)))
}

fn downloads_left(db_dir: &std::path::Path) -> usize {
    fs_err::read_dir(db_dir.join("downloads")).map_or(0, Iterator::count)
}

#[tokio::test]
async fn etag_makes_an_unchanged_feed_a_304() {
    let feed = Arc::new(Feed::default());
    *feed.etag.lock().unwrap() = "\"v1\"".to_owned();
    *feed.body.lock().unwrap() = zip_of_case("real");
    let addr = serve(Arc::clone(&feed)).await;
    let url = format!("http://{addr}/PyPI/all.zip");
    let db_dir = tempfile::tempdir().unwrap();
    let urls = [url.clone()];

    let report = update(db_dir.path(), &urls, &ImportOptions::new())
        .await
        .unwrap();
    assert_eq!(report.downloaded, urls);
    assert!(report.not_modified.is_empty());
    assert_eq!(report.import.as_ref().unwrap().meta.records, 9);
    assert_eq!(feed.full_responses.load(Ordering::SeqCst), 1);
    assert_eq!(*feed.last_if_none_match.lock().unwrap(), None);
    assert_eq!(
        downloads_left(db_dir.path()),
        0,
        "downloads are removed once imported"
    );

    let db = VulnDb::open(db_dir.path()).unwrap();
    let source = &db.status().sources[0];
    assert_eq!(source.location, url);
    assert_eq!(source.etag.as_deref(), Some("\"v1\""));
    assert_eq!(
        source.last_modified.as_deref(),
        Some("Tue, 26 Nov 2026 10:00:00 GMT")
    );
    let generation = db.generation().to_owned();

    // Unchanged: one conditional request, no body, no import, same generation.
    let report = update(db_dir.path(), &urls, &ImportOptions::new())
        .await
        .unwrap();
    assert_eq!(report.not_modified, urls);
    assert!(report.downloaded.is_empty() && report.import.is_none());
    assert_eq!(feed.requests.load(Ordering::SeqCst), 2);
    assert_eq!(
        feed.full_responses.load(Ordering::SeqCst),
        1,
        "no re-download"
    );
    assert_eq!(
        feed.last_if_none_match.lock().unwrap().as_deref(),
        Some("\"v1\"")
    );
    assert_eq!(
        VulnDb::open(db_dir.path()).unwrap().generation(),
        generation
    );

    // Changed upstream: downloaded again and merged.
    *feed.etag.lock().unwrap() = "\"v2\"".to_owned();
    *feed.body.lock().unwrap() = zip_of_case("update");
    let report = update(db_dir.path(), &urls, &ImportOptions::new())
        .await
        .unwrap();
    assert_eq!(report.downloaded, urls);
    assert_eq!(feed.full_responses.load(Ordering::SeqCst), 2);
    let db = VulnDb::open(db_dir.path()).unwrap();
    assert_eq!(
        db.status().records,
        8,
        "GO-2020-0001 withdrawn by the new feed"
    );
    assert_eq!(db.status().sources.len(), 1);
    assert_eq!(db.status().sources[0].etag.as_deref(), Some("\"v2\""));
}

#[tokio::test]
async fn a_truncated_download_is_never_imported() {
    let feed = Arc::new(Feed::default());
    *feed.etag.lock().unwrap() = "\"v1\"".to_owned();
    *feed.body.lock().unwrap() = zip_of_case("real");
    let addr = serve(Arc::clone(&feed)).await;
    let urls = [format!("http://{addr}/all.zip")];
    let db_dir = tempfile::tempdir().unwrap();
    update(db_dir.path(), &urls, &ImportOptions::new())
        .await
        .unwrap();
    let before = VulnDb::open(db_dir.path()).unwrap().generation().to_owned();

    *feed.etag.lock().unwrap() = "\"v2\"".to_owned();
    *feed.body.lock().unwrap() = zip_of_case("update");
    feed.short_by.store(1000, Ordering::SeqCst);
    let err = update(db_dir.path(), &urls, &ImportOptions::new())
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Http { .. } | Error::Truncated { .. }),
        "{err:?}"
    );
    assert_eq!(
        downloads_left(db_dir.path()),
        0,
        "the partial file is removed"
    );
    let db = VulnDb::open(db_dir.path()).unwrap();
    assert_eq!(db.generation(), before);
    assert_eq!(db.status().records, 9);
    assert_eq!(db.status().sources[0].etag.as_deref(), Some("\"v1\""));

    // Restartable: once the server behaves, the next update completes.
    feed.short_by.store(0, Ordering::SeqCst);
    update(db_dir.path(), &urls, &ImportOptions::new())
        .await
        .unwrap();
    assert_eq!(VulnDb::open(db_dir.path()).unwrap().status().records, 8);
}

#[tokio::test]
async fn an_error_status_fails_the_update() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut buf = [0_u8; 4096];
        let _ = socket.read(&mut buf).await;
        let _ = socket
            .write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            .await;
    });
    let db_dir = tempfile::tempdir().unwrap();
    let err = update(
        db_dir.path(),
        &[format!("http://{addr}/x.zip")],
        &ImportOptions::new(),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(err, Error::HttpStatus { status: 404, .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("404"));
}
