#!/usr/bin/env bash
# Oracle tools and fixtures of the rpm cataloger (crates/plimsoll-catalog/src/rpm/,
# tests/it/rpm_oracle.rs):
#
#   - Debian's `rpm` (4.18: rpmbuild, rpm, rpmdb; backends sqlite and bdb_ro), `db5.3-util`
#     (db5.3_load, to write a Berkeley DB hash file), `sqlite3` and `gnupg`;
#   - under $PLIMSOLL_TOOLS_DIR/rpm/: three tiny packages built with `rpmbuild -bb` from the specs
#     below (an Epoch and a subpackage, a zero Epoch, a noarch one with a Vendor), installed with
#     `rpm -i --justdb` into a fresh SQLite rpmdb together with a `gpg-pubkey` pseudo-package
#     (`rpm --import`), and the same header blobs loaded into Berkeley DB hash files with
#     `db5.3_load` as hash databases (4096- and 512-byte pages; 512 with page checksums;
#     512 big-endian), keyed as rpm's BDB backend keys them:
#     the install number as 4 native-endian bytes, plus rpm's key-0 record.
#
# The checked-in fixtures (crates/plimsoll-catalog/testdata/rpm/) were made by this script;
# crates/plimsoll-catalog/testdata/README.md says how. Exports:
#
#   PLIMSOLL_TOOLS_RPM       the rpm binary, run by the oracle test (`rpm -qa --dbpath`)
#   PLIMSOLL_TOOLS_RPMDBS    the generated cases, each `<case>/var/lib/rpm/…`
set -euo pipefail

tools_dir="${PLIMSOLL_TOOLS_DIR:?set PLIMSOLL_TOOLS_DIR}"
dir="$tools_dir/rpm"
mkdir -p "$dir"

