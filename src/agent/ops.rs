//! The short operations the client runs on the head (`sky _agent <op>`),
//! as plain functions returning serde data; `cli/agent.rs` parses argv
//! and prints their JSON.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::autostop::{self, AutostopConfig, WaitFor};
use super::db::JobsDb;
use super::driver::{kill_request, submission_path};
use super::jobs::{self, JobRecord, JobStatus};
use super::script::JobSubmission;
use super::{ClusterSpec, daemon, scheduler};
use crate::error::{Error, ErrorKind, Result};
use crate::runner::procs;

/// What `submit` returns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SubmitResult {
    /// The new job's id.
    pub job_id: i64,
    /// Its log directory on the head (`~/sky_logs/<id>-<name>`).
    pub log_dir: String,
}

/// What `autostop-status` returns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AutostopStatus {
    /// The stored setting.
    pub config: AutostopConfig,
    /// Whether autostop has begun.
    pub is_autostopping: bool,
}

/// `set-cluster`: stores the cluster spec on the head.
pub fn set_cluster(home: &Path, spec: &ClusterSpec) -> Result<()> {
    spec.save(home)?;
    JobsDb::open(home).map(|_| ())
}

/// What `start` returns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StartResult {
    /// A new daemon was started (the previous one was gone).
    pub started: bool,
    /// Autostop has begun; the daemon is not restarted then.
    pub is_autostopping: bool,
}

/// `start`: starts the daemon unless it runs (or the node is autostopping);
/// also the health check of a status refresh.
pub fn start(home: &Path) -> Result<StartResult> {
    ClusterSpec::load(home)?;
    let started = daemon::ensure_started(home)?;
    let is_autostopping = autostop::is_autostopping(&JobsDb::open(home)?, home);
    Ok(StartResult {
        started,
        is_autostopping,
    })
}

/// `submit`: `add_job` + `queue_job` in one round trip. The job is
/// `INIT` until its spec is on disk, then `PENDING` and scheduled.
pub fn submit(home: &Path, sub: &JobSubmission) -> Result<SubmitResult> {
    let spec = ClusterSpec::load(home)?;
    scheduler::check_feasible(&spec, &sub.demand, sub.num_nodes)?;
    let mut db = JobsDb::open(home)?;
    let (job_id, log_dir) = db.write(|tx| {
        jobs::add_job(
            tx,
            sub.job_name.as_deref(),
            &sub.user_hash,
            &sub.run_timestamp,
            &sub.resources_str,
            &sub.metadata,
        )
    })?;
    let text =
        serde_json::to_vec(sub).map_err(|e| Error::new(ErrorKind::Runtime, e.to_string()))?;
    super::write_atomic(&submission_path(home, job_id), &text, true)?;
    let run_log = super::expand(home, &format!("{log_dir}/run.log"));
    if let Some(dir) = run_log.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| Error::new(ErrorKind::Os, format!("{}: {e}", dir.display())))?;
    }
    let _ = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&run_log);
    let demand = serde_json::to_string(&sub.demand).unwrap_or_default();
    db.write(|tx| {
        tx.execute(
            "UPDATE jobs SET status = 'PENDING', num_nodes = ?1, demand = ?2 \
             WHERE job_id = ?3 AND status = 'INIT'",
            rusqlite::params![sub.num_nodes.max(1), demand, job_id],
        )
        .map(|_| ())
    })?;
    // A submitted job restarts the idle timer.
    autostop::set_last_active_now(&mut db)?;
    daemon::ensure_started(home)?;
    scheduler::schedule_step(home)?;
    Ok(SubmitResult { job_id, log_dir })
}

/// `queue`: the job records (live ones only unless `all_jobs`).
pub fn queue(home: &Path, all_jobs: bool, user_hash: Option<&str>) -> Result<Vec<JobRecord>> {
    let mut db = JobsDb::open(home)?;
    let failed = jobs::update_status(&mut db, home)?;
    kill_on_nodes(home, &failed);
    let live = [JobStatus::SettingUp, JobStatus::Pending, JobStatus::Running];
    jobs::get_jobs(&db, user_hash, (!all_jobs).then_some(&live[..]))
}

/// `status`: the statuses of `job_ids` (the latest job when `None`).
pub fn statuses(home: &Path, job_ids: Option<&[i64]>) -> Result<BTreeMap<i64, Option<JobStatus>>> {
    let mut db = JobsDb::open(home)?;
    let failed = jobs::update_status(&mut db, home)?;
    kill_on_nodes(home, &failed);
    let ids: Vec<i64> = match job_ids {
        Some(ids) => ids.to_vec(),
        None => jobs::latest_job_id(&db)?.into_iter().collect(),
    };
    ids.into_iter()
        .map(|id| Ok((id, jobs::get_status(&db, id)?)))
        .collect()
}

