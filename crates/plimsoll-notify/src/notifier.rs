//! The configured sinks, and fan-out of one event to those that want it.

use std::net::SocketAddr;
use std::time::Duration;

use futures_util::future::join_all;
use secrecy::SecretString;

use plimsoll_types::Severity;

use crate::config::{NotificationConfig, RetryConfig, SinkConfig, SyslogProtocol};
use crate::delivery::{Delivery, Outcome};
use crate::event::{Event, EventKind};
use crate::{Error, Result, http, syslog};

/// Sends events to every configured sink. Cheap to share behind an `Arc`.
#[derive(Debug)]
pub struct Notifier {
    sinks: Vec<Sink>,
}

#[derive(Debug)]
struct Sink {
    name: String,
    events: Vec<EventKind>,
    min_severity: Severity,
    kind: SinkKind,
}

#[derive(Debug)]
enum SinkKind {
    Webhook {
        client: reqwest::Client,
        url: SecretString,
        secret: Option<SecretString>,
        retry: RetryConfig,
    },
    Slack {
        client: reqwest::Client,
        url: SecretString,
        retry: RetryConfig,
    },
    Syslog {
        address: SocketAddr,
        protocol: SyslogProtocol,
        facility: crate::Facility,
        hostname: String,
    },
}

fn http_client(name: &str, url: &str, retry: &RetryConfig) -> Result<reqwest::Client> {
    let parsed = url::Url::parse(url).map_err(|_| Error::InvalidUrl {
        sink: name.to_owned(),
    })?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host().is_none() {
        return Err(Error::InvalidUrl {
            sink: name.to_owned(),
        });
    }
    if retry.max_attempts == 0 {
        return Err(Error::ZeroAttempts {
            sink: name.to_owned(),
        });
    }
    reqwest::Client::builder()
        .user_agent(concat!("plimsoll/", env!("CARGO_PKG_VERSION")))
        .timeout(Duration::from_millis(retry.timeout_ms))
        // A redirect would re-send a signed body somewhere the operator did not configure.
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|source| Error::HttpClient {
            sink: name.to_owned(),
            source,
        })
}

impl Notifier {
    /// Builds the sinks, checking URLs and addresses now rather than at the first event.
    pub fn new(configs: &[NotificationConfig]) -> Result<Notifier> {
        let mut hostname = None;
        let mut sinks = Vec::with_capacity(configs.len());
        for (index, config) in configs.iter().enumerate() {
            let type_name = match &config.sink {
                SinkConfig::Webhook(_) => "webhook",
                SinkConfig::Slack(_) => "slack",
                SinkConfig::Syslog(_) => "syslog",
            };
            let name = config
                .name
                .clone()
                .unwrap_or_else(|| format!("{type_name}#{index}"));
            let kind = match &config.sink {
                SinkConfig::Webhook(w) => SinkKind::Webhook {
                    client: http_client(&name, &w.url, &w.retry)?,
                    url: SecretString::from(w.url.clone()),
                    secret: w.secret.clone(),
                    retry: w.retry,
                },
                SinkConfig::Slack(s) => {
                    use secrecy::ExposeSecret as _;
                    SinkKind::Slack {
                        client: http_client(&name, s.url.expose_secret(), &s.retry)?,
                        url: s.url.clone(),
                        retry: s.retry,
                    }
                }
                SinkConfig::Syslog(s) => SinkKind::Syslog {
                    address: s.address.parse().map_err(|_| Error::InvalidAddress {
                        sink: name.clone(),
                        address: s.address.clone(),
                    })?,
                    protocol: s.protocol,
                    facility: s.facility,
                    hostname: match &s.hostname {
                        Some(h) => h.clone(),
                        None => hostname.get_or_insert_with(syslog::local_hostname).clone(),
                    },
                },
            };
            sinks.push(Sink {
                name,
                events: config.events.clone(),
                min_severity: config.min_severity,
                kind,
            });
        }
        Ok(Notifier { sinks })
    }

    /// Sends `event` to every sink whose `events` filter and `min_severity` let it through, all
    /// at once; never fails the caller. Returns one [`Delivery`] per sink addressed (sinks that
    /// filtered the event out are not listed).
    pub async fn notify(&self, event: &Event) -> Vec<Delivery> {
        let sends = self.sinks.iter().filter_map(|sink| {
            if !sink.events.is_empty() && !sink.events.contains(&event.kind()) {
                return None;
            }
            let event = event.at_or_above(sink.min_severity)?;
            Some(async move { sink.send(&event).await })
        });
        join_all(sends).await
    }
}

impl Sink {
    async fn send(&self, event: &Event) -> Delivery {
        let (attempts, retry_delays, outcome) = match &self.kind {
            SinkKind::Webhook {
                client,
                url,
                secret,
                retry,
            } => {
                let body = match serde_json::to_vec(event) {
                    Ok(body) => body,
                    Err(e) => {
                        return self.failed(event, format!("cannot serialise the event: {e}"));
                    }
                };
                let headers = http::webhook_headers(event, &body, secret.as_ref());
                let r = http::post(client, &self.name, url, headers, body, retry).await;
                (r.attempts, r.retry_delays, r.outcome)
            }
            SinkKind::Slack { client, url, retry } => {
                let body = http::slack_payload(event).to_string().into_bytes();
                let mut headers = reqwest::header::HeaderMap::new();
                headers.insert(
                    reqwest::header::CONTENT_TYPE,
                    reqwest::header::HeaderValue::from_static("application/json"),
                );
                let r = http::post(client, &self.name, url, headers, body, retry).await;
                (r.attempts, r.retry_delays, r.outcome)
            }
            SinkKind::Syslog {
                address,
                protocol,
                facility,
                hostname,
            } => {
                let message =
                    syslog::format_message(event, *facility, hostname, std::process::id());
                match syslog::send(*address, *protocol, &message).await {
                    Ok(()) => (1, Vec::new(), Outcome::Sent),
                    Err(e) => {
                        tracing::warn!(sink = self.name, error = %e, "syslog notification failed");
                        (1, Vec::new(), Outcome::Failed(e.to_string()))
                    }
                }
            }
        };
        Delivery {
            sink: self.name.clone(),
            event_id: event.meta().event_id,
            attempts,
            retry_delays,
            outcome,
        }
    }

    fn failed(&self, event: &Event, error: String) -> Delivery {
        tracing::warn!(sink = self.name, error, "notification failed");
        Delivery {
            sink: self.name.clone(),
            event_id: event.meta().event_id,
            attempts: 0,
            retry_delays: Vec::new(),
            outcome: Outcome::Failed(error),
        }
    }
}
