//! Registry vendors through the whole path: a vendor's listing API (a loopback stand-in that
//! answers the documented shapes, one file per vendor, each naming the doc it follows) names
//! repositories and tags that really exist in the lab registry; `plimsoll registry scan` with
//! `type = "<vendor>"` discovers, filters, pulls and stores them; `results list` shows them
//! scanned. Each stand-in records the exact requests Plimsoll made (path, query, credentials).

mod artifactory;
mod dockerhub;
mod gar;
mod gitlab;
mod harbor;
mod network;
mod nexus;
mod quay;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::Response;

/// One request a stand-in received.
#[derive(Clone, Debug)]
pub(crate) struct Seen {
    /// `GET`, `POST`…
    pub(crate) method: String,
    /// The request body as text (empty for a `GET`).
    pub(crate) body: String,
    /// Path and query, raw as sent.
    pub(crate) target: String,
    /// The `Authorization` header, if any.
    pub(crate) authorization: Option<String>,
    /// The `PRIVATE-TOKEN` header (GitLab), if any.
    pub(crate) private_token: Option<String>,
}

/// A loopback HTTP server answering with `answer`, recording every request; stopped on drop.
pub(crate) struct StandIn {
    pub(crate) addr: SocketAddr,
    seen: Arc<Mutex<Vec<Seen>>>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

type Answer = dyn Fn(&str, &Seen) -> Response<Body> + Send + Sync;
/// What the handler shares: the answer and the requests seen.
type Shared = (Arc<Answer>, Arc<Mutex<Vec<Seen>>>);

impl StandIn {
    /// Serves `answer(target, request)` on 127.0.0.1, a free port.
    pub(crate) fn start(
        answer: impl Fn(&str, &Seen) -> Response<Body> + Send + Sync + 'static,
    ) -> StandIn {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let state: Shared = (Arc::new(answer), Arc::clone(&seen));
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        std_listener.set_nonblocking(true).unwrap();
        let addr = std_listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(std_listener).unwrap();
                let app = Router::new().fallback(handle).with_state(state);
                axum::serve(listener, app)
                    .with_graceful_shutdown(async {
                        let _ = stopped.await;
                    })
                    .await
                    .unwrap();
            });
        });
        StandIn {
            addr,
            seen,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub(crate) fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every request so far, in order.
    pub(crate) fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

async fn handle(State((answer, seen)): State<Shared>, request: Request) -> Response<Body> {
    let target = request
        .uri()
        .path_and_query()
        .map(ToString::to_string)
        .unwrap_or_default();
    // (A block, so that no borrow of the request, whose body is not `Sync`, lives across the
    // body read below.)
    let (method, authorization, private_token) = {
        let header = |name: &str| {
            request
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        (
            request.method().to_string(),
            header("authorization"),
            header("private-token"),
        )
    };
    let body = axum::body::to_bytes(request.into_body(), 1 << 20)
        .await
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default();
    let this = Seen {
        method,
        body,
        target: target.clone(),
        authorization,
        private_token,
    };
    seen.lock().unwrap().push(this.clone());
    answer(&target, &this)
}

impl Drop for StandIn {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// A JSON answer with extra headers.
pub(crate) fn json(
    status: u16,
    body: &serde_json::Value,
    headers: &[(&str, String)],
) -> Response<Body> {
    let mut response = Response::builder()
        .status(status)
        .header("content-type", "application/json");
    for (name, value) in headers {
        response = response.header(*name, value);
    }
    response.body(Body::from(body.to_string())).unwrap()
}

/// What `results list` says was scanned in namespace `ns` of `setup`'s store:
/// `repository:tag` → digest, and every row (for failure messages).
pub(crate) fn scanned(
    setup: &crate::registry_scan::Setup,
    ns: &str,
) -> (
    std::collections::BTreeMap<String, String>,
    Vec<serde_json::Value>,
) {
    let output = crate::plimsoll(&[
        "results",
        "list",
        "--format",
        "json",
        "--repository",
        ns,
        "--store",
        setup.store().to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", crate::stderr(&output));
    let rows: Vec<serde_json::Value> = serde_json::from_slice::<serde_json::Value>(&output.stdout)
        .unwrap()
        .as_array()
        .unwrap()
        .clone();
    let scanned = rows
        .iter()
        .filter(|r| r["status"] == "scanned")
        .map(|r| {
            (
                format!(
                    "{}:{}",
                    r["repository"].as_str().unwrap(),
                    r["tag"].as_str().unwrap()
                ),
                r["digest"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    (scanned, rows)
}

/// `plimsoll --log-level trace registry scan --config CONFIG` with `env` set: its output and
/// its log (trace level, so a test can grep it for credentials).
pub(crate) fn scan_traced(
    config: &std::path::Path,
    env: &[(&str, &str)],
) -> (std::process::Output, String) {
    let output = crate::plimsoll_with_env(
        &[
            "--log-level",
            "trace",
            "registry",
            "scan",
            "--config",
            config.to_str().unwrap(),
        ],
        env,
    );
    let log = crate::stderr(&output);
    (output, log)
}
