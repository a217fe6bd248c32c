#!/usr/bin/env python3
"""Write the deliberately broken layer blobs used by scripts/test-registry.sh.

Every subcommand writes a gzip-compressed tar blob and prints one JSON object on stdout:
    {"diff_id": "sha256:...", "digest": "sha256:...", "size": N}
where `digest`/`size` describe the blob as written (what goes into the manifest) and `diff_id` is the
sha256 of the *intended* uncompressed tar (what goes into the config's rootfs.diff_ids).

Everything is deterministic: fixed mtimes, numeric owners 0/0, no gzip file name or timestamp.

  traversal OUT          tar with path-traversal entries (../, absolute, symlink and hardlink escapes)
  bomb OUT               tar with one 1 GiB file of zeros (streamed, never written uncompressed)
  truncated OUT          a unique ~3 MiB tar.gz, cut in the middle of the compressed stream
  digest-pair GOOD EVIL  two valid tar.gz blobs of identical length but different content
"""
import hashlib
import io
import json
import sys
import tarfile
import zlib

MTIME = 1704067200  # 2024-01-01T00:00:00Z, same epoch as the shell script
GIB = 1 << 30


class GzipHashWriter:
    """File-like sink: hashes the uncompressed stream, gzip-compresses it, hashes the output."""

    def __init__(self, path, level=9):
        self.out = open(path, "wb")
        # wbits=31 -> gzip container with mtime 0, no file name: deterministic.
        self.comp = zlib.compressobj(level, zlib.DEFLATED, 31)
        self.raw_sha = hashlib.sha256()
        self.blob_sha = hashlib.sha256()
        self.size = 0

    def _emit(self, data):
        if data:
            self.out.write(data)
            self.blob_sha.update(data)
            self.size += len(data)

    def write(self, data):
        self.raw_sha.update(data)
        self._emit(self.comp.compress(data))
        return len(data)

    def close(self):
        self._emit(self.comp.flush())
        self.out.close()
        return {
            "diff_id": "sha256:" + self.raw_sha.hexdigest(),
            "digest": "sha256:" + self.blob_sha.hexdigest(),
            "size": self.size,
        }


class Zeros(io.RawIOBase):
    def readinto(self, b):
        n = len(b)
        b[:n] = bytes(n)
        return n

    def read(self, n=-1):
        return bytes(n)


def info(name, size=0, typ=tarfile.REGTYPE, mode=0o644, linkname=""):
    ti = tarfile.TarInfo(name)
    ti.size = size
    ti.type = typ
    ti.mode = mode
    ti.mtime = MTIME
    ti.uid = ti.gid = 0
    ti.uname = ti.gname = ""
    ti.linkname = linkname
    return ti


def add_dir(tf, name, mode=0o755):
    tf.addfile(info(name, typ=tarfile.DIRTYPE, mode=mode))


def add_file(tf, name, data, mode=0o644):
    tf.addfile(info(name, size=len(data), mode=mode), io.BytesIO(data))


def status_stanza(pkg, version, desc):
    return (
        f"Package: {pkg}\nStatus: install ok installed\nPriority: optional\nSection: misc\n"
        f"Installed-Size: 1\nMaintainer: Plimsoll Tests <tests@plimsoll.invalid>\nArchitecture: all\n"
        f"Version: {version}\nDescription: {desc}\n\n"
    ).encode()


def open_tar(sink):
    # GNU format: long names via ././@LongLink; the traversal names must survive verbatim.
    return tarfile.open(fileobj=sink, mode="w|", format=tarfile.GNU_FORMAT)


