//! SkyPilot's cluster job table (`job_lib`): job ids autoincrement from 1,
//! statuses `INIT -> PENDING -> SETTING_UP -> RUNNING -> terminal`, records
//! as `dump_job_queue` returns them, and the reconciliation that turns jobs
//! whose driver died into `FAILED_DRIVER`.

use std::path::Path;

use rusqlite::{OptionalExtension, Row, Transaction, params};
use serde::{Deserialize, Serialize};

use super::db::JobsDb;
use super::now;
use crate::error::{Error, Result};

/// `job_lib.JobStatus`; declaration order is the lifecycle order that
/// reconciliation takes the maximum over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum JobStatus {
    /// Job id reserved, not yet submitted.
    Init,
    /// Waiting for resources.
    Pending,
    /// Running the setup script.
    SettingUp,
    /// Running.
    Running,
    /// The driver died without setting a terminal status.
    FailedDriver,
    /// Finished successfully.
    Succeeded,
    /// The run script failed.
    Failed,
    /// The setup script failed.
    FailedSetup,
    /// Cancelled by the user.
    Cancelled,
}

impl JobStatus {
    /// Every status, in order.
    pub const ALL: [JobStatus; 9] = [
        JobStatus::Init,
        JobStatus::Pending,
        JobStatus::SettingUp,
        JobStatus::Running,
        JobStatus::FailedDriver,
        JobStatus::Succeeded,
        JobStatus::Failed,
        JobStatus::FailedSetup,
        JobStatus::Cancelled,
    ];

    /// The stored name (`SETTING_UP`).
    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Init => "INIT",
            JobStatus::Pending => "PENDING",
            JobStatus::SettingUp => "SETTING_UP",
            JobStatus::Running => "RUNNING",
            JobStatus::FailedDriver => "FAILED_DRIVER",
            JobStatus::Succeeded => "SUCCEEDED",
            JobStatus::Failed => "FAILED",
            JobStatus::FailedSetup => "FAILED_SETUP",
            JobStatus::Cancelled => "CANCELLED",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<JobStatus> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// `INIT, SETTING_UP, PENDING, RUNNING`.
    pub fn is_terminal(self) -> bool {
        !matches!(
            self,
            JobStatus::Init | JobStatus::SettingUp | JobStatus::Pending | JobStatus::Running
        )
    }

    /// `exceptions.JobExitCode.from_job_status`.
    pub fn exit_code(status: Option<JobStatus>) -> i32 {
        match status {
            None => exit_codes::NOT_FOUND,
            Some(s) if !s.is_terminal() => exit_codes::NOT_FINISHED,
            Some(JobStatus::Succeeded) => exit_codes::SUCCEEDED,
            Some(JobStatus::Cancelled) => exit_codes::CANCELLED,
            Some(_) => exit_codes::FAILED,
        }
    }
}

/// `sky.exceptions.JobExitCode`.
pub mod exit_codes {
    /// The job succeeded.
    pub const SUCCEEDED: i32 = 0;
    /// The job failed (user code, setup or driver).
    pub const FAILED: i32 = 100;
    /// The job has not finished.
    pub const NOT_FINISHED: i32 = 101;
    /// No such job.
    pub const NOT_FOUND: i32 = 102;
    /// The job was cancelled.
    pub const CANCELLED: i32 = 103;
}

/// One row of `sky queue` (`job_lib.dump_job_queue`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobRecord {
    /// Job id.
    pub job_id: i64,
    /// Job name (`-` when the task had none).
    pub job_name: String,
    /// The submitting user's hash.
    pub username: String,
    /// Submission time (epoch seconds).
    pub submitted_at: f64,
    /// Status.
    pub status: JobStatus,
    /// The client's run timestamp (`sky-YYYY-...`).
    pub run_timestamp: String,
    /// When it started running.
    pub start_at: Option<f64>,
    /// When it reached a terminal status.
    pub end_at: Option<f64>,
    /// Resources string (`1x[CPU:0.5]`).
    pub resources: String,
    /// Driver pid (0 before it starts).
    pub pid: i64,
    /// `~/sky_logs/<id>-<name>`.
    pub log_path: String,
    /// Metadata JSON.
    pub metadata: serde_json::Value,
    /// Exit codes per node, once known.
    pub exit_codes: Option<Vec<i32>>,
}

pub(crate) const RECORD_COLUMNS: &str = "job_id, job_name, username, submitted_at, status, \
     run_timestamp, start_at, end_at, resources, pid, log_dir, metadata, exit_codes";