/// `log-dirs`: each job's log directory (the latest job when `None`).
pub fn log_dirs(home: &Path, job_ids: Option<&[i64]>) -> Result<BTreeMap<i64, String>> {
    let db = JobsDb::open(home)?;
    let ids: Vec<i64> = match job_ids {
        Some(ids) => ids.to_vec(),
        None => jobs::latest_job_id(&db)?.into_iter().collect(),
    };
    let mut out = BTreeMap::new();
    for id in ids {
        if let Some(r) = jobs::get_job(&db, id)? {
            out.insert(id, r.log_path);
        }
    }
    Ok(out)
}

/// Runs `kill-job` for each job on every node of the cluster, in parallel.
pub fn kill_on_nodes(home: &Path, job_ids: &[i64]) {
    if job_ids.is_empty() {
        return;
    }
    let Ok(spec) = ClusterSpec::load(home) else {
        return;
    };
    let argv = if spec.agent_argv.is_empty() {
        super::self_command()
    } else {
        spec.agent_argv.clone()
    };
    std::thread::scope(|s| {
        for node in &spec.nodes {
            let argv = &argv;
            s.spawn(move || {
                let runner = node.runner.runner();
                for id in job_ids {
                    let _ = runner.run(&kill_request(argv, *id), None);
                }
            });
        }
    });
}

/// Stops a job's driver: SIGTERM to its process group, SIGKILL if it lingers.
fn kill_driver(job_id: i64, pid: i64) {
    let needles = jobs::driver_needles(job_id);
    let refs: Vec<&str> = needles.iter().map(String::as_str).collect();
    let pid = pid as i32;
    if !procs::pid_runs(pid, &refs) {
        return;
    }
    let pgid = procs::pgid_of(pid).unwrap_or(pid);
    procs::kill_group(pgid, libc::SIGTERM);
    let deadline = Instant::now() + Duration::from_secs(2);
    while procs::pid_alive(pid) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    if procs::pid_alive(pid) {
        procs::kill_group(pgid, libc::SIGKILL);
    }
}

/// `cancel` (`job_lib.cancel_jobs`): the given jobs, all live ones, or the
/// latest running one; kills their drivers and every process they started
/// on every node. Returns the ids it moved to `CANCELLED`.
pub fn cancel(
    home: &Path,
    job_ids: Option<&[i64]>,
    cancel_all: bool,
    user_hash: Option<&str>,
) -> Result<Vec<i64>> {
    let mut db = JobsDb::open(home)?;
    let live = [JobStatus::Pending, JobStatus::SettingUp, JobStatus::Running];
    let mut records = Vec::new();
    if job_ids.is_none() && !cancel_all {
        records.extend(
            jobs::get_jobs(&db, user_hash, Some(&[JobStatus::Running]))?
                .into_iter()
                .take(1),
        );
    } else if cancel_all {
        records.extend(jobs::get_jobs(&db, user_hash, Some(&live))?);
    }
    for id in job_ids.unwrap_or_default() {
        if let Some(r) = jobs::get_job(&db, *id)? {
            records.push(r);
        }
    }
    let mut cancelled = Vec::new();
    for r in records {
        if r.status.is_terminal() || cancelled.contains(&r.job_id) {
            continue;
        }
        // Mark first: the driver cannot overwrite CANCELLED, and the
        // reconciler ignores terminal jobs, so neither races the kill below
        // into FAILED / FAILED_DRIVER.
        let marked = db.write(|tx| {
            let (s, pid): (String, Option<i64>) = tx.query_row(
                "SELECT status, pid FROM jobs WHERE job_id = ?1",
                [r.job_id],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )?;
            Ok(match JobStatus::parse(&s) {
                Some(JobStatus::Pending | JobStatus::SettingUp | JobStatus::Running) => {
                    jobs::set_status(tx, r.job_id, JobStatus::Cancelled)?;
                    Some(pid.unwrap_or(0))
                }
                _ => None,
            })
        })?;
        let Some(driver_pid) = marked else {
            continue;
        };
        cancelled.push(r.job_id);
        kill_driver(r.job_id, driver_pid);
        kill_on_nodes(home, &[r.job_id]);
        scheduler::schedule_step(home)?;
    }
    Ok(cancelled)
}

/// `set-autostop`.
pub fn set_autostop(home: &Path, idle_minutes: i64, wait_for: WaitFor, down: bool) -> Result<()> {
    let mut db = JobsDb::open(home)?;
    autostop::set_autostop(&mut db, home, idle_minutes, wait_for, down)
}

/// `autostop-status`.
pub fn autostop_status(home: &Path) -> Result<AutostopStatus> {
    let db = JobsDb::open(home)?;
    Ok(AutostopStatus {
        config: autostop::get_config(&db)?,
        is_autostopping: autostop::is_autostopping(&db, home),
    })
}

/// `fail-all-in-progress` (a stopped cluster restarting).
pub fn fail_all_in_progress(home: &Path) -> Result<()> {
    let mut db = JobsDb::open(home)?;
    jobs::fail_all_in_progress(&mut db)
}
