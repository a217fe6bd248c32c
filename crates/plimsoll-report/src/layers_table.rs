//! The layer view: per image one row per layer, base first, with what the layer did to the
//! packages and which findings it brought, then one line saying how many findings come from the
//! base image. It answers "rebuild on a newer base, or fix our own layers?".
//!
//! A finding belongs to the layer that introduced its package (`Finding::layer`), so a package a
//! later layer upgraded in place is still counted where it first appeared when the fold kept
//! that origin; the PACKAGES column shows the upgrade where it happened.

use std::fmt::Write as _;

use plimsoll_types::{LayerChanges, LayerSummary, VulnerabilityReport};

use crate::summary::{self, Attribution, LayerFindings};
use crate::text::{self, clean};

/// Column headings, in order. CREATED BY is last because it is the longest.
const HEADINGS: [&str; 7] = [
    "LAYER",
    "BASE",
    "SIZE",
    "UNPACKED",
    "PACKAGES",
    "FINDINGS",
    "CREATED BY",
];

/// Most characters of a `created_by` command shown; the whole command is in the JSON.
const CREATED_BY_WIDTH: usize = 60;

/// How many added packages are named in the PACKAGES cell before `…`.
const NAMED_ADDED: usize = 2;

/// Renders every report, separated by a blank line.
pub(crate) fn render(reports: &[VulnerabilityReport]) -> String {
    text::sections(reports, render_report)
}

fn render_report(out: &mut String, report: &VulnerabilityReport) {
    let image = &report.image;
    text::write_header(
        out,
        &[
            ("Image:", image.source.display_name()),
            ("Platform:", image.platform.to_string()),
            ("Manifest:", image.manifest_digest.to_string()),
            ("OS:", text::os_name(image)),
            ("Layers:", image.layers.len().to_string()),
        ],
    );
    out.push('\n');
    if image.layers.is_empty() {
        out.push_str("No layers.\n");
        return;
    }
    let findings = summary::layer_findings(report);
    let rows: Vec<[String; 7]> = image
        .layers
        .iter()
        .zip(&findings)
        .map(|(layer, findings)| row(layer, findings))
        .collect();
    text::write_columns(out, HEADINGS, &rows);
    out.push('\n');
    out.push_str(&attribution_line(&summary::attribution(report)));
    out.push('\n');
}

fn row(layer: &LayerSummary, findings: &LayerFindings) -> [String; 7] {
    [
        layer.index.to_string(),
        if layer.base_image { "base" } else { "" }.to_owned(),
        human_size(layer.compressed_size),
        human_size(layer.uncompressed_size),
        changes(&layer.changes),
        findings.severity_counts.cell(),
        layer
            .created_by
            .as_deref()
            .map_or_else(|| "-".to_owned(), created_by),
    ]
}

/// The command as people wrote it: Docker's `/bin/sh -c #(nop) ` marker of a non-`RUN`
/// instruction dropped, runs of whitespace (line continuations, tabs) made one space, control
/// characters escaped, then cut to [`CREATED_BY_WIDTH`].
fn created_by(command: &str) -> String {
    let command = command.trim();
    let command = command
        .strip_prefix("/bin/sh -c #(nop) ")
        .unwrap_or(command);
    let collapsed = command.split_whitespace().collect::<Vec<_>>().join(" ");
    text::truncate(&clean(&collapsed), CREATED_BY_WIDTH)
}

/// `+12 (openssl 3.0.2, zlib1g 1.2.13, …) -1 ~3`: counts of added, removed and changed packages,
/// the first added ones named; parts with a zero count left out, `-` for a layer that changed no
/// package.
fn changes(changes: &LayerChanges) -> String {
    if changes.is_empty() {
        return "-".to_owned();
    }
    let mut parts = Vec::with_capacity(3);
    if !changes.added.is_empty() {
        let mut names: Vec<String> = changes
            .added
            .iter()
            .take(NAMED_ADDED)
            .map(|p| format!("{} {}", p.name, p.version))
            .collect();
        if changes.added.len() > NAMED_ADDED {
            names.push("…".to_owned());
        }
        parts.push(clean(&format!(
            "+{} ({})",
            changes.added.len(),
            names.join(", ")
        )));
    }
    if !changes.removed.is_empty() {
        parts.push(format!("-{}", changes.removed.len()));
    }
    if !changes.changed.is_empty() {
        parts.push(format!("~{}", changes.changed.len()));
    }
    parts.join(" ")
}

/// `43 of 51 findings come from the base image (layers 0–3), 8 from the layers on top`, with the
/// findings of no known layer counted when there are any.
fn attribution_line(a: &Attribution) -> String {
    if a.total == 0 {
        return "No vulnerabilities found.".to_owned();
    }
    let noun = if a.total == 1 { "finding" } else { "findings" };
    let mut line = if a.base_layers.is_empty() {
        format!(
            "{} {noun}; no layer is marked as the base image, so none are attributed to it",
            a.total
        )
    } else {
        let verb = if a.from_base == 1 { "comes" } else { "come" };
        format!(
            "{} of {} {noun} {verb} from the base image ({}), {} from the layers on top",
            a.from_base,
            a.total,
            layer_list(&a.base_layers),
            a.from_top
        )
    };
    if a.unattributed > 0 {
        // Infallible: writing to a String.
        let _ = write!(line, ", {} from no known layer", a.unattributed);
    }
    line
}

