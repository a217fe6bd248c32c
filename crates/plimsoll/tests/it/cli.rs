use crate::{plimsoll, stderr};

#[test]
fn every_command_has_help() {
    for args in [&["--help"][..], &["sbom", "--help"], &["help", "sbom"]] {
        let output = plimsoll(args);
        assert!(output.status.success(), "{args:?}: {}", stderr(&output));
        let text = String::from_utf8_lossy(&output.stdout);
        assert!(text.contains("Usage: plimsoll"), "{args:?}: {text}");
    }
    let sbom = String::from_utf8(plimsoll(&["sbom", "--help"]).stdout).unwrap();
    for flag in [
        "--format",
        "--platform",
        "--all-platforms",
        "--username",
        "--password-stdin",
        "--ca-cert",
        "--insecure",
        "--max-expansion-ratio",
    ] {
        assert!(sbom.contains(flag), "sbom --help lacks {flag}");
    }
}

#[test]
fn version_is_printed() {
    let output = plimsoll(&["--version"]);
    assert_eq!(
        String::from_utf8_lossy(&output.stdout).trim(),
        format!("plimsoll {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn an_invalid_reference_is_one_clear_error() {
    let output = plimsoll(&["sbom", "Not/A Valid:ref"]);
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert!(
        err.starts_with("error: invalid image reference `Not/A Valid:ref`"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[test]
fn a_missing_oci_layout_names_the_path() {
    let output = plimsoll(&["sbom", "oci-layout:/nonexistent/plimsoll-layout:1"]);
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert!(
        err.contains("/nonexistent/plimsoll-layout") && err.contains("not an OCI image layout"),
        "{err}"
    );
}

#[test]
fn bad_flags_are_usage_errors() {
    let output = plimsoll(&["sbom", "x", "--format", "pdf"]);
    assert_eq!(output.status.code(), Some(2));
    let output = plimsoll(&["sbom", "x", "--platform", "linux/amd64", "--all-platforms"]);
    assert_eq!(output.status.code(), Some(2));
    let output = plimsoll(&["sbom", "x", "--platform", "linux"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("invalid platform `linux`"),
        "{}",
        stderr(&output)
    );
    let output = plimsoll(&["--log-level", "[nonsense", "sbom", "x"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("invalid --log-level"),
        "{}",
        stderr(&output)
    );
}
