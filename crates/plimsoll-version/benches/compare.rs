//! Cost of the matcher's hot path per scheme: parsing a version, comparing two parsed
//! versions, and one OSV look-up (`introduced: 0`, `fixed`) from strings and from a version
//! parsed once. The inputs are a handful of typical version strings, written inline.

#![allow(clippy::unwrap_used)] // a benchmark: a failure should stop it loudly

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use plimsoll_version::{Event, Range, RangeKind, affected, affected_version, scheme_for};

/// (ecosystem, installed version, fixed version): realistic shapes for each scheme.
const CASES: &[(&str, &str, &str)] = &[
    ("Debian:12", "7.88.1-10+deb12u4", "7.88.1-10+deb12u5"),
    ("Alpine:v3.19", "3.1.4-r5", "3.1.4-r6"),
    ("Red Hat", "1:3.0.7-24.el9", "1:3.0.7-27.el9"),
    ("PyPI", "2.31.0", "2.32.0"),
    ("npm", "4.17.20", "4.17.21"),
    ("Maven", "2.13.4.1", "2.13.4.2"),
    ("RubyGems", "7.0.4.2", "7.0.4.3"),
    ("Packagist", "v5.4.21", "5.4.22"),
];

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("version");
    group.throughput(Throughput::Elements(1));
    for &(ecosystem, installed, fixed) in CASES {
        let scheme = scheme_for(ecosystem).unwrap();
        let name = scheme.name();
        let a = scheme.parse(installed).unwrap();
        let b = scheme.parse(fixed).unwrap();
        let ranges = [Range {
            kind: RangeKind::Ecosystem,
            events: vec![Event::Introduced("0".into()), Event::Fixed(fixed.into())],
        }];

        group.bench_function(format!("parse/{name}"), |bench| {
            bench.iter(|| scheme.parse(black_box(installed)).unwrap());
        });
        group.bench_function(format!("compare_parsed/{name}"), |bench| {
            bench.iter(|| black_box(&a) < black_box(&b));
        });
        group.bench_function(format!("affected/{name}"), |bench| {
            bench.iter(|| affected(scheme, black_box(installed), &ranges, &[]).unwrap());
        });
        group.bench_function(format!("affected_version/{name}"), |bench| {
            bench.iter(|| affected_version(black_box(&a), &ranges, &[]).unwrap());
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
