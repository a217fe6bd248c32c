//! `plimsoll serve` as a process on a free loopback port, spoken to over plain HTTP/1.1: the
//! first admin token, `serve token create|list|revoke`, SIGTERM, and the API over a store filled
//! by a real `registry scan` of the lab registry.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::thread::JoinHandle;

use serde_json::Value;

use crate::registry_scan::{Setup, namespace, push};
use crate::{Harness, plimsoll, stderr};

/// A running `plimsoll serve`.
pub(crate) struct Server {
    child: Child,
    /// `127.0.0.1:PORT`.
    pub(crate) address: String,
    /// The admin token printed at the first start, if it was.
    pub(crate) admin_token: Option<String>,
    /// Every stderr line, collected until the process exits.
    stderr: JoinHandle<Vec<String>>,
    /// The stderr lines so far, while it runs.
    live: Arc<Mutex<Vec<String>>>,
}

impl Server {
    /// Starts `plimsoll serve --listen 127.0.0.1:0` on `store` with trace logs and waits for
    /// its `listening on` line.
    fn start(store: &std::path::Path) -> Server {
        Server::start_with(&[
            "--log-level",
            "trace",
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--store",
            store.to_str().unwrap(),
        ])
    }

    /// Starts `plimsoll ARGS` (a `serve` command) and waits for its `listening on` line.
    pub(crate) fn start_with(args: &[&str]) -> Server {
        Server::start_with_env(args, &[])
    }

    /// [`Server::start_with`] with `env` added to the environment.
    pub(crate) fn start_with_env(args: &[&str], env: &[(&str, &str)]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_plimsoll"))
            .args(args)
            .envs(env.iter().copied())
            .env_remove("RUST_LOG")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start plimsoll serve");
        let pipe = child.stderr.take().unwrap();
        let (tx, rx) = mpsc::channel();
        let so_far = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&so_far);
        let stderr = std::thread::spawn(move || {
            let mut lines = Vec::new();
            for line in BufReader::new(pipe).lines() {
                let line = line.unwrap();
                let _ = tx.send(line.clone());
                seen.lock().unwrap().push(line.clone());
                lines.push(line);
            }
            lines
        });
        let mut admin_token = None;
        let address = loop {
            let Ok(line) = rx.recv() else {
                let _ = child.wait();
                panic!(
                    "plimsoll serve exited before listening: {:?}",
                    stderr.join()
                );
            };
            if let Some(token) = line.strip_prefix("admin token: ") {
                admin_token = Some(token.to_owned());
            }
            if let Some(address) = line.strip_prefix("listening on http://") {
                break address.to_owned();
            }
        };
        Server {
            child,
            address,
            admin_token,
            stderr,
            live: so_far,
        }
    }

    /// The process id, for signals.
    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The stderr lines so far that contain `text`.
    pub(crate) fn log_lines_with(&self, text: &str) -> Vec<String> {
        let lines = self.live.lock().unwrap();
        lines.iter().filter(|l| l.contains(text)).cloned().collect()
    }

    /// The stderr lines written so far.
    pub(crate) fn log_so_far(&self) -> Vec<String> {
        self.live.lock().unwrap().clone()
    }

    /// GET `path`, with `token` as a Bearer token: (status, body).
    pub(crate) fn get(&self, path: &str, token: Option<&str>) -> (u16, String) {
        self.request("GET", path, token)
    }

    /// `method` `path` with no body, with `token` as a Bearer token: (status, body).
    pub(crate) fn request(&self, method: &str, path: &str, token: Option<&str>) -> (u16, String) {
        self.send(method, path, token, None)
    }

    /// `method` `path` with `token` as a Bearer token and an optional JSON body.
    pub(crate) fn send(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        json: Option<&str>,
    ) -> (u16, String) {
        let mut stream = TcpStream::connect(&self.address).unwrap();
        let auth = token
            .map(|t| format!("Authorization: Bearer {t}\r\n"))
            .unwrap_or_default();
        let body = json.unwrap_or_default();
        let kind = if json.is_some() {
            "Content-Type: application/json\r\n"
        } else {
            ""
        };
        write!(
            stream,
            "{method} {path} HTTP/1.1\r\nHost: {}\r\n{auth}{kind}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            self.address,
            body.len()
        )
        .unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        let (head, body) = response.split_once("\r\n\r\n").unwrap();
        let status = head.split(' ').nth(1).unwrap().parse().unwrap();
        (status, body.to_owned())
    }

    pub(crate) fn get_json(&self, path: &str, token: &str) -> Value {
        let (status, body) = self.get(path, Some(token));
        assert_eq!(status, 200, "{path}: {body}");
        serde_json::from_str(&body).unwrap()
    }

    /// SIGTERM, then the exit status and every stderr line.
    pub(crate) fn stop(mut self) -> (std::process::ExitStatus, Vec<String>) {
        let killed = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(killed.success());
        let status = self.child.wait().unwrap();
        (status, self.stderr.join().unwrap())
    }
}

