//! The apk installed database, `/lib/apk/db/installed` (Alpine, Wolfi, Chainguard).
//!
//! Format: the apk-tools "installed database", the same line format as an APKINDEX
//! (<https://wiki.alpinelinux.org/wiki/Apk_spec>). One record per package, records separated by
//! an empty line; each line is a one-letter key, `:`, and the value. We read:
//!
//! | key | meaning        | becomes                                    |
//! |-----|----------------|--------------------------------------------|
//! | `P` | package name   | `name`                                     |
//! | `V` | version        | `version`                                  |
//! | `A` | architecture   | `arch`                                     |
//! | `o` | origin         | `source.name`, with `source.version` = `V` |
//! | `L` | licence        | `licenses`, one SPDX-style expression      |
//!
//! Quirks:
//!
//! - Every other key (`C` checksum, `D` dependencies, `F`/`R`/`Z`/`a`/`M` file lists, …) is
//!   skipped, whatever its letter: apk adds keys over time.
//! - The origin is the APKBUILD the package was built from (`libcrypto3` → `openssl`), which is
//!   what Alpine's secdb is keyed by. abuild always writes it; if it is missing, the package is
//!   its own origin, so `source` is always set, as for dpkg.
//! - The licence is kept as one string (`MPL-2.0 AND MIT`): it is an expression, not a list.
//! - A record without `P` or `V` is skipped with a warning; within a record the first value of
//!   a key wins.
//! - A trailing `\r` is dropped from each line; a missing final newline is fine.

use plimsoll_types::{FileFacts, Package, PackageKind, SourcePackage};

use crate::{Cataloger, Error, Result};

const INSTALLED: &str = "/lib/apk/db/installed";

/// Reads the apk installed database.
pub(crate) struct ApkCataloger;

impl ApkCataloger {
    const NAME: &'static str = "apk";
    /// Output version; bump when the facts change (STYLE rule 8).
    pub(crate) const VERSION: u32 = 1;
}

/// The fields of one record that we keep, borrowed from the input.
#[derive(Default)]
struct Record<'a> {
    line: usize,
    name: Option<&'a str>,
    version: Option<&'a str>,
    arch: Option<&'a str>,
    origin: Option<&'a str>,
    license: Option<&'a str>,
    /// Whether any `K:value` line was seen, so empty records between blank lines are ignored.
    any: bool,
}

impl Cataloger for ApkCataloger {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn version(&self) -> u32 {
        Self::VERSION
    }

    fn wants(&self, path: &str) -> bool {
        path == INSTALLED
    }

    fn catalog(&self, path: &str, contents: &[u8]) -> Result<FileFacts> {
        let text = String::from_utf8_lossy(contents);
        let mut warnings = Vec::new();
        let mut packages = Vec::new();
        let mut named = 0usize;
        let mut record = Record::default();
        for (index, raw) in text.split('\n').chain(std::iter::once("")).enumerate() {
            let number = index + 1;
            let line = raw.strip_suffix('\r').unwrap_or(raw);
            if line.is_empty() {
                let done = std::mem::take(&mut record);
                if done.any {
                    named += usize::from(done.name.is_some());
                    packages.extend(to_package(&done, path, &mut warnings));
                }
                continue;
            }
            let bytes = line.as_bytes();
            if bytes.len() < 2 || bytes[1] != b':' || !bytes[0].is_ascii_alphanumeric() {
                warnings.push(format!("line {number}: expected `K:value`"));
                continue;
            }
            let value = &line[2..];
            if !record.any {
                record.any = true;
                record.line = number;
            }
            let slot = match bytes[0] {
                b'P' => &mut record.name,
                b'V' => &mut record.version,
                b'A' => &mut record.arch,
                b'o' => &mut record.origin,
                b'L' => &mut record.license,
                _ => continue,
            };
            slot.get_or_insert(value);
        }
        if named == 0 && !text.trim().is_empty() {
            return Err(Error::Malformed {
                format: "apk installed database",
                path: path.to_owned(),
                reason: warnings
                    .first()
                    .cloned()
                    .unwrap_or_else(|| "no record has a P: field".to_owned()),
            });
        }
        Ok(FileFacts {
            path: path.to_owned(),
            cataloger: Self::NAME.to_owned(),
            packages,
            os: None,
            warnings,
        })
    }
}

