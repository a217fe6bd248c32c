use axum::http::StatusCode;

use crate::fixture::{fixture, keys};
use crate::values::digest;

const ALL: [&str; 7] = [
    "docker.io/library/alpine:3.20 linux/amd64",
    "registry.example.com/team/app:1.4.2 linux/amd64",
    "registry.example.com/team/app:1.4.2 linux/arm64/v8",
    "registry.example.com/team/app:edge ",
    "registry.example.com/team/app:latest linux/amd64",
    "registry.example.com/team/app:latest linux/arm64/v8",
    "registry.example.com/team/worker:2.0 linux/amd64",
];

#[tokio::test]
async fn images_list_the_latest_result_of_every_tag_and_platform() {
    let f = fixture().await;
    let list = f.get_json("/api/v1/images").await;
    assert_eq!(keys(&list), ALL);
    assert_eq!(list["total"], 7);
    assert_eq!(list["page"], 1);
    assert_eq!(list["per_page"], 50);

    let amd64 = &list["items"][1];
    assert_eq!(amd64["digest"], digest("app index").to_string());
    assert_eq!(
        amd64["manifest_digest"],
        digest("app index amd64").to_string()
    );
    assert_eq!(amd64["os"], "Debian GNU/Linux 12 (bookworm)");
    assert_eq!(
        amd64["counts"],
        serde_json::json!({"critical": 1, "high": 2, "medium": 1, "low": 1, "unknown": 1})
    );
    assert_eq!(amd64["fixable"], 3);
    assert_eq!(amd64["status"], "scanned");
    assert_eq!(amd64["db_built_at"], "2026-11-26T04:00:00Z");
    assert!(amd64["scanned_at"].as_str().unwrap().ends_with('Z'));
    assert_eq!(list["items"][2]["status"], "not-scanned");
    assert_eq!(list["items"][3]["manifest_digest"], serde_json::Value::Null);
}

#[tokio::test]
async fn images_are_paged_with_the_total() {
    let f = fixture().await;
    let first = f.get_json("/api/v1/images?per_page=3").await;
    assert_eq!(keys(&first), ALL[..3]);
    assert_eq!(first["total"], 7);
    let second = f.get_json("/api/v1/images?per_page=3&page=2").await;
    assert_eq!(keys(&second), ALL[3..6]);
    let third = f.get_json("/api/v1/images?per_page=3&page=3").await;
    assert_eq!(keys(&third), ALL[6..]);
    assert_eq!(third["page"], 3);
    let beyond = f.get_json("/api/v1/images?per_page=3&page=4").await;
    assert_eq!(keys(&beyond), Vec::<String>::new());
    assert_eq!(beyond["total"], 7);

    for (query, needle) in [
        ("per_page=0", "between 1 and 500"),
        ("per_page=501", "between 1 and 500"),
        ("page=0", "starts at 1"),
        ("page=two", "page"),
    ] {
        let message = f
            .get_with(&format!("/api/v1/images?{query}"), Some(&f.read))
            .await
            .assert_error(StatusCode::BAD_REQUEST, "bad_request");
        assert!(message.contains(needle), "{query}: {message}");
    }
}

#[tokio::test]
async fn images_sort_on_whitelisted_fields_only() {
    let f = fixture().await;
    let by_critical = f.get_json("/api/v1/images?sort=critical&order=desc").await;
    assert_eq!(
        keys(&by_critical)[..2],
        [
            "registry.example.com/team/app:1.4.2 linux/amd64",
            "registry.example.com/team/app:latest linux/amd64",
        ]
    );
    let by_high = f.get_json("/api/v1/images?sort=high&order=desc").await;
    assert_eq!(
        keys(&by_high)[2],
        "registry.example.com/team/worker:2.0 linux/amd64"
    );
    let by_tag = f.get_json("/api/v1/images?sort=tag&order=desc").await;
    assert_eq!(
        keys(&by_tag),
        [
            "registry.example.com/team/app:latest linux/amd64",
            "registry.example.com/team/app:latest linux/arm64/v8",
            "registry.example.com/team/app:edge ",
            "docker.io/library/alpine:3.20 linux/amd64",
            "registry.example.com/team/worker:2.0 linux/amd64",
            "registry.example.com/team/app:1.4.2 linux/amd64",
            "registry.example.com/team/app:1.4.2 linux/arm64/v8",
        ]
    );
    let ascending = f.get_json("/api/v1/images?sort=tag&order=asc").await;
    assert_eq!(
        keys(&ascending)[0],
        "registry.example.com/team/app:1.4.2 linux/amd64"
    );
    // Sorting by a column outside the whitelist, or SQL, is refused before any query.
    for query in [
        "sort=digest",
        "sort=t.registry%3B%20DROP%20TABLE%20tags",
        "order=up",
    ] {
        let message = f
            .get_with(&format!("/api/v1/images?{query}"), Some(&f.read))
            .await
            .assert_error(StatusCode::BAD_REQUEST, "bad_request");
        assert!(message.contains("unknown variant"), "{query}: {message}");
    }
    assert_eq!(f.get_json("/api/v1/images").await["total"], 7);
}

