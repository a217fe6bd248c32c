//! The registry password of one ECR registry: `GetAuthorizationToken` answers base64 of
//! `AWS:<password>`, valid 12 hours, renewed an hour before it expires
//! ([`crate::renewal`]). The token is never logged: errors name the registry and the AWS error,
//! not the answer.

use std::time::Duration;

use base64::Engine as _;
use plimsoll_registry::{Credentials, SharedCredentials};

use crate::renewal::{RefreshTask, keep_renewed};
use crate::{Error, Result};

/// Renew this long before expiry.
const MARGIN: Duration = Duration::from_hours(1);
/// Never sooner than this (an expiry already past, as emulators answer, must not spin).
const MIN_WAIT: Duration = Duration::from_mins(5);

/// Fetches the first token (an error here means the account cannot use ECR in this region)
/// and keeps it renewed.
pub(crate) async fn start(
    ecr: aws_sdk_ecr::Client,
    host: String,
) -> Result<(SharedCredentials, RefreshTask)> {
    let registry = host.clone();
    keep_renewed("ECR authorization token", registry, MIN_WAIT, move || {
        let (ecr, host) = (ecr.clone(), host.clone());
        async move { fetch(&ecr, &host).await }
    })
    .await
}

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
