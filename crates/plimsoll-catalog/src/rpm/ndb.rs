//! rpm's own "ndb" backend (rpm ≥ 4.15, default on openSUSE Tumbleweed/Leap 15.x and SLES 15):
//! `Packages.db`, laid out by rpm's `lib/backend/ndb/rpmpkg.c`. Every number is a
//! little-endian `u32`.
//!
//! ```text
//! 0      header, 32 bytes: "RpmP" | version (0) | generation | slot pages | next index | 0…
//! 32     slots, 16 bytes each, to the end of the slot pages (4096 bytes each):
//!        "Slot" | package index | block offset | block count      (offset 0: a free slot)
//! …      blobs, in 16-byte blocks from `block offset`, `block count` blocks long:
//!        "BlbS" | package index | time | length | header blob | zero padding |
//!        Adler-32 of everything before it | length | "BlbE"
//! ```
//!
//! rpm reads a slot's blob only after checking both magics, the index, the length against the
//! block count and the Adler-32; a blob that fails any check is skipped here with a warning
//! instead of failing the whole database, as rpm would.

/// `RpmP`.
pub(crate) const MAGIC: &[u8; 4] = b"RpmP";
const SLOT_MAGIC: &[u8; 4] = b"Slot";
const BLOB_HEAD: &[u8; 4] = b"BlbS";
const BLOB_TAIL: &[u8; 4] = b"BlbE";
const PAGE: u64 = 4096;
const BLOCK: u64 = 16;
const HEADER: usize = 32;
const HEAD_LEN: u64 = 16;
const TAIL_LEN: u64 = 12;

fn le32(bytes: &[u8], at: usize) -> Option<u32> {
    let b = bytes.get(at..at.checked_add(4)?)?;
    Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

/// Calls `sink` with each (package index, header blob), in package-index order (the order
/// of installation, as rpm assigns indexes). `Err` when the file header is unusable.
pub(crate) fn read(
    contents: &[u8],
    sink: &mut dyn FnMut(u64, &[u8]),
    warnings: &mut Vec<String>,
) -> Result<(), String> {
    if contents.len() < HEADER || &contents[..4] != MAGIC {
        return Err("no ndb header".to_owned());
    }
    let version = le32(contents, 4).unwrap_or_default();
    if version != 0 {
        return Err(format!("ndb version {version}, only 0 exists"));
    }
    let slot_pages = u64::from(le32(contents, 12).unwrap_or_default());
    let len = contents.len() as u64;
    if slot_pages == 0 || slot_pages.saturating_mul(PAGE) > len {
        return Err(format!(
            "{slot_pages} slot pages do not fit the {len}-byte file"
        ));
    }
    let slot_end = slot_pages * PAGE;
    let first_blob_block = slot_end / BLOCK;
    // At most one entry per 16 bytes of the file: bounded by its size.
    let mut slots = Vec::new();
    for (n, slot) in contents[HEADER..usize::try_from(slot_end).unwrap_or(contents.len())]
        .chunks_exact(16)
        .enumerate()
    {
        if &slot[..4] != SLOT_MAGIC {
            warnings.push(format!("ndb slot {n}: bad magic, skipped"));
            continue;
        }
        let word = |i| u64::from(le32(slot, i).unwrap_or_default());
        let (index, offset, count) = (word(4), word(8), word(12));
        if offset == 0 {
            continue;
        }
        if index == 0 || count == 0 || offset < first_blob_block {
            warnings.push(format!(
                "ndb slot {n}: package {index} at block {offset} ({count} blocks) is invalid, skipped"
            ));
            continue;
        }
        slots.push((index, offset, count));
    }
    slots.sort_unstable();
    for (index, offset, count) in slots {
        match blob(contents, index, offset, count) {
            Ok(blob) => sink(index, blob),
            Err(why) => warnings.push(format!("ndb package {index}: {why}, skipped")),
        }
    }
    Ok(())
}

/// The header blob of package `index`, stored at block `offset`, `count` blocks long.
fn blob(contents: &[u8], index: u64, offset: u64, count: u64) -> Result<&[u8], String> {
    let start = offset.saturating_mul(BLOCK);
    let end = start.saturating_add(count.saturating_mul(BLOCK));
    let area = usize::try_from(start)
        .ok()
        .zip(usize::try_from(end).ok())
        .and_then(|(s, e)| contents.get(s..e))
        .ok_or_else(|| format!("blocks {offset}+{count} run past the end of the file"))?;
    let head_index = le32(area, 4).map(u64::from);
    let length = le32(area, 12).map(u64::from).unwrap_or_default();
    if area.get(..4) != Some(BLOB_HEAD) || head_index != Some(index) {
        return Err("no blob head for it".to_owned());
    }
    if count != (HEAD_LEN + length + TAIL_LEN).div_ceil(BLOCK) {
        return Err(format!("a {length}-byte blob does not fill {count} blocks"));
    }
    // `count` matches `length`, so every offset below is inside `area`.
    let tail = &area[area.len() - 12..];
    if &tail[8..] != BLOB_TAIL || le32(tail, 4).map(u64::from) != Some(length) {
        return Err("bad blob tail".to_owned());
    }
    if le32(tail, 0) != Some(adler32(&area[..area.len() - 12])) {
        return Err("Adler-32 mismatch".to_owned());
    }
    let length = usize::try_from(length).map_err(|e| e.to_string())?;
    Ok(&area[16..16 + length])
}

/// Adler-32 (RFC 1950, section 8.2), as rpm checks blobs with it.
fn adler32(bytes: &[u8]) -> u32 {
    const MOD: u32 = 65_521;
    let (mut a, mut b) = (1u32, 0u32);
    // 5552 bytes is the most that can be summed before `b` could overflow a u32.
    for chunk in bytes.chunks(5552) {
        for &byte in chunk {
            a += u32::from(byte);
            b += a;
        }
        a %= MOD;
        b %= MOD;
    }
    (b << 16) | a
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adler32_known_values() {
        // RFC 1950's example value of "Wikipedia", and the empty input.
        assert_eq!(adler32(b"Wikipedia"), 0x11E6_0398);
        assert_eq!(adler32(b""), 1);
        assert_eq!(adler32(&vec![0xff; 100_000]), {
            let (mut a, mut b) = (1u64, 0u64);
            for _ in 0..100_000 {
                a = (a + 0xff) % 65_521;
                b = (b + a) % 65_521;
            }
            u32::try_from((b << 16) | a).unwrap()
        });
    }
}
