//! The Sysdig-chart retry keys (`max_retries`, `min_retry_wait`, `max_retry_wait`) on a
//! registry and on a vendor API: a loopback server that answers every request with 503 (as an
//! overloaded registry does) receives exactly `max_retries + 1` requests per call.

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
