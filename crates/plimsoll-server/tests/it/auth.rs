use axum::http::{StatusCode, header};

use crate::fixture::fixture;

#[tokio::test]
async fn api_endpoints_need_a_token_and_public_ones_do_not() {
    let f = fixture().await;
    for uri in ["/healthz", "/readyz", "/api/openapi.json"] {
        let answer = f.get_with(uri, None).await;
        assert_eq!(answer.status, StatusCode::OK, "{uri}");
        assert_eq!(answer.content_type, "application/json", "{uri}");
    }
    assert_eq!(f.get_with("/readyz", None).await.json()["status"], "ok");

    for uri in [
        "/api/v1/images",
        "/api/v1/images/sha256:0000000000000000000000000000000000000000000000000000000000000000",
        "/api/v1/vulnerabilities/CVE-2024-0001/images",
        "/api/v1/runs",
        "/api/v1/runs/1",
        "/metrics",
    ] {
        let missing = f.get_with(uri, None).await;
        let message = missing.assert_error(StatusCode::UNAUTHORIZED, "unauthorized");
        assert!(message.contains("Authorization: Bearer"), "{message}");
        assert_eq!(
            missing.headers[header::WWW_AUTHENTICATE],
            "Bearer realm=\"plimsoll\""
        );

        let unknown = f.get_with(uri, Some("plm_not-a-token-we-made")).await;
        assert_eq!(
            unknown.assert_error(StatusCode::UNAUTHORIZED, "unauthorized"),
            "unknown API token"
        );
        // One character off a real token is just as unknown.
        let mut near = f.read.clone();
        near.pop();
        near.push('x');
        f.get_with(uri, Some(&near))
            .await
            .assert_error(StatusCode::UNAUTHORIZED, "unauthorized");

        let revoked = f.get_with(uri, Some(&f.revoked)).await;
        let message = revoked.assert_error(StatusCode::FORBIDDEN, "forbidden");
        assert!(message.contains("`old`) was revoked"), "{message}");

        for token in [&f.read, &f.admin] {
            let answer = f.get_with(uri, Some(token)).await;
            assert!(
                answer.status == StatusCode::OK || answer.status == StatusCode::NOT_FOUND,
                "{uri}: {}",
                answer.status
            );
        }
    }
}

#[tokio::test]
async fn the_authorization_header_must_be_a_bearer_token() {
    let f = fixture().await;
    let request = axum::http::Request::get("/api/v1/runs")
        .header(header::AUTHORIZATION, format!("Basic {}", f.read))
        .body(axum::body::Body::empty())
        .unwrap();
    let response = tower::ServiceExt::oneshot(f.app.clone(), request)
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn revoking_a_token_locks_it_out_at_once_and_admin_tokens_are_made_once() {
    let f = fixture().await;
    assert_eq!(
        f.get_with("/api/v1/runs", Some(&f.read)).await.status,
        StatusCode::OK
    );
    let tokens = f.store.api_tokens().await.unwrap();
    let ci = tokens.iter().find(|t| t.name == "ci").unwrap();
    // The store keeps a SHA-256, never the token.
    assert_eq!(ci.token_hash.len(), 64);
    assert!(!ci.token_hash.contains(&f.read[4..]));
    assert!(f.store.revoke_api_token(ci.id).await.unwrap());
    assert!(!f.store.revoke_api_token(ci.id).await.unwrap());
    f.get_with("/api/v1/runs", Some(&f.read))
        .await
        .assert_error(StatusCode::FORBIDDEN, "forbidden");

    // The fixture has an unrevoked admin token: no new one.
    assert_eq!(
        plimsoll_server::ensure_admin_token(&f.store).await.unwrap(),
        None
    );
    let ops = tokens.iter().find(|t| t.name == "ops").unwrap();
    f.store.revoke_api_token(ops.id).await.unwrap();
    let first = plimsoll_server::ensure_admin_token(&f.store)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        f.get_with("/api/v1/runs", Some(&first)).await.status,
        StatusCode::OK
    );
    assert_eq!(
        plimsoll_server::ensure_admin_token(&f.store).await.unwrap(),
        None
    );
}

#[tokio::test]
async fn unknown_routes_answer_a_json_404() {
    let f = fixture().await;
    let message = f
        .get_with("/api/v1/nothing-here", Some(&f.read))
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
    assert_eq!(message, "no route GET /api/v1/nothing-here");
}
