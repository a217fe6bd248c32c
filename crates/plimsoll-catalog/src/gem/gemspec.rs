//! An installed gem's `*.gemspec`, as `Gem::Specification#to_ruby` writes it:
//!
//! ```text
//! # stub: rake 13.0.6 ruby lib
//! Gem::Specification.new do |s|
//!   s.name = "rake".freeze
//!   s.version = "13.0.6"
//!   s.platform = "x86_64-linux".freeze
//!   s.licenses = ["MIT".freeze]
//! ```
//!
//! Only top-level assignments of `name`, `version`, `platform`, `license` and `licenses` are
//! read, each the first time it appears. Values are Ruby string literals (`"…"`, `'…'`, or the
//! `%q{…}` older `RubyGems` wrote), optionally `.freeze`d, or arrays of them; `version` may be
//! `Gem::Version.new("…")`. When `name` or `version` is missing, the `# stub:` comment line
//! `RubyGems` writes first supplies them. Nothing is ever evaluated.
//!
//! The platform (`x86_64-linux`) becomes the package's `arch`; the default `ruby` platform is
//! not recorded, as `gem list` does not show it either.

use plimsoll_types::{FileFacts, Package, PackageKind};

#[derive(Default)]
struct Fields {
    name: Option<String>,
    version: Option<String>,
    platform: Option<String>,
    licenses: Option<Vec<String>>,
}

/// Adds the gem described by `text` to `facts`.
pub(super) fn read(path: &str, text: &str, facts: &mut FileFacts) {
    let mut fields = Fields::default();
    let mut stub: Option<(String, String, Option<String>)> = None;
    for line in text.lines() {
        let line = line.trim();
        if let Some(rest) = line.strip_prefix("# stub:") {
            if stub.is_none() {
                let mut words = rest.split_whitespace();
                if let (Some(name), Some(version)) = (words.next(), words.next()) {
                    let platform = words.next().map(str::to_owned);
                    stub = Some((name.to_owned(), version.to_owned(), platform));
                }
            }
            continue;
        }
        let Some((target, value)) = assignment(line) else {
            continue;
        };
        match target {
            "name" if fields.name.is_none() => fields.name = string_value(value),
            "version" if fields.version.is_none() => {
                let value = value
                    .strip_prefix("Gem::Version.new(")
                    .and_then(|v| v.strip_suffix(')'))
                    .unwrap_or(value);
                fields.version = string_value(value);
            }
            "platform" if fields.platform.is_none() => fields.platform = string_value(value),
            "license" | "licenses" if fields.licenses.is_none() => {
                fields.licenses = Some(strings(value));
            }
            _ => {}
        }
    }
    if let Some((name, version, platform)) = stub {
        fields.name.get_or_insert(name);
        fields.version.get_or_insert(version);
        if fields.platform.is_none() {
            fields.platform = platform;
        }
    }
    let (Some(name), Some(version)) = (fields.name, fields.version) else {
        facts
            .warnings
            .push("no gem name and version found, skipped".to_owned());
        return;
    };
    let mut package = Package::new(PackageKind::Gem, name, version, path);
    package.arch = fields.platform.filter(|p| p != "ruby" && !p.is_empty());
    package.licenses = fields.licenses.unwrap_or_default();
    facts.packages.push(package);
}

/// `<ident>.<field> = <value>` → `(field, value)`; `value` is trimmed.
fn assignment(line: &str) -> Option<(&str, &str)> {
    let (lhs, value) = line.split_once('=')?;
    let (receiver, field) = lhs.trim_end().split_once('.')?;
    let ident =
        |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    // `==` or `=~` is a comparison, not an assignment.
    if value.starts_with(['=', '~']) || !ident(receiver) || !ident(field) {
        return None;
    }
    Some((field, value.trim()))
}

