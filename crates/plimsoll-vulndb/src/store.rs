//! The on-disk layout and its crash-safe update.
//!
//! ```text
//! <db-dir>/
//!   CURRENT                 name of the live generation + "\n"; replaced by rename
//!   gen-<stamp>-<pid>/      one complete, immutable database
//!     meta.json             DbMeta (schema version first thing checked)
//!     ids.json.zst          id → data files, alias groups
//!     eco-<Base>.jsonl.zst  advisories of one base ecosystem, one JSON object a line
//!   .tmp-<stamp>-<pid>/     a generation being built (removed by the next import if stale)
//!   .lock                   held (flock) by the one running import
//!   downloads/              feeds being downloaded by `update`
//! ```
//!
//! A generation is written in a temporary directory, every file fsynced, the directory renamed
//! to `gen-…` and the database directory fsynced; only then is `CURRENT` replaced, itself by
//! writing `CURRENT.tmp`, fsyncing and renaming over the old one. `rename(2)` replaces a file
//! atomically, whereas no portable call replaces a non-empty directory, hence the pointer file:
//! at every instant `CURRENT` names a complete generation (the old one until the last rename,
//! then the new one), so a crash anywhere leaves a usable database and readers never see a
//! partial one.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::{self, BufRead, BufReader, BufWriter, Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::ecosystem::{base_of, normalise_package_name};
use crate::error::{Error, Result};
use crate::meta::{DataFile, DbMeta, SCHEMA_VERSION};
use crate::model::Advisory;

pub(crate) const CURRENT: &str = "CURRENT";
pub(crate) const META: &str = "meta.json";
pub(crate) const IDS: &str = "ids.json.zst";
pub(crate) const LOCK: &str = ".lock";
pub(crate) const GEN_PREFIX: &str = "gen-";
pub(crate) const TMP_PREFIX: &str = ".tmp-";
pub(crate) const DOWNLOADS: &str = "downloads";

/// zstd level of the data files: zstd's default. On the whole corpus (docs/architecture.md)
/// level 9 is 16 % smaller but makes the import 35 % slower, level 19 25 % smaller and 20×
/// slower; reading is as fast at every level.
const ZSTD_LEVEL: i32 = 3;

fn write_err(path: &Path) -> impl FnOnce(io::Error) -> Error + '_ {
    move |source| Error::WriteDb {
        path: path.to_owned(),
        source,
    }
}

fn read_err(path: &Path) -> impl FnOnce(io::Error) -> Error + '_ {
    move |source| Error::ReadDb {
        path: path.to_owned(),
        source,
    }
}

/// How long a held import lock is retried before the import gives up.
const LOCK_PATIENCE: std::time::Duration = std::time::Duration::from_secs(2);

/// The import lock: one writer at a time per database directory, released when dropped (and by
/// the OS when the process dies, so a crash never leaves it stuck).
pub(crate) struct ImportLock {
    _file: fs_err::File,
}

impl ImportLock {
    pub(crate) fn acquire(db_dir: &Path) -> Result<Self> {
        fs_err::create_dir_all(db_dir).map_err(write_err(db_dir))?;
        let path = db_dir.join(LOCK);
        let file = fs_err::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(write_err(&path))?;
        // A held lock is retried for a moment before giving up: an flock belongs to the open
        // file, and a child process that another thread of this program forks inherits it
        // until its exec closes the descriptor, so a lock just released can look held for a
        // few milliseconds (seen in the test suite, which spawns processes beside imports).
        let deadline = std::time::Instant::now() + LOCK_PATIENCE;
        loop {
            match file.file().try_lock() {
                Ok(()) => return Ok(Self { _file: file }),
                Err(std::fs::TryLockError::WouldBlock) if std::time::Instant::now() < deadline => {
                    std::thread::sleep(std::time::Duration::from_millis(10));
                }
                Err(std::fs::TryLockError::WouldBlock) => {
                    return Err(Error::Locked {
                        path: db_dir.to_owned(),
                    });
                }
                Err(std::fs::TryLockError::Error(e)) => return Err(write_err(&path)(e)),
            }
        }
    }
}

