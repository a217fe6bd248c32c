//! rpm's `SQLite` backend (rpm ≥ 4.16, default on Fedora 33+, RHEL 9, Amazon Linux 2023):
//! `rpmdb.sqlite`, table `Packages (hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB NOT
//! NULL)`, one header blob per installed package; the other tables are indexes of it.
//!
//! The cataloger has the file's bytes, not a path, so they are handed to `SQLite` as an
//! in-memory database (`sqlite3_deserialize`, through rusqlite's safe `deserialize_read_exact`,
//! which copies them once). `SQLite` is built to read corrupt files without crashing and answers
//! `SQLITE_CORRUPT` instead; on top of that the schema is not trusted (`trusted_schema=OFF`,
//! defensive mode), the connection is read-only and `Packages` must be a real table, so a
//! crafted view cannot run a query of its author's choosing.
//!
//! rpm keeps the database in WAL mode (header bytes 18–19 are 2). An in-memory database cannot
//! use a WAL, so the copy is marked as a rollback-journal database (1, 1) before `SQLite` sees it;
//! the pages are the same. The `rpmdb.sqlite-wal` file beside it is not read: a single-file
//! cataloger cannot combine two files, and rpm checkpoints the WAL when its transaction ends, so
//! an image built by finished rpm runs has nothing left in it.

use rusqlite::config::DbConfig;
use rusqlite::{Connection, OpenFlags, OptionalExtension};

/// `SQLite format 3\0`, the first 16 bytes of every `SQLite` 3 database.
pub(crate) const MAGIC: &[u8; 16] = b"SQLite format 3\0";

/// Calls `sink` with each (install number, header blob) of `Packages`, in install order.
/// `Err` when the file cannot be read as an rpm `SQLite` database at all; a failure after some
/// rows is a warning.
pub(crate) fn read(
    contents: &[u8],
    sink: &mut dyn FnMut(u64, &[u8]),
    warnings: &mut Vec<String>,
) -> Result<(), String> {
    let conn = open(contents).map_err(|e| format!("not a readable SQLite database: {e}"))?;
    let kind: Option<String> = conn
        .query_row(
            "SELECT type FROM sqlite_master WHERE name = 'Packages'",
            [],
            |row| row.get(0),
        )
        .optional()
        .map_err(|e| format!("unreadable SQLite schema: {e}"))?;
    match kind.as_deref() {
        Some("table") => {}
        Some(other) => return Err(format!("`Packages` is a {other}, not a table")),
        None => return Err("SQLite database without a `Packages` table".to_owned()),
    }
    let mut stmt = conn
        .prepare("SELECT hnum, blob FROM Packages ORDER BY hnum")
        .map_err(|e| format!("unreadable `Packages` table: {e}"))?;
    let mut rows = stmt
        .query([])
        .map_err(|e| format!("unreadable `Packages` table: {e}"))?;
    loop {
        let row = match rows.next() {
            Ok(Some(row)) => row,
            Ok(None) => return Ok(()),
            Err(e) => {
                warnings.push(format!(
                    "SQLite error, the remaining rows are not read: {e}"
                ));
                return Ok(());
            }
        };
        let hnum = row.get::<_, i64>(0);
        let blob = row.get_ref(1).map(|v| v.as_blob().map(<[u8]>::to_vec));
        match (hnum, blob) {
            (Ok(hnum), Ok(Ok(blob))) => sink(u64::try_from(hnum).unwrap_or_default(), &blob),
            (hnum, _) => warnings.push(format!(
                "row {}: not an integer key and a blob, skipped",
                hnum.map_or_else(|e| e.to_string(), |h| h.to_string())
            )),
        }
    }
}

fn open(contents: &[u8]) -> rusqlite::Result<Connection> {
    let mut conn = Connection::open_in_memory_with_flags(
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_DEFENSIVE, true)?;
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_TRUSTED_SCHEMA, false)?;
    // WAL → rollback journal in the copy (see the module doc); a short file is left to SQLite.
    let mut head = contents[..contents.len().min(100)].to_vec();
    if head.len() == 100 && head[18] == 2 && head[19] == 2 {
        head[18] = 1;
        head[19] = 1;
    }
    let reader = std::io::Read::chain(&head[..], &contents[head.len()..]);
    conn.deserialize_read_exact("main", reader, contents.len(), true)?;
    conn.pragma_update(None, "query_only", true)?;
    Ok(conn)
}
