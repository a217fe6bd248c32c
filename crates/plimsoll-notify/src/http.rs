//! The HTTP sinks: the signed JSON webhook and the Slack incoming webhook, which share one
//! POST-with-retries loop.

use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, HeaderMap, HeaderValue, RETRY_AFTER};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};

use plimsoll_types::Severity;

use crate::config::RetryConfig;
use crate::delivery::Outcome;
use crate::event::Event;
use crate::hmac::hmac_sha256;

/// How one POST ended after its retries.
pub(crate) struct PostResult {
    pub(crate) attempts: u32,
    pub(crate) retry_delays: Vec<Duration>,
    pub(crate) outcome: Outcome,
}

/// The delay before attempt `failed + 1`: `base · 2^(failed-1)`, raised to the server's
/// `Retry-After` when it asks for longer, and never above `retry_max_ms` (so a hostile or
/// confused receiver cannot park a notification for hours).
pub(crate) fn retry_delay(
    retry: &RetryConfig,
    failed: u32,
    retry_after: Option<Duration>,
) -> Duration {
    let factor = 1u64
        .checked_shl(failed.saturating_sub(1))
        .unwrap_or(u64::MAX);
    let backoff = Duration::from_millis(retry.retry_base_ms.saturating_mul(factor));
    let wanted = retry_after.map_or(backoff, |after| after.max(backoff));
    wanted.min(Duration::from_millis(retry.retry_max_ms))
}

/// `Retry-After` in delta-seconds; the HTTP-date form is rare from webhook receivers and is
/// ignored (plain backoff applies).
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let seconds: u64 = headers
        .get(RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()?;
    Some(Duration::from_secs(seconds))
}

/// POST `body` until it is accepted, a non-retryable answer comes, or attempts run out.
/// Retried: connection errors and timeouts, 429 and 5xx. Errors are logged without the URL,
/// which for Slack is the credential.
pub(crate) async fn post(
    client: &reqwest::Client,
    sink: &str,
    url: &SecretString,
    headers: HeaderMap,
    body: Vec<u8>,
    retry: &RetryConfig,
) -> PostResult {
    let mut retry_delays = Vec::new();
    let mut attempts = 0;
    loop {
        attempts += 1;
        let sent = client
            .post(url.expose_secret())
            .headers(headers.clone())
            .body(body.clone())
            .send()
            .await;
        let (error, after) = match sent {
            Ok(response) if response.status().is_success() => {
                return PostResult {
                    attempts,
                    retry_delays,
                    outcome: Outcome::Sent,
                };
            }
            Ok(response) => {
                let status = response.status();
                let error = format!("HTTP {status}");
                if status != StatusCode::TOO_MANY_REQUESTS && !status.is_server_error() {
                    tracing::warn!(sink, attempts, %status, "notification refused, not retried");
                    return PostResult {
                        attempts,
                        retry_delays,
                        outcome: Outcome::Failed(error),
                    };
                }
                (error, retry_after(response.headers()))
            }
            Err(e) => (e.without_url().to_string(), None),
        };
        if attempts >= retry.max_attempts {
            tracing::warn!(
                sink,
                attempts,
                error,
                "notification failed, attempts exhausted"
            );
            return PostResult {
                attempts,
                retry_delays,
                outcome: Outcome::Failed(error),
            };
        }
        let delay = retry_delay(retry, attempts, after);
        tracing::info!(
            sink,
            attempts,
            error,
            delay_ms = delay.as_millis(),
            "notification failed, retrying"
        );
        retry_delays.push(delay);
        tokio::time::sleep(delay).await;
    }
}

/// The webhook's headers: the event's type and id, and the signature when a secret is set.
pub(crate) fn webhook_headers(
    event: &Event,
    body: &[u8],
    secret: Option<&SecretString>,
) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert(
        "x-plimsoll-event",
        HeaderValue::from_static(event.kind().as_str()),
    );
    if let Ok(id) = HeaderValue::from_str(&event.meta().event_id.to_string()) {
        headers.insert("x-plimsoll-delivery", id);
    }
    if let Some(secret) = secret {
        let signature = format!(
            "sha256={}",
            hex::encode(hmac_sha256(secret.expose_secret().as_bytes(), body))
        );
        if let Ok(mut value) = HeaderValue::from_str(&signature) {
            value.set_sensitive(true);
            headers.insert("x-plimsoll-signature", value);
        }
    }
    headers
}

