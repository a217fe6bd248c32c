//! One layer's bytes → its [`LayerFacts`]: the layer walk feeding the catalogers.

use std::collections::{BTreeMap, HashMap};
use std::io::Read;

use plimsoll_catalog::{Cataloger, FileCandidate};
use plimsoll_layer::{Entry, EntryKind, EntryVisitor, WalkOptions, walk_layer};
use plimsoll_secrets::SecretScanner;
use plimsoll_types::{AnalyzerVersion, FileFacts, LayerFacts, Secret};

use crate::budget::ReadBudget;

/// Name of the secret scanner in analyzer versions.
const SECRETS: &str = "secrets";

/// The analyzer set, in the form stored with facts and used in cache keys.
pub fn analyzer_versions(catalogers: &[Box<dyn Cataloger>]) -> Vec<AnalyzerVersion> {
    let mut versions: Vec<AnalyzerVersion> = catalogers
        .iter()
        .map(|c| AnalyzerVersion {
            name: c.name().to_owned(),
            version: c.version(),
        })
        .chain(std::iter::once(AnalyzerVersion {
            name: SECRETS.to_owned(),
            version: SecretScanner::VERSION,
        }))
        .collect();
    versions.sort();
    versions
}

/// Walks one layer blob and runs every cataloger and the secret scanner on the files they
/// want. A pure function of the blob bytes and the cataloger set.
pub fn analyse_layer<R: Read + Send>(
    blob: R,
    options: &WalkOptions,
    catalogers: &[Box<dyn Cataloger>],
) -> plimsoll_layer::Result<LayerFacts> {
    analyse_layer_with(blob, options, catalogers, Some(SecretScanner::builtin()))
}

/// [`analyse_layer`] with the secret scanner chosen: `None` skips secrets (benchmarks measure
/// the catalogers' cost against a bare walk this way). Facts made without the scanner must not
/// be cached under the full analyzer key.
pub fn analyse_layer_with<R: Read + Send>(
    blob: R,
    options: &WalkOptions,
    catalogers: &[Box<dyn Cataloger>],
    secrets: Option<&SecretScanner>,
) -> plimsoll_layer::Result<LayerFacts> {
    let mut visitor = CatalogVisitor {
        catalogers,
        secrets,
        found_secrets: Vec::new(),
        files: BTreeMap::new(),
        whiteouts: Vec::new(),
        opaque_dirs: Vec::new(),
        kept: HashMap::new(),
        kept_bytes: 0,
    };
    let summary = walk_layer(blob, options, &mut visitor)?;
    Ok(LayerFacts {
        digest: summary.digest,
        diff_id: summary.diff_id,
        compressed_size: summary.compressed_size,
        uncompressed_size: summary.uncompressed_size,
        entries: summary.entries,
        analyzers: analyzer_versions(catalogers)
            .into_iter()
            .filter(|a| secrets.is_some() || a.name != SECRETS)
            .collect(),
        files: visitor.files.into_values().collect(),
        whiteouts: visitor.whiteouts,
        opaque_dirs: visitor.opaque_dirs,
        secrets: {
            let mut secrets = visitor.found_secrets;
            secrets.sort_by(|a, b| (&a.path, a.line, &a.rule).cmp(&(&b.path, b.line, &b.rule)));
            secrets
        },
    })
}

struct CatalogVisitor<'a> {
    catalogers: &'a [Box<dyn Cataloger>],
    secrets: Option<&'a SecretScanner>,
    found_secrets: Vec<Secret>,
    /// Keyed by path: a later tar entry for the same path replaces an earlier one, as on extraction.
    files: BTreeMap<String, FileFacts>,
    whiteouts: Vec<String>,
    opaque_dirs: Vec<String>,
    /// Bytes of wanted files, in case a later hard link points at them, [`KEEP_BUDGET`] bytes
    /// in all: metadata files are small, but Java archives are wanted too, and a layer holding
    /// a Maven repository has gigabytes of them. Links to files past the budget are not
    /// catalogued (logged).
    kept: HashMap<String, std::sync::Arc<Vec<u8>>>,
    /// Total size of `kept`.
    kept_bytes: usize,
}

/// Bytes of wanted files one layer walk keeps for hard links. Only files a path-based
/// cataloger reads are kept: executables (read by mode) would fill it with no use.
const KEEP_BUDGET: usize = 16 * 1024 * 1024;

impl CatalogVisitor<'_> {
    fn run(&mut self, file: &FileCandidate<'_>, bytes: &[u8]) {
        let path = file.path;
        // Facts of a file replaced within this layer no longer hold, even if the new bytes
        // yield nothing.
        self.files.remove(path);
        for cataloger in self.catalogers.iter().filter(|c| c.wants_file(file)) {
            let facts = match cataloger.catalog(path, bytes) {
                Ok(facts) => facts,
                Err(e) => {
                    tracing::debug!(path, cataloger = cataloger.name(), error = %e, "unreadable metadata file");
                    FileFacts {
                        path: path.to_owned(),
                        cataloger: cataloger.name().to_owned(),
                        warnings: vec![e.to_string()],
                        ..FileFacts::default()
                    }
                }
            };
            let empty =
                facts.packages.is_empty() && facts.os.is_none() && facts.warnings.is_empty();
            if !empty || cataloger.keeps_empty() {
                self.files.insert(path.to_owned(), facts);
            }
        }
    }

    fn scan_secrets(&mut self, path: &str, bytes: &[u8]) {
        self.found_secrets.retain(|s| s.path != path);
        if let Some(scanner) = self.secrets {
            self.found_secrets.extend(scanner.scan(path, bytes));
        }
    }
}

