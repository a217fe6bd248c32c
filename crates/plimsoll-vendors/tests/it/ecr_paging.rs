//! ECR pagination: `DescribeRepositories` and `DescribeImages` followed through every
//! `nextToken`. moto ignores `maxResults`/`nextToken`, so this runs against a loopback
//! stand-in answering the documented shapes (ECR's JSON 1.1 protocol, STS's query protocol)
//! in pages of two, and records the tokens each request carried.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::post;
use base64::Engine as _;
use serde_json::{Value, json};

use plimsoll_vendors::Discovery;
use plimsoll_vendors::ecr::{AwsConfig, resolve_with};

const ACCOUNT: &str = "111122223333";
const PAGE: usize = 2;

#[derive(Default)]
struct Seen {
    /// (action, repository or "", nextToken or "").
    requests: Vec<(String, String, String)>,
}

fn page<T: Clone>(items: &[T], token: Option<&str>) -> (Vec<T>, Option<String>) {
    let start: usize = token.map_or(0, |t| t.trim_start_matches("page-").parse().unwrap());
    let end = (start + PAGE).min(items.len());
    let next = (end < items.len()).then(|| format!("page-{end}"));
    (items[start..end].to_vec(), next)
}

fn answer(seen: &Mutex<Seen>, headers: &HeaderMap, body: &str) -> impl IntoResponse + use<> {
    let target = headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .rsplit('.')
        .next()
        .unwrap_or_default()
        .to_owned();
    if target.is_empty() && body.contains("Action=GetCallerIdentity") {
        let xml = format!(
            "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><GetCallerIdentityResult><Arn>arn:aws:iam::{ACCOUNT}:user/scanner</Arn><UserId>AIDA</UserId><Account>{ACCOUNT}</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></GetCallerIdentityResponse>"
        );
        return (StatusCode::OK, [(header::CONTENT_TYPE, "text/xml")], xml);
    }
    let input: Value = serde_json::from_str(body).unwrap_or(Value::Null);
    let token = input["nextToken"].as_str();
    let repository = input["repositoryName"].as_str().unwrap_or_default();
    seen.lock().unwrap().requests.push((
        target.clone(),
        repository.to_owned(),
        token.unwrap_or_default().to_owned(),
    ));
    let out = match target.as_str() {
        "GetAuthorizationToken" => json!({"authorizationData": [{
            "authorizationToken": base64::engine::general_purpose::STANDARD.encode("AWS:stand-in-password"),
            "expiresAt": 4_102_444_800.0,
            "proxyEndpoint": format!("https://{ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com"),
        }]}),
        "DescribeRepositories" => {
            let all: Vec<Value> = ["zeta", "alpha", "team/b", "team/a", "mid"]
                .iter()
                .map(|name| json!({"repositoryName": name, "registryId": ACCOUNT}))
                .collect();
            let (items, next) = page(&all, token);
            json!({"repositories": items, "nextToken": next})
        }
        "DescribeImages" => {
            let all: Vec<Value> = (0..5)
                .map(|i| {
                    json!({
                        "registryId": ACCOUNT,
                        "repositoryName": repository,
                        "imageDigest": format!("sha256:{}", format!("{i}").repeat(64)),
                        "imageTags": if i == 4 { json!(["v4", "latest"]) } else { json!([format!("v{i}")]) },
                        "imagePushedAt": 1_700_000_000.0 + f64::from(i),
                    })
                })
                .collect();
            let (items, next) = page(&all, token);
            json!({"imageDetails": items, "nextToken": next})
        }
        other => panic!("unexpected ECR action {other}"),
    };
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/x-amz-json-1.1")],
        out.to_string(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ecr_listings_follow_every_next_token() {
    let seen = Arc::new(Mutex::new(Seen::default()));
    let state = Arc::clone(&seen);
    let app = Router::new().route(
        "/",
        post(move |headers: HeaderMap, body: String| {
            std::future::ready(answer(&state, &headers, &body))
        }),
    );
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
        .await
        .unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let base = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("eu-west-1"))
        .endpoint_url(&url)
        .credentials_provider(aws_credential_types::Credentials::new(
            "AKIDSTANDIN",
            "stand-in-secret",
            None,
            None,
            "test",
        ))
        .load()
        .await;
    let aws = AwsConfig::default();
    let resolution = resolve_with(&aws, &base).await.unwrap();
    assert_eq!(resolution.accounts.len(), 1);
    assert_eq!(resolution.accounts[0].id, ACCOUNT);
    assert_eq!(resolution.accounts[0].regions, ["eu-west-1"]);
    let [registry] = resolution.registries.as_slice() else {
        panic!("one registry expected");
    };
    assert_eq!(
        registry.registry(),
        "111122223333.dkr.ecr.eu-west-1.amazonaws.com"
    );
    assert_eq!(
        registry.credentials().get(),
        plimsoll_registry::Credentials::new("AWS", "stand-in-password")
    );

    let repositories = registry.repositories(None).await.unwrap();
    assert_eq!(repositories, ["alpha", "mid", "team/a", "team/b", "zeta"]);
    // A cap still lists every page first (ECR's order is not lexical), then keeps the first.
    assert_eq!(
        registry.repositories(Some(2)).await.unwrap(),
        ["alpha", "mid"]
    );

    let tags = registry.tags("team/a").await.unwrap();
    let names: Vec<&str> = tags.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["latest", "v0", "v1", "v2", "v3", "v4"]);
    let latest = &tags[0];
    assert_eq!(
        latest.digest.as_ref().unwrap().to_string(),
        format!("sha256:{}", "4".repeat(64))
    );
    assert_eq!(
        latest.pushed_at.unwrap().unix_timestamp(),
        1_700_000_004,
        "the push time comes from imagePushedAt"
    );

    let requests = seen.lock().unwrap().requests.clone();
    let tokens = |action: &str| -> Vec<String> {
        requests
            .iter()
            .filter(|(a, _, _)| a == action)
            .map(|(_, _, t)| t.clone())
            .collect()
    };
    assert_eq!(
        tokens("DescribeRepositories"),
        ["", "page-2", "page-4", "", "page-2", "page-4"],
        "two full listings, each through every page"
    );
    assert_eq!(tokens("DescribeImages"), ["", "page-2", "page-4"]);
    assert!(
        requests
            .iter()
            .filter(|(a, _, _)| a == "DescribeImages")
            .all(|(_, r, _)| r == "team/a")
    );
}