/// Slack's mrkdwn needs `&`, `<` and `>` escaped (api.slack.com, "Formatting text").
fn escape_mrkdwn(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Findings listed in a Slack message at most; the rest is counted.
const SLACK_MAX_FINDINGS: usize = 10;

/// The Slack payload: `text` is the notification's fallback, `blocks` the readable layout.
pub(crate) fn slack_payload(event: &Event) -> Value {
    let headline = escape_mrkdwn(&event.headline());
    let mut lines = Vec::new();
    match event {
        Event::RunFinished(e) => {
            lines.push(format!(
                "Run `{}` · {} → {}",
                escape_mrkdwn(&e.run_id),
                e.started_at,
                e.finished_at
            ));
        }
        Event::NewFindings(e) => {
            lines.push(format!("`{}`", e.digest));
            for f in e.findings.iter().take(SLACK_MAX_FINDINGS) {
                let icon = match f.severity {
                    Severity::Critical => ":red_circle:",
                    Severity::High => ":large_orange_circle:",
                    Severity::Medium | Severity::Low | Severity::Unknown => ":white_circle:",
                };
                let fixed = f
                    .fixed
                    .as_deref()
                    .map_or_else(|| "no fix".to_owned(), |v| format!("fixed in {v}"));
                lines.push(escape_mrkdwn(&format!(
                    "{icon} *{}* {} {} {} ({fixed})",
                    f.id, f.severity, f.package, f.installed
                )));
            }
            if e.findings.len() > SLACK_MAX_FINDINGS {
                lines.push(format!(
                    "… and {} more",
                    e.findings.len() - SLACK_MAX_FINDINGS
                ));
            }
        }
        Event::ImageStale(e) => lines.push(format!("Last scanned {}", e.last_scanned)),
        Event::DbUpdateFailed(e) => lines.push(match e.last_good_built_at {
            Some(at) => format!("Still using the database built {at}"),
            None => "No previous database is available".to_owned(),
        }),
    }
    json!({
        "text": event.headline(),
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": format!("*{headline}*")}},
            {"type": "section", "text": {"type": "mrkdwn", "text": lines.join("\n")}},
        ],
    })
}

#[cfg(test)]
mod tests {
    use plimsoll_types::Digest;

    use super::*;
    use crate::event::FindingSummary;

    fn retry(base: u64, max: u64) -> RetryConfig {
        RetryConfig {
            max_attempts: 5,
            retry_base_ms: base,
            retry_max_ms: max,
            timeout_ms: 1000,
        }
    }

    #[test]
    fn backoff_doubles_honours_retry_after_and_is_capped() {
        let r = retry(100, 1000);
        let ms = |failed, after: Option<u64>| {
            retry_delay(&r, failed, after.map(Duration::from_secs)).as_millis()
        };
        assert_eq!(
            [
                ms(1, None),
                ms(2, None),
                ms(3, None),
                ms(4, None),
                ms(5, None)
            ],
            [100, 200, 400, 800, 1000]
        );
        assert_eq!(ms(1, Some(0)), 100);
        assert_eq!(ms(1, Some(1)), 1000);
        assert_eq!(ms(1, Some(30)), 1000);
        assert_eq!(ms(64, None), 1000);
    }

    #[test]
    fn slack_text_is_readable_and_escaped() {
        let e = Event::new_findings(
            "reg/app:<1>",
            Digest::sha256_of(b"z"),
            "linux/arm64".parse().unwrap(),
            vec![FindingSummary {
                id: "CVE-2024-1".into(),
                severity: Severity::Critical,
                package: "zlib".into(),
                installed: "1.2".into(),
                fixed: None,
            }],
        );
        let payload = slack_payload(&e);
        assert_eq!(
            payload["text"],
            "1 new finding(s) in reg/app:<1> (linux/arm64): 1 critical, 0 high"
        );
        assert_eq!(
            payload["blocks"][0]["text"]["text"],
            "*1 new finding(s) in reg/app:&lt;1&gt; (linux/arm64): 1 critical, 0 high*"
        );
        let details = payload["blocks"][1]["text"]["text"].as_str().unwrap();
        assert!(
            details.ends_with(":red_circle: *CVE-2024-1* CRITICAL zlib 1.2 (no fix)"),
            "{details}"
        );
    }
}
