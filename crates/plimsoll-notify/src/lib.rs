//! Notifications of `plimsoll serve` and `plimsoll registry scan`: the [`Event`]s worth telling
//! an operator (a run finished, new critical/high findings, an image not scanned for too long,
//! a failed database update) and the sinks that carry them, built from `[[notifications]]`
//! tables ([`NotificationConfig`]) into one [`Notifier`]:
//!
//! - `webhook`: a JSON POST signed with `X-Plimsoll-Signature: sha256=<HMAC-SHA256 of the
//!   body>`, retried with exponential backoff on connection errors, 429 and 5xx;
//! - `slack`: a Slack-compatible incoming webhook with a readable summary;
//! - `syslog`: RFC 5424 messages over UDP or TCP (RFC 6587 octet counting).
//!
//! Delivery never fails the caller: [`Notifier::notify`] returns one [`Delivery`] per sink.
//! The JSON shapes are documented in `docs/notifications.md`. It depends on `plimsoll-types`
//! only: the worker and server build events from their own results.
//!
//! ```
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! use plimsoll_notify::{Event, Notifier, RunCounts};
//!
//! let notifier = Notifier::new(&[]).unwrap();
//! let now = time::OffsetDateTime::now_utc();
//! let counts = RunCounts { total: 3, success: 2, failed: 0, skipped: 1 };
//! let event = Event::run_finished(vec!["local".into()], "1", now, now, counts);
//! assert!(notifier.notify(&event).await.is_empty());
//! # });
//! ```

mod config;
mod delivery;
mod error;
mod event;
mod hmac;
mod http;
mod notifier;
mod syslog;

pub use config::{
    Facility, NotificationConfig, RetryConfig, SinkConfig, SlackConfig, SyslogConfig,
    SyslogProtocol, WebhookConfig,
};
pub use delivery::{Delivery, Outcome};
pub use error::{Error, Result};
pub use event::{
    DbUpdateFailed, Event, EventKind, EventMeta, FindingSummary, ImageStale, NewFindings,
    RunCounts, RunFinished,
};
pub use notifier::Notifier;
