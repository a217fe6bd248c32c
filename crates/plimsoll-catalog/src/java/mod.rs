//! Java archives: `*.jar`, `*.war`, `*.ear`, `*.par` and Jenkins plugins (`*.jpi`, `*.hpi`),
//! read as zip files (<https://docs.oracle.com/en/java/javase/21/docs/specs/jar/jar.html>).
//!
//! Packages are Maven coordinates, named `group:artifact` as OSV's `Maven` ecosystem names them.
//! Evidence, strongest first; an archive's packages come from the first source that has any:
//!
//! 1. [`pom_properties`]: every `META-INF/maven/<group>/<artifact>/pom.properties`, which Maven
//!    writes into every jar it builds. A shaded (uber) jar keeps one per library it absorbed, so
//!    it yields one package each.
//! 2. [`manifest`]: `META-INF/MANIFEST.MF`, `Implementation-Title`/`Implementation-Version` or
//!    the `OSGi` `Bundle-SymbolicName`/`Bundle-Version`, with `Implementation-Vendor-Id` as the group
//!    when present. A title is not always the artifact id, so this is weaker evidence.
//! 3. The file name, `commons-lang3-3.12.0.jar` → `commons-lang3` `3.12.0`, with no group: the
//!    weakest evidence, and one an OSV lookup (always `group:artifact`) will not match.
//!
//! Each package from (2) or (3) adds a warning to the file's facts naming where it came from, so
//! a reader can tell a guess from a record. There is no field for it in [`Package`]: the
//! warning is the record.
//!
//! Archives nest: Spring Boot fat jars keep libraries in `BOOT-INF/lib/`, wars in
//! `WEB-INF/lib/`, ears in `lib/` and at their root, and anything may carry a jar anywhere.
//! Every entry with one of the wanted extensions is opened, [`MAX_DEPTH`] archives deep at most,
//! and `found_in` names the path through them: `/app/app.jar!/BOOT-INF/lib/x.jar`. A hostile
//! archive cannot exhaust memory: every byte decompressed out of a top-level archive (nested
//! archives, metadata files) counts against [`MAX_UNCOMPRESSED`], and reads stop at the limit,
//! whatever sizes the zip headers claim. A limit hit, a corrupt archive or an unreadable entry
//! is a warning in the facts, never an error: the packages read so far are kept.

mod manifest;
mod pom_properties;
#[cfg(test)]
mod tests;

use std::io::{Cursor, Read};

use plimsoll_types::{FileFacts, Package, PackageKind};

use crate::{Cataloger, Result};

/// Extensions of the archives read, lowercase: jar, web app, enterprise app, `JBoss` service
/// archive, Jenkins plugins (new and old).
const EXTENSIONS: [&str; 6] = ["jar", "war", "ear", "par", "jpi", "hpi"];

/// How many archives deep nested archives are opened: the top archive is depth 0, a jar in its
/// `BOOT-INF/lib/` depth 1. Real nesting stops at 2 (a jar in a war in an ear).
pub(crate) const MAX_DEPTH: usize = 3;

/// Bytes that may be decompressed out of one top-level archive, nested archives included.
pub(crate) const MAX_UNCOMPRESSED: u64 = 256 * 1024 * 1024;

/// A metadata file (`pom.properties`, `MANIFEST.MF`) above this is not metadata.
const MAX_METADATA: u64 = 1024 * 1024;

/// Reads Maven coordinates out of Java archives.
pub(crate) struct JavaCataloger;

impl JavaCataloger {
    const NAME: &'static str = "java";
    /// Output version; bump when the facts change (STYLE rule 8).
    pub(crate) const VERSION: u32 = 1;
}

impl Cataloger for JavaCataloger {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn version(&self) -> u32 {
        Self::VERSION
    }

    fn wants(&self, path: &str) -> bool {
        is_archive_name(path)
    }

    /// Fat jars of a few hundred MB exist; the default metadata limit would skip them.
    fn max_file_size(&self) -> u64 {
        MAX_UNCOMPRESSED
    }

    fn catalog(&self, path: &str, contents: &[u8]) -> Result<FileFacts> {
        Ok(catalog_with(path, contents, MAX_DEPTH, MAX_UNCOMPRESSED))
    }
}

