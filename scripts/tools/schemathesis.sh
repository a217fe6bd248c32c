#!/usr/bin/env bash
# API conformance for `plimsoll serve` (crates/plimsoll/tests/it/schema.rs): schemathesis from
# PyPI, in a private venv. The test starts a real server and points `st run` at its served
# OpenAPI document: every documented operation is called with generated inputs and each answer
# checked against the document (status codes, content types, schemas, no 5xx).
#
#   PLIMSOLL_TOOLS_DIR=/somewhere scripts/tools/schemathesis.sh
#
# Progress goes to stderr; stdout carries only the `export` lines.
set -euo pipefail
cd "$(dirname "$0")/../.."

tools_dir="${PLIMSOLL_TOOLS_DIR:-$PWD/.plimsoll-test/tools}"
family_dir="$tools_dir/schemathesis"
mkdir -p "$family_dir"
family_dir="$(cd "$family_dir" && pwd)"

venv="$family_dir/venv"
version=4.32.5
if [[ "$("$venv/bin/st" --version 2>/dev/null)" != *"$version"* ]]; then
  echo "==> python venv with schemathesis $version in $venv" >&2
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "schemathesis==$version" >&2
fi
echo "    $("$venv/bin/st" --version) in $venv" >&2

echo "export PLIMSOLL_TOOLS_SCHEMATHESIS=$venv/bin/st"
