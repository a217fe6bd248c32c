#!/usr/bin/env bash
# Plimsoll real-parts test harness: real registries on loopback, real images built from real
# Debian/PyPI/npm packages, plus deliberately broken inputs. No Docker daemon is needed.
#
# Usage: scripts/test-registry.sh up|down|clean|env|status
#   up      install missing tools (apt-get), build the test images (cached under the state dir),
#           start both registries (or reuse running ones), push every image, write $STATE/env
#   down    stop the registries this script started (pid files)
#   clean   down, then remove the state dir
#   env     print the sourceable env file ($STATE/env)
#   status  show which registries are running
#
# Environment:
#   PLIMSOLL_TEST_DIR                 state dir (default: <repo>/.plimsoll-test)
#   PLIMSOLL_TEST_REGISTRY_PORT       open registry port (default 5000)
#   PLIMSOLL_TEST_AUTH_REGISTRY_PORT  basic-auth registry port (default 5001)
#   PLIMSOLL_TEST_DEBIAN_MIRROR       Debian mirror for debootstrap (default: from apt sources)
#
# Every image, what it tests and the expect files are documented in scripts/testimages/README.md.
set -Eeuo pipefail

# ----------------------------------------------------------------------------- settings
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$SCRIPT_DIR/.." && pwd)
HELPER="$SCRIPT_DIR/testimages/badlayers.py"
STATE=${PLIMSOLL_TEST_DIR:-$REPO_ROOT/.plimsoll-test}
[[ $STATE == /* ]] || STATE=$PWD/$STATE
PORT=${PLIMSOLL_TEST_REGISTRY_PORT:-5000}
AUTH_PORT=${PLIMSOLL_TEST_AUTH_REGISTRY_PORT:-5001}
HOST=127.0.0.1
AUTH_USER=plimsoll

# Bump to invalidate every cached artefact (layers, layouts, pushes) after changing how they are made.
BUILD_VERSION=1
SUITE=bookworm
EPOCH=1704067200            # fixed mtime of every tar entry
CREATED=2024-01-01T00:00:00Z  # fixed "created" of every config/history entry
PYVER=3.11                   # Debian 12's python; site-packages path inside the images
PY_SITE_PKGS=(requests==2.32.3 six==1.16.0 typing_extensions==4.12.2 charset-normalizer==3.4.0
  idna==3.10 urllib3==2.2.3 certifi==2024.8.30 PyYAML==6.0.2 jaraco.classes==3.4.0
  more-itertools==10.5.0)
PY_DIST_PKGS=(attrs==24.2.0 packaging==24.1)
NODE_DEPS='{"express":"4.21.2","minimist":"1.2.5","@isaacs/string-locale-compare":"1.1.0"}'
REMOVED_DEB=gpgv            # dpkg package dropped from the status file by lab/whiteout:1

MT_OCI_MANIFEST=application/vnd.oci.image.manifest.v1+json
MT_OCI_INDEX=application/vnd.oci.image.index.v1+json
MT_OCI_CONFIG=application/vnd.oci.image.config.v1+json
MT_GZIP=application/vnd.oci.image.layer.v1.tar+gzip
MT_ZSTD=application/vnd.oci.image.layer.v1.tar+zstd
PATH_ENV="PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

# ----------------------------------------------------------------------------- helpers
log() { printf '==> %s\n' "$*" >&2; }
warn() { printf 'WARNING: %s\n' "$*" >&2; }
die() { printf 'ERROR: %s\n' "$*" >&2; exit 1; }
# shellcheck disable=SC2154
trap 'rc=$?; printf "ERROR: command failed (exit %s) at %s line %s: %s\n" "$rc" "${BASH_SOURCE[0]##*/}" "$LINENO" "$BASH_COMMAND" >&2' ERR

need_root() { [[ $(id -u) -eq 0 ]] || die "$1 needs root (run as root, as CI does)"; }

stamp_ok() { [[ -f $STATE/stamps/$1 && $(<"$STATE/stamps/$1") == "$BUILD_VERSION${2:+ $2}" ]]; }
stamp_set() { mkdir -p "$STATE/stamps"; printf '%s\n' "$BUILD_VERSION${2:+ $2}" >"$STATE/stamps/$1"; }
stamp_del() { local s; for s in "$@"; do rm -f "$STATE/stamps/$s"; done; }

sha256_of() { sha256sum "$1" | cut -d' ' -f1; }
size_of() { stat -c %s "$1"; }

# rm -rf that never crosses into a mount left behind by an interrupted debootstrap.
safe_rm() {
  local dir=$1 m
  [[ -e $dir ]] || return 0
  dir=$(realpath "$dir")
  while read -r m; do
    umount -l "$m" 2>/dev/null || warn "could not unmount $m"
  done < <(awk -v d="$dir/" 'index($2, d) == 1 {print $2}' /proc/mounts | sort -r)
  rm -rf --one-file-system "$dir"
}

# Background jobs for the network-bound steps. Output goes to $STATE/logs/NAME.log.
declare -A BG_PIDS=()
bg_start() {
  local name=$1; shift
  mkdir -p "$STATE/logs"
  log "$name: running in background (log: $STATE/logs/$name.log)"
  ("$@") >"$STATE/logs/$name.log" 2>&1 &
  BG_PIDS[$name]=$!
}
bg_wait() {
  local name failed=()
  for name in "${!BG_PIDS[@]}"; do
    if wait "${BG_PIDS[$name]}"; then
      log "$name: done"
    else
      printf -- '---- tail of %s ----\n' "$STATE/logs/$name.log" >&2
      tail -n 25 "$STATE/logs/$name.log" >&2 || true
      failed+=("$name")
    fi
  done
  BG_PIDS=()
  ((${#failed[@]} == 0)) || die "background step(s) failed: ${failed[*]}"
}

# ----------------------------------------------------------------------------- tools
ensure_tools() {
  local missing=() want
  command -v docker-registry >/dev/null || missing+=(docker-registry)
  command -v skopeo >/dev/null || missing+=(skopeo)
  command -v debootstrap >/dev/null || missing+=(debootstrap)
  command -v htpasswd >/dev/null || missing+=(apache2-utils)
  command -v jq >/dev/null || missing+=(jq)
  command -v zstd >/dev/null || missing+=(zstd)
  command -v curl >/dev/null || missing+=(curl)
  # throw-away RSA service-account keys and JWT signature checks (tests/it/vendors/gar.rs)
  command -v openssl >/dev/null || missing+=(openssl)
  command -v gzip >/dev/null || missing+=(gzip)
  command -v npm >/dev/null || missing+=(npm)
  command -v python3 >/dev/null || missing+=(python3 python3-pip)
  [[ -f /usr/share/keyrings/debian-archive-keyring.gpg ]] || missing+=(debian-archive-keyring)
  [[ -f /etc/ssl/certs/ca-certificates.crt ]] || missing+=(ca-certificates)
  if command -v python3 >/dev/null && ! python3 -m pip --version >/dev/null 2>&1; then
    if [[ $(command -v python3) == /usr/bin/python3 ]]; then missing+=(python3-pip); else
      log "python3 has no pip: running ensurepip"; python3 -m ensurepip --upgrade >&2 || die "python3 has no pip and ensurepip failed"
    fi
  fi
  ((${#missing[@]} == 0)) && return 0
  need_root "installing ${missing[*]}"
  command -v apt-get >/dev/null || die "missing ${missing[*]} and no apt-get to install them"
  log "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  local apt_log=$STATE/logs/apt.log
  log "apt-get update && apt-get install -y ${missing[*]} (log: $apt_log)"
  apt-get update >"$apt_log" 2>&1 || { tail -n 20 "$apt_log" >&2; die "apt-get update failed (log: $apt_log)"; }
  apt-get install -y "${missing[@]}" >>"$apt_log" 2>&1 ||
    { tail -n 20 "$apt_log" >&2; die "apt-get install ${missing[*]} failed (log: $apt_log)"; }
  for want in "${missing[@]}"; do
    if [[ $want == docker-registry ]] && command -v systemctl >/dev/null &&
      systemctl is-active --quiet docker-registry 2>/dev/null; then
      # The package starts a system registry on :5000; this harness runs its own.
      log "stopping and disabling the docker-registry system service started by the package"
      systemctl disable --now docker-registry >&2 || warn "could not stop the docker-registry service"
    fi
  done
}

debian_mirror() {
  if [[ -n ${PLIMSOLL_TEST_DEBIAN_MIRROR:-} ]]; then echo "$PLIMSOLL_TEST_DEBIAN_MIRROR"; return; fi
  local m=""
  if [[ -f /etc/apt/sources.list.d/debian.sources ]]; then
    m=$(awk '/^URIs:/ {for (i = 2; i <= NF; i++) if ($i ~ /\/debian\/?$/) {print $i; exit}}' \
      /etc/apt/sources.list.d/debian.sources)
  fi
  if [[ -z $m && -f /etc/apt/sources.list ]]; then
    m=$(awk '$1 == "deb" {for (i = 2; i <= NF; i++) if ($i ~ /^(https?|file):/ && $i ~ /\/debian\/?$/) {print $i; exit}}' \
      /etc/apt/sources.list)
  fi
  echo "${m:-http://deb.debian.org/debian}"
}

# ----------------------------------------------------------------------------- sources
# $STATE/rootfs/debian: a real minbase bookworm for the host arch (amd64). It is the dpkg oracle.
build_rootfs_debian() {
  local root=$STATE/rootfs/debian mirror
  mirror=$(debian_mirror)
  log "building debian rootfs: debootstrap --variant=minbase $SUITE ($mirror)"
  safe_rm "$root"
  mkdir -p "$STATE/cache/debootstrap-amd64"
  debootstrap --variant=minbase --arch=amd64 --cache-dir="$STATE/cache/debootstrap-amd64" \
    "$SUITE" "$root" "$mirror" >"$STATE/logs/debootstrap-amd64.log" 2>&1 ||
    { tail -n 30 "$STATE/logs/debootstrap-amd64.log" >&2; die "debootstrap failed (log: $STATE/logs/debootstrap-amd64.log)"; }
  if awk -v d="$root/" 'index($2, d) == 1 {found = 1} END {exit !found}' /proc/mounts; then
    die "debootstrap left mounts under $root"
  fi
  rm -f "$root"/var/cache/apt/archives/*.deb "$root"/var/cache/apt/*.bin
  find "$root/var/lib/apt/lists" -mindepth 1 -maxdepth 1 ! -name partial ! -name lock -exec rm -rf {} +
  echo plimsoll-test >"$root/etc/hostname"
  : >"$root/etc/resolv.conf"
  [[ -s $root/var/lib/dpkg/status ]] || die "debian rootfs has no dpkg status"
  log "debian rootfs: $(dpkg-query -W --admindir="$root/var/lib/dpkg" | wc -l) packages"
  stamp_set rootfs-debian
}

# $STATE/rootfs/debian-arm64: real arm64 packages, unpacked without executing anything
# (debootstrap --foreign first stage), plus a dpkg database written from the .debs' control files.
build_rootfs_arm64() {
  local root=$STATE/rootfs/debian-arm64 mirror work deb pkg ma name f
  mirror=$(debian_mirror)
  log "building arm64 rootfs: debootstrap --foreign --arch=arm64 --variant=minbase $SUITE"
  safe_rm "$root"
  mkdir -p "$STATE/cache/debootstrap-arm64"
  debootstrap --foreign --arch=arm64 --variant=minbase --cache-dir="$STATE/cache/debootstrap-arm64" \
    "$SUITE" "$root" "$mirror" ||
    die "debootstrap --foreign --arch=arm64 failed"
  work=$(mktemp -d "$STATE/tmp/arm64.XXXXXX")
  local extracted
  extracted=" $(cat "$root/debootstrap/required" 2>/dev/null || true) "
  local info=$root/var/lib/dpkg/info
  mkdir -p "$info"
  : >"$work/status"
  for deb in "$root"/var/cache/apt/archives/*.deb; do
    pkg=$(dpkg-deb -f "$deb" Package)
    ma=$(dpkg-deb -f "$deb" Multi-Arch)
    [[ $(dpkg-deb -f "$deb" Architecture) =~ ^(arm64|all)$ ]] || die "$deb is not arm64/all"
    if [[ $extracted != *" $pkg "* ]]; then
      log "arm64: unpacking $pkg (not unpacked by the first stage)"
      dpkg-deb --fsys-tarfile "$deb" | tar -C "$root" --keep-directory-symlink -xf -
    fi
    name=$pkg; [[ $ma == same ]] && name="$pkg:arm64"
    rm -rf "$work/ctrl"; dpkg-deb -e "$deb" "$work/ctrl"
    for f in "$work"/ctrl/*; do
      case ${f##*/} in control) ;; *) cp "$f" "$info/$name.${f##*/}" ;; esac
    done
    dpkg-deb --fsys-tarfile "$deb" | tar -t |
      sed -e 's|^\./$|/.|' -e 's|^\./|/|' -e 's|/$||' >"$info/$name.list"
    # status stanza = control file with "Status:" after "Package:"
    awk '{print} /^Package:/ {print "Status: install ok installed"}' "$work/ctrl/control" |
      sed '/^$/d' >"$work/stanza.$pkg"
  done
  while IFS= read -r -d '' f; do cat "$f"; echo; done \
    < <(printf '%s\0' "$work"/stanza.* | LC_ALL=C sort -z) >"$root/var/lib/dpkg/status"
  echo 1 >"$info/format"
  : >"$root/var/lib/dpkg/diversions"
  # what base-passwd's postinst would have done
  [[ -f $root/etc/passwd ]] || cp "$root/usr/share/base-passwd/passwd.master" "$root/etc/passwd"
  [[ -f $root/etc/group ]] || cp "$root/usr/share/base-passwd/group.master" "$root/etc/group"
  rm -rf "$root/debootstrap" "$work"
  rm -f "$root"/var/cache/apt/archives/*.deb
  echo plimsoll-test >"$root/etc/hostname"
  : >"$root/etc/resolv.conf"
  log "arm64 rootfs: $(dpkg-query -W --admindir="$root/var/lib/dpkg" | wc -l) packages"
  stamp_set rootfs-arm64
}

# $STATE/python/site (-> usr/local/lib/python3.11/site-packages) and $STATE/python/dist
# (-> usr/lib/python3/dist-packages), installed by pip from PyPI. Oracle:
#   python3 -m pip list --path $STATE/python/site --path $STATE/python/dist --format json
build_python() {
  local tmp
  log "installing python packages with pip: ${PY_SITE_PKGS[*]} | ${PY_DIST_PKGS[*]}"
  rm -rf "$STATE/python"
  tmp=$(mktemp -d "$STATE/tmp/python.XXXXXX")
  local common=(--disable-pip-version-check --no-input --no-compile --only-binary=:all:
    --python-version "$PYVER" --implementation cp --platform manylinux2014_x86_64)
  python3 -m pip install "${common[@]}" --target "$tmp/site" "${PY_SITE_PKGS[@]}"
  python3 -m pip install "${common[@]}" --no-deps --target "$tmp/dist" "${PY_DIST_PKGS[@]}"
  mkdir -p "$tmp/bin"
  if [[ -d $tmp/site/bin ]]; then
    for f in "$tmp"/site/bin/*; do
      sed '1s|^#!.*python.*$|#!/usr/bin/python3|' "$f" >"$tmp/bin/${f##*/}"
      chmod 0755 "$tmp/bin/${f##*/}"
    done
    rm -rf "$tmp/site/bin"
  fi
  rm -rf "$tmp/dist/bin"
  mv "$tmp" "$STATE/python"
  log "python: $(find "$STATE/python/site" "$STATE/python/dist" -maxdepth 1 -name '*.dist-info' | wc -l) distributions"
  stamp_set python
}

# $STATE/node-app: package.json + package-lock.json (with resolved URLs) + node_modules.
# Oracle: (cd $STATE/node-app && npm ls --all --json)
build_node() {
  local app=$STATE/node-app
  log "installing node packages with npm: $NODE_DEPS"
  rm -rf "$app"; mkdir -p "$app"
  jq -n --argjson deps "$NODE_DEPS" \
    '{name: "plimsoll-node-app", version: "1.0.0", private: true, description: "plimsoll test image", dependencies: $deps}' \
    >"$app/package.json"
  (cd "$app" && npm install --omit-lockfile-registry-resolved=false --no-audit --no-fund \
    --ignore-scripts --save-exact --loglevel=error)
  [[ -f $app/package-lock.json ]] || die "npm wrote no package-lock.json"
  jq -e '[.packages[] | select(.resolved)] | length > 0' "$app/package-lock.json" >/dev/null ||
    die "package-lock.json has no resolved URLs"
  log "node: $(jq '.packages | length - 1' "$app/package-lock.json") packages in the lockfile"
  stamp_set node
}

# ----------------------------------------------------------------------------- layers
# Each layer is $STATE/layers/NAME.tar.{gz,zst} plus NAME.json:
#   {mediaType, digest, size, diff_id, created_by, file}
layer_meta() { cat "$STATE/layers/$1.json"; }
layer_have() { [[ -f $STATE/layers/$1.json && -f $STATE/layers/$(jq -r .file "$STATE/layers/$1.json") ]]; }

write_layer_meta() { # NAME FILE MEDIATYPE DIFF_ID CREATED_BY
  local name=$1 file=$2
  jq -n --arg mt "$3" --arg digest "sha256:$(sha256_of "$file")" --argjson size "$(size_of "$file")" \
    --arg diff "$4" --arg cb "$5" --arg file "${file##*/}" \
    '{mediaType: $mt, digest: $digest, size: $size, diff_id: $diff, created_by: $cb, file: $file}' \
    >"$STATE/layers/$name.json"
}

# tar a directory: sorted names without "./", fixed mtime, numeric owners, no dev/proc/sys contents.
tar_dir() { # SRCDIR OUT.tar
  local src=$1 out=$2
  (cd "$src" && find . -mindepth 1 \( -path './dev/*' -o -path './proc/*' -o -path './sys/*' \) -prune -o -print0) |
    sed -z 's|^\./||' | LC_ALL=C sort -z >"$out.list"
  tar -C "$src" --create --file "$out" --no-recursion --null --verbatim-files-from --files-from "$out.list" \
    --numeric-owner --format=posix --pax-option='exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime' \
    --mtime="@$EPOCH"
  rm -f "$out.list"
}

# layer_from_dir NAME SRCDIR CREATED_BY [zstd-too]
layer_from_dir() {
  local name=$1 src=$2 cb=$3 zst=${4:-} raw diff
  raw=$STATE/layers/$name.tar
  log "writing layer $name from ${src#"$STATE"/}"
  tar_dir "$src" "$raw"
  diff="sha256:$(sha256_of "$raw")"
  gzip -n -6 -c "$raw" >"$raw.gz"
  write_layer_meta "$name" "$raw.gz" "$MT_GZIP" "$diff" "$cb"
  if [[ -n $zst ]]; then
    zstd -q -3 --no-progress -f -o "$raw.zst" "$raw"
    write_layer_meta "$name-zstd" "$raw.zst" "$MT_ZSTD" "$diff" "$cb"
  fi
  rm -f "$raw"
  log "layer $name: $(jq -r '"\(.size) bytes, \(.digest)"' "$STATE/layers/$name.json")"
}

# mkdir -p inside a staging dir, copying mode/owner of each ancestor from the reference rootfs.
stage_dirs() { # STAGE ROOTFS RELPATH
  local stage=$1 ref=$2 rel=$3 acc="" part
  local IFS=/
  for part in $rel; do
    [[ -n $part ]] || continue
    acc=${acc:+$acc/}$part
    if [[ ! -d $stage/$acc ]]; then
      mkdir "$stage/$acc"
      if [[ -d $ref/$acc && ! -L $ref/$acc ]]; then
        chmod --reference="$ref/$acc" "$stage/$acc"
        chown --reference="$ref/$acc" "$stage/$acc"
      else
        chmod 0755 "$stage/$acc"
      fi
    fi
  done
}

build_layer_python() {
  local stage=$STATE/build/python-layer root=$STATE/rootfs/debian
  safe_rm "$stage"; mkdir -p "$stage"
  stage_dirs "$stage" "$root" "usr/local/lib/python$PYVER"
  cp -al "$STATE/python/site" "$stage/usr/local/lib/python$PYVER/site-packages"
  stage_dirs "$stage" "$root" usr/lib/python3
  cp -al "$STATE/python/dist" "$stage/usr/lib/python3/dist-packages"
  stage_dirs "$stage" "$root" usr/local/bin
  cp -a "$STATE/python/bin/." "$stage/usr/local/bin/"
  layer_from_dir python "$stage" \
    "/bin/sh -c pip install --target /usr/local/lib/python$PYVER/site-packages ${PY_SITE_PKGS[*]} && pip install --no-deps --target /usr/lib/python3/dist-packages ${PY_DIST_PKGS[*]}"
  safe_rm "$stage"
}

build_layer_node() {
  local stage=$STATE/build/node-layer
  safe_rm "$stage"; mkdir -p "$stage"
  cp -al "$STATE/node-app" "$stage/app"
  chmod 0755 "$stage/app"
  layer_from_dir node "$stage" "/bin/sh -c cd /app && npm install $(jq -r 'to_entries | map("\(.key)@\(.value)") | join(" ")' <<<"$NODE_DEPS")"
  safe_rm "$stage"
}

# Third layer of lab/whiteout:1 (on top of debian + python). Writes $STATE/expect/whiteout.json.
build_layer_whiteout() {
  local stage=$STATE/build/whiteout-layer root=$STATE/rootfs/debian
  local sp="usr/local/lib/python$PYVER/site-packages" dp=usr/lib/python3/dist-packages
  local six_info attrs_info pkg_info p rel parent n=0
  safe_rm "$stage"; mkdir -p "$stage"
  six_info=$(cd "$STATE/python/site" && ls -d six-*.dist-info)
  attrs_info=$(cd "$STATE/python/dist" && ls -d attrs-*.dist-info)
  pkg_info=$(cd "$STATE/python/dist" && ls -d packaging-*.dist-info)
  # (a) plain whiteouts: six removed from site-packages (dist-info dir + module file)
  stage_dirs "$stage" "$root" "$sp"
  : >"$stage/$sp/.wh.$six_info"
  : >"$stage/$sp/.wh.six.py"
  # (b) opaque dir: dist-packages hides everything from lower layers (attrs, packaging), but the
  #     same layer re-adds packaging, which must stay visible.
  stage_dirs "$stage" "$root" "$dp"
  : >"$stage/$dp/.wh..wh..opq"
  cp -a "$STATE/python/dist/$pkg_info" "$STATE/python/dist/packaging" "$stage/$dp/"
  # (c) dpkg: $REMOVED_DEB's stanza dropped from the status file, its files whited out
  grep -q "^Package: $REMOVED_DEB\$" "$root/var/lib/dpkg/status" || die "$REMOVED_DEB is not in the debian rootfs"
  stage_dirs "$stage" "$root" var/lib/dpkg/info
  awk -v RS= -v ORS='\n\n' -v p="$REMOVED_DEB" '!($1 == "Package:" && $2 == p)' \
    "$root/var/lib/dpkg/status" >"$stage/var/lib/dpkg/status"
  chmod --reference="$root/var/lib/dpkg/status" "$stage/var/lib/dpkg/status"
  local list=""
  for p in "$root"/var/lib/dpkg/info/"$REMOVED_DEB".* "$root"/var/lib/dpkg/info/"$REMOVED_DEB":*; do
    if [[ -e $p ]]; then
      : >"$stage/var/lib/dpkg/info/.wh.${p##*/}"
      if [[ $p == *.list ]]; then list=$p; fi
    fi
  done
  [[ -n $list ]] || die "no dpkg .list file for $REMOVED_DEB"
  while read -r p; do
    [[ $p == /. || -z $p ]] && continue
    rel=${p#/}; parent=${rel%/*}
    [[ -L $root/$rel || -f $root/$rel ]] || continue
    # the doc dir is whited out as a whole below
    [[ $rel == "usr/share/doc/$REMOVED_DEB/"* ]] && continue
    # only where the parent path is a real directory (no merged-/usr symlink on the way)
    [[ $(cd "$root/$parent" && pwd -P) == "$(realpath "$root")/$parent" ]] || continue
    stage_dirs "$stage" "$root" "$parent"
    : >"$stage/$parent/.wh.${rel##*/}"
    n=$((n + 1))
  done <"$list"
  if [[ -d $root/usr/share/doc/$REMOVED_DEB ]]; then
    stage_dirs "$stage" "$root" usr/share/doc
    : >"$stage/usr/share/doc/.wh.$REMOVED_DEB"
  fi
  log "whiteout layer: $n file whiteouts for $REMOVED_DEB"
  layer_from_dir whiteout "$stage" "/bin/sh -c pip uninstall -y six && rm -rf $dp/* && pip install --no-deps --target $dp packaging && dpkg --purge --force-depends $REMOVED_DEB"
  safe_rm "$stage"
  mkdir -p "$STATE/expect"
  jq -n --arg six "$six_info" --arg attrs "$attrs_info" --arg pkg "$pkg_info" --arg deb "$REMOVED_DEB" \
    --arg sp "/$sp" --arg dp "/$dp" '{
      image: "lab/whiteout:1",
      layers: ["debian base", "python (same blob as lab/python-app:1 layer 2)", "whiteouts"],
      absent: [
        {kind: "python", name: "six", why: "whiteout \($sp)/.wh.\($six) (+ .wh.six.py)"},
        {kind: "python", name: "attrs", why: "opaque \($dp)/.wh..wh..opq hides the lower layer"},
        {kind: "deb", name: $deb, why: "stanza removed from the rewritten /var/lib/dpkg/status; files whited out"}
      ],
      present: [
        {kind: "python", name: "packaging", version: ($pkg | capture("-(?<v>[^-]+)\\.dist-info$").v),
         why: "re-added in \($dp) by the same layer that holds the opaque marker"},
        {kind: "python", name: "requests", version: "2.32.3"},
        {kind: "python", name: "charset-normalizer", version: "3.4.0"},
        {kind: "python", name: "typing-extensions", version: "4.12.2"},
        {kind: "python", name: "jaraco-classes", version: "3.4.0"},
        {kind: "deb", name: "bash"},
        {kind: "deb", name: "apt"},
        {kind: "deb", name: "base-files"}
      ]
    }' >"$STATE/expect/whiteout.json"
}

build_layer_bad() {
  local out=$STATE/layers j
  log "writing bad layers (traversal, bomb, truncated, digest-pair)"
  j=$(python3 "$HELPER" traversal "$out/bad-traversal.tar.gz")
  write_layer_meta bad-traversal "$out/bad-traversal.tar.gz" "$MT_GZIP" "$(jq -r .diff_id <<<"$j")" \
    "/bin/sh -c # entries ../../../tmp/plimsoll-evil, /tmp/plimsoll-evil-abs, symlink+file, hardlink escape"
  j=$(python3 "$HELPER" truncated "$out/bad-truncated.tar.gz")
  write_layer_meta bad-truncated "$out/bad-truncated.tar.gz" "$MT_GZIP" "$(jq -r .diff_id <<<"$j")" \
    "/bin/sh -c # gzip stream cut after $(jq .size <<<"$j") of $(jq .full_size <<<"$j") bytes"
  j=$(python3 "$HELPER" digest-pair "$out/bad-digest.tar.gz" "$out/bad-digest.evil")
  write_layer_meta bad-digest "$out/bad-digest.tar.gz" "$MT_GZIP" "$(jq -r .diff_id <<<"$j")" \
    "/bin/sh -c # blob replaced in registry storage by same-length different bytes"
  j=$(python3 "$HELPER" bomb "$out/bad-bomb.tar.gz")
  write_layer_meta bad-bomb "$out/bad-bomb.tar.gz" "$MT_GZIP" "$(jq -r .diff_id <<<"$j")" \
    "/bin/sh -c head -c 1G /dev/zero > /var/lib/dpkg/status"
  stamp_set bad-layers
}

# ----------------------------------------------------------------------------- OCI layouts
oci_init() { # DIR
  safe_rm "$1"
  mkdir -p "$1/blobs/sha256"
  printf '{"imageLayoutVersion":"1.0.0"}' >"$1/oci-layout"
}
oci_put_file() { # DIR FILE -> descriptor digest
  local hex; hex=$(sha256_of "$2")
  [[ -f $1/blobs/sha256/$hex ]] || ln "$2" "$1/blobs/sha256/$hex" 2>/dev/null || cp "$2" "$1/blobs/sha256/$hex"
  echo "sha256:$hex"
}
oci_put_json() { # DIR JSON MEDIATYPE -> prints descriptor JSON
  local tmp d
  tmp=$(mktemp "$STATE/tmp/json.XXXXXX")
  jq -cj . <<<"$2" >"$tmp"
  d=$(oci_put_file "$1" "$tmp")
  jq -cn --arg mt "$3" --arg d "$d" --argjson s "$(size_of "$tmp")" '{mediaType: $mt, digest: $d, size: $s}'
  rm -f "$tmp"
}
oci_tag() { # DIR TAG DESCRIPTOR_JSON
  jq -n --arg tag "$2" --argjson desc "$3" '{schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json",
    manifests: [$desc + {annotations: {"org.opencontainers.image.ref.name": $tag}}]}' >"$1/index.json"
}

# oci_manifest DIR ARCH VARIANT LAYERNAME... -> prints manifest descriptor JSON (with platform)
oci_manifest() {
  local dir=$1 arch=$2 variant=$3 l metas config cdesc mdesc
  shift 3
  metas=$(for l in "$@"; do layer_meta "$l"; done | jq -s .)
  for l in "$@"; do oci_put_file "$dir" "$STATE/layers/$(jq -r .file "$STATE/layers/$l.json")" >/dev/null; done
  config=$(jq -n --arg arch "$arch" --arg variant "$variant" --arg created "$CREATED" --arg path "$PATH_ENV" \
    --argjson layers "$metas" '{
      created: $created, architecture: $arch} + (if $variant != "" then {variant: $variant} else {} end) + {
      os: "linux",
      config: {Env: [$path], Cmd: ["bash"], Labels: {"org.opencontainers.image.vendor": "plimsoll test harness"}},
      rootfs: {type: "layers", diff_ids: [$layers[].diff_id]},
      history: ([$layers[] | {created: $created, created_by: .created_by}] as $h
        | [$h[0], {created: $created, created_by: "/bin/sh -c #(nop)  CMD [\"bash\"]", empty_layer: true}] + $h[1:])
    }')
  cdesc=$(oci_put_json "$dir" "$config" "$MT_OCI_CONFIG")
  mdesc=$(oci_put_json "$dir" "$(jq -n --argjson c "$cdesc" --argjson layers "$metas" --arg mt "$MT_OCI_MANIFEST" \
    '{schemaVersion: 2, mediaType: $mt, config: $c, layers: [$layers[] | {mediaType, digest, size}]}')" "$MT_OCI_MANIFEST")
  jq -cn --argjson d "$mdesc" --arg arch "$arch" --arg variant "$variant" \
    '$d + {platform: ({architecture: $arch, os: "linux"} + (if $variant != "" then {variant: $variant} else {} end))}'
}

# build_image NAME TAG LAYERNAME...  (linux/amd64) -> $STATE/oci/NAME with tag TAG
build_image() {
  local name=$1 tag=$2 dir=$STATE/oci/$1 key desc
  shift 2
  key="$tag $(for l in "$@"; do jq -r .digest "$STATE/layers/$l.json"; done | tr '\n' ' ')"
  if stamp_ok "image-$name" "$key" && [[ -f $dir/index.json ]]; then return 0; fi
  log "writing OCI layout oci/$name:$tag ($# layers)"
  oci_init "$dir"
  desc=$(oci_manifest "$dir" amd64 "" "$@")
  oci_tag "$dir" "$tag" "$(jq -c 'del(.platform)' <<<"$desc")"
  stamp_set "image-$name" "$key"
}

build_image_multiarch() {
  local dir=$STATE/oci/multiarch key amd arm idesc
  key="1 $(jq -r .digest "$STATE/layers/debian.json") $(jq -r .digest "$STATE/layers/debian-arm64.json")"
  if stamp_ok image-multiarch "$key" && [[ -f $dir/index.json ]]; then return 0; fi
  log "writing OCI layout oci/multiarch:1 (index: linux/amd64 + linux/arm64/v8)"
  oci_init "$dir"
  amd=$(oci_manifest "$dir" amd64 "" debian)
  arm=$(oci_manifest "$dir" arm64 v8 debian-arm64)
  idesc=$(oci_put_json "$dir" "$(jq -n --argjson a "$amd" --argjson b "$arm" --arg mt "$MT_OCI_INDEX" \
    '{schemaVersion: 2, mediaType: $mt, manifests: [$a, $b]}')" "$MT_OCI_INDEX")
  oci_tag "$dir" 1 "$idesc"
  mkdir -p "$STATE/expect"
  jq -n --argjson a "$amd" --argjson b "$arm" --argjson i "$idesc" --arg s "$STATE" '{
    image: "lab/multiarch:1",
    index: {mediaType: $i.mediaType, digest: $i.digest},
    platforms: [
      {os: "linux", architecture: "amd64", manifest: $a.digest, deb_architecture: "amd64",
       allowed_deb_architectures: ["amd64", "all"], dpkg_admindir: "\($s)/rootfs/debian/var/lib/dpkg"},
      {os: "linux", architecture: "arm64", variant: "v8", manifest: $b.digest, deb_architecture: "arm64",
       allowed_deb_architectures: ["arm64", "all"], dpkg_admindir: "\($s)/rootfs/debian-arm64/var/lib/dpkg"}
    ]}' >"$STATE/expect/multiarch.json"
  stamp_set image-multiarch "$key"
}

local_digest() { jq -r '.manifests[0].digest' "$STATE/oci/$1/index.json"; }

# ----------------------------------------------------------------------------- registries
reg_dir() { echo "$STATE/registry/$1"; }
reg_port() { if [[ $1 == open ]]; then echo "$PORT"; else echo "$AUTH_PORT"; fi; }

reg_pid_alive() { # NAME -> 0 if the pid file names a live docker-registry of ours
  local pf pid
  pf=$(reg_dir "$1")/pid
  [[ -f $pf ]] || return 1
  pid=$(<"$pf")
  [[ $pid =~ ^[0-9]+$ && -r /proc/$pid/cmdline ]] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q "docker-registry serve $(reg_dir "$1")/config.yml"
}

port_busy() { (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null; }

auth_password() {
  local f=$STATE/auth/password
  if [[ ! -s $f ]]; then
    mkdir -p "$STATE/auth"; chmod 700 "$STATE/auth"
    (umask 077; od -An -tx1 -N16 /dev/urandom | tr -d ' \n' >"$f")
  fi
  cat "$f"
}

write_registry_config() { # NAME
  local name=$1 dir port secret
  dir=$(reg_dir "$name"); port=$(reg_port "$name")
  mkdir -p "$dir/data"
  [[ -s $dir/secret ]] || od -An -tx1 -N16 /dev/urandom | tr -d ' \n' >"$dir/secret"
  secret=$(<"$dir/secret")
  {
    echo "version: 0.1"
    echo "log:"
    echo "  level: info"
    echo "  accesslog:"
    echo "    disabled: false"
    echo "storage:"
    echo "  filesystem:"
    echo "    rootdirectory: $dir/data"
    echo "  delete:"
    echo "    enabled: true"
    echo "  maintenance:"
    echo "    uploadpurging:"
    echo "      enabled: false"
    echo "http:"
    echo "  addr: $HOST:$port"
    echo "  secret: $secret"
    echo "  headers:"
    echo "    X-Content-Type-Options: [nosniff]"
    if [[ $name == open ]]; then
      # needed for lab/bad-schema1:1 (Distribution 2.8 rejects schema1 pushes by default)
      echo "compatibility:"
      echo "  schema1:"
      echo "    enabled: true"
    else
      echo "auth:"
      echo "  htpasswd:"
      echo "    realm: plimsoll-test"
      echo "    path: $dir/htpasswd"
    fi
  } >"$dir/config.yml.new"
  if [[ $name == auth ]]; then
    local pw; pw=$(auth_password)
    # keep the bcrypt file if it still matches the password (htpasswd -v checks it)
    if ! { [[ -s $dir/htpasswd ]] && htpasswd -vb "$dir/htpasswd" "$AUTH_USER" "$pw" >/dev/null 2>&1; }; then
      htpasswd -Bbn "$AUTH_USER" "$pw" | sed '/^$/d' >"$dir/htpasswd"
    fi
  fi
  if [[ -f $dir/config.yml ]] && cmp -s "$dir/config.yml" "$dir/config.yml.new"; then
    rm -f "$dir/config.yml.new"; echo same
  else
    mv "$dir/config.yml.new" "$dir/config.yml"; echo changed
  fi
}

wait_registry() { # NAME
  local name=$1 port i code curl_auth=()
  port=$(reg_port "$name")
  [[ $name == auth ]] && curl_auth=(-u "$AUTH_USER:$(auth_password)")
  for ((i = 0; i < 100; i++)); do
    if curl -fsS -o /dev/null "${curl_auth[@]}" "http://$HOST:$port/v2/" 2>/dev/null; then return 0; fi
    reg_pid_alive "$name" || break
    sleep 0.1
  done
  code=$(curl -s -o /dev/null -w '%{http_code}' "${curl_auth[@]}" "http://$HOST:$port/v2/" || true)
  tail -n 20 "$(reg_dir "$name")/registry.log" >&2 || true
  die "$name registry on $HOST:$port did not come up (last /v2/ answer: $code; log: $(reg_dir "$name")/registry.log)"
}

start_registry() { # NAME
  local name=$1 dir port changed
  dir=$(reg_dir "$name"); port=$(reg_port "$name")
  auth_password >/dev/null
  changed=$(write_registry_config "$name")
  if reg_pid_alive "$name"; then
    if [[ $changed == changed ]]; then
      log "$name registry: config changed, restarting"
      stop_registry "$name"
    else
      log "$name registry: reusing pid $(<"$dir/pid") on $HOST:$port"
      wait_registry "$name"
      return 0
    fi
  fi
  if port_busy "$port"; then
    die "port $HOST:$port is already in use by another process (not started by this script). Stop it (e.g. 'systemctl stop docker-registry') or set PLIMSOLL_TEST_$([[ $name == open ]] && echo REGISTRY || echo AUTH_REGISTRY)_PORT"
  fi
  log "$name registry: starting docker-registry on $HOST:$port (storage: $dir/data)"
  rm -f "$dir/pid"
  # sh writes its own pid, then execs the registry: the pid file names the registry process itself.
  # shellcheck disable=SC2016
  # fd 9 (the state lock) is closed for the registry, or it would hold the lock for as long as
  # it runs and a later `down` would wait on it forever.
  nohup setsid sh -c 'echo $$ >"$1"; exec docker-registry serve "$2"' sh "$dir/pid" "$dir/config.yml" \
    >>"$dir/registry.log" 2>&1 </dev/null 9>&- &
  local i
  for ((i = 0; i < 50; i++)); do [[ -s $dir/pid ]] && break; sleep 0.05; done
  wait_registry "$name"
  log "$name registry: up (pid $(<"$dir/pid"))"
}

stop_registry() { # NAME
  local name=$1 dir pid i
  dir=$(reg_dir "$name")
  if ! reg_pid_alive "$name"; then
    [[ -f $dir/pid ]] && { log "$name registry: stale pid file removed"; rm -f "$dir/pid"; }
    return 0
  fi
  pid=$(<"$dir/pid")
  log "$name registry: stopping pid $pid"
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then warn "$name registry did not stop on TERM; killing"; kill -KILL "$pid" 2>/dev/null || true; fi
  rm -f "$dir/pid"
}

# ----------------------------------------------------------------------------- pushing
ACCEPT_ALL="application/vnd.oci.image.index.v1+json,application/vnd.oci.image.manifest.v1+json,application/vnd.docker.distribution.manifest.list.v2+json,application/vnd.docker.distribution.manifest.v2+json,application/vnd.docker.distribution.manifest.v1+prettyjws,application/vnd.docker.distribution.manifest.v1+json"

remote_digest() { # REG_NAME REPO TAG
  local port auth=()
  port=$(reg_port "$1")
  [[ $1 == auth ]] && auth=(-u "$AUTH_USER:$(auth_password)")
  curl -fsS -I "${auth[@]}" -H "Accept: $ACCEPT_ALL" "http://$HOST:$port/v2/$2/manifests/$3" 2>/dev/null |
    tr -d '\r' | awk -F': ' 'tolower($1) == "docker-content-digest" {print $2}'
}

# push LAYOUT REG_NAME REPO TAG MODE   (MODE: oci | v2s2 | index | v2s1)
push() {
  local layout=$1 reg=$2 repo=$3 tag=$4 mode=$5 port ldig stampf rdig args=()
  port=$(reg_port "$reg")
  ldig="$mode $(local_digest "$layout")"
  stampf=$STATE/pushed/$reg.${repo//\//_}.$tag
  if [[ -f $stampf ]] && [[ $(sed -n 1p "$stampf") == "$BUILD_VERSION $ldig" ]]; then
    rdig=$(remote_digest "$reg" "$repo" "$tag" || true)
    if [[ -n $rdig && $rdig == "$(sed -n 2p "$stampf")" ]]; then return 0; fi
  fi
  case $mode in
    oci) args=(--preserve-digests --format oci) ;;
    index) args=(--all --preserve-digests) ;;
    v2s2) args=(--format v2s2) ;;
    v2s1) args=(--format v2s1) ;;
    *) die "push: unknown mode $mode" ;;
  esac
  [[ $reg == auth ]] && args+=(--dest-creds "$AUTH_USER:$(auth_password)")
  log "pushing $repo:$tag to $HOST:$port ($mode)"
  skopeo --insecure-policy copy --quiet --dest-tls-verify=false "${args[@]}" \
    "oci:$STATE/oci/$layout:$tag" "docker://$HOST:$port/$repo:$tag" ||
    die "skopeo copy oci:$STATE/oci/$layout:$tag -> $HOST:$port/$repo:$tag failed"
  rdig=$(remote_digest "$reg" "$repo" "$tag" || true)
  [[ -n $rdig ]] || die "$repo:$tag not found on $HOST:$port after the push"
  if [[ $mode == oci || $mode == index ]] && [[ $rdig != "$(local_digest "$layout")" ]]; then
    die "$repo:$tag: registry digest $rdig != local $(local_digest "$layout")"
  fi
  mkdir -p "$STATE/pushed"
  printf '%s\n%s\n' "$BUILD_VERSION $ldig" "$rdig" >"$stampf"
}

