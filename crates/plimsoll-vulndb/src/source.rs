//! Import sources: where advisory documents come from (OSV JSON, and the distributions' native
//! formats that [`import`](crate::import()) converts: Debian security-tracker lists, Alpine secdb).

use std::io::{self, BufReader, Read};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::download::Downloaded;
use crate::error::{Error, Result};

/// The largest JSON document read from an archive. OSV records are a few KiB (the largest
/// Ubuntu notices a few MiB); the cap bounds what a hostile or corrupt archive can make the
/// import allocate.
pub(crate) const MAX_DOCUMENT_BYTES: u64 = 64 * 1024 * 1024;

/// Where an import reads advisories from. What a document holds is decided by its content
/// ([`SourceFormat`]), so any source may mix OSV records and the native distribution formats.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum ImportSource {
    /// A directory searched recursively for `*.json` files and for Debian security-tracker
    /// lists (`DSA/list`, `DLA/list`, `DTSA/list`, as in the tracker's `data/` directory).
    /// Hidden entries (`.git`) and other files are ignored; symbolic links to files are
    /// followed, to directories not (no cycles).
    Dir(PathBuf),
    /// A zip archive of OSV JSON files, such as OSV's per-ecosystem `all.zip`.
    Zip(PathBuf),
    /// One file: an OSV record or an array of them, an Alpine secdb file, or a Debian
    /// security-tracker list.
    File(PathBuf),
    /// A completed download (see [`download`](crate::download)); recorded in the database's
    /// sources with its URL and HTTP validators.
    Download(Downloaded),
}

/// The kind of a source, as recorded in the database metadata.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum SourceKind {
    /// A directory of JSON files.
    Dir,
    /// A zip archive.
    Zip,
    /// One JSON file.
    File,
    /// A URL downloaded over HTTP(S).
    Url,
}

/// The format of a document, as recorded per source in the database metadata
/// ([`SourceMeta::formats`](crate::SourceMeta::formats)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum SourceFormat {
    /// OSV JSON records (<https://ossf.github.io/osv-schema/>).
    Osv,
    /// Debian security-tracker text (`data/DSA/list`, `DLA/list`, `DTSA/list`) and its
    /// `data/config.json`, converted to `DSA-…`/`DLA-…`/`DTSA-…` records.
    DebianTracker,
    /// Alpine secdb JSON (`v3.11/main.json`), converted to `ALPINE-CVE-…` records.
    AlpineSecdb,
}

/// One document handed to the parser.
#[derive(Clone, Copy)]
pub(crate) enum Payload<'a> {
    /// The document's bytes.
    Bytes(&'a [u8]),
    /// The document is larger than [`MAX_DOCUMENT_BYTES`] and was not read.
    TooLarge,
}

impl ImportSource {
    /// Picks the kind of a local path: a directory, a zip archive (by its magic bytes, whatever
    /// its name) or a single file: JSON (by extension or a leading `{`/`[`), which includes a
    /// Debian security-tracker list (its entries start with `[date]`).
    pub fn from_path(path: impl Into<PathBuf>) -> Result<Self> {
        let path = path.into();
        let metadata = fs_err::metadata(&path).map_err(|source| Error::ReadSource {
            location: path.display().to_string(),
            source,
        })?;
        if metadata.is_dir() {
            return Ok(Self::Dir(path));
        }
        match sniff(&path)? {
            Sniffed::Zip => Ok(Self::Zip(path)),
            Sniffed::Json => Ok(Self::File(path)),
            Sniffed::Other => Err(Error::UnknownSource { path }),
        }
    }

    /// The path or URL, as shown in reports and stored in the metadata.
    pub fn location(&self) -> String {
        match self {
            Self::Dir(p) | Self::Zip(p) | Self::File(p) => p.display().to_string(),
            Self::Download(d) => d.url.clone(),
        }
    }

    pub(crate) fn kind(&self) -> SourceKind {
        match self {
            Self::Dir(_) => SourceKind::Dir,
            Self::Zip(_) => SourceKind::Zip,
            Self::File(_) => SourceKind::File,
            Self::Download(_) => SourceKind::Url,
        }
    }

    /// Calls `visit(origin, payload)` for every document of the source, in a stable order
    /// (sorted paths, archive order). Returns the number of documents; zero is an error, as it
    /// almost always means a wrong path. Directories yield `*.json` files and tracker lists;
    /// archives yield `*.json` entries.
    pub(crate) fn for_each_document(
        &self,
        visit: &mut dyn FnMut(&str, Payload<'_>),
    ) -> Result<usize> {
        let count = match self {
            Self::Dir(dir) => visit_dir(dir, visit)?,
            Self::Zip(path) => visit_zip(path, &path.display().to_string(), visit)?,
            Self::File(path) => visit_file(path, visit)?,
            Self::Download(d) => match sniff(&d.path)? {
                Sniffed::Zip => visit_zip(&d.path, &d.url, visit)?,
                Sniffed::Json | Sniffed::Other => visit_file(&d.path, visit)?,
            },
        };
        if count == 0 {
            return Err(Error::EmptySource {
                location: self.location(),
            });
        }
        Ok(count)
    }
}

enum Sniffed {
    Zip,
    Json,
    Other,
}

fn sniff(path: &Path) -> Result<Sniffed> {
    let read_err = |source| Error::ReadSource {
        location: path.display().to_string(),
        source,
    };
    let mut head = [0_u8; 64];
    let mut file = fs_err::File::open(path).map_err(read_err)?;
    let mut len = 0;
    while len < head.len() {
        match file.read(&mut head[len..]) {
            Ok(0) => break,
            Ok(n) => len += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(read_err(e)),
        }
    }
    let head = &head[..len];
    if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
        return Ok(Sniffed::Zip);
    }
    let is_json_name = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"));
    let first = head.iter().find(|b| !b.is_ascii_whitespace());
    if is_json_name || matches!(first, Some(b'{' | b'[')) {
        Ok(Sniffed::Json)
    } else {
        Ok(Sniffed::Other)
    }
}

