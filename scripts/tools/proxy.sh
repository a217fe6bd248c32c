#!/usr/bin/env bash
# Proxy for the proxy-credentials test (crates/plimsoll/tests/it/vendors/proxy.rs): Debian's
# tinyproxy, started by the test itself as a private instance on 127.0.0.1 with BasicAuth
# (never the system service).
#
#   scripts/tools/proxy.sh
#
# Progress goes to stderr; stdout carries only the `export` line.
set -euo pipefail

tinyproxy=/usr/bin/tinyproxy
if [ ! -x "$tinyproxy" ]; then
  echo "==> apt-get install tinyproxy" >&2
  # Debian's package would start the system service where an init system runs; in these
  # containers there is no init, so nothing starts (the test runs its own instance).
  if ! flock /tmp/apt.lock apt-get install -y -qq tinyproxy >&2; then
    flock /tmp/apt.lock apt-get update -qq >&2
    flock /tmp/apt.lock apt-get install -y -qq tinyproxy >&2
  fi
fi
echo "    $("$tinyproxy" -v 2>&1 | head -n 1)" >&2

echo "export PLIMSOLL_TOOLS_TINYPROXY=$tinyproxy"