# Replace the bad-digest layer's bytes inside the registry storage (same length, other content).
corrupt_bad_digest() {
  local digest hex data
  digest=$(jq -r .digest "$STATE/layers/bad-digest.json"); hex=${digest#sha256:}
  data=$(reg_dir open)/data/docker/registry/v2/blobs/sha256/${hex:0:2}/$hex/data
  [[ -f $data ]] || die "bad-digest blob not found in registry storage: $data"
  if [[ $(sha256_of "$data") == "$hex" ]]; then
    [[ $(size_of "$data") == "$(size_of "$STATE/layers/bad-digest.evil")" ]] || die "bad-digest: evil blob has another length"
    log "bad-digest: overwriting blob $digest in registry storage with same-length different bytes"
    cat "$STATE/layers/bad-digest.evil" >"$data"
  fi
}

# Try a schema1 signed manifest; Distribution 2.8 only accepts it with compatibility.schema1.enabled.
push_schema1() {
  local port out
  port=$(reg_port open)
  if [[ -f $STATE/pushed/open.lab_bad-schema1.1 ]] && [[ -n $(remote_digest open lab/bad-schema1 1 || true) ]]; then return 0; fi
  log "pushing lab/bad-schema1:1 as a signed schema1 manifest (skopeo --format v2s1)"
  if out=$(skopeo --insecure-policy copy --quiet --dest-tls-verify=false --format v2s1 \
    "oci:$STATE/oci/schema1:1" "docker://$HOST:$port/lab/bad-schema1:1" 2>&1); then
    mkdir -p "$STATE/pushed"
    printf '%s\n%s\n' "$BUILD_VERSION v2s1" "$(remote_digest open lab/bad-schema1 1)" >"$STATE/pushed/open.lab_bad-schema1.1"
    rm -f "$STATE/expect/schema1-skipped"
  else
    warn "registry refused the schema1 manifest; lab/bad-schema1:1 skipped: $out"
    mkdir -p "$STATE/expect"; printf '%s\n' "$out" >"$STATE/expect/schema1-skipped"
  fi
}

# ----------------------------------------------------------------------------- expect + env
write_expect_python() {
  stamp_ok expect-python "$(jq -r .digest "$STATE/layers/python.json")" && [[ -f $STATE/expect/python-app.json ]] && return 0
  mkdir -p "$STATE/expect"
  jq -n --argjson site "$(python3 -m pip list --disable-pip-version-check --path "$STATE/python/site" --format json)" \
    --argjson dist "$(python3 -m pip list --disable-pip-version-check --path "$STATE/python/dist" --format json)" \
    --arg sp "/usr/local/lib/python$PYVER/site-packages" '{
      image: "lab/python-app:1",
      oracle: "python3 -m pip list --path $PLIMSOLL_TEST_DIR/python/site --path $PLIMSOLL_TEST_DIR/python/dist --format json",
      packages: ([$site[] | . + {location: $sp}] + [$dist[] | . + {location: "/usr/lib/python3/dist-packages"}])
    }' >"$STATE/expect/python-app.json"
  stamp_set expect-python "$(jq -r .digest "$STATE/layers/python.json")"
}

