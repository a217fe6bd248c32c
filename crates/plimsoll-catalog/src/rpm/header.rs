//! The rpm header blob, as every rpmdb backend stores it: the on-disk header without its
//! 8-byte magic (rpm's `headerExport`; format in rpm's `doc/manual/format.md`, "Header").
//!
//! ```text
//! il: u32 BE | dl: u32 BE | il × index entry (16 bytes) | data store (dl bytes)
//! index entry: tag u32 | type u32 | offset i32 (into the data store) | count u32   (all BE)
//! ```
//!
//! The first entry of an installed header is normally a region tag (`HEADERIMMUTABLE`, 63)
//! whose data is a trailer entry pointing back over the region; it says which entries were
//! signed, which does not matter for reading tags, so regions are not interpreted. Entries
//! after the region ("dribbles", added at install time) replace region entries of the same tag
//! in rpm (`headerImport`), so a later entry for a tag wins here too.
//!
//! Hostile input: the counts are checked against rpm's own limits (`hdrchkTags`: fewer than
//! 65,536 entries; `hdrchkData`: a data store under 256 MiB) and against the blob's length
//! before anything is read, every offset is bounds-checked, strings must end in a NUL inside
//! the data store, and nothing is allocated in proportion to a count.

/// `RPMTAG_NAME`.
pub(crate) const NAME: u32 = 1000;
/// `RPMTAG_VERSION`.
pub(crate) const VERSION: u32 = 1001;
/// `RPMTAG_RELEASE`.
pub(crate) const RELEASE: u32 = 1002;
/// `RPMTAG_EPOCH` (`INT32`).
pub(crate) const EPOCH: u32 = 1003;
/// `RPMTAG_LICENSE`.
pub(crate) const LICENSE: u32 = 1014;
/// `RPMTAG_ARCH`.
pub(crate) const ARCH: u32 = 1022;
/// `RPMTAG_SOURCERPM`.
pub(crate) const SOURCERPM: u32 = 1044;

const TYPE_INT32: u32 = 4;
const TYPE_STRING: u32 = 6;
const TYPE_STRING_ARRAY: u32 = 8;
const TYPE_I18NSTRING: u32 = 9;

/// rpm refuses headers with this many index entries or more (`hdrchkTags`).
const MAX_ENTRIES: u32 = 0x1_0000;
/// rpm refuses data stores this large or larger (`hdrchkData`).
const MAX_DATA: u32 = 0x1000_0000;

/// A header blob whose sizes were checked: entries and data store are inside the blob.
#[derive(Debug)]
pub(crate) struct Header<'a> {
    index: &'a [u8],
    data: &'a [u8],
}

/// The tags the cataloger reads, decoded.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Tags {
    pub(crate) name: Option<String>,
    pub(crate) epoch: Option<u32>,
    pub(crate) version: Option<String>,
    pub(crate) release: Option<String>,
    pub(crate) arch: Option<String>,
    pub(crate) source_rpm: Option<String>,
    pub(crate) license: Option<String>,
}

