//! Webhook and Slack sinks against the loopback receiver.

use std::io::Write as _;
use std::process::{Command, Stdio};
use std::time::Duration;

use plimsoll_notify::{Event, FindingSummary, NotificationConfig, Notifier, Outcome};
use plimsoll_types::{Digest, Severity};

use crate::receiver::Receiver;

const SECRET: &str = "correct horse battery staple";

pub(crate) fn notifier(toml_text: &str) -> Notifier {
    #[derive(serde::Deserialize)]
    struct File {
        notifications: Vec<NotificationConfig>,
    }
    let file: File = toml::from_str(toml_text).unwrap();
    Notifier::new(&file.notifications).unwrap()
}

fn webhook(url: &str, extra: &str) -> Notifier {
    notifier(&format!(
        "[[notifications]]\ntype = \"webhook\"\nname = \"hook\"\nurl = \"{url}\"\nsecret = \"{SECRET}\"\n\
         retry_base_ms = 1\nretry_max_ms = 20\n{extra}"
    ))
}

fn findings() -> Event {
    let finding = |id: &str, severity| FindingSummary {
        id: id.into(),
        severity,
        package: "openssl".into(),
        installed: "3.0.1-1".into(),
        fixed: Some("3.0.2-1".into()),
    };
    Event::new_findings(
        "127.0.0.1:5000/app:1.0",
        Digest::sha256_of(b"manifest"),
        "linux/amd64".parse().unwrap(),
        vec![
            finding("CVE-2024-0002", Severity::High),
            finding("CVE-2024-0003", Severity::Low),
            finding("CVE-2024-0001", Severity::Critical),
        ],
    )
}