write_expect_bad() {
  mkdir -p "$STATE/expect"
  jq -n --argjson t "$(layer_meta bad-truncated)" --argjson tr "$(layer_meta bad-traversal)" \
    --argjson b "$(layer_meta bad-bomb)" --argjson d "$(layer_meta bad-digest)" \
    --arg evil "sha256:$(sha256_of "$STATE/layers/bad-digest.evil")" \
    --argjson s1 "$([[ -f $STATE/expect/schema1-skipped ]] && echo false || echo true)" '{
    "lab/bad-truncated:1": {layer: $t.digest, problem: "gzip stream ends early (digest matches the truncated bytes)"},
    "lab/bad-traversal:1": {layer: $tr.digest, problem: "tar entries escaping the root",
      evil_entries: ["../../../tmp/plimsoll-evil", "/tmp/plimsoll-evil-abs",
        "usr/evil-link -> ../../../../../../tmp (symlink) then usr/evil-link/plimsoll-evil-link",
        "etc/evil-hardlink (hardlink to ../../../../../../etc/hostname)"],
      must_not_exist: ["/tmp/plimsoll-evil", "/tmp/plimsoll-evil-abs", "/tmp/plimsoll-evil-link"],
      harmless_package: {kind: "deb", name: "plimsoll-traversal-ok", version: "1.0"}},
    "lab/bad-bomb:1": {layer: $b.digest, compressed_size: $b.size,
      problem: "one 1 GiB file of zeros at var/lib/dpkg/status"},
    "lab/bad-digest:1": {layer: $d.digest, served_sha256: $evil,
      problem: "registry serves a valid gzip tar of the same length whose sha256 is not the digest",
      good_package: "plimsoll-good", tampered_package: "plimsoll-evil"},
    "lab/bad-schema1:1": {pushed: $s1, problem: "Docker schema1 signed manifest (application/vnd.docker.distribution.manifest.v1+prettyjws)"}
  }' >"$STATE/expect/bad.json"
}

