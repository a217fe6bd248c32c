#!/usr/bin/env bash
# Vendor API conformance (crates/plimsoll-vendors/tests/it/harbor_prism.rs): Stoplight Prism from
# npm mocks Harbor's API v2.0 from its own swagger.yaml and validates every request Plimsoll's
# Harbor discovery makes against it (a rejected request is a bug). Prism ignores the spec's
# basePath, so a copy with `/api/v2.0` prefixed to each path is written beside it.
#
#   PLIMSOLL_TOOLS_DIR=/somewhere scripts/tools/prism.sh
#
# Progress goes to stderr; stdout carries only the `export` lines.
set -euo pipefail
cd "$(dirname "$0")/../.."

tools_dir="${PLIMSOLL_TOOLS_DIR:-$PWD/.plimsoll-test/tools}"
family_dir="$tools_dir/prism"
mkdir -p "$family_dir"
family_dir="$(cd "$family_dir" && pwd)"

version=5.14.2
prism="$family_dir/node_modules/.bin/prism"
if [[ "$("$prism" --version 2>/dev/null)" != "$version" ]]; then
  echo "==> npm @stoplight/prism-cli $version in $family_dir" >&2
  [[ -f "$family_dir/package.json" ]] || echo '{"name":"plimsoll-prism","private":true}' \
    >"$family_dir/package.json"
  npm install --prefix "$family_dir" --no-audit --no-fund --silent "@stoplight/prism-cli@$version" >&2
fi
echo "    prism $("$prism" --version) in $family_dir" >&2

# Harbor's spec, an unmodified copy pinned in testdata (its README says from where).
# Harbor's own spec, from the shared reference files beside the project (../shared/specs,
# SOURCES.md there names its origin); without them the Prism test skips (fails under CI).
spec="$PWD/../shared/specs/swagger.yaml"
if [[ ! -f "$spec" ]]; then
  echo "    $spec is absent: no Harbor spec for Prism" >&2
  echo "export PLIMSOLL_TOOLS_PRISM=$prism"
  exit 0
fi
prefixed="$family_dir/harbor-swagger-prefixed.yaml"
python3 - "$spec" "$prefixed" <<'PY' >&2
import sys, re
src, dst = sys.argv[1], sys.argv[2]
text = open(src, encoding="utf-8").read()
# Paths are the keys indented by two spaces under `paths:`; prefix each with the basePath.
head, sep, rest = text.partition("\npaths:\n")
if not sep:
    sys.exit(f"{src}: no paths section")
lines = rest.split("\n")
out = []
in_paths = True
for line in lines:
    if in_paths and re.match(r"^\S", line):
        in_paths = False
    if in_paths and re.match(r"^  /", line):
        line = "  /api/v2.0" + line[2:]
    out.append(line)
open(dst, "w", encoding="utf-8").write(head + sep + "\n".join(out))
PY
echo "    Harbor spec with /api/v2.0 paths: $prefixed" >&2

echo "export PLIMSOLL_TOOLS_PRISM=$prism"
echo "export PLIMSOLL_TOOLS_HARBOR_SPEC=$prefixed"
