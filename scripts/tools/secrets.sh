#!/usr/bin/env bash
# Oracle for the secret scanner (crates/plimsoll-secrets/tests/it/oracle.rs): Yelp's
# `detect-secrets` from PyPI, in a private venv. The planted fixture tree is checked in
# (crates/plimsoll-secrets/testdata/planted); detect-secrets must see the same (file, line)
# pairs as Plimsoll for the credential kinds both know.
#
#   PLIMSOLL_TOOLS_DIR=/somewhere scripts/tools/secrets.sh
#
# Progress goes to stderr; stdout carries only the `export` lines.
set -euo pipefail
cd "$(dirname "$0")/../.."

tools_dir="${PLIMSOLL_TOOLS_DIR:-$PWD/.plimsoll-test/tools}"
family_dir="$tools_dir/secrets"
mkdir -p "$family_dir"
family_dir="$(cd "$family_dir" && pwd)"

venv="$family_dir/venv"
if ! "$venv/bin/detect-secrets" --version >/dev/null 2>&1; then
  echo "==> python venv with detect-secrets in $venv" >&2
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check 'detect-secrets==1.5.0' >&2
fi
echo "    detect-secrets $("$venv/bin/detect-secrets" --version) in $venv" >&2

echo "export PLIMSOLL_TOOLS_DETECT_SECRETS=$venv/bin/detect-secrets"
