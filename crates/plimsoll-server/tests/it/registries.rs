use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::Value;
use tokio::sync::{mpsc, oneshot};
use tower::ServiceExt as _;

use plimsoll_server::{AppState, BoxFuture, RunHandle, RunReport, ScanRunner, Schedule, Scheduler};
use plimsoll_store::{Store, TokenScope};
use plimsoll_worker::RegistryConfig;

use crate::fixture::fixture;

type Call = oneshot::Sender<Result<RunReport, String>>;

/// Runs that last until the test finishes them.
struct Manual(mpsc::UnboundedSender<Call>);

impl ScanRunner for Manual {
    fn scan(
        &self,
        _registry: RegistryConfig,
        started: RunHandle,
    ) -> BoxFuture<'static, Result<RunReport, String>> {
        let calls = self.0.clone();
        Box::pin(async move {
            started.tell(7);
            let (tx, rx) = oneshot::channel();
            calls.send(tx).map_err(|_| "test gone".to_owned())?;
            rx.await.map_err(|_| "dropped".to_owned())?
        })
    }
}

struct Server {
    _dir: tempfile::TempDir,
    app: Router,
    read: String,
    admin: String,
    calls: mpsc::UnboundedReceiver<Call>,
}

async fn server() -> Server {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("store.sqlite")).await.unwrap();
    let (_, read) = plimsoll_server::create_token(&store, TokenScope::Read, "ci")
        .await
        .unwrap();
    let (_, admin) = plimsoll_server::create_token(&store, TokenScope::Admin, "ops")
        .await
        .unwrap();
    let mut lab = RegistryConfig::new("http://127.0.0.1:5000");
    lab.name = Some("lab".into());
    lab.user = Some("scanner".into());
    lab.password = Some("hunter2-very-secret".to_owned().into());
    let mut other = RegistryConfig::new("https://registry.example.com");
    other.name = Some("other".into());
    let (tx, calls) = mpsc::unbounded_channel();
    let scheduler = Scheduler::new(
        vec![
            (lab, Schedule::from_keys(None, None, None).unwrap()),
            (other, Schedule::from_keys(None, None, Some("6h")).unwrap()),
        ],
        Arc::new(Manual(tx)),
        time::OffsetDateTime::now_utc(),
    );
    scheduler.start();
    let app = plimsoll_server::app(AppState::new(store, "key").with_scheduler(scheduler));
    Server {
        _dir: dir,
        app,
        read,
        admin,
        calls,
    }
}

async fn call(app: &Router, method: &str, uri: &str, token: &str) -> (StatusCode, Value) {
    let response = app
        .clone()
        .oneshot(
            Request::builder()
                .method(method)
                .uri(uri)
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    let status = response.status();
    let body = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    (status, serde_json::from_slice(&body).unwrap())
}

/// The registry `name` in `GET /api/v1/registries`.
async fn registry(s: &Server, name: &str) -> Value {
    let (status, list) = call(&s.app, "GET", "/api/v1/registries", &s.read).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == name)
        .unwrap()
        .clone()
}

#[tokio::test]
async fn registries_show_schedule_and_state_never_credentials() {
    let s = server().await;
    let (status, list) = call(&s.app, "GET", "/api/v1/registries", &s.read).await;
    assert_eq!(status, StatusCode::OK);
    let text = list.to_string();
    assert!(!text.contains("hunter2"), "{text}");
    assert!(!text.contains("scanner"), "{text}");
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["name"], "lab");
    assert_eq!(items[0]["url"], "http://127.0.0.1:5000");
    assert_eq!(items[0]["type"], "distribution");
    assert_eq!(items[0]["schedule"], "cron 0 6 * * 6 (UTC)");
    assert_eq!(items[0]["state"], "idle");
    assert!(items[0]["next_run"].as_str().is_some(), "{text}");
    assert_eq!(items[1]["schedule"], "every 6h");
}

#[tokio::test]
async fn a_manual_scan_is_accepted_once_and_refused_while_queued_or_running() {
    let mut s = server().await;
    let uri = "/api/v1/registries/lab/scans";
    let (status, body) = call(&s.app, "POST", uri, &s.read).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, body) = call(&s.app, "POST", "/api/v1/registries/nope/scans", &s.admin).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert_eq!(body["code"], "not_found");

    let (status, body) = call(&s.app, "POST", uri, &s.admin).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!(body["state"], "queued");
    assert_eq!(body["trigger"], "manual");
    let (status, body) = call(&s.app, "POST", uri, &s.admin).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["code"], "conflict");
    assert!(
        body["message"].as_str().unwrap().contains("already"),
        "{body}"
    );

    let finish = tokio::time::timeout(Duration::from_secs(20), s.calls.recv())
        .await
        .unwrap()
        .unwrap();
    let (status, body) = call(&s.app, "POST", uri, &s.admin).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    // Another registry is not blocked from being queued.
    let (status, body) = call(&s.app, "POST", "/api/v1/registries/other/scans", &s.admin).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    finish
        .send(Ok(RunReport {
            run: Some(7),
            total: 2,
            success: 2,
            failed: 0,
            skipped: 0,
        }))
        .unwrap();
    // `other` runs next; then `lab` shows its last run.
    let finish = tokio::time::timeout(Duration::from_secs(20), s.calls.recv())
        .await
        .unwrap()
        .unwrap();
    let lab = registry(&s, "lab").await;
    assert_eq!(lab["state"], "idle", "{lab}");
    assert_eq!(lab["last_run"]["run"], 7);
    assert_eq!(lab["last_run"]["status"], "completed");
    assert_eq!(lab["last_run"]["success"], 2);
    let other = registry(&s, "other").await;
    assert_eq!(other["state"], "running", "{other}");
    assert_eq!(other["run"], 7);
    finish.send(Err("unreachable".into())).unwrap();
}

#[tokio::test]
async fn without_a_configuration_there_are_no_registries() {
    let f = fixture().await;
    let (status, list) = call(&f.app, "GET", "/api/v1/registries", &f.read).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["items"], Value::Array(Vec::new()));
    let (status, body) = call(&f.app, "POST", "/api/v1/registries/lab/scans", &f.admin).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    // Nor a database refresh: the status says so, an update is refused.
    let (status, vulndb) = call(&f.app, "GET", "/api/v1/vulndb", &f.read).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(vulndb["configured"], false, "{vulndb}");
    assert_eq!(vulndb["built_at"], Value::Null, "{vulndb}");
    let (status, body) = call(&f.app, "POST", "/api/v1/vulndb/updates", &f.read).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, body) = call(&f.app, "POST", "/api/v1/vulndb/updates", &f.admin).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
}
