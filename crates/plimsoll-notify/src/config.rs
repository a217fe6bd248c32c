//! Sink configuration: one `[[notifications]]` table per sink.

use secrecy::SecretString;
use serde::Deserialize;

use plimsoll_types::Severity;

use crate::event::EventKind;

/// One configured sink: its kind and settings, the events it wants and the lowest finding
/// severity it is told about.
///
/// ```toml
/// [[notifications]]
/// type = "webhook"
/// url = "https://hooks.example.com/plimsoll"
/// secret = "change me"
/// events = ["run.finished", "findings.new"]
/// min_severity = "HIGH"
/// ```
#[derive(Clone, Debug, Deserialize)]
#[serde(remote = "Self")] // the derived parser; the `Deserialize` impl below checks keys first
pub struct NotificationConfig {
    /// A name for logs and outcomes; defaults to `<type>#<index>`.
    #[serde(default)]
    pub name: Option<String>,
    /// The events this sink receives; empty (the default) means all.
    #[serde(default)]
    pub events: Vec<EventKind>,
    /// New-findings events keep only findings at or above this (default `HIGH`: critical and
    /// high), and are not sent at all when none is left.
    #[serde(default = "default_min_severity")]
    pub min_severity: Severity,
    /// The sink itself, chosen by `type`.
    #[serde(flatten)]
    pub sink: SinkConfig,
}

/// Keys every sink takes.
const COMMON_KEYS: &[&str] = &["type", "name", "events", "min_severity"];
/// Keys of the HTTP sinks' [`RetryConfig`].
const RETRY_KEYS: &[&str] = &[
    "max_attempts",
    "retry_base_ms",
    "retry_max_ms",
    "timeout_ms",
];

impl<'de> Deserialize<'de> for NotificationConfig {
    /// Refuses unknown keys, which `#[serde(deny_unknown_fields)]` cannot do through
    /// `flatten`: a misspelt `secret` must not silently send unsigned webhooks.
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error as _;
        let map = serde_json::Map::<String, serde_json::Value>::deserialize(deserializer)?;
        let own: &[&str] = match map.get("type").and_then(serde_json::Value::as_str) {
            Some("webhook") => &["url", "secret"],
            Some("slack") => &["url"],
            Some("syslog") => &["address", "protocol", "facility", "hostname"],
            // The derived parser names the missing or unknown `type`.
            _ => &[],
        };
        let http = matches!(
            map.get("type").and_then(serde_json::Value::as_str),
            Some("webhook" | "slack")
        );
        for key in map.keys() {
            let known = COMMON_KEYS.contains(&key.as_str())
                || own.contains(&key.as_str())
                || (http && RETRY_KEYS.contains(&key.as_str()));
            if !known && !own.is_empty() {
                return Err(D::Error::custom(format!(
                    "unknown key `{key}` in a notification sink"
                )));
            }
        }
        NotificationConfig::deserialize(serde_json::Value::Object(map)).map_err(D::Error::custom)
    }
}

fn default_min_severity() -> Severity {
    Severity::High
}

/// The kinds of sink, by their `type`.
#[derive(Clone, Debug, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
#[non_exhaustive]
pub enum SinkConfig {
    /// A signed JSON POST.
    Webhook(WebhookConfig),
    /// A Slack (or compatible: Mattermost, Rocket.Chat) incoming webhook.
    Slack(SlackConfig),
    /// RFC 5424 syslog over UDP or TCP.
    Syslog(SyslogConfig),
}

/// Retries of the HTTP sinks: exponential backoff from `retry_base_ms`, doubled per attempt,
/// never longer than `retry_max_ms` (which also caps a server's `Retry-After`).
#[derive(Clone, Copy, Debug, Deserialize)]
pub struct RetryConfig {
    /// Attempts in all, the first included (default 5).
    #[serde(default = "default_max_attempts")]
    pub max_attempts: u32,
    /// The first retry's delay in milliseconds (default 1000).
    #[serde(default = "default_retry_base_ms")]
    pub retry_base_ms: u64,
    /// The longest delay in milliseconds (default 60000).
    #[serde(default = "default_retry_max_ms")]
    pub retry_max_ms: u64,
    /// Per-request timeout in milliseconds (default 10000).
    #[serde(default = "default_timeout_ms")]
    pub timeout_ms: u64,
}

impl Default for RetryConfig {
    fn default() -> Self {
        RetryConfig {
            max_attempts: default_max_attempts(),
            retry_base_ms: default_retry_base_ms(),
            retry_max_ms: default_retry_max_ms(),
            timeout_ms: default_timeout_ms(),
        }
    }
}

fn default_max_attempts() -> u32 {
    5
}
fn default_retry_base_ms() -> u64 {
    1000
}
fn default_retry_max_ms() -> u64 {
    60_000
}
fn default_timeout_ms() -> u64 {
    10_000
}

