//! rpm's Berkeley DB backend (rpm < 4.16, still the format of `CentOS` 7/8, RHEL 7/8, Amazon
//! Linux 2, Oracle Linux 7/8, SLES 12): `Packages`, a Berkeley DB **hash** database whose keys
//! are install numbers (4 bytes in the writer's byte order) and whose values are header blobs.
//! Key 0, when present, holds rpm's next install number and is skipped.
//!
//! No Rust crate reads Berkeley DB files, so this is a reader of just what rpm's `Packages`
//! needs, after Berkeley DB 4.x/5.x's on-disk layout (`dbinc/db_page.h`, `dbinc/hash.h`):
//!
//! - Page 0 is the hash metadata page: magic `0x061561` at byte 12 (its byte order is the
//!   file's), hash version (8 or 9) at 16, page size at 20, encryption at 24, page type 8 at 25,
//!   flags at 26 (`0x01`: page checksums), `max_bucket` at 72 and the 32 `spares` at 96.
//! - Bucket `b` starts at page `b + spares[⌈log2(b + 1)⌉]` and continues through `next_pgno`
//!   (byte 16 of a page). A hash page (type 13, or 2 for the unsorted pages of old releases)
//!   has `entries` (u16 at 20) item offsets after the page header (26 bytes, 32 with
//!   checksums); items alternate key, data, and item `i` ends where item `i - 1` starts (item 0
//!   at the page end).
//! - An item is a type byte then, for `H_KEYDATA` (1), the bytes themselves; for `H_OFFPAGE`
//!   (3) three padding bytes, the first overflow page and the total length. Overflow pages
//!   (type 7) hold `hf_offset` (u16 at 22) bytes each after the page header, chained by
//!   `next_pgno`. Duplicates (types 2 and 4) never occur in `Packages` and are warned about.
//!
//! Every page number, offset and length is checked against the file, each page is visited at
//! most once (a cycle in the chains ends the walk with a warning), and an overflow value is
//! assembled only up to the length it claims, which may not exceed the file size.

/// The hash metadata magic number.
const HASH_MAGIC: u32 = 0x0006_1561;
const P_HASH_UNSORTED: u8 = 2;
const P_OVERFLOW: u8 = 7;
const P_HASHMETA: u8 = 8;
const P_HASH: u8 = 13;
const H_KEYDATA: u8 = 1;
const H_DUPLICATE: u8 = 2;
const H_OFFPAGE: u8 = 3;
const H_OFFDUP: u8 = 4;
/// `SIZEOF_PAGE`.
const PAGE_HEADER: usize = 26;
/// `SIZEOF_PAGE` + `PG_CHKSUM` (2 unused bytes and a 4-byte checksum).
const PAGE_HEADER_CHKSUM: usize = 32;

/// Whether `contents` starts with a Berkeley DB hash metadata page, in either byte order.
pub(crate) fn is_hash_db(contents: &[u8]) -> bool {
    contents.len() >= 28 && contents[25] == P_HASHMETA && order(&contents[12..16]).is_some()
}

/// The byte order whose reading of the magic bytes is [`HASH_MAGIC`]: `true` for big-endian.
fn order(magic: &[u8]) -> Option<bool> {
    let bytes: [u8; 4] = magic.try_into().ok()?;
    if u32::from_le_bytes(bytes) == HASH_MAGIC {
        Some(false)
    } else if u32::from_be_bytes(bytes) == HASH_MAGIC {
        Some(true)
    } else {
        None
    }
}

/// The database, with its byte order and page geometry.
struct Db<'a> {
    bytes: &'a [u8],
    big_endian: bool,
    page_size: usize,
    pages: usize,
    header: usize,
}

/// Where a value lives.
enum Value<'a> {
    Inline(&'a [u8]),
    Overflow { page: u32, len: u32 },
}

impl<'a> Db<'a> {
    fn u32_at(&self, bytes: &[u8], at: usize) -> Option<u32> {
        let b: [u8; 4] = bytes.get(at..at + 4)?.try_into().ok()?;
        Some(if self.big_endian {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        })
    }

    fn u16_at(&self, bytes: &[u8], at: usize) -> Option<usize> {
        let b: [u8; 2] = bytes.get(at..at + 2)?.try_into().ok()?;
        Some(usize::from(if self.big_endian {
            u16::from_be_bytes(b)
        } else {
            u16::from_le_bytes(b)
        }))
    }

