//! The web UI through the router: login with a token or the admin password, the session
//! cookie, redirects without a session, a revoked token's session refused, CSRF checks on the
//! forms, hostile strings escaped, every page rendered over the fixture's store.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use tower::ServiceExt as _;

use plimsoll_server::{AppState, BoxFuture, RunHandle, RunReport, ScanRunner, Schedule, Scheduler};
use plimsoll_worker::RegistryConfig;

use crate::fixture::{Fixture, REGISTRY, fixture};
use crate::values::{ANALYZER, digest, image_meta, inventory};

const HOST: &str = "plimsoll.test:8080";

struct Page {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: String,
}

impl Page {
    fn location(&self) -> &str {
        self.headers
            .get(header::LOCATION)
            .map_or("", |v| v.to_str().unwrap())
    }
}

async fn send(app: &Router, request: Request<Body>) -> Page {
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let body = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    Page {
        status,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    }
}

async fn get(app: &Router, uri: &str, cookie: Option<&str>) -> Page {
    let mut request = Request::get(uri).header(header::HOST, HOST);
    if let Some(cookie) = cookie {
        request = request.header(header::COOKIE, cookie);
    }
    send(app, request.body(Body::empty()).unwrap()).await
}

/// A form POST from `origin` (a page of this server unless told otherwise).
async fn post(app: &Router, uri: &str, form: &str, cookie: Option<&str>, origin: &str) -> Page {
    let mut request = Request::post(uri)
        .header(header::HOST, HOST)
        .header(header::ORIGIN, origin)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    if let Some(cookie) = cookie {
        request = request.header(header::COOKIE, cookie);
    }
    send(app, request.body(Body::from(form.to_owned())).unwrap()).await
}

const SAME: &str = "http://plimsoll.test:8080";