/// [`JavaCataloger::catalog`] with explicit limits (the tests lower them).
pub(crate) fn catalog_with(
    path: &str,
    contents: &[u8],
    max_depth: usize,
    budget: u64,
) -> FileFacts {
    let mut walk = Walk {
        facts: FileFacts {
            path: path.to_owned(),
            cataloger: JavaCataloger::NAME.to_owned(),
            ..FileFacts::default()
        },
        max_depth,
        limit: budget,
        budget,
        budget_warned: false,
    };
    walk.archive(path, contents, 0);
    walk.facts
}

/// Whether `name` (a path, or an entry name inside an archive) ends in one of [`EXTENSIONS`],
/// in any case, after a non-empty file name.
fn is_archive_name(name: &str) -> bool {
    let file = name.rsplit('/').next().unwrap_or(name);
    match file.rsplit_once('.') {
        Some((stem, ext)) => {
            !stem.is_empty() && EXTENSIONS.iter().any(|e| ext.eq_ignore_ascii_case(e))
        }
        None => false,
    }
}

/// One top-level archive being read: its facts and what is left of its byte budget.
struct Walk {
    facts: FileFacts,
    max_depth: usize,
    /// The budget the walk started with.
    limit: u64,
    /// Bytes that may still be decompressed.
    budget: u64,
    /// Whether the budget warning was given (once per top archive is enough).
    budget_warned: bool,
}

/// Why an entry was not read in full.
enum ReadFailure {
    /// The entry is bigger than the limit it was read under.
    TooBig,
    /// The budget ran out (the warning is already given).
    Budget,
    /// The zip or its compressed data is broken.
    Broken(String),
}

impl Walk {
    /// Reads the archive `bytes`, shown as `display` (`/app/app.jar`, `/app/app.jar!/lib/x.jar`),
    /// `depth` archives below the top one.
    fn archive(&mut self, display: &str, bytes: &[u8], depth: usize) {
        let mut zip = match zip::ZipArchive::new(Cursor::new(bytes)) {
            Ok(zip) => zip,
            Err(e) => {
                self.warn(format!("{display}: not a readable zip archive: {e}"));
                return;
            }
        };
        let names: Vec<String> = zip
            .file_names_raw()
            .map(|n| String::from_utf8_lossy(n).into_owned())
            .collect();
        let mut packages: Vec<Package> = Vec::new();
        let mut manifest_index = None;
        let mut nested = Vec::new();
        for (index, name) in names.iter().enumerate() {
            if name.ends_with('/') {
                continue;
            }
            if pom_properties::is_pom_properties(name) {
                let Some(text) = self.read_metadata(&mut zip, index, display, name) else {
                    continue;
                };
                match pom_properties::package(name, &text, display) {
                    Ok(p) => {
                        if !packages.iter().any(|q| q.identity() == p.identity()) {
                            packages.push(p);
                        }
                    }
                    Err(reason) => self.warn(format!("{display}!/{name}: {reason}")),
                }
            } else if name.eq_ignore_ascii_case("META-INF/MANIFEST.MF") {
                manifest_index.get_or_insert(index);
            } else if is_archive_name(name) {
                nested.push(index);
            }
        }
        if packages.is_empty() {
            self.fallback(&mut zip, manifest_index, display, &names, &mut packages);
        }
        self.facts.packages.extend(packages);
        for index in nested {
            let inner = format!("{display}!/{}", names[index]);
            if depth + 1 > self.max_depth {
                self.warn(format!(
                    "{inner}: not opened, nested more than {} archives deep",
                    self.max_depth
                ));
                continue;
            }
            match self.read(&mut zip, index, u64::MAX, &inner) {
                Ok(bytes) => self.archive(&inner, &bytes, depth + 1),
                Err(ReadFailure::Broken(e)) => self.warn(format!("{inner}: unreadable entry: {e}")),
                Err(ReadFailure::TooBig | ReadFailure::Budget) => {}
            }
        }
    }