/// `type = "webhook"`.
#[derive(Clone, Debug, Deserialize)]
pub struct WebhookConfig {
    /// Where to POST.
    pub url: String,
    /// The HMAC-SHA256 key of `X-Plimsoll-Signature`; without one, no signature is sent.
    #[serde(default)]
    pub secret: Option<SecretString>,
    /// Retries.
    #[serde(flatten)]
    pub retry: RetryConfig,
}

/// `type = "slack"`. The URL itself is the credential, so it is kept secret.
#[derive(Clone, Debug, Deserialize)]
pub struct SlackConfig {
    /// The incoming-webhook URL.
    pub url: SecretString,
    /// Retries.
    #[serde(flatten)]
    pub retry: RetryConfig,
}

/// `type = "syslog"`.
#[derive(Clone, Debug, Deserialize)]
pub struct SyslogConfig {
    /// `IP:PORT` of the collector.
    pub address: String,
    /// `udp` (default; one datagram per message) or `tcp` (RFC 6587 octet counting).
    #[serde(default)]
    pub protocol: SyslogProtocol,
    /// The facility (default `local0`).
    #[serde(default)]
    pub facility: Facility,
    /// The HOSTNAME field; defaults to the kernel's host name.
    #[serde(default)]
    pub hostname: Option<String>,
}

/// Transport of the syslog sink.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SyslogProtocol {
    /// RFC 5426.
    #[default]
    Udp,
    /// RFC 6587 octet counting.
    Tcp,
}

/// Syslog facilities a sender may pick (RFC 5424 §6.2.1); the kernel's and the other
/// system-reserved ones are left out on purpose.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
#[allow(missing_docs)] // the names are the standard's
pub enum Facility {
    User,
    Daemon,
    Auth,
    Security,
    #[default]
    Local0,
    Local1,
    Local2,
    Local3,
    Local4,
    Local5,
    Local6,
    Local7,
}

impl Facility {
    /// The numeric code of RFC 5424 table 1.
    pub fn code(self) -> u8 {
        match self {
            Facility::User => 1,
            Facility::Daemon => 3,
            Facility::Auth => 4,
            Facility::Security => 13,
            Facility::Local0 => 16,
            Facility::Local1 => 17,
            Facility::Local2 => 18,
            Facility::Local3 => 19,
            Facility::Local4 => 20,
            Facility::Local5 => 21,
            Facility::Local6 => 22,
            Facility::Local7 => 23,
        }
    }
}

#[cfg(test)]
mod tests {
    use secrecy::ExposeSecret;

    use super::*;

    #[derive(Deserialize)]
    struct File {
        notifications: Vec<NotificationConfig>,
    }

    #[test]
    fn toml_array_of_sinks() {
        let file: File = toml::from_str(
            r#"
            [[notifications]]
            type = "webhook"
            url = "http://127.0.0.1:9/hook"
            secret = "s3cret"
            events = ["run.finished", "findings.new"]
            max_attempts = 3

            [[notifications]]
            type = "slack"
            url = "https://hooks.slack.invalid/T000/B000/XXXX"
            min_severity = "CRITICAL"

            [[notifications]]
            type = "syslog"
            address = "127.0.0.1:5514"
            protocol = "tcp"
            facility = "local3"
            "#,
        )
        .unwrap();
        let typo = toml::from_str::<File>(
            "[[notifications]]\ntype = \"webhook\"\nurl = \"http://x/\"\nsecrte = \"s\"",
        );
        assert!(
            typo.err()
                .unwrap()
                .to_string()
                .contains("unknown key `secrte` in a notification sink")
        );
        let retry_on_syslog = toml::from_str::<File>(
            "[[notifications]]\ntype = \"syslog\"\naddress = \"127.0.0.1:1\"\nmax_attempts = 2",
        );
        assert!(retry_on_syslog.is_err());
        let bad_type = toml::from_str::<File>("[[notifications]]\ntype = \"email\"");
        assert!(
            bad_type
                .err()
                .unwrap()
                .to_string()
                .contains("unknown variant `email`")
        );
        let [webhook, slack, syslog] = &file.notifications[..] else {
            panic!()
        };
        assert_eq!(
            webhook.events,
            [EventKind::RunFinished, EventKind::NewFindings]
        );
        assert_eq!(webhook.min_severity, Severity::High);
        let SinkConfig::Webhook(w) = &webhook.sink else {
            panic!()
        };
        assert_eq!(w.retry.max_attempts, 3);
        assert_eq!(w.retry.retry_base_ms, 1000);
        assert_eq!(w.secret.as_ref().unwrap().expose_secret(), "s3cret");
        // Secrets stay out of Debug output, the Slack URL included.
        let debug = format!("{:?}", file.notifications);
        assert!(
            !debug.contains("s3cret") && !debug.contains("XXXX"),
            "{debug}"
        );
        assert_eq!(slack.min_severity, Severity::Critical);
        let SinkConfig::Syslog(s) = &syslog.sink else {
            panic!()
        };
        assert_eq!(
            (s.protocol, s.facility),
            (SyslogProtocol::Tcp, Facility::Local3)
        );
    }
}
