//! Micro-benchmark of the layer walk on an in-memory gzip layer; the end-to-end comparison with
//! `gzip -dc | tar -t` on a real 200 MB+ layer is `bench/layer-throughput.sh`.

#![allow(clippy::unwrap_used)] // a benchmark: a failure should stop it loudly

use std::io::Write;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use plimsoll_layer::{Entry, EntryVisitor, WalkOptions, walk_layer};

struct Count(u64);
impl EntryVisitor for Count {
    fn visit(&mut self, _entry: &mut Entry<'_>) -> plimsoll_layer::Result<()> {
        self.0 += 1;
        Ok(())
    }
}

fn layer() -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    let mut seed = 0x2545_f491_u32;
    for i in 0..2000 {
        // Mildly compressible pseudo-random text, like source files.
        let body: Vec<u8> = (0..8192)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 17;
                seed ^= seed << 5;
                b"abcdefghij klmnop\n"[(seed % 18) as usize]
            })
            .collect();
        let mut header = tar::Header::new_gnu();
        header.set_size(body.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        builder
            .append_data(&mut header, format!("usr/share/doc/f{i}.txt"), &body[..])
            .unwrap();
    }
    let tar = builder.into_inner().unwrap();
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(&tar).unwrap();
    enc.finish().unwrap()
}

fn bench(c: &mut Criterion) {
    let blob = layer();
    let mut group = c.benchmark_group("walk_layer");
    group.throughput(Throughput::Bytes(blob.len() as u64));
    group.bench_function("gzip_16MiB_tar", |b| {
        b.iter(|| {
            let mut count = Count(0);
            walk_layer(&blob[..], &WalkOptions::default(), &mut count).unwrap();
            count.0
        });
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
