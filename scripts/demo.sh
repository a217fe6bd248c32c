#!/usr/bin/env bash
# The main job end to end on embedded defaults: start a loopback registry with sample images
# built from real Debian/PyPI/npm packages, build plimsoll, build a local OSV database, scan the
# whole registry namespace `demo/` (discover, filter, scan in parallel, store in SQLite, write a
# report directory), then single-image commands.
# The registries keep running afterwards; stop them with `scripts/test-registry.sh down`.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/test-registry.sh up
cargo build --release --locked -p plimsoll
plimsoll() { cargo run --quiet --release --locked -p plimsoll -- "$@"; }
out="${PLIMSOLL_DEMO_OUT:-target/demo}"
mkdir -p "$out"

echo "==> plimsoll sbom 127.0.0.1:5000/lab/python-app:1 --format table" >&2
plimsoll sbom 127.0.0.1:5000/lab/python-app:1 --format table

echo "==> SBOMs of every platform of a multi-arch image, and of a node app, in $out/" >&2
plimsoll sbom 127.0.0.1:5000/lab/multiarch:1 --all-platforms --format cyclonedx-json -o "$out/multiarch.cdx.json"
plimsoll sbom 127.0.0.1:5000/lab/node-app:1 --format spdx-json -o "$out/node-app.spdx.json"
plimsoll sbom 127.0.0.1:5000/lab/node-app:1 --format json -o "$out/node-app.json"
ls -l "$out" >&2
echo "==> vulnerabilities: a local OSV database from the repo's fixtures (and ../shared/advisories when present)" >&2
export PLIMSOLL_DB_DIR="$out/db"
db_sources=(crates/plimsoll/testdata/osv)
[[ -d ../shared/advisories ]] && db_sources+=(../shared/advisories)
plimsoll db import --replace "${db_sources[@]}"

echo "==> push fresh sample tags under demo/ (real layers of the sample images, created now)" >&2
push() { python3 scripts/testimages/pushtags.py --registry 127.0.0.1:5000 "$@" >/dev/null; }
push --base lab/python-app:1 --repo demo/python-app --tags 3 --unique-layer
push --base lab/node-app:1 --repo demo/node-app --tags 2 --unique-layer
push --base lab/debian:12 --repo demo/debian --tags 2 --same-digest
push --base lab/debian:12 --repo demo/old --tags 1 --age-days 200
echo "==> plimsoll registry scan: the whole registry, filtered to demo/*, results in $out/store.sqlite" >&2
scan=(registry scan --registry-url http://127.0.0.1:5000 --include '127.0.0.1:5000/demo/*'
  --store "$out/store.sqlite" --report-dir "$out/reports")
plimsoll "${scan[@]}" --dry-run
plimsoll "${scan[@]}"
echo "==> the same again: nothing changed, so nothing is pulled" >&2
plimsoll "${scan[@]}"
plimsoll results list --store "$out/store.sqlite" --repository demo/
echo "==> reports: $out/reports/summary.csv and one JSON per image" >&2
ls "$out/reports" >&2
plimsoll image 127.0.0.1:5000/lab/node-app:1 --format table
echo "==> the layered view: which layer (base image or the app's) brought each package and finding" >&2
plimsoll image 127.0.0.1:5000/lab/node-app:1 --layers
plimsoll image 127.0.0.1:5000/lab/python-app:1 --format sarif -o "$out/python-app.sarif"
echo "==> a hostile image fails alone, with one clear line:" >&2
plimsoll sbom 127.0.0.1:5000/lab/bad-traversal:1 --log-level error || true
