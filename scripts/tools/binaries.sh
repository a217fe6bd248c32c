#!/usr/bin/env bash
# Oracle tools and fixtures of the `binary` and `cargo-lock` catalogers
# (crates/plimsoll-catalog/tests/it/{go_oracle,rust_oracle}.rs):
#
#   - Go: Debian's `golang-go` (its `go version -m` is the oracle), real Go programs from Debian
#     packages (fzf, age, shfmt, direnv; downloaded and extracted with `dpkg -x`, not installed),
#     and one tiny program built here with a versioned module dependency (served from a local
#     file GOPROXY, since proxy.golang.org is unreachable) and a `replace` to a local directory;
#   - Rust: `cargo-auditable` and `rust-audit-info` (the oracle) from crates.io, and a tiny
#     crate with crates.io dependencies, a build dependency and a path dependency built with
#     `cargo auditable build --release`; its Cargo.lock is the `cargo-lock` cataloger's input
#     and `cargo metadata` its oracle.
#
# Everything lives under $PLIMSOLL_TOOLS_DIR/binaries/. Idempotent; progress on stderr; stdout
# carries only `export` lines.
set -euo pipefail

tools_dir="${PLIMSOLL_TOOLS_DIR:?PLIMSOLL_TOOLS_DIR must be set}"
dir="$tools_dir/binaries"
mkdir -p "$dir"
dir="$(cd "$dir" && pwd)"
# The fixtures are built with their own target directories, not the caller's.
unset CARGO_TARGET_DIR