/// `layer 0`, `layers 0–3` for a run, else `layers 0, 2`.
fn layer_list(indices: &[usize]) -> String {
    match indices {
        [one] => format!("layer {one}"),
        [first, .., last] if last - first + 1 == indices.len() => {
            format!("layers {first}–{last}")
        }
        _ => {
            let list: Vec<String> = indices.iter().map(ToString::to_string).collect();
            format!("layers {}", list.join(", "))
        }
    }
}

/// Binary units with one decimal (`27.8 MiB`), bytes as they are below 1 KiB. Integer
/// arithmetic, so no float rounding surprises and no precision-loss casts.
fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 6] = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut unit: u128 = 1024;
    for name in UNITS {
        // Tenths of this unit, rounded half up.
        let tenths = (u128::from(bytes) * 10 + unit / 2) / unit;
        if tenths < 10 * 1024 || name == "EiB" {
            return format!("{}.{} {name}", tenths / 10, tenths % 10);
        }
        unit *= 1024;
    }
    unreachable!("the loop returns at EiB at the latest")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil;

    #[test]
    fn one_row_per_layer_and_the_base_image_line() {
        let expected = "\
Image:    docker.io/library/debian:12
Platform: linux/amd64
Manifest: sha256:05b3abf2579a5eb66403cd78be557fd860633a1fe2103c7642030defe32c657f
OS:       Debian GNU/Linux 12 (bookworm)
Layers:   3

LAYER  BASE  SIZE      UNPACKED  PACKAGES                                               FINDINGS                            CREATED BY
0      base  27.8 MiB  75.2 MiB  +4 (base-files 12.4+deb12u4, libc6 2.36-9+deb12u4, …)  4 (CRITICAL: 1, HIGH: 2, LOW: 1)    ADD file:6d1b0c4f3d2e1a09 in /
1            1.5 KiB   4.0 MiB   +2 (@babel/core 7.23.0, requests 2.31.0) -1 ~1         4 (HIGH: 2, MEDIUM: 1, UNKNOWN: 1)  /bin/sh -c apt-get purge -y tzdata && pip install requests=…
2            93 B      512 B     -                                                      -                                   RUN /bin/sh -c rm /app/.env # buildkit

4 of 8 findings come from the base image (layer 0), 4 from the layers on top
";
        assert_eq!(render(&[testutil::full_report()]), expected);
    }

    #[test]
    fn sizes_in_binary_units() {
        assert_eq!(human_size(0), "0 B");
        assert_eq!(human_size(1023), "1023 B");
        assert_eq!(human_size(1024), "1.0 KiB");
        assert_eq!(human_size(1536), "1.5 KiB");
        // 1023.96 KiB rounds to 1024.0, which is written as the next unit.
        assert_eq!(human_size(1_048_535), "1.0 MiB");
        assert_eq!(human_size(29_150_000), "27.8 MiB");
        assert_eq!(human_size(u64::MAX), "16.0 EiB");
    }

    #[test]
    fn created_by_is_cleaned_and_cut() {
        assert_eq!(
            created_by("/bin/sh -c #(nop)  CMD [\"bash\"]"),
            "CMD [\"bash\"]"
        );
        assert_eq!(created_by("RUN a \\\n\t  && b"), "RUN a \\ && b");
        // Control characters that are not whitespace are escaped, never printed.
        assert_eq!(created_by("RUN x\u{1b}[2Jy"), "RUN x\\u{1b}[2Jy");
        assert_eq!(
            created_by(&"x".repeat(100)).chars().count(),
            CREATED_BY_WIDTH
        );
    }

    #[test]
    fn control_characters_in_package_names_are_escaped() {
        let mut report = testutil::full_report();
        report.image.layers[1].changes.added[0].name = "evil\u{1b}]0;x\u{7}".into();
        let text = render(&[report]);
        assert!(
            !text.contains('\u{1b}') && !text.contains('\u{7}'),
            "{text}"
        );
        assert!(text.contains("evil\\u{1b}]0;x\\u{7} 7.23.0"), "{text}");
    }

    #[test]
    fn attribution_lines() {
        let line = |base_layers: Vec<usize>, from_base, from_top, unattributed| {
            attribution_line(&Attribution {
                total: from_base + from_top + unattributed,
                base_layers,
                from_base,
                from_top,
                unattributed,
            })
        };
        assert_eq!(
            line(vec![0, 1, 2, 3], 43, 8, 0),
            "43 of 51 findings come from the base image (layers 0–3), 8 from the layers on top"
        );
        assert_eq!(
            line(vec![0, 2], 1, 0, 1),
            "1 of 2 findings comes from the base image (layers 0, 2), 0 from the layers on top, 1 from no known layer"
        );
        assert_eq!(
            line(vec![], 0, 5, 0),
            "5 findings; no layer is marked as the base image, so none are attributed to it"
        );
        assert_eq!(line(vec![0], 0, 0, 0), "No vulnerabilities found.");
    }

    #[test]
    fn empty_images_and_several_reports() {
        let mut bare = testutil::full_report();
        bare.image.layers.clear();
        let text = render(std::slice::from_ref(&bare));
        assert!(text.ends_with("Layers:   0\n\nNo layers.\n"), "{text}");
        let both = render(&[bare, testutil::full_report()]);
        assert_eq!(
            both,
            format!("{text}\n{}", render(&[testutil::full_report()]))
        );
        assert_eq!(render(&[]), "");
    }
}
