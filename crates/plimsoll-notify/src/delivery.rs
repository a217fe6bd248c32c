//! What happened to one event at one sink.

use std::time::Duration;

use uuid::Uuid;

/// The outcome of sending one event to one sink, for logs and tests. Never carries a secret:
/// errors are rendered without URLs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Delivery {
    /// The sink's name.
    pub sink: String,
    /// The event's id.
    pub event_id: Uuid,
    /// Requests or sends made, the first included.
    pub attempts: u32,
    /// The delays slept before each retry, after `Retry-After` and the cap.
    pub retry_delays: Vec<Duration>,
    /// Whether it got through.
    pub outcome: Outcome,
}

/// Whether a delivery got through.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Outcome {
    /// Accepted (HTTP 2xx; for syslog, handed to the socket).
    Sent,
    /// Given up, with the last error.
    Failed(String),
}