/// Logs in with `token`; the `name=value` of the session cookie.
async fn login(app: &Router, token: &str) -> String {
    let page = post(app, "/login", &format!("token={token}"), None, SAME).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    assert_eq!(page.location(), "/");
    let cookie = page.headers[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .to_owned();
    cookie.split(';').next().unwrap().to_owned()
}

/// The CSRF token in a page's forms.
fn csrf(body: &str) -> String {
    let at = body.find("name=\"csrf\" value=\"").expect("a CSRF field") + 19;
    body[at..at + 64].to_owned()
}

fn app_over(f: &Fixture) -> Router {
    plimsoll_server::app(AppState::new(f.store.clone(), ANALYZER))
}

#[tokio::test]
async fn login_sets_a_strict_http_only_cookie_and_pages_need_it() {
    let f = fixture().await;
    let app = app_over(&f);
    for uri in [
        "/",
        "/registries",
        "/images",
        "/images.csv",
        "/registries/registry.example.com",
        "/repositories/registry.example.com/team/app",
        "/vulnerabilities/CVE-2024-0001",
    ] {
        let page = get(&app, uri, None).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{uri}");
        assert_eq!(page.location(), "/login", "{uri}");
    }
    // A made-up session id is no session either.
    let page = get(
        &app,
        "/",
        Some(&format!("plimsoll_session={}", "ab".repeat(32))),
    )
    .await;
    assert_eq!(page.location(), "/login");

    let login_page = get(&app, "/login", None).await;
    assert_eq!(login_page.status, StatusCode::OK);
    assert!(login_page.body.contains("name=\"token\""));
    assert!(
        login_page.headers[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap()
            .contains("script-src 'self'")
    );
    // No admin password is set: no password form.
    assert!(!login_page.body.contains("name=\"password\""));

    let bad = post(&app, "/login", "token=plm_nope", None, SAME).await;
    assert_eq!(bad.status, StatusCode::UNAUTHORIZED);
    assert!(bad.body.contains("unknown API token"));
    assert!(bad.headers.get(header::SET_COOKIE).is_none());
    let revoked = post(&app, "/login", &format!("token={}", f.revoked), None, SAME).await;
    assert_eq!(revoked.status, StatusCode::UNAUTHORIZED);
    assert!(revoked.body.contains("revoked"));

    let page = post(&app, "/login", &format!("token={}", f.read), None, SAME).await;
    let set_cookie = page.headers[header::SET_COOKIE].to_str().unwrap();
    let id = set_cookie
        .strip_prefix("plimsoll_session=")
        .unwrap()
        .split(';')
        .next()
        .unwrap();
    assert_eq!(id.len(), 64, "{set_cookie}");
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/", "Max-Age=28800"] {
        assert!(set_cookie.contains(attribute), "{set_cookie}");
    }
    // The token is nowhere in the cookie.
    assert!(!set_cookie.contains(&f.read));
    let cookie = format!("plimsoll_session={id}");

    let dashboard = get(&app, "/", Some(&cookie)).await;
    assert_eq!(dashboard.status, StatusCode::OK, "{}", dashboard.body);
    assert!(
        dashboard
            .body
            .contains("ci <span class=\"pill\">read</span>"),
        "the header names the token and its scope"
    );
    assert!(dashboard.body.contains("<svg id=\"severity-chart\""));
    // Logged in, /login goes to the dashboard.
    assert_eq!(get(&app, "/login", Some(&cookie)).await.location(), "/");

    // Logout needs the CSRF token, then ends the session.
    let token = csrf(&dashboard.body);
    let refused = post(&app, "/logout", "csrf=wrong", Some(&cookie), SAME).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let out = post(
        &app,
        "/logout",
        &format!("csrf={token}"),
        Some(&cookie),
        SAME,
    )
    .await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert!(
        out.headers[header::SET_COOKIE]
            .to_str()
            .unwrap()
            .contains("Max-Age=0")
    );
    assert_eq!(get(&app, "/", Some(&cookie)).await.location(), "/login");
}

#[tokio::test]
async fn a_revoked_tokens_session_ends_at_its_next_request() {
    let f = fixture().await;
    let app = app_over(&f);
    let (record, token) =
        plimsoll_server::create_token(&f.store, plimsoll_store::TokenScope::Read, "short-lived")
            .await
            .unwrap();
    let cookie = login(&app, &token).await;
    assert_eq!(
        get(&app, "/images", Some(&cookie)).await.status,
        StatusCode::OK
    );
    assert!(f.store.revoke_api_token(record.id).await.unwrap());
    let page = get(&app, "/images", Some(&cookie)).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(page.location(), "/login");
    // And the session is gone, not just refused once.
    assert_eq!(get(&app, "/", Some(&cookie)).await.location(), "/login");
}

#[tokio::test]
async fn the_admin_password_logs_in_with_admin_scope() {
    let f = fixture().await;
    let app = app_over(&f);
    assert!(
        plimsoll_server::ensure_admin_password(&f.store, "a long admin password")
            .await
            .unwrap()
    );
    assert!(
        get(&app, "/login", None)
            .await
            .body
            .contains("name=\"password\"")
    );
    let wrong = post(&app, "/login", "user=admin&password=guess", None, SAME).await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(wrong.body.contains("wrong user or password"));
    let other = post(
        &app,
        "/login",
        "user=root&password=a+long+admin+password",
        None,
        SAME,
    )
    .await;
    assert_eq!(other.status, StatusCode::UNAUTHORIZED);
    let ok = post(
        &app,
        "/login",
        "user=admin&password=a+long+admin+password",
        None,
        SAME,
    )
    .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    let cookie = ok.headers[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let page = get(&app, "/registries", Some(&cookie)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body
            .contains("admin <span class=\"pill\">admin</span>"),
        "{}",
        page.body
    );
}

#[tokio::test]
async fn a_login_from_another_site_is_refused() {
    let f = fixture().await;
    let app = app_over(&f);
    let page = post(
        &app,
        "/login",
        &format!("token={}", f.read),
        None,
        "http://evil.example",
    )
    .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert!(page.headers.get(header::SET_COOKIE).is_none());
}

/// Runs that never finish: a registry stays `running` once triggered.
struct Endless;

impl ScanRunner for Endless {
    fn scan(
        &self,
        _registry: RegistryConfig,
        started: RunHandle,
    ) -> BoxFuture<'static, Result<RunReport, String>> {
        Box::pin(async move {
            started.tell(1);
            std::future::pending().await
        })
    }
}

#[tokio::test]
async fn scan_now_is_admin_only_csrf_checked_and_shows_a_409_nicely() {
    let f = fixture().await;
    let mut lab = RegistryConfig::new("https://registry.example.com");
    lab.name = Some("lab".into());
    let scheduler = Scheduler::new(
        vec![(lab, Schedule::from_keys(None, None, None).unwrap())],
        Arc::new(Endless),
        time::OffsetDateTime::now_utc(),
    );
    scheduler.start();
    let app =
        plimsoll_server::app(AppState::new(f.store.clone(), ANALYZER).with_scheduler(scheduler));

    let read = login(&app, &f.read).await;
    let page = get(&app, "/registries", Some(&read)).await;
    assert!(page.body.contains(">lab</a>"), "{}", page.body);
    assert!(
        !page.body.contains("Scan now"),
        "read sessions get no button"
    );
    let token = csrf(&page.body);
    let refused = post(
        &app,
        "/registries/lab/scan",
        &format!("csrf={token}"),
        Some(&read),
        SAME,
    )
    .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);

    let admin = login(&app, &f.admin).await;
    let page = get(&app, "/registries", Some(&admin)).await;
    assert!(page.body.contains("Scan now"));
    let token = csrf(&page.body);
    // A cross-origin POST with the right token, and a same-origin one without it: refused.
    let cross = post(
        &app,
        "/registries/lab/scan",
        &format!("csrf={token}"),
        Some(&admin),
        "http://evil.example",
    )
    .await;
    assert_eq!(cross.status, StatusCode::FORBIDDEN);
    assert!(cross.body.contains("not sent from a page of this server"));
    let forged = post(&app, "/registries/lab/scan", "csrf=00", Some(&admin), SAME).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    // Another session's token is not this one's.
    let read_token = csrf(&get(&app, "/", Some(&read)).await.body);
    let swapped = post(
        &app,
        "/registries/lab/scan",
        &format!("csrf={read_token}"),
        Some(&admin),
        SAME,
    )
    .await;
    assert_eq!(swapped.status, StatusCode::FORBIDDEN);

    let queued = post(
        &app,
        "/registries/lab/scan",
        &format!("csrf={token}"),
        Some(&admin),
        SAME,
    )
    .await;
    assert_eq!(queued.status, StatusCode::ACCEPTED, "{}", queued.body);
    assert!(queued.body.contains("A scan of registry `lab` is queued."));
    let busy = post(
        &app,
        "/registries/lab/scan",
        &format!("csrf={token}"),
        Some(&admin),
        SAME,
    )
    .await;
    assert_eq!(busy.status, StatusCode::CONFLICT, "{}", busy.body);
    assert!(
        busy.body.contains("class=\"notice error\""),
        "{}",
        busy.body
    );
    assert!(
        busy.body.contains("a run of registry `lab` is already"),
        "{}",
        busy.body
    );
}

