//! A minimal HTTP/1.1 responder on loopback: each test gives it a handler that decides the
//! answer, and it records every request (headers and arrival time) for assertions.
//!
//! One request per connection (`Connection: close`); requests are bodiless GETs, which is all
//! the client under test sends. Anything that does not start like an HTTP request line (a TLS
//! `ClientHello`) gets the connection closed at once, like a plain-HTTP registry would.

use std::fmt::Write as _;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// One request as received.
#[derive(Clone, Debug)]
pub(crate) struct Request {
    pub(crate) method: String,
    /// Path and query, as sent.
    pub(crate) target: String,
    /// Header names lowercased, in arrival order.
    pub(crate) headers: Vec<(String, String)>,
    /// The address the server listens on (for realms and redirects pointing back at it).
    pub(crate) local: SocketAddr,
    pub(crate) at: Instant,
}

impl Request {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub(crate) fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or_default()
    }

    /// A query parameter, percent-decoded.
    pub(crate) fn query(&self, key: &str) -> Option<String> {
        let url = url::Url::parse(&format!("http://{}{}", self.local, self.target)).ok()?;
        url.query_pairs()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.into_owned())
    }
}

/// The answer to one request.
#[derive(Clone, Debug)]
pub(crate) struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Reply {
    pub(crate) fn status(status: u16) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// A distribution-spec error body (`{"errors":[{"code","message"}]}`).
    pub(crate) fn error(status: u16, code: &str, message: &str) -> Reply {
        let body = serde_json::json!({ "errors": [{ "code": code, "message": message }] });
        Reply::status(status)
            .header("content-type", "application/json")
            .body(body.to_string())
    }

    #[must_use]
    pub(crate) fn header(mut self, name: &str, value: impl Into<String>) -> Reply {
        self.headers.push((name.to_owned(), value.into()));
        self
    }

    #[must_use]
    pub(crate) fn body(mut self, body: impl Into<Vec<u8>>) -> Reply {
        self.body = body.into();
        self
    }
}

type Handler = dyn Fn(&Request) -> Reply + Send + Sync;

/// A running server; stops accepting when dropped.
pub(crate) struct Server {
    addr: SocketAddr,
    log: Arc<Mutex<Vec<Request>>>,
    task: JoinHandle<()>,
}

impl Server {
    /// Listens on `ip` (which must be loopback) on a free port.
    pub(crate) async fn start(
        ip: Ipv4Addr,
        handler: impl Fn(&Request) -> Reply + Send + Sync + 'static,
    ) -> Server {
        assert!(ip.is_loopback(), "test servers listen on 127.0.0.0/8 only");
        let listener = TcpListener::bind((ip, 0))
            .await
            .unwrap_or_else(|e| panic!("cannot listen on {ip}: {e}"));
        let addr = listener.local_addr().unwrap();
        let handler: Arc<Handler> = Arc::new(handler);
        let log = Arc::new(Mutex::new(Vec::new()));
        let task = tokio::spawn(accept(listener, addr, handler, Arc::clone(&log)));
        Server { addr, log, task }
    }

    /// `ip:port`, as a registry host in a reference.
    pub(crate) fn host(&self) -> String {
        self.addr.to_string()
    }

    pub(crate) fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Every request received so far.
    pub(crate) fn requests(&self) -> Vec<Request> {
        self.log.lock().unwrap().clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn accept(
    listener: TcpListener,
    addr: SocketAddr,
    handler: Arc<Handler>,
    log: Arc<Mutex<Vec<Request>>>,
) {
    while let Ok((stream, _)) = listener.accept().await {
        tokio::spawn(serve(stream, addr, Arc::clone(&handler), Arc::clone(&log)));
    }
}

async fn serve(
    mut stream: TcpStream,
    local: SocketAddr,
    handler: Arc<Handler>,
    log: Arc<Mutex<Vec<Request>>>,
) {
    let mut buf = Vec::new();
    let mut chunk = [0_u8; 4096];
    let head_len = loop {
        let n = match tokio::time::timeout(Duration::from_secs(10), stream.read(&mut chunk)).await {
            Ok(Ok(n)) if n > 0 => n,
            _ => return,
        };
        buf.extend_from_slice(&chunk[..n]);
        if !buf[0].is_ascii_uppercase() {
            return;
        }
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
        if buf.len() > 64 * 1024 {
            return;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_len]).into_owned();
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next().unwrap_or_default().split(' ');
    let (Some(method), Some(target)) = (request_line.next(), request_line.next()) else {
        return;
    };
    let request = Request {
        method: method.to_owned(),
        target: target.to_owned(),
        headers: lines
            .filter_map(|line| line.split_once(':'))
            .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
            .collect(),
        local,
        at: Instant::now(),
    };
    log.lock().unwrap().push(request.clone());
    let reply = handler(&request);
    let mut out = format!("HTTP/1.1 {} {}\r\n", reply.status, reason(reply.status));
    for (name, value) in &reply.headers {
        let _ = write!(out, "{name}: {value}\r\n");
    }
    let _ = write!(
        out,
        "content-length: {}\r\nconnection: close\r\n\r\n",
        reply.body.len()
    );
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(&reply.body);
    // The client may hang up early (a refused digest); nothing to do about it here.
    let _ = stream.write_all(&bytes).await;
    let _ = stream.shutdown().await;
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        307 => "Temporary Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Status",
    }
}