impl EntryVisitor for CatalogVisitor<'_> {
    fn visit(&mut self, entry: &mut Entry<'_>) -> plimsoll_layer::Result<()> {
        match entry.kind().clone() {
            EntryKind::File => {
                let path = entry.path().to_owned();
                let file = FileCandidate {
                    path: &path,
                    size: entry.size(),
                    mode: entry.mode(),
                };
                let cataloger_limit = self
                    .catalogers
                    .iter()
                    .filter(|c| c.wants_file(&file))
                    .map(|c| c.max_file_size())
                    .max();
                // A cataloger that reads files this large as a stream gets the stream, and no
                // one else the file (the secret scanner's limit is far below).
                if let Some(streamer) = self.catalogers.iter().find(|c| {
                    c.wants_file(&file)
                        && entry.size() > c.max_in_memory()
                        && entry.size() <= c.max_file_size()
                }) {
                    self.files.remove(&path);
                    self.found_secrets.retain(|s| s.path != path);
                    if let Some(old) = self.kept.remove(&path) {
                        self.kept_bytes -= old.len();
                    }
                    let size = entry.size();
                    let facts = streamer
                        .catalog_reader(&path, size, entry.reader())
                        .unwrap_or_else(|e| FileFacts {
                            path: path.clone(),
                            cataloger: streamer.name().to_owned(),
                            warnings: vec![e.to_string()],
                            ..FileFacts::default()
                        });
                    let empty = facts.packages.is_empty()
                        && facts.os.is_none()
                        && facts.warnings.is_empty();
                    if !empty || streamer.keeps_empty() {
                        self.files.insert(path, facts);
                    }
                    return Ok(());
                }
                let secrets_wanted = self.secrets.is_some_and(|s| s.wants(&path, entry.size()));
                let Some(limit) = cataloger_limit.or(secrets_wanted.then_some(u64::MAX)) else {
                    // Replaced by a file nobody wants: the earlier facts no longer hold.
                    self.files.remove(&path);
                    self.found_secrets.retain(|s| s.path != path);
                    return Ok(());
                };
                let keep_for_links = self
                    .catalogers
                    .iter()
                    .any(|c| c.keeps_empty() && c.wants_file(&file));
                // Held until the catalogers are done with the bytes (end of this arm).
                let _grant = ReadBudget::global().acquire(entry.size().min(limit));
                if let Some(bytes) = entry.read_limited(limit)? {
                    if cataloger_limit.is_some() {
                        self.run(&file, &bytes);
                    } else {
                        self.files.remove(&path);
                    }
                    if secrets_wanted {
                        self.scan_secrets(&path, &bytes);
                    }
                    if !keep_for_links {
                        // Only the secret scanner or a cataloger of executables read it.
                    } else if self.kept_bytes + bytes.len() <= KEEP_BUDGET {
                        self.kept_bytes += bytes.len();
                        if let Some(old) = self.kept.insert(path, std::sync::Arc::new(bytes)) {
                            self.kept_bytes -= old.len();
                        }
                    } else if let Some(old) = self.kept.remove(&path) {
                        // A replaced file: the link must not see the old bytes.
                        self.kept_bytes -= old.len();
                    }
                } else {
                    let warning = format!(
                        "skipped: {} bytes exceeds the {limit}-byte metadata limit",
                        entry.size()
                    );
                    self.files.insert(
                        path.clone(),
                        FileFacts {
                            path,
                            cataloger: "limits".into(),
                            warnings: vec![warning],
                            ..FileFacts::default()
                        },
                    );
                }
            }
            EntryKind::Hardlink { target } => {
                let path = entry.path().to_owned();
                if let Some(bytes) = self.kept.get(&target).cloned() {
                    let file = FileCandidate {
                        path: &path,
                        size: bytes.len() as u64,
                        mode: entry.mode(),
                    };
                    if self.catalogers.iter().any(|c| c.wants_file(&file)) {
                        self.run(&file, &bytes);
                    }
                } else if self.catalogers.iter().any(|c| c.wants(&path)) {
                    tracing::debug!(%path, %target, "hard link to a file that was not kept; not catalogued");
                }
            }
            EntryKind::Whiteout => self.whiteouts.push(entry.path().to_owned()),
            EntryKind::Opaque => self.opaque_dirs.push(entry.path().to_owned()),
            EntryKind::Directory | EntryKind::Symlink { .. } | EntryKind::Other => {}
        }
        Ok(())
    }
}