need=()
command -v rpmbuild >/dev/null || need+=(rpm)
command -v db5.3_load >/dev/null || need+=(db5.3-util)
command -v sqlite3 >/dev/null || need+=(sqlite3)
command -v gpg >/dev/null || need+=(gnupg)
if ((${#need[@]})); then
  echo "==> apt-get install ${need[*]}" >&2
  sudo_cmd=(); [[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get install -y -qq "${need[@]}" >&2 \
    || { "${sudo_cmd[@]}" apt-get update -qq >&2 && "${sudo_cmd[@]}" apt-get install -y -qq "${need[@]}" >&2; }
fi

# Bump when the cases below change, so an old tools dir is rebuilt.
stamp="v8"
if [[ "$(cat "$dir/.done" 2>/dev/null)" != "$stamp" ]]; then
  echo "==> rpm fixtures in $dir" >&2
  rm -rf "$dir/build" "$dir/cases" "$dir/gnupg"
  mkdir -p "$dir/build/SPECS" "$dir/cases"
  specs="$dir/build/SPECS"

  cat >"$specs/plimsoll-epoch.spec" <<'EOF'
%define debug_package %{nil}
Name: plimsoll-epoch
Epoch: 2
Version: 3.1.4
Release: 5.fc40
Summary: Test package with an epoch and a subpackage
License: GPL-2.0-or-later AND LGPL-2.1-only
%description
Test package.
%package -n libplimsoll-epoch
Summary: Subpackage of plimsoll-epoch
%description -n libplimsoll-epoch
Subpackage.
%files
%files -n libplimsoll-epoch
EOF
  cat >"$specs/plimsoll-zero.spec" <<'EOF'
%define debug_package %{nil}
Name: plimsoll-zero
Epoch: 0
Version: 0.9
Release: 1.el9
Summary: Test package with a zero epoch
License: Apache-2.0
%description
Test package.
%files
EOF
  cat >"$specs/plimsoll-noarch.spec" <<'EOF'
%define debug_package %{nil}
Name: plimsoll-noarch
Version: 1.0
Release: 1.el9_3
Summary: Test package, noarch, with a vendor
License: MIT
Vendor: Plimsoll Test
BuildArch: noarch
%description
Test package.
%files
EOF
  for spec in "$specs"/*.spec; do
    rpmbuild --quiet --define "_topdir $dir/build" --define '_build_id_links none' \
      -bb "$spec" >&2
  done

  # A throwaway OpenPGP key, imported as rpm's gpg-pubkey pseudo-package.
  export GNUPGHOME="$dir/gnupg"
  mkdir -m 700 -p "$GNUPGHOME"
  gpg --batch --quiet --passphrase '' --quick-gen-key 'Plimsoll Test <test@example.invalid>' \
    ed25519 sign never 2>/dev/null
  gpg --batch --quiet --armor --export >"$dir/build/pubkey.asc"

  db="$dir/cases/sqlite/var/lib/rpm"
  mkdir -p "$db"
  rpm --dbpath "$db" --initdb
  rpm --dbpath "$db" -i --justdb --nodeps --ignorearch --ignoreos --nosignature \
    "$dir"/build/RPMS/*/*.rpm >&2
  rpm --dbpath "$db" --import "$dir/build/pubkey.asc" >&2
  # Fold any WAL into the main file: the cataloger reads the one file.
  sqlite3 "$db/rpmdb.sqlite" 'PRAGMA wal_checkpoint(TRUNCATE);' >/dev/null
  # Small enough to check in: rpm's 4096-byte pages hold ~40 nearly empty index tables (224 KB);
  # 512-byte pages make it ~40 KB. Same rows, still WAL mode as rpm leaves it.
  sqlite3 "$db/rpmdb.sqlite" \
    'PRAGMA journal_mode=DELETE; PRAGMA page_size=512; VACUUM; PRAGMA journal_mode=WAL;' >/dev/null
  rm -f "$db/rpmdb.sqlite-wal" "$db/rpmdb.sqlite-shm" "$db/.rpm.lock"

  # Berkeley DB hash files with the same header blobs: db5.3_load's bytevalue format, keys as
  # rpm's BDB backend writes them (the install number, 4 bytes in the machine's byte order; key
  # 0 holds the next install number). Cases: name, page size, extra dump-header line, byte order
  # (`<` little-endian as on amd64, `>` big-endian as on s390x/ppc64, loaded with db_lorder),
  # records (the headers repeated under new install numbers up to that count: `bdb-many` makes
  # the hash split into hundreds of buckets; it is too big to check in and lives here only).
  for case in 'bdb:4096::<:0' 'bdb-small-pages:512::<:0' 'bdb-checksum:512:chksum=1:<:0' \
    'bdb-big-endian:512::>:0' 'bdb-many:4096:h_ffactor=4:<:600'; do
    IFS=: read -r name pagesize extra order records <<<"$case"
    bdb="$dir/cases/$name/var/lib/rpm"
    mkdir -p "$bdb"
    {
      printf 'VERSION=3\nformat=bytevalue\ntype=hash\ndb_pagesize=%s\n' "$pagesize"
      if [[ -n $extra ]]; then printf '%s\n' "$extra"; fi
      printf 'HEADER=END\n'
      sqlite3 "$db/rpmdb.sqlite" 'SELECT hnum, hex(blob) FROM Packages ORDER BY hnum' \
        | python3 -c '
import struct, sys
order, records = sys.argv[1], int(sys.argv[2])
rows = [l.strip().split("|") for l in sys.stdin]
rows = [(int(h), b.lower()) for h, b in rows]
while len(rows) < records:
    rows.append((len(rows) + 1, rows[len(rows) % 5][1]))
for hnum, blob in rows:
    print(" " + struct.pack(order + "I", hnum).hex())
    print(" " + blob)
print(" 00000000")
print(" " + struct.pack(order + "I", max(h for h, _ in rows) + 1).hex())
' "$order" "$records"
      printf 'DATA=END\n'
    } >"$dir/build/$name.dump"
    lorder=1234
    [[ $order == '>' ]] && lorder=4321
    db5.3_load -c "db_lorder=$lorder" -f "$dir/build/$name.dump" "$bdb/Packages"
  done

  # NDB (rpm's own format, lib/backend/ndb/rpmpkg.c): Debian's rpm is built without it, so no
  # real tool writes one here. This writer lays the same blobs out as rpmpkgPut does: a 32-byte
  # header (`RpmP`, version 0, generation, slot pages, next index), one 4096-byte page of
  # 16-byte slots (`Slot`, index, block offset, block count), then per package a blob of 16-byte
  # blocks: `BlbS` head (magic, index, time, length), the header, zero padding and the tail
  # (Adler-32 of head + header + padding, length, `BlbE`). All little-endian.
  ndb="$dir/cases/ndb/usr/lib/sysimage/rpm"
  mkdir -p "$ndb"
  sqlite3 "$db/rpmdb.sqlite" 'SELECT hnum, hex(blob) FROM Packages ORDER BY hnum' \
    | python3 -c '
import struct, sys, zlib
rows = [(int(h), bytes.fromhex(x)) for h, x in (l.strip().split("|") for l in sys.stdin)]
slots, blobs, blk = [], b"", 4096 // 16
for idx, hdr in rows:
    head = struct.pack("<4I", 0x53626C42, idx, 1700000000, len(hdr))
    cnt = (16 + len(hdr) + 12 + 15) // 16
    body = head + hdr + bytes(cnt * 16 - 16 - len(hdr) - 12)
    blobs += body + struct.pack("<3I", zlib.adler32(body), len(hdr), 0x45626C42)
    slots.append(struct.pack("<4I", 0x746F6C53, idx, blk, cnt))
    blk += cnt
page = struct.pack("<5I", 0x506D7052, 0, len(rows), 1, rows[-1][0] + 1) + bytes(12)
page += b"".join(slots)
page += struct.pack("<4I", 0x746F6C53, 0, 0, 0) * ((4096 - len(page)) // 16)
sys.stdout.buffer.write(page + blobs)
' >"$ndb/Packages.db"

  for case in "$dir"/cases/*; do
    # rpm's bdb_ro refuses page checksums ("error reading Packages database"): rpm never wrote
    # them, so that case is only compared with the others' packages.
    [[ $case == */bdb-checksum ]] && continue
    backend=sqlite dbpath="$case/var/lib/rpm"
    [[ -f "$case/var/lib/rpm/Packages" ]] && backend=bdb_ro
    # No ndb backend in Debian's rpm: the ndb case holds the SQLite case's headers.
    [[ -d "$case/usr/lib/sysimage/rpm" ]] && dbpath="$db"
    rpm --dbpath "$dbpath" --define "_db_backend $backend" -qa \
      --qf '%{NAME}|%{EPOCH}|%{VERSION}|%{RELEASE}|%{ARCH}|%{SOURCERPM}|%{LICENSE}\n' \
      2>/dev/null | sort >"$case/rpm-qa.txt"
  done
  rm -f "$db/rpmdb.sqlite-wal" "$db/rpmdb.sqlite-shm" "$db/.rpm.lock"
  echo "$stamp" >"$dir/.done"
fi
echo "    $(wc -l <"$dir/cases/sqlite/rpm-qa.txt") packages in each rpmdb under $dir/cases" >&2

echo "export PLIMSOLL_TOOLS_RPM=$(command -v rpm)"
echo "export PLIMSOLL_TOOLS_RPMDBS=$dir/cases"
