//! OSV ecosystem strings and per-ecosystem package-name normalisation.
//!
//! An OSV ecosystem is a base name from the schema's closed list, optionally followed by
//! `:suffix` (a release: `Debian:12`, `Alpine:v3.19`, `Ubuntu:22.04:LTS`). The index keys on the
//! full string; storage files and the known/unknown decision use the base name.

use std::borrow::Cow;

/// Base ecosystem names of the OSV schema (1.7.x, as listed by osv.dev), in their canonical
/// spelling. A record's ecosystem outside this list is counted as unknown and not stored.
const KNOWN_BASES: &[&str] = &[
    "AlmaLinux",
    "Alpaquita",
    "Alpine",
    "Android",
    "Azure Linux",
    "BellSoft Hardened Containers",
    "Bioconductor",
    "Bitnami",
    "Chainguard",
    "CleanStart",
    "ConanCenter",
    "CRAN",
    "crates.io",
    "Debian",
    "Docker Hardened Images",
    "Echo",
    "FreeBSD",
    "GHC",
    "GIT",
    "GitHub Actions",
    "Go",
    "Hackage",
    "Hex",
    "Julia",
    "Linux",
    "Mageia",
    "Maven",
    "MinimOS",
    "npm",
    "NuGet",
    "opam",
    "openEuler",
    "openSUSE",
    "OSS-Fuzz",
    "Packagist",
    "Photon OS",
    "Pub",
    "PyPI",
    "Red Hat",
    "Rocky Linux",
    "Root",
    "RubyGems",
    "SUSE",
    "SwiftURL",
    "Ubuntu",
    "VSCode",
    "Wolfi",
];

/// The base name of an ecosystem string: `Debian:12` → `Debian`.
pub(crate) fn base_of(ecosystem: &str) -> &str {
    ecosystem
        .split_once(':')
        .map_or(ecosystem, |(base, _)| base)
}

/// The ecosystem with its base name in canonical spelling (`pypi` → `PyPI`,
/// `debian:12` → `Debian:12`; the suffix is kept as written), or `None` when the base is not an
/// OSV ecosystem. Feeds are case-sensitive per the schema, but a lower-cased mirror is a common
/// mistake that costs nothing to accept.
pub(crate) fn canonical_ecosystem(ecosystem: &str) -> Option<Cow<'_, str>> {
    let base = base_of(ecosystem);
    let canonical = KNOWN_BASES
        .iter()
        .find(|known| known.eq_ignore_ascii_case(base))?;
    if *canonical == base {
        Some(Cow::Borrowed(ecosystem))
    } else {
        Some(Cow::Owned(format!(
            "{canonical}{}",
            &ecosystem[base.len()..]
        )))
    }
}

/// The name under which the index files a package of `ecosystem`, so that a package found in an
/// image and an advisory that spell it differently meet:
///
/// - `PyPI`: PEP 503 — lower-case, every run of `-`, `_`, `.` becomes one `-`
///   (`Flask_SQLAlchemy` → `flask-sqlalchemy`).
/// - `Maven` (`group:artifact`), `NuGet`, `Packagist`: case-insensitive in their registries, so
///   lower-cased.
/// - everything else as-is: npm is case-sensitive (legacy upper-case names exist) and keeps its
///   `@scope/`, Go module paths and crates.io names are exact, distribution packages are exact.
///
/// Returns the input unchanged (borrowed) when it is already normal.
///
/// ```
/// use plimsoll_vulndb::normalise_package_name;
/// assert_eq!(normalise_package_name("PyPI", "Zope.Interface__x"), "zope-interface-x");
/// assert_eq!(normalise_package_name("Maven", "org.Apache:Log4j"), "org.apache:log4j");
/// assert_eq!(normalise_package_name("npm", "@Babel/Core"), "@Babel/Core");
/// ```
pub fn normalise_package_name<'a>(ecosystem: &str, name: &'a str) -> Cow<'a, str> {
    let base = base_of(ecosystem);
    if base.eq_ignore_ascii_case("PyPI") {
        pep503(name)
    } else if ["Maven", "NuGet", "Packagist"]
        .iter()
        .any(|b| b.eq_ignore_ascii_case(base))
    {
        if name.bytes().any(|b| b.is_ascii_uppercase()) || !name.is_ascii() {
            Cow::Owned(name.to_lowercase())
        } else {
            Cow::Borrowed(name)
        }
    } else {
        Cow::Borrowed(name)
    }
}