fn to_package(record: &Record<'_>, path: &str, warnings: &mut Vec<String>) -> Option<Package> {
    let at = record.line;
    let Some(name) = record.name.filter(|n| !n.is_empty()) else {
        warnings.push(format!("record at line {at}: no P: field, skipped"));
        return None;
    };
    let Some(version) = record.version.filter(|v| !v.is_empty()) else {
        warnings.push(format!("package {name} (line {at}): no V: field, skipped"));
        return None;
    };
    let mut package = Package::new(PackageKind::Apk, name, version, path);
    package.arch = record.arch.filter(|a| !a.is_empty()).map(str::to_owned);
    package.source = Some(SourcePackage {
        name: record
            .origin
            .filter(|o| !o.is_empty())
            .unwrap_or(name)
            .to_owned(),
        version: version.to_owned(),
    });
    package.licenses = record
        .license
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .into_iter()
        .collect();
    Some(package)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil;

    fn catalog(text: &str) -> FileFacts {
        ApkCataloger.catalog(INSTALLED, text.as_bytes()).unwrap()
    }

    #[test]
    fn wants_only_the_installed_db() {
        assert!(ApkCataloger.wants("/lib/apk/db/installed"));
        for no in [
            "/lib/apk/db/installed.new",
            "/lib/apk/db/scripts.tar",
            "/usr/lib/apk/db/installed",
            "/etc/apk/world",
        ] {
            assert!(!ApkCataloger.wants(no), "{no}");
        }
    }

    #[test]
    fn alpine_3_19() {
        let facts = testutil::catalog_fixture(&ApkCataloger, "apk", "alpine-3.19");
        assert_eq!(facts.len(), 1);
        assert!(facts[0].warnings.is_empty(), "{:?}", facts[0].warnings);
        assert_eq!(
            testutil::summaries(&facts),
            [
                "alpine-baselayout-data 3.4.3-r2 x86_64 src=alpine-baselayout@3.4.3-r2 lic=GPL-2.0-only",
                "musl 1.2.4_git20230717-r4 x86_64 src=musl@1.2.4_git20230717-r4 lic=MIT",
                "busybox 1.36.1-r15 x86_64 src=busybox@1.36.1-r15 lic=GPL-2.0-only",
                "busybox-binsh 1.36.1-r15 x86_64 src=busybox@1.36.1-r15 lic=GPL-2.0-only",
                "alpine-baselayout 3.4.3-r2 x86_64 src=alpine-baselayout@3.4.3-r2 lic=GPL-2.0-only",
                "alpine-keys 2.4-r1 x86_64 src=alpine-keys@2.4-r1 lic=MIT",
                "ca-certificates-bundle 20230506-r0 x86_64 src=ca-certificates@20230506-r0 lic=MPL-2.0 AND MIT",
                "libcrypto3 3.1.4-r5 x86_64 src=openssl@3.1.4-r5 lic=Apache-2.0",
                "libssl3 3.1.4-r5 x86_64 src=openssl@3.1.4-r5 lic=Apache-2.0",
                "ssl_client 1.36.1-r15 x86_64 src=busybox@1.36.1-r15 lic=GPL-2.0-only",
                "zlib 1.3.1-r0 x86_64 src=zlib@1.3.1-r0 lic=Zlib",
                "apk-tools 2.14.0-r5 x86_64 src=apk-tools@2.14.0-r5 lic=GPL-2.0-only",
                "scanelf 1.3.7-r2 x86_64 src=pax-utils@1.3.7-r2 lic=GPL-2.0-only",
                "musl-utils 1.2.4_git20230717-r4 x86_64 src=musl@1.2.4_git20230717-r4 lic=MIT AND BSD-2-Clause AND GPL-2.0-or-later",
                "libc-utils 0.7.2-r5 x86_64 src=libc-dev@0.7.2-r5 lic=BSD-2-Clause AND BSD-3-Clause",
            ]
        );
        assert!(facts[0].packages.iter().all(|p| p.kind == PackageKind::Apk));
    }

    #[test]
    fn missing_origin_is_the_package_itself() {
        let facts = catalog("P:foo\nV:1.0-r0\n");
        assert_eq!(
            testutil::summaries(std::slice::from_ref(&facts)),
            ["foo 1.0-r0 src=foo@1.0-r0"]
        );
    }

    #[test]
    fn crlf_extra_blank_lines_and_no_final_newline() {
        let facts = catalog("\r\n\r\nP:a\r\nV:1-r0\r\nA:aarch64\r\n\r\n\r\n\r\nP:b\r\nV:2-r1");
        assert!(facts.warnings.is_empty(), "{:?}", facts.warnings);
        assert_eq!(
            testutil::summaries(std::slice::from_ref(&facts)),
            ["a 1-r0 aarch64 src=a@1-r0", "b 2-r1 src=b@2-r1"]
        );
    }

    #[test]
    fn incomplete_records_and_bad_lines_are_warnings() {
        let facts = catalog(
            "V:1\nA:x86_64\n\nP:nover\n\nP:ok\nV:1-r0\nP:second-name\nthis line is bad\nV:2\n",
        );
        assert_eq!(
            testutil::summaries(std::slice::from_ref(&facts)),
            ["ok 1-r0 src=ok@1-r0"]
        );
        assert_eq!(
            facts.warnings,
            [
                "record at line 1: no P: field, skipped",
                "package nover (line 4): no V: field, skipped",
                "line 9: expected `K:value`",
            ]
        );
    }

    #[test]
    fn empty_file_is_empty_and_nonsense_is_an_error() {
        assert!(catalog("").packages.is_empty());
        assert!(catalog("\n\n\n").packages.is_empty());
        let err = ApkCataloger
            .catalog(INSTALLED, b"<html>not found</html>\n")
            .unwrap_err();
        assert!(matches!(err, Error::Malformed { .. }), "{err}");
    }

    #[test]
    fn hostile_input_does_not_panic() {
        let sample =
            fs_err::read(testutil::fixture("apk", "alpine-3.19").join("lib/apk/db/installed"))
                .unwrap();
        testutil::assert_no_panic(&ApkCataloger, INSTALLED, &sample);
    }
}
