#!/usr/bin/env python3
"""Checks every workspace crate's Plimsoll dependencies against the table in crates/README.md
(STYLE house rule 9: no reach across stages). Exits 1 naming each violation."""
import json
import pathlib
import re
import subprocess
import sys

root = pathlib.Path(__file__).resolve().parent.parent
table = {}
for line in (root / "crates" / "README.md").read_text().splitlines():
    m = re.match(r"^\|\s*(plimsoll[\w-]*)\s*\|\s*([^|]*)\|\s*$", line)
    if m:
        table[m.group(1)] = {d.strip() for d in m.group(2).split(",") if d.strip()}

metadata = json.loads(subprocess.run(
    ["cargo", "metadata", "--no-deps", "--format-version", "1", "--locked"],
    cwd=root, check=True, capture_output=True, text=True).stdout)
problems = []
for package in metadata["packages"]:
    name = package["name"]
    if name not in table:
        problems.append(f"{name}: not listed in crates/README.md")
        continue
    for dep in package["dependencies"]:
        if dep["name"].startswith("plimsoll") and dep["kind"] is None and dep["name"] not in table[name]:
            problems.append(f"{name} depends on {dep['name']}, which crates/README.md does not allow")
for problem in problems:
    print(f"crate dependency rule: {problem}", file=sys.stderr)
sys.exit(1 if problems else 0)