/// The signature as a receiver computes it, with Python's `hmac` (the snippet of
/// docs/notifications.md), so the check does not trust our own HMAC.
fn python_signature(body: &[u8]) -> String {
    let mut child = Command::new("python3")
        .args([
            "-c",
            "import hashlib, hmac, sys\n\
             print('sha256=' + hmac.new(sys.argv[1].encode(), sys.stdin.buffer.read(), hashlib.sha256).hexdigest())",
            SECRET,
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3 is needed to verify signatures independently");
    child.stdin.take().unwrap().write_all(body).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

#[tokio::test]
async fn signed_payload_with_findings_at_or_above_high() {
    let receiver = Receiver::start(&[]).await;
    let event = findings();
    let deliveries = webhook(&format!("{}/hook", receiver.base), "")
        .notify(&event)
        .await;
    assert_eq!(deliveries.len(), 1);
    assert_eq!(
        (deliveries[0].attempts, &deliveries[0].outcome),
        (1, &Outcome::Sent)
    );
    assert_eq!(deliveries[0].sink, "hook");

    let [request] = &receiver.requests()[..] else {
        panic!("one request expected")
    };
    assert_eq!(request.path, "/hook");
    let header = |name: &str| {
        request
            .headers
            .get(name)
            .unwrap()
            .to_str()
            .unwrap()
            .to_owned()
    };
    assert_eq!(header("content-type"), "application/json");
    assert_eq!(header("x-plimsoll-event"), "findings.new");
    assert_eq!(
        header("x-plimsoll-delivery"),
        event.meta().event_id.to_string()
    );
    assert_eq!(
        header("x-plimsoll-signature"),
        python_signature(&request.body)
    );

    let json: serde_json::Value = serde_json::from_slice(&request.body).unwrap();
    assert_eq!(json["type"], "findings.new");
    assert_eq!(json["event_id"], event.meta().event_id.to_string());
    assert_eq!(json["image"], "127.0.0.1:5000/app:1.0");
    assert_eq!(json["platform"]["architecture"], "amd64");
    let ids: Vec<_> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        ["CVE-2024-0001", "CVE-2024-0002"],
        "LOW is below the default threshold"
    );
    assert_eq!(json["findings"][0]["severity"], "CRITICAL");
    assert_eq!(json["findings"][0]["fixed"], "3.0.2-1");
}

#[tokio::test]
async fn two_server_errors_then_success_is_three_attempts() {
    let receiver = Receiver::start(&[(500, None), (502, None)]).await;
    let event = Event::db_update_failed("feed unreachable", None);
    let n = webhook(&format!("{}/hook", receiver.base), "");
    assert!(!format!("{n:?}").contains(SECRET));
    let (guard, logs) = crate::receiver::capture_logs();
    let deliveries = n.notify(&event).await;
    drop(guard);
    let logs = String::from_utf8(logs.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains("HTTP 500") && logs.contains("HTTP 502"),
        "{logs}"
    );
    assert!(
        !logs.contains(SECRET) && !logs.contains("sha256="),
        "{logs}"
    );
    assert_eq!(deliveries[0].attempts, 3);
    assert_eq!(deliveries[0].outcome, Outcome::Sent);
    assert_eq!(
        deliveries[0].retry_delays,
        [Duration::from_millis(1), Duration::from_millis(2)]
    );
    let requests = receiver.requests();
    assert_eq!(requests.len(), 3);
    // Every retry is the same delivery, byte for byte.
    assert!(requests.iter().all(|r| r.body == requests[0].body
        && r.headers["x-plimsoll-delivery"] == requests[0].headers["x-plimsoll-delivery"]));
}

#[tokio::test]
async fn client_error_is_not_retried() {
    let receiver = Receiver::start(&[(400, None)]).await;
    let deliveries = webhook(&format!("{}/hook", receiver.base), "")
        .notify(&findings())
        .await;
    assert_eq!(deliveries[0].attempts, 1);
    assert_eq!(
        deliveries[0].outcome,
        Outcome::Failed("HTTP 400 Bad Request".into())
    );
    assert_eq!(receiver.requests().len(), 1);
}

#[tokio::test]
async fn retry_after_is_honoured_up_to_the_cap() {
    // Backoff alone would wait 1 ms; `Retry-After: 1` asks for 1 s; the cap is 20 ms.
    let receiver = Receiver::start(&[(429, Some("1"))]).await;
    let deliveries = webhook(&format!("{}/hook", receiver.base), "")
        .notify(&findings())
        .await;
    assert_eq!(deliveries[0].attempts, 2);
    assert_eq!(deliveries[0].outcome, Outcome::Sent);
    assert_eq!(deliveries[0].retry_delays, [Duration::from_millis(20)]);
}

#[tokio::test]
async fn attempts_are_bounded() {
    let receiver = Receiver::start(&[(503, None), (503, None), (503, None)]).await;
    let deliveries = webhook(&format!("{}/hook", receiver.base), "max_attempts = 2")
        .notify(&findings())
        .await;
    assert_eq!(deliveries[0].attempts, 2);
    assert_eq!(
        deliveries[0].outcome,
        Outcome::Failed("HTTP 503 Service Unavailable".into())
    );
    assert_eq!(receiver.requests().len(), 2);
}

#[tokio::test]
async fn connection_errors_are_retried_and_never_show_the_url() {
    // A port that was free a moment ago: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let n = notifier(&format!(
        "[[notifications]]\ntype = \"slack\"\nurl = \"http://127.0.0.1:{port}/services/T0/B0/SLACKTOKEN\"\n\
         max_attempts = 3\nretry_base_ms = 1\nretry_max_ms = 1\n"
    ));
    assert!(!format!("{n:?}").contains("SLACKTOKEN"));
    let (guard, logs) = crate::receiver::capture_logs();
    let deliveries = n.notify(&Event::db_update_failed("x", None)).await;
    drop(guard);
    let logs = String::from_utf8(logs.lock().unwrap().clone()).unwrap();
    assert_eq!(logs.matches("retrying").count(), 2, "{logs}");
    assert!(
        logs.contains("attempts exhausted") && logs.contains("slack#0"),
        "{logs}"
    );
    assert!(!logs.contains("SLACKTOKEN"), "{logs}");
    assert_eq!(deliveries[0].attempts, 3);
    assert_eq!(deliveries[0].sink, "slack#0");
    let Outcome::Failed(error) = &deliveries[0].outcome else {
        panic!("{deliveries:?}")
    };
    assert!(
        !error.contains("SLACKTOKEN") && !format!("{deliveries:?}").contains("SLACKTOKEN"),
        "{error}"
    );
}

