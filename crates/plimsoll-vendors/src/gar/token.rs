//! OAuth2 access tokens of a service account: the JWT bearer grant (RFC 7523) against the
//! key's own `token_uri` (assertion signed RS256 with the key, `iss` the account, `aud` the
//! `token_uri`, scope `cloud-platform`, valid one hour). The token goes into a
//! [`SharedCredentials`] as `oauth2accesstoken` + token, which the registry client reads per
//! request and the Artifact Registry API calls read as a bearer token, renewed before it
//! expires (five minutes before, or halfway through a shorter life; [`crate::renewal`]).
//!
//! `gcp_auth` signs (its [`gcp_auth::Signer`], on the tree's one crypto provider); the grant is
//! sent by the registry's own [`RegistryClient`], so it goes through the registry's `proxy`
//! (or `HTTPS_PROXY`), trusts its `ca_cert` and retries like every vendor call — `gcp_auth`'s
//! own token request reads none of those. The key and the assertion are never logged; the
//! assertion and the key's private half go nowhere but the token endpoint (the assertion).

use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use plimsoll_registry::{Credentials, RegistryClient, SharedCredentials};

use crate::gar::key::ServiceAccountKey;
use crate::renewal::{RefreshTask, keep_renewed};
use crate::{Error, Result};

/// The scope asked for: Artifact Registry's API and the registry itself accept it.
pub(crate) const SCOPE: &str = "https://www.googleapis.com/auth/cloud-platform";

/// The user name registries take with an access token as password.
pub(crate) const TOKEN_USER: &str = "oauth2accesstoken";

/// Renew this long before expiry when the token lives long enough.
const MARGIN: Duration = Duration::from_mins(5);
/// How long an assertion is valid (Google's maximum).
const ASSERTION_LIFE: Duration = Duration::from_hours(1);
/// Never sooner than this (a token endpoint answering `expires_in: 0` must not make a loop).
const MIN_WAIT: Duration = Duration::from_secs(1);
/// After a failed renewal, try again this much later.
const RETRY_WAIT: Duration = Duration::from_secs(30);

/// Gets the first token (an error here means the key or its token endpoint does not work)
/// and keeps it renewed.
pub(crate) async fn start(
    key: Arc<ServiceAccountKey>,
    registry: String,
    client: Arc<RegistryClient>,
) -> Result<(SharedCredentials, RefreshTask)> {
    let name = registry.clone();
    keep_renewed("Google access token", name, RETRY_WAIT, move || {
        let (key, registry, client) = (Arc::clone(&key), registry.clone(), Arc::clone(&client));
        async move {
            let (token, wait) = grant(&key, &registry, &client).await?;
            Ok((Credentials::new(TOKEN_USER, token), wait))
        }
    })
    .await
}

/// One access token, and how long to wait before renewing it.
async fn grant(
    key: &ServiceAccountKey,
    registry: &str,
    client: &RegistryClient,
) -> Result<(String, Duration)> {
    let failed = |reason: String| Error::Google {
        registry: registry.to_owned(),
        account: key.client_email().to_owned(),
        token_host: key.token_uri().host_str().unwrap_or_default().to_owned(),
        reason,
    };
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let assertion = assertion(key, now).map_err(failed)?;
    let answer = client
        .api_post_form(
            key.token_uri(),
            &[
                ("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"),
                ("assertion", &assertion),
            ],
        )
        .await
        .map_err(|e| failed(e.to_string()))?;
    let granted: Granted = answer
        .json()
        .map_err(|e| failed(format!("the token endpoint's answer: {e}")))?;
    if granted.access_token.is_empty() {
        return Err(failed("the token endpoint granted an empty token".into()));
    }
    let remaining = Duration::from_secs(granted.expires_in.unwrap_or(0));
    Ok((granted.access_token, renew_after(remaining)))
}

/// The token endpoint's answer (RFC 6749 §5.1).
#[derive(serde::Deserialize)]
struct Granted {
    access_token: String,
    expires_in: Option<u64>,
}

/// The signed JWT the grant sends: `header.claims.signature`, each base64url without padding.
fn assertion(key: &ServiceAccountKey, now: i64) -> std::result::Result<String, String> {
    // gcp_auth parses the key (its errors name what failed, never the key) and signs.
    let account =
        gcp_auth::CustomServiceAccount::from_json(key.json()).map_err(|e| e.to_string())?;
    let header = serde_json::json!({"alg": "RS256", "typ": "JWT"});
    let expires = now.saturating_add(i64::try_from(ASSERTION_LIFE.as_secs()).unwrap_or(3600));
    let claims = serde_json::json!({
        "iss": key.client_email(),
        "scope": SCOPE,
        "aud": key.token_uri().as_str(),
        "iat": now,
        "exp": expires,
    });
    let signed = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let signature = account
        .signer()
        .sign(signed.as_bytes())
        .map_err(|e| e.to_string())?;
    Ok(format!("{signed}.{}", URL_SAFE_NO_PAD.encode(signature)))
}

fn renew_after(remaining: Duration) -> Duration {
    if remaining > 2 * MARGIN {
        remaining.saturating_sub(MARGIN)
    } else {
        (remaining / 2).max(MIN_WAIT)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renewal_comes_early_but_never_in_a_loop() {
        // Google's tokens live an hour: renewed after 55 minutes.
        assert_eq!(
            renew_after(Duration::from_hours(1)),
            Duration::from_mins(55)
        );
        // Short lives: halfway.
        assert_eq!(renew_after(Duration::from_mins(8)), Duration::from_mins(4));
        assert_eq!(renew_after(Duration::from_secs(4)), Duration::from_secs(2));
        assert_eq!(renew_after(Duration::ZERO), MIN_WAIT);
    }
}
