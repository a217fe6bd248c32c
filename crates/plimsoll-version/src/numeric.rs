//! Ordering of decimal digit strings of any length, shared by every scheme whose numbers may
//! exceed `u64` (dpkg, apk and rpm compare digit runs as text; a Debian snapshot date with time
//! is already 14 digits, and nothing stops a packager from writing 30).

use std::cmp::Ordering;

/// Compares two runs of ASCII digits as unbounded non-negative integers: leading zeros are
/// ignored, then the longer run is larger, then the runs compare digit by digit.
pub(crate) fn cmp_decimal(a: &[u8], b: &[u8]) -> Ordering {
    let a = strip_zeros(a);
    let b = strip_zeros(b);
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

/// Whether a run of ASCII digits is zero (an empty run counts as zero).
pub(crate) fn is_zero(digits: &[u8]) -> bool {
    digits.iter().all(|&d| d == b'0')
}

fn strip_zeros(digits: &[u8]) -> &[u8] {
    let first = digits
        .iter()
        .position(|&d| d != b'0')
        .unwrap_or(digits.len());
    &digits[first..]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_by_value_not_text() {
        assert_eq!(cmp_decimal(b"9", b"10"), Ordering::Less);
        assert_eq!(cmp_decimal(b"010", b"10"), Ordering::Equal);
        assert_eq!(cmp_decimal(b"", b"0"), Ordering::Equal);
        assert_eq!(
            cmp_decimal(
                b"123456789012345678901234567890",
                b"123456789012345678901234567889"
            ),
            Ordering::Greater
        );
        assert!(is_zero(b"000") && is_zero(b"") && !is_zero(b"010"));
    }
}
