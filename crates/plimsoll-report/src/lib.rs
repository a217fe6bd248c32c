//! Report writers: turn image inventories and vulnerability reports into what users read and
//! what other tools import.
//!
//! This is the last stage of the pipeline (`registry → layer → catalog → inventory → matcher →
//! report`). It takes values from `plimsoll-types` and writes them; it computes nothing about
//! the image or its vulnerabilities.
//!
//! **Inventories** ([`ImageInventory`], already folded and with purls filled in) are written by
//! [`write_inventories`] in one [`Format`]:
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
//! **Vulnerability reports** ([`VulnerabilityReport`]: an inventory with its findings) are
//! written by [`write_vulnerability_reports`] in one [`VulnFormat`], any number of reports (one
//! per platform) per document:
//!
//! - [`VulnFormat::Table`]: per image a header, a `Total:` line counting each severity, and the
//!   findings grouped by package, most severe first; then the image's secrets and configuration
//!   findings, each in its own section with its own count line, when there are any.
//! - [`VulnFormat::Json`]: `plimsoll.vulnerabilities/v1`, documented in
//!   `docs/vulnerability-json.md`: the reports as they are, plus per report the findings counted
//!   per layer (`layer_findings`) and per package (`modules`).
//! - [`VulnFormat::Sarif`]: SARIF 2.1.0, one run per report, shaped for GitHub code scanning:
//!   vulnerabilities, secrets (rules `secret/<rule>`) and configuration findings (rules named by
//!   their ids, `PLM-CFG-001`) are all results.
//!
//! Secrets are written only as the scanner redacted them (`Secret::redacted`); no writer sees
//! more.
//!
//! **Views** are other tables of the same reports, for people, written by [`write_view`]:
//!
//! - [`View::Layers`] (`--layers`): per image one row per layer, base first, with its sizes,
//!   `created_by` command, the packages it added, removed and changed, and the findings it
//!   introduced by severity; then a line saying how many findings come from the base image.
//! - [`View::Modules`] (`--modules`): per image one row per installed package, worst first, with
//!   its findings counted by severity, whether any has a fix, and the one version that clears
//!   them all when every finding names that same version.
//!
//! The format enums are separate because the commands offer different choices; see
//! [`VulnFormat`]. Each format and view is one private module, and every entry point dispatches
//! with an exhaustive `match`, so a new variant does not compile until it has a writer. The
//! tables share their escaping and column layout (`text.rs`), the two Plimsoll JSON formats
//! their `tool` block, and the views and the vulnerability JSON their counting (`summary.rs`).
//!
//! ```
//! use plimsoll_report::{
//!     Format, View, VulnFormat, write_inventory, write_view, write_vulnerability_reports,
//! };
//! use plimsoll_types::{
//!     Digest, ImageInventory, ImageSource, Package, PackageKind, Platform, VulnerabilityReport,
//! };
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
//!     config: None,
//!     secrets: Vec::new(),
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
//!
//! let report = VulnerabilityReport { image, findings: Vec::new(), db_built_at: None, suppressed: 0, config_findings: Vec::new() };
//! let mut out = Vec::new();
//! write_vulnerability_reports(VulnFormat::Table, std::slice::from_ref(&report), &mut out).unwrap();
//! assert!(String::from_utf8(out).unwrap().ends_with("\n\nNo vulnerabilities found.\n"));
//!
//! let mut out = Vec::new();
//! write_view(View::Modules, &[report], &mut out).unwrap();
//! let text = String::from_utf8(out).unwrap();
//! assert!(text.contains("Packages: 1 (0 vulnerable)"));
//! assert!(text.contains("apk   musl  1.2.5-r0  -      -"));
//! ```
//!
//! Depends only on `plimsoll-types` among Plimsoll crates: never on scanning stages, so the
//! server and worker can render stored inventories and reports without pulling the pipeline in.

mod creation;
mod cyclonedx;
mod error;
mod format;
mod image;
mod json;
mod layers_table;
mod modules_table;
mod sarif;
mod spdx;
mod summary;
mod table;
#[cfg(test)]
mod testutil;
mod text;
mod vuln_json;
mod vuln_table;

pub use crate::error::{Error, Result};
pub use crate::format::{Format, View, VulnFormat};

use std::io::{self, Write};

use serde::Serialize;

use plimsoll_types::{ImageInventory, VulnerabilityReport};

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

