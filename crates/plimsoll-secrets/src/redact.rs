//! Redaction: what of a secret may leave the crate.

/// Most characters of a value that are kept: enough to tell an `AKIA` key from an `ASIA` one or
/// `ghp_` from `ghs_`, never enough to help guess the rest.
const KEEP: usize = 4;
/// Most `*` written: the length of a long secret is not worth showing.
const MAX_STARS: usize = 16;

/// Keeps at most [`KEEP`] leading characters of `value` (fewer for short values: a quarter of
/// them, so an 8-character password shows 2) and masks the rest with at most [`MAX_STARS`] `*`.
pub(crate) fn mask(value: &str) -> String {
    let count = value.chars().count();
    let keep = (count / 4).min(KEEP);
    let mut out: String = value.chars().take(keep).collect();
    out.extend(std::iter::repeat_n('*', (count - keep).clamp(1, MAX_STARS)));
    out
}

/// A PEM block shown as its `-----BEGIN … PRIVATE KEY-----` line (which names the key type
/// and says nothing of the key) followed by stars.
pub(crate) fn mask_pem(block: &str) -> String {
    let header = block
        .find("-----BEGIN ")
        .and_then(|start| {
            let rest = &block[start..];
            let end = rest["-----BEGIN ".len()..].find("-----")?;
            Some(&rest[.."-----BEGIN ".len() + end + "-----".len()])
        })
        .unwrap_or("-----BEGIN PRIVATE KEY-----");
    let mut out = header.to_owned();
    out.extend(std::iter::repeat_n('*', MAX_STARS));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_at_most_four_characters() {
        assert_eq!(mask("AKIAIOSFODNN7EXAMPLE"), "AKIA****************");
        assert_eq!(mask("hunter22"), "hu******");
        assert_eq!(mask("abc"), "***");
        let long = "x".repeat(200);
        assert_eq!(mask(&long), format!("xxxx{}", "*".repeat(16)));
        assert_eq!(mask(""), "*");
        // Character-wise, not byte-wise: no panic and no split UTF-8.
        assert_eq!(mask("pässwörtpässwört"), "päss************");
    }

    #[test]
    fn pem_keeps_the_begin_line_only() {
        let block = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----";
        assert_eq!(
            mask_pem(block),
            "-----BEGIN OPENSSH PRIVATE KEY-----****************"
        );
    }
}