write_expect_images() {
  local out=$STATE/expect/images.json.new f
  {
    for f in "$STATE"/pushed/*; do
      [[ -f $f ]] || continue
      jq -n --arg f "${f##*/}" --arg mode "$(sed -n 1p "$f" | awk '{print $2}')" --arg digest "$(sed -n 2p "$f")" \
        --arg open "$HOST:$PORT" --arg auth "$HOST:$AUTH_PORT" \
        '($f | capture("^(?<reg>[^.]+)\\.(?<repo>.+)\\.(?<tag>[^.]+)$")) as $m |
         {ref: "\(if $m.reg == "open" then $open else $auth end)/\($m.repo | sub("_"; "/")):\($m.tag)",
          format: $mode, digest: $digest}'
    done
  } | jq -s 'sort_by(.ref)' >"$out"
  mv "$out" "$STATE/expect/images.json"
}

write_env() {
  local f=$STATE/env pw
  pw=$(auth_password)
  {
    echo "# generated by scripts/test-registry.sh; source it"
    printf 'export PLIMSOLL_TEST_DIR=%q\n' "$STATE"
    printf 'export PLIMSOLL_TEST_REGISTRY=%q\n' "$HOST:$PORT"
    printf 'export PLIMSOLL_TEST_AUTH_REGISTRY=%q\n' "$HOST:$AUTH_PORT"
    printf 'export PLIMSOLL_TEST_AUTH_USER=%q\n' "$AUTH_USER"
    printf 'export PLIMSOLL_TEST_AUTH_PASSWORD=%q\n' "$pw"
    printf 'export PLIMSOLL_TEST_DEBIAN_ROOTFS=%q\n' "$STATE/rootfs/debian"
    printf 'export PLIMSOLL_TEST_ARM64_ROOTFS=%q\n' "$STATE/rootfs/debian-arm64"
    printf 'export PLIMSOLL_TEST_PYTHON_SITE=%q\n' "$STATE/python/site"
    printf 'export PLIMSOLL_TEST_PYTHON_DIST=%q\n' "$STATE/python/dist"
    printf 'export PLIMSOLL_TEST_NODE_APP=%q\n' "$STATE/node-app"
    printf 'export PLIMSOLL_TEST_OCI_LAYOUT=%q\n' "$STATE/oci/python-app"
    printf 'export PLIMSOLL_TEST_DOCKER_ARCHIVE=%q\n' "$STATE/python-app.docker.tar"
    printf 'export PLIMSOLL_TEST_EXPECT=%q\n' "$STATE/expect"
  } >"$f.new"
  chmod 600 "$f.new"; mv "$f.new" "$f"
}

