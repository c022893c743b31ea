//! Job operations on an UP cluster (`core.queue`, `core.cancel`,
//! `core.tail_logs`, `core.job_status`, `core.download_logs`): each checks
//! the cluster is available, then asks its head's agent.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::lifecycle::check_cluster_available;
use crate::agent::jobs::{JobRecord, JobStatus};
use crate::error::Result;
use crate::runner::Stream;
use crate::state::StateDb;

/// `core.queue`: the cluster's jobs (only live ones with `skip_finished`),
/// newest first; `user_hash` filters by owner (`None`: all users).
pub fn queue(
    state: &mut StateDb,
    cluster_name: &str,
    skip_finished: bool,
    user_hash: Option<&str>,
) -> Result<Vec<JobRecord>> {
    let handle = check_cluster_available(state, cluster_name, "getting the job queue")?;
    handle.agent()?.queue(!skip_finished, user_hash)
}

/// The job's user as SkyPilot names it (`global_user_state.get_user`):
/// this machine's user for its own hash (stix keeps no user table).
pub fn user_of(user_hash: &str) -> String {
    if user_hash == super::identity::user_hash() {
        super::identity::user_name()
    } else {
        user_hash.to_string()
    }
}

/// `ClusterJobRecord.model_dump(mode='json')`: a job as `sky queue -o
/// json` prints it and `sky.queue()` returns it.
pub fn job_response(j: &JobRecord) -> serde_json::Value {
    let metadata = match &j.metadata {
        serde_json::Value::Object(m) => serde_json::Value::Object(m.clone()),
        _ => serde_json::json!({}),
    };
    serde_json::json!({
        "job_id": j.job_id,
        "job_name": j.job_name,
        "username": user_of(&j.username),
        "user_hash": j.username,
        "submitted_at": j.submitted_at,
        "start_at": j.start_at,
        "end_at": j.end_at,
        "resources": j.resources,
        "status": j.status.as_str(),
        "log_path": j.log_path,
        "metadata": metadata,
        "links": {},
    })
}

/// `core.job_status`: statuses of `job_ids` (the latest job when `None`).
pub fn job_status(
    state: &mut StateDb,
    cluster_name: &str,
    job_ids: Option<&[i64]>,
) -> Result<BTreeMap<i64, Option<JobStatus>>> {
    let handle = check_cluster_available(state, cluster_name, "getting job status")?;
    handle.agent()?.statuses(job_ids)
}

/// `core.cancel`: the given jobs, all live ones (`all`), or the latest
/// running one; returns the ids cancelled.
pub fn cancel(
    state: &mut StateDb,
    cluster_name: &str,
    job_ids: Option<&[i64]>,
    all: bool,
    user_hash: Option<&str>,
) -> Result<Vec<i64>> {
    let handle = check_cluster_available(state, cluster_name, "cancelling jobs")?;
    handle.agent()?.cancel(job_ids, all, user_hash)
}

/// `core.tail_logs`: streams a job's log (the latest job when `None`) to
/// `sink`; returns SkyPilot's exit code (0, 100, 101, 102, 103).
pub fn tail_logs(
    state: &mut StateDb,
    cluster_name: &str,
    job_id: Option<i64>,
    follow: bool,
    tail: usize,
    sink: &mut dyn FnMut(Stream, &str),
) -> Result<i32> {
    let handle = check_cluster_available(state, cluster_name, "tailing logs")?;
    handle.agent()?.tail_logs(job_id, follow, tail, sink)
}

/// `core.download_logs`: copies each job's log directory from every node
/// to `<local_dir>/<cluster>/<id>-<name>`; returns job id -> local dir.
pub fn download_logs(
    state: &mut StateDb,
    cluster_name: &str,
    job_ids: Option<&[i64]>,
    local_dir: &Path,
    existing: &mut dyn FnMut(&Path),
) -> Result<BTreeMap<i64, PathBuf>> {
    let handle = check_cluster_available(state, cluster_name, "downloading logs")?;
    let dirs = handle.agent()?.log_dirs(job_ids)?;
    let runners = handle.runners();
    let mut out = BTreeMap::new();
    for (id, remote) in dirs {
        let job_dir = remote
            .strip_prefix(crate::agent::SKY_LOGS_DIRECTORY)
            .unwrap_or(&remote)
            .trim_start_matches('/');
        let local = local_dir.join(cluster_name).join(job_dir);
        if local.exists() {
            existing(&local);
        }
        std::fs::create_dir_all(&local).map_err(|e| {
            crate::error::Error::new(
                crate::error::ErrorKind::Os,
                format!("{}: {e}", local.display()),
            )
        })?;
        for r in &runners {
            // A node that ran no part of the job has no directory; skip it.
            let _ = r.rsync_down(&format!("{remote}/"), &local);
        }
        out.insert(id, local);
    }
    Ok(out)
}
