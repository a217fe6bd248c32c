//! `plimsoll registry check` for Distribution registries: `/v2/` reachability and the
//! credentials' verdict, the catalog, and exit status 1 when anything configured fails
//! (the ECR side is in `ecr.rs`).

use crate::{Harness, plimsoll, stderr};

fn check(args: &[&str]) -> (Option<i32>, String) {
    let mut all = vec!["registry", "check"];
    all.extend_from_slice(args);
    let output = plimsoll(&all);
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned() + &stderr(&output),
    )
}

#[test]
fn registry_check_reports_reachability_credentials_and_catalog() {
    let Some(h) = Harness::get() else { return };
    let (code, out) = check(&["--registry-url", &format!("http://{}", h.registry)]);
    assert_eq!(code, Some(0), "{out}");
    assert!(
        out.contains(&format!(
            "{}/v2/: reachable, access granted anonymously",
            h.registry
        )),
        "{out}"
    );
    assert!(
        out.contains("catalog: readable (first repository: "),
        "{out}"
    );

    // The htpasswd registry without credentials: /v2/ refuses, exit 1.
    let (code, out) = check(&["--registry-url", &format!("http://{}", h.auth_registry)]);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("1 problem(s)"), "{out}");
    assert!(out.contains("answered 401"), "{out}");

    // With them: accepted; the password never shows.
    let dir = tempfile::tempdir().unwrap();
    let password_file = dir.path().join("pw");
    fs_err::write(&password_file, &h.auth_password).unwrap();
    let (code, out) = check(&[
        "--registry-url",
        &format!("http://{}", h.auth_registry),
        "--registry-user",
        &h.auth_user,
        "--registry-password-file",
        password_file.to_str().unwrap(),
    ]);
    assert_eq!(code, Some(0), "{out}");
    assert!(
        out.contains(&format!("access granted as `{}`", h.auth_user)),
        "{out}"
    );
    assert!(!out.contains(&h.auth_password), "{out}");

    // Nothing listening: unreachable, exit 1.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let (code, out) = check(&["--registry-url", &format!("http://127.0.0.1:{port}")]);
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains("cannot reach") || out.contains("still failing after"),
        "{out}"
    );
}