# ----------------------------------------------------------------------------- commands
# One up/down/clean at a time per state dir.
lock_state() {
  [[ -n ${LOCKED:-} ]] && return 0
  exec 9>"$STATE/.lock"
  if ! flock -n 9; then
    log "waiting for another test-registry.sh on $STATE"
    flock 9
  fi
  LOCKED=1
}

cmd_up() {
  local t0=$SECONDS
  mkdir -p "$STATE"
  STATE=$(cd "$STATE" && pwd)
  mkdir -p "$STATE/tmp" "$STATE/logs" "$STATE/layers" "$STATE/oci" "$STATE/expect"
  lock_state
  rm -rf "${STATE:?}"/tmp/*
  ensure_tools
  [[ -f $HELPER ]] || die "missing $HELPER"

  start_registry open
  start_registry auth

  # 1. sources (network-bound: run the small ones in the background while debootstrap runs)
  if ! stamp_ok rootfs-arm64 || [[ ! -s $STATE/rootfs/debian-arm64/var/lib/dpkg/status ]]; then
    need_root "building the arm64 rootfs"; stamp_del rootfs-arm64; rm -f "$STATE"/layers/debian-arm64.*
    bg_start rootfs-arm64 build_rootfs_arm64
  fi
  if ! stamp_ok python || [[ ! -d $STATE/python/site ]]; then
    stamp_del python; rm -f "$STATE"/layers/python.* "$STATE"/layers/whiteout.*
    bg_start python build_python
  fi
  if ! stamp_ok node || [[ ! -f $STATE/node-app/package-lock.json ]]; then
    stamp_del node; rm -f "$STATE"/layers/node.*
    bg_start node build_node
  fi
  if ! stamp_ok rootfs-debian || [[ ! -s $STATE/rootfs/debian/var/lib/dpkg/status ]]; then
    need_root "debootstrap"; stamp_del rootfs-debian
    rm -f "$STATE"/layers/debian.* "$STATE"/layers/debian-zstd.* "$STATE"/layers/whiteout.*
    build_rootfs_debian
  fi
  bg_wait

  # 2. layers (CPU-bound; two at a time on two cores)
  if ! { layer_have bad-bomb && layer_have bad-digest && layer_have bad-traversal && layer_have bad-truncated &&
    stamp_ok bad-layers; }; then
    bg_start bad-layers build_layer_bad
  fi
  if ! layer_have debian-arm64; then
    bg_start layer-debian-arm64 layer_from_dir debian-arm64 "$STATE/rootfs/debian-arm64" \
      "debootstrap --foreign --arch=arm64 --variant=minbase $SUITE / (+ dpkg status written from the .debs)"
  fi
  if ! { layer_have debian && layer_have debian-zstd; }; then
    layer_from_dir debian "$STATE/rootfs/debian" "debootstrap --variant=minbase $SUITE /" zstd
  fi
  if ! layer_have python; then build_layer_python; fi
  if ! layer_have node; then build_layer_node; fi
  if ! { layer_have whiteout && [[ -f $STATE/expect/whiteout.json ]]; }; then build_layer_whiteout; fi
  bg_wait

  # 3. OCI layouts
  build_image debian 12 debian
  build_image python-app 1 debian python
  build_image node-app 1 debian node
  build_image whiteout 1 debian python whiteout
  build_image zstd 1 debian-zstd
  build_image private 1 debian
  build_image schema1 1 debian
  build_image bad-truncated 1 bad-truncated
  build_image bad-traversal 1 bad-traversal
  build_image bad-bomb 1 bad-bomb
  build_image bad-digest 1 bad-digest
  build_image_multiarch

  # 4. push
  push debian open lab/debian 12 v2s2
  push python-app open lab/python-app 1 oci
  push node-app open lab/node-app 1 v2s2
  push whiteout open lab/whiteout 1 oci
  push zstd open lab/zstd 1 oci
  push multiarch open lab/multiarch 1 index
  push private auth lab/private 1 v2s2
  push bad-truncated open lab/bad-truncated 1 oci
  push bad-traversal open lab/bad-traversal 1 oci
  push bad-bomb open lab/bad-bomb 1 oci
  push bad-digest open lab/bad-digest 1 oci
  corrupt_bad_digest
  push_schema1

  # 5. local (non-registry) copies
  local key; key=$(local_digest python-app)
  if ! stamp_ok docker-archive "$key" || [[ ! -f $STATE/python-app.docker.tar ]]; then
    log "writing docker-archive python-app.docker.tar"
    rm -f "$STATE/python-app.docker.tar"
    skopeo --insecure-policy copy --quiet "oci:$STATE/oci/python-app:1" \
      "docker-archive:$STATE/python-app.docker.tar:lab/python-app:1" || die "docker-archive copy failed"
    stamp_set docker-archive "$key"
  fi

  # 6. expect files + env
  write_expect_python
  write_expect_bad
  write_expect_images
  write_env
  rm -rf "${STATE:?}"/tmp/*
  log "ready in $((SECONDS - t0)) s: open registry $HOST:$PORT, auth registry $HOST:$AUTH_PORT; source $STATE/env"
}

cmd_down() {
  [[ -d $STATE ]] || { log "nothing to stop ($STATE does not exist)"; return 0; }
  lock_state
  stop_registry open
  stop_registry auth
}

cmd_clean() {
  cmd_down
  log "removing $STATE"
  safe_rm "$STATE"
}

cmd_env() {
  [[ -f $STATE/env ]] || die "$STATE/env does not exist: run '$0 up' first"
  cat "$STATE/env"
}

cmd_status() {
  local name
  for name in open auth; do
    if reg_pid_alive "$name"; then
      echo "$name registry: running, pid $(<"$(reg_dir "$name")/pid"), $HOST:$(reg_port "$name")"
    else
      echo "$name registry: not running"
    fi
  done
}

usage() { sed -n '2,/^set -Eeuo/{/^set/d;s/^# \{0,1\}//;p}' "$0"; }

case ${1:-} in
  up) cmd_up ;;
  down) cmd_down ;;
  clean) cmd_clean ;;
  env) cmd_env ;;
  status) cmd_status ;;
  -h | --help | help) usage ;;
  *) usage >&2; exit 2 ;;
esac
