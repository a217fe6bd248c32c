#!/bin/sh
# Oracle tools for the `python-lock` cataloger: a venv with Poetry and Pipenv from PyPI, and one
# project locked by each (`poetry lock`, `pipenv lock`) against PyPI's simple index (this
# machine has no PyPI JSON API, so Poetry gets the simple index as its primary source), plus
# `pipenv requirements --dev --hash` as a real requirements file.
# Idempotent; progress on stderr; only `export` lines on stdout.
set -eu
: "${PLIMSOLL_TOOLS_DIR:?set PLIMSOLL_TOOLS_DIR}"
dir="$PLIMSOLL_TOOLS_DIR/python-lock"
venv="$dir/venv"
mkdir -p "$dir"
if [ ! -x "$venv/bin/poetry" ] || [ ! -x "$venv/bin/pipenv" ]; then
    echo "python-lock: venv with poetry and pipenv" >&2
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q poetry==2.5.1 pipenv==2026.10.3 >&2
fi

projects="$dir/projects"
mylib() {
    mkdir -p "$1/mylib"
    printf '[project]\nname = "mylib"\nversion = "0.1.0"\n[build-system]\nrequires = ["setuptools"]\nbuild-backend = "setuptools.build_meta"\n' \
        > "$1/mylib/pyproject.toml"
}
if [ ! -s "$projects/poetry/poetry.lock" ]; then
    echo "python-lock: poetry lock" >&2
    mylib "$projects/poetry"
    cat > "$projects/poetry/pyproject.toml" <<'TOML'
[tool.poetry]
name = "poetry-app"
version = "1.0.0"
description = ""
authors = ["x <x@example.org>"]
package-mode = false

[tool.poetry.dependencies]
python = "^3.11"
requests = "2.31.0"
PyYAML = "6.0.1"
mylib = {path = "mylib"}

[tool.poetry.group.dev.dependencies]
pytest = "8.0.0"

[[tool.poetry.source]]
name = "pypi-simple"
url = "https://pypi.org/simple/"
priority = "primary"
TOML
    (cd "$projects/poetry" && "$venv/bin/poetry" lock >&2)
fi
if [ ! -s "$projects/pipenv/Pipfile.lock" ]; then
    echo "python-lock: pipenv lock" >&2
    mylib "$projects/pipenv"
    cat > "$projects/pipenv/Pipfile" <<'TOML'
[[source]]
url = "https://pypi.org/simple"
verify_ssl = true
name = "pypi"

[packages]
requests = "==2.31.0"
pyyaml = "==6.0.1"
mylib = {path = "./mylib", editable = true}

[dev-packages]
pytest = "==8.0.0"

[requires]
python_version = "3.11"
TOML
    (cd "$projects/pipenv" && PIPENV_YES=1 "$venv/bin/pipenv" lock >&2)
    (cd "$projects/pipenv" && "$venv/bin/pipenv" requirements --dev --hash > requirements.txt)
fi

echo "export PLIMSOLL_TOOLS_PYTHON_LOCK_VENV=$venv"
echo "export PLIMSOLL_TOOLS_PYTHON_LOCK_PROJECTS=$projects"
