#!/usr/bin/env bash
# Cataloger overhead: what reading package metadata, archives, executables and secrets adds to
# the analysis of a layer, measured against the same pass without them.
#
#   (w) analyse_layer --walk-only   blob sha256, gunzip, diff-id sha256, tar walk; no cataloger,
#                                   no secret scanner
#   (c) analyse_layer               the same pass with every built-in cataloger and the secret
#                                   scanner: what a scan runs
#
# On each layer of LAYERS (default: base tools; bench/layers.sh builds them from this machine's
# own /usr), runs interleaved RUNS times (default 5) and keeps the best and the median. The
# overhead is (c)/(w) − 1 of the best runs. Goal (issue 5): ≤ 10 %.
#
# Usage: bench/cataloger-overhead.sh
# Environment: PLIMSOLL_BENCH_DIR, RUNS, LAYERS, CARGO_TARGET_DIR, PLIMSOLL_BENCH_NO_BUILD
# (as bench/layer-throughput.sh).
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/layers.sh"
RUNS=${RUNS:-5}
read -r -a LAYER_NAMES <<<"${LAYERS:-base tools}"

if [[ -z ${PLIMSOLL_BENCH_NO_BUILD:-} ]]; then
  log "building analyse_layer (release) ..."
  (cd "$REPO_ROOT" && cargo build --quiet --release -p plimsoll-scan --example analyse_layer)
fi
EXAMPLE=$TARGET_DIR/release/examples/analyse_layer
[[ -x $EXAMPLE ]] || die "no $EXAMPLE after the build"

median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
faster() { [[ -z $2 ]] || (($(calc "$1 < $2"))); }
pct() { calc "sprintf(\"%.1f\", ($1 / $2 - 1) * 100)"; }

printf '%s cores: %s; load average before: %s; best and median of %s interleaved runs\n\n' "$(nproc)" \
  "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)" "$(cut -d' ' -f1-3 /proc/loadavg)" "$RUNS"
printf '%-6s %9s %9s %8s %9s %9s %9s %10s %10s\n' layer "MB in" "MB out" entries packages secrets \
  "walk s" "full s" overhead
for name in "${LAYER_NAMES[@]}"; do
  LAYER=$(build_layer "$name")
  cat "$LAYER" >/dev/null # page cache: measure decoding, not the disk
  best_walk= best_full= all_walk=() all_full=() full_line=
  for ((i = 1; i <= RUNS; i++)); do
    line=$("$EXAMPLE" "$LAYER" --walk-only)
    s=$(field "$line" seconds); all_walk+=("$s"); faster "$s" "$best_walk" && best_walk=$s
    line=$("$EXAMPLE" "$LAYER")
    s=$(field "$line" seconds); all_full+=("$s"); faster "$s" "$best_full" && best_full=$s full_line=$line
    log "  $name run $i: walk-only ${all_walk[-1]}s, full ${all_full[-1]}s"
  done
  printf '%-6s %9.1f %9.1f %8s %9s %9s %9.3f %9.3f %9s%%\n' "$name" \
    "$(calc "$(field "$full_line" compressed_bytes) / 1e6")" \
    "$(calc "$(field "$full_line" uncompressed_bytes) / 1e6")" \
    "$(field "$full_line" entries)" "$(field "$full_line" packages)" "$(field "$full_line" secrets)" \
    "$best_walk" "$best_full" "$(pct "$best_full" "$best_walk")"
  printf '%-6s %61s median: %s%%\n' "" "" "$(pct "$(median "${all_full[@]}")" "$(median "${all_walk[@]}")")"
done
