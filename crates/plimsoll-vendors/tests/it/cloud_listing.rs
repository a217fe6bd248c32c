//! ACR and ICR listings against loopback stand-ins answering the shapes their references
//! document (ACR: <https://learn.microsoft.com/rest/api/containerregistry/>, `Link` paging
//! with `last=` and a bearer challenge naming `/oauth2/token`; ICR:
//! <https://cloud.ibm.com/apidocs/container-registry> and IBM Cloud IAM's
//! `POST /identity/token`), recording every request: what the whole-path tests
//! (`crates/plimsoll/tests/it/vendors/{acr,icr}.rs`) do not cover — stopping early at a
//! `limit`, and an IAM token kept for as long as it is valid.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::Response;

use plimsoll_registry::{CredentialStore, Credentials, RegistryClient};
use plimsoll_vendors::{Endpoint, Vendor, discovery};

/// (method, path and query, `Authorization`, `Account`, body).
type Seen = Arc<Mutex<Vec<(String, String, Option<String>, Option<String>, String)>>>;
type Answer = Arc<dyn Fn(&str, &str, Option<&str>, &str) -> Response<Body> + Send + Sync>;

async fn record(State((answer, seen)): State<(Answer, Seen)>, request: Request) -> Response<Body> {
    // (A block, so that no borrow of the request, whose body is not `Sync`, lives across the
    // body read below.)
    let (authorization, account) = {
        let header = |name: &str| {
            request
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        (header("authorization"), header("account"))
    };
    let method = request.method().to_string();
    let target = request.uri().to_string();
    let body = axum::body::to_bytes(request.into_body(), 1 << 20)
        .await
        .unwrap();
    let body = String::from_utf8_lossy(&body).into_owned();
    seen.lock().unwrap().push((
        method.clone(),
        target.clone(),
        authorization.clone(),
        account,
        body.clone(),
    ));
    answer(&method, &target, authorization.as_deref(), &body)
}

/// Serves `answer` on a free loopback port; returns `host:port` and the requests seen.
async fn stand_in(
    answer: impl Fn(&str, &str, Option<&str>, &str) -> Response<Body> + Send + Sync + 'static,
) -> (String, Seen) {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
        .await
        .unwrap();
    let host = listener.local_addr().unwrap().to_string();
    let seen: Seen = Arc::default();
    let app = Router::new()
        .fallback(record)
        .with_state((Arc::new(answer) as Answer, Arc::clone(&seen)));
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (host, seen)
}

fn json(status: u16, body: &serde_json::Value, headers: &[(&str, String)]) -> Response<Body> {
    let mut response = Response::builder()
        .status(status)
        .header("content-type", "application/json");
    for (name, value) in headers {
        response = response.header(*name, value);
    }
    response.body(Body::from(body.to_string())).unwrap()
}

fn client(host: &str, user: &str, password: &str) -> Arc<RegistryClient> {
    let mut credentials = CredentialStore::new();
    credentials.insert(host, Credentials::new(user, password));
    Arc::new(
        RegistryClient::builder()
            .credentials(credentials)
            .plain_http(true)
            .max_attempts(1)
            .build()
            .unwrap(),
    )
}

#[tokio::test]
async fn acr_pages_with_last_and_stops_at_the_limit() {
    const REPOSITORIES: [&str; 5] = ["a/one", "a/two", "b/three", "c/four", "d/five"];
    let host_cell: Arc<Mutex<String>> = Arc::default();
    let host_for_answer = Arc::clone(&host_cell);
    let (host, seen) = stand_in(move |_, target, authorization, _| {
        let host = host_for_answer.lock().unwrap().clone();
        let url = url::Url::parse(&format!("http://{host}{target}")).unwrap();
        let query: BTreeMap<String, String> = url.query_pairs().into_owned().collect();
        if url.path() == "/oauth2/token" {
            let scope = &query["scope"];
            return json(200, &serde_json::json!({"access_token": format!("tok {scope}")}), &[]);
        }
        if authorization != Some("Bearer tok registry:catalog:*") {
            return json(
                401,
                &serde_json::json!({"errors": []}),
                &[(
                    "www-authenticate",
                    format!(r#"Bearer realm="http://{host}/oauth2/token",service="{host}",scope="registry:catalog:*""#),
                )],
            );
        }
        // Two per page whatever `n` asks, as a registry capping it would.
        let start = query
            .get("last")
            .map_or(0, |l| REPOSITORIES.iter().position(|r| r == l).unwrap() + 1);
        let end = (start + 2).min(REPOSITORIES.len());
        let link = (end < REPOSITORIES.len()).then(|| {
            (
                "link",
                format!(
                    "</acr/v1/_catalog?last={}&n={}>; rel=\"next\"",
                    REPOSITORIES[end - 1],
                    query["n"]
                ),
            )
        });
        json(
            200,
            &serde_json::json!({"repositories": &REPOSITORIES[start..end]}),
            &link.into_iter().collect::<Vec<_>>(),
        )
    })
    .await;
    *host_cell.lock().unwrap() = host.clone();
    let acr = discovery(
        Vendor::Acr,
        Endpoint::new(host.clone(), client(&host, "sp-app-id", "sp-secret")),
    )
    .unwrap();

    assert_eq!(
        acr.repositories(Some(3)).await.unwrap(),
        ["a/one", "a/two", "b/three"]
    );
    let targets: Vec<String> = seen.lock().unwrap().iter().map(|s| s.1.clone()).collect();
    let token_query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("service", &host)
        .append_pair("scope", "registry:catalog:*")
        .finish();
    assert_eq!(
        targets,
        [
            "/acr/v1/_catalog?n=3".to_owned(),
            format!("/oauth2/token?{token_query}"),
            "/acr/v1/_catalog?n=3".to_owned(),
            "/acr/v1/_catalog?last=a/two&n=3".to_owned(),
        ]
    );
    // The Basic credentials went to the token endpoint only.
    for (_, target, authorization, _, _) in seen.lock().unwrap().iter() {
        let basic = authorization
            .as_deref()
            .is_some_and(|a| a.starts_with("Basic "));
        assert_eq!(basic, target.starts_with("/oauth2/token"), "{target}");
    }

    seen.lock().unwrap().clear();
    assert_eq!(acr.repositories(None).await.unwrap(), REPOSITORIES);
    let targets: Vec<String> = seen.lock().unwrap().iter().map(|s| s.1.clone()).collect();
    assert_eq!(
        targets,
        [
            "/acr/v1/_catalog?n=100",
            "/acr/v1/_catalog?last=a/two&n=100",
            "/acr/v1/_catalog?last=c/four&n=100",
        ],
        "the catalog token is cached"
    );
}

#[tokio::test]
async fn icr_keeps_a_valid_iam_token_and_lists_each_namespace() {
    let (iam, iam_seen) = stand_in(|_, _, _, _| {
        json(
            200,
            &serde_json::json!({"access_token": "iam-token", "expires_in": 3600,
                "expiration": 4_102_444_800_i64, "token_type": "Bearer"}),
            &[],
        )
    })
    .await;
    let (api, api_seen) = stand_in(|_, target, _, _| {
        let ns = if target.contains("namespace=one") { "one" } else { "two" };
        json(
            200,
            &serde_json::json!([{
                "Created": 1_700_000_000,
                "DigestTags": {format!("sha256:{:0>64}", 1): ["1.0"]},
                "RepoTags": [format!("us.icr.io/{ns}/app:1.0"), format!("us.icr.io/{ns}/app:extra")],
                "RepoDigests": []
            }]),
            &[],
        )
    })
    .await;
    let endpoint = Endpoint::new("us.icr.io", client("us.icr.io", "iamapikey", "the-api-key"))
        .api_url(url::Url::parse(&format!("http://{api}/")).unwrap())
        .api_credentials(Some(Credentials::new("iamapikey", "the-api-key")))
        .iam_url(Some(
            url::Url::parse(&format!("http://{iam}/identity/token")).unwrap(),
        ))
        .account_id(Some("acc0123".into()))
        .namespaces(vec!["one".into(), "two".into()]);
    let icr = discovery(Vendor::Icr, endpoint).unwrap();

    assert_eq!(
        icr.repositories(None).await.unwrap(),
        ["one/app", "two/app"]
    );
    let tags = icr.tags("two/app").await.unwrap();
    assert_eq!(
        tags.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(),
        ["1.0", "extra"]
    );
    assert!(tags[0].digest.is_some() && tags[1].digest.is_none());
    assert!(icr.tags("three/app").await.is_err());

    // One exchange for the whole listing: the token is valid for an hour.
    let iam_seen = iam_seen.lock().unwrap().clone();
    assert_eq!(iam_seen.len(), 1);
    assert_eq!(iam_seen[0].0, "POST");
    assert_eq!(iam_seen[0].2, None);
    assert_eq!(
        iam_seen[0].4,
        "grant_type=urn%3Aibm%3Aparams%3Aoauth%3Agrant-type%3Aapikey&apikey=the-api-key"
    );
    let api_seen = api_seen.lock().unwrap().clone();
    let q = "includeIBM=false&includePrivate=true&includeManifestLists=true&vulnerabilities=false";
    assert_eq!(
        api_seen
            .iter()
            .map(|s| (s.1.as_str(), s.2.as_deref(), s.3.as_deref()))
            .collect::<Vec<_>>(),
        [
            (
                format!("/api/v1/images?{q}&namespace=one").as_str(),
                Some("Bearer iam-token"),
                Some("acc0123")
            ),
            (
                format!("/api/v1/images?{q}&namespace=two").as_str(),
                Some("Bearer iam-token"),
                Some("acc0123")
            ),
        ]
    );
}

#[tokio::test]
async fn icr_refuses_a_user_other_than_iamapikey_before_any_request() {
    let (iam, iam_seen) = stand_in(|_, _, _, _| json(500, &serde_json::json!({}), &[])).await;
    let endpoint = Endpoint::new("us.icr.io", client("us.icr.io", "someone", "pw"))
        .api_url(url::Url::parse(&format!("http://{iam}/")).unwrap())
        .api_credentials(Some(Credentials::new("someone", "pw")))
        .iam_url(Some(
            url::Url::parse(&format!("http://{iam}/identity/token")).unwrap(),
        ))
        .account_id(Some("acc0123".into()));
    let icr = discovery(Vendor::Icr, endpoint).unwrap();
    let err = icr.repositories(None).await.unwrap_err();
    assert!(err.to_string().contains("user = \"iamapikey\""), "{err}");
    assert!(iam_seen.lock().unwrap().is_empty());
}