pub(crate) fn record_from_row(r: &Row<'_>) -> rusqlite::Result<JobRecord> {
    let status: String = r.get(4)?;
    let metadata: Option<String> = r.get(11)?;
    let exit_codes: Option<String> = r.get(12)?;
    Ok(JobRecord {
        job_id: r.get(0)?,
        job_name: r.get::<_, Option<String>>(1)?.unwrap_or_else(|| "-".into()),
        username: r.get::<_, Option<String>>(2)?.unwrap_or_default(),
        submitted_at: r.get::<_, Option<f64>>(3)?.unwrap_or(0.0),
        status: JobStatus::parse(&status).unwrap_or(JobStatus::FailedDriver),
        run_timestamp: r.get::<_, Option<String>>(5)?.unwrap_or_default(),
        start_at: r.get(6)?,
        end_at: r.get(7)?,
        resources: r.get::<_, Option<String>>(8)?.unwrap_or_default(),
        pid: r.get::<_, Option<i64>>(9)?.unwrap_or(0),
        log_path: r.get::<_, Option<String>>(10)?.unwrap_or_default(),
        metadata: metadata
            .and_then(|m| serde_json::from_str(&m).ok())
            .unwrap_or_else(|| serde_json::json!({})),
        exit_codes: exit_codes.map(|s| s.split(',').filter_map(|c| c.parse().ok()).collect()),
    })
}

/// `job_lib.add_job`: reserves the next id in `INIT`; returns it and the
/// log dir `~/sky_logs/<id>-<name>`.
pub fn add_job(
    tx: &Transaction<'_>,
    job_name: Option<&str>,
    username: &str,
    run_timestamp: &str,
    resources: &str,
    metadata: &str,
) -> rusqlite::Result<(i64, String)> {
    let name = job_name.unwrap_or("-");
    tx.execute(
        "INSERT INTO jobs (job_name, username, submitted_at, status, run_timestamp, \
         resources, pid, metadata) VALUES (?1, ?2, ?3, 'INIT', ?4, ?5, 0, ?6)",
        params![name, username, now(), run_timestamp, resources, metadata],
    )?;
    let job_id = tx.last_insert_rowid();
    let log_dir = format!("{}/{job_id}-{name}", super::SKY_LOGS_DIRECTORY);
    tx.execute(
        "UPDATE jobs SET log_dir = ?1 WHERE job_id = ?2",
        params![log_dir, job_id],
    )?;
    Ok((job_id, log_dir))
}

/// `_set_status_no_lock`: terminal statuses stamp `end_at`; a job already
/// `CANCELLED` keeps that status (its driver may still be unwinding).
pub fn set_status(tx: &Transaction<'_>, job_id: i64, status: JobStatus) -> rusqlite::Result<bool> {
    let n = if status.is_terminal() {
        tx.execute(
            "UPDATE jobs SET status = ?1, end_at = ?2 WHERE job_id = ?3 AND status != 'CANCELLED'",
            params![status.as_str(), now(), job_id],
        )?
    } else {
        tx.execute(
            "UPDATE jobs SET status = ?1, end_at = NULL WHERE job_id = ?2 \
             AND status NOT IN ('CANCELLED', 'SUCCEEDED', 'FAILED', 'FAILED_SETUP', \
             'FAILED_DRIVER')",
            params![status.as_str(), job_id],
        )?
    };
    Ok(n > 0)
}

/// `set_job_started`: `RUNNING` with `start_at` now, unless already terminal.
pub fn set_job_started(tx: &Transaction<'_>, job_id: i64) -> rusqlite::Result<bool> {
    let n = tx.execute(
        "UPDATE jobs SET status = 'RUNNING', start_at = ?1, end_at = NULL WHERE job_id = ?2 \
         AND status IN ('PENDING', 'SETTING_UP')",
        params![now(), job_id],
    )?;
    Ok(n > 0)
}

/// Records per-node exit codes (comma-separated, as SkyPilot stores them).
pub fn set_exit_codes(tx: &Transaction<'_>, job_id: i64, codes: &[i32]) -> rusqlite::Result<()> {
    let s = codes
        .iter()
        .map(i32::to_string)
        .collect::<Vec<_>>()
        .join(",");
    tx.execute(
        "UPDATE jobs SET exit_codes = ?1 WHERE job_id = ?2",
        params![s, job_id],
    )
    .map(|_| ())
}

/// The status of one job.
pub fn get_status(db: &JobsDb, job_id: i64) -> Result<Option<JobStatus>> {
    let s: Option<String> = db
        .conn()
        .query_row("SELECT status FROM jobs WHERE job_id = ?1", [job_id], |r| {
            r.get(0)
        })
        .optional()
        .map_err(super::db::sql_err)?;
    Ok(s.and_then(|s| JobStatus::parse(&s)))
}

/// The largest job id, if any job exists.
pub fn latest_job_id(db: &JobsDb) -> Result<Option<i64>> {
    db.conn()
        .query_row("SELECT MAX(job_id) FROM jobs", [], |r| r.get(0))
        .map_err(super::db::sql_err)
}

