//! Report writers: turn image inventories into what users read and what other tools import.
//!
//! This is the last stage of the pipeline (`registry → layer → catalog → inventory → report`).
//! It takes [`ImageInventory`] values from `plimsoll-types`, already folded and with purls
//! filled in, and writes them in one [`Format`]:
//!
//! - [`Format::Table`]: aligned text for a terminal, a section per image.
//! - [`Format::Json`]: Plimsoll's own stable JSON (`plimsoll.inventory/v1`, documented in
//!   `docs/inventory-json.md`), every field of every image in one document.
//! - [`Format::CycloneDxJson`]: CycloneDX 1.6.
//! - [`Format::SpdxJson`]: SPDX 2.3.
//!
//! The two SBOM standards describe one root artefact per document, so they take exactly one
//! image: [`write_inventories`] refuses any other count with [`Error::ImageCount`], and a caller
//! scanning a multi-platform index writes one document per platform (see
//! [`Format::one_image_per_document`]). Writers never compute anything about the image (purls,
//! the distro, the origin layer): a field missing from the inventory is left out of the report.
//!
//! Each format is one private module; [`write_inventories`] dispatches with an exhaustive
//! `match`, so a new [`Format`] variant does not compile until it has a writer.
//!
//! ```
//! use plimsoll_report::{Format, write_inventory};
//! use plimsoll_types::{Digest, ImageInventory, ImageSource, Package, PackageKind, Platform};
//!
//! let image = ImageInventory {
//!     source: ImageSource::Registry { reference: "docker.io/library/alpine:3.20".into() },
//!     manifest_digest: Digest::sha256_of(b"manifest"),
//!     index_digest: None,
//!     config_digest: Digest::sha256_of(b"config"),
//!     platform: "linux/amd64".parse().unwrap(),
//!     created: None,
//!     os: None,
//!     layers: Vec::new(),
//!     packages: vec![Package::new(PackageKind::Apk, "musl", "1.2.5-r0", "/lib/apk/db/installed")],
//!     warnings: Vec::new(),
//! };
//! let mut out = Vec::new();
//! write_inventory(Format::Table, &image, &mut out).unwrap();
//! let text = String::from_utf8(out).unwrap();
//! assert!(text.contains("musl  1.2.5-r0  apk"));
//!
//! let mut out = Vec::new();
//! write_inventory("spdx-json".parse().unwrap(), &image, &mut out).unwrap();
//! let doc: serde_json::Value = serde_json::from_slice(&out).unwrap();
//! assert_eq!(doc["spdxVersion"], "SPDX-2.3");
//! ```
//!
//! Depends only on `plimsoll-types` among Plimsoll crates: never on scanning stages, so the
//! server and worker can render stored inventories without pulling the pipeline in.

mod creation;
mod cyclonedx;
mod error;
mod format;
mod image;
mod json;
mod spdx;
mod table;
#[cfg(test)]
mod testutil;

pub use crate::error::{Error, Result};
pub use crate::format::Format;

use std::io::Write;

use serde::Serialize;

use plimsoll_types::ImageInventory;

use crate::creation::Creation;

/// Writes `images` to `out` in `format`, then flushes `out`.
///
/// Table and JSON take any number of images, including none. CycloneDX and SPDX take exactly
/// one and return [`Error::ImageCount`] otherwise, before writing anything.
pub fn write_inventories(
    format: Format,
    images: &[ImageInventory],
    out: &mut dyn Write,
) -> Result<()> {
    write_with(format, images, None, out)
}

/// Writes one image to `out` in `format`; valid for every format.
pub fn write_inventory(format: Format, image: &ImageInventory, out: &mut dyn Write) -> Result<()> {
    write_inventories(format, std::slice::from_ref(image), out)
}

/// The dispatch. `creation` fixes the SBOM timestamp and serial for tests; `None` means now
/// and a fresh random serial.
fn write_with(
    format: Format,
    images: &[ImageInventory],
    creation: Option<Creation>,
    out: &mut dyn Write,
) -> Result<()> {
    match format {
        Format::Table => {
            let text = table::render(images);
            out.write_all(text.as_bytes())
                .and_then(|()| out.flush())
                .map_err(|source| Error::Io { format, source })
        }
        Format::Json => write_json(format, &json::document(images), out),
        Format::CycloneDxJson => {
            let image = single(format, images)?;
            let creation = creation.unwrap_or_else(Creation::now);
            write_json(format, &cyclonedx::document(image, &creation)?, out)
        }
        Format::SpdxJson => {
            let image = single(format, images)?;
            let creation = creation.unwrap_or_else(Creation::now);
            write_json(format, &spdx::document(image, &creation)?, out)
        }
    }
}