/// Whether `ecosystem`'s version ordering can read `version` (a fixed version converted from a
/// native distribution format). The import compares nothing; it only counts and names versions
/// the matcher would later have to report as unreadable.
pub(crate) fn readable_version(ecosystem: &str, version: &str) -> bool {
    plimsoll_version::scheme_for(ecosystem).is_none_or(|scheme| scheme.parse(version).is_ok())
}

/// PEP 503 normalisation: `re.sub(r"[-_.]+", "-", name).lower()`.
fn pep503(name: &str) -> Cow<'_, str> {
    let is_sep = |c: char| matches!(c, '-' | '_' | '.');
    let mut previous_dash = false;
    let already = name.chars().all(|c| {
        let ok = !c.is_uppercase() && c != '_' && c != '.' && !(c == '-' && previous_dash);
        previous_dash = c == '-';
        ok
    });
    if already {
        return Cow::Borrowed(name);
    }
    let mut out = String::with_capacity(name.len());
    let mut in_run = false;
    for c in name.chars() {
        if is_sep(c) {
            if !in_run {
                out.push('-');
            }
            in_run = true;
        } else {
            in_run = false;
            out.extend(c.to_lowercase());
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pep503_matches_the_reference_regex() {
        for (input, want) in [
            ("requests", "requests"),
            ("Django", "django"),
            ("PyYAML", "pyyaml"),
            ("zope.interface", "zope-interface"),
            ("Flask_SQLAlchemy", "flask-sqlalchemy"),
            ("a-_.-b", "a-b"),
            ("a--b", "a-b"),
            ("-x-", "-x-"),
            ("ruamel.yaml.clib", "ruamel-yaml-clib"),
        ] {
            assert_eq!(normalise_package_name("PyPI", input), want, "{input}");
        }
        assert!(matches!(
            normalise_package_name("PyPI", "requests"),
            Cow::Borrowed(_)
        ));
    }

    #[test]
    fn case_rules_per_ecosystem() {
        assert_eq!(
            normalise_package_name("NuGet", "Newtonsoft.Json"),
            "newtonsoft.json"
        );
        assert_eq!(
            normalise_package_name("Packagist", "Guzzlehttp/Guzzle"),
            "guzzlehttp/guzzle"
        );
        assert_eq!(normalise_package_name("npm", "JSONStream"), "JSONStream");
        assert_eq!(
            normalise_package_name("Go", "github.com/BurntSushi/toml"),
            "github.com/BurntSushi/toml"
        );
        assert_eq!(
            normalise_package_name("crates.io", "Inflector"),
            "Inflector"
        );
        assert_eq!(normalise_package_name("Debian:12", "Foo_Bar"), "Foo_Bar");
    }

    #[test]
    fn canonical_spelling_keeps_the_suffix() {
        assert_eq!(canonical_ecosystem("pypi").as_deref(), Some("PyPI"));
        assert_eq!(
            canonical_ecosystem("ubuntu:22.04:LTS").as_deref(),
            Some("Ubuntu:22.04:LTS")
        );
        assert!(matches!(
            canonical_ecosystem("Alpine:v3.19"),
            Some(Cow::Borrowed(_))
        ));
        assert_eq!(
            canonical_ecosystem("Red Hat:rhel_aus:8.4::appstream").as_deref(),
            Some("Red Hat:rhel_aus:8.4::appstream")
        );
        assert_eq!(canonical_ecosystem("NotAnEcosystem"), None);
        assert_eq!(canonical_ecosystem(""), None);
    }
}
