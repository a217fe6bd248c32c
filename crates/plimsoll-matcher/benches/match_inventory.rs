//! Matching throughput: package look-ups per second of `match_inventory` against the real
//! PyPI corpus (`../shared/advisories/pypi`; the bench says so and stops when it is absent).
//! Each package is a real advisory's package name at a version drawn from its events, so every
//! look-up finds advisories and evaluates ranges — the expensive path.

#![allow(
    clippy::unwrap_used,
    clippy::print_stdout,
    clippy::print_stderr,
    clippy::cast_precision_loss
)] // a benchmark: fail loudly, print figures

use std::path::Path;
use std::time::Instant;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use plimsoll_matcher::{MatchOutcome, Matcher, match_inventory};
use plimsoll_types::{Digest, ImageInventory, ImageSource, Package, PackageKind};
use plimsoll_vulndb::{ImportOptions, ImportSource, VulnDb};

fn bench(c: &mut Criterion) {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/advisories/pypi");
    if !corpus.is_dir() {
        eprintln!("skipping: {} is absent", corpus.display());
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    plimsoll_vulndb::import(
        dir.path(),
        &[ImportSource::from_path(&corpus).unwrap()],
        &ImportOptions::new(),
    )
    .unwrap();
    let db = VulnDb::open(dir.path()).unwrap();
    let mut packages = Vec::new();
    for entry in fs_err::read_dir(&corpus).unwrap() {
        let record: serde_json::Value =
            serde_json::from_str(&fs_err::read_to_string(entry.unwrap().path()).unwrap()).unwrap();
        for affected in record["affected"].as_array().into_iter().flatten() {
            let name = affected["package"]["name"].as_str().unwrap_or_default();
            for range in affected["ranges"].as_array().into_iter().flatten() {
                for event in range["events"].as_array().into_iter().flatten() {
                    if let Some(v) = event
                        .as_object()
                        .unwrap()
                        .values()
                        .find_map(|v| v.as_str())
                        .filter(|v| *v != "0")
                    {
                        packages.push(Package::new(PackageKind::Python, name, v, "/bench"));
                    }
                }
            }
        }
    }
    let image = ImageInventory {
        source: ImageSource::Registry {
            reference: "bench".into(),
        },
        manifest_digest: Digest::sha256_of(b"m"),
        index_digest: None,
        config_digest: Digest::sha256_of(b"c"),
        platform: "linux/amd64".parse().unwrap(),
        created: None,
        os: None,
        layers: vec![],
        packages,
        config: None,
        secrets: vec![],
        warnings: vec![],
    };
    // The common case: the same packages at a version newer than every advisory (a look-up,
    // range evaluation, no finding).
    let mut current = image.clone();
    for p in &mut current.packages {
        p.version = "9999.0".into();
    }
    // A realistic mix: each advised package name once (current version), and as many names
    // no advisory mentions — most packages of a real image have no advisory at all.
    let mut names: Vec<String> = current.packages.iter().map(|p| p.name.clone()).collect();
    names.sort();
    names.dedup();
    let mut mixed = current.clone();
    mixed.packages = names
        .iter()
        .flat_map(|n| {
            [
                Package::new(PackageKind::Python, n.as_str(), "9999.0", "/bench"),
                Package::new(
                    PackageKind::Python,
                    format!("{n}-unadvised"),
                    "1.0",
                    "/bench",
                ),
            ]
        })
        .collect();
    // Warm the lazily loaded index, then one timed pass of each for the headline figures.
    // (The affected pass goes last: freeing its 700k findings slows whatever runs next.)
    match_inventory(&db, &mixed).unwrap();
    timed(
        "match_inventory one-off (prepares every advisory it meets), realistic mix",
        &mixed,
        |i| match_inventory(&db, i).unwrap(),
    );
    let mut matcher = Matcher::new(&db);
    matcher.match_inventory(&mixed).unwrap();
    matcher.match_inventory(&current).unwrap();
    let warm = "Matcher (advisories prepared by an earlier run)";
    timed(
        &format!("{warm}, realistic mix (advised names once + as many unadvised)"),
        &mixed,
        |i| matcher.match_inventory(i).unwrap(),
    );
    timed(
        &format!("{warm}, not affected, weighted by advisory count (version 9999.0)"),
        &current,
        |i| matcher.match_inventory(i).unwrap(),
    );
    let mut group = c.benchmark_group("match_inventory");
    group.throughput(Throughput::Elements(mixed.packages.len() as u64));
    group.sample_size(10);
    group.bench_function("realistic_mix", |b| {
        b.iter(|| matcher.match_inventory(&mixed).unwrap().findings.len());
    });
    group.finish();

    // The all-affected pass last: freeing its ~700k findings slows whatever runs right after.
    timed(
        &format!("{warm}, affected (advisory event versions)"),
        &image,
        |i| matcher.match_inventory(i).unwrap(),
    );
}

/// Runs one pass of `run` over `inventory` and prints its figures.
fn timed(
    label: &str,
    inventory: &ImageInventory,
    mut run: impl FnMut(&ImageInventory) -> MatchOutcome,
) {
    let started = Instant::now();
    let outcome = run(inventory);
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "{label}: {} packages, {} findings in {seconds:.3} s = {:.0} package look-ups/s",
        inventory.packages.len(),
        outcome.findings.len(),
        inventory.packages.len() as f64 / seconds
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
