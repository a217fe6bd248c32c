//! Test code shared by the cataloger tests: fixture trees walked like a layer, compact package
//! summaries for assertions, and hostile inputs for the no-panic tests.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use plimsoll_types::{FileFacts, Package};

use crate::Cataloger;

/// `crates/plimsoll-catalog/testdata`.
pub(crate) fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata")
}

/// `testdata/<module>/<case>`, the root of one fixture filesystem.
pub(crate) fn fixture(module: &str, case: &str) -> PathBuf {
    testdata().join(module).join(case)
}

/// Every regular file under `root` as `(absolute path inside the tree, real path)`, sorted, the
/// way the layer walk presents entries (symlinks are not regular files and are skipped).
pub(crate) fn image_files(root: &Path) -> Vec<(String, PathBuf)> {
    fn walk(dir: &Path, prefix: &str, out: &mut Vec<(String, PathBuf)>) {
        for entry in fs_err::read_dir(dir).unwrap() {
            let entry = entry.unwrap();
            let name = entry.file_name().into_string().unwrap();
            let image_path = format!("{prefix}/{name}");
            let kind = entry.file_type().unwrap();
            if kind.is_dir() {
                walk(&entry.path(), &image_path, out);
            } else if kind.is_file() {
                out.push((image_path, entry.path()));
            }
        }
    }
    let mut out = Vec::new();
    walk(root, "", &mut out);
    out.sort();
    out
}

/// Runs `cataloger` over one fixture tree: `wants` on every file, `catalog` on the wanted ones.
pub(crate) fn catalog_fixture(
    cataloger: &dyn Cataloger,
    module: &str,
    case: &str,
) -> Vec<FileFacts> {
    let root = fixture(module, case);
    assert!(root.is_dir(), "missing fixture {}", root.display());
    image_files(&root)
        .into_iter()
        .filter(|(path, _)| cataloger.wants(path))
        .map(|(path, real)| {
            let bytes = fs_err::read(&real).unwrap();
            let facts = cataloger
                .catalog(&path, &bytes)
                .unwrap_or_else(|e| panic!("{path}: {e}"));
            assert_eq!(facts.path, path);
            assert_eq!(facts.cataloger, cataloger.name());
            for p in &facts.packages {
                assert_eq!(p.found_in, path, "found_in of {}", p.name);
                assert!(
                    p.purl.is_none() && p.layer.is_none(),
                    "the fold sets purl and layer"
                );
            }
            facts
        })
        .collect()
}

/// One line per package: `name version [arch] [src=name@version] [lic=a|b]`.
pub(crate) fn summary(p: &Package) -> String {
    let mut s = format!("{} {}", p.name, p.version);
    if let Some(arch) = &p.arch {
        write!(s, " {arch}").unwrap();
    }
    if let Some(src) = &p.source {
        write!(s, " src={}@{}", src.name, src.version).unwrap();
    }
    if !p.licenses.is_empty() {
        write!(s, " lic={}", p.licenses.join("|")).unwrap();
    }
    s
}

/// [`summary`] of every package of every file, in order.
pub(crate) fn summaries(facts: &[FileFacts]) -> Vec<String> {
    facts
        .iter()
        .flat_map(|f| f.packages.iter().map(summary))
        .collect()
}

/// Hostile inputs: empty, binary noise, invalid UTF-8, NULs, lone separators, deep nesting, and
/// every truncation of `sample` at a spread of offsets (including inside multi-byte characters).
pub(crate) fn hostile_inputs(sample: &[u8]) -> Vec<Vec<u8>> {
    let mut out: Vec<Vec<u8>> = vec![
        Vec::new(),
        b"\n".to_vec(),
        b"\r\n\r\n".to_vec(),
        b":".to_vec(),
        b"=".to_vec(),
        b" continuation first\n".to_vec(),
        b"\xff\xfe\xfd\n\xc3".to_vec(),
        b"Package:\xff\nVersion: \xc3\x28\n".to_vec(),
        b"\0\0\0\0".to_vec(),
        b"{".to_vec(),
        b"null".to_vec(),
        b"[]".to_vec(),
        b"{\"packages\": [], \"dependencies\": 7}".to_vec(),
        b"\"".to_vec(),
        b"ID=\"unterminated\nX='also".to_vec(),
        b"A\\".to_vec(),
        "[".repeat(100_000).into_bytes(),
        "{\"dependencies\":".repeat(10_000).into_bytes(),
    ];
    // Deterministic noise (xorshift), so a failure reproduces.
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    for len in [1, 7, 64, 1000, 10_000] {
        let mut v = Vec::with_capacity(len);
        for _ in 0..len {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            v.push(x.to_le_bytes()[0]);
        }
        out.push(v);
    }
    let step = (sample.len() / 150).max(1);
    out.extend(
        (0..sample.len())
            .step_by(step)
            .map(|n| sample[..n].to_vec()),
    );
    // The sample with every 50th byte flipped into the non-ASCII range.
    out.push(
        sample
            .iter()
            .enumerate()
            .map(|(i, b)| if i % 50 == 0 { b | 0x80 } else { *b })
            .collect(),
    );
    out
}

/// Feeds every hostile input to `cataloger` at `path`; it may fail but must not panic.
pub(crate) fn assert_no_panic(cataloger: &dyn Cataloger, path: &str, sample: &[u8]) {
    for input in hostile_inputs(sample) {
        if let Ok(facts) = cataloger.catalog(path, &input) {
            assert_eq!(facts.path, path);
        }
    }
}
