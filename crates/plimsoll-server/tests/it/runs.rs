use axum::http::StatusCode;

use crate::fixture::fixture;

#[tokio::test]
async fn runs_list_newest_first_with_totals() {
    let f = fixture().await;
    let list = f.get_json("/api/v1/runs").await;
    assert_eq!(list["total"], 2);
    let items = list["items"].as_array().unwrap();
    assert_eq!(items[0]["description"], "docker.io (running)");
    assert_eq!(items[0]["status"], "running");
    assert_eq!(items[0]["finished_at"], serde_json::Value::Null);
    assert_eq!(items[1]["status"], "completed");
    assert_eq!(
        items[1]["totals"],
        serde_json::json!({"total": 4, "success": 2, "failed": 1, "skipped": 1})
    );
    let oldest = f
        .get_json("/api/v1/runs?sort=id&order=asc&per_page=1")
        .await;
    assert_eq!(oldest["items"][0]["id"], items[1]["id"]);
    assert_eq!(oldest["items"].as_array().unwrap().len(), 1);
    f.get_with("/api/v1/runs?sort=description", Some(&f.read))
        .await
        .assert_error(StatusCode::BAD_REQUEST, "bad_request");
}

#[tokio::test]
async fn a_run_comes_with_a_page_of_its_outcomes() {
    let f = fixture().await;
    let list = f.get_json("/api/v1/runs?order=asc").await;
    let id = list["items"][0]["id"].as_i64().unwrap();
    let run = f.get_json(&format!("/api/v1/runs/{id}")).await;
    assert_eq!(run["run"]["description"], "registry.example.com");
    assert_eq!(run["outcomes"]["total"], 4);
    let tags: Vec<&str> = run["outcomes"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["tag"].as_str().unwrap())
        .collect();
    assert_eq!(tags, ["1.4.2", "latest", "edge", "2.0"]);
    assert_eq!(run["outcomes"]["items"][2]["status"], "failed");
    assert_eq!(run["outcomes"]["items"][2]["cause"], "a reason");
    assert_eq!(run["outcomes"]["items"][0]["pull_ms"], 1200);

    let by_status = f
        .get_json(&format!("/api/v1/runs/{id}?sort=status&per_page=2&page=1"))
        .await;
    let statuses: Vec<&str> = by_status["outcomes"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["failed", "skipped"]);
    assert_eq!(by_status["outcomes"]["total"], 4);

    let message = f
        .get_with("/api/v1/runs/999", Some(&f.read))
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
    assert_eq!(message, "no scan run 999");
    f.get_with("/api/v1/runs/first", Some(&f.read))
        .await
        .assert_error(StatusCode::BAD_REQUEST, "bad_request");
}
