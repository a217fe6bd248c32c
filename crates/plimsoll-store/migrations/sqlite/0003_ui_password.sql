-- Plimsoll results store, schema 3 (SQLite): the web UI's admin password.
--
-- One row per UI user; today only `admin`, whose password is set from PLIMSOLL_ADMIN_PASSWORD at
-- the first start of `plimsoll serve` or by `plimsoll serve password set`. `password_hash` is an
-- argon2id PHC string (salt and parameters inside); the password itself is never stored.

CREATE TABLE ui_passwords (
    user          TEXT    NOT NULL PRIMARY KEY,
    password_hash TEXT    NOT NULL,
    updated_at    INTEGER NOT NULL
);
