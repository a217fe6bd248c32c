//! Throughput of the secret scan on the files of a real Debian root file system that `wants`
//! accepts, against two baselines measured in the same run on the same bytes: a SIMD newline count
//! (`memchr`: about the cheapest pass that touches every byte) and re-reading the files from the page cache.
//!
//! Input: `$PLIMSOLL_TEST_DEBIAN_ROOTFS`, `$PLIMSOLL_TEST_PYTHON_SITE` and
//! `$PLIMSOLL_TEST_NODE_APP` (built by `scripts/test-registry.sh`; one group each), else the
//! planted fixture tree in `testdata/planted`.

#![allow(clippy::unwrap_used)] // a benchmark: a failure should stop it loudly
#![allow(clippy::print_stderr)] // the accepted fraction is part of what the bench reports

use std::hint::black_box;
use std::path::{Path, PathBuf};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use plimsoll_secrets::SecretScanner;

/// (path inside the image, path on disk, size) of every regular file under `root`, which the
/// harness images hold under `mount` (`/usr/local/lib/python3.11/site-packages` for the Python
/// tree, `/app` for the node project): `wants` decides by the path an image gives.
fn walk(root: &Path, mount: &str) -> Vec<(String, PathBuf, u64)> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in fs_err::read_dir(&dir).unwrap() {
            let entry = entry.unwrap();
            let meta = entry.path().symlink_metadata().unwrap();
            if meta.is_dir() {
                stack.push(entry.path());
            } else if meta.is_file() {
                let inner = entry.path().strip_prefix(root).unwrap().to_owned();
                out.push((
                    format!("{mount}/{}", inner.display()),
                    entry.path(),
                    meta.len(),
                ));
            }
        }
    }
    out
}

fn bench(c: &mut Criterion) {
    let trees: Vec<(&str, PathBuf, &str)> = [
        ("debian", "PLIMSOLL_TEST_DEBIAN_ROOTFS", ""),
        (
            "python_site",
            "PLIMSOLL_TEST_PYTHON_SITE",
            "/usr/local/lib/python3.11/site-packages",
        ),
        ("node_app", "PLIMSOLL_TEST_NODE_APP", "/app"),
    ]
    .into_iter()
    .filter_map(|(name, var, mount)| Some((name, PathBuf::from(std::env::var_os(var)?), mount)))
    .collect();
    if trees.is_empty() {
        let planted = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("testdata/planted");
        bench_tree(c, "planted", &planted, "");
    }
    for (name, root, mount) in &trees {
        bench_tree(c, name, root, mount);
    }
}

fn bench_tree(c: &mut Criterion, name: &str, root: &Path, mount: &str) {
    let scanner = SecretScanner::builtin();
    let files = walk(root, mount);
    let total: u64 = files.iter().map(|f| f.2).sum();
    let wanted: Vec<(String, PathBuf, Vec<u8>)> = files
        .into_iter()
        .filter(|(path, _, size)| scanner.wants(path, *size))
        .map(|(path, disk, _)| {
            let bytes = fs_err::read(&disk).unwrap();
            (path, disk, bytes)
        })
        .collect();
    let accepted: u64 = wanted.iter().map(|f| f.2.len() as u64).sum();
    let text: u64 = wanted
        .iter()
        .filter(|f| !f.2[..f.2.len().min(8192)].contains(&0))
        .map(|f| f.2.len() as u64)
        .sum();
    #[allow(clippy::cast_precision_loss)] // a percentage
    let share = |part: u64| 100.0 * part as f64 / total.max(1) as f64;
    eprintln!(
        "{}: {total} bytes in regular files; wants accepts {accepted} ({:.1} %) in {} files, \
         {text} ({:.1} %) of them text",
        root.display(),
        share(accepted),
        wanted.len(),
        share(text),
    );

    let mut group = c.benchmark_group(format!("secrets_{name}"));
    group.throughput(Throughput::Bytes(accepted));
    group.sample_size(20);
    group.bench_function("baseline_memchr_newlines", |b| {
        b.iter(|| {
            wanted
                .iter()
                .map(|f| memchr::memchr_iter(b'\n', &f.2).count())
                .sum::<usize>()
        });
    });
    group.bench_function("baseline_read_files", |b| {
        b.iter(|| {
            wanted
                .iter()
                .map(|f| fs_err::read(&f.1).unwrap().len())
                .sum::<usize>()
        });
    });
    group.bench_function("scan", |b| {
        b.iter(|| {
            wanted
                .iter()
                .map(|f| black_box(scanner.scan(&f.0, &f.2)).len())
                .sum::<usize>()
        });
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
