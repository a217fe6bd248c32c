-- Plimsoll results store, schema 4 (SQLite): registries created through `plimsoll serve`'s API
-- (`POST /api/v1/registries`), merged by the server with the configuration file's.
--
-- `definition` is the registry's keys as JSON, the way `plimsoll-server` writes them. An inline
-- `password` is stored there in the clear: the store file is created readable by its owner
-- only (0600), and `password_env` keeps the secret out of the store altogether.

CREATE TABLE api_registries (
    name        TEXT    NOT NULL PRIMARY KEY,
    definition  TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
