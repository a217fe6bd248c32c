#!/bin/sh
# Oracle tools for Composer: Debian's PHP CLI and composer/semver (`php-composer-semver`), whose
# VersionParser + PHP's version_compare order Packagist versions (plimsoll-version's `composer`
# scheme). Idempotent; progress on stderr; only `export` lines on stdout.
set -eu
: "${PLIMSOLL_TOOLS_DIR:?set PLIMSOLL_TOOLS_DIR}"
mkdir -p "$PLIMSOLL_TOOLS_DIR/composer"

missing=""
for p in php-cli php-composer-semver; do
    dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
    echo "composer: installing$missing" >&2
    flock /tmp/apt.lock apt-get install -y -qq $missing >&2
fi

echo "export PLIMSOLL_TOOLS_PHP=$(command -v php)"
echo "export PLIMSOLL_TOOLS_COMPOSER_SEMVER=/usr/share/php/Composer/Semver/autoload.php"
