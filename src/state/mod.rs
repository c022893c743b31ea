//! The client's state, `~/.sky/state.db` (SkyPilot's `global_user_state`):
//! clusters, their usage history (for `cost-report`) and the request
//! journal table (filled by the requests layer). SQLite in WAL mode, a
//! busy timeout, `BEGIN IMMEDIATE` for every write and schema migrations
//! keyed by `PRAGMA user_version`, so many concurrent `sky` processes never
//! see "database is locked". Handles and resources are stored as JSON.

pub mod clusters;
pub mod provision_logs;
pub mod sqlite;

use std::path::{Path, PathBuf};

use rusqlite::{Connection, Transaction};

use crate::error::{Error, ErrorKind, Result};

pub use clusters::{ClusterRecord, ClusterStatus, ClusterUpdate, HistoryRecord};

const SCHEMA_V1: &str = "
CREATE TABLE IF NOT EXISTS clusters (
    name TEXT PRIMARY KEY,
    launched_at INTEGER,
    handle TEXT,
    last_use TEXT,
    status TEXT,
    autostop INTEGER DEFAULT -1,
    to_down INTEGER DEFAULT 0,
    metadata TEXT DEFAULT '{}',
    owner TEXT DEFAULT NULL,
    cluster_hash TEXT DEFAULT NULL,
    cluster_ever_up INTEGER DEFAULT 0,
    status_updated_at INTEGER DEFAULT NULL,
    config_hash TEXT DEFAULT NULL,
    user_hash TEXT DEFAULT NULL,
    workspace TEXT DEFAULT 'default',
    last_creation_yaml TEXT DEFAULT NULL,
    last_creation_command TEXT DEFAULT NULL,
    is_managed INTEGER DEFAULT 0,
    provision_log_path TEXT DEFAULT NULL,
    cloud TEXT DEFAULT NULL,
    region TEXT DEFAULT NULL,
    zone TEXT DEFAULT NULL,
    launched_nodes INTEGER DEFAULT NULL,
    launched_resources TEXT DEFAULT NULL,
    requested_resources TEXT DEFAULT NULL
);
CREATE TABLE IF NOT EXISTS cluster_history (
    cluster_hash TEXT PRIMARY KEY,
    name TEXT,
    num_nodes INTEGER,
    requested_resources TEXT,
    launched_resources TEXT,
    usage_intervals TEXT,
    user_hash TEXT,
    last_creation_yaml TEXT DEFAULT NULL,
    last_creation_command TEXT DEFAULT NULL,
    workspace TEXT DEFAULT NULL,
    provision_log_path TEXT DEFAULT NULL,
    last_activity_time INTEGER DEFAULT NULL,
    launched_at INTEGER DEFAULT NULL,
    cloud TEXT DEFAULT NULL,
    region TEXT DEFAULT NULL,
    zone TEXT DEFAULT NULL,
    is_managed INTEGER DEFAULT 0
);
CREATE INDEX IF NOT EXISTS cluster_history_activity_idx
    ON cluster_history (last_activity_time);
CREATE TABLE IF NOT EXISTS requests (
    request_id TEXT PRIMARY KEY,
    name TEXT,
    entrypoint TEXT,
    request_body TEXT,
    status TEXT,
    created_at REAL,
    return_value TEXT,
    error BLOB,
    pid INTEGER,
    cluster_name TEXT,
    schedule_type TEXT,
    user_id TEXT,
    status_msg TEXT,
    should_retry INTEGER,
    finished_at REAL,
    file_mounts_blob_id TEXT
);
CREATE INDEX IF NOT EXISTS status_name_idx ON requests (status, name)
    WHERE status IN ('PENDING', 'WAITING', 'RUNNING');
CREATE INDEX IF NOT EXISTS cluster_name_idx ON requests (cluster_name)
    WHERE status IN ('PENDING', 'WAITING', 'RUNNING');
CREATE INDEX IF NOT EXISTS created_at_idx ON requests (created_at);
CREATE TABLE IF NOT EXISTS config (key TEXT PRIMARY KEY, value TEXT);
";

/// Maps a SQLite error.
pub fn sql_err(e: rusqlite::Error) -> Error {
    Error::new(ErrorKind::Runtime, format!("State database error: {e}"))
}

/// The client's state database.
pub struct StateDb {
    conn: Connection,
}

/// `~/.sky/state.db` of the current user.
pub fn default_path() -> PathBuf {
    PathBuf::from(crate::spec::task::expand_user("~/.sky/state.db"))
}

impl StateDb {
    /// Opens `~/.sky/state.db`.
    pub fn open() -> Result<StateDb> {
        Self::open_at(&default_path())
    }

    /// Opens (creating and migrating) the database at `path`.
    pub fn open_at(path: &Path) -> Result<StateDb> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .map_err(|e| Error::new(ErrorKind::Os, format!("{}: {e}", dir.display())))?;
        }
        let mut conn = sqlite::open_sqlite(path)?;
        sqlite::migrate(&mut conn, sql_err, &[SCHEMA_V1])?;
        Ok(StateDb { conn })
    }

    /// Runs `f` in a `BEGIN IMMEDIATE` transaction and commits it.
    pub fn write<T>(
        &mut self,
        f: impl FnOnce(&Transaction<'_>) -> rusqlite::Result<T>,
    ) -> Result<T> {
        sqlite::write(&mut self.conn, sql_err, f)
    }

    /// The connection, for reads.
    pub fn conn(&self) -> &Connection {
        &self.conn
    }

    /// The schema version.
    pub fn schema_version(&self) -> Result<i64> {
        self.conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(sql_err)
    }
}

/// `n` random lowercase hex digits (from the kernel's generator).
pub fn random_hex(n: usize) -> String {
    use std::io::Read;
    let mut bytes = vec![0u8; n.div_ceil(2)];
    let filled = std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .is_ok();
    if !filled {
        // Fall back to time and pid; uniqueness, not secrecy, is the point.
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos())
            ^ u128::from(std::process::id());
        for (i, b) in bytes.iter_mut().enumerate() {
            *b = (seed >> ((i % 16) * 8)) as u8;
        }
    }
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    hex[..n].to_string()
}

/// Seconds since the epoch, as SkyPilot's integer timestamps.
pub fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}
