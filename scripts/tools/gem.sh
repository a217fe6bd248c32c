#!/bin/sh
# Oracle tools for the `gem` cataloger: Debian's Ruby and Bundler, a few `ruby-*` gems (their
# gemspecs are what Debian installs), and a Gemfile.lock made by `bundle lock --local` from them.
# Idempotent; progress on stderr; only `export` lines on stdout.
set -eu
: "${PLIMSOLL_TOOLS_DIR:?set PLIMSOLL_TOOLS_DIR}"
dir="$PLIMSOLL_TOOLS_DIR/gem"
mkdir -p "$dir"

pkgs="ruby bundler ruby-rack ruby-nokogiri ruby-addressable ruby-rspec-core"
missing=""
for p in $pkgs; do
    dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
    echo "gem: installing$missing" >&2
    flock /tmp/apt.lock apt-get install -y -qq $missing >&2
fi

project="$dir/project"
if [ ! -s "$project/Gemfile.lock" ]; then
    echo "gem: bundle lock --local in $project" >&2
    mkdir -p "$project/mylib"
    cat > "$project/mylib/mylib.gemspec" <<'SPEC'
Gem::Specification.new do |s|
  s.name = "mylib"
  s.version = "0.1.0"
  s.summary = "local"
  s.authors = ["x"]
  s.files = []
  s.add_dependency "rack", ">= 2"
end
SPEC
    cat > "$project/Gemfile" <<'GEMFILE'
source "https://rubygems.org"
gem "rake"
gem "rack"
gem "addressable"
gem "nokogiri"
gem "rspec-core"
gem "minitest"
gem "mylib", path: "mylib"
GEMFILE
    (cd "$project" && bundle lock --local >&2)
fi

echo "export PLIMSOLL_TOOLS_RUBY=$(command -v ruby)"
echo "export PLIMSOLL_TOOLS_GEM_PROJECT=$project"
