//! The OSV schema's evaluation algorithm: events, sorting, limits, `versions`, errors.

use plimsoll_version::{
    Dpkg, Error, Event, Pep440, Range, RangeKind, Semver, VersionScheme, affected,
    affected_version, scheme_for,
};

fn introduced(v: &str) -> Event {
    Event::Introduced(v.into())
}
fn fixed(v: &str) -> Event {
    Event::Fixed(v.into())
}
fn last_affected(v: &str) -> Event {
    Event::LastAffected(v.into())
}
fn limit(v: &str) -> Event {
    Event::Limit(v.into())
}
fn ecosystem(events: Vec<Event>) -> Range {
    Range {
        kind: RangeKind::Ecosystem,
        events,
    }
}

/// Evaluates `version` against the ranges for each `(version, expected)` row.
fn check(scheme: &dyn VersionScheme, ranges: &[Range], versions: &[String], rows: &[(&str, bool)]) {
    for &(version, want) in rows {
        let got = affected(scheme, version, ranges, versions)
            .unwrap_or_else(|e| panic!("{version}: {e}"));
        assert_eq!(got, want, "{version} against {ranges:?} / {versions:?}");
        let parsed = scheme.parse(version).unwrap();
        assert_eq!(
            affected_version(&parsed, ranges, versions).unwrap(),
            want,
            "{version} (parsed)"
        );
    }
}

#[test]
fn introduced_then_fixed() {
    let ranges = [ecosystem(vec![introduced("1.0"), fixed("1.5")])];
    check(
        &Pep440,
        &ranges,
        &[],
        &[
            ("0.9", false),
            ("1.0rc1", false),
            ("1.0", true),
            ("1.4.99", true),
            ("1.5rc1", true),
            ("1.5", false),
            ("2.0", false),
        ],
    );
}

#[test]
fn introduced_zero_is_the_beginning() {
    let ranges = [ecosystem(vec![introduced("0"), fixed("2.0")])];
    check(
        &Dpkg,
        &ranges,
        &[],
        &[
            ("0", true),
            ("0~", true),
            ("~~", true),
            ("1.9", true),
            ("2.0", false),
        ],
    );
    // Everything is affected when nothing is fixed.
    check(
        &Dpkg,
        &[ecosystem(vec![introduced("0")])],
        &[],
        &[("99:9", true)],
    );
}

#[test]
fn last_affected_includes_its_version() {
    let ranges = [ecosystem(vec![introduced("0"), last_affected("2.1.214")])];
    check(
        &Semver,
        &ranges,
        &[],
        &[
            ("2.1.213", true),
            ("2.1.214", true),
            ("2.1.215-rc.1", false),
            ("2.1.215", false),
        ],
    );
}

#[test]
fn several_introduced_and_fixed_in_one_range() {
    let ranges = [ecosystem(vec![
        introduced("1.0.0"),
        fixed("1.0.2"),
        introduced("3.0.0"),
        fixed("3.2.5"),
    ])];
    check(
        &Semver,
        &ranges,
        &[],
        &[
            ("0.9.0", false),
            ("1.0.0", true),
            ("1.0.1", true),
            ("1.0.2", false),
            ("2.9.9", false),
            ("3.0.0", true),
            ("3.2.4", true),
            ("3.2.5", false),
        ],
    );
}

#[test]
fn events_are_sorted_before_the_walk() {
    let ranges = [ecosystem(vec![
        fixed("3.2.5"),
        introduced("3.0.0"),
        fixed("1.0.2"),
        introduced("1.0.0"),
    ])];
    check(
        &Semver,
        &ranges,
        &[],
        &[
            ("1.0.1", true),
            ("2.0.0", false),
            ("3.1.0", true),
            ("4.0.0", false),
        ],
    );
    // "0" sorts first wherever it is written.
    let ranges = [ecosystem(vec![fixed("1:1.0-1"), introduced("0")])];
    check(
        &Dpkg,
        &ranges,
        &[],
        &[("1:0.9", true), ("1:1.0-1", false), ("2.0", true)],
    );
}

