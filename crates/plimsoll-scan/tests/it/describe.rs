//! `Scanner::describe` then `Scanner::scan_image`, as a registry scan calls them, against a
//! loopback registry that records every request: the scan reads only the layers, because the
//! manifest and config that `describe` read are handed over to it.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use plimsoll_registry::{Reference, RegistryClient};
use plimsoll_scan::{ScanOptions, Scanner};
use plimsoll_types::Digest;

const REPOSITORY: &str = "lab/app";

/// One single-platform image: a one-file gzip layer, its config and an OCI manifest.
struct Image {
    manifest: Vec<u8>,
    manifest_digest: Digest,
    config: Vec<u8>,
    config_digest: Digest,
    layer: Vec<u8>,
    layer_digest: Digest,
}

impl Image {
    fn new() -> Image {
        let os_release = b"ID=debian\nVERSION_ID=\"12\"\n";
        let mut builder = tar::Builder::new(Vec::new());
        let mut header = tar::Header::new_gnu();
        header.set_size(os_release.len() as u64);
        header.set_mode(0o644);
        builder
            .append_data(&mut header, "etc/os-release", &os_release[..])
            .unwrap();
        let tar = builder.into_inner().unwrap();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut gz, &tar).unwrap();
        let layer = gz.finish().unwrap();
        let layer_digest = Digest::sha256_of(&layer);
        let config = serde_json::json!({
            "architecture": "amd64",
            "os": "linux",
            "created": "2024-01-01T00:00:00Z",
            "rootfs": { "type": "layers", "diff_ids": [Digest::sha256_of(&tar).to_string()] },
            "history": [{ "created": "2024-01-01T00:00:00Z", "created_by": "test layer" }],
        })
        .to_string()
        .into_bytes();
        let config_digest = Digest::sha256_of(&config);
        let manifest = serde_json::json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {
                "mediaType": "application/vnd.oci.image.config.v1+json",
                "digest": config_digest.to_string(),
                "size": config.len(),
            },
            "layers": [{
                "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                "digest": layer_digest.to_string(),
                "size": layer.len(),
            }],
        })
        .to_string()
        .into_bytes();
        Image {
            manifest_digest: Digest::sha256_of(&manifest),
            manifest,
            config,
            config_digest,
            layer,
            layer_digest,
        }
    }

    /// `(content type, body)` for a request path, or `None` for a 404.
    fn answer(&self, path: &str) -> Option<(&'static str, Vec<u8>)> {
        let rest = path.strip_prefix(&format!("/v2/{REPOSITORY}/"))?;
        if let Some(reference) = rest.strip_prefix("manifests/") {
            return (reference == "1" || reference == self.manifest_digest.as_str()).then(|| {
                (
                    "application/vnd.oci.image.manifest.v1+json",
                    self.manifest.clone(),
                )
            });
        }
        let blob = rest.strip_prefix("blobs/")?;
        if blob == self.config_digest.as_str() {
            Some(("application/octet-stream", self.config.clone()))
        } else if blob == self.layer_digest.as_str() {
            Some(("application/octet-stream", self.layer.clone()))
        } else {
            None
        }
    }
}

/// A loopback registry serving one [`Image`], one request per connection, logging
/// `METHOD path` of each.
struct Registry {
    addr: SocketAddr,
    log: Arc<Mutex<Vec<String>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Registry {
    async fn start(image: Arc<Image>) -> Registry {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await.unwrap();
        let addr = listener.local_addr().unwrap();
        let log = Arc::new(Mutex::new(Vec::new()));
        let task_log = Arc::clone(&log);
        let task = tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                let (image, log) = (Arc::clone(&image), Arc::clone(&task_log));
                tokio::spawn(async move {
                    let mut head = Vec::new();
                    let mut chunk = [0_u8; 4096];
                    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                        match stream.read(&mut chunk).await {
                            Ok(n) if n > 0 => head.extend_from_slice(&chunk[..n]),
                            _ => return,
                        }
                    }
                    let head = String::from_utf8_lossy(&head).into_owned();
                    let mut words = head.split_whitespace();
                    let (method, path) = (
                        words.next().unwrap_or_default(),
                        words.next().unwrap_or_default(),
                    );
                    log.lock().unwrap().push(format!("{method} {path}"));
                    let (status, content_type, body) = match image.answer(path) {
                        Some((content_type, body)) => ("200 OK", content_type, body),
                        None if path == "/v2/" => ("200 OK", "application/json", b"{}".to_vec()),
                        None => ("404 Not Found", "application/json", b"{}".to_vec()),
                    };
                    let mut reply = format!(
                        "HTTP/1.1 {status}\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                        body.len()
                    )
                    .into_bytes();
                    if method != "HEAD" {
                        reply.extend_from_slice(&body);
                    }
                    let _ = stream.write_all(&reply).await;
                    let _ = stream.shutdown().await;
                });
            }
        });
        Registry { addr, log, task }
    }

    fn requests(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        self.task.abort();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scan_after_describe_reads_only_the_layers() {
    let image = Arc::new(Image::new());
    let registry = Registry::start(Arc::clone(&image)).await;
    let client = Arc::new(RegistryClient::builder().plain_http(true).build().unwrap());
    let scanner = Scanner::new(client, ScanOptions::default());
    let tag = Reference::new(&registry.addr.to_string(), REPOSITORY, Some("1"), None).unwrap();

    let description = scanner
        .describe(&tag.with_digest(image.manifest_digest.clone()))
        .await
        .unwrap();
    assert_eq!(description.platforms.len(), 1);
    assert_eq!(
        description.platforms[0].manifest_digest,
        image.manifest_digest
    );
    assert_eq!(description.platforms[0].config_digest, image.config_digest);
    let described = registry.requests().len();

    let inventory = scanner
        .scan_image(&tag, &image.manifest_digest, None)
        .await
        .unwrap();
    assert_eq!(
        registry.requests()[described..],
        [format!("GET /v2/{REPOSITORY}/blobs/{}", image.layer_digest)],
        "the manifest and config come from describe"
    );
    assert_eq!(inventory.manifest_digest, image.manifest_digest);
    assert_eq!(inventory.config_digest, image.config_digest);
    assert_eq!(
        inventory.os.as_ref().map(|os| os.id.as_str()),
        Some("debian")
    );
    assert_eq!(
        inventory.layers[0].created_by.as_deref(),
        Some("test layer")
    );

    // Handed over once: scanning the same image again reads its manifest and config again
    // (the layer's facts are still known), and gives the same inventory.
    let after_first_scan = registry.requests().len();
    let again = scanner
        .scan_image(&tag, &image.manifest_digest, None)
        .await
        .unwrap();
    assert_eq!(again, inventory);
    assert_eq!(
        registry.requests()[after_first_scan..],
        [
            format!("GET /v2/{REPOSITORY}/manifests/{}", image.manifest_digest),
            format!("GET /v2/{REPOSITORY}/blobs/{}", image.config_digest),
        ]
    );
}
