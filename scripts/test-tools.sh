#!/usr/bin/env bash
# Installs the reference tools the version-ordering oracle tests compare against
# (crates/plimsoll-version/tests/it/oracle.rs), then prints the environment they read:
#
#   - a Python venv with `packaging` (PEP 440 ordering as pip implements it);
#   - the npm `semver` package (SemVer 2.0 precedence as npm implements it);
#   - real jars from Debian (commons-lang3, commons-io, jackson-core) and `unzip`, for the Java
#     archive cataloger's oracle test (crates/plimsoll-catalog/tests/it/java_oracle.rs).
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

# Java: real jars from Debian packages, extracted (not installed) with `dpkg -x`; `unzip` is the
# oracle that lists their pom.properties.
jars_dir="$tools_dir/jars"
jar_debs=(libcommons-lang3-java libcommons-io-java libjackson2-core-java)
if ! command -v unzip >/dev/null; then
  echo "==> unzip" >&2
  sudo_cmd=(); [[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get install -y -qq unzip >&2 \
    || { "${sudo_cmd[@]}" apt-get update -qq >&2 && "${sudo_cmd[@]}" apt-get install -y -qq unzip >&2; }
fi
if [[ ! -f "$jars_dir/.done" ]]; then
  echo "==> Debian jars in $jars_dir" >&2
  rm -rf "$jars_dir" && mkdir -p "$jars_dir/debs" "$jars_dir/root"
  if ! (cd "$jars_dir/debs" && apt-get download "${jar_debs[@]}" >&2); then
    sudo_cmd=(); [[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)
    "${sudo_cmd[@]}" apt-get update -qq >&2
    (cd "$jars_dir/debs" && apt-get download "${jar_debs[@]}" >&2)
  fi
  for deb in "$jars_dir"/debs/*.deb; do dpkg -x "$deb" "$jars_dir/root"; done
  touch "$jars_dir/.done"
fi
echo "    $(find "$jars_dir/root/usr/share/java" -name '*.jar' -type f | wc -l) jars" \
  "in $jars_dir/root/usr/share/java" >&2

echo "export PLIMSOLL_TOOLS_PYTHON=$venv/bin/python"
echo "export PLIMSOLL_TOOLS_JARS=$jars_dir/root/usr/share/java"
echo "export PLIMSOLL_TOOLS_NODE_PATH=$node_dir/node_modules"

# One script per cataloger family under scripts/tools/ (rpm, Go/Rust binaries, lockfiles,
# secrets): each installs its oracle tools and builds its fixtures under $PLIMSOLL_TOOLS_DIR,
# idempotently, with progress on stderr and only `export` lines on stdout.
for script in scripts/tools/*.sh; do
  [[ -e $script ]] || continue
  PLIMSOLL_TOOLS_DIR="$tools_dir" bash "$script"
done
