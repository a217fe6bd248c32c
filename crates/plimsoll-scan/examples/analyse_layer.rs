//! Times the analysis of one layer blob, or a bare gunzip of it, and prints one line of figures.
//!
//! ```text
//! cargo run --release -p plimsoll-scan --example analyse_layer -- LAYER_FILE [--gunzip-only | --walk-only]
//! ```
//!
//! `--walk-only` runs the same pass with no cataloger and no secret scanner: digests,
//! decompression and the tar walk alone, the baseline the catalogers' cost is measured against
//! (`bench/cataloger-overhead.sh`).
//!
//! Without a flag, the file goes through [`plimsoll_scan::analyse_layer`] with every built-in
//! cataloger: the same single pass a scan runs (blob sha256, decompression, diff-id sha256, tar
//! walk, catalogers). With `--gunzip-only` it is instead decompressed by flate2's
//! `MultiGzDecoder` (the same zlib-rs backend the layer crate uses) into `io::sink()` with
//! nothing else done: the one-core limit the analysis is measured against.
//!
//! The output is one line of `key=value` figures for `bench/layer-throughput.sh` to parse. MB
//! are decimal (10^6 bytes); MB/s are given both per compressed input byte and per uncompressed
//! output byte. `seconds` covers the work only, from opening the file to the last byte, not
//! process start-up.

// A measuring tool, not library code: a failure should stop it loudly, and its output is the
// figures line on stdout.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::io::{self, BufReader, Read, Write};
use std::path::PathBuf;
use std::time::Instant;

use flate2::bufread::MultiGzDecoder;

use plimsoll_layer::WalkOptions;

/// Read buffer over the file, and output buffer of the baseline decoder: the sizes the layer
/// crate's decode thread uses (`SOURCE_BUFFER` and `CHUNK` in `plimsoll-layer`), so the
/// baseline differs from the analysis only in the work done, not in call granularity.
const BUFFER: usize = 256 * 1024;

struct Figures {
    mode: &'static str,
    compressed: u64,
    uncompressed: u64,
    /// `None` for the gunzip baseline, which does not parse tar.
    entries: Option<u64>,
    packages: Option<usize>,
    secrets: Option<usize>,
    seconds: f64,
}

fn main() {
    let mut path = None;
    let mut gunzip_only = false;
    let mut walk_only = false;
    let usage = "usage: analyse_layer LAYER_FILE [--gunzip-only | --walk-only]";
    for arg in std::env::args_os().skip(1) {
        if arg == "--gunzip-only" {
            gunzip_only = true;
        } else if arg == "--walk-only" {
            walk_only = true;
        } else if path.is_none() {
            path = Some(PathBuf::from(arg));
        } else {
            panic!("{usage}");
        }
    }
    let path = path.expect(usage);

    let figures = if gunzip_only {
        gunzip(&path)
    } else {
        analyse(&path, walk_only)
    };
    print(&figures);
}

fn analyse(path: &PathBuf, walk_only: bool) -> Figures {
    let catalogers = if walk_only {
        Vec::new()
    } else {
        plimsoll_catalog::all()
    };
    let secrets = (!walk_only).then(plimsoll_secrets::SecretScanner::builtin);
    let start = Instant::now();
    // No BufReader here: the decode thread wraps the blob in its own 256 KiB buffer.
    let file = fs_err::File::open(path).expect("open layer file");
    let facts =
        plimsoll_scan::analyse_layer_with(file, &WalkOptions::default(), &catalogers, secrets)
            .expect("analyse layer");
    let seconds = start.elapsed().as_secs_f64();
    Figures {
        mode: if walk_only { "walk-only" } else { "analyse" },
        secrets: Some(facts.secrets.len()),
        compressed: facts.compressed_size,
        uncompressed: facts.uncompressed_size,
        entries: Some(facts.entries),
        packages: Some(facts.files.iter().map(|f| f.packages.len()).sum()),
        seconds,
    }
}

fn gunzip(path: &PathBuf) -> Figures {
    let start = Instant::now();
    let file = fs_err::File::open(path).expect("open layer file");
    let compressed = file.metadata().expect("stat layer file").len();
    let mut decoder = MultiGzDecoder::new(BufReader::with_capacity(BUFFER, file));
    let mut buffer = vec![0; BUFFER];
    let mut sink = io::sink();
    let mut uncompressed = 0u64;
    loop {
        let n = decoder.read(&mut buffer).expect("gunzip layer file");
        if n == 0 {
            break;
        }
        sink.write_all(&buffer[..n]).expect("write to sink");
        uncompressed += n as u64;
    }
    let seconds = start.elapsed().as_secs_f64();
    Figures {
        mode: "gunzip-only",
        compressed,
        uncompressed,
        entries: None,
        packages: None,
        secrets: None,
        seconds,
    }
}

fn print(f: &Figures) {
    #[allow(clippy::cast_precision_loss)] // byte counts far below 2^52
    let mb = |bytes: u64| bytes as f64 / 1e6;
    let or_dash = |v: Option<String>| v.unwrap_or_else(|| "-".to_owned());
    println!(
        "mode={} compressed_bytes={} uncompressed_bytes={} entries={} packages={} secrets={} seconds={:.3} compressed_mb_s={:.1} uncompressed_mb_s={:.1}",
        f.mode,
        f.compressed,
        f.uncompressed,
        or_dash(f.entries.map(|e| e.to_string())),
        or_dash(f.packages.map(|p| p.to_string())),
        or_dash(f.secrets.map(|p| p.to_string())),
        f.seconds,
        mb(f.compressed) / f.seconds,
        mb(f.uncompressed) / f.seconds,
    );
}
