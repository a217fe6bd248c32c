#!/bin/sh
# Oracle tools for the `pnpm` cataloger: pnpm 7, 8 and 9 from npm (lockfile versions 5.4, 6.0
# and 9.0), each installing the same small project from registry.npmjs.org, so tests can compare
# the lockfile with the installed `node_modules/.pnpm` store.
# Idempotent; progress on stderr; only `export` lines on stdout.
set -eu
: "${PLIMSOLL_TOOLS_DIR:?set PLIMSOLL_TOOLS_DIR}"
dir="$PLIMSOLL_TOOLS_DIR/pnpm"
mkdir -p "$dir"
for major in 7 8 9; do
    cli="$dir/pnpm$major/node_modules/pnpm/bin/pnpm.cjs"
    if [ ! -f "$cli" ]; then
        echo "pnpm: npm install pnpm@$major" >&2
        npm install --no-audit --no-fund --prefix "$dir/pnpm$major" "pnpm@$major" >&2
    fi
    project="$dir/projects/pnpm$major"
    if [ ! -s "$project/pnpm-lock.yaml" ]; then
        echo "pnpm: pnpm $major install in $project" >&2
        mkdir -p "$project/local-lib"
        echo '{"name":"local-lib","version":"0.1.0"}' > "$project/local-lib/package.json"
        # A scoped package, a nested older `ms`, an alias, a range, a peer dependency
        # (react-dom on react), a local folder and a dev dependency.
        cat > "$project/package.json" <<'JSON'
{"name": "pnpm-app", "version": "1.0.0", "private": true,
 "dependencies": {"debug": "2.6.9", "@sindresorhus/is": "4.6.0", "ms-alias": "npm:ms@2.1.3",
                  "isarray": "^1.0.0", "local-lib": "file:./local-lib", "react-dom": "18.2.0", "react": "18.2.0"},
 "devDependencies": {"json-schema": "0.2.3"}}
JSON
        (cd "$project" && node "$cli" install --registry https://registry.npmjs.org \
            --store-dir "$dir/store$major" >&2)
    fi
done
echo "export PLIMSOLL_TOOLS_PNPM_PROJECTS=$dir/projects"