#[test]
fn limit_bounds_the_range() {
    let ranges = [ecosystem(vec![introduced("1.0"), limit("2.0")])];
    check(
        &Pep440,
        &ranges,
        &[],
        &[
            ("0.5", false),
            ("1.0", true),
            ("1.9", true),
            ("2.0", false),
            ("3.0", false),
        ],
    );
    // Several limits: below any of them is enough; "*" is no bound at all.
    let ranges = [ecosystem(vec![
        introduced("1.0"),
        limit("1.5"),
        limit("3.0"),
    ])];
    check(&Pep440, &ranges, &[], &[("2.0", true), ("3.0", false)]);
    let ranges = [ecosystem(vec![introduced("1.0"), limit("*")])];
    check(&Pep440, &ranges, &[], &[("999", true)]);
}

#[test]
fn listed_versions_are_affected_without_ranges() {
    let versions = vec!["1.2.3".to_owned(), "2.0.0-beta".to_owned()];
    check(
        &Semver,
        &[],
        &versions,
        &[("1.2.3", true), ("2.0.0-beta", true), ("1.2.4", false)],
    );
    // Listing is exact text, checked before any parsing.
    assert!(affected(&Semver, "not semver", &[], &["not semver".to_owned()]).unwrap());
    assert!(!affected(&Semver, "not semver", &[], &[]).unwrap());
}

#[test]
fn semver_ranges_use_semver_whatever_the_ecosystem() {
    // "1.1.0-alpha.beta" is a SemVer pre-release of 1.1.0 but no PEP 440 version at all.
    let ranges = [Range {
        kind: RangeKind::Semver,
        events: vec![introduced("0"), fixed("1.2.0")],
    }];
    let pypi = scheme_for("PyPI").unwrap();
    assert!(affected(pypi, "1.1.0-alpha.beta", &ranges, &[]).unwrap());
    assert!(pypi.parse("1.1.0-alpha.beta").is_err());
    assert!(!affected(pypi, "1.2.0", &ranges, &[]).unwrap());
}

#[test]
fn git_ranges_are_skipped() {
    let ranges = [Range {
        kind: RangeKind::Git,
        events: vec![introduced("6e5755a2a833bc64852eae12967d0a54d7adf629")],
    }];
    assert!(!affected(&Dpkg, "1.0", &ranges, &[]).unwrap());
    // Skipped before parsing, so even an unreadable version is simply not in the range.
    assert!(!affected(&Dpkg, "", &ranges, &[]).unwrap());
}

#[test]
fn unparsable_versions_are_errors_not_verdicts() {
    let ranges = [ecosystem(vec![introduced("0"), fixed("1.0")])];
    let err = affected(&Dpkg, "1:", &ranges, &[]).unwrap_err();
    assert!(
        matches!(err, Error::InvalidVersion { scheme: "dpkg", .. }),
        "{err}"
    );
    assert_eq!(
        err.to_string(),
        r#"invalid dpkg version "1:": nothing after the epoch colon"#
    );

    let bad_event = [ecosystem(vec![introduced("0"), fixed("1.0 beta")])];
    assert!(affected(&Dpkg, "0.5", &bad_event, &[]).is_err());
    let bad_limit = [ecosystem(vec![introduced("0"), limit("")])];
    assert!(affected(&Dpkg, "0.5", &bad_limit, &[]).is_err());

    let err = affected(&Pep440, "1.0.x", &ranges, &[]).unwrap_err();
    assert!(matches!(err, Error::InvalidPep440 { .. }));
    assert!(std::error::Error::source(&err).is_some());
}

#[test]
fn versions_of_different_schemes_do_not_compare() {
    let a = Dpkg.parse("1.0").unwrap();
    let b = Pep440.parse("1.0").unwrap();
    assert!(a.partial_cmp(&b).is_none());
    assert!(a != b);
    assert!(!a.lt(&b) && !a.gt(&b) && !a.le(&b) && !a.ge(&b));
    let err = a.try_cmp(&b).unwrap_err();
    assert_eq!(
        err.to_string(),
        "cannot order a dpkg version against a pep440 version"
    );
    assert_eq!(format!("{a:?}"), r#"dpkg:"1.0""#);
    assert_eq!(b.to_string(), "1.0");
}
