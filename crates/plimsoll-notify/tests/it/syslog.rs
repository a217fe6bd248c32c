//! The syslog sink against a private rsyslog (Debian's, from `scripts/tools/notify.sh`),
//! listening on 127.0.0.1 high ports and writing each raw message to a file.

use std::collections::BTreeMap;
use std::net::{TcpStream, UdpSocket};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use plimsoll_notify::{Event, FindingSummary, Outcome};
use plimsoll_types::{Digest, Severity};

/// A running rsyslogd, killed when dropped (also when a test panics).
struct Rsyslog {
    child: Child,
    dir: tempfile::TempDir,
    udp: u16,
    tcp: u16,
}

impl Drop for Rsyslog {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    // Free a moment ago; the race with other processes is accepted in tests.
    let tcp = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = tcp.local_addr().unwrap().port();
    // The UDP port must be free as well for the imudp input.
    drop(UdpSocket::bind(("127.0.0.1", port)).unwrap());
    port
}

impl Rsyslog {
    fn start(rsyslogd: &str) -> Rsyslog {
        let dir = tempfile::tempdir().unwrap();
        let (udp, tcp) = (free_port(), free_port());
        let d = dir.path().display();
        let conf = format!(
            "global(workDirectory=\"{d}\")\n\
             module(load=\"imudp\")\n\
             module(load=\"imtcp\")\n\
             template(name=\"raw\" type=\"string\" string=\"%rawmsg%\\n\")\n\
             input(type=\"imudp\" address=\"127.0.0.1\" port=\"{udp}\")\n\
             input(type=\"imtcp\" address=\"127.0.0.1\" port=\"{tcp}\")\n\
             action(type=\"omfile\" file=\"{d}/out.log\" template=\"raw\")\n"
        );
        fs_err::write(dir.path().join("rsyslog.conf"), conf).unwrap();
        let log = fs_err::File::create(dir.path().join("rsyslogd.stderr"))
            .unwrap()
            .into_parts()
            .0;
        let child = Command::new(rsyslogd)
            .arg("-n")
            .arg("-f")
            .arg(dir.path().join("rsyslog.conf"))
            .arg("-i")
            .arg(dir.path().join("rsyslogd.pid"))
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap();
        let rsyslog = Rsyslog {
            child,
            dir,
            udp,
            tcp,
        };
        rsyslog.wait_ready();
        rsyslog
    }

    fn out(&self) -> PathBuf {
        self.dir.path().join("out.log")
    }

    fn lines(&self) -> Vec<String> {
        fs_err::read_to_string(self.out())
            .map(|s| s.lines().map(str::to_owned).collect())
            .unwrap_or_default()
    }

    fn stderr(&self) -> String {
        fs_err::read_to_string(self.dir.path().join("rsyslogd.stderr")).unwrap_or_default()
    }

