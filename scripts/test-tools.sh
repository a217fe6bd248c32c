#!/usr/bin/env bash
# Installs the reference tools the version-ordering oracle tests compare against
# (crates/plimsoll-version/tests/it/oracle.rs), then prints the environment they read:
#
#   - a Python venv with `packaging` (PEP 440 ordering as pip implements it);
#   - the npm `semver` package (SemVer 2.0 precedence as npm implements it).
#
# dpkg needs nothing: it is part of every Debian machine.
#
#   eval "$(scripts/test-tools.sh)"      # install (idempotent) and export the variables
#   PLIMSOLL_TOOLS_DIR=/somewhere scripts/test-tools.sh
#
# Progress goes to stderr; stdout carries only the `export` lines, so `eval` is safe.
set -euo pipefail
cd "$(dirname "$0")/.."

tools_dir="${PLIMSOLL_TOOLS_DIR:-$PWD/.plimsoll-test/tools}"
mkdir -p "$tools_dir"
tools_dir="$(cd "$tools_dir" && pwd)"

# Python: a venv so the system interpreter stays untouched; `packaging` from PyPI.
venv="$tools_dir/venv"
if ! "$venv/bin/python" -c 'import packaging.version' 2>/dev/null; then
  echo "==> python venv with packaging in $venv" >&2
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check 'packaging>=24' >&2
fi
echo "    packaging $("$venv/bin/python" -c 'import packaging; print(packaging.__version__)')" \
  "in $venv" >&2

# Node: the `semver` package in a private prefix (no global install, no lockfile kept).
node_dir="$tools_dir/node"
if [[ ! -f "$node_dir/node_modules/semver/package.json" ]]; then
  echo "==> npm semver in $node_dir" >&2
  mkdir -p "$node_dir"
  [[ -f "$node_dir/package.json" ]] || echo '{"name":"plimsoll-test-tools","private":true}' \
    >"$node_dir/package.json"
  npm install --prefix "$node_dir" --no-audit --no-fund --silent 'semver@^7' >&2
fi
echo "    semver $(node -p "require('$node_dir/node_modules/semver/package.json').version")" \
  "in $node_dir" >&2

echo "export PLIMSOLL_TOOLS_PYTHON=$venv/bin/python"
echo "export PLIMSOLL_TOOLS_NODE_PATH=$node_dir/node_modules"