/// Reads `CURRENT`: the name of the live generation, or `None` when there is none yet.
pub(crate) fn read_current(db_dir: &Path) -> Result<Option<String>> {
    let path = db_dir.join(CURRENT);
    let text = match fs_err::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(read_err(&path)(e)),
    };
    let name = text.trim();
    let valid = name.starts_with(GEN_PREFIX)
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !valid {
        return Err(Error::Corrupt {
            path,
            reason: format!("does not name a generation: {name:?}"),
        });
    }
    Ok(Some(name.to_owned()))
}

/// Reads a generation's `meta.json`, checking the schema version before anything else.
pub(crate) fn read_meta(db_dir: &Path, generation: &Path) -> Result<DbMeta> {
    #[derive(Deserialize)]
    struct Probe {
        schema_version: Option<u32>,
    }
    let path = generation.join(META);
    let bytes = fs_err::read(&path).map_err(read_err(&path))?;
    let corrupt = |reason: String| Error::Corrupt {
        path: path.clone(),
        reason,
    };
    let probe: Probe = serde_json::from_slice(&bytes).map_err(|e| corrupt(e.to_string()))?;
    let found = probe
        .schema_version
        .ok_or_else(|| corrupt("no `schema_version`".to_owned()))?;
    if found != SCHEMA_VERSION {
        return Err(Error::SchemaMismatch {
            path: db_dir.to_owned(),
            found,
            expected: SCHEMA_VERSION,
        });
    }
    serde_json::from_slice(&bytes).map_err(|e| corrupt(e.to_string()))
}

/// The id index: which data files hold an id, and the alias groups.
#[derive(Debug, Default, Serialize, Deserialize)]
pub(crate) struct IdIndexFile {
    /// Base ecosystems, in the order of the generation's data files.
    files: Vec<String>,
    /// Record id → indices into `files` (several when a record spans base ecosystems).
    ids: Vec<(String, Vec<u16>)>,
    /// Connected components of the alias graph (records' ids and `aliases`) with at least two
    /// members, each sorted.
    groups: Vec<Vec<String>>,
}

/// The loaded id index.
#[derive(Debug, Default)]
pub(crate) struct IdIndex {
    pub(crate) files: Vec<String>,
    pub(crate) files_of: HashMap<String, Vec<u16>>,
    pub(crate) group_of: HashMap<String, usize>,
    pub(crate) groups: Vec<Vec<String>>,
}

/// The in-memory index of one data file.
#[derive(Debug, Default)]
pub(crate) struct EcoIndex {
    /// Full ecosystem → normalised package name → advisories affecting it.
    pub(crate) by_name: HashMap<String, HashMap<String, Vec<Arc<Advisory>>>>,
    /// Record id → advisory.
    pub(crate) by_id: HashMap<String, Arc<Advisory>>,
}

pub(crate) fn load_eco_file(path: &Path, file: &mut fs_err::File) -> Result<EcoIndex> {
    file.rewind().map_err(read_err(path))?;
    let decoder = zstd::Decoder::new(BufReader::new(file)).map_err(read_err(path))?;
    let mut reader = BufReader::with_capacity(256 * 1024, decoder);
    let mut index = EcoIndex::default();
    let mut line = Vec::new();
    let mut number = 0_usize;
    loop {
        line.clear();
        if reader
            .read_until(b'\n', &mut line)
            .map_err(read_err(path))?
            == 0
        {
            break;
        }
        number += 1;
        let advisory: Advisory = serde_json::from_slice(&line).map_err(|e| Error::Corrupt {
            path: path.to_owned(),
            reason: format!("record {number}: {e}"),
        })?;
        let advisory = Arc::new(advisory);
        for affected in &advisory.affected {
            let names = index.by_name.entry(affected.ecosystem.clone()).or_default();
            let key = normalise_package_name(&affected.ecosystem, &affected.name);
            let list = match names.get_mut(key.as_ref()) {
                Some(list) => list,
                None => names.entry(key.into_owned()).or_default(),
            };
            // One record may list a package several times (one entry per release line).
            if !list.last().is_some_and(|last| Arc::ptr_eq(last, &advisory)) {
                list.push(Arc::clone(&advisory));
            }
        }
        index.by_id.insert(advisory.id.clone(), advisory);
    }
    Ok(index)
}