    /// Packages of an archive without `pom.properties`: from its manifest, else its file name.
    fn fallback(
        &mut self,
        zip: &mut zip::ZipArchive<Cursor<&[u8]>>,
        manifest_index: Option<usize>,
        display: &str,
        names: &[String],
        packages: &mut Vec<Package>,
    ) {
        if let Some(index) = manifest_index
            && let Some(text) = self.read_metadata(zip, index, display, &names[index])
            && let Some(found) = manifest::coordinates(&text)
        {
            let package = found.package(display);
            self.warn(format!(
                "{display}: no pom.properties; {} {} read from META-INF/MANIFEST.MF ({}), \
                 weaker evidence",
                package.name, package.version, found.fields
            ));
            packages.push(package);
            return;
        }
        let file = display.rsplit('/').next().unwrap_or(display);
        match file_name_coordinates(file) {
            Some((artifact, version)) => {
                self.warn(format!(
                    "{display}: no pom.properties or manifest coordinates; {artifact} {version} \
                     guessed from the file name, weakest evidence"
                ));
                packages.push(Package::new(PackageKind::Maven, artifact, version, display));
            }
            None => self.warn(format!(
                "{display}: no pom.properties, manifest coordinates or versioned file name: \
                 no package"
            )),
        }
    }

    /// A metadata entry as text, or `None` after a warning.
    fn read_metadata(
        &mut self,
        zip: &mut zip::ZipArchive<Cursor<&[u8]>>,
        index: usize,
        display: &str,
        name: &str,
    ) -> Option<String> {
        match self.read(zip, index, MAX_METADATA, &format!("{display}!/{name}")) {
            Ok(bytes) => Some(String::from_utf8_lossy(&bytes).into_owned()),
            Err(ReadFailure::TooBig) => {
                self.warn(format!(
                    "{display}!/{name}: skipped, larger than {MAX_METADATA} bytes"
                ));
                None
            }
            Err(ReadFailure::Broken(e)) => {
                self.warn(format!("{display}!/{name}: unreadable entry: {e}"));
                None
            }
            Err(ReadFailure::Budget) => None,
        }
    }

    /// Decompresses entry `index`, at most `limit` bytes and at most the remaining budget,
    /// which it is charged to. Sizes in the headers are not trusted: the read itself stops.
    /// `display` names the entry in the budget warning.
    fn read(
        &mut self,
        zip: &mut zip::ZipArchive<Cursor<&[u8]>>,
        index: usize,
        limit: u64,
        display: &str,
    ) -> Result<Vec<u8>, ReadFailure> {
        if self.budget == 0 {
            self.budget_exhausted(display);
            return Err(ReadFailure::Budget);
        }
        let entry = zip
            .by_index(index)
            .map_err(|e| ReadFailure::Broken(e.to_string()))?;
        let cap = limit.min(self.budget);
        let mut bytes = Vec::new();
        let read = entry
            .take(cap.saturating_add(1))
            .read_to_end(&mut bytes)
            .map_err(|e| ReadFailure::Broken(e.to_string()));
        let got = bytes.len() as u64;
        self.budget = self.budget.saturating_sub(got.min(cap));
        read?;
        if got > cap {
            if cap == limit {
                return Err(ReadFailure::TooBig);
            }
            self.budget = 0;
            self.budget_exhausted(display);
            return Err(ReadFailure::Budget);
        }
        Ok(bytes)
    }

    fn budget_exhausted(&mut self, display: &str) {
        if !self.budget_warned {
            self.budget_warned = true;
            self.warn(format!(
                "{display}: stopped: more than {} uncompressed bytes in this archive (a zip bomb?); the \
                 rest is not read",
                self.limit
            ));
        }
    }

    fn warn(&mut self, warning: String) {
        self.facts.warnings.push(warning);
    }
}

/// `commons-lang3-3.12.0.jar` → (`commons-lang3`, `3.12.0`): the version starts at the first
/// `-` followed by a digit, as Maven names its artifacts (`<artifactId>-<version>.jar`).
fn file_name_coordinates(file: &str) -> Option<(&str, &str)> {
    let (stem, _) = file.rsplit_once('.')?;
    let at = stem
        .char_indices()
        .find(|&(i, c)| c == '-' && stem[i + 1..].starts_with(|d: char| d.is_ascii_digit()))
        .map(|(i, _)| i)?;
    let (artifact, version) = (&stem[..at], &stem[at + 1..]);
    (!artifact.is_empty()).then_some((artifact, version))
}