#[tokio::test]
async fn slack_message_and_event_filters() {
    let receiver = Receiver::start(&[]).await;
    let n = notifier(&format!(
        "[[notifications]]\ntype = \"slack\"\nurl = \"{0}/slack\"\nevents = [\"findings.new\"]\n\
         min_severity = \"CRITICAL\"\n\
         [[notifications]]\ntype = \"webhook\"\nurl = \"{0}/hook\"\nevents = [\"run.finished\"]\n",
        receiver.base
    ));
    let deliveries = n.notify(&findings()).await;
    assert_eq!(deliveries.len(), 1, "the webhook wants only run.finished");
    assert_eq!(deliveries[0].sink, "slack#0");
    let [request] = &receiver.requests()[..] else {
        panic!()
    };
    assert_eq!(request.path, "/slack");
    assert!(request.headers.get("x-plimsoll-signature").is_none());
    let json: serde_json::Value = serde_json::from_slice(&request.body).unwrap();
    assert_eq!(
        json["text"],
        "1 new finding(s) in 127.0.0.1:5000/app:1.0 (linux/amd64): 1 critical, 0 high"
    );
    let details = json["blocks"][1]["text"]["text"].as_str().unwrap();
    assert!(
        details.contains("*CVE-2024-0001* CRITICAL openssl 3.0.1-1 (fixed in 3.0.2-1)"),
        "{details}"
    );
    assert!(
        !details.contains("CVE-2024-0002"),
        "HIGH is below this sink's threshold"
    );

    // Nothing at or above CRITICAL: the Slack sink stays silent, and so does the webhook.
    let only_high = Event::new_findings(
        "a/b:c",
        Digest::sha256_of(b"m"),
        "linux/amd64".parse().unwrap(),
        vec![FindingSummary {
            id: "CVE-1".into(),
            severity: Severity::High,
            package: "p".into(),
            installed: "1".into(),
            fixed: None,
        }],
    );
    assert!(n.notify(&only_high).await.is_empty());
    assert_eq!(receiver.requests().len(), 1);
}

#[test]
fn bad_sink_configuration_is_refused_up_front() {
    #[derive(serde::Deserialize)]
    struct File {
        notifications: Vec<NotificationConfig>,
    }
    let build = |text: &str| {
        let file: File = toml::from_str(text).unwrap();
        Notifier::new(&file.notifications).unwrap_err().to_string()
    };
    assert_eq!(
        build("[[notifications]]\ntype = \"slack\"\nname = \"team\"\nurl = \"hooks/SLACKTOKEN\""),
        "notification sink team: url is not an absolute http(s) URL"
    );
    assert_eq!(
        build(
            "[[notifications]]\ntype = \"webhook\"\nurl = \"http://127.0.0.1:1/\"\nmax_attempts = 0"
        ),
        "notification sink webhook#0: max_attempts must be at least 1"
    );
    assert_eq!(
        build("[[notifications]]\ntype = \"syslog\"\naddress = \"localhost:514\""),
        "notification sink syslog#0: syslog address \"localhost:514\" is not IP:PORT"
    );
}

#[test]
fn notify_can_be_spawned() {
    // The server hands deliveries to a task so that retries never hold a request or a scan.
    fn assert_send<T: Send + 'static>(_: T) {}
    let n = std::sync::Arc::new(notifier("notifications = []"));
    let event = Event::db_update_failed("x", None);
    assert_send(async move { n.notify(&event).await });
}
