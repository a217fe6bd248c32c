#!/usr/bin/env bash
# End-to-end `plimsoll image` on the harness's Python image, split into pull, analysis and
# matching. Layers stream from the registry through the analysis, so pull and analysis overlap;
# the pull alone is measured separately by fetching the same blobs with curl, and the analysis
# share is the rest of the streamed pull+analysis time.
#
#   bench/image-timing.sh            # needs scripts/test-registry.sh up (it runs it) and ../shared/advisories
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-5}
IMAGE_REPO=lab/python-app
TAG=1
scripts/test-registry.sh up >/dev/null
# shellcheck disable=SC1091
. "${PLIMSOLL_TEST_DIR:-.plimsoll-test}/env"
registry="http://$PLIMSOLL_TEST_REGISTRY"
[[ "${PLIMSOLL_BENCH_NO_BUILD:-0}" == 1 ]] || cargo build --release --locked -p plimsoll >&2
bin="${CARGO_TARGET_DIR:-target}/release/plimsoll"
db=$(mktemp -d)
trap 'rm -rf "$db"' EXIT
advisories=../shared/advisories
[[ -d $advisories ]] || { echo "needs $advisories" >&2; exit 1; }
import_out=$("$bin" db import "$advisories/pypi" "$advisories/npm" --db-dir "$db/db" --log-level warn)
echo "$import_out" | head -1

manifest=$(curl -fsS -H 'Accept: application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json' "$registry/v2/$IMAGE_REPO/manifests/$TAG")
mapfile -t layers < <(jq -r '.layers[].digest' <<<"$manifest")
bytes=$(jq '[.layers[].size] | add' <<<"$manifest")

now() { date +%s.%N; }
# Arithmetic on decimals without bc (not on every machine).
calc() { awk "BEGIN { print $1 }"; }
best() { sort -g | head -1; }
pull=(); sbom=(); image_total=(); matching=()
for ((i = 0; i < RUNS; i++)); do
  t0=$(now)
  for d in "${layers[@]}"; do curl -fsS -o /dev/null "$registry/v2/$IMAGE_REPO/blobs/$d"; done
  t1=$(now)
  "$bin" sbom "$PLIMSOLL_TEST_REGISTRY/$IMAGE_REPO:$TAG" -f json -o "$db/sbom.json" --log-level warn
  t2=$(now)
  log=$("$bin" image "$PLIMSOLL_TEST_REGISTRY/$IMAGE_REPO:$TAG" --db-dir "$db/db" -f json -o "$db/vulns.json" --log-format json 2>&1)
  t3=$(now)
  pull+=("$(calc "$t1 - $t0")")
  sbom+=("$(calc "$t2 - $t1")")
  image_total+=("$(calc "$t3 - $t2")")
  matching+=("$(jq -r 'select(.message == "timings") | .matching_ms' <<<"$log" | tr -d '"')")
done
p=$(printf '%s\n' "${pull[@]}" | best); s=$(printf '%s\n' "${sbom[@]}" | best)
t=$(printf '%s\n' "${image_total[@]}" | best); m=$(printf '%s\n' "${matching[@]}" | best)
printf '\n%s:%s, %d layers, %.1f MB compressed; best of %d runs; load average before: %s\n' \
  "$IMAGE_REPO" "$TAG" "${#layers[@]}" "$(calc "$bytes / 1000000")" "$RUNS" "$(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-44s %8.3f s\n' "pull alone (curl of every layer blob)" "$p"
printf '%-44s %8.3f s\n' "plimsoll sbom (pull + analysis, streamed)" "$s"
printf '%-44s %8.3f s\n' "  of which analysis beyond the pull" "$(calc "$s - $p")"
printf '%-44s %8.3f s\n' "plimsoll image (pull + analysis + matching)" "$t"
printf '%-44s %8.3f s\n' "  of which matching (from its timings log)" "$(calc "$m / 1000")"
