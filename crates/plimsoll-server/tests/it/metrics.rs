use axum::http::StatusCode;

use crate::fixture::fixture;

/// The value of the sample of `name` whose labels include every one of `labels`.
fn sample(exposition: &str, name: &str, labels: &[&str]) -> Option<f64> {
    exposition.lines().find_map(|line| {
        let (series, value) = line.rsplit_once(' ')?;
        let matches = series.starts_with(&format!("{name}{{"))
            && labels.iter().all(|l| series.contains(l))
            || (labels.is_empty() && series == name);
        matches.then(|| value.parse().ok()).flatten()
    })
}

#[tokio::test]
async fn metrics_count_requests_by_route_pattern_never_by_path() {
    let f = fixture().await;
    // The recorder is process-wide and other tests of this binary answer requests too: read
    // the counters before and after, and expect at least this test's own requests.
    let before = f.get_with("/metrics", Some(&f.read)).await;
    assert_eq!(before.status, StatusCode::OK, "{}", before.text());
    assert_eq!(
        before.content_type,
        "text/plain; version=0.0.4; charset=utf-8"
    );
    let count = |text: &str, route: &str, status: &str| {
        sample(
            text,
            "plimsoll_http_requests_total",
            &[
                &format!("route=\"{route}\""),
                &format!("status=\"{status}\""),
            ],
        )
        .unwrap_or(0.0)
    };
    let before = before.text();
    for _ in 0..3 {
        let answer = f
            .get_with(
                "/api/v1/vulnerabilities/CVE-2024-0001/images",
                Some(&f.read),
            )
            .await;
        assert_eq!(answer.status, StatusCode::OK);
    }
    f.get_with("/api/v1/images", None)
        .await
        .assert_error(StatusCode::UNAUTHORIZED, "unauthorized");
    f.get_with("/no/such/path/4a7c", Some(&f.read))
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");

    let after = f.get_with("/metrics", Some(&f.read)).await.text();
    let route = "/api/v1/vulnerabilities/{id}/images";
    assert!(
        count(&after, route, "2xx") >= count(&before, route, "2xx") + 3.0,
        "{after}"
    );
    assert!(count(&after, "/api/v1/images", "4xx") >= 1.0, "{after}");
    assert!(count(&after, "unmatched", "4xx") >= 1.0, "{after}");
    // Paths never become labels: a label set that grows with every probed path would exhaust
    // Prometheus.
    assert!(!after.contains("4a7c"), "{after}");
    assert!(!after.contains("CVE-2024-0001"), "{after}");
    // Durations are histograms with fixed buckets, not summaries.
    assert!(
        after.contains("plimsoll_http_request_duration_seconds_bucket{"),
        "{after}"
    );
}
