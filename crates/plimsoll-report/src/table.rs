//! Aligned text for a terminal: a header block and a package table per image.

use plimsoll_types::{ImageInventory, Package};

use crate::text::{self, clean};

/// Column headings, in order. PATH is last because it is the longest and the least scanned.
const HEADINGS: [&str; 6] = ["NAME", "VERSION", "TYPE", "SOURCE", "LAYER", "PATH"];

/// Renders every image, separated by a blank line.
pub(crate) fn render(images: &[ImageInventory]) -> String {
    text::sections(images, render_image)
}

fn render_image(out: &mut String, image: &ImageInventory) {
    let mut header = vec![
        ("Image:", image.source.display_name()),
        ("Platform:", image.platform.to_string()),
        ("Manifest:", image.manifest_digest.to_string()),
        ("OS:", text::os_name(image)),
        ("Layers:", image.layers.len().to_string()),
        ("Packages:", image.packages.len().to_string()),
    ];
    header.extend(image.warnings.iter().map(|w| ("Warning:", w.clone())));
    text::write_header(out, &header);
    out.push('\n');
    if image.packages.is_empty() {
        out.push_str("No packages found.\n");
        return;
    }
    let rows: Vec<[String; 6]> = image.packages.iter().map(row).collect();
    text::write_columns(out, HEADINGS, &rows);
}

fn row(package: &Package) -> [String; 6] {
    let source = match &package.source {
        Some(source) if source.version == package.version => source.name.clone(),
        Some(source) => format!("{} ({})", source.name, source.version),
        None => "-".to_owned(),
    };
    [
        clean(&package.name),
        clean(&package.version),
        package.kind.as_str().to_owned(),
        clean(&source),
        text::layer(package.layer.as_ref()),
        clean(&package.found_in),
    ]
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
