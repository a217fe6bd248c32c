//! Deb822 paragraphs ("stanzas") as dpkg reads its database (Debian Policy §5.1, deb822(5)).
//!
//! A paragraph is a run of `Field: value` lines; a line starting with a space or tab continues
//! the previous field, and an empty line ends the paragraph. Quirks, chosen to read what dpkg
//! reads:
//!
//! - Field names compare ASCII case-insensitively (`version:` is `Version:`).
//! - Values are trimmed of spaces and tabs at both ends.
//! - A line of only spaces and tabs does not end a paragraph: dpkg reads it as an (empty)
//!   continuation line and only warns. Policy allows either reading; dpkg's is the one whose
//!   output we must match.
//! - A trailing `\r` is dropped from every line, so CRLF files read like LF files (dpkg never
//!   writes CRLF; hand-made distroless files sometimes have it).
//! - A missing final newline is accepted (dpkg refuses the whole database).
//! - Only the first line of a value is kept: the fields we read (`Package`, `Version`,
//!   `Status`, `Source`, `Architecture`) are single-line, and skipping the multi-line ones
//!   (`Description`, `Conffiles`) keeps parsing allocation-free apart from the field list.
//! - Comment lines (`#`) are not part of the dpkg database format and are reported as bad lines.

/// One paragraph: its fields, borrowed from the input, in file order.
pub(crate) struct Paragraph<'a> {
    /// 1-based line of the paragraph's first field, for warnings.
    pub(crate) line: usize,
    fields: Vec<(&'a str, &'a str)>,
}

impl<'a> Paragraph<'a> {
    /// The first line of the first field called `name` (ASCII case-insensitive), trimmed.
    pub(crate) fn get(&self, name: &str) -> Option<&'a str> {
        self.fields
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| *v)
    }
}

/// Splits `text` into paragraphs. Lines that are not fields are skipped with a warning; a
/// repeated field keeps its first value, also with a warning.
pub(crate) fn parse<'a>(text: &'a str, warnings: &mut Vec<String>) -> Vec<Paragraph<'a>> {
    let mut paragraphs = Vec::new();
    let mut current: Option<Paragraph<'a>> = None;
    for (index, raw) in text.split('\n').enumerate() {
        let number = index + 1;
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        if line.is_empty() {
            paragraphs.extend(current.take());
            continue;
        }
        if line.starts_with([' ', '\t']) {
            // Continuation line: its content belongs to a multi-line field we do not read.
            if current.is_none() && !line.trim_matches([' ', '\t']).is_empty() {
                warnings.push(format!(
                    "line {number}: continuation line outside a paragraph"
                ));
            }
            continue;
        }
        let Some((name, value)) = line.split_once(':') else {
            warnings.push(format!("line {number}: expected `Field: value`"));
            continue;
        };
        if name.is_empty() || name.contains([' ', '\t']) {
            warnings.push(format!("line {number}: invalid field name"));
            continue;
        }
        let paragraph = current.get_or_insert_with(|| Paragraph {
            line: number,
            fields: Vec::with_capacity(16),
        });
        if paragraph.get(name).is_some() {
            warnings.push(format!(
                "line {number}: duplicate field `{name}`, first value kept"
            ));
            continue;
        }
        paragraph
            .fields
            .push((name, value.trim_matches([' ', '\t'])));
    }
    paragraphs.extend(current);
    paragraphs
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields<'a>(p: &Paragraph<'a>) -> Vec<(&'a str, &'a str)> {
        p.fields.clone()
    }

    #[test]
    fn splits_paragraphs_and_skips_continuations() {
        let text = "Package: a\nDescription: short\n long\n .\n\t\nVersion: 1\n\n\n\nPackage: b\r\nversion:  2 \r\n\r\nPackage: c";
        let mut warnings = Vec::new();
        let ps = parse(text, &mut warnings);
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(ps.len(), 3);
        assert_eq!(
            fields(&ps[0]),
            [("Package", "a"), ("Description", "short"), ("Version", "1")]
        );
        assert_eq!((ps[1].line, ps[1].get("Version")), (10, Some("2")));
        assert_eq!(ps[2].get("PACKAGE"), Some("c"));
    }

    #[test]
    fn whitespace_only_line_does_not_end_a_paragraph() {
        let mut warnings = Vec::new();
        let ps = parse("Package: a\n \nVersion: 1\n", &mut warnings);
        assert_eq!(ps.len(), 1);
        assert_eq!(ps[0].get("Version"), Some("1"));
    }

    #[test]
    fn bad_lines_are_warnings() {
        let mut warnings = Vec::new();
        let ps = parse(
            " orphan\nno colon here\nbad name: x\nPackage: a\nPackage: b\n",
            &mut warnings,
        );
        assert_eq!(ps.len(), 1);
        assert_eq!(ps[0].get("Package"), Some("a"));
        assert_eq!(ps[0].line, 4);
        assert_eq!(warnings.len(), 4, "{warnings:?}");
        assert!(warnings[3].contains("duplicate field `Package`"));
    }

    #[test]
    fn empty_value_and_colons_in_value() {
        let mut warnings = Vec::new();
        let ps = parse("Package: a\nConffiles:\nVersion: 1:2.0-1\n", &mut warnings);
        assert_eq!(ps[0].get("Conffiles"), Some(""));
        assert_eq!(ps[0].get("Version"), Some("1:2.0-1"));
    }
}
