//! `analyse_layer` on layers built in memory: catalogers see the files they want, hard links
//! and whiteouts are recorded, and the facts are a pure function of the bytes. `describe`:
//! the registry requests of a describe followed by a scan.

#![allow(clippy::unwrap_used)] // test helpers: a failure should fail loudly

mod describe;

use std::io::Write;

use plimsoll_layer::WalkOptions;
use plimsoll_scan::{analyse_layer, analyzer_versions};
use plimsoll_types::PackageKind;

const STATUS: &str = "Package: bash\nStatus: install ok installed\nVersion: 5.2.15-2+b2\nArchitecture: amd64\nSource: bash (5.2.15-2)\n\n";
const METADATA: &str = "Metadata-Version: 2.1\nName: Charset_Normalizer\nVersion: 3.4.0\n\nbody\n";

fn layer(entries: &[(&str, tar::EntryType, &[u8], Option<&str>)]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    for (path, kind, body, link) in entries {
        let mut header = tar::Header::new_gnu();
        header.set_entry_type(*kind);
        header.set_size(body.len() as u64);
        header.set_mode(0o644);
        if let Some(link) = link {
            builder.append_link(&mut header, path, link).unwrap();
        } else {
            builder.append_data(&mut header, path, *body).unwrap();
        }
    }
    let tar = builder.into_inner().unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&tar).unwrap();
    gz.finish().unwrap()
}

#[test]
fn catalogers_read_the_files_they_want_and_whiteouts_are_kept() {
    let blob = layer(&[
        (
            "var/lib/dpkg/status",
            tar::EntryType::Regular,
            STATUS.as_bytes(),
            None,
        ),
        (
            "usr/lib/python3/dist-packages/charset_normalizer-3.4.0.dist-info/METADATA",
            tar::EntryType::Regular,
            METADATA.as_bytes(),
            None,
        ),
        (
            "usr/lib/os-release",
            tar::EntryType::Regular,
            b"ID=debian\nVERSION_ID=\"12\"\n",
            None,
        ),
        (
            "etc/os-release",
            tar::EntryType::Symlink,
            b"",
            Some("../usr/lib/os-release"),
        ),
        (
            "opt/copy/six-1.16.0.dist-info/METADATA",
            tar::EntryType::Link,
            b"",
            Some("usr/lib/python3/dist-packages/charset_normalizer-3.4.0.dist-info/METADATA"),
        ),
        ("usr/share/doc/.wh.bash", tar::EntryType::Regular, b"", None),
        ("srv/.wh..wh..opq", tar::EntryType::Regular, b"", None),
    ]);
    let catalogers = plimsoll_catalog::all();
    let facts = analyse_layer(&blob[..], &WalkOptions::default(), &catalogers).unwrap();
    let paths: Vec<&str> = facts.files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "/opt/copy/six-1.16.0.dist-info/METADATA",
            "/usr/lib/os-release",
            "/usr/lib/python3/dist-packages/charset_normalizer-3.4.0.dist-info/METADATA",
            "/var/lib/dpkg/status",
        ],
        "sorted by path; the symlink is not followed; the hard link is catalogued under its own path"
    );
    let dpkg = facts.files.iter().find(|f| f.cataloger == "dpkg").unwrap();
    assert_eq!(dpkg.packages[0].kind, PackageKind::Deb);
    assert_eq!(
        dpkg.packages[0].source.as_ref().unwrap().version,
        "5.2.15-2"
    );
    assert_eq!(
        facts.files[0].packages[0].name, "Charset_Normalizer",
        "the hard link's target bytes were parsed"
    );
    assert_eq!(facts.whiteouts, ["/usr/share/doc/bash"]);
    assert_eq!(facts.opaque_dirs, ["/srv"]);
    assert_eq!(facts.analyzers, analyzer_versions(&catalogers));
    assert_eq!(facts.entries, 7);

    // A pure function of the bytes: the same blob gives the same facts.
    assert_eq!(
        analyse_layer(&blob[..], &WalkOptions::default(), &catalogers).unwrap(),
        facts
    );
}

#[test]
fn a_later_entry_for_the_same_path_replaces_the_earlier_one() {
    let blob = layer(&[
        (
            "var/lib/dpkg/status",
            tar::EntryType::Regular,
            STATUS.as_bytes(),
            None,
        ),
        ("var/lib/dpkg/status", tar::EntryType::Regular, b"", None),
    ]);
    let facts =
        analyse_layer(&blob[..], &WalkOptions::default(), &plimsoll_catalog::all()).unwrap();
    assert_eq!(facts.files.len(), 1);
    assert!(
        facts.files[0].packages.is_empty(),
        "the second, empty status file is what extraction leaves"
    );
}
