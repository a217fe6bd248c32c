//! Registry vendors through the whole path: a vendor's listing API (a loopback stand-in that
//! answers the documented shapes, one file per vendor, each naming the doc it follows) names
//! repositories and tags that really exist in the lab registry; `plimsoll registry scan` with
//! `type = "<vendor>"` discovers, filters, pulls and stores them; `results list` shows them
//! scanned. Each stand-in records the exact requests Plimsoll made (path, query, credentials).

mod acr;
mod artifactory;
mod dockerhub;
mod gar;
mod gitlab;
mod harbor;
mod icr;
mod network;
mod nexus;
mod ocp;
mod proxy;
mod quay;
pub(crate) mod redirects;

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
    /// The `Account` header (IBM Cloud), if any.
    pub(crate) account: Option<String>,
    /// The `Accept` header, if any (forwarded to the upstream registry).
    pub(crate) accept: Option<String>,
    /// The `Host` header (`127.0.0.1:PORT`), for answers that name the stand-in itself.
    pub(crate) host: Option<String>,
}

/// A loopback HTTP server answering with `answer`, recording every request; stopped on drop.
pub(crate) struct StandIn {
    pub(crate) addr: SocketAddr,
    seen: Arc<Mutex<Vec<Seen>>>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// The stand-in's answer to one request; `None`: forward it to the upstream registry.
type Answer = dyn Fn(&str, &Seen) -> Option<Response<Body>> + Send + Sync;
/// What the handler shares: the answer, the requests seen, the upstream registry if any.
type Shared = (Arc<Answer>, Arc<Mutex<Vec<Seen>>>, Option<Arc<Upstream>>);

/// A real registry the stand-in forwards what it does not answer itself to (a vendor whose
/// API and registry share one host: `/v2/` goes to the lab registry).
struct Upstream {
    http: reqwest::Client,
    base: String,
}

impl StandIn {
    /// Serves `answer(target, request)` on 127.0.0.1, a free port.
    pub(crate) fn start(
        answer: impl Fn(&str, &Seen) -> Response<Body> + Send + Sync + 'static,
    ) -> StandIn {
        Self::serve(move |target, seen| Some(answer(target, seen)), None)
    }

    /// Like [`StandIn::start`], but a request `answer` returns `None` for is forwarded to
    /// the registry at `upstream` (`127.0.0.1:5000`, plain HTTP, no credentials) and its
    /// answer streamed back unchanged.
    pub(crate) fn forwarding(
        upstream: &str,
        answer: impl Fn(&str, &Seen) -> Option<Response<Body>> + Send + Sync + 'static,
    ) -> StandIn {
        let upstream = Upstream {
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            base: format!("http://{upstream}"),
        };
        Self::serve(answer, Some(Arc::new(upstream)))
    }

    fn serve(
        answer: impl Fn(&str, &Seen) -> Option<Response<Body>> + Send + Sync + 'static,
        upstream: Option<Arc<Upstream>>,
    ) -> StandIn {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let state: Shared = (Arc::new(answer), Arc::clone(&seen), upstream);
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

async fn handle(
    State((answer, seen, upstream)): State<Shared>,
    request: Request,
) -> Response<Body> {
    let target = request
        .uri()
        .path_and_query()
        .map(ToString::to_string)
        .unwrap_or_default();
    // (A block, so that no borrow of the request, whose body is not `Sync`, lives across the
    // body read below.)
    let (method, authorization, private_token, account, accept, host) = {
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
            header("account"),
            header("accept"),
            header("host"),
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
        account,
        accept,
        host,
    };
    seen.lock().unwrap().push(this.clone());
    if let Some(response) = answer(&target, &this) {
        return response;
    }
    let upstream = upstream.expect("a stand-in without upstream answers every request");
    let mut request = upstream.http.request(
        this.method.parse().unwrap(),
        format!("{}{target}", upstream.base),
    );
    if let Some(accept) = &this.accept {
        request = request.header("accept", accept);
    }
    let answer = request.send().await.unwrap();
    let mut response = Response::builder().status(answer.status().as_u16());
    for (name, value) in answer.headers() {
        if name != "transfer-encoding" && name != "connection" {
            response = response.header(name.as_str(), value.as_bytes());
        }
    }
    response
        .body(Body::from_stream(answer.bytes_stream()))
        .unwrap()
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
