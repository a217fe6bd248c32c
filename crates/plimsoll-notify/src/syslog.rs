//! RFC 5424 messages, sent over UDP (RFC 5426: one message per datagram) or TCP (RFC 6587
//! §3.4.1 octet counting: `LEN SP MSG`, so messages may contain newlines safely).

use std::fmt::Write as _;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use time::OffsetDateTime;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpStream, UdpSocket};

use plimsoll_types::Severity;

use crate::config::{Facility, SyslogProtocol};
use crate::event::Event;

/// APP-NAME of every message.
pub(crate) const APP_NAME: &str = "plimsoll";
/// SD-ID of the structured-data element: a name with `@` and an enterprise number is what
/// RFC 5424 §6.3.2 requires for private ids; 32473 is the number reserved for documentation
/// (RFC 5612), as Plimsoll has none of its own.
pub(crate) const SD_ID: &str = "plimsoll@32473";
/// Advisory ids listed in a findings message at most (worst first; `count` gives the total):
/// RFC 5426 only promises 2048-byte datagrams, and collectors truncate long ones.
const MAX_IDS: usize = 20;
/// Sending one message gives up after this long: a stuck collector must not hold a notifier.
const SEND_TIMEOUT: Duration = Duration::from_secs(10);

/// The syslog severity (RFC 5424 table 2) of an event: new critical findings are `crit` (2),
/// high ones `err` (3), lower ones `warning` (4); a failed database update is `err`; a stale
/// image `warning`; a finished run `notice` (5), or `warning` when images failed.
pub(crate) fn severity(event: &Event) -> u8 {
    match event {
        Event::RunFinished(e) if e.counts.failed > 0 => 4,
        Event::RunFinished(_) => 5,
        Event::NewFindings(e) => match e.findings.iter().map(|f| f.severity).max() {
            Some(Severity::Critical) => 2,
            Some(Severity::High) => 3,
            Some(Severity::Medium | Severity::Low | Severity::Unknown) | None => 4,
        },
        Event::ImageStale(_) => 4,
        Event::DbUpdateFailed(_) => 3,
    }
}

/// PARAM-VALUE escaping of RFC 5424 §6.3.3: `"`, `\` and `]` take a backslash.
pub(crate) fn escape_param(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        if matches!(c, '"' | '\\' | ']') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// TIMESTAMP of RFC 5424 §6.2.3: RFC 3339 in UTC with at most six fractional digits.
fn timestamp(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.microsecond()
    )
}

/// A header field (HOSTNAME, PROCID): printable US-ASCII without spaces, at most `max`
/// characters, else the NILVALUE `-`.
fn header_field(value: &str, max: usize) -> &str {
    let ok =
        !value.is_empty() && value.len() <= max && value.bytes().all(|b| (33..=126).contains(&b));
    if ok { value } else { "-" }
}

/// The structured-data parameters of an event: its key fields, so a collector can filter
/// without parsing MSG.
fn params(event: &Event) -> Vec<(&'static str, String)> {
    let mut p = vec![("event_id", event.meta().event_id.to_string())];
    match event {
        Event::RunFinished(e) => {
            p.push(("run_id", e.run_id.clone()));
            p.push(("registries", e.registries.join(",")));
            p.push(("total", e.counts.total.to_string()));
            p.push(("success", e.counts.success.to_string()));
            p.push(("failed", e.counts.failed.to_string()));
            p.push(("skipped", e.counts.skipped.to_string()));
        }
        Event::NewFindings(e) => {
            let count = |s: Severity| {
                e.findings
                    .iter()
                    .filter(|f| f.severity == s)
                    .count()
                    .to_string()
            };
            p.push(("image", e.image.clone()));
            p.push(("digest", e.digest.to_string()));
            p.push(("platform", e.platform.to_string()));
            p.push(("count", e.findings.len().to_string()));
            p.push(("critical", count(Severity::Critical)));
            p.push(("high", count(Severity::High)));
            p.push((
                "ids",
                e.findings
                    .iter()
                    .take(MAX_IDS)
                    .map(|f| f.id.as_str())
                    .collect::<Vec<_>>()
                    .join(","),
            ));
        }
        Event::ImageStale(e) => {
            p.push(("image", e.image.clone()));
            p.push(("last_scanned", timestamp(e.last_scanned)));
            p.push(("hours", e.hours.to_string()));
        }
        Event::DbUpdateFailed(e) => {
            p.push(("reason", e.reason.clone()));
            if let Some(at) = e.last_good_built_at {
                p.push(("last_good_built_at", timestamp(at)));
            }
        }
    }
    p
}

/// One RFC 5424 message: `<PRI>1 TIMESTAMP HOSTNAME plimsoll PROCID MSGID [SD] MSG`, MSGID
/// being the event's type. MSG is sent without a BOM (the MSG-ANY form), which collectors
/// store verbatim.
pub(crate) fn format_message(
    event: &Event,
    facility: Facility,
    hostname: &str,
    procid: u32,
) -> String {
    let pri = u16::from(facility.code()) * 8 + u16::from(severity(event));
    let mut sd = format!("[{SD_ID}");
    for (name, value) in params(event) {
        let _ = write!(sd, " {name}=\"{}\"", escape_param(&value));
    }
    sd.push(']');
    format!(
        "<{pri}>1 {} {} {APP_NAME} {procid} {} {sd} {}",
        timestamp(event.meta().time),
        header_field(hostname, 255),
        event.kind().as_str(),
        event.headline().replace(['\r', '\n'], " "),
    )
}

