"""Independent OSV evaluation for PyPI, the reference the matcher is compared with.

Reads OSV records from a directory and (name, version) queries as JSON lines on stdin, and
prints one JSON line per query: the ids of the records affecting it. Versions are ordered by
`packaging.version.Version`; ranges are evaluated with the algorithm of the OSV schema's
"Evaluation" section (events sorted by version, introduced "0" first; fixed and last_affected
end a vulnerable stretch; limit bounds the range). Written from the schema text, independently
of the Rust code it checks.
"""
import json
import pathlib
import re
import sys

from packaging.version import InvalidVersion, Version


def canonical(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def load(directory):
    by_name = {}
    for path in sorted(pathlib.Path(directory).glob("*.json")):
        try:
            record = json.loads(path.read_text())
        except ValueError:
            continue
        if record.get("withdrawn"):
            continue
        for affected in record.get("affected", []):
            package = affected.get("package", {})
            if package.get("ecosystem") != "PyPI":
                continue
            by_name.setdefault(canonical(package["name"]), []).append((record["id"], affected))
    return by_name


def sort_key(version):
    # "0" means "before every version".
    return (0, None) if version == "0" else (1, Version(version))


def in_range(version, events):
    limits = [e["limit"] for e in events if "limit" in e]
    if limits and not any(l == "*" or version < Version(l) for l in limits):
        return False
    points = []
    for event in events:
        for kind in ("introduced", "fixed", "last_affected"):
            if kind in event:
                points.append((kind, event[kind]))
    points.sort(key=lambda p: sort_key(p[1]))
    vulnerable = False
    for kind, at in points:
        if kind == "introduced" and (at == "0" or Version(at) <= version):
            vulnerable = True
        elif kind == "fixed" and Version(at) <= version:
            vulnerable = False
        elif kind == "last_affected" and Version(at) < version:
            vulnerable = False
    return vulnerable


def affected_by(version_text, affected):
    if version_text in affected.get("versions", []):
        return True
    version = Version(version_text)
    for r in affected.get("ranges", []):
        if r.get("type") in ("ECOSYSTEM", "SEMVER") and in_range(version, r.get("events", [])):
            return True
    return False


def main():
    by_name = load(sys.argv[1])
    for line in sys.stdin:
        query = json.loads(line)
        ids, error = [], None
        try:
            Version(query["version"])
            for record_id, affected in by_name.get(canonical(query["name"]), []):
                if affected_by(query["version"], affected):
                    ids.append(record_id)
        except InvalidVersion as e:
            error = str(e)
        print(json.dumps({"name": query["name"], "version": query["version"], "ids": sorted(set(ids)), "error": error}))


if __name__ == "__main__":
    main()
