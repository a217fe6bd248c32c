#!/usr/bin/env bash
# The test command: starts the real-parts harness (two loopback registries with images built
# from real Debian, PyPI and npm packages) and installs the reference tools the version-ordering
# oracles compare with, then runs formatting, lint and every test of the workspace, and stops
# the registries afterwards.
#
#   scripts/test.sh                  # everything
#   scripts/test.sh -p plimsoll      # extra arguments go to `cargo test`
#   PLIMSOLL_KEEP_REGISTRY=1 scripts/test.sh   # leave the registries running afterwards
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/test-registry.sh up
if [[ "${PLIMSOLL_KEEP_REGISTRY:-0}" != 1 ]]; then
  trap 'scripts/test-registry.sh down' EXIT
fi
# shellcheck disable=SC1091
. "${PLIMSOLL_TEST_DIR:-.plimsoll-test}/env"
# Reference tools for plimsoll-version's oracle tests (Python packaging, npm semver).
# Assigned first so that a failure stops the script under set -e; eval of $(...) would hide it.
tools_env="$(scripts/test-tools.sh)"
eval "$tools_env"

echo "==> cargo fmt --check" >&2
cargo fmt --all --check
echo "==> crate dependency rules (crates/README.md)" >&2
python3 scripts/check-crate-deps.py
echo "==> cargo clippy" >&2
cargo clippy --workspace --all-targets --locked -- -D warnings
echo "==> cargo test" >&2
cargo test --workspace --locked "$@"
