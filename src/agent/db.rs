//! The node's job table, `~/.sky/jobs.db`: SQLite in WAL mode with a busy
//! timeout; every change runs in a `BEGIN IMMEDIATE` transaction, which
//! also serialises the scheduler's decisions across ops, drivers and the
//! daemon (SkyPilot uses per-job file locks for the same purpose).

use std::path::Path;

use rusqlite::{Connection, OptionalExtension, Transaction, params};

use crate::state::sqlite::{self, open_sqlite};

use crate::error::{Error, ErrorKind, Result};

const SCHEMA_V1: &str = "
CREATE TABLE IF NOT EXISTS jobs (
    job_id INTEGER PRIMARY KEY AUTOINCREMENT,
    job_name TEXT,
    username TEXT,
    submitted_at REAL,
    status TEXT,
    run_timestamp TEXT,
    start_at REAL,
    end_at REAL,
    resources TEXT,
    pid INTEGER DEFAULT 0,
    log_dir TEXT,
    metadata TEXT DEFAULT '{}',
    exit_codes TEXT,
    num_nodes INTEGER DEFAULT 1,
    demand TEXT,
    scheduled_at REAL,
    alloc TEXT
);
CREATE INDEX IF NOT EXISTS jobs_status_idx ON jobs (status);
CREATE TABLE IF NOT EXISTS config (key TEXT PRIMARY KEY, value TEXT);
";

/// Maps a SQLite error to the crate's error.
pub fn sql_err(e: rusqlite::Error) -> Error {
    Error::new(ErrorKind::Runtime, format!("Job table error: {e}"))
}

/// An open job table.
pub struct JobsDb {
    conn: Connection,
}

impl JobsDb {
    /// Opens (creating and migrating) `~/.sky/jobs.db` under `home`.
    pub fn open(home: &Path) -> Result<JobsDb> {
        let dir = super::sky_dir(home);
        if !home.is_dir() {
            return Err(Error::new(
                ErrorKind::Runtime,
                format!("The node's home {} does not exist.", home.display()),
            ));
        }
        std::fs::create_dir_all(&dir)
            .map_err(|e| Error::new(ErrorKind::Os, format!("{}: {e}", dir.display())))?;
        let mut conn = open_sqlite(&dir.join("jobs.db"))?;
        sqlite::migrate(&mut conn, sql_err, &[SCHEMA_V1])?;
        Ok(JobsDb { conn })
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

    /// Reads a config value.
    pub fn get_config(&self, key: &str) -> Result<Option<String>> {
        self.conn
            .query_row("SELECT value FROM config WHERE key = ?1", [key], |r| {
                r.get(0)
            })
            .optional()
            .map_err(sql_err)
    }

    /// Writes a config value.
    pub fn set_config(&mut self, key: &str, value: &str) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "INSERT OR REPLACE INTO config (key, value) VALUES (?1, ?2)",
                params![key, value],
            )
            .map(|_| ())
        })
    }
}
