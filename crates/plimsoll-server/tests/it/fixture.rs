use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::Value;
use tempfile::TempDir;
use tower::ServiceExt as _;

use plimsoll_server::AppState;
use plimsoll_store::{ImageOutcome, OutcomeStatus, RunEnd, RunTotals, Store, TokenScope};
use plimsoll_types::{FixState, Severity};

use crate::values::{ANALYZER, digest, finding, findings, image_meta, index_meta, inventory};

pub(crate) const REGISTRY: &str = "registry.example.com";

/// A populated store, the app over it and tokens of each kind.
pub(crate) struct Fixture {
    _dir: TempDir,
    pub(crate) store: Store,
    pub(crate) app: Router,
    pub(crate) read: String,
    pub(crate) admin: String,
    pub(crate) revoked: String,
}

/// `team/app:1.4.2` and `:latest` → an index: amd64 with six findings (one of each severity,
/// two high), arm64 inventoried, no findings stored; `team/worker:2.0` → one amd64 image with
/// three more Python packages and one high GHSA finding; `team/app:edge` → a manifest never
/// fetched; `library/alpine:3.20` on docker.io → scanned, nothing found. One finished run.
pub(crate) async fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("store.sqlite")).await.unwrap();

    let index = index_meta("app index");
    store.put_manifest_meta(&index).await.unwrap();
    let amd64 = &index.platforms[0];
    let arm64 = &index.platforms[1];
    store
        .put_inventory(
            &inventory(&amd64.manifest_digest, "linux/amd64", 0),
            ANALYZER,
        )
        .await
        .unwrap();
    store
        .put_inventory(
            &inventory(&arm64.manifest_digest, "linux/arm64/v8", 0),
            ANALYZER,
        )
        .await
        .unwrap();
    store
        .put_findings(
            &amd64.manifest_digest,
            Some("2026-11-26T04:00:00Z"),
            &findings(),
        )
        .await
        .unwrap();
    store
        .record_tags(
            REGISTRY,
            "team/app",
            &[
                ("1.4.2".into(), index.digest.clone()),
                ("latest".into(), index.digest.clone()),
                ("edge".into(), digest("edge image")),
            ],
        )
        .await
        .unwrap();

    let worker = image_meta("worker image");
    store.put_manifest_meta(&worker).await.unwrap();
    store
        .put_inventory(&inventory(&worker.digest, "linux/amd64", 3), ANALYZER)
        .await
        .unwrap();
    let mut ghsa = finding("GHSA-9wx4-h78v-vm56", Severity::High, FixState::Fixed);
    ghsa.aliases = vec!["CVE-2024-35195".into()];
    ghsa.package = "requests".into();
    store
        .put_findings(&worker.digest, None, &[ghsa])
        .await
        .unwrap();
    store
        .record_tags(
            REGISTRY,
            "team/worker",
            &[("2.0".into(), worker.digest.clone())],
        )
        .await
        .unwrap();

    let alpine = image_meta("alpine image");
    store.put_manifest_meta(&alpine).await.unwrap();
    store.put_findings(&alpine.digest, None, &[]).await.unwrap();
    store
        .record_tags(
            "docker.io",
            "library/alpine",
            &[("3.20".into(), alpine.digest.clone())],
        )
        .await
        .unwrap();

    let run = store.start_run("registry.example.com").await.unwrap();
    for (repository, tag, status) in [
        ("team/app", "1.4.2", OutcomeStatus::Success),
        ("team/app", "latest", OutcomeStatus::Success),
        ("team/app", "edge", OutcomeStatus::Failed),
        ("team/worker", "2.0", OutcomeStatus::Skipped),
    ] {
        let outcome = ImageOutcome {
            registry: REGISTRY.into(),
            repository: repository.into(),
            tag: tag.into(),
            digest: None,
            platform: None,
            status,
            cause: (status != OutcomeStatus::Success).then(|| "a reason".to_owned()),
            pull_ms: Some(1200),
            analysis_ms: Some(300),
            matching_ms: Some(20),
        };
        store.record_outcome(run, &outcome).await.unwrap();
    }
    store
        .finish_run(
            run,
            RunEnd::Completed,
            RunTotals {
                total: 4,
                success: 2,
                failed: 1,
                skipped: 1,
            },
        )
        .await
        .unwrap();
    store.start_run("docker.io (running)").await.unwrap();

    let (_, read) = plimsoll_server::create_token(&store, TokenScope::Read, "ci")
        .await
        .unwrap();
    let (_, admin) = plimsoll_server::create_token(&store, TokenScope::Admin, "ops")
        .await
        .unwrap();
    let (gone, revoked) = plimsoll_server::create_token(&store, TokenScope::Admin, "old")
        .await
        .unwrap();
    assert!(store.revoke_api_token(gone.id).await.unwrap());

    let app = plimsoll_server::app(AppState::new(store.clone(), ANALYZER));
    Fixture {
        _dir: dir,
        store,
        app,
        read,
        admin,
        revoked,
    }
}

/// A response, read whole.
pub(crate) struct Answer {
    pub(crate) status: StatusCode,
    pub(crate) content_type: String,
    pub(crate) headers: axum::http::HeaderMap,
    pub(crate) body: Vec<u8>,
}

impl Answer {
    pub(crate) fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    pub(crate) fn text(&self) -> String {
        String::from_utf8(self.body.clone()).unwrap()
    }

    /// Asserts an error answer: this status and the JSON error body with this code.
    pub(crate) fn assert_error(&self, status: StatusCode, code: &str) -> String {
        assert_eq!(
            self.status,
            status,
            "{}",
            String::from_utf8_lossy(&self.body)
        );
        assert_eq!(self.content_type, "application/json");
        let body = self.json();
        assert_eq!(body["code"], code, "{body}");
        body["message"].as_str().unwrap().to_owned()
    }
}

impl Fixture {
    /// GET `uri` with `token` (if any) as a Bearer token.
    pub(crate) async fn get_with(&self, uri: &str, token: Option<&str>) -> Answer {
        let mut request = Request::get(uri);
        if let Some(token) = token {
            request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        let response = self
            .app
            .clone()
            .oneshot(request.body(Body::empty()).unwrap())
            .await
            .unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let content_type = headers
            .get(header::CONTENT_TYPE)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap()
            .to_vec();
        Answer {
            status,
            content_type,
            headers,
            body,
        }
    }

    /// GET `uri` with the read token, expecting 200 and JSON.
    pub(crate) async fn get_json(&self, uri: &str) -> Value {
        let answer = self.get_with(uri, Some(&self.read)).await;
        assert_eq!(answer.status, StatusCode::OK, "{uri}: {}", answer.text());
        answer.json()
    }
}

/// `registry/repository:tag platform` of every item of an image list.
pub(crate) fn keys(list: &Value) -> Vec<String> {
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| {
            format!(
                "{}/{}:{} {}",
                item["registry"].as_str().unwrap(),
                item["repository"].as_str().unwrap(),
                item["tag"].as_str().unwrap(),
                item["platform"].as_str().unwrap_or("")
            )
        })
        .collect()
}