fn be32(bytes: &[u8], at: usize) -> Option<u32> {
    let b = bytes.get(at..at.checked_add(4)?)?;
    Some(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
}

impl<'a> Header<'a> {
    /// Checks the sizes of `blob`; `Err` says what is wrong.
    pub(crate) fn parse(blob: &'a [u8]) -> Result<Self, String> {
        let (Some(il), Some(dl)) = (be32(blob, 0), be32(blob, 4)) else {
            return Err(format!("header blob of {} bytes is too short", blob.len()));
        };
        if il == 0 || il >= MAX_ENTRIES {
            return Err(format!("header claims {il} index entries"));
        }
        if dl >= MAX_DATA {
            return Err(format!("header claims a {dl}-byte data store"));
        }
        // Both below 2^28, so this cannot overflow.
        let index_len = il as usize * 16;
        let need = 8 + index_len + dl as usize;
        if blob.len() < need {
            return Err(format!(
                "header needs {need} bytes ({il} entries, {dl} data bytes) but the blob has {}",
                blob.len()
            ));
        }
        Ok(Header {
            index: &blob[8..8 + index_len],
            data: &blob[8 + index_len..need],
        })
    }

    /// Decodes the tags the cataloger reads. A wanted tag with a bad type or offset is left
    /// out, with a message in `problems`.
    pub(crate) fn tags(&self, problems: &mut Vec<String>) -> Tags {
        let mut tags = Tags::default();
        for entry in self.index.chunks_exact(16) {
            let word = |i: usize| be32(entry, i * 4).unwrap_or_default();
            let (tag, kind, offset, count) = (word(0), word(1), word(2), word(3));
            let slot = match tag {
                NAME => &mut tags.name,
                VERSION => &mut tags.version,
                RELEASE => &mut tags.release,
                ARCH => &mut tags.arch,
                SOURCERPM => &mut tags.source_rpm,
                LICENSE => &mut tags.license,
                EPOCH => {
                    match self.int32(kind, offset, count) {
                        Ok(v) => tags.epoch = Some(v),
                        Err(why) => problems.push(format!("tag {tag}: {why}")),
                    }
                    continue;
                }
                _ => continue,
            };
            match self.string(kind, offset, count) {
                Ok(s) => *slot = Some(s),
                Err(why) => problems.push(format!("tag {tag}: {why}")),
            }
        }
        tags
    }

    /// The first value of an `INT32` entry.
    fn int32(&self, kind: u32, offset: u32, count: u32) -> Result<u32, String> {
        if kind != TYPE_INT32 || count == 0 {
            return Err(format!("type {kind} count {count}, expected INT32"));
        }
        be32(self.data, offset as usize)
            .ok_or_else(|| format!("offset {offset} outside the {}-byte data", self.data.len()))
    }

    /// The first string of a `STRING`, `STRING_ARRAY` or `I18NSTRING` entry (the untranslated
    /// one for the last), decoded lossily: rpm does not promise UTF-8.
    fn string(&self, kind: u32, offset: u32, count: u32) -> Result<String, String> {
        if !matches!(kind, TYPE_STRING | TYPE_STRING_ARRAY | TYPE_I18NSTRING) || count == 0 {
            return Err(format!("type {kind} count {count}, expected a string"));
        }
        let rest = self
            .data
            .get(offset as usize..)
            .filter(|r| !r.is_empty())
            .ok_or_else(|| format!("offset {offset} outside the {}-byte data", self.data.len()))?;
        let end = rest
            .iter()
            .position(|&b| b == 0)
            .ok_or_else(|| format!("string at offset {offset} has no terminating NUL"))?;
        Ok(String::from_utf8_lossy(&rest[..end]).into_owned())
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Builds a header blob: each entry is (tag, type, value bytes, count), laid out in order.
    pub(crate) fn blob(entries: &[(u32, u32, &[u8], u32)]) -> Vec<u8> {
        let mut index = Vec::new();
        let mut data = Vec::new();
        for (tag, kind, value, count) in entries {
            if *kind == TYPE_INT32 {
                while data.len() % 4 != 0 {
                    data.push(0);
                }
            }
            for word in [*tag, *kind, u32::try_from(data.len()).unwrap(), *count] {
                index.extend_from_slice(&word.to_be_bytes());
            }
            data.extend_from_slice(value);
        }
        let mut out = Vec::new();
        out.extend_from_slice(&u32::try_from(entries.len()).unwrap().to_be_bytes());
        out.extend_from_slice(&u32::try_from(data.len()).unwrap().to_be_bytes());
        out.extend(index);
        out.extend(data);
        out
    }

    /// A package header with the usual tags (strings NUL-terminated).
    pub(crate) fn package(name: &str, epoch: Option<u32>, version: &str) -> Vec<u8> {
        let nul = |s: &str| format!("{s}\0").into_bytes();
        let strings = [
            (NAME, nul(name)),
            (VERSION, nul(version)),
            (RELEASE, nul("1.el9")),
            (ARCH, nul("x86_64")),
            (SOURCERPM, nul(&format!("{name}-{version}-1.el9.src.rpm"))),
            (LICENSE, nul("MIT")),
        ];
        let epoch = epoch.map(u32::to_be_bytes);
        let mut entries: Vec<(u32, u32, &[u8], u32)> = strings
            .iter()
            .map(|(tag, value)| (*tag, TYPE_STRING, value.as_slice(), 1))
            .collect();
        if let Some(epoch) = &epoch {
            entries.push((EPOCH, TYPE_INT32, epoch, 1));
        }
        blob(&entries)
    }

    #[test]
    fn reads_the_wanted_tags() {
        let b = package("bash", Some(1), "5.1.8");
        let mut problems = Vec::new();
        let tags = Header::parse(&b).unwrap().tags(&mut problems);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(tags.name.as_deref(), Some("bash"));
        assert_eq!(tags.epoch, Some(1));
        assert_eq!(tags.version.as_deref(), Some("5.1.8"));
        assert_eq!(tags.release.as_deref(), Some("1.el9"));
        assert_eq!(tags.arch.as_deref(), Some("x86_64"));
        assert_eq!(tags.source_rpm.as_deref(), Some("bash-5.1.8-1.el9.src.rpm"));
        assert_eq!(tags.license.as_deref(), Some("MIT"));
    }

    #[test]
    fn sizes_are_checked_against_the_blob() {
        for (blob, want) in [
            (vec![0, 0, 0], "too short"),
            (vec![0; 8], "0 index entries"),
            (
                [0x00, 0x01, 0x00, 0x00, 0, 0, 0, 0].to_vec(),
                "65536 index entries",
            ),
            ([0, 0, 0, 1, 0x10, 0, 0, 0].to_vec(), "data store"),
            ([0, 0, 0, 2, 0, 0, 0, 4].to_vec(), "needs 44 bytes"),
        ] {
            let err = Header::parse(&blob).unwrap_err();
            assert!(err.contains(want), "{err}");
        }
    }

    #[test]
    fn out_of_range_offsets_and_bad_types_are_problems() {
        let mut b = blob(&[
            (NAME, TYPE_STRING, b"a\0", 1),
            (RELEASE, TYPE_INT32, b"\0\0\0\x01", 1),
            (EPOCH, TYPE_STRING, b"x\0", 1),
            // Last, so no padding follows: the string runs into the end of the data store.
            (VERSION, TYPE_STRING, b"1", 1),
        ]);
        // Point the NAME entry far outside the data store.
        b[16..20].copy_from_slice(&0xffff_fff0_u32.to_be_bytes());
        let mut problems = Vec::new();
        let tags = Header::parse(&b).unwrap().tags(&mut problems);
        assert_eq!(tags, Tags::default());
        assert_eq!(problems.len(), 4, "{problems:?}");
        assert!(problems[0].contains("outside"), "{problems:?}");
        assert!(problems[1].contains("expected a string"), "{problems:?}");
        assert!(problems[2].contains("expected INT32"), "{problems:?}");
        assert!(problems[3].contains("no terminating NUL"), "{problems:?}");
    }

    #[test]
    fn a_later_entry_wins() {
        let b = blob(&[
            (NAME, TYPE_STRING, b"old\0", 1),
            (NAME, TYPE_I18NSTRING, b"new\0", 1),
        ]);
        let tags = Header::parse(&b).unwrap().tags(&mut Vec::new());
        assert_eq!(tags.name.as_deref(), Some("new"));
    }
}
