//! Import sources: where OSV JSON documents come from.

use std::io::{self, BufReader, Read};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::download::Downloaded;
use crate::error::{Error, Result};

/// The largest JSON document read from an archive. OSV records are a few KiB (the largest
/// Ubuntu notices a few MiB); the cap bounds what a hostile or corrupt archive can make the
/// import allocate.
pub(crate) const MAX_DOCUMENT_BYTES: u64 = 64 * 1024 * 1024;

/// Where an import reads OSV records from.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum ImportSource {
    /// A directory searched recursively for `*.json` files. Hidden entries (`.git`) and other
    /// extensions are ignored; symbolic links to files are followed, to directories not (no
    /// cycles).
    Dir(PathBuf),
    /// A zip archive of OSV JSON files, such as OSV's per-ecosystem `all.zip`.
    Zip(PathBuf),
    /// One JSON file holding an OSV record or an array of them.
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

/// One document handed to the parser.
pub(crate) enum Payload<'a> {
    /// The document's bytes.
    Bytes(&'a [u8]),
    /// The document is larger than [`MAX_DOCUMENT_BYTES`] and was not read.
    TooLarge,
}

impl ImportSource {
    /// Picks the kind of a local path: a directory, a zip archive (by its magic bytes, whatever
    /// its name) or a JSON file (by extension or a leading `{`/`[`).
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

    /// Calls `visit(origin, payload)` for every JSON document of the source, in a stable order
    /// (sorted paths, archive order). Returns the number of documents; zero is an error, as it
    /// almost always means a wrong path.
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
    collect_json_files(dir, &mut files)?;
    files.sort();
    for path in &files {
        visit_file(path, visit)?;
    }
    Ok(files.len())
}

fn collect_json_files(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
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
            collect_json_files(&path, out)?;
            continue;
        }
        let is_json = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("json"));
        // A symlink counts when it points at a file; symlinked directories are not walked.
        let is_file = file_type.is_file() || (file_type.is_symlink() && path.is_file());
        if is_json && is_file {
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