fn single(format: Format, images: &[ImageInventory]) -> Result<&ImageInventory> {
    match images {
        [image] => Ok(image),
        _ => Err(Error::ImageCount {
            format,
            count: images.len(),
        }),
    }
}

/// Pretty-printed (SBOMs are read by people as often as by tools) with a final newline.
fn write_json(format: Format, document: &impl Serialize, out: &mut dyn Write) -> Result<()> {
    serde_json::to_writer_pretty(&mut *out, document).map_err(|e| {
        if e.is_io() {
            Error::Io {
                format,
                source: e.into(),
            }
        } else {
            Error::Serialize { format, source: e }
        }
    })?;
    out.write_all(b"\n")
        .and_then(|()| out.flush())
        .map_err(|source| Error::Io { format, source })
}

#[cfg(test)]
mod tests {
    use std::io;

    use time::OffsetDateTime;
    use uuid::Uuid;

    use super::*;

    fn fixed() -> Creation {
        Creation {
            timestamp: OffsetDateTime::from_unix_timestamp(1_795_000_000).unwrap(),
            serial: Uuid::from_u128(1),
        }
    }

    fn render(format: Format, images: &[ImageInventory]) -> Result<String> {
        let mut out = Vec::new();
        write_with(format, images, Some(fixed()), &mut out)?;
        Ok(String::from_utf8(out).unwrap())
    }

    #[test]
    fn sbom_formats_take_exactly_one_image() {
        let image = testutil::inventory();
        for format in [Format::CycloneDxJson, Format::SpdxJson] {
            assert!(format.one_image_per_document());
            for images in [Vec::new(), vec![image.clone(), image.clone()]] {
                let mut out = Vec::new();
                let err = write_inventories(format, &images, &mut out).unwrap_err();
                assert!(
                    matches!(err, Error::ImageCount { count, .. } if count == images.len()),
                    "{err:?}"
                );
                assert!(out.is_empty(), "nothing is written before the check");
            }
            let err = write_inventories(format, &[image.clone(), image.clone()], &mut Vec::new())
                .unwrap_err();
            assert_eq!(
                err.to_string(),
                format!(
                    "{format} describes exactly one image per document, got 2: write one document per image"
                )
            );
            assert!(render(format, std::slice::from_ref(&image)).is_ok());
        }
    }

    #[test]
    fn table_and_json_take_any_number_of_images() {
        let image = testutil::inventory();
        for format in [Format::Table, Format::Json] {
            assert!(!format.one_image_per_document());
            for images in [
                Vec::new(),
                vec![image.clone()],
                vec![image.clone(), image.clone()],
            ] {
                render(format, &images).unwrap();
            }
        }
        let json: serde_json::Value =
            serde_json::from_str(&render(Format::Json, &[image.clone(), image]).unwrap()).unwrap();
        assert_eq!(json["images"].as_array().unwrap().len(), 2);
    }

    #[test]
    fn sbom_output_is_deterministic_given_the_creation() {
        let image = testutil::inventory();
        for format in Format::ALL {
            let a = render(format, std::slice::from_ref(&image)).unwrap();
            let b = render(format, std::slice::from_ref(&image)).unwrap();
            assert_eq!(a, b, "{format}");
            assert!(a.ends_with('\n'), "{format}");
        }
    }

    #[test]
    fn real_runs_differ_in_serial() {
        let image = testutil::inventory();
        let run = || {
            let mut out = Vec::new();
            write_inventory(Format::CycloneDxJson, &image, &mut out).unwrap();
            serde_json::from_slice::<serde_json::Value>(&out).unwrap()["serialNumber"].clone()
        };
        assert_ne!(run(), run());
    }

    struct BrokenPipe;

    impl Write for BrokenPipe {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Err(io::Error::from(io::ErrorKind::BrokenPipe))
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn write_errors_keep_their_kind() {
        let image = testutil::inventory();
        for format in Format::ALL {
            let err = write_inventory(format, &image, &mut BrokenPipe).unwrap_err();
            match err {
                Error::Io { format: f, source } => {
                    assert_eq!(f, format);
                    assert_eq!(source.kind(), io::ErrorKind::BrokenPipe);
                }
                other => panic!("{format}: {other:?}"),
            }
        }
    }
}