    /// Polls (no readiness signal exists) until the TCP input accepts and a UDP probe has
    /// been written out, so no real message can be lost to start-up.
    fn wait_ready(&self) {
        for _ in 0..200 {
            if TcpStream::connect(("127.0.0.1", self.tcp)).is_ok() {
                let probe = UdpSocket::bind("127.0.0.1:0").unwrap();
                for _ in 0..100 {
                    probe
                        .send_to(b"<14>1 - - probe - probe - ready", ("127.0.0.1", self.udp))
                        .unwrap();
                    std::thread::sleep(Duration::from_millis(50));
                    if self.lines().iter().any(|l| l.contains("probe")) {
                        return;
                    }
                }
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("rsyslogd did not come up; its stderr:\n{}", self.stderr());
    }

    /// Waits until `n` lines mention `needle`.
    fn wait_for(&self, needle: &str, n: usize) -> Vec<String> {
        for _ in 0..200 {
            let found: Vec<_> = self
                .lines()
                .into_iter()
                .filter(|l| l.contains(needle))
                .collect();
            if found.len() >= n {
                return found;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!(
            "rsyslogd wrote {:?}; stderr:\n{}",
            self.lines(),
            self.stderr()
        );
    }
}

/// An RFC 5424 message, parsed independently of the sender's formatter.
#[derive(Debug)]
struct Parsed {
    pri: u16,
    version: String,
    hostname: String,
    app: String,
    procid: String,
    msgid: String,
    sd_id: String,
    params: BTreeMap<String, String>,
    msg: String,
}

fn parse(line: &str) -> Parsed {
    let rest = line.strip_prefix('<').unwrap();
    let (pri, rest) = rest.split_once('>').unwrap();
    let mut fields = rest.splitn(7, ' ');
    let mut next = || fields.next().unwrap().to_owned();
    let (version, _ts, hostname, app, procid, msgid) =
        (next(), next(), next(), next(), next(), next());
    let sd = next();
    // One SD-ELEMENT: `[ID name="value" ...]`, values with `\"`, `\\`, `\]` escapes.
    let mut chars = sd.strip_prefix('[').unwrap().chars();
    let sd_id: String = chars.by_ref().take_while(|c| *c != ' ').collect();
    let mut params = BTreeMap::new();
    loop {
        let name: String = chars.by_ref().take_while(|c| *c != '=').collect();
        assert_eq!(chars.next(), Some('"'));
        let mut value = String::new();
        loop {
            match chars.next().unwrap() {
                '\\' => value.push(chars.next().unwrap()),
                '"' => break,
                c => value.push(c),
            }
        }
        params.insert(name.trim().to_owned(), value);
        match chars.next() {
            Some(' ') => {}
            Some(']') => break,
            other => panic!("unexpected {other:?} in {sd}"),
        }
    }
    let msg = chars.as_str().strip_prefix(' ').unwrap().to_owned();
    Parsed {
        pri: pri.parse().unwrap(),
        version,
        hostname,
        app,
        procid,
        msgid,
        sd_id,
        params,
        msg,
    }
}

#[tokio::test]
async fn rsyslog_receives_rfc5424_over_udp_and_tcp() {
    let Ok(rsyslogd) = std::env::var("PLIMSOLL_TOOLS_RSYSLOGD") else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI needs PLIMSOLL_TOOLS_RSYSLOGD (scripts/tools/notify.sh)"
        );
        println!("skipped: PLIMSOLL_TOOLS_RSYSLOGD is not set (scripts/tools/notify.sh)");
        return;
    };
    let rsyslog = Rsyslog::start(&rsyslogd);
    let notifier = crate::webhook::notifier(&format!(
        "[[notifications]]\ntype = \"syslog\"\naddress = \"127.0.0.1:{}\"\nhostname = \"scanner-1\"\n\
         [[notifications]]\ntype = \"syslog\"\naddress = \"127.0.0.1:{}\"\nprotocol = \"tcp\"\n\
         facility = \"daemon\"\nhostname = \"scanner-1\"\n",
        rsyslog.udp, rsyslog.tcp
    ));

    let findings = Event::new_findings(
        "127.0.0.1:5000/app:1.0",
        Digest::sha256_of(b"manifest"),
        "linux/amd64".parse().unwrap(),
        vec![FindingSummary {
            id: "CVE-2024-0001".into(),
            severity: Severity::Critical,
            package: "openssl".into(),
            installed: "3.0.1".into(),
            fixed: None,
        }],
    );
    let failed = Event::db_update_failed(r#"feed "osv" said ] and \ too"#, None);
    for event in [&findings, &failed] {
        let deliveries = notifier.notify(event).await;
        assert!(
            deliveries.iter().all(|d| d.outcome == Outcome::Sent),
            "{deliveries:?}"
        );
        assert_eq!(deliveries.len(), 2);
    }

    let id = findings.meta().event_id.to_string();
    let lines = rsyslog.wait_for(&id, 2);
    let mut pris: Vec<_> = lines.iter().map(|l| parse(l).pri).collect();
    pris.sort_unstable();
    // crit (2) in local0 (16) over UDP and daemon (3) over TCP.
    assert_eq!(pris, [3 * 8 + 2, 16 * 8 + 2]);
    let m = parse(&lines[0]);
    assert_eq!(
        (m.version.as_str(), m.hostname.as_str(), m.app.as_str()),
        ("1", "scanner-1", "plimsoll")
    );
    assert_eq!(m.procid, std::process::id().to_string());
    assert_eq!(m.msgid, "findings.new");
    assert_eq!(m.sd_id, "plimsoll@32473");
    assert_eq!(m.params["event_id"], id);
    assert_eq!(m.params["image"], "127.0.0.1:5000/app:1.0");
    assert_eq!(m.params["critical"], "1");
    assert_eq!(m.params["count"], "1");
    assert_eq!(m.params["ids"], "CVE-2024-0001");
    assert_eq!(
        m.msg,
        "1 new finding(s) in 127.0.0.1:5000/app:1.0 (linux/amd64): 1 critical, 0 high"
    );

    let lines = rsyslog.wait_for(&failed.meta().event_id.to_string(), 2);
    for line in &lines {
        let m = parse(line);
        assert_eq!(m.msgid, "db.update_failed");
        assert_eq!(m.pri % 8, 3);
        assert_eq!(
            m.params["reason"], r#"feed "osv" said ] and \ too"#,
            "{line}"
        );
        assert!(!m.params.contains_key("last_good_built_at"));
    }
}
