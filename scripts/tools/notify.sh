#!/usr/bin/env bash
# Receiver for the syslog sink's tests (crates/plimsoll-notify/tests/it/syslog.rs): Debian's
# rsyslog, started by the tests themselves as private instances on 127.0.0.1 high ports (never
# the system service).
#
#   scripts/tools/notify.sh
#
# Progress goes to stderr; stdout carries only the `export` line.
set -euo pipefail

rsyslogd=/usr/sbin/rsyslogd
if [ ! -x "$rsyslogd" ]; then
  echo "==> apt-get install rsyslog" >&2
  # Debian's package would start the system service where an init system runs; policy-rc.d
  # is not ours to change, and in these containers there is no init, so nothing starts.
  if ! flock /tmp/apt.lock apt-get install -y -qq rsyslog >&2; then
    flock /tmp/apt.lock apt-get update -qq >&2
    flock /tmp/apt.lock apt-get install -y -qq rsyslog >&2
  fi
fi
echo "    $("$rsyslogd" -v | head -n 1)" >&2

echo "export PLIMSOLL_TOOLS_RSYSLOGD=$rsyslogd"
