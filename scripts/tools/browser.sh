#!/usr/bin/env bash
# The web UI's browser test (crates/plimsoll/tests/it/ui.rs, driving
# crates/plimsoll/tests/browser/ui.mjs): Debian's headless Chromium and playwright-core from npm,
# pointed at /usr/bin/chromium (`npx playwright install` cannot download browsers here, and
# playwright-core never tries).
#
#   PLIMSOLL_TOOLS_DIR=DIR scripts/tools/browser.sh
#
# Progress goes to stderr; stdout carries only the `export` lines.
set -euo pipefail

tools_dir="${PLIMSOLL_TOOLS_DIR:?PLIMSOLL_TOOLS_DIR must be set (scripts/test-tools.sh sets it)}"

# Without recommends (no udev, upower, printing); a font is needed for text to render at all.
chromium=/usr/bin/chromium
packages=(chromium fonts-dejavu-core)
if [ ! -x "$chromium" ] || [ ! -d /usr/share/fonts/truetype/dejavu ]; then
  echo "==> apt-get install ${packages[*]}" >&2
  sudo_cmd=(); [[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)
  if ! flock /tmp/apt.lock "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${packages[@]}" >&2; then
    flock /tmp/apt.lock "${sudo_cmd[@]}" apt-get update -qq >&2
    flock /tmp/apt.lock "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${packages[@]}" >&2
  fi
fi
echo "    $("$chromium" --version 2>/dev/null | head -n 1)" >&2

# playwright-core in a private prefix (no global install); pinned to a major so the API the
# script uses stays put.
browser_dir="$tools_dir/browser"
if [[ ! -f "$browser_dir/node_modules/playwright-core/package.json" ]]; then
  echo "==> npm playwright-core in $browser_dir" >&2
  mkdir -p "$browser_dir"
  [[ -f "$browser_dir/package.json" ]] || echo '{"name":"plimsoll-browser-tools","private":true}' \
    >"$browser_dir/package.json"
  npm install --prefix "$browser_dir" --no-audit --no-fund --silent 'playwright-core@^1' >&2
fi
echo "    playwright-core $(node -p "require('$browser_dir/node_modules/playwright-core/package.json').version")" \
  "in $browser_dir" >&2

echo "export PLIMSOLL_TOOLS_CHROMIUM=$chromium"
echo "export PLIMSOLL_TOOLS_PLAYWRIGHT=$browser_dir/node_modules"