fn token_cli(args: &[&str], store: &std::path::Path) -> String {
    let mut all = vec!["serve", "token"];
    all.extend_from_slice(args);
    all.extend(["--store", store.to_str().unwrap()]);
    let output = plimsoll(&all);
    assert!(output.status.success(), "{all:?}: {}", stderr(&output));
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn tokens_are_made_once_managed_from_the_cli_and_never_logged() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store.sqlite");
    let server = Server::start(&store);
    let admin = server
        .admin_token
        .clone()
        .expect("first start prints an admin token");
    assert_eq!(server.get("/healthz", None).0, 200);
    assert_eq!(server.get("/readyz", None).0, 200);
    let (status, body) = server.get("/api/v1/images", None);
    assert_eq!(status, 401, "{body}");
    assert!(body.contains("\"code\":\"unauthorized\""), "{body}");
    let images = server.get_json("/api/v1/images", &admin);
    assert_eq!(images["total"], 0);

    // A read token from the CLI works on the running server; revoked, it is refused.
    let read = token_cli(&["create", "--scope", "read", "--name", "ci"], &store);
    let read = read.trim();
    assert!(read.starts_with("plm_"), "{read}");
    assert_eq!(server.get_json("/api/v1/runs", read)["total"], 0);
    let list = token_cli(&["list"], &store);
    let ci = list
        .lines()
        .find(|l| l.ends_with("\tci"))
        .unwrap_or_else(|| panic!("{list}"));
    assert!(ci.contains("\tread\t"), "{ci}");
    assert!(!list.contains(read) && !list.contains(&admin), "{list}");
    let id = ci.split('\t').next().unwrap();
    token_cli(&["revoke", id], &store);
    assert_eq!(server.get("/api/v1/runs", Some(read)).0, 403);
    let again = plimsoll(&[
        "serve",
        "token",
        "revoke",
        id,
        "--store",
        store.to_str().unwrap(),
    ]);
    assert!(!again.status.success());
    assert!(stderr(&again).contains(&format!("no unrevoked API token has id {id}")));

    let (status, lines) = server.stop();
    assert!(status.success(), "{lines:?}");
    let all = lines.join("\n");
    // Trace logging saw every request, yet the admin token is only on its one line and the
    // read token nowhere.
    assert!(all.contains("/api/v1/runs"), "trace logs of the requests");
    assert_eq!(all.matches(&admin).count(), 1, "{all}");
    assert!(!all.contains(read));

    // A second start finds the admin token and prints none.
    let server = Server::start(&store);
    assert_eq!(server.admin_token, None);
    assert_eq!(server.get_json("/api/v1/images", &admin)["total"], 0);
    let (status, lines) = server.stop();
    assert!(status.success(), "{lines:?}");
    assert!(!lines.join("\n").contains(&admin));
}