    fn page(&self, n: u32) -> Option<&'a [u8]> {
        let n = usize::try_from(n).ok()?;
        if n >= self.pages {
            return None;
        }
        self.bytes.get(n * self.page_size..(n + 1) * self.page_size)
    }

    /// The (key, value) items of one hash page; `Err` for a page that is not one.
    fn items(
        &self,
        pgno: u32,
        page: &'a [u8],
        out: &mut Vec<(&'a [u8], Value<'a>)>,
        warnings: &mut Vec<String>,
    ) -> Result<(), String> {
        if !matches!(page[25], P_HASH | P_HASH_UNSORTED) {
            return Err(format!(
                "page {pgno} is of type {}, not a hash page",
                page[25]
            ));
        }
        let entries = self.u16_at(page, 20).unwrap_or_default();
        if self.header + entries * 2 > self.page_size {
            return Err(format!("page {pgno} claims {entries} items"));
        }
        let item = |i: usize| -> Result<&'a [u8], String> {
            let start = self.u16_at(page, self.header + i * 2).unwrap_or_default();
            let end = if i == 0 {
                self.page_size
            } else {
                self.u16_at(page, self.header + (i - 1) * 2)
                    .unwrap_or_default()
            };
            if start < self.header + entries * 2 || start >= end || end > self.page_size {
                return Err(format!("page {pgno} item {i}: bad offset {start}"));
            }
            Ok(&page[start..end])
        };
        for pair in 0..entries / 2 {
            let (key, data) = match (item(pair * 2), item(pair * 2 + 1)) {
                (Ok(k), Ok(d)) => (k, d),
                (Err(e), _) | (_, Err(e)) => {
                    warnings.push(format!("Berkeley DB {e}, skipped"));
                    continue;
                }
            };
            if key[0] != H_KEYDATA {
                warnings.push(format!(
                    "Berkeley DB page {pgno}: key of type {}, skipped",
                    key[0]
                ));
                continue;
            }
            let value = match data[0] {
                H_KEYDATA => Value::Inline(&data[1..]),
                H_OFFPAGE => {
                    if let (Some(page), Some(len)) = (self.u32_at(data, 4), self.u32_at(data, 8)) {
                        Value::Overflow { page, len }
                    } else {
                        warnings.push(format!(
                            "Berkeley DB page {pgno}: short off-page item, skipped"
                        ));
                        continue;
                    }
                }
                kind @ (H_DUPLICATE | H_OFFDUP) => {
                    warnings.push(format!(
                        "Berkeley DB page {pgno}: duplicate values (type {kind}), which rpm \
                         never writes, skipped"
                    ));
                    continue;
                }
                kind => {
                    warnings.push(format!(
                        "Berkeley DB page {pgno}: value of unknown type {kind}, skipped"
                    ));
                    continue;
                }
            };
            out.push((&key[1..], value));
        }
        Ok(())
    }

    /// An off-page value: `len` bytes from the overflow chain starting at `first`.
    fn overflow(&self, first: u32, len: u32, seen: &mut [bool]) -> Result<Vec<u8>, String> {
        let len = usize::try_from(len).map_err(|e| e.to_string())?;
        if len > self.bytes.len() {
            return Err(format!("claims {len} bytes, more than the file"));
        }
        let mut out = Vec::with_capacity(len);
        let mut pgno = first;
        while out.len() < len {
            let page = self
                .page(pgno)
                .ok_or_else(|| format!("overflow page {pgno} is outside the file"))?;
            let index = pgno as usize;
            if std::mem::replace(&mut seen[index], true) {
                return Err(format!("overflow page {pgno} is used twice"));
            }
            if page[25] != P_OVERFLOW {
                return Err(format!("page {pgno} is of type {}, not overflow", page[25]));
            }
            let here = self.u16_at(page, 22).unwrap_or_default();
            let chunk = page
                .get(self.header..self.header + here)
                .ok_or_else(|| format!("overflow page {pgno} claims {here} bytes"))?;
            let take = chunk.len().min(len - out.len());
            out.extend_from_slice(&chunk[..take]);
            pgno = self.u32_at(page, 16).unwrap_or_default();
            if pgno == 0 && out.len() < len {
                return Err(format!(
                    "overflow chain ends after {} of {len} bytes",
                    out.len()
                ));
            }
        }
        Ok(out)
    }
}

