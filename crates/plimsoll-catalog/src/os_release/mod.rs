//! The distribution, from `/etc/os-release` or `/usr/lib/os-release` (os-release(5)).
//!
//! Both paths are read: Debian and others ship `/etc/os-release` as a symlink to
//! `../usr/lib/os-release`, and the layer walk passes regular files only, so the file is seen
//! under the second path; images that copy the file (distroless, scratch-based) have it under
//! the first. The inventory picks between them (os-release(5) gives `/etc` precedence).
//!
//! The format is newline-separated shell-style `KEY=value` assignments, with `#` comment lines
//! and blank lines. Values follow shell quoting, as os-release(5) requires:
//!
//! - `'…'` is literal; `"…"` is literal except that `\` escapes `$`, `"`, `\`, `` ` `` and a
//!   newline (before other characters the backslash is kept); outside quotes `\` escapes any
//!   character. Quoted and unquoted parts concatenate (`a"b"'c'` is `abc`).
//! - Unquoted trailing whitespace is dropped; other whitespace is kept, as systemd's parser
//!   does, although the spec asks for quotes around values with spaces.
//! - A later assignment of the same key wins, as in a shell.
//! - An unterminated quote keeps what was read, with a warning; lines that are not
//!   assignments are skipped with a warning.
//!
//! We fill [`OsRelease`]: `ID` (default `linux`, as the spec says), `VERSION_ID`,
//! `VERSION_CODENAME` (or `UBUNTU_CODENAME`, which older Ubuntu releases set alone),
//! `PRETTY_NAME` and `ID_LIKE` (split on whitespace). Empty values count as absent.

use plimsoll_types::{FileFacts, OsRelease};

use crate::{Cataloger, Error, Result};

const ETC: &str = "/etc/os-release";
const USR_LIB: &str = "/usr/lib/os-release";

/// Reads `os-release` files.
pub(crate) struct OsReleaseCataloger;

impl OsReleaseCataloger {
    const NAME: &'static str = "os-release";
    /// Output version; bump when the facts change (STYLE rule 8).
    pub(crate) const VERSION: u32 = 1;
}

impl Cataloger for OsReleaseCataloger {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn version(&self) -> u32 {
        Self::VERSION
    }

    fn wants(&self, path: &str) -> bool {
        path == ETC || path == USR_LIB
    }

    fn catalog(&self, path: &str, contents: &[u8]) -> Result<FileFacts> {
        let text = String::from_utf8_lossy(contents);
        let mut warnings = Vec::new();
        let mut fields = Fields::default();
        let mut assignments = 0usize;
        for (index, raw) in text.split('\n').enumerate() {
            let number = index + 1;
            let line = raw
                .strip_suffix('\r')
                .unwrap_or(raw)
                .trim_start_matches([' ', '\t']);
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let Some((key, raw_value)) = line.split_once('=').filter(|(key, _)| is_key(key)) else {
                warnings.push(format!("line {number}: expected `KEY=value`"));
                continue;
            };
            let (value, terminated) = unquote(raw_value);
            if !terminated {
                warnings.push(format!("line {number}: unterminated quote in {key}"));
            }
            assignments += 1;
            fields.set(key, value);
        }
        if assignments == 0 {
            return Err(Error::Malformed {
                format: "os-release",
                path: path.to_owned(),
                reason: "no KEY=value assignment".to_owned(),
            });
        }
        Ok(FileFacts {
            path: path.to_owned(),
            cataloger: Self::NAME.to_owned(),
            packages: Vec::new(),
            os: Some(fields.into_os_release()),
            warnings,
        })
    }
}

/// The keys we keep, last assignment winning.
#[derive(Default)]
struct Fields {
    id: Option<String>,
    version_id: Option<String>,
    version_codename: Option<String>,
    ubuntu_codename: Option<String>,
    pretty_name: Option<String>,
    id_like: Option<String>,
}

