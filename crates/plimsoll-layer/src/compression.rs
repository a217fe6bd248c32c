use std::fmt;

/// Compression of a layer blob, detected from its first bytes rather than trusted from the
/// media type: registries and tools mislabel layers often enough (a `tar+gzip` media type on a
/// plain tar, zstd pushed under a Docker media type) that magic bytes are the only reliable
/// signal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compression {
    /// RFC 1952 gzip, possibly multi-member.
    Gzip,
    /// RFC 8878 zstd, possibly multi-frame.
    Zstd,
    /// A plain tar stream.
    None,
}

impl Compression {
    /// Detects the compression from the first bytes of a blob (at least 4 are needed to tell).
    pub fn detect(prefix: &[u8]) -> Compression {
        match prefix {
            [0x1f, 0x8b, ..] => Compression::Gzip,
            [0x28, 0xb5, 0x2f, 0xfd, ..] => Compression::Zstd,
            _ => Compression::None,
        }
    }
}

impl fmt::Display for Compression {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Compression::Gzip => "gzip",
            Compression::Zstd => "zstd",
            Compression::None => "uncompressed",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_by_magic() {
        assert_eq!(Compression::detect(&[0x1f, 0x8b, 8, 0]), Compression::Gzip);
        assert_eq!(
            Compression::detect(&[0x28, 0xb5, 0x2f, 0xfd, 0]),
            Compression::Zstd
        );
        assert_eq!(Compression::detect(b"etc/"), Compression::None);
        assert_eq!(Compression::detect(b""), Compression::None);
    }
}
