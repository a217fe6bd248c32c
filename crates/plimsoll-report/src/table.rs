//! Aligned text for a terminal: a header block and a package table per image.

use std::fmt::Write as _;

use plimsoll_types::{ImageInventory, Package};

/// Column headings, in order. PATH is last because it is the longest and the least scanned.
const HEADINGS: [&str; 6] = ["NAME", "VERSION", "TYPE", "SOURCE", "LAYER", "PATH"];

/// Spaces between columns.
const GAP: usize = 2;

/// Renders every image, separated by a blank line.
///
/// Columns are aligned by character count. Characters that take two cells in a terminal (CJK
/// package names) can shift a row; a width table (the `unicode-width` crate) would fix that at
/// the cost of a dependency, for names that are nearly always ASCII.
pub(crate) fn render(images: &[ImageInventory]) -> String {
    let mut out = String::new();
    for (i, image) in images.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        render_image(&mut out, image);
    }
    out
}

fn render_image(out: &mut String, image: &ImageInventory) {
    let os = match &image.os {
        Some(os) => match (&os.pretty_name, &os.version_id) {
            (Some(pretty), _) => pretty.clone(),
            (None, Some(version)) => format!("{} {version}", os.id),
            (None, None) => os.id.clone(),
        },
        None => "unknown OS".to_owned(),
    };
    let header = [
        ("Image:", image.source.display_name()),
        ("Platform:", image.platform.to_string()),
        ("Manifest:", image.manifest_digest.to_string()),
        ("OS:", os),
        ("Layers:", image.layers.len().to_string()),
        ("Packages:", image.packages.len().to_string()),
    ];
    for (label, value) in header {
        // Infallible: writing to a String.
        let _ = writeln!(out, "{label:<10}{}", clean(&value));
    }
    for warning in &image.warnings {
        let _ = writeln!(out, "{:<10}{}", "Warning:", clean(warning));
    }
    out.push('\n');
    if image.packages.is_empty() {
        out.push_str("No packages found.\n");
        return;
    }

    let rows: Vec<[String; 6]> = image.packages.iter().map(row).collect();
    let mut widths = HEADINGS.map(|h| h.chars().count());
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    write_row(out, &widths, &HEADINGS.map(str::to_owned));
    for row in &rows {
        write_row(out, &widths, row);
    }
}

fn row(package: &Package) -> [String; 6] {
    let source = match &package.source {
        Some(source) if source.version == package.version => source.name.clone(),
        Some(source) => format!("{} ({})", source.name, source.version),
        None => "-".to_owned(),
    };
    let layer = match &package.layer {
        Some(layer) => format!("{} {}…", layer.index, layer.diff_id.short()),
        None => "-".to_owned(),
    };
    [
        clean(&package.name),
        clean(&package.version),
        package.kind.as_str().to_owned(),
        clean(&source),
        layer,
        clean(&package.found_in),
    ]
}

/// Writes one line; the last column is not padded, so lines carry no trailing spaces.
fn write_row(out: &mut String, widths: &[usize; 6], cells: &[String; 6]) {
    let last = cells.len() - 1;
    for (i, (cell, width)) in cells.iter().zip(widths).enumerate() {
        out.push_str(cell);
        if i < last {
            let pad = width - cell.chars().count() + GAP;
            out.extend(std::iter::repeat_n(' ', pad));
        }
    }
    out.push('\n');
}

/// Escapes control characters. Names, versions and paths come from files inside an untrusted
/// image; printed raw, an ESC sequence in a package name could rewrite the user's terminal.
fn clean(s: &str) -> String {
    if !s.chars().any(char::is_control) {
        return s.to_owned();
    }
    let mut cleaned = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_control() {
            cleaned.extend(c.escape_default());
        } else {
            cleaned.push(c);
        }
    }
    cleaned
}

#[cfg(test)]
mod tests {
    use plimsoll_types::{Digest, ImageSource, Package, PackageKind};

    use super::*;
    use crate::testutil;

    #[test]
    fn renders_header_and_aligned_columns() {
        let expected = "\
Image:    docker.io/library/debian:12
Platform: linux/amd64
Manifest: sha256:05b3abf2579a5eb66403cd78be557fd860633a1fe2103c7642030defe32c657f
OS:       Debian GNU/Linux 12 (bookworm)
Layers:   2
Packages: 5

NAME         VERSION            TYPE    SOURCE                  LAYER            PATH
base-files   12.4+deb12u5       deb     base-files              0 d45fe94714c2…  /var/lib/dpkg/status
libc6        2.36-9+deb12u4     deb     glibc                   0 d45fe94714c2…  /var/lib/dpkg/status
libdb5.3     5.3.28+dfsg2-1+b1  deb     db5.3 (5.3.28+dfsg2-1)  0 d45fe94714c2…  /var/lib/dpkg/status
requests     2.31.0             python  -                       1 0697c0f434f8…  /usr/lib/python3/dist-packages/requests-2.31.0.dist-info/METADATA
@babel/core  7.23.0             npm     -                       1 0697c0f434f8…  /app/node_modules/@babel/core/package.json
";
        assert_eq!(render(&[testutil::inventory()]), expected);
    }

    #[test]
    fn separates_images_and_handles_empty_ones() {
        let mut bare = testutil::inventory();
        bare.source = ImageSource::OciLayout {
            path: "./layout".into(),
            reference: None,
        };
        bare.os = None;
        bare.packages.clear();
        bare.layers.truncate(1);
        bare.warnings = vec!["unreadable /var/lib/dpkg/status: truncated".into()];
        let both = render(&[bare.clone(), testutil::inventory()]);
        let expected_bare = "\
Image:    oci-layout:./layout
Platform: linux/amd64
Manifest: sha256:05b3abf2579a5eb66403cd78be557fd860633a1fe2103c7642030defe32c657f
OS:       unknown OS
Layers:   1
Packages: 0
Warning:  unreadable /var/lib/dpkg/status: truncated

No packages found.
";
        assert_eq!(render(&[bare]), expected_bare);
        assert_eq!(
            both,
            format!("{expected_bare}\n{}", render(&[testutil::inventory()]))
        );
        assert_eq!(render(&[]), "");
    }

    #[test]
    fn escapes_control_characters_from_the_image() {
        let mut image = testutil::inventory();
        let mut evil = Package::new(PackageKind::Npm, "x\u{1b}]0;pwned\u{7}", "1.0", "/p");
        evil.layer = None;
        image.packages = vec![evil];
        image.manifest_digest = Digest::sha256_of(b"m");
        let text = render(&[image]);
        assert!(!text.contains('\u{1b}'), "{text}");
        assert!(text.contains("x\\u{1b}]0;pwned\\u{7}  1.0"), "{text}");
        assert!(text.ends_with("  -      /p\n"), "{text}");
    }
}