impl Fields {
    fn set(&mut self, key: &str, value: String) {
        let slot = match key {
            "ID" => &mut self.id,
            "VERSION_ID" => &mut self.version_id,
            "VERSION_CODENAME" => &mut self.version_codename,
            "UBUNTU_CODENAME" => &mut self.ubuntu_codename,
            "PRETTY_NAME" => &mut self.pretty_name,
            "ID_LIKE" => &mut self.id_like,
            _ => return,
        };
        *slot = Some(value).filter(|v| !v.is_empty());
    }

    fn into_os_release(self) -> OsRelease {
        OsRelease {
            id: self.id.unwrap_or_else(|| "linux".to_owned()),
            version_id: self.version_id,
            version_codename: self.version_codename.or(self.ubuntu_codename),
            pretty_name: self.pretty_name,
            id_like: self
                .id_like
                .map(|s| s.split_whitespace().map(str::to_owned).collect())
                .unwrap_or_default(),
        }
    }
}

/// A shell variable name: `[A-Za-z_][A-Za-z0-9_]*`.
fn is_key(key: &str) -> bool {
    let mut bytes = key.bytes();
    bytes
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// Shell-unquotes one value (see the module doc); `false` if a quote is left open.
fn unquote(raw: &str) -> (String, bool) {
    #[derive(PartialEq)]
    enum State {
        Bare,
        Single,
        Double,
    }
    let mut out = String::with_capacity(raw.len());
    let mut state = State::Bare;
    // Length of `out` that trailing-whitespace trimming must not cut into (quoted or escaped).
    let mut protected = 0;
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        match (&state, c) {
            (State::Bare, '\'') => state = State::Single,
            (State::Bare, '"') => state = State::Double,
            (State::Bare, '\\') => {
                if let Some(next) = chars.next() {
                    out.push(next);
                    protected = out.len();
                }
            }
            (State::Single, '\'') | (State::Double, '"') => {
                state = State::Bare;
                protected = out.len();
            }
            (State::Double, '\\') => match chars.next() {
                Some(next @ ('$' | '"' | '\\' | '`' | '\n')) => out.push(next),
                Some(next) => {
                    out.push('\\');
                    out.push(next);
                }
                None => out.push('\\'),
            },
            (_, c) => out.push(c),
        }
    }
    if state == State::Bare {
        let keep = protected.max(out.trim_end_matches([' ', '\t']).len());
        out.truncate(keep);
    }
    (out, state == State::Bare)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil;

    fn os_of(module_case: &str) -> (OsRelease, Vec<String>) {
        let facts = testutil::catalog_fixture(&OsReleaseCataloger, "os_release", module_case);
        assert_eq!(facts.len(), 1);
        assert!(facts[0].packages.is_empty());
        (facts[0].os.clone().unwrap(), facts[0].warnings.clone())
    }

    fn os(
        id: &str,
        version_id: Option<&str>,
        codename: Option<&str>,
        pretty: Option<&str>,
        like: &[&str],
    ) -> OsRelease {
        OsRelease {
            id: id.to_owned(),
            version_id: version_id.map(str::to_owned),
            version_codename: codename.map(str::to_owned),
            pretty_name: pretty.map(str::to_owned),
            id_like: like.iter().map(|s| (*s).to_owned()).collect(),
        }
    }

    #[test]
    fn wants_both_paths() {
        let c = OsReleaseCataloger;
        assert!(c.wants("/etc/os-release"));
        assert!(c.wants("/usr/lib/os-release"));
        for no in [
            "/etc/lsb-release",
            "/usr/lib/os-release.d/x",
            "/etc/os-release.bak",
            "/x/etc/os-release",
        ] {
            assert!(!c.wants(no), "{no}");
        }
    }

    #[test]
    fn debian_bookworm() {
        let (got, warnings) = os_of("debian-bookworm");
        assert_eq!(
            got,
            os(
                "debian",
                Some("12"),
                Some("bookworm"),
                Some("Debian GNU/Linux 12 (bookworm)"),
                &[]
            )
        );
        assert!(warnings.is_empty());
    }

    #[test]
    fn alpine_ubuntu_distroless() {
        assert_eq!(
            os_of("alpine-3.19").0,
            os(
                "alpine",
                Some("3.19.1"),
                None,
                Some("Alpine Linux v3.19"),
                &[]
            )
        );
        assert_eq!(
            os_of("ubuntu-jammy").0,
            os(
                "ubuntu",
                Some("22.04"),
                Some("jammy"),
                Some("Ubuntu 22.04.4 LTS"),
                &["debian"]
            )
        );
        assert_eq!(
            os_of("distroless-debian12").0,
            os("debian", Some("12"), None, Some("Distroless"), &[])
        );
    }

    #[test]
    fn quoting_comments_crlf_and_bad_lines() {
        let (got, warnings) = os_of("quoting");
        assert_eq!(
            got,
            os(
                "rocky",
                Some("9.3"),
                None,
                Some("Rocky \"Blue Onyx\" $9 \\ `x`"),
                &["rhel", "centos", "fedora"]
            )
        );
        assert_eq!(
            warnings,
            [
                "line 8: expected `KEY=value`",
                "line 9: expected `KEY=value`"
            ]
        );
    }

    #[test]
    fn unquoting() {
        let u = |s: &str| unquote(s);
        assert_eq!(u("plain"), ("plain".to_owned(), true));
        assert_eq!(u("a\"b\"'c'"), ("abc".to_owned(), true));
        assert_eq!(u("'a \\ \"b\"'"), ("a \\ \"b\"".to_owned(), true));
        assert_eq!(u("\"\\q\\$\""), ("\\q$".to_owned(), true));
        assert_eq!(u("two words  \t"), ("two words".to_owned(), true));
        assert_eq!(u("\"kept \"  "), ("kept ".to_owned(), true));
        assert_eq!(u("a\\ "), ("a ".to_owned(), true));
        assert_eq!(u("\"open"), ("open".to_owned(), false));
        assert_eq!(u("'open"), ("open".to_owned(), false));
        assert_eq!(u("trailing\\"), ("trailing".to_owned(), true));
        assert_eq!(u("\"trailing\\"), ("trailing\\".to_owned(), false));
        assert_eq!(u(""), (String::new(), true));
    }

    #[test]
    fn defaults_and_last_assignment_wins() {
        let facts = OsReleaseCataloger
            .catalog(
                ETC,
                b"NAME=x\nVERSION_ID=1\nVERSION_ID=2\nUBUNTU_CODENAME=focal\nPRETTY_NAME=\n",
            )
            .unwrap();
        assert_eq!(
            facts.os.unwrap(),
            os("linux", Some("2"), Some("focal"), None, &[])
        );
        let facts = OsReleaseCataloger
            .catalog(
                ETC,
                b"ID=ubuntu\nVERSION_CODENAME=noble\nUBUNTU_CODENAME=other\n",
            )
            .unwrap();
        assert_eq!(facts.os.unwrap().version_codename.as_deref(), Some("noble"));
    }

    #[test]
    fn unterminated_quote_is_a_warning() {
        let facts = OsReleaseCataloger
            .catalog(ETC, b"ID=\"debian\nVERSION_ID=12\n")
            .unwrap();
        assert_eq!(facts.os.unwrap().id, "debian");
        assert_eq!(facts.warnings, ["line 1: unterminated quote in ID"]);
    }

    #[test]
    fn nothing_assigned_is_an_error() {
        for text in [&b""[..], b"# only a comment\n", b"garbage\n\xff\xfe"] {
            let err = OsReleaseCataloger.catalog(USR_LIB, text).unwrap_err();
            assert_eq!(
                err.to_string(),
                "malformed os-release file /usr/lib/os-release: no KEY=value assignment"
            );
        }
    }

    #[test]
    fn hostile_input_does_not_panic() {
        let sample =
            fs_err::read(testutil::fixture("os_release", "quoting").join("etc/os-release"))
                .unwrap();
        testutil::assert_no_panic(&OsReleaseCataloger, ETC, &sample);
    }
}