#[tokio::test]
async fn hostile_tag_and_package_names_are_escaped() {
    let f = fixture().await;
    let hostile = "<script>alert(1)</script>";
    let meta = image_meta("hostile image");
    f.store.put_manifest_meta(&meta).await.unwrap();
    let mut inv = inventory(&meta.digest, "linux/amd64", 0);
    inv.packages[0].name = format!("pkg{hostile}");
    f.store.put_inventory(&inv, ANALYZER).await.unwrap();
    f.store.put_findings(&meta.digest, None, &[]).await.unwrap();
    f.store
        .record_tags(
            REGISTRY,
            "team/app",
            &[(format!("t{hostile}"), meta.digest.clone())],
        )
        .await
        .unwrap();
    let app = app_over(&f);
    let cookie = login(&app, &f.read).await;
    for uri in [
        "/repositories/registry.example.com/team/app".to_owned(),
        "/images?repository=team%2Fapp".to_owned(),
        format!("/images/{}", meta.digest),
        // The path itself is shown on error pages.
        "/vulnerabilities/%3Cscript%3Ealert(1)%3C%2Fscript%3E".to_owned(),
    ] {
        let page = get(&app, &uri, Some(&cookie)).await;
        assert_eq!(page.status, StatusCode::OK, "{uri}: {}", page.body);
        assert!(!page.body.contains(hostile), "{uri} has the raw string");
        assert!(
            page.body.contains("&lt;script&gt;alert(1)&lt;/script&gt;")
                || page.body.contains("&#60;script&#62;"),
            "{uri}: {}",
            page.body
        );
    }
    // The CSV of the list carries it as data, as a CSV should.
    let csv = get(&app, "/images.csv?repository=team/app", Some(&cookie)).await;
    assert!(csv.body.contains(&format!("t{hostile}")));
}

