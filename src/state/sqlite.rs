//! SQLite settings every stix database shares (the client's state DB and
//! each head node's job table): WAL, a long busy timeout, normal sync.

use std::path::Path;
use std::time::{Duration, Instant};

use rusqlite::{Connection, Transaction, TransactionBehavior};

use crate::error::{Error, ErrorKind, Result};

/// How long a writer waits for the lock before giving up.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(60);

fn sql_err(path: &Path, e: rusqlite::Error) -> Error {
    Error::new(ErrorKind::Runtime, format!("{}: {e}", path.display()))
}

/// Opens `path` in WAL mode with [`BUSY_TIMEOUT`].
pub fn open_sqlite(path: &Path) -> Result<Connection> {
    let conn = Connection::open(path).map_err(|e| sql_err(path, e))?;
    conn.busy_timeout(BUSY_TIMEOUT)
        .map_err(|e| sql_err(path, e))?;
    // Entering WAL needs a moment of exclusive access; when many processes
    // open a fresh file at once SQLite may answer BUSY without waiting, so
    // retry until the busy timeout.
    let deadline = Instant::now() + BUSY_TIMEOUT;
    loop {
        match conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get::<_, String>(0)) {
            Ok(mode) if mode.eq_ignore_ascii_case("wal") => break,
            Ok(mode) => {
                return Err(Error::new(
                    ErrorKind::Runtime,
                    format!("{}: could not enable WAL (mode {mode}).", path.display()),
                ));
            }
            Err(e) if Instant::now() < deadline && is_busy(&e) => {
                std::thread::sleep(Duration::from_millis(5));
            }
            Err(e) => return Err(sql_err(path, e)),
        }
    }
    conn.execute_batch("PRAGMA synchronous=NORMAL")
        .map_err(|e| sql_err(path, e))?;
    Ok(conn)
}

/// Whether an error is SQLite's BUSY/LOCKED.
pub fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
    )
}

/// Runs `f` in a `BEGIN IMMEDIATE` transaction (the write lock is taken up
/// front, so the busy timeout applies instead of a deadlock-prone upgrade)
/// and commits it; `err` maps SQLite errors.
pub fn write<T>(
    conn: &mut Connection,
    err: fn(rusqlite::Error) -> Error,
    f: impl FnOnce(&Transaction<'_>) -> rusqlite::Result<T>,
) -> Result<T> {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(err)?;
    let out = f(&tx).map_err(err)?;
    tx.commit().map_err(err)?;
    Ok(out)
}

/// Brings the schema up to date: `migrations[i]` moves `user_version` from
/// `i` to `i + 1`. A quick read first (most opens find nothing to do), then
/// the pending steps under the write lock, re-reading the version there as
/// another process may have migrated meanwhile.
pub fn migrate(
    conn: &mut Connection,
    err: fn(rusqlite::Error) -> Error,
    migrations: &[&str],
) -> Result<()> {
    let target = migrations.len() as i64;
    let v: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(err)?;
    if v >= target {
        return Ok(());
    }
    write(conn, err, |tx| {
        let v: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        for sql in migrations.iter().skip(v.max(0) as usize) {
            tx.execute_batch(sql)?;
        }
        tx.execute_batch(&format!("PRAGMA user_version = {target}"))
    })
}
