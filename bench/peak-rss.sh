#!/usr/bin/env bash
# Peak memory of a whole-image scan: `plimsoll sbom` over an OCI image layout of about 1 GB of
# compressed layers (about 2.8 GB uncompressed), built from this machine's real files, under
# /usr/bin/time -v. Goal: peak RSS ≤ 100 MB for a 1 GB image.
#
# The image stacks the three cached layers of bench/layers.sh (base, share, tools: gzip,
# application/vnd.oci.image.layer.v1.tar+gzip). The layout is written by hand (oci-layout,
# index.json with an org.opencontainers.image.ref.name annotation, manifest, config with
# rootfs.diff_ids and history) and cached next to the layers. The scan runs RUNS times
# (default 3); the table gives the highest peak RSS and the fastest wall time. MB are 10^6
# bytes, except RSS, which is also given in MiB as time(1) reports KiB.
#
# Usage: bench/peak-rss.sh
# Environment:
#   PLIMSOLL_BENCH_DIR  cache of built layers and the layout (default <repo>/.plimsoll-bench)
#   RUNS                scans to run (default 3)
#   CARGO_TARGET_DIR    as for cargo (default <repo>/target)
#   PLIMSOLL_BENCH_NO_BUILD  set to skip `cargo build` and use the binary already built there
#                       (while another crate of the workspace does not compile, say)
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/layers.sh"
RUNS=${RUNS:-3}
TAG=bench
LAYERS=(base share tools)
RSS_GOAL_MB=100

[[ -x /usr/bin/time ]] || die "/usr/bin/time (GNU time) is needed: apt-get install time"

if [[ -z ${PLIMSOLL_BENCH_NO_BUILD:-} ]]; then
  log "building plimsoll (release) ..."
  (cd "$REPO_ROOT" && cargo build --quiet --release -p plimsoll)
fi
PLIMSOLL=$TARGET_DIR/release/plimsoll
[[ -x $PLIMSOLL ]] || die "no $PLIMSOLL after the build"

sha256_of() { sha256sum | cut -d' ' -f1; } # stdin → hex digest

# write_blob FILE: stores FILE's bytes as a blob of the layout; prints "HEXDIGEST SIZE".
write_blob() {
  local file=$1 hex
  hex=$(sha256_of <"$file")
  mkdir -p "$LAYOUT.partial/blobs/sha256"
  # A hard link costs no space; fall back to a copy across filesystems.
  ln -f "$file" "$LAYOUT.partial/blobs/sha256/$hex" 2>/dev/null ||
    cp "$file" "$LAYOUT.partial/blobs/sha256/$hex"
  printf '%s %s\n' "$hex" "$(file_size "$file")"
}

# --- the layout, built once
LAYOUT=$BENCH_DIR/oci-image-v$LAYER_VERSION
if [[ ! -f $LAYOUT/index.json ]]; then
  rm -rf "$LAYOUT.partial"
  mkdir -p "$LAYOUT.partial"
  descriptors=() diff_ids=() history=()
  for name in "${LAYERS[@]}"; do
    layer=$(build_layer "$name")
    log "hashing layer '$name' (digest and diff-id) ..."
    read -r hex size < <(write_blob "$layer")
    diff_id=$(gzip -dc "$layer" | sha256_of)
    descriptors+=("{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"sha256:$hex\",\"size\":$size}")
    diff_ids+=("\"sha256:$diff_id\"")
    history+=("{\"created_by\":\"tar -C / -c ${LAYER_DIRS[$name]} | gzip -6 (bench layer '$name')\"}")
  done
  join() { local IFS=,; printf '%s' "$*"; }
  work=$(mktemp -d)
  printf '{"architecture":"amd64","os":"linux","config":{},"rootfs":{"type":"layers","diff_ids":[%s]},"history":[%s]}' \
    "$(join "${diff_ids[@]}")" "$(join "${history[@]}")" >"$work/config.json"
  read -r config_hex config_size < <(write_blob "$work/config.json")
  printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[%s]}' \
    "$config_hex" "$config_size" "$(join "${descriptors[@]}")" >"$work/manifest.json"
  read -r manifest_hex manifest_size < <(write_blob "$work/manifest.json")
  rm -rf "$work"
  printf '{"imageLayoutVersion":"1.0.0"}' >"$LAYOUT.partial/oci-layout"
  printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"platform":{"architecture":"amd64","os":"linux"},"annotations":{"org.opencontainers.image.ref.name":"%s"}}]}' \
    "$manifest_hex" "$manifest_size" "$TAG" >"$LAYOUT.partial/index.json"
  rm -rf "$LAYOUT"
  mv "$LAYOUT.partial" "$LAYOUT"
