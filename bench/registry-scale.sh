#!/usr/bin/env bash
# Registry scan at scale: N tags sharing a few real base layers, in a registry of their own on
# loopback, then timed: the first full scan, an unchanged re-scan and `registry rematch`.
#
#   bench/registry-scale.sh [N]      N tags (default 1000, the CI-sized run; 10000 for the record)
#
# Setup. A private docker-registry (Distribution) on 127.0.0.1:$PLIMSOLL_BENCH_REGISTRY_PORT
# (default 5200), storage under $PLIMSOLL_BENCH_DIR/registry-scale-N/ — never the test harness's
# registry, whose namespace tests own. The three lab base images of scripts/test-registry.sh
# (lab/python-app:1, lab/node-app:1, lab/debian:12; it is run if they are missing) are copied in
# with skopeo, then scripts/testimages/pushtags.py pushes N / K repositories of K tags (K = 50,
# the most a scan takes per repository), cycling over the three bases. Every tag is its own
# image (a tiny layer and a config of its own) over the bases' real layers, three distinct ones
# in all (Debian 12 root, Python, Node). The pushed registry is KEPT for the next run of the
# same N (pushing 10,000 tags takes a few minutes); the registry process is stopped on exit.
# CLEAN=1 removes the storage first and pushes again.
#
# Timed, one run each: (1) `registry scan` into an empty store, (2) the same scan again with
# nothing changed, (3) `registry rematch`. Phase times come from the binary's own `phase
# complete` log lines (--log-format json); wall and CPU times (plimsoll's, and the registry
# process's meanwhile: both share the 2 cores) from here. The first scan's rate is given
# in unique layer MB/s (each distinct layer blob once: the bases plus N tiny layers, sizes from
# the store's layer_facts) against `gzip -dc` of the same base blobs on one core, measured in
# this run (best of RUNS). MB are 10^6 bytes.
#
# Goals (issue, 10,000 tags on 2 cores): first scan ≤ 120 s, re-scan ≤ 15 s, rematch ≤ 10 s.
#
# Environment:
#   PLIMSOLL_BENCH_DIR            state (default <repo>/.plimsoll-bench)
#   PLIMSOLL_BENCH_REGISTRY_PORT  the bench registry's port (default 5200)
#   PLIMSOLL_BENCH_ADVISORIES     the OSV corpus imported (default <repo>/../shared/advisories)
#   PLIMSOLL_BENCH_NO_BUILD=1     use the release binary already built in $CARGO_TARGET_DIR
#   PLIMSOLL_BENCH_BIN            time this plimsoll binary instead (no build; to compare two)
#   MAX_WORKERS                   --max-workers of the scans (default: plimsoll's own, 5)
#   RUNS                          gzip baseline runs, the best kept (default 3)
#   CLEAN=1                       push the registry again from scratch
#   KEEP_WORK=1                   keep the store, database and logs (path printed at the end)
set -euo pipefail

# shellcheck source=bench/layers.sh
source "$(dirname "${BASH_SOURCE[0]}")/layers.sh"

N=${1:-1000}
PORT=${PLIMSOLL_BENCH_REGISTRY_PORT:-5200}
RUNS=${RUNS:-3}
TAGS_PER_REPO=50
BASES=(lab/python-app:1 lab/node-app:1 lab/debian:12)
# Bump to push the registry again after changing how it is filled.
PUSH_VERSION=1
ADVISORIES=${PLIMSOLL_BENCH_ADVISORIES:-$REPO_ROOT/../shared/advisories}

if ! [[ $N =~ ^[0-9]+$ ]] || ((N < 3)); then die "N must be a whole number ≥ 3 (got '$N')"; fi
if ((N < TAGS_PER_REPO * 3)); then
  # Small runs: one repository per base.
  ((N % 3 == 0)) || die "N below $((TAGS_PER_REPO * 3)) must be a multiple of 3 (one repository per base)"
  TAGS_PER_REPO=$((N / 3))
fi
((N % TAGS_PER_REPO == 0)) || die "N must be a multiple of $TAGS_PER_REPO (tags per repository)"
REPOS=$((N / TAGS_PER_REPO))

# ----------------------------------------------------------------------------- prerequisites
missing=()
for tool in docker-registry skopeo curl jq python3 gzip awk setsid; do
  command -v "$tool" >/dev/null || missing+=("$tool")
