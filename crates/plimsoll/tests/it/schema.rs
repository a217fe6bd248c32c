//! The API against its own OpenAPI document, by schemathesis (`$PLIMSOLL_TOOLS_SCHEMATHESIS`,
//! installed by scripts/tools/schemathesis.sh): a real `plimsoll serve` over a store filled by a
//! real registry scan, every documented operation called with generated valid and invalid
//! inputs, and each answer checked against the document — status codes, content types, bodies,
//! headers, no 5xx, authentication enforced where it is declared.

use std::process::Command;

use crate::registry_scan::{Setup, namespace, push};
use crate::serve::Server;
use crate::{Harness, stderr};

#[test]
fn every_documented_operation_answers_as_documented() {
    let Some(st) = crate::tool_env("PLIMSOLL_TOOLS_SCHEMATHESIS") else {
        return;
    };
    let Some(h) = Harness::get() else { return };
    let ns = namespace("schema");
    push(
        &h,
        "lab/node-app:1",
        &format!("{ns}/node-app"),
        &["--tags", "2", "--unique-layer"],
    );
    let setup = Setup::new();
    let output = setup.scan(&h, &ns, &[]);
    assert!(output.status.success(), "{}", stderr(&output));

    let server = Server::start_with(&[
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--store",
        setup.store().to_str().unwrap(),
    ]);
    let token = server.admin_token.clone().unwrap();
    let schema = format!("http://{}/api/openapi.json", server.address);
    let auth = format!("Authorization: Bearer {token}");
    // A registry body has rules JSON Schema cannot say (a cron expression's syntax, an IANA
    // zone name, an interval within 5m–7d, `schedule` or `interval` but not both), so a body
    // valid by the schema may be refused with a 400 naming the key: for these two writes the
    // "schema-valid input is accepted" check cannot hold. They get every other check in a run
    // of their own; every other operation gets all checks.
    let writes = ["POST /api/v1/registries", "PUT /api/v1/registries/{name}"];
    let mut rest: Vec<&str> = Vec::new();
    for name in writes {
        rest.extend(["--exclude-name", name]);
    }
    let mut bodies: Vec<&str> = vec!["--exclude-checks", "positive_data_acceptance"];
    for name in writes {
        bodies.extend(["--include-name", name]);
    }
    for (part, selection) in [("all", rest), ("bodies", bodies)] {
        let report = setup.dir().join(format!("schemathesis-{part}"));
        let run = Command::new(&st)
            .args([
                "run",
                &schema,
                "--header",
                &auth,
                "--checks",
                "all",
                // Reproducible: the same inputs on every run.
                "--seed",
                "20261126",
                "--max-examples",
                "40",
                "--workers",
                "2",
                "--phases",
                "examples,coverage,fuzzing",
                "--report-dir",
                report.to_str().unwrap(),
            ])
            .args(&selection)
            // Its cache stays in the test's directory.
            .current_dir(setup.dir())
            .env("NO_COLOR", "1")
            .output()
            .unwrap();
        let out = String::from_utf8_lossy(&run.stdout);
        assert!(
            run.status.success(),
            "schemathesis ({part}) found nonconformities:\n{out}\n{}",
            String::from_utf8_lossy(&run.stderr)
        );
        // It really ran: a summary that tested nothing must not pass.
        assert!(out.contains("passed"), "{part}: {out}");
    }
    let (status, lines) = server.stop();
    assert!(status.success(), "{lines:?}");
}