#[tokio::test]
async fn images_filter_by_place_severity_fix_vulnerability_and_package() {
    let f = fixture().await;
    let cases: [(&str, &[&str]); 12] = [
        ("registry=docker.io", &[ALL[0]]),
        ("repository=team/worker", &[ALL[6]]),
        ("repository=team", &[]),
        ("tag=latest", &[ALL[4], ALL[5]]),
        ("severity=critical", &[ALL[1], ALL[4]]),
        ("severity=high", &[ALL[1], ALL[4], ALL[6]]),
        ("fixable=true", &[ALL[1], ALL[4], ALL[6]]),
        // By alias, in any case.
        ("cve=cve-2024-0001", &[ALL[1], ALL[4]]),
        ("cve=GHSA-9wx4-h78v-vm56", &[ALL[6]]),
        ("package=plugin-2", &[ALL[6]]),
        (
            "package=requests",
            &[ALL[1], ALL[2], ALL[4], ALL[5], ALL[6]],
        ),
        (
            "package=requests&severity=critical&registry=registry.example.com&tag=1.4.2",
            &[ALL[1]],
        ),
    ];
    for (query, expected) in cases {
        let list = f.get_json(&format!("/api/v1/images?{query}")).await;
        assert_eq!(keys(&list), expected, "{query}");
        assert_eq!(list["total"], expected.len(), "{query}");
    }
    assert_eq!(f.get_json("/api/v1/images?fixable=false").await["total"], 7);
    for query in ["severity=extreme", "severty=high", "fixable=yes"] {
        f.get_with(&format!("/api/v1/images?{query}"), Some(&f.read))
            .await
            .assert_error(StatusCode::BAD_REQUEST, "bad_request");
    }
}

#[tokio::test]
async fn vulnerabilities_list_the_images_they_affect() {
    let f = fixture().await;
    let list = f
        .get_json("/api/v1/vulnerabilities/CVE-2024-35195/images")
        .await;
    assert_eq!(keys(&list), [ALL[6]]);
    let list = f
        .get_json(
            "/api/v1/vulnerabilities/DSA-5683-1-2024-0006/images?sort=tag&order=desc&per_page=1",
        )
        .await;
    assert_eq!(keys(&list), [ALL[4]]);
    assert_eq!(list["total"], 2);
    let none = f
        .get_json("/api/v1/vulnerabilities/CVE-1999-0001/images")
        .await;
    assert_eq!(none["total"], 0);
}

