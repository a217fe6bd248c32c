//! pip's requirements-file format (<https://pip.pypa.io/en/stable/reference/requirements-file-format/>),
//! exact pins only.

use plimsoll_types::{FileFacts, Package, PackageKind};

/// Adds the pinned requirements of `text` to `facts`.
pub(super) fn read(path: &str, text: &str, facts: &mut FileFacts) {
    let mut logical = String::new();
    for raw in text.lines() {
        // pip joins a line ending in `\` with the next before anything else.
        if let Some(head) = raw.strip_suffix('\\') {
            logical.push_str(head);
            logical.push(' ');
            continue;
        }
        logical.push_str(raw);
        if let Some((name, version)) = pin(&logical) {
            facts
                .packages
                .push(Package::new(PackageKind::Python, name, version, path));
        }
        logical.clear();
    }
    if let Some((name, version)) = pin(&logical) {
        facts
            .packages
            .push(Package::new(PackageKind::Python, name, version, path));
    }
}

/// `name[extras]==version[; marker] [--hash=…]` → `(name, version)`.
fn pin(line: &str) -> Option<(&str, &str)> {
    // A comment starts at `#` at the line start or after whitespace.
    let line = match line.find(" #").or_else(|| line.find("\t#")) {
        Some(i) => &line[..i],
        None => line,
    };
    let line = line.trim();
    if line.is_empty() || line.starts_with(['#', '-']) {
        return None;
    }
    // Per-requirement options (`--hash=…`) follow the requirement after whitespace.
    let requirement = match line.find(" -").or_else(|| line.find("\t-")) {
        Some(i) => &line[..i],
        None => line,
    };
    let requirement = requirement.split(';').next().unwrap_or(requirement).trim();
    let (name_part, version) = if let Some((n, v)) = requirement.split_once("===") {
        (n, v)
    } else {
        let (n, v) = requirement.split_once("==")?;
        (n, v)
    };
    let name = name_part.split('[').next().unwrap_or(name_part).trim();
    let version = version.trim();
    let valid_name = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    // `==1.*` is a prefix match and `==1.0,<2` a range: neither is one version.
    let valid_version = !version.is_empty()
        && !version.contains(['*', ',', ' ', '<', '>', '!', '~', '=', '@', '/']);
    (valid_name && valid_version).then_some((name, version))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil;

    #[test]
    fn only_exact_pins() {
        let mut facts = FileFacts::default();
        read(
            "/app/requirements.txt",
            "# comment\n-r base.txt\n--index-url https://x\n-e git+https://x#egg=y\n\
             requests==2.31.0  # pinned\nflask\nDjango>=4.2\nurllib3==2.*\n\
             idna==3.6 ; python_version >= \"3.8\"\nuvicorn[standard]==0.27.0\n\
             certifi==2024.2.2 \\\n    --hash=sha256:abc \\\n    --hash=sha256:def\n\
             six===1.16.0\nbad name==1.0\nrange==1.0,<2\nhttps://x/y.whl\n\
             pkg @ https://x/pkg-1.0.whl\nlast==0.1",
            &mut facts,
        );
        assert_eq!(
            testutil::summaries(std::slice::from_ref(&facts)),
            [
                "requests 2.31.0",
                "idna 3.6",
                "uvicorn 0.27.0",
                "certifi 2024.2.2",
                "six 1.16.0",
                "last 0.1",
            ]
        );
        assert!(facts.warnings.is_empty());
    }
}
