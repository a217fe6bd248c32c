//! `proxy` with credentials, through a real proxy: Debian's tinyproxy (`scripts/tools/proxy.sh`)
//! started privately on 127.0.0.1 with `BasicAuth`. A scan of the lab registry through it
//! pulls and stores the image, and tinyproxy's own log shows the registry requests it
//! forwarded; a wrong password fails the registry with the proxy's 407, named as such. Neither
//! password reaches a log line at `trace`.
//!
//! `NO_PROXY=127.0.0.1` is set on purpose: a registry's `proxy` key takes every request of
//! that registry, loopback included (reqwest's `Proxy::all` without a `no_proxy`); only the
//! `HTTP(S)_PROXY` environment honours `NO_PROXY`.

use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::registry_scan::{Setup, namespace, push};
use crate::{Harness, tool_env};

pub(super) const PROXY_USER: &str = "scanner";
pub(super) const PROXY_PASSWORD: &str = "pr0xy-s3cret-6c1d";
const WRONG_PASSWORD: &str = "not-the-pr0xy-password-0b7e";

/// A private tinyproxy on 127.0.0.1; killed on drop.
pub(super) struct Tinyproxy {
    child: Child,
    pub(super) port: u16,
    log: PathBuf,
}

impl Tinyproxy {
    pub(super) fn start(program: &str, dir: &Path) -> Tinyproxy {
        // A free port: bound, read, released for tinyproxy (which binds it right away).
        let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let log = dir.join("tinyproxy.log");
        let conf = dir.join("tinyproxy.conf");
        fs_err::write(
            &conf,
            format!(
                "Port {port}\nListen 127.0.0.1\nTimeout 60\nMaxClients 50\nAllow 127.0.0.1\n\
                 BasicAuth {PROXY_USER} {PROXY_PASSWORD}\nLogLevel Info\nLogFile \"{}\"\n\
                 PidFile \"{}\"\n",
                log.display(),
                dir.join("tinyproxy.pid").display()
            ),
        )
        .unwrap();
        // `-d`: in the foreground, so the child is the proxy itself.
        let child = Command::new(program)
            .args(["-d", "-c"])
            .arg(&conf)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start tinyproxy");
        let proxy = Tinyproxy { child, port, log };
        let deadline = Instant::now() + Duration::from_secs(30);
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        while TcpStream::connect_timeout(&addr, Duration::from_secs(1)).is_err() {
            assert!(
                Instant::now() < deadline,
                "tinyproxy did not listen on {addr}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        proxy
    }

    /// tinyproxy's log so far (empty before its first line).
    pub(super) fn log(&self) -> String {
        fs_err::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Tinyproxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A registry entry for the lab registry through `proxy` (the default retries: tinyproxy may
/// close a kept-alive connection just as the client reuses it, and a retry takes a new one).
fn config(setup: &Setup, h: &Harness, ns: &str, proxy: &str, name: &str) -> PathBuf {
    let path = setup.dir().join(format!("{name}.toml"));
    fs_err::write(
        &path,
        format!(
            r#"
store = "{store}"
db_dir = "{db}"

[filter]
include = ["{reg}/{ns}/*"]
max_repositories_per_registry = 10000

[[registries]]
name = "{name}"
url = "http://{reg}"
{proxy}
"#,
            store = setup.store().display(),
            db = setup.db_dir().display(),
            reg = h.registry,
        ),
    )
    .unwrap();
    path
}

#[test]
fn a_registry_is_scanned_through_a_proxy_that_wants_credentials() {
    let Some(h) = Harness::get() else { return };
    let Some(program) = tool_env("PLIMSOLL_TOOLS_TINYPROXY") else {
        return;
    };
    let ns = namespace("proxy");
    let app = push(
        &h,
        "lab/debian:12",
        &format!("{ns}/app"),
        &["--tags", "1", "--unique-layer"],
    );
    let setup = Setup::new();
    let proxy = Tinyproxy::start(&program, setup.dir());

    // The user in the URL, the password from a variable.
    let good = config(
        &setup,
        &h,
        &ns,
        &format!(
            "proxy = \"http://{PROXY_USER}@127.0.0.1:{}\"\nproxy_password_env = \"PLIMSOLL_TEST_PROXY_PASSWORD\"",
            proxy.port
        ),
        "through-proxy",
    );
    let (output, log) = super::scan_traced(
        &good,
        &[
            ("PLIMSOLL_TEST_PROXY_PASSWORD", PROXY_PASSWORD),
            ("NO_PROXY", "127.0.0.1,localhost"),
        ],
    );
    assert!(output.status.success(), "{log}\n{}", proxy.log());
    let (scanned, rows) = super::scanned(&setup, &ns);
    let want: std::collections::BTreeMap<String, String> = app
        .iter()
        .map(|(t, d)| (format!("{ns}/app:{t}"), d.clone()))
        .collect();
    assert_eq!(scanned, want, "{rows:#?}\n{log}");
    // tinyproxy forwarded the registry requests (the catalog and this image's manifest).
    let forwarded = proxy.log();
    for path in [
        "/v2/_catalog".to_owned(),
        format!("/v2/{ns}/app/manifests/"),
    ] {
        assert!(
            forwarded
                .lines()
                .any(|l| l.contains(&format!("GET http://{}{path}", h.registry))),
            "{path} not through the proxy:\n{forwarded}"
        );
    }
    assert!(
        !log.contains(PROXY_PASSWORD),
        "the proxy password in the log"
    );

    // A wrong password, inline in the URL: tinyproxy answers with a 401 of its own (no `Via`,
    // unlike the registry's 401s it forwards), and without credentials with a 407; either
    // way the registry fails, saying the proxy refused.
    for (name, proxy_key, wanted) in [
        (
            "wrong-password",
            format!(
                "proxy = \"http://{PROXY_USER}:{WRONG_PASSWORD}@127.0.0.1:{}\"",
                proxy.port
            ),
            "(401 from the proxy itself)",
        ),
        (
            "no-credentials",
            format!("proxy = \"http://127.0.0.1:{}\"", proxy.port),
            "(407 from the proxy itself: Proxy Authentication Required)",
        ),
    ] {
        let config = config(&setup, &h, &ns, &proxy_key, name);
        let (output, log) = super::scan_traced(&config, &[]);
        assert_eq!(output.status.code(), Some(1), "{log}");
        assert!(
            log.lines().any(|l| l.contains(name)
                && l.contains(&format!(
                    "the proxy refused to forward the request to http://{}/v2/_catalog",
                    h.registry
                ))
                && l.contains(wanted)),
            "{name}: {log}"
        );
        assert!(
            !log.contains(WRONG_PASSWORD) && !log.contains(PROXY_PASSWORD),
            "a proxy password in the log"
        );
    }
}