#[tokio::test]
async fn an_image_report_is_the_vulnerability_json_of_its_platform_images() {
    let f = fixture().await;
    let amd64 = digest("app index amd64");
    let report = f.get_json(&format!("/api/v1/images/{amd64}")).await;
    let reports = report["reports"].as_array().unwrap();
    assert_eq!(reports.len(), 1);
    let text = report.to_string();
    assert!(text.contains("DSA-5678-1-2024-0001"), "{text}");
    assert!(text.contains("Debian GNU/Linux 12 (bookworm)"));
    assert!(
        text.contains("RUN pip install -r requirements.txt"),
        "layers"
    );

    // An index digest: every platform image with an inventory.
    let index = f
        .get_json(&format!("/api/v1/images/{}", digest("app index")))
        .await;
    assert_eq!(index["reports"].as_array().unwrap().len(), 2);

    let sarif = f
        .get_with(
            &format!("/api/v1/images/{amd64}?format=sarif"),
            Some(&f.read),
        )
        .await;
    assert_eq!(sarif.status, StatusCode::OK);
    assert_eq!(sarif.content_type, "application/sarif+json");
    assert_eq!(sarif.json()["version"], "2.1.0");

    let cyclonedx = f
        .get_with(
            &format!("/api/v1/images/{amd64}?format=cyclonedx"),
            Some(&f.read),
        )
        .await;
    assert_eq!(cyclonedx.content_type, "application/vnd.cyclonedx+json");
    assert_eq!(cyclonedx.json()["bomFormat"], "CycloneDX");
    assert!(cyclonedx.text().contains("pkg:pypi/requests@2.31.0"));

    let spdx = f
        .get_with(
            &format!("/api/v1/images/{amd64}?format=spdx"),
            Some(&f.read),
        )
        .await;
    assert_eq!(spdx.content_type, "application/spdx+json");
    assert_eq!(spdx.json()["spdxVersion"], "SPDX-2.3");

    let csv = f
        .get_with(&format!("/api/v1/images/{amd64}?format=csv"), Some(&f.read))
        .await;
    assert_eq!(csv.content_type, "text/csv; charset=utf-8");
    let text = csv.text();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "platform,id,aliases,package,installed,fixed_versions,status,severity,cvss_score,layer"
    );
    assert_eq!(lines.len(), 7, "{text}");
    assert!(lines[1].starts_with("linux/amd64,DSA-5678-1-2024-0001,CVE-2024-0001,libssl3,"));

    // One SBOM describes one image: an index digest is refused with the choices.
    let message = f
        .get_with(
            &format!("/api/v1/images/{}?format=spdx", digest("app index")),
            Some(&f.read),
        )
        .await
        .assert_error(StatusCode::BAD_REQUEST, "bad_request");
    assert!(
        message.contains(&digest("app index arm64").to_string()),
        "{message}"
    );
}

#[tokio::test]
async fn unknown_or_malformed_image_digests_are_clear_errors() {
    let f = fixture().await;
    let unknown = digest("never stored");
    let message = f
        .get_with(&format!("/api/v1/images/{unknown}"), Some(&f.read))
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
    assert!(message.contains(&unknown.to_string()), "{message}");
    // A tag whose manifest was never fetched has nothing to report either.
    f.get_with(
        &format!("/api/v1/images/{}", digest("edge image")),
        Some(&f.read),
    )
    .await
    .assert_error(StatusCode::NOT_FOUND, "not_found");
    let message = f
        .get_with("/api/v1/images/latest", Some(&f.read))
        .await
        .assert_error(StatusCode::BAD_REQUEST, "bad_request");
    assert!(
        message.contains("`latest` is not an image digest"),
        "{message}"
    );
    f.get_with(
        &format!("/api/v1/images/{}?format=pdf", digest("app index amd64")),
        Some(&f.read),
    )
    .await
    .assert_error(StatusCode::BAD_REQUEST, "bad_request");
}

#[tokio::test]
async fn repositories_sum_their_images_rows_and_sort_and_page() {
    let f = fixture().await;
    let all = f.get_json("/api/v1/repositories").await;
    let images = f.get_json("/api/v1/images?per_page=500").await;
    let rows = images["items"].as_array().unwrap();
    assert!(all["total"].as_u64().unwrap() >= 1, "{all}");
    for repository in all["items"].as_array().unwrap() {
        // Each repository's counts are the sums of its rows in the images list.
        let mine: Vec<_> = rows
            .iter()
            .filter(|r| {
                r["registry"] == repository["registry"]
                    && r["repository"] == repository["repository"]
            })
            .collect();
        assert_eq!(
            repository["images"].as_u64().unwrap(),
            mine.len() as u64,
            "{repository}"
        );
        for severity in ["critical", "high", "medium", "low", "unknown"] {
            let summed: u64 = mine
                .iter()
                .map(|r| r["counts"][severity].as_u64().unwrap())
                .sum();
            assert_eq!(
                repository["counts"][severity].as_u64().unwrap(),
                summed,
                "{severity}: {repository}"
            );
        }
    }
    let registry = all["items"][0]["registry"].as_str().unwrap().to_owned();
    let one = f
        .get_json(&format!(
            "/api/v1/repositories?registry={registry}&per_page=1&sort=critical&order=desc"
        ))
        .await;
    assert_eq!(one["per_page"], 1);
    assert!(one["items"].as_array().unwrap().len() <= 1);
    assert_eq!(
        f.get_json("/api/v1/repositories?registry=nowhere.example")
            .await["total"],
        0
    );
    f.get_with("/api/v1/repositories?sort=name", Some(&f.read))
        .await
        .assert_error(StatusCode::BAD_REQUEST, "bad_request");
}
