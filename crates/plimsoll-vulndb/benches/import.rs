//! The vulnerability database's figures from issue 3: import time of the whole advisory corpus
//! (`../shared/advisories`, goal ≤ 10 s) and of its Debian and Alpine native files alone,
//! on-disk size against the JSON size (goal ≤ 0.5×),
//! the cold cost of the first query of an ecosystem, and `advisories_for` look-ups per second
//! (goal ≥ 1,000,000/s).
//!
//! The corpus is read from `$PLIMSOLL_ADVISORIES`, else `../shared/advisories` beside the
//! repository; without it the bench falls back to `testdata/osv` (figures then say little).
//! Run with `cargo bench -p plimsoll-vulndb --bench import`; the size and set-up figures are
//! printed to stderr before criterion's timings.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark: a failure should stop it loudly
#![allow(clippy::print_stderr)] // the size ratio is not a timing: printed for the report
#![allow(clippy::cast_precision_loss)] // byte counts far below 2^52
#![allow(missing_docs)] // criterion_main! generates an undocumented `main`

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use plimsoll_vulndb::{ImportMode, ImportOptions, ImportSource, VulnDb, import};

fn corpus() -> PathBuf {
    if let Some(dir) = std::env::var_os("PLIMSOLL_ADVISORIES") {
        return dir.into();
    }
    let shared = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/advisories"
    ));
    if shared.is_dir() {
        return shared.to_owned();
    }
    eprintln!("corpus not found; benchmarking testdata/osv instead");
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/osv")).to_owned()
}

fn json_bytes(dir: &Path) -> u64 {
    let mut total = 0;
    for entry in fs_err::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        let path = entry.path();
        if entry.file_type().unwrap().is_dir() {
            total += json_bytes(&path);
        } else if path.extension().is_some_and(|e| e == "json") {
            total += entry.metadata().unwrap().len();
        }
    }
    total
}

fn dir_bytes(dir: &Path) -> u64 {
    fs_err::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().metadata().unwrap().len())
        .sum()
}

/// Every (ecosystem, package) the database holds, by reading the corpus again, plus as many
/// names that are not in it: a scan mostly asks about packages without advisories.
fn workload(corpus: &Path) -> Vec<(String, String)> {
    fn walk(dir: &Path, out: &mut Vec<(String, String)>) {
        for entry in fs_err::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
                continue;
            }
            if path.extension().is_none_or(|e| e != "json") {
                continue;
            }
            let Ok(value) =
                serde_json::from_slice::<serde_json::Value>(&fs_err::read(&path).unwrap())
            else {
                continue;
            };
            for affected in value["affected"].as_array().into_iter().flatten() {
                let package = &affected["package"];
                if let (Some(eco), Some(name)) =
                    (package["ecosystem"].as_str(), package["name"].as_str())
                {
                    out.push((eco.to_owned(), name.to_owned()));
                    out.push((eco.to_owned(), format!("{name}-not-vulnerable")));
                }
            }
        }
    }
    let mut out = Vec::new();
    walk(corpus, &mut out);
    out.sort();
    out.dedup();
    out
}

fn bench(c: &mut Criterion) {
    let corpus = corpus();
    let json = json_bytes(&corpus);
    let db_dir = tempfile::tempdir().unwrap();
    let source = [ImportSource::Dir(corpus.clone())];
    let replace = ImportOptions::new().mode(ImportMode::Replace);

    let started = Instant::now();
    let report = import(db_dir.path(), &source, &replace).unwrap();
    let first_import = started.elapsed();
    let db = VulnDb::open(db_dir.path()).unwrap();
    let stored = dir_bytes(db.generation());
    eprintln!(
        "corpus {}: {} JSON bytes; {} advisories imported in {:.2} s (first run); database {} bytes = {:.3}x the JSON",
        corpus.display(),
        json,
        report.meta.records,
        first_import.as_secs_f64(),
        stored,
        stored as f64 / json as f64
    );
    for file in &report.meta.files {
        eprintln!(
            "  {:<40} {:>6} records {:>9} bytes",
            file.file, file.records, file.bytes
        );
    }

    let names = workload(&corpus);
    let started = Instant::now();
    let mut hits = 0;
    for (eco, name) in &names {
        hits += usize::from(!db.advisories_for(eco, name).unwrap().is_empty());
    }
    eprintln!(
        "first pass over {} look-ups ({} hits), including loading every ecosystem file: {:.1} ms",
        names.len(),
        hits,
        started.elapsed().as_secs_f64() * 1e3
    );

    let mut group = c.benchmark_group("import");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(20));
    group.throughput(Throughput::Bytes(json));
    group.bench_function("corpus", |b| {
        b.iter(|| {
            let dir = tempfile::tempdir().unwrap();
            import(dir.path(), &source, &replace).unwrap()
        });
    });
    group.finish();

    // The distributions' native formats alone (Debian tracker lists, Alpine secdb), which the
    // import converts rather than normalises.
    let native: Vec<ImportSource> = ["debian", "alpine"]
        .iter()
        .map(|folder| corpus.join(folder))
        .filter(|dir| dir.is_dir())
        .map(ImportSource::Dir)
        .collect();
    if !native.is_empty() {
        let mut group = c.benchmark_group("import");
        group.sample_size(10);
        group.bench_function("native_debian_alpine", |b| {
            b.iter(|| {
                let dir = tempfile::tempdir().unwrap();
                import(dir.path(), &native, &replace).unwrap()
            });
        });
        group.finish();
    }

    let mut group = c.benchmark_group("open");
    group.bench_function("open_and_first_pypi_query", |b| {
        b.iter(|| {
            let db = VulnDb::open(db_dir.path()).unwrap();
            black_box(db.advisories_for("PyPI", "django").unwrap().len())
        });
    });
    group.finish();

    let mut group = c.benchmark_group("lookup");
    group.throughput(Throughput::Elements(names.len() as u64));
    group.bench_function("advisories_for", |b| {
        b.iter(|| {
            let mut found = 0;
            for (eco, name) in &names {
                found += db.advisories_for(eco, name).unwrap().len();
            }
            black_box(found)
        });
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
