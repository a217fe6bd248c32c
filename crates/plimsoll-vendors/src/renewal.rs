//! Pull credentials a vendor issues for a while (ECR's authorization token, Google's access
//! token), kept current by a background task: the first ones are fetched before the registry
//! is used (so a refusal is reported at once), then each answer says when to fetch again.
//! The registry client reads the [`SharedCredentials`] per request, so a long `plimsoll serve`
//! never pulls with stale ones. Failures are logged (never with the credentials) and retried.

use std::future::Future;
use std::time::Duration;

use plimsoll_registry::{Credentials, SharedCredentials};
use tokio::task::JoinHandle;

use crate::Result;

/// The renewal of one registry's credentials; stops when dropped.
#[derive(Debug)]
pub struct RefreshTask(JoinHandle<()>);

impl Drop for RefreshTask {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Calls `fetch` once (its error is the caller's) and starts renewing: after each success it
/// waits the duration `fetch` returned, after a failure `retry`. `what` names the credentials
/// in log lines (`ECR authorization token`).
pub(crate) async fn keep_renewed<F, Fut>(
    what: &'static str,
    registry: String,
    retry: Duration,
    fetch: F,
) -> Result<(SharedCredentials, RefreshTask)>
where
    F: Fn() -> Fut + Send + 'static,
    Fut: Future<Output = Result<(Credentials, Duration)>> + Send,
{
    let (credentials, wait) = fetch().await?;
    let shared = SharedCredentials::new(credentials);
    let slot = shared.clone();
    let task = tokio::spawn(async move {
        let mut wait = wait;
        loop {
            tokio::time::sleep(wait).await;
            match fetch().await {
                Ok((credentials, next)) => {
                    slot.set(credentials);
                    tracing::debug!(%registry, "{what} renewed");
                    wait = next;
                }
                Err(e) => {
                    tracing::warn!(%registry, "renewing the {what}: {e}; retrying in {}", humanize(retry));
                    wait = retry;
                }
            }
        }
    });
    Ok((shared, RefreshTask(task)))
}

fn humanize(wait: Duration) -> String {
    match wait.as_secs() {
        s if s >= 60 && s % 60 == 0 => format!("{} minutes", s / 60),
        s => format!("{s} seconds"),
    }
}
