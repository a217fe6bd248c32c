use plimsoll_report::{Error, Format, write_inventories, write_inventory};
use plimsoll_types::ImageInventory;

use crate::fixture;

fn render(format: Format, images: &[ImageInventory]) -> String {
    let mut out = Vec::new();
    write_inventories(format, images, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn names_parse_and_print() {
    for (name, format) in [
        ("table", Format::Table),
        ("json", Format::Json),
        ("cyclonedx-json", Format::CycloneDxJson),
        ("spdx-json", Format::SpdxJson),
    ] {
        assert_eq!(name.parse::<Format>().unwrap(), format);
        assert_eq!(format.to_string(), name);
    }
    assert!(matches!(
        "xml".parse::<Format>(),
        Err(Error::UnknownFormat(_))
    ));
}

#[test]
fn json_is_one_document_for_all_images() {
    let mut arm = fixture::inventory();
    arm.packages.truncate(2);
    let images = vec![fixture::inventory(), arm];
    let doc: serde_json::Value = serde_json::from_str(&render(Format::Json, &images)).unwrap();
    assert_eq!(doc["schema"], "plimsoll.inventory/v1");
    assert_eq!(doc["tool"]["name"], "plimsoll");
    let back: Vec<ImageInventory> = serde_json::from_value(doc["images"].clone()).unwrap();
    assert_eq!(back, images);
}

#[test]
fn table_has_a_section_per_image() {
    let images = vec![fixture::inventory(), fixture::inventory()];
    let text = render(Format::Table, &images);
    assert_eq!(
        text.matches("Image:    registry.example.com:5000/team/app:1.4.2\n")
            .count(),
        2
    );
    assert_eq!(
        text.matches("\nOS:       Debian GNU/Linux 12 (bookworm)\n")
            .count(),
        2
    );
    assert_eq!(text.matches("\nPackages: 13\n").count(), 2);
    let first_row = text.lines().find(|l| l.starts_with("libssl3")).unwrap();
    let diff = fixture::layer_ref(0).diff_id;
    assert!(first_row.contains("openssl"), "{first_row}");
    assert!(
        first_row.contains(&format!("0 {}…", diff.short())),
        "{first_row}"
    );
    assert!(text.lines().all(|l| !l.ends_with(' ')));
}

#[test]
fn sbom_formats_refuse_several_images() {
    let images = vec![fixture::inventory(), fixture::inventory()];
    for format in [Format::CycloneDxJson, Format::SpdxJson] {
        let err = write_inventories(format, &images, &mut Vec::new()).unwrap_err();
        assert!(matches!(err, Error::ImageCount { count: 2, .. }), "{err:?}");
        let mut out = Vec::new();
        write_inventory(format, &images[0], &mut out).unwrap();
        assert!(!out.is_empty());
    }
}

#[test]
fn table_names_every_package_kind() {
    let text = render(Format::Table, &[fixture::inventory()]);
    for (name, kind) in [
        ("openssl-libs", "rpm"),
        ("github.com/spf13/cobra", "go"),
        ("serde", "cargo"),
        ("rack", "gem"),
        ("monolog/monolog", "composer"),
        ("Newtonsoft.Json", "nuget"),
        ("numpy", "conda"),
    ] {
        let row = text
            .lines()
            .find(|l| l.starts_with(&format!("{name} ")))
            .unwrap_or_else(|| panic!("{name} missing:\n{text}"));
        let columns: Vec<&str> = row.split_whitespace().collect();
        assert_eq!(columns[2], kind, "{row}");
    }
    let rpm = text
        .lines()
        .find(|l| l.starts_with("openssl-libs"))
        .unwrap();
    assert!(
        rpm.contains("openssl  "),
        "the source package is shown: {rpm}"
    );
}