done
((${#missing[@]} == 0)) ||
  die "missing ${missing[*]} (Debian: apt-get install docker-registry skopeo curl jq python3; or run scripts/test-registry.sh up once, which installs them)"
[[ -d $ADVISORIES ]] || die "no advisory corpus at $ADVISORIES (set PLIMSOLL_BENCH_ADVISORIES)"

# The base images come from the test harness's open registry.
lab=${PLIMSOLL_TEST_REGISTRY:-127.0.0.1:5000}
ACCEPT='application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json'
lab_has_bases() {
  local b
  for b in "${BASES[@]}"; do
    curl -fsS -o /dev/null -H "Accept: $ACCEPT" "http://$lab/v2/${b%:*}/manifests/${b##*:}" 2>/dev/null || return 1
  done
}
if ! lab_has_bases; then
  log "base images missing on $lab: running scripts/test-registry.sh up (first time: several minutes)"
  "$REPO_ROOT/scripts/test-registry.sh" up >&2
  # shellcheck disable=SC1091
  . "${PLIMSOLL_TEST_DIR:-$REPO_ROOT/.plimsoll-test}/env"
  lab=$PLIMSOLL_TEST_REGISTRY
  lab_has_bases || die "base images still missing on $lab after scripts/test-registry.sh up"
fi

if [[ -z ${PLIMSOLL_BENCH_NO_BUILD:-} && -z ${PLIMSOLL_BENCH_BIN:-} ]]; then
  log "building plimsoll (release) ..."
  (cd "$REPO_ROOT" && cargo build --quiet --release --locked -p plimsoll)
fi
BIN=${PLIMSOLL_BENCH_BIN:-$TARGET_DIR/release/plimsoll}
[[ -x $BIN ]] || die "no $BIN after the build"

# ----------------------------------------------------------------------------- the registry
REG_DIR=$BENCH_DIR/registry-scale-$N
REGISTRY=127.0.0.1:$PORT
WORK=$(mktemp -d "${TMPDIR:-/tmp}/plimsoll-registry-scale.XXXXXX")
REG_PID=
cleanup() {
  if [[ -n $REG_PID ]] && kill -0 "$REG_PID" 2>/dev/null; then
    kill -TERM "$REG_PID" 2>/dev/null || true
    wait "$REG_PID" 2>/dev/null || true
    rm -f "$REG_DIR/pid"
  fi
  if [[ -n ${KEEP_WORK:-} ]]; then log "work directory kept: $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
# A registry left behind by an interrupted run of this script (its pid file, its config) goes.
if [[ -f $REG_DIR/pid ]]; then
  old=$(<"$REG_DIR/pid")
  if [[ $old =~ ^[0-9]+$ ]] && tr '\0' ' ' <"/proc/$old/cmdline" 2>/dev/null | grep -qF "serve $REG_DIR/config.yml"; then
    log "stopping the bench registry left running by an earlier run (pid $old)"
    kill -TERM "$old" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do kill -0 "$old" 2>/dev/null || break; sleep 0.1; done
  fi
  rm -f "$REG_DIR/pid"
fi
port_busy "$PORT" &&
  die "127.0.0.1:$PORT is in use (another bench run?); set PLIMSOLL_BENCH_REGISTRY_PORT to a free port"

stamp="v$PUSH_VERSION n=$N repos=$REPOS tags=$TAGS_PER_REPO bases=${BASES[*]}"
if [[ -n ${CLEAN:-} ]] || [[ ! -f $REG_DIR/pushed ]] || [[ $(<"$REG_DIR/pushed") != "$stamp" ]]; then
  rm -rf "$REG_DIR"
fi
mkdir -p "$REG_DIR/data"
cat >"$REG_DIR/config.yml" <<EOF
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $REG_DIR/data
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: $REGISTRY
  secret: plimsoll-bench-registry-scale
EOF
setsid docker-registry serve "$REG_DIR/config.yml" >>"$REG_DIR/registry.log" 2>&1 </dev/null &
REG_PID=$!
printf '%s\n' "$REG_PID" >"$REG_DIR/pid"
for ((i = 0; i < 100; i++)); do
  curl -fsS -o /dev/null "http://$REGISTRY/v2/" 2>/dev/null && break
  kill -0 "$REG_PID" 2>/dev/null || { tail -5 "$REG_DIR/registry.log" >&2; die "the bench registry did not start"; }
  sleep 0.1
done

if [[ -f $REG_DIR/pushed ]]; then
  log "reusing the pushed registry in $REG_DIR ($N tags; CLEAN=1 pushes again)"
else
  log "pushing $N tags ($REPOS repositories × $TAGS_PER_REPO) to $REGISTRY (about $((N / 50 + 10)) s) ..."
  push_start=$(now)
  for ((b = 0; b < ${#BASES[@]}; b++)); do
    base=${BASES[b]} name=${BASES[b]%:*} name=${name##*/}
    skopeo copy --quiet --src-tls-verify=false --dest-tls-verify=false \
      "docker://$lab/$base" "docker://$REGISTRY/base/$name:1" >&2
    # Repositories r ≡ b (mod 3) use base b.
    count=$(((REPOS - b + ${#BASES[@]} - 1) / ${#BASES[@]}))
    ((count > 0)) || continue
    python3 "$REPO_ROOT/scripts/testimages/pushtags.py" --registry "$REGISTRY" --base "base/$name:1" \
      --repo "scale/$name" --repos "$count" --tags "$TAGS_PER_REPO" --unique-layer >/dev/null
  done
  printf '%s\n' "$stamp" >"$REG_DIR/pushed"
  log "pushed in $(calc "$(now) - $push_start") s"
fi

# ----------------------------------------------------------------------------- the baseline
# The distinct base layers (every tag's layers but its own last, tiny one).
mapfile -t base_layers < <(
  for b in "${BASES[@]}"; do
    name=${b%:*} name=${name##*/}
    curl -fsS -H "Accept: $ACCEPT" "http://$REGISTRY/v2/base/$name/manifests/1" | jq -r '.layers[].digest'
  done | sort -u
)
base_files=()
base_compressed=0
base_uncompressed=0
for d in "${base_layers[@]}"; do
  f=$WORK/${d#sha256:}.gz
  curl -fsS -o "$f" "http://$REGISTRY/v2/base/debian/blobs/$d" 2>/dev/null ||
    curl -fsS -o "$f" "http://$REGISTRY/v2/base/python-app/blobs/$d" 2>/dev/null ||
    curl -fsS -o "$f" "http://$REGISTRY/v2/base/node-app/blobs/$d"
  base_files+=("$f")
  base_compressed=$((base_compressed + $(file_size "$f")))
  base_uncompressed=$((base_uncompressed + $(gzip -dc "$f" | wc -c)))
done
best_gzip=
for ((i = 0; i < RUNS; i++)); do
  start=$(now)
  for f in "${base_files[@]}"; do gzip -dc "$f" >/dev/null; done
  s=$(calc "$(now) - $start")
  if [[ -z $best_gzip ]] || (($(calc "$s < $best_gzip"))); then best_gzip=$s; fi
done

# ----------------------------------------------------------------------------- the runs
log "importing the advisory corpus ..."
"$BIN" db import "$ADVISORIES" --db-dir "$WORK/db" --log-level error >/dev/null
STORE=$WORK/store.sqlite
scan_args=(registry scan --registry-url "http://$REGISTRY" --store "$STORE" --db-dir "$WORK/db"
  --max-age-days 365 --max-tags-per-repository 50 --max-repositories-per-registry 10000
  --log-format json)
[[ -n ${MAX_WORKERS:-} ]] && scan_args+=(--max-workers "$MAX_WORKERS")

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
TICKS=$(getconf CLK_TCK)
registry_cpu() { awk -v t="$TICKS" '{ print ($14 + $15) / t }' "/proc/$REG_PID/stat"; }
declare -A WALL CPU REG_CPU
# timed NAME CMD...: runs CMD, its JSON log in $WORK/NAME.log; records its wall time, its own
# CPU time (user + sys) and the CPU time the registry spent meanwhile.
timed() {
  local name=$1 rc=0 reg0 times user sys TIMEFORMAT='%R %U %S'
  shift
  reg0=$(registry_cpu)
  times=$({ time "$@" >"$WORK/$name.out" 2>"$WORK/$name.log"; } 2>&1) || rc=$?
  if ((rc != 0)); then
    tail -n 5 "$WORK/$name.log" >&2
    die "$name failed (exit $rc); log: $WORK/$name.log (set KEEP_WORK=1 to keep it)"
  fi
  read -r "WALL[$name]" user sys <<<"$times"
  CPU[$name]=$(calc "$user + $sys")
  REG_CPU[$name]=$(calc "$(registry_cpu) - $reg0")
}
# phase LOG PHASE: seconds of a `phase complete` line.
phase() { jq -r --arg p "$2" 'select(.message == "phase complete" and .phase == $p) | .seconds' "$WORK/$1.log"; }
# summary LOG FIELD: a field of the run's closing summary line.
summary() { jq -r --arg f "$2" 'select(.message | startswith("Total:")) | .[$f]' "$WORK/$1.log"; }
total_line() { jq -r 'select(.message | startswith("Total:")) | .message' "$WORK/$1.log"; }

log "first scan ..."
timed first "$BIN" "${scan_args[@]}"
log "unchanged re-scan ..."
timed rescan "$BIN" "${scan_args[@]}"
log "rematch ..."
timed rematch "$BIN" registry rematch --store "$STORE" --db-dir "$WORK/db" --log-format json

# Each distinct layer analysed once: its facts are in the store.
read -r layers_n layers_c layers_u < <(python3 - "$STORE" <<'EOF'
import sqlite3, sys
db = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
print(*db.execute("SELECT COUNT(*), SUM(compressed_size), SUM(uncompressed_size) FROM layer_facts").fetchone())
EOF
)
read -r inventories packages findings < <(
  jq -r 'select(.message | startswith("re-match complete")) | "\(.inventories) \(.packages) \(.findings)"' "$WORK/rematch.log")

# ----------------------------------------------------------------------------- the table
mb() { calc "$1 / 1000000"; }
gzip_rate=$(calc "$base_uncompressed / 1000000 / $best_gzip")
first_rate=$(calc "$layers_u / 1000000 / ${WALL[first]}")
verdict() { if (($(calc "$1 <= $2"))); then echo met; else echo "NOT met"; fi; }
row() { # LABEL NAME DETAILS
  printf '| %-26s | %7.2f | %12.2f | %12.2f | %-52s |\n' "$1" "${WALL[$2]}" "${CPU[$2]}" "${REG_CPU[$2]}" "$3"
}
phases() { printf 'discovery %.2f, metadata %.2f, scan %.2f' "$(phase "$1" discovery)" "$(phase "$1" 'metadata fetching')" "$(phase "$1" scan)"; }
{
  printf '\nRegistry scan at scale: %d tags = %d repositories × %d tags over %d bases, registry %s\n' \
    "$N" "$REPOS" "$TAGS_PER_REPO" "${#BASES[@]}" "$REGISTRY"
  printf 'nproc %s; load average before: %s; max_workers %s; %s (%s)\n' \
    "$(nproc)" "$load_before" "${MAX_WORKERS:-default}" "$("$BIN" --version)" "$BIN"
  printf 'first scan:  %s\n' "$(total_line first)"
  printf 're-scan:     %s\n\n' "$(total_line rescan)"
  printf '| %-26s | %7s | %12s | %12s | %-52s |\n' "Step" "Wall s" "plimsoll CPU" "registry CPU" "Phases (s, from the log)"
  printf '|%s|%s|%s|%s|%s|\n' "----------------------------" "--------:" "-------------:" "-------------:" "------------------------------------------------------"
  row "first scan (empty store)" first "$(phases first)"
  row "unchanged re-scan" rescan "$(phases rescan)"
  row "rematch" rematch "$inventories inventories, $packages packages, $findings findings"
  printf '\nimages analysed: first scan %s (reused %s); re-scan analysed %s, reused %s\n' \
    "$(summary first analysed)" "$(summary first reused)" "$(summary rescan analysed)" "$(summary rescan reused)"
  printf 'unique layers analysed: %s, %.1f MB compressed, %.1f MB uncompressed (bases: %d layers, %.1f MB / %.1f MB)\n' \
    "$layers_n" "$(mb "$layers_c")" "$(mb "$layers_u")" "${#base_layers[@]}" "$(mb "$base_compressed")" "$(mb "$base_uncompressed")"
  printf 'first-scan rate: %.2f MB/s of unique uncompressed layer data (%.2f MB/s compressed)\n' \
    "$first_rate" "$(calc "$layers_c / 1000000 / ${WALL[first]}")"
  printf 'baseline gzip -dc of the base layers, one core, best of %d: %.3f s = %.1f MB/s uncompressed\n' \
    "$RUNS" "$best_gzip" "$gzip_rate"
  printf 'ratio first-scan rate / gzip -dc rate: %.3f×\n' "$(calc "$first_rate / $gzip_rate")"
  printf '\ngoals for 10,000 tags: first scan ≤ 120 s: %s; re-scan ≤ 15 s: %s; rematch ≤ 10 s: %s%s\n' \
    "$(verdict "${WALL[first]}" 120)" "$(verdict "${WALL[rescan]}" 15)" "$(verdict "${WALL[rematch]}" 10)" \
    "$( ((N == 10000)) || printf ' (this run has %d tags)' "$N")"
}