#[test]
fn the_api_finds_the_node_app_by_its_vulnerability_after_a_registry_scan() {
    let Some(h) = Harness::get() else { return };
    let ns = namespace("serve");
    push(
        &h,
        "lab/node-app:1",
        &format!("{ns}/node-app"),
        &["--tags", "1", "--unique-layer"],
    );
    push(
        &h,
        "lab/python-app:1",
        &format!("{ns}/python-app"),
        &["--tags", "1", "--unique-layer"],
    );
    let setup = Setup::new();
    let output = setup.scan(&h, &ns, &[]);
    assert!(output.status.success(), "{}", stderr(&output));

    let server = Server::start(&setup.store());
    let token = server.admin_token.clone().unwrap();
    let all = server.get_json("/api/v1/images", &token);
    assert_eq!(all["total"], 2, "{all}");

    let found = server.get_json("/api/v1/images?cve=GHSA-xvch-5gv4-984h", &token);
    assert_eq!(found["total"], 1, "{found}");
    let node = &found["items"][0];
    assert_eq!(node["registry"], h.registry);
    assert_eq!(node["repository"], format!("{ns}/node-app"));
    assert_eq!(node["status"], "scanned");
    assert_eq!(node["counts"]["critical"], 1, "{node}");
    let same = server.get_json("/api/v1/vulnerabilities/GHSA-xvch-5gv4-984h/images", &token);
    assert_eq!(same["items"], found["items"]);
    let by_package = server.get_json("/api/v1/images?package=minimist", &token);
    assert_eq!(by_package["items"], found["items"]);

    let digest = node["manifest_digest"].as_str().unwrap();
    let report = server.get_json(&format!("/api/v1/images/{digest}"), &token);
    let findings = &report["reports"][0]["findings"];
    assert_eq!(findings[0]["id"], "GHSA-xvch-5gv4-984h", "{report}");

    let runs = server.get_json("/api/v1/runs", &token);
    let run = runs["items"][0]["id"].as_i64().unwrap();
    let detail = server.get_json(&format!("/api/v1/runs/{run}"), &token);
    assert_eq!(detail["run"]["totals"]["success"], 2, "{detail}");
    assert_eq!(detail["outcomes"]["total"], 2, "{detail}");

    // `results … --server` prints what the same commands print from the store file.
    let url = format!("http://{}", server.address);
    let store = setup.store();
    let store = store.to_str().unwrap();
    let node_image = format!("{}/{ns}/node-app:t0001", h.registry);
    for args in [
        vec![
            "results",
            "list",
            "--registry",
            &h.registry,
            "--repository",
            &ns,
        ],
        vec!["results", "list", "--repository", &ns, "--format", "json"],
        vec!["results", "show", &node_image, "--format", "json"],
        vec!["results", "show", &node_image, "--format", "table"],
        vec!["results", "show", &node_image, "--layers"],
    ] {
        let local = plimsoll(&[args.as_slice(), &["--store", store]].concat());
        assert!(local.status.success(), "{args:?}: {}", stderr(&local));
        let remote = plimsoll(&[args.as_slice(), &["--server", &url, "--token", &token]].concat());
        assert!(remote.status.success(), "{args:?}: {}", stderr(&remote));
        let text = String::from_utf8(remote.stdout).unwrap();
        assert_eq!(text, String::from_utf8(local.stdout).unwrap(), "{args:?}");
        assert!(text.contains(&format!("{ns}/node-app")), "{args:?}: {text}");
    }
    let unknown = plimsoll(&["results", "list", "--server", &url, "--token", "plm_nope"]);
    assert!(!unknown.status.success());
    assert!(
        stderr(&unknown)
            .contains("answered 401 Unauthorized to GET /api/v1/images: unknown API token"),
        "{}",
        stderr(&unknown)
    );
    let both = plimsoll(&["results", "list", "--server", &url, "--store", store]);
    assert!(!both.status.success());
    assert!(
        stderr(&both).contains("cannot be used with"),
        "{}",
        stderr(&both)
    );

    let (status, lines) = server.stop();
    assert!(status.success(), "{lines:?}");
}

/// `POST /login` of the web UI as a same-origin form: (status, `Set-Cookie`).
fn ui_login(server: &Server, form: &str) -> (u16, Option<String>) {
    let mut stream = TcpStream::connect(&server.address).unwrap();
    write!(
        stream,
        "POST /login HTTP/1.1\r\nHost: {a}\r\nOrigin: http://{a}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{form}",
        form.len(),
        a = server.address
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let (head, _) = response.split_once("\r\n\r\n").unwrap();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    let cookie = head
        .lines()
        .find_map(|l| l.strip_prefix("set-cookie: "))
        .map(str::to_owned);
    (status, cookie)
}

/// `plimsoll serve password set` with `stdin`.
fn password_set(store: &std::path::Path, stdin: &str) -> std::process::Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_plimsoll"))
        .args([
            "serve",
            "password",
            "set",
            "--store",
            store.to_str().unwrap(),
        ])
        .env_remove("RUST_LOG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn the_admin_password_is_seeded_from_the_environment_once_and_set_from_stdin() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store.sqlite");
    let args = [
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--store",
        store.to_str().unwrap(),
    ];
    let seeded = "first admin password";
    let server = Server::start_with_env(&args, &[("PLIMSOLL_ADMIN_PASSWORD", seeded)]);
    let (status, cookie) = ui_login(&server, "user=admin&password=first+admin+password");
    assert_eq!(status, 303);
    let cookie = cookie.expect("a session cookie");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    assert_eq!(
        ui_login(&server, "user=admin&password=wrong+password+here").0,
        401
    );
    let (status, lines) = server.stop();
    assert!(status.success(), "{lines:?}");
    assert!(
        !lines.join("\n").contains(seeded),
        "the password is never printed"
    );

    let short = password_set(&store, "short\n");
    assert!(!short.status.success());
    assert!(
        String::from_utf8_lossy(&short.stderr).contains("at least 12 characters"),
        "{}",
        String::from_utf8_lossy(&short.stderr)
    );
    let set = password_set(&store, "the second password\n");
    assert!(
        set.status.success(),
        "{}",
        String::from_utf8_lossy(&set.stderr)
    );

    // The variable only seeds a first password: the stored one wins from now on.
    let server = Server::start_with_env(&args, &[("PLIMSOLL_ADMIN_PASSWORD", seeded)]);
    assert_eq!(
        ui_login(&server, "user=admin&password=first+admin+password").0,
        401
    );
    assert_eq!(
        ui_login(&server, "user=admin&password=the+second+password").0,
        303
    );
    let (status, lines) = server.stop();
    assert!(status.success(), "{lines:?}");
}
