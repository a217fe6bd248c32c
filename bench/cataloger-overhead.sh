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
# own /usr), runs interleaved RUNS times (default 5). Two measures of the overhead (c)/(w) − 1:
# wall time of the best runs, and CPU time (user + sys of both threads, GNU time) of the median
# runs. CPU time is the steadier one on a shared machine: other work stretches wall time but
# adds no CPU seconds to our process. Goal (issue 5): ≤ 10 %.
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
# Runs the example under GNU time; prints its figures line with `cpu=<user+sys>` appended.
timed() {
  local cpu_file line
  cpu_file=$(mktemp)
  line=$(/usr/bin/time -f '%U %S' -o "$cpu_file" "$EXAMPLE" "$@")
  printf '%s cpu=%s\n' "$line" "$(awk '{ print $1 + $2 }' "$cpu_file")"
  rm -f "$cpu_file"
}
pct() { calc "sprintf(\"%.1f\", ($1 / $2 - 1) * 100)"; }

printf '%s cores: %s; load average before: %s; best and median of %s interleaved runs\n\n' "$(nproc)" \
  "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)" "$(cut -d' ' -f1-3 /proc/loadavg)" "$RUNS"
printf '%-6s %9s %9s %8s %9s %8s %8s %8s %9s %9s %9s %9s\n' layer "MB in" "MB out" entries packages \
  secrets "walk s" "full s" "wall +" "walk cpu" "full cpu" "cpu +"
for name in "${LAYER_NAMES[@]}"; do
  LAYER=$(build_layer "$name")
  cat "$LAYER" >/dev/null # page cache: measure decoding, not the disk
  best_walk= best_full= all_walk=() all_full=() cpu_walk=() cpu_full=() full_line=
  for ((i = 1; i <= RUNS; i++)); do
    line=$(timed "$LAYER" --walk-only)
    s=$(field "$line" seconds); all_walk+=("$s"); faster "$s" "$best_walk" && best_walk=$s
    cpu_walk+=("$(field "$line" cpu)")
    line=$(timed "$LAYER")
    s=$(field "$line" seconds); all_full+=("$s"); faster "$s" "$best_full" && best_full=$s full_line=$line
    cpu_full+=("$(field "$line" cpu)")
    log "  $name run $i: walk-only ${all_walk[-1]}s (cpu ${cpu_walk[-1]}), full ${all_full[-1]}s (cpu ${cpu_full[-1]})"
  done
  med_cpu_walk=$(median "${cpu_walk[@]}") med_cpu_full=$(median "${cpu_full[@]}")
  printf '%-6s %9.1f %9.1f %8s %9s %8s %8.3f %8.3f %8s%% %9.2f %9.2f %8s%%\n' "$name" \
    "$(calc "$(field "$full_line" compressed_bytes) / 1e6")" \
    "$(calc "$(field "$full_line" uncompressed_bytes) / 1e6")" \
    "$(field "$full_line" entries)" "$(field "$full_line" packages)" "$(field "$full_line" secrets)" \
    "$best_walk" "$best_full" "$(pct "$best_full" "$best_walk")" \
    "$med_cpu_walk" "$med_cpu_full" "$(pct "$med_cpu_full" "$med_cpu_walk")"
done
