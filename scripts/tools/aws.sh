#!/usr/bin/env bash
# AWS emulator for the ECR discovery tests (crates/plimsoll/tests/it/ecr.rs): moto's server from
# PyPI, pinned, in a private venv, plus boto3 (a moto dependency) that the tests use to create
# repositories, images and Organizations accounts in it. Each test starts its own
# `moto_server -H 127.0.0.1 -p PORT` and points Plimsoll at it with AWS_ENDPOINT_URL.
#
#   PLIMSOLL_TOOLS_DIR=/somewhere scripts/tools/aws.sh
#
# Progress goes to stderr; stdout carries only the `export` lines.
set -euo pipefail
cd "$(dirname "$0")/../.."

tools_dir="${PLIMSOLL_TOOLS_DIR:-$PWD/.plimsoll-test/tools}"
family_dir="$tools_dir/aws"
mkdir -p "$family_dir"
family_dir="$(cd "$family_dir" && pwd)"

venv="$family_dir/venv"
version=5.2.5
if [[ "$("$venv/bin/python" -c 'import moto; print(moto.__version__)' 2>/dev/null)" != "$version" ]] \
  || [[ ! -x "$venv/bin/moto_server" ]]; then
  echo "==> python venv with moto[server] $version in $venv" >&2
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "moto[server]==$version" >&2
fi
echo "    moto $version in $venv" >&2

echo "export PLIMSOLL_TOOLS_MOTO_SERVER=$venv/bin/moto_server"
echo "export PLIMSOLL_TOOLS_AWS_PYTHON=$venv/bin/python"
