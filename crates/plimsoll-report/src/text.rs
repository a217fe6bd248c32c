//! Terminal text shared by the two table formats: escaping, the header block and aligned columns.
//!
//! Columns are aligned by character count. Characters that take two cells in a terminal (CJK
//! package names) can shift a row; a width table (the `unicode-width` crate) would fix that at
//! the cost of a dependency, for names that are nearly always ASCII.

use std::fmt::Write as _;

use plimsoll_types::{ImageInventory, LayerRef};

/// Spaces between columns.
const GAP: usize = 2;

/// Width of the labels in the header block (`Platform: `).
const LABEL_WIDTH: usize = 10;

/// Escapes control characters. Names, versions and paths come from files inside an untrusted
/// image, and advisory text from a downloaded database; printed raw, an ESC sequence in a
/// package name could rewrite the user's terminal.
pub(crate) fn clean(s: &str) -> String {
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

/// The distribution as people name it: `PRETTY_NAME`, else `ID VERSION_ID`, else `unknown OS`.
pub(crate) fn os_name(image: &ImageInventory) -> String {
    match &image.os {
        Some(os) => match (&os.pretty_name, &os.version_id) {
            (Some(pretty), _) => pretty.clone(),
            (None, Some(version)) => format!("{} {version}", os.id),
            (None, None) => os.id.clone(),
        },
        None => "unknown OS".to_owned(),
    }
}

/// A layer as a table cell: its index and the start of its diff ID (`0 d45fe94714c2…`), or `-`.
pub(crate) fn layer(layer: Option<&LayerRef>) -> String {
    match layer {
        Some(layer) => format!("{} {}…", layer.index, layer.diff_id.short()),
        None => "-".to_owned(),
    }
}

/// Renders each item with `render`, sections separated by a blank line.
pub(crate) fn sections<T>(items: &[T], render: impl Fn(&mut String, &T)) -> String {
    let mut out = String::new();
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        render(&mut out, item);
    }
    out
}

/// Writes `Label:   value` lines, values cleaned.
pub(crate) fn write_header(out: &mut String, lines: &[(&str, String)]) {
    for (label, value) in lines {
        // Infallible: writing to a String.
        let _ = writeln!(out, "{label:<LABEL_WIDTH$}{}", clean(value));
    }
}

/// Writes a heading line and `rows` in aligned columns. Cells must already be cleaned.
///
/// The last column is not padded and trailing blanks are dropped, so no line ends in spaces
/// (an empty last cell would otherwise leave the padding of the one before it).
pub(crate) fn write_columns<const N: usize>(
    out: &mut String,
    headings: [&str; N],
    rows: &[[String; N]],
) {
    let mut widths = headings.map(|h| h.chars().count());
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    write_row(out, &widths, &headings.map(str::to_owned));
    for row in rows {
        write_row(out, &widths, row);
    }
}

fn write_row<const N: usize>(out: &mut String, widths: &[usize; N], cells: &[String; N]) {
    for (i, (cell, width)) in cells.iter().zip(widths).enumerate() {
        out.push_str(cell);
        if i + 1 < N {
            let pad = width - cell.chars().count() + GAP;
            out.extend(std::iter::repeat_n(' ', pad));
        }
    }
    out.truncate(out.trim_end_matches(' ').len());
    out.push('\n');
}

/// `s` cut to at most `max` characters, the last one `…` when anything was cut.
pub(crate) fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_owned();
    }
    let mut cut: String = s.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_align_without_trailing_blanks() {
        let mut out = String::new();
        write_columns(
            &mut out,
            ["A", "BB", "C"],
            &[
                ["xxx".into(), String::new(), String::new()],
                [String::new(), "y".into(), "z".into()],
            ],
        );
        assert_eq!(out, "A    BB  C\nxxx\n     y   z\n");
    }

    #[test]
    fn truncates_by_characters() {
        assert_eq!(truncate("héllo", 5), "héllo");
        assert_eq!(truncate("héllo wörld", 6), "héllo…");
    }

    #[test]
    fn cleans_only_control_characters() {
        assert_eq!(clean("a\u{1b}[2Jb\tc é"), "a\\u{1b}[2Jb\\tc é");
    }
}
