//! A loopback HTTP receiver that records requests and answers from a script.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;

/// One recorded request.
#[derive(Clone, Debug)]
pub(crate) struct Recorded {
    pub(crate) path: String,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
}

/// Answers to give, in order: status and an optional `Retry-After`; 200 once exhausted.
type Script = VecDeque<(u16, Option<&'static str>)>;

#[derive(Clone, Default)]
struct Shared {
    requests: Arc<Mutex<Vec<Recorded>>>,
    script: Arc<Mutex<Script>>,
}

pub(crate) struct Receiver {
    pub(crate) base: String,
    shared: Shared,
}

impl Receiver {
    pub(crate) async fn start(script: &[(u16, Option<&'static str>)]) -> Receiver {
        let shared = Shared::default();
        shared.script.lock().unwrap().extend(script.iter().copied());
        let app = Router::new()
            .route("/{*path}", post(handle))
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Receiver { base, shared }
    }

    pub(crate) fn requests(&self) -> Vec<Recorded> {
        self.shared.requests.lock().unwrap().clone()
    }
}

async fn handle(
    State(shared): State<Shared>,
    uri: axum::http::Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    shared.requests.lock().unwrap().push(Recorded {
        path: uri.path().to_owned(),
        headers,
        body,
    });
    let answer = shared.script.lock().unwrap().pop_front();
    match answer {
        None => StatusCode::OK.into_response(),
        Some((status, retry_after)) => {
            let status = StatusCode::from_u16(status).unwrap();
            match retry_after {
                Some(after) => (status, [("retry-after", after)]).into_response(),
                None => status.into_response(),
            }
        }
    }
}

/// The log lines of `plimsoll_notify` emitted while the guard lives (on this thread, which is
/// where a current-thread `#[tokio::test]` runs the notifier).
pub(crate) fn capture_logs() -> (tracing::subscriber::DefaultGuard, Arc<Mutex<Vec<u8>>>) {
    #[derive(Clone)]
    struct Sink(Arc<Mutex<Vec<u8>>>);
    impl std::io::Write for Sink {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let buffer = Arc::new(Mutex::new(Vec::new()));
    let sink = Sink(buffer.clone());
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter("plimsoll_notify=trace")
        .with_ansi(false)
        .with_writer(move || sink.clone())
        .finish();
    (tracing::subscriber::set_default(subscriber), buffer)
}