/// The host name for HOSTNAME: the kernel's, read once at start-up (Linux); `-` elsewhere.
pub(crate) fn local_hostname() -> String {
    fs_err::read_to_string("/proc/sys/kernel/hostname")
        .map_or_else(|_| "-".to_owned(), |h| h.trim().to_owned())
}

/// Sends one message.
pub(crate) async fn send(
    address: SocketAddr,
    protocol: SyslogProtocol,
    message: &str,
) -> std::io::Result<()> {
    let sending = async {
        match protocol {
            SyslogProtocol::Udp => {
                let local: SocketAddr = if address.is_ipv4() {
                    (Ipv4Addr::UNSPECIFIED, 0).into()
                } else {
                    (Ipv6Addr::UNSPECIFIED, 0).into()
                };
                let socket = UdpSocket::bind(local).await?;
                socket.send_to(message.as_bytes(), address).await.map(drop)
            }
            SyslogProtocol::Tcp => {
                // One connection per message: notifications are a few per run, and a fresh
                // connection never finds a half-closed one left by a restarted collector.
                let mut stream = TcpStream::connect(address).await?;
                let framed = format!("{} {message}", message.len());
                stream.write_all(framed.as_bytes()).await?;
                stream.shutdown().await
            }
        }
    };
    tokio::time::timeout(SEND_TIMEOUT, sending)
        .await
        .unwrap_or_else(|_| {
            Err(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "syslog send timed out",
            ))
        })
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;
    use crate::event::{EventMeta, RunCounts};

    #[test]
    fn escaping_follows_6_3_3() {
        assert_eq!(escape_param(r#"a "b" \c] d[e"#), r#"a \"b\" \\c\] d[e"#);
    }

    #[test]
    fn run_finished_message() {
        let mut e = Event::run_finished(
            vec!["local".into(), "b\"]".into()],
            "7",
            datetime!(2026-11-26 06:00 UTC),
            datetime!(2026-11-26 06:05 UTC),
            RunCounts {
                total: 3,
                success: 2,
                failed: 0,
                skipped: 1,
            },
        );
        let Event::RunFinished(r) = &mut e else {
            panic!()
        };
        let id = r.meta.event_id;
        r.meta = EventMeta {
            event_id: id,
            time: datetime!(2026-11-26 06:05:01.123456789 +01:00),
        };
        let m = format_message(&e, Facility::Local0, "scanner-1", 99);
        assert_eq!(
            m,
            format!(
                "<133>1 2026-11-26T05:05:01.123456Z scanner-1 plimsoll 99 run.finished \
                 [plimsoll@32473 event_id=\"{id}\" run_id=\"7\" registries=\"local,b\\\"\\]\" total=\"3\" \
                 success=\"2\" failed=\"0\" skipped=\"1\"] Scan run 7 of local, b\"] finished: \
                 Total: 3 = Success: 2 + Failed: 0 + Skipped: 1"
            )
        );
        assert_eq!(
            format_message(&e, Facility::User, "has space", 1)
                .split(' ')
                .nth(2),
            Some("-")
        );
    }

    #[test]
    fn long_finding_lists_are_cut_in_structured_data() {
        let findings = (0..30)
            .map(|i| crate::event::FindingSummary {
                id: format!("CVE-2024-{i:04}"),
                severity: Severity::High,
                package: "p".into(),
                installed: "1".into(),
                fixed: None,
            })
            .collect();
        let e = Event::new_findings(
            "a/b:c",
            plimsoll_types::Digest::sha256_of(b"m"),
            "linux/amd64".parse().unwrap(),
            findings,
        );
        let p = params(&e);
        let get = |name| p.iter().find(|(n, _)| *n == name).map(|(_, v)| v.as_str());
        assert_eq!(get("count"), Some("30"));
        assert_eq!(get("ids").map(|ids| ids.split(',').count()), Some(MAX_IDS));
    }

    #[test]
    fn severities() {
        let e = crate::event::tests::sample_findings();
        assert_eq!(severity(&e), 2);
        assert_eq!(severity(&e.at_or_above(Severity::Medium).unwrap()), 2);
        let Event::NewFindings(mut only_high) = e.clone() else {
            panic!()
        };
        only_high.findings.retain(|f| f.severity == Severity::High);
        assert_eq!(severity(&Event::NewFindings(only_high)), 3);
        assert_eq!(severity(&Event::db_update_failed("x", None)), 3);
        assert_eq!(
            severity(&Event::image_stale("a", datetime!(2026-01-01 0:00 UTC), 48)),
            4
        );
        let failed = Event::run_finished(
            vec![],
            "1",
            datetime!(2026-01-01 0:00 UTC),
            datetime!(2026-01-01 0:00 UTC),
            RunCounts {
                total: 1,
                success: 0,
                failed: 1,
                skipped: 0,
            },
        );
        assert_eq!(severity(&failed), 4);
    }
}
