#!/usr/bin/env python3
"""Push many tags to a loopback registry through the raw Distribution v2 API, fast.

Each tag is a real image: the base image's layers (mounted from its repository, never copied),
plus, with --unique-layer, one tiny gzip layer of its own (a file naming the tag), and a config
whose `created` date is chosen per tag. So every tag has its own manifest digest while sharing
the base's real layers - what registry-scan tests and the scale benchmark need.

    pushtags.py --registry 127.0.0.1:5000 --base lab/python-app:1 --repo scale/app \
        --tags 1000 [--repos 10] [--unique-layer] [--age-days 0,40,400] [--same-digest]

--tags N        tags per repository, named t0001 … tN
--repos R       R repositories: REPO-000 … (default 1: REPO itself)
--age-days L    comma-separated ages in days, cycled over the tags (default 0: created now)
--same-digest   every tag of a repository points at one image (tags of one digest)
--tag-names L   comma-separated explicit tag names instead of t0001 …
--user U        HTTP Basic user (htpasswd registries); the password comes from the
                PUSHTAGS_PASSWORD variable, never the command line
Prints one JSON line per repository: {"repository", "tags": {tag: digest}}.
Only 127.0.0.1 / localhost registries are accepted.
"""
import argparse
import base64
import concurrent.futures
import datetime
import gzip
import hashlib
import io
import json
import os
import sys
import tarfile
import urllib.error
import urllib.request

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
ACCEPT = f"{OCI_MANIFEST}, {DOCKER_MANIFEST}"


def sha256(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


class Registry:
    def __init__(self, host, user=None, password=None):
        if not (host.startswith("127.0.0.1:") or host.startswith("localhost:")):
            sys.exit(f"pushtags: refusing non-loopback registry {host}")
        self.base = f"http://{host}"
        self.auth = None
        if user is not None:
            pair = f"{user}:{password or ''}".encode()
            self.auth = "Basic " + base64.b64encode(pair).decode()

    def request(self, method, path, data=None, headers=None, ok=(200, 201, 202, 204)):
        headers = dict(headers or {})
        if self.auth:
            headers["Authorization"] = self.auth
        req = urllib.request.Request(self.base + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=60) as resp:
                return resp.status, dict(resp.headers), resp.read()
        except urllib.error.HTTPError as e:
            if e.code in ok:
                return e.code, dict(e.headers), e.read()
            raise SystemExit(f"pushtags: {method} {path} -> {e.code} {e.read()[:300]!r}")

    def manifest(self, repo, ref):
        _, headers, body = self.request("GET", f"/v2/{repo}/manifests/{ref}", headers={"Accept": ACCEPT})
        return headers.get("Content-Type", OCI_MANIFEST).split(";")[0], body

    def blob(self, repo, digest):
        return self.request("GET", f"/v2/{repo}/blobs/{digest}")[2]

    def mount(self, repo, digest, source):
        status, _, _ = self.request("POST", f"/v2/{repo}/blobs/uploads/?mount={digest}&from={source}")
        if status != 201:  # the registry started an upload instead: the blob is not mountable
            raise SystemExit(f"pushtags: cannot mount {digest} from {source} into {repo} ({status})")

    def upload(self, repo, data):
        digest = sha256(data)
        status, _, _ = self.request("HEAD", f"/v2/{repo}/blobs/{digest}", ok=(200, 404))
        if status == 200:
            return digest
        _, headers, _ = self.request("POST", f"/v2/{repo}/blobs/uploads/")
        location = headers["Location"]
        if location.startswith("http"):
            location = location[len(self.base):]
        sep = "&" if "?" in location else "?"
        self.request("PUT", f"{location}{sep}digest={digest}", data=data,
                     headers={"Content-Type": "application/octet-stream"})
        return digest

    def put_manifest(self, repo, tag, media_type, body):
        self.request("PUT", f"/v2/{repo}/manifests/{tag}", data=body, headers={"Content-Type": media_type})
        return sha256(body)


def tiny_layer(text):
    """A one-file gzip tar layer; returns (blob, diff_id)."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tf:
        payload = text.encode()
        info = tarfile.TarInfo("etc/plimsoll-tag")
        info.size, info.mtime, info.mode = len(payload), 1704067200, 0o644
        tf.addfile(info, io.BytesIO(payload))
    tar_bytes = raw.getvalue()
    return gzip.compress(tar_bytes, mtime=0), sha256(tar_bytes)


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--registry", required=True)
    p.add_argument("--base", required=True, help="repository:tag of the base image in the same registry")
    p.add_argument("--repo", required=True)
    p.add_argument("--repos", type=int, default=1)
    p.add_argument("--tags", type=int, default=1)
    p.add_argument("--tag-names", default="")
    p.add_argument("--age-days", default="0")
    p.add_argument("--unique-layer", action="store_true")
    p.add_argument("--same-digest", action="store_true")
    p.add_argument("--threads", type=int, default=8)
    p.add_argument("--user")
    args = p.parse_args(argv)

    reg = Registry(args.registry, args.user, os.environ.get("PUSHTAGS_PASSWORD"))
    base_repo, base_tag = args.base.rsplit(":", 1)
    media_type, body = reg.manifest(base_repo, base_tag)
    base = json.loads(body)
    if "layers" not in base:
        sys.exit("pushtags: the base must be a single-platform image manifest")
    config = json.loads(reg.blob(base_repo, base["config"]["digest"]))
    layer_type = base["layers"][0]["mediaType"]
    config_type = base["config"]["mediaType"]
    ages = [int(a) for a in args.age_days.split(",")]
    now = datetime.datetime.now(datetime.timezone.utc)
    names = [n for n in args.tag_names.split(",") if n] or [f"t{i:04d}" for i in range(1, args.tags + 1)]
    repos = [args.repo] if args.repos == 1 else [f"{args.repo}-{r:03d}" for r in range(args.repos)]

    def push_tag(repo, index, tag):
        key = f"{repo}:{'same' if args.same_digest else tag}"
        cfg = json.loads(json.dumps(config))
        # Distinct seconds keep "newest first" unambiguous; one date for tags of one digest.
        offset = datetime.timedelta(days=ages[index % len(ages)], seconds=0 if args.same_digest else index)
        created = (now - offset).strftime("%Y-%m-%dT%H:%M:%SZ")
        cfg["created"] = created
        layers = list(base["layers"])
        if args.unique_layer:
            blob, diff_id = tiny_layer(key + "\n")
            layers.append({"mediaType": layer_type, "digest": reg.upload(repo, blob), "size": len(blob)})
            cfg["rootfs"]["diff_ids"] = cfg["rootfs"]["diff_ids"] + [diff_id]
            cfg.setdefault("history", []).append({"created": created, "created_by": f"pushtags {key}"})
        cfg_bytes = json.dumps(cfg, sort_keys=True).encode()
        cfg_digest = reg.upload(repo, cfg_bytes)
        manifest = dict(base)
        manifest["config"] = {"mediaType": config_type, "digest": cfg_digest, "size": len(cfg_bytes)}
        manifest["layers"] = layers
        return tag, reg.put_manifest(repo, tag, media_type, json.dumps(manifest, sort_keys=True).encode())

    for repo in repos:
        for layer in base["layers"]:
            reg.mount(repo, layer["digest"], base_repo)
        with concurrent.futures.ThreadPoolExecutor(args.threads) as pool:
            done = dict(pool.map(lambda it: push_tag(repo, *it), enumerate(names)))
        print(json.dumps({"repository": repo, "tags": done}), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
