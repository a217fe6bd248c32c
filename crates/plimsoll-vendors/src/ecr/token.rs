//! The registry password of one ECR registry: `GetAuthorizationToken` answers base64 of
//! `AWS:<password>`, valid 12 hours. It goes into a [`SharedCredentials`] that the registry
//! client reads per request; a background task replaces it an hour before it expires, so a
//! long `plimsoll serve` never pulls with a stale one. The token is never logged: errors name
//! the registry and the AWS error, not the answer.

use std::time::Duration;

use base64::Engine as _;
use plimsoll_registry::{Credentials, SharedCredentials};
use tokio::task::JoinHandle;

use crate::{Error, Result};

/// Renew this long before expiry.
const MARGIN: Duration = Duration::from_hours(1);
/// Never sooner than this (an expiry already past, as emulators answer, must not spin).
const MIN_WAIT: Duration = Duration::from_mins(5);

/// The refresher of one registry's token; stops when dropped.
#[derive(Debug)]
pub struct RefreshTask(JoinHandle<()>);

impl Drop for RefreshTask {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Fetches the first token (an error here means the account cannot use ECR in this region)
/// and starts its refresher.
pub(crate) async fn start(
    ecr: aws_sdk_ecr::Client,
    host: String,
) -> Result<(SharedCredentials, RefreshTask)> {
    let (credentials, wait) = fetch(&ecr, &host).await?;
    let shared = SharedCredentials::new(credentials);
    let slot = shared.clone();
    let task = tokio::spawn(async move {
        let mut wait = wait;
        loop {
            tokio::time::sleep(wait).await;
            match fetch(&ecr, &host).await {
                Ok((credentials, next)) => {
                    slot.set(credentials);
                    tracing::debug!(registry = %host, "ECR authorization token renewed");
                    wait = next;
                }
                Err(e) => {
                    tracing::warn!(registry = %host, "renewing the ECR authorization token: {e}; retrying in 5 minutes");
                    wait = MIN_WAIT;
                }
            }
        }
    });
    Ok((shared, RefreshTask(task)))
}

/// One token, and how long to wait before renewing it.
async fn fetch(ecr: &aws_sdk_ecr::Client, host: &str) -> Result<(Credentials, Duration)> {
    let error = |reason: String| Error::Aws {
        target: host.to_owned(),
        action: "GetAuthorizationToken",
        reason,
    };
    let answer = ecr
        .get_authorization_token()
        .send()
        .await
        .map_err(|e| error(crate::ecr::describe(&e)))?;
    let data = answer
        .authorization_data()
        .first()
        .ok_or_else(|| error("the answer holds no authorization data".into()))?;
    let credentials = decode(data.authorization_token().unwrap_or_default())
        .ok_or_else(|| error("the token is not base64 of user:password".into()))?;
    let remaining = data
        .expires_at()
        .map(|t| t.secs() - time::OffsetDateTime::now_utc().unix_timestamp())
        .and_then(|s| u64::try_from(s).ok())
        .map_or(Duration::ZERO, Duration::from_secs);
    Ok((credentials, renew_after(remaining)))
}

fn decode(token: &str) -> Option<Credentials> {
    let raw = base64::engine::general_purpose::STANDARD
        .decode(token.trim())
        .ok()?;
    let text = String::from_utf8(raw).ok()?;
    let (user, password) = text.split_once(':')?;
    Some(Credentials::new(user, password))
}

fn renew_after(remaining: Duration) -> Duration {
    remaining.saturating_sub(MARGIN).max(MIN_WAIT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_decode_to_user_and_password() {
        let token = base64::engine::general_purpose::STANDARD.encode("AWS:pa:ss");
        assert_eq!(decode(&token), Some(Credentials::new("AWS", "pa:ss")));
        assert_eq!(decode("not base64!"), None);
        let no_colon = base64::engine::general_purpose::STANDARD.encode("AWS");
        assert_eq!(decode(&no_colon), None);
    }

    #[test]
    fn renewal_comes_an_hour_early_but_never_in_a_loop() {
        let twelve_hours = Duration::from_hours(12);
        assert_eq!(renew_after(twelve_hours), Duration::from_hours(11));
        assert_eq!(renew_after(Duration::ZERO), MIN_WAIT);
        assert_eq!(renew_after(Duration::from_secs(3700)), MIN_WAIT);
    }
}