fn visit_file(path: &Path, visit: &mut dyn FnMut(&str, Payload<'_>)) -> Result<usize> {
    let bytes = fs_err::read(path).map_err(|source| Error::ReadSource {
        location: path.display().to_string(),
        source,
    })?;
    visit(&path.display().to_string(), Payload::Bytes(&bytes));
    Ok(1)
}

fn visit_dir(dir: &Path, visit: &mut dyn FnMut(&str, Payload<'_>)) -> Result<usize> {
    let mut files = Vec::new();
    collect_files(dir, &mut files)?;
    files.sort();
    for path in &files {
        visit_file(path, visit)?;
    }
    Ok(files.len())
}

/// The Debian security tracker keeps each advisory list in `data/<kind>/list`.
const TRACKER_LISTS: &[&str] = &["DSA", "DLA", "DTSA"];

/// Whether a directory walk reads `path`: a `*.json` file, or a tracker list (`DSA/list`…;
/// `data/CVE/list`, the per-CVE tracker, is a different format and not read).
fn wanted(path: &Path) -> bool {
    if path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"))
    {
        return true;
    }
    path.file_name().is_some_and(|name| name == "list")
        && path
            .parent()
            .and_then(Path::file_name)
            .and_then(|dir| dir.to_str())
            .is_some_and(|dir| TRACKER_LISTS.contains(&dir))
}

fn collect_files(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    let read_err = |source| Error::ReadSource {
        location: dir.display().to_string(),
        source,
    };
    for entry in fs_err::read_dir(dir).map_err(read_err)? {
        let entry = entry.map_err(read_err)?;
        if entry.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        let path = entry.path();
        let file_type = entry.file_type().map_err(read_err)?;
        if file_type.is_dir() {
            collect_files(&path, out)?;
            continue;
        }
        // A symlink counts when it points at a file; symlinked directories are not walked.
        let is_file = file_type.is_file() || (file_type.is_symlink() && path.is_file());
        if is_file && wanted(&path) {
            out.push(path);
        }
    }
    Ok(())
}

fn visit_zip(path: &Path, label: &str, visit: &mut dyn FnMut(&str, Payload<'_>)) -> Result<usize> {
    let file = fs_err::File::open(path).map_err(|source| Error::ReadSource {
        location: path.display().to_string(),
        source,
    })?;
    let mut archive = zip::ZipArchive::new(BufReader::new(file)).map_err(|source| Error::Zip {
        path: path.to_owned(),
        source,
    })?;
    let mut count = 0;
    let mut buffer = Vec::new();
    for index in 0..archive.len() {
        let mut entry = archive.by_index(index).map_err(|source| Error::Zip {
            path: path.to_owned(),
            source,
        })?;
        let name = String::from_utf8_lossy(entry.name_raw()).into_owned();
        let is_json = Path::new(&name)
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("json"));
        if !entry.is_file() || !is_json {
            continue;
        }
        count += 1;
        let origin = format!("{label}!{name}");
        if entry.size() > MAX_DOCUMENT_BYTES {
            visit(&origin, Payload::TooLarge);
            continue;
        }
        buffer.clear();
        // The declared size is only a hint: the cap is enforced on the bytes inflated.
        (&mut entry)
            .take(MAX_DOCUMENT_BYTES + 1)
            .read_to_end(&mut buffer)
            .map_err(|source| Error::ReadSource {
                location: origin.clone(),
                source,
            })?;
        if buffer.len() as u64 > MAX_DOCUMENT_BYTES {
            visit(&origin, Payload::TooLarge);
            continue;
        }
        visit(&origin, Payload::Bytes(&buffer));
    }
    Ok(count)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_directory_walk_reads_json_and_tracker_lists() {
        for (path, read) in [
            ("pypi/PYSEC-1.json", true),
            ("alpine/v3.11/main.JSON", true),
            ("security-tracker/data/DSA/list", true),
            ("debian/DLA/list", true),
            ("DTSA/list", true),
            ("security-tracker/data/CVE/list", false),
            ("data/dsa/list", false),
            ("DSA/list.txt", false),
            ("INDEX.tsv", false),
        ] {
            assert_eq!(wanted(Path::new(path)), read, "{path}");
        }
    }
}
