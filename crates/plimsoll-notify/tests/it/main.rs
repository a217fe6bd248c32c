//! The sinks against real receivers: a local HTTP server for the webhook and Slack sinks, a
//! private rsyslog for the syslog sink.

#![allow(clippy::unwrap_used, clippy::print_stdout)] // test helpers fail loudly; a skip says why

mod receiver;
mod syslog;
mod webhook;