pub(crate) fn load_ids_file(path: &Path, file: &mut fs_err::File) -> Result<IdIndex> {
    file.rewind().map_err(read_err(path))?;
    let mut bytes = Vec::new();
    zstd::Decoder::new(BufReader::new(file))
        .and_then(|mut d| d.read_to_end(&mut bytes))
        .map_err(read_err(path))?;
    let disk: IdIndexFile = serde_json::from_slice(&bytes).map_err(|e| Error::Corrupt {
        path: path.to_owned(),
        reason: e.to_string(),
    })?;
    let mut index = IdIndex {
        files: disk.files,
        files_of: disk.ids.into_iter().collect(),
        group_of: HashMap::new(),
        groups: disk.groups,
    };
    for (number, group) in index.groups.iter().enumerate() {
        for id in group {
            index.group_of.insert(id.clone(), number);
        }
    }
    Ok(index)
}

/// Reads every advisory of a generation (for a merging import), each once.
pub(crate) fn read_all(generation: &Path, meta: &DbMeta) -> Result<Vec<Advisory>> {
    let mut seen = BTreeSet::new();
    let mut all = Vec::new();
    for data in &meta.files {
        let path = generation.join(&data.file);
        let mut file = fs_err::File::open(&path).map_err(read_err(&path))?;
        let index = load_eco_file(&path, &mut file)?;
        for (id, advisory) in index.by_id {
            if seen.insert(id) {
                all.push(Arc::unwrap_or_clone(advisory));
            }
        }
    }
    Ok(all)
}

/// Progress of writing a generation, reported to the import's observer.
pub(crate) enum WriteStep<'a> {
    File {
        name: &'a str,
        done: usize,
        total: usize,
    },
    Committing,
}