#[tokio::test]
async fn pages_show_the_stores_images_findings_and_exports() {
    let f = fixture().await;
    let app = app_over(&f);
    let cookie = login(&app, &f.read).await;

    let dashboard = get(&app, "/", Some(&cookie)).await.body;
    // The fixture's rows: 1.4.2 and latest share the amd64 image with one critical finding.
    assert!(
        dashboard.contains("data-severity=\"critical\" data-count=\"2\""),
        "{dashboard}"
    );
    assert!(
        dashboard.contains("data-severity=\"high\" data-count=\"5\""),
        "{dashboard}"
    );
    assert!(
        dashboard.contains("/vulnerabilities/CVE-2024-35195"),
        "top CVEs"
    );

    let registries = get(&app, "/registries", Some(&cookie)).await.body;
    assert!(registries.contains("/registries/registry.example.com"));
    let registry = get(&app, "/registries/registry.example.com", Some(&cookie))
        .await
        .body;
    assert!(
        registry.contains("/repositories/registry.example.com/team/worker"),
        "{registry}"
    );
    assert_eq!(
        get(&app, "/registries/nowhere.example", Some(&cookie))
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    let tags = get(
        &app,
        "/repositories/registry.example.com/team/app",
        Some(&cookie),
    )
    .await
    .body;
    for tag in ["1.4.2", "latest", "edge"] {
        assert!(tags.contains(&format!(">{tag}</a>")), "{tag}: {tags}");
    }

    let amd64 = digest("app index amd64");
    let image = get(&app, &format!("/images/{amd64}"), Some(&cookie)).await;
    assert_eq!(image.status, StatusCode::OK, "{}", image.body);
    for part in [
        "id=\"vulnerabilities\"",
        "id=\"packages\"",
        "id=\"layers\"",
        "id=\"secrets\"",
        "id=\"config\"",
        "DSA-5678-1-2024-0001",
    ] {
        assert!(image.body.contains(part), "{part}");
    }
    // An index digest lists its platforms.
    let index = get(
        &app,
        &format!("/images/{}", digest("app index")),
        Some(&cookie),
    )
    .await
    .body;
    assert!(index.contains("linux/arm64/v8"), "{index}");

    let csv = get(
        &app,
        &format!("/images/{amd64}/findings.csv"),
        Some(&cookie),
    )
    .await;
    assert_eq!(csv.status, StatusCode::OK);
    assert_eq!(csv.headers[header::CONTENT_TYPE], "text/csv; charset=utf-8");
    assert!(
        csv.headers[header::CONTENT_DISPOSITION]
            .to_str()
            .unwrap()
            .starts_with("attachment")
    );
    let mut lines = csv.body.lines();
    assert_eq!(
        lines.next().unwrap(),
        "platform,id,aliases,package,installed,fixed_versions,status,severity,cvss_score,layer"
    );
    assert_eq!(lines.count(), 6);

    let list = get(&app, "/images.csv?severity=high", Some(&cookie))
        .await
        .body;
    let rows: Vec<&str> = list.lines().collect();
    assert!(
        rows[0]
            .starts_with("registry,repository,tag,platform,manifest_digest,status,critical,high")
    );
    assert_eq!(
        rows.len(),
        1 + 3,
        "1.4.2, latest (amd64) and worker: {list}"
    );
    assert_eq!(
        get(&app, "/images?severity=severe", Some(&cookie))
            .await
            .status,
        StatusCode::BAD_REQUEST
    );

    let cve = get(&app, "/vulnerabilities/cve-2024-35195", Some(&cookie))
        .await
        .body;
    assert!(
        cve.contains("GHSA-9wx4-h78v-vm56"),
        "the advisory from the affected image: {cve}"
    );
    assert!(cve.contains("team/worker"));

    // A browser's unknown page is an HTML 404; the API's stay JSON.
    let unknown = send(
        &app,
        Request::get("/no/such/page")
            .header(header::ACCEPT, "text/html,application/xhtml+xml")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert!(
        unknown.headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(unknown.body.contains("no route GET /no/such/page"));

    let css = get(&app, "/assets/plimsoll.css", None).await;
    assert_eq!(css.status, StatusCode::OK, "assets need no session");
    assert_eq!(css.headers[header::CONTENT_TYPE], "text/css; charset=utf-8");
    assert!(
        css.headers[header::CACHE_CONTROL]
            .to_str()
            .unwrap()
            .contains("max-age")
    );
    let js = get(&app, "/assets/plimsoll.js", None).await;
    assert_eq!(
        js.headers[header::CONTENT_TYPE],
        "text/javascript; charset=utf-8"
    );
    assert_eq!(
        get(&app, "/assets/nope.js", None).await.status,
        StatusCode::NOT_FOUND
    );
}
