//! Walks real tar streams built in memory: each compression, whiteouts, hostile paths,
//! truncation, bombs and digest checks.

#![allow(clippy::unwrap_used)] // test helpers: a failure should fail the test loudly

use std::io::Write;

use plimsoll_layer::{
    Compression, Entry, EntryKind, EntryVisitor, Error, Limits, WalkOptions, walk_layer,
};
use plimsoll_types::Digest;

/// Builds a tar from (path, kind) specs; `None` content makes a directory.
fn tar_of(entries: &[(&str, Option<&[u8]>)]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    for (path, content) in entries {
        let mut header = tar::Header::new_gnu();
        let (entry_type, mode, bytes) = match content {
            Some(bytes) => (tar::EntryType::Regular, 0o644, *bytes),
            None => (tar::EntryType::Directory, 0o755, &[][..]),
        };
        header.set_entry_type(entry_type);
        header.set_size(bytes.len() as u64);
        header.set_mode(mode);
        // Write the name raw so hostile names survive (the builder would refuse `..`).
        header.as_gnu_mut().unwrap().name[..path.len()].copy_from_slice(path.as_bytes());
        header.set_cksum();
        builder.append(&header, bytes).unwrap();
    }
    builder.into_inner().unwrap()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

fn zstd(bytes: &[u8]) -> Vec<u8> {
    zstd::encode_all(bytes, 3).unwrap()
}

#[derive(Debug, Default)]
struct Seen {
    entries: Vec<(String, EntryKind)>,
    contents: Vec<(String, Vec<u8>)>,
}

impl EntryVisitor for Seen {
    fn visit(&mut self, entry: &mut Entry<'_>) -> plimsoll_layer::Result<()> {
        self.entries
            .push((entry.path().to_owned(), entry.kind().clone()));
        if let Some(bytes) = entry.read_limited(1024)? {
            self.contents.push((entry.path().to_owned(), bytes));
        }
        Ok(())
    }
}

fn walk(blob: &[u8], options: &WalkOptions) -> Result<(plimsoll_layer::WalkSummary, Seen), Error> {
    let mut seen = Seen::default();
    let summary = walk_layer(blob, options, &mut seen)?;
    Ok((summary, seen))
}

#[test]
fn every_compression_gives_the_same_entries_and_diff_id() {
    let tar = tar_of(&[
        ("etc/", None),
        ("etc/os-release", Some(b"ID=debian\n")),
        ("./usr/bin/true", Some(b"")),
    ]);
    let diff_id = Digest::sha256_of(&tar);
    for (blob, compression) in [
        (tar.clone(), Compression::None),
        (gzip(&tar), Compression::Gzip),
        (zstd(&tar), Compression::Zstd),
    ] {
        let options = WalkOptions {
            expected_digest: Some(Digest::sha256_of(&blob)),
            expected_diff_id: Some(diff_id.clone()),
            ..WalkOptions::default()
        };
        let (summary, seen) = walk(&blob, &options).unwrap();
        assert_eq!(summary.compression, compression);
        assert_eq!(summary.diff_id, diff_id);
        assert_eq!(summary.compressed_size, blob.len() as u64);
        assert_eq!(summary.uncompressed_size, tar.len() as u64);
        assert_eq!(summary.entries, 3);
        let paths: Vec<_> = seen.entries.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(paths, ["/etc", "/etc/os-release", "/usr/bin/true"]);
        assert_eq!(
            seen.contents[0],
            ("/etc/os-release".to_owned(), b"ID=debian\n".to_vec())
        );
    }
}

#[test]
fn multi_member_gzip_is_read_whole() {
    let tar = tar_of(&[("a", Some(b"1")), ("b", Some(b"2"))]);
    let (first, second) = tar.split_at(512 * 2);
    let mut blob = gzip(first);
    blob.extend(gzip(second));
    let (summary, seen) = walk(&blob, &WalkOptions::default()).unwrap();
    assert_eq!(summary.diff_id, Digest::sha256_of(&tar));
    assert_eq!(seen.entries.len(), 2);
}

#[test]
fn whiteouts_and_opaque_markers_are_reported_as_such() {
    let tar = tar_of(&[
        ("usr/lib/python3/.wh.six-1.16.0.dist-info", Some(b"")),
        ("opt/app/.wh..wh..opq", Some(b"")),
        ("usr/.wh..wh.plnk", Some(b"")),
    ]);
    let (_, seen) = walk(&gzip(&tar), &WalkOptions::default()).unwrap();
    assert_eq!(
        seen.entries,
        [
            (
                "/usr/lib/python3/six-1.16.0.dist-info".to_owned(),
                EntryKind::Whiteout
            ),
            ("/opt/app".to_owned(), EntryKind::Opaque),
            ("/usr/.wh..wh.plnk".to_owned(), EntryKind::Other),
        ]
    );
    assert!(seen.contents.is_empty(), "markers are not files to read");
}

#[test]
fn parent_components_fail_the_layer() {
    let tar = tar_of(&[
        ("ok", Some(b"")),
        ("../../../tmp/plimsoll-evil", Some(b"boom")),
    ]);
    let err = walk(&gzip(&tar), &WalkOptions::default()).unwrap_err();
    assert!(
        matches!(&err, Error::UnsafePath { path } if path == "../../../tmp/plimsoll-evil"),
        "{err}"
    );
    assert!(err.to_string().contains("escapes the image root"));
}

#[test]
fn truncated_gzip_is_a_decompression_error() {
    let big = vec![7u8; 100_000];
    let tar = tar_of(&[("big", Some(&big)), ("after", Some(b"x"))]);
    let blob = gzip(&tar);
    let cut = &blob[..blob.len() / 2];
    let err = walk(cut, &WalkOptions::default()).unwrap_err();
    assert!(
        matches!(
            err,
            Error::Decompress {
                compression: Compression::Gzip,
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn corrupt_zstd_is_a_decompression_error() {
    let tar = tar_of(&[("f", Some(&[1u8; 10_000]))]);
    let mut blob = zstd(&tar);
    let mid = blob.len() / 2;
    blob[mid] ^= 0xff;
    blob.truncate(blob.len() - 3);
    let err = walk(&blob, &WalkOptions::default()).unwrap_err();
    assert!(
        matches!(
            err,
            Error::Decompress {
                compression: Compression::Zstd,
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn expansion_ratio_cap_stops_a_bomb() {
    let zeros = vec![0u8; 8 << 20];
    let tar = tar_of(&[("zeros", Some(&zeros))]);
    let blob = gzip(&tar);
    let options = WalkOptions {
        limits: Limits {
            max_expansion_ratio: 50,
            ratio_grace_bytes: 1 << 20,
            ..Limits::default()
        },
        ..WalkOptions::default()
    };
    let err = walk(&blob, &options).unwrap_err();
    assert!(
        matches!(err, Error::ExpansionRatio { limit: 50, .. }),
        "{err:?}"
    );
    // The default limits let the same small layer through: the grace size protects it.
    walk(&blob, &WalkOptions::default()).unwrap();
}

#[test]
fn size_cap_stops_a_large_layer() {
    let tar = tar_of(&[("f", Some(&vec![3u8; 2 << 20]))]);
    let options = WalkOptions {
        limits: Limits {
            max_uncompressed_bytes: 1 << 20,
            ..Limits::default()
        },
        ..WalkOptions::default()
    };
    let err = walk(&tar, &options).unwrap_err();
    assert!(
        matches!(err, Error::TooLarge { limit } if limit == 1 << 20),
        "{err:?}"
    );
}

#[test]
fn digest_and_diff_id_mismatches_are_named() {
    let tar = tar_of(&[("f", Some(b"content"))]);
    let blob = gzip(&tar);
    let wrong = Digest::sha256_of(b"something else");
    let err = walk(
        &blob,
        &WalkOptions {
            expected_digest: Some(wrong.clone()),
            ..WalkOptions::default()
        },
    )
    .unwrap_err();
    assert!(
        matches!(&err, Error::DigestMismatch { expected, actual } if *expected == wrong && *actual == Digest::sha256_of(&blob)),
        "{err:?}"
    );
    let err = walk(
        &blob,
        &WalkOptions {
            expected_diff_id: Some(wrong),
            ..WalkOptions::default()
        },
    )
    .unwrap_err();
    assert!(matches!(err, Error::DiffIdMismatch { .. }), "{err:?}");
}

#[test]
fn a_visitor_error_stops_the_walk_and_the_decoder() {
    struct Refuse;
    impl EntryVisitor for Refuse {
        fn visit(&mut self, entry: &mut Entry<'_>) -> plimsoll_layer::Result<()> {
            Err(Error::Visitor {
                path: entry.path().to_owned(),
                message: "no".into(),
            })
        }
    }
    // Large enough that the decode thread would block on a full channel if nobody hung up.
    let tar = tar_of(&[("first", Some(b"1")), ("big", Some(&vec![9u8; 16 << 20]))]);
    let err = walk_layer(&gzip(&tar)[..], &WalkOptions::default(), &mut Refuse).unwrap_err();
    assert!(matches!(err, Error::Visitor { ref path, .. } if path == "/first"));
}

#[test]
fn garbage_is_an_error_not_a_panic() {
    for blob in [
        &b""[..],
        b"not a tar at all, just some text that is longer than a header? no",
        &[0x1f, 0x8b, 0, 0][..],
    ] {
        let result = walk(blob, &WalkOptions::default());
        if let Ok((summary, _)) = result {
            assert_eq!(summary.entries, 0);
        }
    }
}