fi

# --- sizes of the image
compressed=0 uncompressed=0
for name in "${LAYERS[@]}"; do
  layer=$(layer_path "$name")
  [[ -f $layer ]] || die "$layer is missing; delete $LAYOUT to rebuild the image"
  compressed=$((compressed + $(file_size "$layer")))
  cat "$layer" >/dev/null # into the page cache: measure the scan, not the disk
done

# --- the scans
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
best_seconds= max_rss_kib=0
load_before=$(cut -d' ' -f1-3 /proc/loadavg) # other work on the machine skews the times
for ((i = 1; i <= RUNS; i++)); do
  # The CLI writes FILE.plimsoll-partial and renames it, so the report goes to a temp dir.
  /usr/bin/time -v -o "$out/time.txt" \
    "$PLIMSOLL" sbom "oci-layout:$LAYOUT:$TAG" -f json -o "$out/sbom.json" --log-level warn
  rss_kib=$(sed -n 's/^[[:space:]]*Maximum resident set size (kbytes): //p' "$out/time.txt")
  wall=$(sed -n 's/^[[:space:]]*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$out/time.txt")
  seconds=$(awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; print s }' <<<"$wall")
  cpu=$(sed -n 's/^[[:space:]]*Percent of CPU this job got: //p' "$out/time.txt")
  log "  scan run $i: ${seconds}s, peak RSS $((rss_kib / 1024)) MiB, CPU $cpu"
  ((rss_kib > max_rss_kib)) && max_rss_kib=$rss_kib
  if [[ -z $best_seconds ]] || (($(calc "$seconds < $best_seconds"))); then best_seconds=$seconds; fi
done
uncompressed=0 packages="?" # from the report, when jq is there to read it
if command -v jq >/dev/null; then
  uncompressed=$(jq '[.images[].layers[].uncompressed_size] | add' "$out/sbom.json")
  packages=$(jq '[.images[].packages | length] | add' "$out/sbom.json")
fi

fmt() { calc "sprintf(\"%.1f\", $1)"; }
rss_mb=$(fmt "$max_rss_kib * 1024 / 1e6")
printf '\nImage: oci-layout:%s:%s (%s gzip layers, %s packages found)\n' "$LAYOUT" "$TAG" "${#LAYERS[@]}" "$packages"
printf '  %s cores: %s; load average before: %s\n\n' "$(nproc)" \
  "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)" "$load_before"
printf '%-34s %12s\n' "image size, compressed (MB)" "$(fmt "$compressed / 1e6")"
if ((uncompressed > 0)); then
  printf '%-34s %12s\n' "image size, uncompressed (MB)" "$(fmt "$uncompressed / 1e6")"
fi
printf '%-34s %12s\n' "peak RSS, worst of $RUNS (MB)" "$rss_mb"
printf '%-34s %12s\n' "peak RSS, worst of $RUNS (MiB)" "$(fmt "$max_rss_kib / 1024")"
printf '%-34s %12s\n' "wall time, best of $RUNS (s)" "$best_seconds"
printf '%-34s %12s\n' "MB/s (compressed)" "$(fmt "$compressed / 1e6 / $best_seconds")"
if ((uncompressed > 0)); then
  printf '%-34s %12s\n' "MB/s (uncompressed)" "$(fmt "$uncompressed / 1e6 / $best_seconds")"
fi
printf '%-34s %12s\n' "peak RSS / compressed size" "$(calc "sprintf(\"%.1f%%\", 100 * $max_rss_kib * 1024 / $compressed)")"
if (($(calc "$rss_mb <= $RSS_GOAL_MB"))); then verdict=met; else verdict="NOT met"; fi
printf '\npeak RSS %s MB for a %s MB (compressed) image: goal ≤ %s MB %s\n' \
  "$rss_mb" "$(fmt "$compressed / 1e6")" "$RSS_GOAL_MB" "$verdict"