/// Records with the given statuses (all when `None`) and owner, newest first.
pub fn get_jobs(
    db: &JobsDb,
    user_hash: Option<&str>,
    statuses: Option<&[JobStatus]>,
) -> Result<Vec<JobRecord>> {
    let mut sql = format!("SELECT {RECORD_COLUMNS} FROM jobs WHERE 1=1");
    if let Some(list) = statuses {
        let names: Vec<String> = list.iter().map(|s| format!("'{}'", s.as_str())).collect();
        sql.push_str(&format!(" AND status IN ({})", names.join(",")));
    }
    if user_hash.is_some() {
        sql.push_str(" AND username = ?1");
    }
    sql.push_str(" ORDER BY job_id DESC");
    let mut stmt = db.conn().prepare(&sql).map_err(super::db::sql_err)?;
    let rows = match user_hash {
        Some(u) => stmt.query_map([u], record_from_row),
        None => stmt.query_map([], record_from_row),
    }
    .map_err(super::db::sql_err)?;
    rows.collect::<rusqlite::Result<Vec<_>>>()
        .map_err(super::db::sql_err)
}

/// One job's record.
pub fn get_job(db: &JobsDb, job_id: i64) -> Result<Option<JobRecord>> {
    db.conn()
        .query_row(
            &format!("SELECT {RECORD_COLUMNS} FROM jobs WHERE job_id = ?1"),
            [job_id],
            record_from_row,
        )
        .optional()
        .map_err(super::db::sql_err)
}

/// Whether no job is in a non-terminal status (`is_cluster_idle`).
pub fn is_cluster_idle(db: &JobsDb) -> Result<bool> {
    let n: i64 = db
        .conn()
        .query_row(
            "SELECT COUNT(*) FROM jobs WHERE status IN ('INIT','PENDING','SETTING_UP','RUNNING')",
            [],
            |r| r.get(0),
        )
        .map_err(super::db::sql_err)?;
    Ok(n == 0)
}

/// `fail_all_jobs_in_progress`: used when a stopped cluster restarts.
pub fn fail_all_in_progress(db: &mut JobsDb) -> Result<()> {
    db.write(|tx| {
        tx.execute(
            "UPDATE jobs SET status = 'FAILED_DRIVER', end_at = ?1 \
             WHERE status IN ('INIT','PENDING','SETTING_UP','RUNNING')",
            [now()],
        )
        .map(|_| ())
    })
}

/// The pid marker a job driver carries in its argv.
pub fn driver_needles(job_id: i64) -> [String; 3] {
    ["driver".into(), "--job-id".into(), job_id.to_string()]
}

/// How long a reserved (INIT) or scheduled-but-not-started job is given
/// before it counts as lost (`_INIT_SUBMIT_GRACE_PERIOD`).
pub const SUBMIT_GRACE_SECONDS: f64 = 60.0;

/// `update_job_status` for every non-terminal job: a job whose driver is
/// gone without a terminal status becomes `FAILED_DRIVER`. Runs the check
/// and the update in one write transaction so a driver finishing at the
/// same moment is never overwritten. Returns the jobs it failed.
pub fn update_status(db: &mut JobsDb, home: &Path) -> Result<Vec<i64>> {
    let boot = super::autostop::boot_time(home);
    db.write(|tx| {
        let mut stmt = tx.prepare(
            "SELECT job_id, status, submitted_at, pid, scheduled_at FROM jobs \
             WHERE status IN ('INIT','PENDING','SETTING_UP','RUNNING')",
        )?;
        let rows: Vec<(i64, String, f64, i64, Option<f64>)> = stmt
            .query_map([], |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get::<_, Option<f64>>(2)?.unwrap_or(0.0),
                    r.get::<_, Option<i64>>(3)?.unwrap_or(0),
                    r.get(4)?,
                ))
            })?
            .collect::<rusqlite::Result<_>>()?;
        drop(stmt);
        let t = now();
        let mut failed = Vec::new();
        for (job_id, status, submitted_at, pid, scheduled_at) in rows {
            let original = JobStatus::parse(&status).unwrap_or(JobStatus::FailedDriver);
            let stale = submitted_at < boot;
            let lost = match original {
                JobStatus::Init => stale || submitted_at < t - SUBMIT_GRACE_SECONDS,
                _ if pid > 0 => {
                    let needles = driver_needles(job_id);
                    let refs: Vec<&str> = needles.iter().map(String::as_str).collect();
                    !crate::runner::procs::pid_runs(pid as i32, &refs)
                }
                // Scheduled, driver not yet on record: give it the grace.
                _ => match scheduled_at {
                    Some(s) => stale || s < t - SUBMIT_GRACE_SECONDS,
                    None => stale,
                },
            };
            if lost && set_status(tx, job_id, JobStatus::FailedDriver)? {
                failed.push(job_id);
            }
        }
        Ok(failed)
    })
}

/// Errors for job ids that do not parse or exist.
pub fn not_found(job_id: i64) -> Error {
    Error::value(format!("Job {job_id} not found (see `sky queue`)."))
}
