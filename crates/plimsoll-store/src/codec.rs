//! How values become columns: zstd-compressed JSON for the big ones, Unix milliseconds for our
//! own timestamps, three columns for a platform, `i64` for counts (SQL has no unsigned type).

use std::cell::RefCell;

use serde::Serialize;
use serde::de::DeserializeOwned;
use time::OffsetDateTime;

use plimsoll_types::Platform;

use crate::error::BoxError;

/// zstd's own default: inventories compress ~10× at it, and a higher level costs more CPU per
/// put than the disk it saves is worth.
const ZSTD_LEVEL: i32 = 3;

/// Blobs whose frame header announces at most this many bytes are decompressed in one call
/// into a buffer of that size; a larger (or unannounced) size is streamed, so a corrupt header
/// cannot make us allocate gigabytes.
const MAX_ONE_SHOT_BYTES: u64 = 64 << 20;

thread_local! {
    /// One compression context per thread, reused. `zstd::bulk::compress` made a context per
    /// call, and setting one up (allocating and zeroing its match tables) cost about as much as
    /// compressing a typical inventory: a registry scan stores several blobs per image.
    static COMPRESSOR: RefCell<Option<zstd::bulk::Compressor<'static>>> =
        const { RefCell::new(None) };
    /// Likewise for decompression (a re-match reads every stored inventory).
    static DECOMPRESSOR: RefCell<Option<zstd::bulk::Decompressor<'static>>> =
        const { RefCell::new(None) };
}

pub(crate) fn compress_json<T: Serialize>(value: &T) -> Result<Vec<u8>, BoxError> {
    let json = serde_json::to_vec(value)?;
    COMPRESSOR.with(|cell| {
        let mut slot = cell.borrow_mut();
        let compressor = match &mut *slot {
            Some(compressor) => compressor,
            empty => empty.insert(zstd::bulk::Compressor::new(ZSTD_LEVEL)?),
        };
        Ok(compressor.compress(&json)?)
    })
}

pub(crate) fn decompress_json<T: DeserializeOwned>(blob: &[u8]) -> Result<T, BoxError> {
    // `compress_json` writes one frame that announces its size (zstd's bulk API pledges it).
    let announced = zstd::zstd_safe::get_frame_content_size(blob)
        .ok()
        .flatten()
        .filter(|&size| size <= MAX_ONE_SHOT_BYTES)
        .and_then(|size| usize::try_from(size).ok());
    let json = match announced {
        Some(size) => DECOMPRESSOR.with(|cell| {
            let mut slot = cell.borrow_mut();
            let decompressor = match &mut *slot {
                Some(decompressor) => decompressor,
                empty => empty.insert(zstd::bulk::Decompressor::new()?),
            };
            decompressor.decompress(blob, size)
        })?,
        None => zstd::decode_all(blob)?,
    };
    Ok(serde_json::from_slice(&json)?)
}

/// Now, in Unix milliseconds.
pub(crate) fn now_ms() -> i64 {
    ms_of(OffsetDateTime::now_utc())
}

pub(crate) fn ms_of(at: OffsetDateTime) -> i64 {
    i64::try_from(at.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

pub(crate) fn time_of_ms(ms: i64) -> Result<OffsetDateTime, BoxError> {
    Ok(OffsetDateTime::from_unix_timestamp_nanos(
        i128::from(ms) * 1_000_000,
    )?)
}

pub(crate) fn to_db(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

pub(crate) fn from_db(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

pub(crate) fn from_db_opt(n: Option<i64>) -> Option<u64> {
    n.map(from_db)
}

pub(crate) fn to_db_opt(n: Option<u64>) -> Option<i64> {
    n.map(to_db)
}

/// A platform stored as `(os, arch, variant)` columns; all three are NULL for "no platform".
pub(crate) fn platform_of(
    os: Option<String>,
    architecture: Option<String>,
    variant: Option<String>,
) -> Option<Platform> {
    Some(Platform {
        os: os?,
        architecture: architecture?,
        variant,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_round_trip_at_millisecond_precision() {
        let at = OffsetDateTime::from_unix_timestamp_nanos(1_795_687_872_345_000_000).unwrap();
        assert_eq!(time_of_ms(ms_of(at)).unwrap(), at);
        assert!(time_of_ms(i64::MAX).is_err());
    }

    #[test]
    fn blobs_round_trip_and_garbage_is_an_error() {
        let value = vec!["dpkg".to_owned(); 100];
        let blob = compress_json(&value).unwrap();
        assert!(
            blob.len() < 100,
            "repetitive JSON compresses: {} bytes",
            blob.len()
        );
        assert_eq!(decompress_json::<Vec<String>>(&blob).unwrap(), value);
        assert!(decompress_json::<Vec<String>>(b"not zstd").is_err());
        // The reused contexts give what a fresh one gives, call after call.
        for round in 0..3 {
            let value = vec![format!("round {round}"); 50];
            let blob = compress_json(&value).unwrap();
            assert_eq!(
                blob,
                zstd::bulk::compress(&serde_json::to_vec(&value).unwrap(), ZSTD_LEVEL).unwrap()
            );
            assert_eq!(decompress_json::<Vec<String>>(&blob).unwrap(), value);
        }
    }

    #[test]
    fn blobs_without_an_announced_size_are_streamed() {
        let value = vec!["dpkg".to_owned(); 100];
        let json = serde_json::to_vec(&value).unwrap();
        // A streaming encoder does not know the size up front, so its frame does not say it.
        let mut encoder = zstd::Encoder::new(Vec::new(), ZSTD_LEVEL).unwrap();
        std::io::Write::write_all(&mut encoder, &json).unwrap();
        let blob = encoder.finish().unwrap();
        assert_eq!(
            zstd::zstd_safe::get_frame_content_size(&blob).unwrap(),
            None
        );
        assert_eq!(decompress_json::<Vec<String>>(&blob).unwrap(), value);
        // A truncated blob is an error either way.
        let whole = compress_json(&value).unwrap();
        assert!(decompress_json::<Vec<String>>(&whole[..whole.len() - 4]).is_err());
    }

    #[test]
    fn counts_saturate_instead_of_wrapping() {
        assert_eq!(to_db(u64::MAX), i64::MAX);
        assert_eq!(from_db(-1), 0);
        assert_eq!(from_db(to_db(42)), 42);
    }
}
