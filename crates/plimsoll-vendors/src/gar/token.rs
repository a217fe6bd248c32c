//! OAuth2 access tokens of a service account: the JWT bearer grant (RFC 7523) against the
//! key's own `token_uri`, done by `gcp_auth` (assertion signed RS256 with the key, `iss` the
//! account, `aud` the `token_uri`, scope `cloud-platform`, valid one hour). The token goes
//! into a [`SharedCredentials`] as `oauth2accesstoken` + token, which the registry client
//! reads per request and the Artifact Registry API calls read as a bearer token; a background
//! task replaces it before it expires (five minutes before, or halfway through a shorter life).
//!
//! Each grant uses a fresh `gcp_auth` account: one kept across grants would hand back its
//! cached token until 20 s before expiry, too late to renew with room for a failure. The key
//! goes to `gcp_auth` only; the token is never logged.

use std::sync::Arc;
use std::time::Duration;

use gcp_auth::TokenProvider as _;
use plimsoll_registry::{Credentials, SharedCredentials};
use tokio::task::JoinHandle;

use crate::gar::key::ServiceAccountKey;
use crate::{Error, Result};

/// The scope asked for: Artifact Registry's API and the registry itself accept it.
pub(crate) const SCOPE: &str = "https://www.googleapis.com/auth/cloud-platform";

/// The user name registries take with an access token as password.
pub(crate) const TOKEN_USER: &str = "oauth2accesstoken";

/// Renew this long before expiry when the token lives long enough.
const MARGIN: Duration = Duration::from_mins(5);
/// Never sooner than this (a token endpoint answering `expires_in: 0` must not make a loop).
const MIN_WAIT: Duration = Duration::from_secs(1);
/// After a failed renewal, try again this much later.
const RETRY_WAIT: Duration = Duration::from_secs(30);

/// The refresher of one service account's token; stops when dropped.
#[derive(Debug)]
pub(crate) struct RefreshTask(JoinHandle<()>);

impl Drop for RefreshTask {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Gets the first token (an error here means the key or its token endpoint does not work)
/// and starts its refresher.
pub(crate) async fn start(
    key: Arc<ServiceAccountKey>,
    registry: String,
) -> Result<(SharedCredentials, RefreshTask)> {
    let (token, wait) = grant(&key, &registry).await?;
    let shared = SharedCredentials::new(Credentials::new(TOKEN_USER, token));
    let slot = shared.clone();
    let task = tokio::spawn(async move {
        let mut wait = wait;
        loop {
            tokio::time::sleep(wait).await;
            match grant(&key, &registry).await {
                Ok((token, next)) => {
                    slot.set(Credentials::new(TOKEN_USER, token));
                    tracing::debug!(%registry, account = %key.client_email(), "Google access token renewed");
                    wait = next;
                }
                Err(e) => {
                    tracing::warn!(%registry, "renewing the Google access token: {e}; retrying in 30 seconds");
                    wait = RETRY_WAIT;
                }
            }
        }
    });
    Ok((shared, RefreshTask(task)))
}

/// One access token, and how long to wait before renewing it.
async fn grant(key: &ServiceAccountKey, registry: &str) -> Result<(String, Duration)> {
    let failed = |reason: String| Error::Google {
        registry: registry.to_owned(),
        account: key.client_email().to_owned(),
        token_host: key.token_uri().host_str().unwrap_or_default().to_owned(),
        reason,
    };
    // gcp_auth's errors name what failed ("token request failed", "failed to parse PKCS#8
    // RSA key pair") and never hold the key, the assertion or the token.
    let account =
        gcp_auth::CustomServiceAccount::from_json(key.json()).map_err(|e| failed(e.to_string()))?;
    let token = account
        .token(&[SCOPE])
        .await
        .map_err(|e| failed(e.to_string()))?;
    let remaining =
        token.expires_at().timestamp() - time::OffsetDateTime::now_utc().unix_timestamp();
    let remaining = u64::try_from(remaining).map_or(Duration::ZERO, Duration::from_secs);
    Ok((token.as_str().to_owned(), renew_after(remaining)))
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
