//! `plimsoll serve`'s registry list changing while it runs: the configuration file reloaded on
//! SIGHUP (a broken one keeps the running configuration), and a registry created through the
//! API, scanned with its credentials, which never reach the log.

use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::Harness;
use crate::registry_scan::{Setup, namespace};
use crate::serve::Server;

/// How long any one awaited event may take on a loaded machine: a limit, not a timing.
const PATIENCE: Duration = Duration::from_mins(5);

/// Polls `probe` until it gives a value; panics with `what` after [`PATIENCE`].
pub(crate) fn wait_for<T>(what: &str, mut probe: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(value) = probe() {
            return value;
        }
        assert!(start.elapsed() < PATIENCE, "gave up waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn hang_up(server: &Server) {
    let sent = Command::new("kill")
        .args(["-HUP", &server.pid().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
}

/// name → schedule of every registry the server shows.
fn schedules(server: &Server, token: &str) -> Vec<(String, String)> {
    let list = server.get_json("/api/v1/registries", token);
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["name"].as_str().unwrap().to_owned(),
                r["schedule"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
        .collect()
}

#[test]
fn sighup_reloads_the_configuration_and_a_broken_one_keeps_the_running_one() {
    let Some(h) = Harness::get() else { return };
    // Nothing is pushed under this namespace: a run of the open registry finds nothing.
    let ns = namespace("reload");
    let setup = Setup::new();
    let config = setup.dir().join("plimsoll.toml");
    let head = format!(
        "store = \"{store}\"\ndb_dir = \"{db}\"\n\n[filter]\ninclude = [\"{registry}/{ns}/*\"]\n\
         max_repositories_per_registry = 10000\n",
        store = setup.store().display(),
        db = setup.db_dir().display(),
        registry = h.registry,
    );
    let lab = format!(
        "[[registries]]\nname = \"lab\"\nurl = \"http://{}\"\n",
        h.registry
    );
    fs_err::write(&config, format!("{head}\n{lab}interval = \"6h\"\n")).unwrap();
    let server = Server::start_with(&[
        "--log-format",
        "json",
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--config",
        config.to_str().unwrap(),
    ]);
    let token = server.admin_token.clone().unwrap();
    assert_eq!(schedules(&server, &token), pairs(&[("lab", "every 6h")]));

    // A changed interval and an added registry with scan_on_start, in a named zone.
    fs_err::write(
        &config,
        format!(
            "{head}\n{lab}interval = \"7d\"\n\n[[registries]]\nname = \"second\"\n\
             url = \"http://{}\"\nschedule = \"0 6 * * *\"\ntimezone = \"America/New_York\"\n\
             scan_on_start = true\n",
            h.registry
        ),
    )
    .unwrap();
    hang_up(&server);
    let expected = pairs(&[
        ("lab", "every 7d"),
        ("second", "cron 0 6 * * * (America/New_York)"),
    ]);
    wait_for("the reloaded registries", || {
        (schedules(&server, &token) == expected).then_some(())
    });
    // The added registry was queued at once and its run recorded.
    let run = wait_for("the run of the added registry", || {
        let second = server.get_json("/api/v1/registries/second", &token);
        (second["last_run"]["status"] == "completed").then(|| second["last_run"]["run"].clone())
    });
    assert!(run.as_i64().is_some(), "{run}");

    // A broken file: logged, and the running configuration stays.
    fs_err::write(&config, format!("{head}\n{lab}interval = \"2m\"\n")).unwrap();
    hang_up(&server);
    let failed = wait_for("the failed reload in the log", || {
        server.log_lines_with("configuration reload failed").pop()
    });
    assert!(
        failed.contains("interval `2m`") && failed.contains("registry `lab`"),
        "{failed}"
    );
    assert_eq!(schedules(&server, &token), expected);
    // The run history is untouched.
    let runs = server.get_json("/api/v1/runs", &token);
    assert!(
        runs["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["id"] == run),
        "{runs}"
    );
    let (status, lines) = server.stop();
    assert!(status.success(), "{}", lines.join("\n"));
    assert_eq!(
        lines
            .iter()
            .filter(|l| l.contains("\"configuration reloaded\""))
            .count(),
        1,
        "{}",
        lines.join("\n")
    );
}

/// Pushes `lab/private:1` of the authenticated registry, created now (so no age filter skips
/// it), as `repository:t0001`.
fn push_private(h: &Harness, repository: &str) {
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../scripts/testimages/pushtags.py");
    let output = Command::new("python3")
        .arg(&script)
        .args(["--registry", &h.auth_registry, "--user", &h.auth_user])
        .args(["--base", "lab/private:1", "--repo", repository])
        .env("PUSHTAGS_PASSWORD", &h.auth_password)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "pushtags.py: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn a_registry_created_through_the_api_is_scanned_and_its_password_never_logged() {
    let Some(h) = Harness::get() else { return };
    let ns = namespace("api-registry");
    let repository = format!("{ns}/private");
    push_private(&h, &repository);
    let setup = Setup::new();
    let config = setup.dir().join("plimsoll.toml");
    // The file's own registry is never due during the test; the filter keeps the scan to the
    // repository just pushed.
    fs_err::write(
        &config,
        format!(
            "store = \"{store}\"\ndb_dir = \"{db}\"\n\n[filter]\ninclude = [\"{auth}/{ns}/*\"]\n\
             max_repositories_per_registry = 10000\n\n\
             [[registries]]\nname = \"open\"\nurl = \"http://{open}\"\ninterval = \"7d\"\n",
            store = setup.store().display(),
            db = setup.db_dir().display(),
            auth = h.auth_registry,
            open = h.registry,
        ),
    )
    .unwrap();
    let server = Server::start_with(&[
        "--log-level",
        "trace",
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--config",
        config.to_str().unwrap(),
    ]);
    let admin = server.admin_token.clone().unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(setup.store())
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "the store is private: {mode:o}");
    }

    let body = json!({
        "name": "private",
        "url": format!("http://{}", h.auth_registry),
        "user": h.auth_user,
        "password": h.auth_password,
        "scan_on_start": true,
    })
    .to_string();
    let read = crate::plimsoll(&[
        "serve",
        "token",
        "create",
        "--scope",
        "read",
        "--store",
        setup.store().to_str().unwrap(),
    ]);
    assert!(read.status.success(), "{}", crate::stderr(&read));
    let read = String::from_utf8(read.stdout).unwrap().trim().to_owned();
    let (status, answer) = server.send("POST", "/api/v1/registries", Some(&read), Some(&body));
    assert_eq!(status, 403, "{answer}");
    let (status, answer) = server.send("POST", "/api/v1/registries", Some(&admin), Some(&body));
    assert_eq!(status, 201, "{answer}");
    assert!(!answer.contains(&h.auth_password), "{answer}");
    let shadow = json!({"name": "open", "url": "http://127.0.0.1:5000"}).to_string();
    let (status, answer) = server.send("POST", "/api/v1/registries", Some(&admin), Some(&shadow));
    assert_eq!(status, 409, "{answer}");
    assert!(
        answer.contains("registry `open` is defined in plimsoll.toml; edit the file and reload"),
        "{answer}"
    );

    // scan_on_start: the registry's image is scanned with the stored credentials.
    let images = format!("/api/v1/images?registry={}", h.auth_registry);
    let image = wait_for("the private image to be scanned", || {
        let list = server.get_json(&images, &read);
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["repository"] == repository.as_str() && i["status"] == "scanned")
            .cloned()
    });
    assert_eq!(image["tag"], "t0001", "{image}");
    let private = server.get_json("/api/v1/registries/private", &read);
    assert_eq!(private["source"], "api");
    assert_eq!(private["password_source"], "password");
    assert_eq!(private["last_run"]["status"], "completed", "{private}");
    assert!(!private.to_string().contains(&h.auth_password));
    let all: Value = server.get_json("/api/v1/registries", &read);
    assert!(!all.to_string().contains(&h.auth_password));

    let (status, answer) = server.send("DELETE", "/api/v1/registries/private", Some(&admin), None);
    assert_eq!(status, 204, "{answer}");
    let (status, _) = server.get("/api/v1/registries/private", Some(&read));
    assert_eq!(status, 404);
    // Its results stay.
    assert!(
        !server.get_json(&images, &read)["items"]
            .as_array()
            .unwrap()
            .is_empty()
    );

    let (status, lines) = server.stop();
    let log = lines.join("\n");
    assert!(status.success(), "{log}");
    assert!(log.contains("registry created through the API"), "{log}");
    assert!(
        !log.contains(&h.auth_password),
        "the password reached the log"
    );
}
