use std::collections::BTreeSet;

use axum::http::StatusCode;

use crate::fixture::fixture;
use crate::values::digest;

/// Every route the router serves, as (method, path template). The router is built only from
/// `utoipa_axum::routes!`, so a route cannot be added without a documented operation; this
/// list is the reviewer's view of both.
const ROUTES: [(&str, &str); 18] = [
    ("get", "/healthz"),
    ("get", "/readyz"),
    ("get", "/api/openapi.json"),
    ("get", "/metrics"),
    ("get", "/api/v1/images"),
    ("get", "/api/v1/images/{digest}"),
    ("get", "/api/v1/vulnerabilities/{id}/images"),
    ("get", "/api/v1/repositories"),
    ("get", "/api/v1/runs"),
    ("get", "/api/v1/runs/{id}"),
    ("get", "/api/v1/registries"),
    ("post", "/api/v1/registries"),
    ("get", "/api/v1/registries/{name}"),
    ("put", "/api/v1/registries/{name}"),
    ("delete", "/api/v1/registries/{name}"),
    ("post", "/api/v1/registries/{name}/scans"),
    ("get", "/api/v1/vulndb"),
    ("post", "/api/v1/vulndb/updates"),
];

/// The success status each write documents and answers.
fn success(method: &str, path: &str) -> &'static str {
    match (method, path) {
        ("post", "/api/v1/registries") => "201",
        // A trigger answers 202 Accepted: the scan runs later.
        ("post", _) => "202",
        ("delete", _) => "204",
        _ => "200",
    }
}

#[tokio::test]
async fn the_served_document_describes_exactly_the_routes_served() {
    let f = fixture().await;
    let doc = f.get_with("/api/openapi.json", None).await.json();
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3."),
        "{}",
        doc["openapi"]
    );
    assert_eq!(doc["info"]["title"], "Plimsoll API");
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );

    let mut documented = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            documented.insert((method.clone(), path.clone()));
            let secured = operation.get("security").is_some();
            assert_eq!(
                secured,
                path.starts_with("/api/v1/") || path == "/metrics",
                "{method} {path}"
            );
            let success = success(method, path);
            assert!(
                operation["responses"].get(success).is_some(),
                "{method} {path} documents its {success}"
            );
        }
    }
    let expected: BTreeSet<(String, String)> = ROUTES
        .iter()
        .map(|(m, p)| ((*m).to_owned(), (*p).to_owned()))
        .collect();
    assert_eq!(documented, expected);

    // Every documented read answers 200 as documented, with real values in its path; the
    // registry operations against a scheduler, below.
    let run_id = f.get_json("/api/v1/runs").await["items"][0]["id"]
        .as_i64()
        .unwrap();
    for (_, path) in documented
        .iter()
        .filter(|(m, p)| m == "get" && !p.starts_with("/api/v1/registries/"))
    {
        let uri = path
            .replace("{digest}", &digest("app index amd64").to_string())
            .replace(
                "{id}",
                &if path.starts_with("/api/v1/runs") {
                    run_id.to_string()
                } else {
                    "CVE-2024-0001".to_owned()
                },
            );
        let answer = f.get_with(&uri, Some(&f.read)).await;
        assert_eq!(answer.status, StatusCode::OK, "{uri}: {}", answer.text());
    }

    // The password is documented write-only; password_file is not offered.
    let body = &doc["components"]["schemas"]["RegistryBody"]["properties"];
    assert_eq!(body["password"]["writeOnly"], true, "{body}");
    assert!(body.get("password_file").is_none(), "{body}");

    let s = crate::registries::server().await;
    let body = serde_json::json!({"name": "made", "url": "http://127.0.0.1:5001"});
    let mut answered = BTreeSet::new();
    for (method, uri, path) in [
        ("GET", "/api/v1/registries/lab", "/api/v1/registries/{name}"),
        ("POST", "/api/v1/registries", "/api/v1/registries"),
        (
            "PUT",
            "/api/v1/registries/made",
            "/api/v1/registries/{name}",
        ),
        (
            "POST",
            "/api/v1/registries/made/scans",
            "/api/v1/registries/{name}/scans",
        ),
        (
            "DELETE",
            "/api/v1/registries/made",
            "/api/v1/registries/{name}",
        ),
    ] {
        let sent = matches!(method, "POST" | "PUT") && !uri.ends_with("/scans");
        let (status, answer) =
            crate::registries::send(&s.app, method, uri, &s.admin, sent.then_some(&body)).await;
        let method = method.to_lowercase();
        assert_eq!(
            status.as_str(),
            success(&method, path),
            "{method} {uri}: {answer}"
        );
        answered.insert((method, path.to_owned()));
    }
    let registry_ops: BTreeSet<(String, String)> = documented
        .iter()
        .filter(|(m, p)| p.starts_with("/api/v1/registries") && (m != "get" || p.contains('{')))
        .cloned()
        .collect();
    assert_eq!(answered, registry_ops);

    // And the API serves nothing else: other paths and methods are refused. (The web UI's HTML
    // routes — `/`, `/login`, `/images/…` — are not API operations and not in the document;
    // `ui.rs` tests them.)
    for uri in ["/api/v1", "/api/v1/images/x/y", "/api/v1/tokens", "/api"] {
        f.get_with(uri, Some(&f.admin))
            .await
            .assert_error(StatusCode::NOT_FOUND, "not_found");
    }
    let post = tower::ServiceExt::oneshot(
        f.app.clone(),
        axum::http::Request::post("/api/v1/images")
            .header("authorization", format!("Bearer {}", f.admin))
            .body(axum::body::Body::empty())
            .unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(post.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(post.headers()["allow"], "GET,HEAD");
    let body = axum::body::to_bytes(post.into_body(), usize::MAX)
        .await
        .unwrap();
    let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(body["code"], "method_not_allowed", "{body}");
}

#[tokio::test]
async fn list_parameters_and_their_whitelists_are_documented() {
    let f = fixture().await;
    let doc = f.get_with("/api/openapi.json", None).await.json();
    let params = doc["paths"]["/api/v1/images"]["get"]["parameters"]
        .as_array()
        .unwrap();
    let names: Vec<&str> = params.iter().map(|p| p["name"].as_str().unwrap()).collect();
    for name in [
        "registry",
        "repository",
        "tag",
        "severity",
        "fixable",
        "cve",
        "package",
        "page",
        "per_page",
        "sort",
        "order",
    ] {
        assert!(names.contains(&name), "{name} in {names:?}");
    }
    let sort = params.iter().find(|p| p["name"] == "sort").unwrap();
    let text = sort.to_string();
    for key in ["registry", "scanned_at", "critical", "fixable"] {
        assert!(text.contains(&format!("\"{key}\"")), "{key} in {text}");
    }
}
