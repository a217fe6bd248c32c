//! Bundler's `Gemfile.lock`: sections start at column 0 (`GEM`, `GIT`, `PATH`, `PLATFORMS`,
//! `DEPENDENCIES`, `BUNDLED WITH`, …). In the source sections `GEM`, `GIT` and `PATH`, the
//! lines indented by exactly four spaces under `specs:` are the resolved gems,
//! `name (version)` or `name (version-platform)`; six-space lines below them are their
//! dependencies' requirements, not gems.
//!
//! As Bundler's `LockfileParser` does, the version is the text before the first `-` and the
//! platform (`x86_64-linux`, `java`) the rest; `RubyGems` pre-releases use `.`, never `-`
//! (`1.0.0.rc1`). The platform becomes the package's `arch`. `PATH` gems (local folders, often
//! the application itself) are read too, like npm's `file:` packages: they are what
//! `bundle list` shows.

use plimsoll_types::{FileFacts, Package, PackageKind};

/// Adds the gems of lockfile `text` to `facts`.
pub(super) fn read(path: &str, text: &str, facts: &mut FileFacts) {
    let mut in_source = false;
    let mut in_specs = false;
    for (n, line) in text.lines().enumerate() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() {
            continue;
        }
        if !line.starts_with(' ') {
            in_source = matches!(line.trim_end(), "GEM" | "GIT" | "PATH");
            in_specs = false;
            continue;
        }
        if !in_source {
            continue;
        }
        let indent = line.len() - line.trim_start_matches(' ').len();
        match indent {
            2 => in_specs = line.trim_end() == "  specs:",
            4 if in_specs => match spec(line[4..].trim_end()) {
                Some((name, version, platform)) => {
                    let mut package = Package::new(PackageKind::Gem, name, version, path);
                    package.arch = platform.map(str::to_owned);
                    facts.packages.push(package);
                }
                None => facts.warnings.push(format!(
                    "line {}: not a `name (version)` spec, skipped",
                    n + 1
                )),
            },
            _ => {}
        }
    }
}

/// `name (version[-platform])` → parts.
fn spec(line: &str) -> Option<(&str, &str, Option<&str>)> {
    let (name, rest) = line.split_once(" (")?;
    let inner = rest.strip_suffix(')')?;
    let (version, platform) = match inner.split_once('-') {
        Some((v, p)) => (v, Some(p).filter(|p| !p.is_empty())),
        None => (inner, None),
    };
    let name = name.trim();
    let version = version.trim();
    if name.is_empty() || name.contains(' ') || version.is_empty() || version.contains(' ') {
        return None;
    }
    Some((name, version, platform))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil;

    fn catalog(text: &str) -> FileFacts {
        let mut facts = FileFacts::default();
        read("/app/Gemfile.lock", text, &mut facts);
        facts
    }

    #[test]
    fn sections_platforms_and_dependency_lines() {
        let facts = catalog(
            "PATH\n  remote: .\n  specs:\n    myapp (0.1.0)\n      rack (>= 2)\n\n\
             GIT\n  remote: https://example.org/x.git\n  revision: abc\n  specs:\n    \
             xgem (1.2.3)\n\n\
             GEM\r\n  remote: https://rubygems.org/\r\n  specs:\r\n    \
             nokogiri (1.15.4-x86_64-linux)\r\n      racc (~> 1.4)\r\n    \
             racc (1.7.1)\r\n    rails (7.1.0.rc1)\r\n    broken line\r\n    \
             (1.0)\r\n\r\n\
             PLATFORMS\n  x86_64-linux\n\nDEPENDENCIES\n  myapp!\n  nokogiri\n\n\
             PLUGIN SOURCE\n  specs:\n    plugin (1.0)\n\nBUNDLED WITH\n   2.4.10\n",
        );
        assert_eq!(
            testutil::summaries(std::slice::from_ref(&facts)),
            [
                "myapp 0.1.0",
                "xgem 1.2.3",
                "nokogiri 1.15.4 x86_64-linux",
                "racc 1.7.1",
                "rails 7.1.0.rc1",
            ]
        );
        assert_eq!(
            facts.warnings,
            [
                "line 20: not a `name (version)` spec, skipped",
                "line 21: not a `name (version)` spec, skipped",
            ]
        );
    }

    #[test]
    fn empty_and_unrelated_text() {
        assert!(catalog("").packages.is_empty());
        assert!(catalog("    rack (1.0)\n").packages.is_empty());
    }
}