def cmd_traversal(out):
    sink = GzipHashWriter(out)
    with open_tar(sink) as tf:
        for d in ("etc", "usr", "var", "var/lib", "var/lib/dpkg"):
            add_dir(tf, d)
        add_file(tf, "etc/plimsoll-ok.txt", b"a harmless regular file\n")
        add_file(tf, "var/lib/dpkg/status",
                 status_stanza("plimsoll-traversal-ok", "1.0", "package next to the traversal entries"))
        # 1. relative escape
        add_file(tf, "../../../tmp/plimsoll-evil", b"escaped via ../\n")
        # 2. absolute path
        add_file(tf, "/tmp/plimsoll-evil-abs", b"escaped via an absolute path\n")
        # 3. symlink pointing outside, then a file written through it
        tf.addfile(info("usr/evil-link", typ=tarfile.SYMTYPE, mode=0o777, linkname="../../../../../../tmp"))
        add_file(tf, "usr/evil-link/plimsoll-evil-link", b"escaped via a symlink\n")
        # 4. hardlink whose target is outside the root
        tf.addfile(info("etc/evil-hardlink", typ=tarfile.LNKTYPE, linkname="../../../../../../etc/hostname"))
    print(json.dumps(sink.close()))


def cmd_bomb(out):
    sink = GzipHashWriter(out, level=9)
    with open_tar(sink) as tf:
        for d in ("var", "var/lib", "var/lib/dpkg"):
            add_dir(tf, d)
        # The 1 GiB file sits where every scanner looks: the dpkg database.
        tf.addfile(info("var/lib/dpkg/status", size=GIB), Zeros())
    print(json.dumps(sink.close()))


def prng_bytes(seed, n):
    out = bytearray()
    counter = 0
    while len(out) < n:
        out += hashlib.sha256(f"{seed}:{counter}".encode()).digest()
        counter += 1
    return bytes(out[:n])


def cmd_truncated(out):
    # Build the full blob in memory (unique, incompressible content), then keep the first half.
    buf = io.BytesIO()
    full_out = out + ".full"
    sink = GzipHashWriter(full_out, level=6)
    with open_tar(sink) as tf:
        for d in ("opt", "opt/plimsoll", "var", "var/lib", "var/lib/dpkg"):
            add_dir(tf, d)
        add_file(tf, "var/lib/dpkg/status",
                 status_stanza("plimsoll-truncated", "1.0", "never reachable: the layer is cut"))
        for i in range(6):
            add_file(tf, f"opt/plimsoll/blob-{i}.bin", prng_bytes(f"plimsoll-truncated-{i}", 512 * 1024))
    full = sink.close()
    with open(full_out, "rb") as f:
        data = f.read()
    import os
    os.unlink(full_out)
    cut = data[: len(data) // 2]
    with open(out, "wb") as f:
        f.write(cut)
    print(json.dumps({
        "diff_id": full["diff_id"],
        "digest": "sha256:" + hashlib.sha256(cut).hexdigest(),
        "size": len(cut),
        "full_size": full["size"],
    }))


def digest_variant(path, word):
    # compresslevel 0 = stored deflate blocks: the blob length depends only on the tar length, so
    # the two variants (same-length payloads) have byte-identical lengths.
    sink = GzipHashWriter(path, level=0)
    with open_tar(sink) as tf:
        for d in ("etc", "var", "var/lib", "var/lib/dpkg"):
            add_dir(tf, d)
        add_file(tf, "etc/plimsoll-digest.txt", f"this layer is the {word} one\n".encode())
        add_file(tf, "var/lib/dpkg/status",
                 status_stanza(f"plimsoll-{word}", "1.0", f"present only in the {word} blob"))
    return sink.close()


def cmd_digest_pair(good, evil):
    g = digest_variant(good, "good")
    e = digest_variant(evil, "evil")
    if g["size"] != e["size"]:
        sys.exit(f"digest-pair: sizes differ ({g['size']} vs {e['size']})")
    if g["digest"] == e["digest"]:
        sys.exit("digest-pair: blobs are identical")
    print(json.dumps({**g, "evil_digest": e["digest"], "evil_diff_id": e["diff_id"]}))


def main(argv):
    if len(argv) < 3:
        sys.exit(__doc__)
    cmd, args = argv[1], argv[2:]
    if cmd == "traversal" and len(args) == 1:
        cmd_traversal(*args)
    elif cmd == "bomb" and len(args) == 1:
        cmd_bomb(*args)
    elif cmd == "truncated" and len(args) == 1:
        cmd_truncated(*args)
    elif cmd == "digest-pair" and len(args) == 2:
        cmd_digest_pair(*args)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
