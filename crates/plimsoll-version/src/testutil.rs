//! Shared helpers for the schemes' unit tests.

use std::cmp::Ordering;

use crate::VersionScheme;

/// Checks each `(a, op, b)` row, with `op` one of `<`, `=`, `>`, in both directions.
pub(crate) fn assert_order_table(scheme: &dyn VersionScheme, rows: &[(&str, &str, &str)]) {
    let mut failures = Vec::new();
    for &(a, op, b) in rows {
        let want = match op {
            "<" => Ordering::Less,
            "=" => Ordering::Equal,
            ">" => Ordering::Greater,
            other => panic!("bad operator {other:?}"),
        };
        match (scheme.compare(a, b), scheme.compare(b, a)) {
            (Ok(got), Ok(back)) if got == want && back == want.reverse() => {}
            (got, back) => {
                failures.push(format!("{a:?} {op} {b:?}: got {got:?}, reversed {back:?}"));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} ordering failures:\n{}",
        scheme.name(),
        failures.join("\n")
    );
}
