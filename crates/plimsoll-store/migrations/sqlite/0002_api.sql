-- Plimsoll results store, schema 2 (SQLite): what `plimsoll serve` needs.
--
-- * API tokens, stored as the SHA-256 of the token (never the token itself);
-- * search tables kept beside the findings and inventory blobs, so "which images have CVE-X"
--   and "which images contain package P" are index look-ups instead of decoding every blob.
--   They are filled by `put_findings` / `put_inventory`, and once from the blobs already stored
--   by schema 1: SQL cannot read zstd JSON, so `Store::open` does it in Rust while the row of
--   `store_tasks` below is present, and deletes the row in the transaction that finishes it.

CREATE TABLE api_tokens (
    id           INTEGER NOT NULL PRIMARY KEY,
    name         TEXT    NOT NULL,
    scope        TEXT    NOT NULL,
    token_hash   TEXT    NOT NULL UNIQUE,
    created_at   INTEGER NOT NULL,
    revoked_at   INTEGER
);

-- Every advisory id and alias of a platform image's stored findings. NOCASE: `cve-2024-1`
-- finds `CVE-2024-1`.
CREATE TABLE finding_ids (
    vuln_id         TEXT NOT NULL COLLATE NOCASE,
    manifest_digest TEXT NOT NULL REFERENCES findings (manifest_digest) ON DELETE CASCADE,
    PRIMARY KEY (vuln_id, manifest_digest)
) WITHOUT ROWID;
CREATE INDEX finding_ids_by_image ON finding_ids (manifest_digest);

-- Every package name of a stored inventory.
CREATE TABLE inventory_packages (
    name            TEXT NOT NULL,
    manifest_digest TEXT NOT NULL,
    analyzer        TEXT NOT NULL,
    PRIMARY KEY (name, manifest_digest, analyzer),
    FOREIGN KEY (manifest_digest, analyzer)
        REFERENCES inventories (manifest_digest, analyzer) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX inventory_packages_by_image ON inventory_packages (manifest_digest, analyzer);

-- Tags by the digest they point at (the image page finds a tag for its configuration checks).
CREATE INDEX tags_by_digest ON tags (digest);
-- Platform images by their own manifest digest (`/api/v1/images/{digest}` takes either).
CREATE INDEX manifest_platforms_by_manifest ON manifest_platforms (manifest_digest);

-- One-off work `Store::open` must do in Rust after a migration; a row is deleted when done, so
-- a process killed half-way simply does it again at the next open.
CREATE TABLE store_tasks (
    name TEXT NOT NULL PRIMARY KEY
);
INSERT INTO store_tasks (name) VALUES ('fill-search-tables');
