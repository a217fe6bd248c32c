# Shared by the bench scripts (sourced, not run): settings, the cached gzip layers made from
# this machine's real files, and small timing helpers.
#
# Layers are cached under $BENCH_DIR (default <repo>/.plimsoll-bench) and built once; delete a
# file there to rebuild it. They are tars of real system directories in name order
# (tar --sort=name --numeric-owner, gzip -n -6), so a rebuild on the same machine gives the same
# entries; the bytes change only when the files under / do.

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$SCRIPT_DIR/.." && pwd)
BENCH_DIR=${PLIMSOLL_BENCH_DIR:-$REPO_ROOT/.plimsoll-bench}
[[ $BENCH_DIR == /* ]] || BENCH_DIR=$PWD/$BENCH_DIR
TARGET_DIR=${CARGO_TARGET_DIR:-$REPO_ROOT/target}
[[ $TARGET_DIR == /* ]] || TARGET_DIR=$REPO_ROOT/$TARGET_DIR

# The layers, by name: the directories (relative to /) each one packs. `base` is the
# throughput layer (≥ 200 MB compressed on Debian 12; it carries the dpkg database and
# os-release so the catalogers find real packages); the peak-RSS image stacks all three.
declare -A LAYER_DIRS=(
  [base]="etc/os-release usr/include usr/lib/os-release usr/lib/python3 usr/lib/python3.11 usr/lib/x86_64-linux-gnu var/lib/dpkg"
  [share]="usr/share"
  [tools]="usr/bin usr/sbin usr/libexec usr/lib/gcc usr/lib/jvm usr/lib/llvm-14"
)
# Bump to rebuild every cached layer after changing the lists above.
LAYER_VERSION=1

log() { printf '%s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# layer_path NAME: where the cached layer NAME lives.
layer_path() { printf '%s/layer-%s-v%s.tar.gz' "$BENCH_DIR" "$1" "$LAYER_VERSION"; }

# build_layer NAME: builds layer NAME unless cached; prints its path.
build_layer() {
  local name=$1 out dirs=() dir
  out=$(layer_path "$name")
  if [[ -s $out ]]; then
    printf '%s\n' "$out"
    return
  fi
  for dir in ${LAYER_DIRS[$name]}; do
    if [[ -e /$dir || -L /$dir ]]; then
      dirs+=("$dir")
    else
      log "  (skipping /$dir: not on this machine)"
    fi
  done
  ((${#dirs[@]})) || die "none of the directories of layer '$name' exist"
  mkdir -p "$BENCH_DIR"
  log "building layer '$name' from /{${dirs[*]}} (once; a few minutes) ..."
  # tar exits 1 when a file changed while being read (logs, caches); that is harmless here.
  {
    tar --numeric-owner --sort=name --ignore-failed-read \
      --warning=no-file-changed --warning=no-file-removed --warning=no-file-ignored \
      -C / -cf - "${dirs[@]}" 2>"$BENCH_DIR/layer-$name.tar-errors" || (($? == 1))
  } | gzip -n -6 >"$out.partial"
  mv "$out.partial" "$out"
  printf '%s\n' "$out"
}

# file_size FILE: size in bytes.
file_size() { stat -c %s "$1"; }

# now: seconds since the epoch, nanosecond resolution.
now() { date +%s.%N; }

# calc EXPR: floating-point arithmetic through awk.
calc() { awk "BEGIN { print ($*) }"; }

# field LINE KEY: the value of KEY=value in an analyse_layer figures line.
field() { tr ' ' '\n' <<<"$1" | sed -n "s/^$2=//p"; }
