-- Plimsoll results store, schema 1 (SQLite).
--
-- Conventions, kept so that a PostgreSQL twin of this file stays a matter of spelling:
-- * digests are TEXT `sha256:<hex>`; platforms are three columns (os, arch, variant);
-- * every `*_at` column we write ourselves is Unix time in milliseconds (UTC), an INTEGER;
--   `created` is the image config's RFC 3339 text, kept as recorded;
-- * big values (layer facts, inventories, findings) are zstd-compressed JSON BLOBs; the scalars
--   that queries filter or show are columns beside them.

-- What one layer contains, per analyzer key (the cataloger versions that produced it).
CREATE TABLE layer_facts (
    digest            TEXT    NOT NULL,
    analyzer          TEXT    NOT NULL,
    diff_id           TEXT    NOT NULL,
    compressed_size   INTEGER NOT NULL,
    uncompressed_size INTEGER NOT NULL,
    stored_at         INTEGER NOT NULL,
    facts             BLOB    NOT NULL,
    PRIMARY KEY (digest, analyzer)
);

-- A top-level manifest (image or index) as discovery's metadata phase saw it. Content
-- addressed: the same digest always has the same content.
CREATE TABLE manifest_meta (
    digest     TEXT    NOT NULL PRIMARY KEY,
    media_type TEXT    NOT NULL,
    stored_at  INTEGER NOT NULL
);

-- The platform images of a manifest: one row for an image manifest (itself), one per entry
-- for an index.
CREATE TABLE manifest_platforms (
    digest           TEXT    NOT NULL REFERENCES manifest_meta (digest) ON DELETE CASCADE,
    position         INTEGER NOT NULL,
    platform_os      TEXT    NOT NULL,
    platform_arch    TEXT    NOT NULL,
    platform_variant TEXT,
    manifest_digest  TEXT    NOT NULL,
    config_digest    TEXT    NOT NULL,
    created          TEXT,
    PRIMARY KEY (digest, position)
);

-- Tags as last seen by discovery.
CREATE TABLE tags (
    registry   TEXT    NOT NULL,
    repository TEXT    NOT NULL,
    tag        TEXT    NOT NULL,
    digest     TEXT    NOT NULL,
    first_seen INTEGER NOT NULL,
    last_seen  INTEGER NOT NULL,
    PRIMARY KEY (registry, repository, tag)
);

-- Package inventories of platform images, per analyzer key.
CREATE TABLE inventories (
    manifest_digest  TEXT    NOT NULL,
    analyzer         TEXT    NOT NULL,
    config_digest    TEXT    NOT NULL,
    platform_os      TEXT    NOT NULL,
    platform_arch    TEXT    NOT NULL,
    platform_variant TEXT,
    os_id            TEXT,
    os_version       TEXT,
    os_name          TEXT,
    package_count    INTEGER NOT NULL,
    stored_at        INTEGER NOT NULL,
    inventory        BLOB    NOT NULL,
    PRIMARY KEY (manifest_digest, analyzer)
);

-- The latest match of one platform image.
CREATE TABLE findings (
    manifest_digest TEXT    NOT NULL PRIMARY KEY,
    critical        INTEGER NOT NULL,
    high            INTEGER NOT NULL,
    medium          INTEGER NOT NULL,
    low             INTEGER NOT NULL,
    unknown         INTEGER NOT NULL,
    fixable         INTEGER NOT NULL,
    db_built_at     TEXT,
    matched_at      INTEGER NOT NULL,
    findings        BLOB    NOT NULL
);

-- Scan runs; the totals stay NULL until the run finishes.
CREATE TABLE runs (
    id          INTEGER NOT NULL PRIMARY KEY,
    description TEXT    NOT NULL,
    status      TEXT    NOT NULL,
    started_at  INTEGER NOT NULL,
    finished_at INTEGER,
    total       INTEGER,
    success     INTEGER,
    failed      INTEGER,
    skipped     INTEGER
);

-- What happened to each image of a run.
CREATE TABLE run_outcomes (
    id               INTEGER NOT NULL PRIMARY KEY,
    run_id           INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    registry         TEXT    NOT NULL,
    repository       TEXT    NOT NULL,
    tag              TEXT    NOT NULL,
    digest           TEXT,
    platform_os      TEXT,
    platform_arch    TEXT,
    platform_variant TEXT,
    status           TEXT    NOT NULL,
    cause            TEXT,
    pull_ms          INTEGER,
    analysis_ms      INTEGER,
    matching_ms      INTEGER,
    recorded_at      INTEGER NOT NULL
);
CREATE INDEX run_outcomes_by_run ON run_outcomes (run_id, id);
-- The results view looks up the latest outcome of a tag.
CREATE INDEX run_outcomes_by_tag ON run_outcomes (registry, repository, tag, id);
