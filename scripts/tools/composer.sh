#!/bin/sh
# Oracle tools for Composer: Debian's PHP CLI, composer/semver (`php-composer-semver`), whose
# VersionParser + PHP's version_compare order Packagist versions (plimsoll-version's `composer`
# scheme), and Composer itself (`composer`), whose package loaders read composer.lock and
# vendor/composer/installed.json for the `composer` cataloger's oracle, plus a small project
# locked and installed offline from path repositories.
# Idempotent; progress on stderr; only `export` lines on stdout.
set -eu
: "${PLIMSOLL_TOOLS_DIR:?set PLIMSOLL_TOOLS_DIR}"
dir="$PLIMSOLL_TOOLS_DIR/composer"
mkdir -p "$dir"

missing=""
for p in php-cli php-composer-semver composer; do
    dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
    echo "composer: installing$missing" >&2
    flock /tmp/apt.lock apt-get install -y -qq $missing >&2
fi

project="$dir/project/app"
if [ ! -s "$project/vendor/composer/installed.json" ]; then
    echo "composer: composer update (offline, path repositories) in $project" >&2
    pkgs="$dir/project/pkgs"
    mkdir -p "$pkgs/acme-log" "$pkgs/acme-http" "$pkgs/acme-test" "$project"
    echo '{"name": "acme/log", "version": "v1.2.3", "license": "MIT"}' > "$pkgs/acme-log/composer.json"
    echo '{"name": "acme/http", "version": "2.0.0-RC1", "license": ["Apache-2.0", "MIT"], "require": {"acme/log": "^1.2"}}' > "$pkgs/acme-http/composer.json"
    echo '{"name": "acme/test-kit", "version": "0.9.1", "license": "BSD-3-Clause"}' > "$pkgs/acme-test/composer.json"
    cat > "$project/composer.json" <<'JSON'
{"name": "acme/app", "minimum-stability": "RC",
 "repositories": [{"packagist.org": false}, {"type": "path", "url": "../pkgs/*", "options": {"symlink": false}}],
 "require": {"acme/http": "2.0.0-RC1"}, "require-dev": {"acme/test-kit": "^0.9"}}
JSON
    (cd "$project" && COMPOSER_HOME="$dir/home" composer update --no-interaction --no-audit >&2)
fi

echo "export PLIMSOLL_TOOLS_COMPOSER_AUTOLOAD=/usr/share/php/Composer/autoload.php"
echo "export PLIMSOLL_TOOLS_COMPOSER_PROJECT=$project"
echo "export PLIMSOLL_TOOLS_PHP=$(command -v php)"
echo "export PLIMSOLL_TOOLS_COMPOSER_SEMVER=/usr/share/php/Composer/Semver/autoload.php"
