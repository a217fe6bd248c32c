//! Harbor discovery against Stoplight Prism mocking Harbor's own API v2.0 spec
//! (`../shared/specs/swagger.yaml`, the shared reference copy, served with `/api/v2.0` prefixed to its paths by
//! `scripts/tools/prism.sh`). Prism validates every request against the spec (path, query
//! parameters and their bounds, security) and answers 422/400/401 to one it rejects, so a
//! request Plimsoll shapes wrongly fails here. Its answers are generated placeholders, so this
//! checks the requests and that the answers parse; the whole path with real images is
//! crates/plimsoll/tests/it/vendors/harbor.rs.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use plimsoll_registry::{ApiAuth, CredentialStore, Credentials};
use plimsoll_vendors::{Discovery, Endpoint, Harbor};

use crate::{client, skip};

/// A Prism mock of Harbor's spec on a free loopback port, killed on drop.
struct Prism {
    child: Child,
    url: url::Url,
}

impl Drop for Prism {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn prism() -> Option<Prism> {
    let (Ok(prism), Ok(spec)) = (
        std::env::var("PLIMSOLL_TOOLS_PRISM"),
        std::env::var("PLIMSOLL_TOOLS_HARBOR_SPEC"),
    ) else {
        skip("PLIMSOLL_TOOLS_PRISM not set (eval \"$(scripts/test-tools.sh)\")");
        return None;
    };
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(prism)
        .args(["mock", "--host", "127.0.0.1", "--port", &port.to_string()])
        // `--errors`: a request that violates the spec is answered with an error, not a mock.
        .args(["--errors", "--dynamic", "false", &spec])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start prism");
    let prism = Prism {
        child,
        url: url::Url::parse(&format!("http://127.0.0.1:{port}/")).unwrap(),
    };
    // Prism loads the 300 kB spec before it listens; wait for the port, generously.
    let deadline = Instant::now() + Duration::from_mins(3);
    while tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_err()
    {
        assert!(
            Instant::now() < deadline,
            "prism did not listen within 3 minutes"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    Some(prism)
}

#[tokio::test]
async fn harbor_requests_conform_to_harbors_spec() {
    let Some(prism) = prism().await else { return };
    let robot = Credentials::new("robot$library+scanner", "robot-secret");
    let mut store = CredentialStore::new();
    store.insert("harbor.example", robot.clone());
    let client = client(store);
    let harbor = Harbor::new(
        Endpoint::new("harbor.example", std::sync::Arc::clone(&client))
            .api_url(prism.url.clone())
            .api_credentials(Some(robot.clone())),
    );
    // projects → repositories: every request accepted, the placeholder names come back.
    let repositories = harbor.repositories(None).await.unwrap();
    assert!(!repositories.is_empty());
    // Artifacts of a plain and of a nested repository (the name encoded twice in the path).
    for repository in ["library/app", "library/team/app"] {
        let tags = harbor.tags(repository).await.unwrap();
        for tag in &tags {
            assert!(!tag.name.is_empty(), "{tag:?}");
        }
    }
    // The mock does reject what the spec forbids (page_size above its maximum of 100), so the
    // successes above mean something.
    let mut url = prism.url.join("api/v2.0/projects").unwrap();
    url.set_query(Some("page=1&page_size=1000"));
    let err = client
        .api_get(&url, ApiAuth::Basic(&robot))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("422"), "{err}");
}
