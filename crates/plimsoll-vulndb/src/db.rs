//! Reading a database: [`VulnDb`].

use std::collections::HashMap;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use crate::ecosystem::{base_of, canonical_ecosystem, normalise_package_name};
use crate::error::{Error, Result};
use crate::meta::DbMeta;
use crate::model::Advisory;
use crate::store::{self, EcoIndex, IDS, IdIndex};

/// How often `open` re-reads `CURRENT` when the generation it named vanished in between (an
/// import swapped and cleaned up two generations while this reader was opening).
const OPEN_ATTEMPTS: usize = 5;

/// An open vulnerability database: one immutable generation.
///
/// Opening reads only `meta.json` and opens the data files; each base ecosystem's file is
/// decompressed and indexed the first time one of its ecosystems is queried, and the id index
/// the first time an id is looked up. The open file handles pin the generation: an import that
/// replaces it meanwhile does not disturb this reader (on Unix, removed files stay readable
/// while open). `VulnDb` is `Send + Sync`; lookups take `&self`.
#[derive(Debug)]
pub struct VulnDb {
    dir: PathBuf,
    generation: PathBuf,
    meta: DbMeta,
    files: Vec<Lazy<EcoIndex>>,
    by_base: HashMap<String, usize>,
    ids: Lazy<IdIndex>,
}

/// A file loaded on first use. The handle is held until then so the data comes from the
/// generation that was current at open.
#[derive(Debug)]
struct Lazy<T> {
    path: PathBuf,
    file: Mutex<Option<fs_err::File>>,
    loaded: OnceLock<T>,
}

impl<T> Lazy<T> {
    fn open(path: PathBuf) -> io::Result<Self> {
        let file = fs_err::File::open(&path)?;
        Ok(Self {
            path,
            file: Mutex::new(Some(file)),
            loaded: OnceLock::new(),
        })
    }

    fn get(&self, load: impl FnOnce(&Path, &mut fs_err::File) -> Result<T>) -> Result<&T> {
        if let Some(value) = self.loaded.get() {
            return Ok(value);
        }
        // One loader at a time; the others wait and then find the value.
        let mut guard = self.file.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(value) = self.loaded.get() {
            return Ok(value);
        }
        let Some(file) = guard.as_mut() else {
            return Err(Error::Corrupt {
                path: self.path.clone(),
                reason: "file handle lost after a failed load".to_owned(),
            });
        };
        let value = load(&self.path, file)?;
        *guard = None;
        Ok(self.loaded.get_or_init(|| value))
    }
}

impl VulnDb {
    /// Opens the current generation of the database in `dir`.
    ///
    /// Fails with [`Error::Missing`] when no import has completed there yet and with
    /// [`Error::SchemaMismatch`] when another version of Plimsoll wrote it; both messages tell
    /// the user which command rebuilds it.
    pub fn open(dir: impl AsRef<Path>) -> Result<Self> {
        let dir = dir.as_ref();
        let mut attempt = 0;
        loop {
            attempt += 1;
            match Self::open_once(dir) {
                Err(Error::ReadDb { source, .. })
                    if source.kind() == io::ErrorKind::NotFound && attempt < OPEN_ATTEMPTS => {}
                other => return other,
            }
        }
    }

    fn open_once(dir: &Path) -> Result<Self> {
        let Some(name) = store::read_current(dir)? else {
            return Err(Error::Missing {
                path: dir.to_owned(),
            });
        };
        let generation = dir.join(&name);
        let meta = store::read_meta(dir, &generation)?;
        let mut files = Vec::with_capacity(meta.files.len());
        let mut by_base = HashMap::with_capacity(meta.files.len());
        for (number, data) in meta.files.iter().enumerate() {
            let path = generation.join(&data.file);
            files.push(Lazy::open(path.clone()).map_err(|source| Error::ReadDb { path, source })?);
            by_base.insert(data.ecosystem.clone(), number);
        }
        let ids_path = generation.join(IDS);
        let ids = Lazy::open(ids_path.clone()).map_err(|source| Error::ReadDb {
            path: ids_path,
            source,
        })?;
        Ok(Self {
            dir: dir.to_owned(),
            generation,
            meta,
            files,
            by_base,
            ids,
        })
    }

