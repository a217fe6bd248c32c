#!/usr/bin/env bash
# Layer throughput: how fast plimsoll analyses one real gzip layer, against two baselines on the
# same file.
#
#   (a) gzip -dc LAYER | tar -t >/dev/null           what a shell pipeline does
#   (b) analyse_layer --gunzip-only                  bare Rust gunzip (flate2 + zlib-rs) into a
#                                                    sink: the one-core limit
#   (c) analyse_layer                                plimsoll's analysis: blob sha256, gunzip,
#                                                    diff-id sha256, tar walk, all catalogers
#
# Each is run RUNS times (default 3), interleaved, and the best is kept. MB are 10^6 bytes; the headline MB/s
# are of compressed input (the layer file), with MB/s of uncompressed output alongside.
# Goals: (c) ≥ 2× (a) and ≥ 0.9× (b).
#
# Usage: bench/layer-throughput.sh
# Environment:
#   PLIMSOLL_BENCH_DIR  cache of built layers (default <repo>/.plimsoll-bench)
#   RUNS                runs per method (default 3)
#   CARGO_TARGET_DIR    as for cargo (default <repo>/target)
#   PLIMSOLL_BENCH_NO_BUILD  set to skip `cargo build` and use the binary already built there
#                       (while another crate of the workspace does not compile, say)
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/layers.sh"
RUNS=${RUNS:-3}
MIN_LAYER_BYTES=$((200 * 1000 * 1000))

if [[ -z ${PLIMSOLL_BENCH_NO_BUILD:-} ]]; then
  log "building analyse_layer (release) ..."
  (cd "$REPO_ROOT" && cargo build --quiet --release -p plimsoll-scan --example analyse_layer)
fi
EXAMPLE=$TARGET_DIR/release/examples/analyse_layer
[[ -x $EXAMPLE ]] || die "no $EXAMPLE after the build"

LAYER=$(build_layer base)
COMPRESSED=$(file_size "$LAYER")
((COMPRESSED >= MIN_LAYER_BYTES)) ||
  die "$LAYER is only $COMPRESSED bytes; add directories to LAYER_DIRS[base] in bench/layers.sh"
cat "$LAYER" >/dev/null # into the page cache: measure decoding, not the disk
load_before=$(cut -d' ' -f1-3 /proc/loadavg) # other work on the machine skews the times

# --- the runs, interleaved (a, b, c, a, b, c, ...) so that a burst of other work on the
# machine hits all three alike; the best run of each is kept. analyse_layer prints its own
# figures line (its seconds exclude process start-up); (a) is timed here.
best_gzip= best_gunzip= best_analyse= gunzip_line= analyse_line=
all_gzip=() all_gunzip=() all_analyse=()
faster() { [[ -z $2 ]] || (($(calc "$1 < $2"))); } # SECONDS BEST: is SECONDS a new best?
for ((i = 1; i <= RUNS; i++)); do
  start=$(now)
  gzip -dc "$LAYER" | tar -tf - >/dev/null
  seconds=$(calc "$(now) - $start")
  faster "$seconds" "$best_gzip" && best_gzip=$seconds

  line=$("$EXAMPLE" "$LAYER" --gunzip-only)
  gunzip_seconds=$(field "$line" seconds)
  faster "$gunzip_seconds" "$best_gunzip" && best_gunzip=$gunzip_seconds gunzip_line=$line

  line=$("$EXAMPLE" "$LAYER")
  analyse_seconds=$(field "$line" seconds)
  faster "$analyse_seconds" "$best_analyse" && best_analyse=$analyse_seconds analyse_line=$line

  all_gzip+=("$seconds") all_gunzip+=("$gunzip_seconds") all_analyse+=("$analyse_seconds")
  log "  run $i: gzip -dc | tar -t ${seconds}s, bare gunzip ${gunzip_seconds}s, plimsoll ${analyse_seconds}s"
done

UNCOMPRESSED=$(field "$analyse_line" uncompressed_bytes)
[[ $(field "$gunzip_line" uncompressed_bytes) == "$UNCOMPRESSED" ]] ||
  die "gunzip and analysis disagree on the uncompressed size"

median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
med_gzip=$(median "${all_gzip[@]}")
med_gunzip=$(median "${all_gunzip[@]}")
med_analyse=$(median "${all_analyse[@]}")

mbs() { calc "sprintf(\"%.1f\", $1 / 1e6 / $2)"; }
ratio() { calc "sprintf(\"%.2f\", $2 / $1)"; } # speed ratio = inverse time ratio

printf '\nLayer: %s\n' "$LAYER"
printf '  %s MB compressed, %s MB uncompressed, %s entries, %s packages found; best of %s runs\n' \
  "$(calc "sprintf(\"%.1f\", $COMPRESSED / 1e6)")" "$(calc "sprintf(\"%.1f\", $UNCOMPRESSED / 1e6)")" \
  "$(field "$analyse_line" entries)" "$(field "$analyse_line" packages)" "$RUNS"
printf '  %s cores: %s; load average before: %s\n\n' "$(nproc)" \
  "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)" "$load_before"
printf '%-30s %8s %10s %10s %10s\n' "method" "best s" "MB/s in" "MB/s out" "median s"
row() { printf '%-30s %8.3f %10s %10s %10.3f\n' "$1" "$2" "$(mbs "$COMPRESSED" "$2")" "$(mbs "$UNCOMPRESSED" "$2")" "$3"; }
row "(a) gzip -dc | tar -t" "$best_gzip" "$med_gzip"
row "(b) bare Rust gunzip" "$best_gunzip" "$med_gunzip"
row "(c) plimsoll analyse_layer" "$best_analyse" "$med_analyse"

vs_gzip=$(ratio "$best_analyse" "$best_gzip")
vs_gunzip=$(ratio "$best_analyse" "$best_gunzip")
verdict() { if (($(calc "$1 >= $2"))); then echo "met"; else echo "NOT met"; fi; }
printf '\nplimsoll / gzip-tar:     %s×  (best runs; goal ≥ 2.00×: %s)\n' "$vs_gzip" "$(verdict "$vs_gzip" 2)"
printf 'plimsoll / bare gunzip:  %s×  (best runs; goal ≥ 0.90×: %s)\n' "$vs_gunzip" "$(verdict "$vs_gunzip" 0.9)"
printf '(ratios of medians: %s× gzip-tar, %s× bare gunzip)\n' \
  "$(ratio "$med_analyse" "$med_gzip")" "$(ratio "$med_analyse" "$med_gunzip")"
