#!/usr/bin/env bash
# The main job end to end on embedded defaults: start a loopback registry with sample images
# built from real Debian/PyPI/npm packages, build plimsoll, inventory images from it, and
# scan them for vulnerabilities against a local OSV database.
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
for eco in pypi npm; do
  [[ -d ../shared/advisories/$eco ]] && db_sources+=("../shared/advisories/$eco")
done
plimsoll db import --replace "${db_sources[@]}"
plimsoll image 127.0.0.1:5000/lab/node-app:1 --format table
plimsoll image 127.0.0.1:5000/lab/python-app:1 --format sarif -o "$out/python-app.sarif"
echo "==> a hostile image fails alone, with one clear line:" >&2
plimsoll sbom 127.0.0.1:5000/lab/bad-traversal:1 --log-level error || true