/// Writes vulnerability `reports` to `out` in `format`, then flushes `out`.
///
/// Every format takes any number of reports, including none: a scan of a multi-platform index
/// gives one report per platform, and they go in one document (table sections, JSON `reports`,
/// SARIF `runs`). Findings are written as given; filtering (severity, fixable-only, ignores)
/// happened before, and only its count, [`VulnerabilityReport::suppressed`], is shown.
pub fn write_vulnerability_reports(
    format: VulnFormat,
    reports: &[VulnerabilityReport],
    out: &mut dyn Write,
) -> Result<()> {
    match format {
        VulnFormat::Table => write_text(format, &vuln_table::render(reports), out),
        VulnFormat::Json => write_json(format, &vuln_json::document(reports), out),
        VulnFormat::Sarif => write_json(format, &sarif::log(reports), out),
    }
}

/// Writes vulnerability `reports` to `out` as the table of `view`, then flushes `out`.
///
/// Any number of reports, one section each, as [`write_vulnerability_reports`] writes its
/// table. Text from the image (commands, names, paths) is escaped like every table's.
pub fn write_view(view: View, reports: &[VulnerabilityReport], out: &mut dyn Write) -> Result<()> {
    let text = match view {
        View::Layers => layers_table::render(reports),
        View::Modules => modules_table::render(reports),
    };
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|source| Error::ViewIo { view, source })
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
        Format::Table => write_text(format, &table::render(images), out),
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

/// The error variants of one format enum, so the output helpers serve both.
trait OutputErrors: Copy {
    fn io(self, source: io::Error) -> Error;
    fn serialize(self, source: serde_json::Error) -> Error;
}

impl OutputErrors for Format {
    fn io(self, source: io::Error) -> Error {
        Error::Io {
            format: self,
            source,
        }
    }
    fn serialize(self, source: serde_json::Error) -> Error {
        Error::Serialize {
            format: self,
            source,
        }
    }
}

impl OutputErrors for VulnFormat {
    fn io(self, source: io::Error) -> Error {
        Error::VulnIo {
            format: self,
            source,
        }
    }
    fn serialize(self, source: serde_json::Error) -> Error {
        Error::VulnSerialize {
            format: self,
            source,
        }
    }
}

fn write_text(format: impl OutputErrors, text: &str, out: &mut dyn Write) -> Result<()> {
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|source| format.io(source))
}

/// Pretty-printed (SBOMs are read by people as often as by tools) with a final newline.
fn write_json(
    format: impl OutputErrors,
    document: &impl Serialize,
    out: &mut dyn Write,
) -> Result<()> {
    serde_json::to_writer_pretty(&mut *out, document).map_err(|e| {
        if e.is_io() {
            format.io(e.into())
        } else {
            format.serialize(e)
        }
    })?;
    write_text(format, "\n", out)
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
    fn vulnerability_formats_take_any_number_of_reports() {
        let report = testutil::report();
        for format in VulnFormat::ALL {
            for reports in [
                Vec::new(),
                vec![report.clone()],
                vec![report.clone(), report.clone()],
            ] {
                let mut out = Vec::new();
                write_vulnerability_reports(format, &reports, &mut out).unwrap();
                let text = String::from_utf8(out).unwrap();
                assert!(text.is_empty() || text.ends_with('\n'), "{format}");
                let mut again = Vec::new();
                write_vulnerability_reports(format, &reports, &mut again).unwrap();
                assert_eq!(text.as_bytes(), again, "{format} is deterministic");
            }
        }
    }

    #[test]
    fn vulnerability_write_errors_keep_their_kind() {
        let report = testutil::report();
        for format in VulnFormat::ALL {
            let err =
                write_vulnerability_reports(format, std::slice::from_ref(&report), &mut BrokenPipe)
                    .unwrap_err();
            assert_eq!(
                err.to_string(),
                format!("failed to write {format} vulnerability report")
            );
            match err {
                Error::VulnIo { format: f, source } => {
                    assert_eq!(f, format);
                    assert_eq!(source.kind(), io::ErrorKind::BrokenPipe);
                }
                other => panic!("{format}: {other:?}"),
            }
        }
    }

    #[test]
    fn views_take_any_number_of_reports_and_keep_write_errors() {
        let report = testutil::full_report();
        for view in View::ALL {
            let mut one = Vec::new();
            write_view(view, std::slice::from_ref(&report), &mut one).unwrap();
            let mut two = Vec::new();
            write_view(view, &[report.clone(), report.clone()], &mut two).unwrap();
            assert!(
                one.ends_with(b"\n") && two.len() == 2 * one.len() + 1,
                "{view}"
            );
            let err = write_view(view, std::slice::from_ref(&report), &mut BrokenPipe).unwrap_err();
            assert_eq!(err.to_string(), format!("failed to write the {view} view"));
            assert!(
                matches!(err, Error::ViewIo { view: v, ref source } if v == view && source.kind() == io::ErrorKind::BrokenPipe),
                "{err:?}"
            );
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
