//! The gate for tests that need the real registries of `scripts/test-registry.sh up`.

use std::path::PathBuf;

use plimsoll_types::Digest;

/// Where the lab registries are, from the env file the harness writes.
pub(crate) struct Lab {
    /// Open registry, `127.0.0.1:5000`.
    pub(crate) registry: String,
    /// htpasswd basic-auth registry, `127.0.0.1:5001`.
    pub(crate) auth_registry: String,
    pub(crate) user: String,
    pub(crate) password: String,
    /// `$PLIMSOLL_TEST_DIR/expect`, the harness's ground truth, when known.
    expect: Option<PathBuf>,
}

/// Whether we run under CI, where a missing registry must fail rather than skip. `CI=false`
/// and `CI=0` (a developer turning it off explicitly) do not count.
fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !matches!(v.trim(), "" | "0" | "false"))
}

fn required(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!("PLIMSOLL_TEST_REGISTRY is set but {name} is not: source .plimsoll-test/env")
    })
}

/// Says why a test returns early without checking anything.
#[allow(
    clippy::print_stderr,
    reason = "a skipped test must say so in the test output"
)]
pub(crate) fn skip(reason: &str) {
    eprintln!("skipping: {reason}");
}

/// The lab registries, or `None` (after saying so) when they are not configured. Under `CI`
/// a missing registry is a failure: CI must not pass by skipping every real-registry test.
pub(crate) fn lab() -> Option<Lab> {
    match std::env::var("PLIMSOLL_TEST_REGISTRY") {
        Ok(registry) if !registry.trim().is_empty() => Some(Lab {
            registry,
            auth_registry: required("PLIMSOLL_TEST_AUTH_REGISTRY"),
            user: required("PLIMSOLL_TEST_AUTH_USER"),
            password: required("PLIMSOLL_TEST_AUTH_PASSWORD"),
            expect: std::env::var_os("PLIMSOLL_TEST_DIR")
                .map(|dir| PathBuf::from(dir).join("expect"))
                .filter(|dir| dir.is_dir()),
        }),
        _ => {
            assert!(
                !in_ci(),
                "PLIMSOLL_TEST_REGISTRY not set but CI is: real-registry tests must run in CI \
                 (run scripts/test-registry.sh up and source .plimsoll-test/env)"
            );
            skip("PLIMSOLL_TEST_REGISTRY not set (run scripts/test-registry.sh up)");
            None
        }
    }
}

impl Lab {
    /// A file of the harness's `expect/` dir, parsed, if the dir is known.
    pub(crate) fn expect(&self, name: &str) -> Option<serde_json::Value> {
        let path = self.expect.as_ref()?.join(name);
        if !path.exists() {
            return None;
        }
        Some(serde_json::from_str(&fs_err::read_to_string(path).unwrap()).unwrap())
    }

    /// Whether the harness recorded that it could not push the schema 1 image.
    pub(crate) fn schema1_skipped(&self) -> bool {
        self.expect
            .as_ref()
            .is_some_and(|dir| dir.join("schema1-skipped").exists())
    }

    /// The manifest digest the harness pushed for `reference` (`127.0.0.1:5000/lab/debian:12`).
    pub(crate) fn pushed_digest(&self, reference: &str) -> Option<Digest> {
        let images = self.expect("images.json")?;
        let entry = images
            .as_array()?
            .iter()
            .find(|e| e["ref"].as_str() == Some(reference))?;
        Some(entry["digest"].as_str()?.parse().unwrap())
    }
}
