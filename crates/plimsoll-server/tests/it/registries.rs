use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::{Value, json};
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

pub(crate) struct Server {
    dir: tempfile::TempDir,
    pub(crate) app: Router,
    store: Store,
    read: String,
    pub(crate) admin: String,
    calls: mpsc::UnboundedReceiver<Call>,
}

/// Registries `lab` (with credentials) and `other` from the configuration file, runs finished
/// by the test.
pub(crate) async fn server() -> Server {
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
    plimsoll_server::sync_api_registries(&store, &scheduler)
        .await
        .unwrap();
    scheduler.start();
    let app = plimsoll_server::app(
        AppState::new(store.clone(), "key")
            .with_scheduler(scheduler)
            .with_config_file("plimsoll.toml"),
    );
    Server {
        dir,
        app,
        store,
        read,
        admin,
        calls,
    }
}

async fn call(app: &Router, method: &str, uri: &str, token: &str) -> (StatusCode, Value) {
    send(app, method, uri, token, None).await
}

/// `method uri` with `token` and a JSON `body`; the answer's status and JSON (null if empty).
pub(crate) async fn send(
    app: &Router,
    method: &str,
    uri: &str,
    token: &str,
    body: Option<&Value>,
) -> (StatusCode, Value) {
    let mut request = Request::builder()
        .method(method)
        .uri(uri)
        .header(header::AUTHORIZATION, format!("Bearer {token}"));
    let body = match body {
        Some(json) => {
            request = request.header(header::CONTENT_TYPE, "application/json");
            Body::from(json.to_string())
        }
        None => Body::empty(),
    };
    let response = app
        .clone()
        .oneshot(request.body(body).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let body = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    if body.is_empty() {
        return (status, Value::Null);
    }
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
    // The user name is shown; where the password comes from, never the password.
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["name"], "lab");
    assert_eq!(items[0]["url"], "http://127.0.0.1:5000");
    assert_eq!(items[0]["type"], "distribution");
    assert_eq!(items[0]["schedule"], "cron 0 6 * * 6 (UTC)");
    assert_eq!(items[0]["state"], "idle");
    assert_eq!(items[0]["source"], "file");
    assert_eq!(items[0]["user"], "scanner");
    assert_eq!(items[0]["password_source"], "password");
    assert_eq!(items[1]["password_source"], Value::Null);
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
async fn registries_created_through_the_api_are_checked_like_the_file() {
    let s = server().await;
    let post = |body: Value| {
        let app = s.app.clone();
        let admin = s.admin.clone();
        async move { send(&app, "POST", "/api/v1/registries", &admin, Some(&body)).await }
    };
    for (body, says) in [
        (
            json!({"url": "http://127.0.0.1:5001/v2/"}),
            "registry url `http://127.0.0.1:5001/v2/`",
        ),
        (json!({"name": "x"}), "registry `x`: url is required"),
        (
            json!({"url": "127.0.0.1:5001", "max_concurrency": 0}),
            "max_concurrency = 0",
        ),
        (
            json!({"url": "127.0.0.1:5001", "max_concurrency": "many"}),
            "max_concurrency",
        ),
        (
            json!({"url": "127.0.0.1:5001", "timezone": "Europe/Pariss"}),
            "timezone `Europe/Pariss`",
        ),
        (
            json!({"url": "127.0.0.1:5001", "interval": "1m"}),
            "interval `1m`",
        ),
        (
            json!({"url": "127.0.0.1:5001", "schedule": "0 6 * *"}),
            "schedule `0 6 * *`",
        ),
        (
            json!({"url": "127.0.0.1:5001", "colour": "red"}),
            "unknown field `colour`",
        ),
        (
            json!({"url": "127.0.0.1:5001", "type": "gcs"}),
            "unknown registry type `gcs`",
        ),
        (
            json!({"url": "127.0.0.1:5001", "password_file": "/etc/shadow"}),
            "password_file cannot be set",
        ),
        (
            json!({"url": "127.0.0.1:5001", "user": "u", "password": "p", "password_env": "HOME"}),
            "only one of password, password_file, password_env",
        ),
        (
            json!({"url": "127.0.0.1:5001", "user": "u", "password_env": "PLIMSOLL_SURELY_UNSET"}),
            "password_env names `PLIMSOLL_SURELY_UNSET`, which is not set",
        ),
    ] {
        let (status, answer) = post(body.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {answer}");
        assert_eq!(answer["code"], "bad_request");
        let message = answer["message"].as_str().unwrap();
        assert!(message.contains(says), "{body}: {message}");
    }
    // Nothing was stored.
    assert!(s.store.api_registries().await.unwrap().is_empty());

    // The file's registries are read-only here.
    let (status, answer) = post(json!({"name": "lab", "url": "http://127.0.0.1:5001"})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{answer}");
    assert_eq!(
        answer["message"],
        "registry `lab` is defined in plimsoll.toml; edit the file and reload (SIGHUP)"
    );
    let lab = json!({"url": "http://127.0.0.1:5000"});
    let (status, answer) = send(
        &s.app,
        "PUT",
        "/api/v1/registries/lab",
        &s.admin,
        Some(&lab),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{answer}");
    assert!(
        answer["message"]
            .as_str()
            .unwrap()
            .contains("defined in plimsoll.toml")
    );
    let (status, answer) = call(&s.app, "DELETE", "/api/v1/registries/lab", &s.admin).await;
    assert_eq!(status, StatusCode::CONFLICT, "{answer}");
    assert_eq!(registry(&s, "lab").await["source"], "file");
}

#[tokio::test]
async fn writes_need_an_admin_token() {
    let s = server().await;
    let body = json!({"name": "new", "url": "http://127.0.0.1:5001"});
    for (method, uri) in [
        ("POST", "/api/v1/registries"),
        ("PUT", "/api/v1/registries/new"),
        ("DELETE", "/api/v1/registries/new"),
    ] {
        let (status, answer) = send(&s.app, method, uri, &s.read, Some(&body)).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{method} {uri}: {answer}");
        let (status, _) = send(&s.app, method, uri, "plm_nope", Some(&body)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{method} {uri}");
    }
    assert!(s.store.api_registries().await.unwrap().is_empty());
}

#[tokio::test]
async fn credentials_are_write_only_and_the_registry_is_scheduled_at_once() {
    let mut s = server().await;
    let secret = "s3cret-registry-password-0x5f";
    let body = json!({
        "name": "made", "url": "http://127.0.0.1:5001", "user": "plimsoll",
        "password": secret, "timezone": "Europe/Paris", "schedule": "0 5 * * *",
        "scan_on_start": true,
    });
    let (status, created) = send(&s.app, "POST", "/api/v1/registries", &s.admin, Some(&body)).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["source"], "api");
    assert_eq!(created["user"], "plimsoll");
    assert_eq!(created["password_source"], "password");
    assert_eq!(created["schedule"], "cron 0 5 * * * (Europe/Paris)");
    assert_eq!(created["trigger"], "start", "{created}");
    // scan_on_start: queued at once, and run.
    let finish = tokio::time::timeout(Duration::from_secs(20), s.calls.recv())
        .await
        .unwrap()
        .unwrap();
    finish.send(Ok(RunReport::default())).unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while registry(&s, "made").await["state"] != "idle" {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the run never finished"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }

    let (status, again) = send(&s.app, "POST", "/api/v1/registries", &s.admin, Some(&body)).await;
    assert_eq!(status, StatusCode::CONFLICT, "{again}");
    assert!(
        again["message"]
            .as_str()
            .unwrap()
            .contains("PUT /api/v1/registries/made")
    );

    // No answer carries the password; the store keeps it (in the clear, as documented).
    let (_, list) = call(&s.app, "GET", "/api/v1/registries", &s.read).await;
    let (status, one) = call(&s.app, "GET", "/api/v1/registries/made", &s.read).await;
    assert_eq!(status, StatusCode::OK, "{one}");
    for shown in [&created, &list, &one] {
        assert!(!shown.to_string().contains(secret), "{shown}");
    }
    assert_eq!(one["name"], "made");
    let stored = s.store.api_registries().await.unwrap();
    assert_eq!(stored.len(), 1);
    assert!(stored[0].definition.contains(secret));
    let names: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["lab", "other", "made"]);

    // PUT replaces it whole: a new schedule and its next run, the last run kept.
    let next = one["next_run"].as_str().unwrap().to_owned();
    let replaced = json!({"url": "http://127.0.0.1:5001", "interval": "6h", "user": "plimsoll", "password_env": "HOME"});
    let (status, put) = send(
        &s.app,
        "PUT",
        "/api/v1/registries/made",
        &s.admin,
        Some(&replaced),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{put}");
    assert_eq!(put["schedule"], "every 6h");
    assert_ne!(put["next_run"].as_str().unwrap(), next);
    assert_eq!(put["password_source"], "password_env");
    assert_eq!(put["last_run"]["status"], "completed", "{put}");
    assert!(
        !s.store.api_registries().await.unwrap()[0]
            .definition
            .contains(secret)
    );
    let renamed = json!({"name": "other-name", "url": "http://127.0.0.1:5001"});
    let (status, answer) = send(
        &s.app,
        "PUT",
        "/api/v1/registries/made",
        &s.admin,
        Some(&renamed),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    assert!(
        answer["message"].as_str().unwrap().starts_with("name: "),
        "{answer}"
    );
    let (status, _) = send(
        &s.app,
        "PUT",
        "/api/v1/registries/nope",
        &s.admin,
        Some(&replaced),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // A server started again over the store schedules it again.
    let restarted = server_over(&s).await;
    let (status, one) = call(&restarted, "GET", "/api/v1/registries/made", &s.read).await;
    assert_eq!(status, StatusCode::OK, "{one}");
    assert_eq!(one["schedule"], "every 6h");

    // DELETE: gone from the scheduler and the store; the trigger no longer finds it.
    let (status, gone) = call(&s.app, "DELETE", "/api/v1/registries/made", &s.admin).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{gone}");
    let (status, _) = call(&s.app, "GET", "/api/v1/registries/made", &s.read).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = call(&s.app, "POST", "/api/v1/registries/made/scans", &s.admin).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = call(&s.app, "DELETE", "/api/v1/registries/made", &s.admin).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(s.store.api_registries().await.unwrap().is_empty());
}

/// Another app over `s`'s store, as after a restart (no file registries).
async fn server_over(s: &Server) -> Router {
    let store = Store::open(&s.dir.path().join("store.sqlite"))
        .await
        .unwrap();
    let (tx, _calls) = mpsc::unbounded_channel();
    let scheduler = Scheduler::new(
        Vec::new(),
        Arc::new(Manual(tx)),
        time::OffsetDateTime::now_utc(),
    );
    plimsoll_server::sync_api_registries(&store, &scheduler)
        .await
        .unwrap();
    plimsoll_server::app(AppState::new(store, "key").with_scheduler(scheduler))
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