    /// The database directory this was opened from.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The generation directory being read.
    pub fn generation(&self) -> &Path {
        &self.generation
    }

    /// Schema version, build time, sources with their counts, records per ecosystem: what
    /// `plimsoll db status` prints.
    pub fn status(&self) -> &DbMeta {
        &self.meta
    }

    /// Every ecosystem with data, with its number of advisories, sorted by name.
    pub fn ecosystems(&self) -> Vec<(String, usize)> {
        self.meta
            .ecosystems
            .iter()
            .map(|(name, count)| (name.clone(), *count))
            .collect()
    }

    /// The advisories affecting a package, by full OSV ecosystem (`PyPI`, `Debian:12`) and
    /// package name, normalised with [`normalise_package_name`] on both sides. For distribution
    /// ecosystems, pass the *source* package name. Empty when nothing is known, including for
    /// an ecosystem the database has no data for (see [`VulnDb::ecosystems`]).
    ///
    /// The first query of a base ecosystem loads its file; that is the only I/O and the only
    /// error. Later queries are two hash look-ups.
    pub fn advisories_for(&self, ecosystem: &str, name: &str) -> Result<&[Arc<Advisory>]> {
        // The exact spelling is the common case; canonicalising costs a scan of the list.
        let ecosystem = if self.by_base.contains_key(base_of(ecosystem)) {
            std::borrow::Cow::Borrowed(ecosystem)
        } else {
            match canonical_ecosystem(ecosystem) {
                Some(canonical) => canonical,
                None => return Ok(&[]),
            }
        };
        let Some(&number) = self.by_base.get(base_of(&ecosystem)) else {
            return Ok(&[]);
        };
        let index = self.files[number].get(store::load_eco_file)?;
        let Some(names) = index.by_name.get(ecosystem.as_ref()) else {
            return Ok(&[]);
        };
        let name = normalise_package_name(&ecosystem, name);
        Ok(names.get(name.as_ref()).map_or(&[], Vec::as_slice))
    }

    /// The advisory with this id, or else one whose alias group contains it: `CVE-…` finds the
    /// `GHSA-…`/`PYSEC-…` records that alias it (the smallest id when several do).
    pub fn by_id(&self, id: &str) -> Result<Option<&Arc<Advisory>>> {
        let ids = self.ids.get(store::load_ids_file)?;
        if ids.files_of.contains_key(id) {
            return self.load_record(ids, id);
        }
        let Some(&group) = ids.group_of.get(id) else {
            return Ok(None);
        };
        for member in &ids.groups[group] {
            if ids.files_of.contains_key(member.as_str()) {
                return self.load_record(ids, member);
            }
        }
        Ok(None)
    }

    /// The alias group of an id, sorted: the id itself, its records' aliases and, transitively,
    /// every record and id linked to them. `[id]` for a record without aliases; empty for an id
    /// the database does not know.
    pub fn aliases_of(&self, id: &str) -> Result<Vec<String>> {
        let ids = self.ids.get(store::load_ids_file)?;
        if let Some(&group) = ids.group_of.get(id) {
            return Ok(ids.groups[group].clone());
        }
        if ids.files_of.contains_key(id) {
            return Ok(vec![id.to_owned()]);
        }
        Ok(Vec::new())
    }

    fn load_record(&self, ids: &IdIndex, id: &str) -> Result<Option<&Arc<Advisory>>> {
        for &file in ids.files_of.get(id).into_iter().flatten() {
            let Some(base) = ids.files.get(usize::from(file)) else {
                continue;
            };
            let Some(&number) = self.by_base.get(base) else {
                continue;
            };
            let index = self.files[number].get(store::load_eco_file)?;
            if let Some(advisory) = index.by_id.get(id) {
                return Ok(Some(advisory));
            }
        }
        Ok(None)
    }
}