sudo_cmd=()
[[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)
apt_install() {
  "${sudo_cmd[@]}" flock /tmp/apt.lock apt-get install -y -qq "$@" >&2 || {
    "${sudo_cmd[@]}" flock /tmp/apt.lock apt-get update -qq >&2
    "${sudo_cmd[@]}" flock /tmp/apt.lock apt-get install -y -qq "$@" >&2
  }
}

# --- Go --------------------------------------------------------------------------------------
if ! command -v go >/dev/null; then
  echo "==> golang-go" >&2
  apt_install golang-go
fi
go_dir="$dir/go"
go_debs=(fzf age shfmt direnv)
if [[ ! -f "$go_dir/.debs-done" ]]; then
  echo "==> Debian Go programs (${go_debs[*]}) in $go_dir" >&2
  rm -rf "$go_dir/debs" "$go_dir/root" && mkdir -p "$go_dir/debs" "$go_dir/root"
  (cd "$go_dir/debs" && apt-get download "${go_debs[@]}" >&2) || {
    "${sudo_cmd[@]}" flock /tmp/apt.lock apt-get update -qq >&2
    (cd "$go_dir/debs" && apt-get download "${go_debs[@]}" >&2)
  }
  for deb in "$go_dir"/debs/*.deb; do dpkg -x "$deb" "$go_dir/root"; done
  touch "$go_dir/.debs-done"
fi

# A local module proxy (GOPROXY=file://) serving a few example.com modules, laid out as the
# GOPROXY protocol specifies (<module>/@v/list, .info, .mod, .zip with `<module>@<version>/`
# prefixes), so the built program has a real `dep … h1:` line without network access.
build_dir="$go_dir/build"
hello="$go_dir/root/usr/local/bin/hello"
if [[ ! -x "$hello" ]]; then
  echo "==> tiny Go program with a proxied and a replaced dependency" >&2
  rm -rf "$build_dir" && mkdir -p "$build_dir"
  python3 - "$build_dir/proxy" <<'EOF'
import os, sys, zipfile
root = sys.argv[1]
# (module path, version, package name, has go.mod): a release, a pseudo-version, a pre-go.mod
# major version (+incompatible), and a fork that a `replace` substitutes for a module.
modules = [
    ("example.com/greet", "v1.2.3", "greet", True),
    ("example.com/pseudo", "v0.0.0-20240102030405-abcdefabcdef", "pseudo", True),
    ("example.com/old", "v2.0.0+incompatible", "old", False),
    ("example.com/orig", "v1.0.0", "orig", True),
    ("example.com/fork", "v1.0.1", "orig", True),
]
for mod, ver, pkg, has_mod in modules:
    d = os.path.join(root, mod, "@v")
    os.makedirs(d, exist_ok=True)
    gomod = f"module {mod}\n" + ("\ngo 1.19\n" if has_mod else "")
    with open(os.path.join(d, "list"), "a") as f:
        f.write(ver + "\n")
    open(os.path.join(d, ver + ".info"), "w").write(
        '{"Version":"%s","Time":"2024-01-02T03:04:05Z"}\n' % ver)
    open(os.path.join(d, ver + ".mod"), "w").write(gomod)
    with zipfile.ZipFile(os.path.join(d, ver + ".zip"), "w") as z:
        if has_mod:
            z.writestr(f"{mod}@{ver}/go.mod", gomod)
        z.writestr(f"{mod}@{ver}/{pkg}.go",
                   f'package {pkg}\n\nfunc Hello() string {{ return "{mod}" }}\n')
EOF
  mkdir -p "$build_dir/src/shout"
  cat >"$build_dir/src/shout/go.mod" <<'EOF'
module example.org/shout

go 1.19
EOF
  cat >"$build_dir/src/shout/shout.go" <<'EOF'
package shout

import "strings"

func Shout(s string) string { return strings.ToUpper(s) }
EOF
  cat >"$build_dir/src/go.mod" <<'EOF'
module example.net/hello

go 1.19

require (
	example.com/greet v1.2.3
	example.com/old v2.0.0+incompatible
	example.com/orig v1.0.0
	example.com/pseudo v0.0.0-20240102030405-abcdefabcdef
	example.org/shout v0.1.0
)

replace (
	example.com/orig v1.0.0 => example.com/fork v1.0.1
	example.org/shout v0.1.0 => ./shout
)
EOF
  cat >"$build_dir/src/main.go" <<'EOF'
package main

import (
	"fmt"

	"example.com/greet"
	"example.com/old"
	"example.com/orig"
	"example.com/pseudo"
	"example.org/shout"
)

func main() {
	fmt.Println(shout.Shout(greet.Hello()), old.Hello(), orig.Hello(), pseudo.Hello())
}
EOF
  mkdir -p "$(dirname "$hello")"
  # The same program as a stripped ELF, a 32-bit and a big-endian ELF, a Mach-O and a PE file
  # (Go cross-compiles without cgo), so every container format and byte order is read for real.
  (cd "$build_dir/src" \
    && export GOPATH="$build_dir/gopath" GOCACHE="$build_dir/gocache" GOFLAGS="-mod=mod -buildvcs=false" \
      GOPROXY="file://$build_dir/proxy" GOSUMDB=off GONOSUMDB='*' GOTOOLCHAIN=local \
    && go mod tidy >&2 \
    && CGO_ENABLED=0 GOOS=linux GOARCH=amd64 go build -trimpath -ldflags='-s -w' \
      -o "$hello-stripped" . >&2 \
    && CGO_ENABLED=0 GOOS=linux GOARCH=386 go build -o "$hello-386" . >&2 \
    && CGO_ENABLED=0 GOOS=linux GOARCH=ppc64 go build -o "$hello-ppc64" . >&2 \
    && CGO_ENABLED=0 GOOS=darwin GOARCH=arm64 go build -o "$hello-darwin" . >&2 \
    && CGO_ENABLED=0 GOOS=windows GOARCH=amd64 go build -o "$hello.exe" . >&2 \
    && go build -o "$hello" . >&2)
fi
echo "    $(go version) and $(find "$go_dir/root" -type f -perm -u+x | wc -l) executables" \
  "in $go_dir/root" >&2

# --- Rust ------------------------------------------------------------------------------------
cargo_root="$dir/cargo"
for tool in cargo-auditable rust-audit-info; do
  if [[ ! -x "$cargo_root/bin/$tool" ]]; then
    echo "==> cargo install $tool into $cargo_root" >&2
    nice -n 10 cargo install --quiet --locked --root "$cargo_root" "$tool" >&2
  fi
done
rust_dir="$dir/rust"
rust_bin="$rust_dir/target/release/plimsoll-fixture"
if [[ ! -x "$rust_bin" ]]; then
  echo "==> tiny Rust crate built with cargo auditable" >&2
  rm -rf "$rust_dir" && mkdir -p "$rust_dir/src" "$rust_dir/helper/src"
  cat >"$rust_dir/Cargo.toml" <<'EOF'
[package]
name = "plimsoll-fixture"
version = "0.1.0"
edition = "2021"
publish = false

[dependencies]
itoa = "=1.0.11"
smallvec = "=1.13.2"
hex = "=0.4.3"
plimsoll-fixture-helper = { path = "helper" }

[build-dependencies]
autocfg = "=1.4.0"

[workspace]
EOF
  echo 'fn main() { autocfg::rerun_path("build.rs"); }' >"$rust_dir/build.rs"
  cat >"$rust_dir/src/main.rs" <<'EOF'
fn main() {
    let mut buf = itoa::Buffer::new();
    let v: smallvec::SmallVec<[u8; 4]> = smallvec::smallvec![1, 2];
    println!("{} {} {}", buf.format(v.len()), hex::encode(&v), plimsoll_fixture_helper::name());
}
EOF
  cat >"$rust_dir/helper/Cargo.toml" <<'EOF'
[package]
name = "plimsoll-fixture-helper"
version = "0.2.0"
edition = "2021"
publish = false
EOF
  echo 'pub fn name() -> &'"'"'static str { "helper" }' >"$rust_dir/helper/src/lib.rs"
  (cd "$rust_dir" && PATH="$cargo_root/bin:$PATH" nice -n 10 cargo auditable build --quiet \
    --release >&2)
fi
echo "    $("$cargo_root/bin/rust-audit-info" "$rust_bin" | head -c 60)… from $rust_bin" >&2

echo "export PLIMSOLL_TOOLS_GO=$(command -v go)"
echo "export PLIMSOLL_TOOLS_GO_BINARIES=$go_dir/root"
echo "export PLIMSOLL_TOOLS_RUST_AUDIT_INFO=$cargo_root/bin/rust-audit-info"
echo "export PLIMSOLL_TOOLS_RUST_BINARIES=$rust_dir/target/release"
echo "export PLIMSOLL_TOOLS_CARGO_LOCK=$rust_dir/Cargo.lock"
