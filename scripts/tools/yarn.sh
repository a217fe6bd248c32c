#!/bin/sh
# Oracle tools for the `yarn` cataloger: Yarn 1 (`yarn` on npm) and Yarn 4 (`@yarnpkg/cli-dist`)
# installed with npm (Debian's `yarnpkg` does not run on this node), and one small project
# installed by each from registry.npmjs.org (node-modules linker), so tests can compare the
# lockfile with the installed `node_modules` tree.
# Idempotent; progress on stderr; only `export` lines on stdout.
set -eu
: "${PLIMSOLL_TOOLS_DIR:?set PLIMSOLL_TOOLS_DIR}"
dir="$PLIMSOLL_TOOLS_DIR/yarn"
tools="$dir/tools"
mkdir -p "$tools"
yarn1="$tools/node_modules/yarn/bin/yarn.js"
berry="$tools/node_modules/@yarnpkg/cli-dist/bin/yarn.js"
if [ ! -f "$yarn1" ] || [ ! -f "$berry" ]; then
    echo "yarn: npm install yarn@1.22.22 @yarnpkg/cli-dist@4.18.1" >&2
    npm install --no-audit --no-fund --prefix "$tools" yarn@1.22.22 @yarnpkg/cli-dist@4.18.1 >&2
fi

# The same dependencies for both: a scoped package, a nested older `ms`, an `npm:` alias, a
# range, a dev dependency and a local `file:` folder; berry adds a workspace and a `link:`.
write_project() {
    mkdir -p "$1/local-lib"
    echo '{"name":"local-lib","version":"0.1.0"}' > "$1/local-lib/package.json"
    cat > "$1/package.json" <<JSON
{"name": "$2", "version": "1.0.0", "private": true$3,
 "dependencies": {"debug": "2.6.9", "@sindresorhus/is": "4.6.0", "ms-alias": "npm:ms@2.1.3",
                  "isarray": "^1.0.0", "local-lib": "file:./local-lib"$4},
 "devDependencies": {"json-schema": "0.2.3"}}
JSON
}

p1="$dir/projects/yarn1"
if [ ! -s "$p1/yarn.lock" ]; then
    echo "yarn: yarn 1 install in $p1" >&2
    write_project "$p1" yarn1-app "" ""
    (cd "$p1" && node "$yarn1" install --registry https://registry.npmjs.org --non-interactive >&2)
fi

p2="$dir/projects/berry"
if [ ! -s "$p2/yarn.lock" ]; then
    echo "yarn: yarn 4 install in $p2" >&2
    write_project "$p2" berry-app ', "workspaces": ["packages/*"]' \
        ', "@me/util": "workspace:*", "linked": "link:./local-lib"'
    mkdir -p "$p2/packages/util"
    echo '{"name":"@me/util","version":"0.2.0","dependencies":{"ms":"^2.1.1"}}' \
        > "$p2/packages/util/package.json"
    printf 'npmRegistryServer: "https://registry.npmjs.org"\nnodeLinker: node-modules\nenableTelemetry: false\nenableGlobalCache: false\n' \
        > "$p2/.yarnrc.yml"
    # Yarn 2+ refuses to write a lockfile when CI is set (immutable installs); this install
    # exists to write one.
    (cd "$p2" && YARN_ENABLE_IMMUTABLE_INSTALLS=false node "$berry" install >&2)
fi

echo "export PLIMSOLL_TOOLS_YARN_PROJECTS=$dir/projects"