/// Calls `sink` with each (install number, header blob), in install-number order. `Err` when
/// the metadata page is unusable.
pub(crate) fn read(
    contents: &[u8],
    sink: &mut dyn FnMut(u64, &[u8]),
    warnings: &mut Vec<String>,
) -> Result<(), String> {
    if !is_hash_db(contents) {
        return Err("not a Berkeley DB hash database".to_owned());
    }
    let big_endian = order(&contents[12..16]).unwrap_or_default();
    let mut db = Db {
        bytes: contents,
        big_endian,
        page_size: 0,
        pages: 0,
        header: PAGE_HEADER,
    };
    let version = db.u32_at(contents, 16).unwrap_or_default();
    if !matches!(version, 8 | 9) {
        return Err(format!(
            "Berkeley DB hash version {version}, only 8 and 9 are read"
        ));
    }
    let page_size = db.u32_at(contents, 20).unwrap_or_default() as usize;
    if !(512..=65_536).contains(&page_size) || !page_size.is_power_of_two() {
        return Err(format!("page size {page_size}"));
    }
    if contents[24] != 0 {
        return Err("encrypted Berkeley DB".to_owned());
    }
    if contents.len() < 224 || contents.len() < page_size {
        return Err("truncated metadata page".to_owned());
    }
    if !contents.len().is_multiple_of(page_size) {
        warnings.push(format!(
            "{} bytes is not a whole number of {page_size}-byte pages (truncated?)",
            contents.len()
        ));
    }
    db.page_size = page_size;
    db.pages = contents.len() / page_size;
    if contents[26] & 0x01 != 0 {
        db.header = PAGE_HEADER_CHKSUM;
    }
    let max_bucket = db.u32_at(contents, 72).unwrap_or_default();
    let spares: Vec<u32> = (0..32)
        .map(|i| db.u32_at(contents, 96 + i * 4).unwrap_or_default())
        .collect();

    let mut seen = vec![false; db.pages];
    seen[0] = true;
    let mut items = Vec::new();
    // Every bucket holds at least one page, so more buckets than pages is corruption.
    let buckets = u64::from(max_bucket).min(db.pages as u64);
    for bucket in 0..=buckets {
        let log2 = (bucket + 1).next_power_of_two().trailing_zeros() as usize;
        let Some(&spare) = spares.get(log2) else {
            break;
        };
        let mut pgno = u64::from(spare) + bucket;
        while pgno != 0 {
            let Some(page) = u32::try_from(pgno).ok().and_then(|p| db.page(p)) else {
                warnings.push(format!(
                    "Berkeley DB bucket {bucket}: page {pgno} is outside the file"
                ));
                break;
            };
            let index = usize::try_from(pgno).unwrap_or(usize::MAX);
            if std::mem::replace(&mut seen[index], true) {
                warnings.push(format!(
                    "Berkeley DB bucket {bucket}: page {pgno} is reached twice, chain cut"
                ));
                break;
            }
            let pgno32 = u32::try_from(pgno).unwrap_or_default();
            if let Err(e) = db.items(pgno32, page, &mut items, warnings) {
                warnings.push(format!("Berkeley DB bucket {bucket}: {e}"));
                break;
            }
            pgno = u64::from(db.u32_at(page, 16).unwrap_or_default());
        }
    }

    let mut keyed: Vec<(u64, Value<'_>)> = Vec::with_capacity(items.len());
    for (key, value) in items {
        match db.u32_at(key, 0) {
            Some(0) => {}
            Some(n) if key.len() == 4 => keyed.push((u64::from(n), value)),
            _ => warnings.push(format!(
                "Berkeley DB key of {} bytes is not an install number, skipped",
                key.len()
            )),
        }
    }
    keyed.sort_by_key(|(n, _)| *n);
    for (n, value) in keyed {
        match value {
            Value::Inline(bytes) => sink(n, bytes),
            Value::Overflow { page, len } => match db.overflow(page, len, &mut seen) {
                Ok(bytes) => sink(n, &bytes),
                Err(e) => warnings.push(format!("Berkeley DB record {n}: {e}, skipped")),
            },
        }
    }
    Ok(())
}
