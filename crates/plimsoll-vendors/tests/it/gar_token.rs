//! Google access tokens at the crate's seam: `resolve` for `type = "gar"` with a throw-away
//! service-account key (`openssl genpkey`) against a loopback token endpoint. Checks the JWT
//! bearer grant's form and claims (RFC 7523; Google's
//! <https://developers.google.com/identity/protocols/oauth2/service-account#jwt-auth>) and that
//! the pull credentials are replaced by a renewed token before the first one expires. The
//! signature itself is verified against the public key in the binary's whole-path test
//! (`crates/plimsoll/tests/it/vendors/gar.rs`).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::routing::post;
use base64::Engine as _;
use serde_json::{Value, json};

use plimsoll_registry::RegistryClient;
use plimsoll_vendors::gar::{GcpOptions, PullAuth, ServiceAccountKey};
use plimsoll_vendors::{Endpoint, Vendor, VendorOptions, resolve};

fn private_key_pem() -> String {
    let out = std::process::Command::new("openssl")
        .args([
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
        ])
        .output()
        .expect("openssl");
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()
}

fn claims_of(assertion: &str) -> (Value, Value) {
    let part = |i: usize| -> Value {
        let text = assertion.split('.').nth(i).unwrap().trim_end_matches('=');
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(text)
            .unwrap();
        serde_json::from_slice(&bytes).unwrap()
    };
    (part(0), part(1))
}

#[tokio::test]
async fn access_tokens_are_granted_from_the_key_and_renewed_before_expiry() {
    // (form body) of every grant request.
    let bodies: Arc<Mutex<Vec<String>>> = Arc::default();
    let seen = Arc::clone(&bodies);
    let app = Router::new().route(
        "/token",
        post(move |body: String| {
            let seen = Arc::clone(&seen);
            async move {
                let mut bodies = seen.lock().unwrap();
                bodies.push(body);
                // Two seconds of life: renewed after one.
                axum::Json(json!({
                    "access_token": format!("ya29.unit-{}", bodies.len()),
                    "expires_in": 2,
                    "token_type": "Bearer"
                }))
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let token_uri = format!("http://{addr}/token");

    let key_json = json!({
        "type": "service_account",
        "project_id": "lab",
        "private_key": private_key_pem(),
        "client_email": "unit@lab.iam.gserviceaccount.com",
        "token_uri": token_uri,
    })
    .to_string();
    let key = ServiceAccountKey::parse(&key_json).unwrap();
    let client = Arc::new(RegistryClient::builder().build().unwrap());
    let options = VendorOptions {
        gcp: Some(GcpOptions {
            key: Some(Arc::new(key)),
            pull_auth: PullAuth::AccessToken,
            location: None,
        }),
        ..VendorOptions::default()
    };
    let resolved = resolve(
        Vendor::Gar,
        Endpoint::new("europe-west1-docker.pkg.dev", client),
        &options,
    )
    .await
    .unwrap();
    assert_eq!(resolved.len(), 1);
    assert_eq!(
        resolved[0].discovery.registry(),
        "europe-west1-docker.pkg.dev"
    );
    let pull = resolved[0].credentials.clone().unwrap();
    assert_eq!(pull.get().username(), "oauth2accesstoken");
    assert_eq!(pull.get().password(), "ya29.unit-1");

    // Renewed (a second grant) while the discovery lives.
    let deadline = Instant::now() + Duration::from_mins(1);
    while pull.get().password() == "ya29.unit-1" {
        assert!(Instant::now() < deadline, "the token was never renewed");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(pull.get().password().starts_with("ya29.unit-"));

    let bodies = bodies.lock().unwrap().clone();
    assert!(bodies.len() >= 2, "{bodies:?}");
    for body in &bodies {
        let form: std::collections::BTreeMap<String, String> =
            url::form_urlencoded::parse(body.as_bytes())
                .into_owned()
                .collect();
        assert_eq!(
            form.keys().map(String::as_str).collect::<Vec<_>>(),
            ["assertion", "grant_type"]
        );
        assert_eq!(
            form["grant_type"],
            "urn:ietf:params:oauth:grant-type:jwt-bearer"
        );
        let (header, claims) = claims_of(&form["assertion"]);
        assert_eq!(header["alg"], "RS256");
        assert_eq!(claims["iss"], "unit@lab.iam.gserviceaccount.com");
        assert_eq!(claims["aud"], token_uri.as_str());
        assert_eq!(
            claims["scope"],
            "https://www.googleapis.com/auth/cloud-platform"
        );
        let (iat, exp) = (
            claims["iat"].as_i64().unwrap(),
            claims["exp"].as_i64().unwrap(),
        );
        assert!(exp > iat && exp - iat <= 3600, "{claims}");
        // No key material in the claims.
        assert!(!claims.to_string().contains("PRIVATE KEY"));
    }
}
