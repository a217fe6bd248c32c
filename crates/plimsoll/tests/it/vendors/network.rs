//! The network keys every registry type takes: the Sysdig-chart retry keys (`max_retries`,
//! `min_retry_wait`, `max_retry_wait`) on a registry and on a vendor API — a loopback server
//! that answers every request with 503, as an overloaded registry does, receives exactly
//! `max_retries + 1` requests per call — and `proxy` / `HTTP_PROXY`.

use super::{StandIn, json};
use crate::registry_scan::Setup;
use crate::{plimsoll, stderr};

fn scan(setup: &Setup, entry: &str) -> std::process::Output {
    let config = setup.dir().join("retries.toml");
    fs_err::write(
        &config,
        format!(
            "store = \"{}\"\ndb_dir = \"{}\"\n\n[[registries]]\n{entry}\n",
            setup.store().display(),
            setup.db_dir().display()
        ),
    )
    .unwrap();
    plimsoll(&["registry", "scan", "--config", config.to_str().unwrap()])
}

#[test]
fn retry_keys_bound_the_attempts_on_registries_and_vendor_apis() {
    let setup = Setup::new();
    for (max_retries, kind) in [
        (2_usize, "distribution"),
        (0, "distribution"),
        (3, "harbor"),
    ] {
        let busy = StandIn::start(|_, _| json(503, &serde_json::json!({"errors": []}), &[]));
        let url = busy.url();
        let api = if kind == "harbor" {
            format!("api_url = \"{url}\"\n")
        } else {
            String::new()
        };
        let output = scan(
            &setup,
            &format!(
                "type = \"{kind}\"\nurl = \"{url}\"\n{api}max_retries = {max_retries}\nmin_retry_wait = 0.01\nmax_retry_wait = 0.02"
            ),
        );
        assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
        assert!(
            stderr(&output).contains(&format!("after {} attempts", max_retries + 1)),
            "{}",
            stderr(&output)
        );
        assert_eq!(
            busy.seen().len(),
            max_retries + 1,
            "{kind}: {:?}",
            busy.seen()
        );
    }
    // Out of range: refused before any request, naming the key.
    let output = scan(&setup, "url = \"http://127.0.0.1:9\"\nmax_retries = 11");
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("max_retries = 11 is out of range"),
        "{}",
        stderr(&output)
    );
}

/// `proxy` (and, without it, the `HTTP_PROXY` variable) sends the registry's requests through
/// the proxy: the registry's own address has nothing listening, so only a request that went
/// through the loopback proxy can be answered.
#[test]
fn registry_requests_go_through_the_configured_proxy() {
    let setup = Setup::new();
    for via_env in [false, true] {
        let proxy = StandIn::start(|_, _| json(503, &serde_json::json!({"errors": []}), &[]));
        let nothing_there = "127.0.0.1:9";
        let entry = if via_env {
            format!("url = \"http://{nothing_there}\"\nmax_retries = 0")
        } else {
            format!(
                "url = \"http://{nothing_there}\"\nproxy = \"{}\"\nmax_retries = 0",
                proxy.url()
            )
        };
        let config = setup.dir().join("proxy.toml");
        fs_err::write(
            &config,
            format!(
                "store = \"{}\"\ndb_dir = \"{}\"\n\n[[registries]]\n{entry}\n",
                setup.store().display(),
                setup.db_dir().display()
            ),
        )
        .unwrap();
        let env: Vec<(&str, String)> = if via_env {
            vec![("HTTP_PROXY", proxy.url()), ("NO_PROXY", String::new())]
        } else {
            Vec::new()
        };
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let output = crate::plimsoll_with_env(
            &["registry", "scan", "--config", config.to_str().unwrap()],
            &env,
        );
        assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
        let seen = proxy.seen();
        assert_eq!(
            seen.len(),
            1,
            "via_env = {via_env}: {seen:?}\n{}",
            stderr(&output)
        );
        assert!(seen[0].target.contains("/v2/_catalog"), "{seen:?}");
    }
}

/// A registry that counts pulls (Docker Hub's `ratelimit-remaining: N;w=SECONDS` headers):
/// the run reports how many are left.
#[test]
fn remaining_pulls_are_reported() {
    let setup = Setup::new();
    let registry = StandIn::start(|_, _| {
        json(
            200,
            &serde_json::json!({"repositories": []}),
            &[
                ("ratelimit-limit", "100;w=21600".to_owned()),
                ("ratelimit-remaining", "42;w=21600".to_owned()),
            ],
        )
    });
    let config = setup.dir().join("ratelimit.toml");
    fs_err::write(
        &config,
        format!(
            "store = \"{}\"\ndb_dir = \"{}\"\n\n[[registries]]\nname = \"counted\"\nurl = \"{}\"\n",
            setup.store().display(),
            setup.db_dir().display(),
            registry.url()
        ),
    )
    .unwrap();
    let output = plimsoll(&["registry", "scan", "--config", config.to_str().unwrap()]);
    let log = stderr(&output);
    assert!(output.status.success(), "{log}");
    assert!(
        log.lines().any(|l| l.contains("registry pull rate limit: 42 pulls left") && l.contains("counted")),
        "{log}"
    );
}

/// `skip_tls_verify` (the Sysdig chart's name for `insecure`) is accepted and warned about.
#[test]
fn skip_tls_verify_is_accepted_and_warned_about() {
    let setup = Setup::new();
    let registry = StandIn::start(|_, _| json(200, &serde_json::json!({"repositories": []}), &[]));
    let config = setup.dir().join("insecure.toml");
    fs_err::write(
        &config,
        format!(
            "store = \"{}\"\ndb_dir = \"{}\"\n\n[[registries]]\nurl = \"{}\"\nskip_tls_verify = true\n",
            setup.store().display(),
            setup.db_dir().display(),
            registry.url()
        ),
    )
    .unwrap();
    let output = plimsoll(&["registry", "scan", "--config", config.to_str().unwrap()]);
    let log = stderr(&output);
    assert!(output.status.success(), "{log}");
    assert!(
        log.lines().any(|l| l.contains("WARN")
            && l.contains("TLS certificates of this registry and its API are NOT verified")),
        "{log}"
    );
}