/// One string literal at the start of `value` and what follows it.
fn literal(value: &str) -> Option<(String, &str)> {
    let value = value.trim_start();
    let (close, body_start) = if let Some(rest) = value.strip_prefix("%q") {
        let open = rest.chars().next()?;
        let close = match open {
            '{' => '}',
            '(' => ')',
            '[' => ']',
            '<' => '>',
            c if c.is_ascii_punctuation() => c,
            _ => return None,
        };
        (close, 2 + open.len_utf8())
    } else if value.starts_with('"') {
        ('"', 1)
    } else if value.starts_with('\'') {
        ('\'', 1)
    } else {
        return None;
    };
    let body = &value[body_start..];
    let mut out = String::new();
    let mut chars = body.char_indices();
    while let Some((i, c)) = chars.next() {
        if c == '\\' {
            // Only escapes of quotes, backslashes and `#` occur in names, versions and licences.
            if let Some((_, next)) = chars.next() {
                out.push(next);
            }
        } else if c == close {
            let rest = &body[i + c.len_utf8()..];
            let rest = rest.strip_prefix(".freeze").unwrap_or(rest);
            return Some((out, rest));
        } else {
            out.push(c);
        }
    }
    None
}

fn string_value(value: &str) -> Option<String> {
    literal(value)
        .map(|(s, _)| s.trim().to_owned())
        .filter(|s| !s.is_empty())
}

/// A string or an array of strings; `nil` and other elements are skipped.
fn strings(value: &str) -> Vec<String> {
    let Some(mut rest) = value.strip_prefix('[') else {
        return string_value(value).into_iter().collect();
    };
    let mut out = Vec::new();
    loop {
        rest = rest.trim_start();
        if let Some((s, after)) = literal(rest) {
            let s = s.trim();
            if !s.is_empty() {
                out.push(s.to_owned());
            }
            rest = after;
        } else {
            // Not a string (`nil`): skip to the next comma.
            match rest.find([',', ']']) {
                Some(i) => rest = &rest[i..],
                None => break,
            }
        }
        rest = rest.trim_start();
        match rest.strip_prefix(',') {
            Some(after) => rest = after,
            None => break,
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil;

    fn catalog(text: &str) -> FileFacts {
        let mut facts = FileFacts::default();
        read("/s/specifications/x.gemspec", text, &mut facts);
        facts
    }

    #[test]
    fn modern_and_old_shapes() {
        let facts = catalog(
            "# stub: nokogiri 1.15.4 x86_64-linux lib\n\
             Gem::Specification.new do |s|\n  s.name = \"nokogiri\".freeze\n  \
             s.version = \"1.15.4\"\n  s.platform = \"x86_64-linux\".freeze\n  \
             s.licenses = [\"MIT\".freeze, nil, \"Apache-2.0\".freeze]\n  \
             s.name == \"other\"\nend\n",
        );
        assert_eq!(
            testutil::summaries(&[facts]),
            ["nokogiri 1.15.4 x86_64-linux lic=MIT|Apache-2.0"]
        );
        let old = catalog(
            "Gem::Specification.new do |s|\n  s.name = %q{rack}\n  \
             s.version = Gem::Version.new(\"1.6.4\")\n  s.license = 'MIT'\n  \
             s.platform = %q{ruby}\n  s.name = \"late\"\nend\n",
        );
        assert_eq!(testutil::summaries(&[old]), ["rack 1.6.4 lic=MIT"]);
        let escaped = catalog("s.name = \"a\\\"b\".freeze\ns.version = \"1\"\n");
        assert_eq!(escaped.packages[0].name, "a\"b");
    }

    #[test]
    fn stub_line_fills_gaps_and_nothing_warns() {
        let stub = catalog("# stub: thing 2.0.0 ruby lib\nGem::Specification.new do |s|\nend\n");
        assert_eq!(testutil::summaries(&[stub]), ["thing 2.0.0"]);
        let nothing = catalog("s.name = \"x\"\ns.version = nil\n");
        assert!(nothing.packages.is_empty());
        assert_eq!(nothing.warnings, ["no gem name and version found, skipped"]);
        let unterminated = catalog("s.name = \"x\ns.version = %q{1\n");
        assert!(unterminated.packages.is_empty());
    }
}