/// Writes a complete generation for `records` (sorted by id, unique) and makes it current.
/// `meta` arrives without `files`/`ecosystems`/`records`, which are filled in here.
pub(crate) fn commit_generation(
    db_dir: &Path,
    name: &str,
    records: &[Advisory],
    mut meta: DbMeta,
    observe: &mut dyn FnMut(WriteStep<'_>),
) -> Result<DbMeta> {
    let tmp = db_dir.join(format!("{TMP_PREFIX}{}", &name[GEN_PREFIX.len()..]));
    fs_err::create_dir_all(&tmp).map_err(write_err(&tmp))?;

    // Group records by base ecosystem; a record spanning two bases is stored in both.
    let mut by_base: BTreeMap<&str, Vec<&Advisory>> = BTreeMap::new();
    let mut ecosystems: BTreeMap<String, usize> = BTreeMap::new();
    for advisory in records {
        let bases: BTreeSet<&str> = advisory
            .affected
            .iter()
            .map(|a| base_of(&a.ecosystem))
            .collect();
        for base in bases {
            by_base.entry(base).or_default().push(advisory);
        }
        let full: BTreeSet<&str> = advisory
            .affected
            .iter()
            .map(|a| a.ecosystem.as_str())
            .collect();
        for ecosystem in full {
            *ecosystems.entry(ecosystem.to_owned()).or_default() += 1;
        }
    }

    let total = by_base.len();
    let mut files = Vec::with_capacity(total);
    let mut ids: BTreeMap<&str, Vec<u16>> = BTreeMap::new();
    for (number, (base, advisories)) in by_base.iter().enumerate() {
        let file_name = format!("eco-{}.jsonl.zst", file_stem(base));
        observe(WriteStep::File {
            name: &file_name,
            done: number,
            total,
        });
        let path = tmp.join(&file_name);
        let bytes = write_zstd(&path, |out| {
            for advisory in advisories {
                serde_json::to_writer(&mut *out, advisory).map_err(io::Error::other)?;
                out.write_all(b"\n")?;
            }
            Ok(())
        })?;
        let file_number = u16::try_from(number).map_err(|_| Error::WriteDb {
            path: path.clone(),
            source: io::Error::other("more than 65535 base ecosystems"),
        })?;
        for advisory in advisories {
            ids.entry(advisory.id.as_str())
                .or_default()
                .push(file_number);
        }
        files.push(DataFile {
            ecosystem: (*base).to_owned(),
            file: file_name,
            records: advisories.len(),
            bytes,
        });
    }

    let index = IdIndexFile {
        files: files.iter().map(|f| f.ecosystem.clone()).collect(),
        ids: ids
            .into_iter()
            .map(|(id, files)| (id.to_owned(), files))
            .collect(),
        groups: alias_groups(records),
    };
    let ids_path = tmp.join(IDS);
    write_zstd(&ids_path, |out| {
        serde_json::to_writer(out, &index).map_err(io::Error::other)
    })?;

    meta.records = records.len();
    meta.ecosystems = ecosystems;
    meta.files = files;
    let meta_path = tmp.join(META);
    let mut text = serde_json::to_vec_pretty(&meta).map_err(|e| Error::WriteDb {
        path: meta_path.clone(),
        source: io::Error::other(e),
    })?;
    text.push(b'\n');
    write_synced(&meta_path, &text)?;
    sync_dir(&tmp)?;

    let generation = db_dir.join(name);
    fs_err::rename(&tmp, &generation).map_err(write_err(&generation))?;
    sync_dir(db_dir)?;

    observe(WriteStep::Committing);
    let current_tmp = db_dir.join(format!("{CURRENT}.tmp"));
    write_synced(&current_tmp, format!("{name}\n").as_bytes())?;
    let current = db_dir.join(CURRENT);
    fs_err::rename(&current_tmp, &current).map_err(write_err(&current))?;
    sync_dir(db_dir)?;
    Ok(meta)
}

/// `Red Hat` → `Red_Hat`: base names are file-name safe except for spaces.
fn file_stem(base: &str) -> String {
    base.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

fn write_zstd(path: &Path, body: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> Result<u64> {
    let result = (|| {
        let file = fs_err::File::create(path)?;
        let mut encoder =
            zstd::Encoder::new(BufWriter::with_capacity(256 * 1024, file), ZSTD_LEVEL)?;
        encoder.include_checksum(true)?;
        body(&mut encoder)?;
        let file = encoder
            .finish()?
            .into_inner()
            .map_err(io::IntoInnerError::into_error)?;
        file.sync_all()?;
        file.metadata().map(|m| m.len())
    })();
    result.map_err(write_err(path))
}

fn write_synced(path: &Path, bytes: &[u8]) -> Result<()> {
    let result = (|| {
        let mut file = fs_err::File::create(path)?;
        file.write_all(bytes)?;
        file.sync_all()
    })();
    result.map_err(write_err(path))
}

/// Makes a rename or a new entry in `dir` durable. Directories can only be fsynced on Unix.
fn sync_dir(dir: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        fs_err::File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(write_err(dir))?;
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// Connected components of the alias graph, by union-find over record ids and their aliases.
fn alias_groups(records: &[Advisory]) -> Vec<Vec<String>> {
    struct Forest<'a> {
        number: HashMap<&'a str, usize>,
        names: Vec<&'a str>,
        parent: Vec<usize>,
    }
    impl<'a> Forest<'a> {
        fn node(&mut self, id: &'a str) -> usize {
            if let Some(&n) = self.number.get(id) {
                return n;
            }
            let n = self.names.len();
            self.number.insert(id, n);
            self.names.push(id);
            self.parent.push(n);
            n
        }
        fn root(&mut self, mut x: usize) -> usize {
            while self.parent[x] != x {
                self.parent[x] = self.parent[self.parent[x]];
                x = self.parent[x];
            }
            x
        }
        fn union(&mut self, a: usize, b: usize) {
            let (ra, rb) = (self.root(a), self.root(b));
            if ra != rb {
                self.parent[ra.max(rb)] = ra.min(rb);
            }
        }
    }
    let mut forest = Forest {
        number: HashMap::new(),
        names: Vec::new(),
        parent: Vec::new(),
    };
    for advisory in records {
        let a = forest.node(&advisory.id);
        // An upstream id is a link, not an identity (see `Advisory::upstream`): a DSA fixing
        // CVE-1 and CVE-2 must not make those one vulnerability.
        for alias in advisory
            .aliases
            .iter()
            .filter(|alias| !advisory.upstream.contains(alias))
        {
            let b = forest.node(alias);
            forest.union(a, b);
        }
    }
    let mut groups: BTreeMap<usize, Vec<String>> = BTreeMap::new();
    for x in 0..forest.names.len() {
        let root = forest.root(x);
        groups
            .entry(root)
            .or_default()
            .push(forest.names[x].to_owned());
    }
    let mut groups: Vec<Vec<String>> = groups
        .into_values()
        .filter(|g| g.len() > 1)
        .map(|mut g| {
            g.sort();
            g
        })
        .collect();
    groups.sort();
    groups
}

/// Removes stale temporary builds (at the start of an import, under the lock).
pub(crate) fn remove_stale_builds(db_dir: &Path) {
    remove_entries(db_dir, |name| name.starts_with(TMP_PREFIX));
}

/// Removes every generation but `keep` (the new one and the one it replaced, which readers
/// that opened it just before the swap may still be loading from).
pub(crate) fn remove_old_generations(db_dir: &Path, keep: &[&str]) {
    remove_entries(db_dir, |name| {
        (name.starts_with(GEN_PREFIX) || name.starts_with(TMP_PREFIX)) && !keep.contains(&name)
    });
}

fn remove_entries(db_dir: &Path, doomed: impl Fn(&str) -> bool) {
    let Ok(entries) = fs_err::read_dir(db_dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if doomed(name) {
            let path: PathBuf = entry.path();
            if let Err(e) = fs_err::remove_dir_all(&path) {
                tracing::warn!(path = %path.display(), error = %e, "could not remove an old vulnerability database generation");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use time::OffsetDateTime;

    use super::*;
    use crate::model::Affected;

    fn advisory(id: &str, aliases: &[&str]) -> Advisory {
        Advisory {
            id: id.to_owned(),
            aliases: aliases.iter().map(|s| (*s).to_owned()).collect(),
            related: vec![],
            upstream: vec![],
            modified: OffsetDateTime::UNIX_EPOCH,
            published: None,
            summary: None,
            severity: vec![],
            database_severity: None,
            references: vec![],
            affected: vec![Affected {
                ecosystem: "npm".into(),
                name: "x".into(),
                purl: None,
                ranges: vec![],
                versions: vec![],
                severity: vec![],
                severity_hint: None,
            }],
        }
    }

    #[test]
    fn alias_groups_are_transitive() {
        let groups = alias_groups(&[
            advisory("PYSEC-1", &["CVE-1", "GHSA-a"]),
            advisory("GHSA-a", &["CVE-1"]),
            advisory("RUSTSEC-1", &["CVE-2"]),
            advisory("RUSTSEC-2", &["CVE-2", "CVE-3"]),
            advisory("GO-1", &[]),
        ]);
        assert_eq!(
            groups,
            [
                vec!["CVE-1", "GHSA-a", "PYSEC-1"],
                vec!["CVE-2", "CVE-3", "RUSTSEC-1", "RUSTSEC-2"],
            ]
        );
    }

    #[test]
    fn upstream_ids_do_not_join_groups() {
        // DSA-1 fixes two CVEs: listed as aliases for findings, but as upstream ids they
        // neither merge CVE-1's and CVE-2's groups nor pull the DSA into them.
        let mut dsa = advisory("DSA-1", &["CVE-1", "CVE-2"]);
        dsa.upstream = vec!["CVE-1".into(), "CVE-2".into()];
        let groups = alias_groups(&[
            dsa,
            advisory("GHSA-a", &["CVE-1"]),
            advisory("GHSA-b", &["CVE-2"]),
        ]);
        assert_eq!(groups, [vec!["CVE-1", "GHSA-a"], vec!["CVE-2", "GHSA-b"]]);
    }

    #[test]
    fn file_stems() {
        assert_eq!(file_stem("Red Hat"), "Red_Hat");
        assert_eq!(file_stem("crates.io"), "crates.io");
    }
}
