//! The client side of the agent protocol: each call is one `sky _agent
//! <op>` on the head through its `CommandRunner` (a local process, an SSH
//! command, a `kubectl exec`); inputs go as arguments or JSON on stdin,
//! results come back as one JSON document on stdout.

use std::collections::BTreeMap;

use serde::de::DeserializeOwned;

use super::ClusterSpec;
use super::autostop::WaitFor;
use super::jobs::{JobRecord, JobStatus};
use super::ops::{AutostopStatus, StartResult, SubmitResult};
use super::script::JobSubmission;
use crate::error::{Error, ErrorKind, Result};
use crate::runner::{CommandRunner, RunRequest, Stream};

/// An error as an op prints it.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub struct WireError {
    /// The Python class name (`ValueError`, `CommandError`, ...).
    pub kind: String,
    /// The message.
    pub message: String,
}

/// Kinds an op may report, by Python name.
const KINDS: [ErrorKind; 8] = [
    ErrorKind::Value,
    ErrorKind::Runtime,
    ErrorKind::Os,
    ErrorKind::Command,
    ErrorKind::ResourcesMismatch,
    ErrorKind::ClusterNotUp,
    ErrorKind::NotSupported,
    ErrorKind::FileNotFound,
];

impl From<WireError> for Error {
    fn from(w: WireError) -> Error {
        let kind = KINDS
            .into_iter()
            .find(|k| k.python_name() == w.kind)
            .unwrap_or(ErrorKind::Runtime);
        Error::new(kind, w.message)
    }
}

/// Runs agent ops on one head node.
pub struct AgentClient {
    runner: Box<dyn CommandRunner>,
    argv: Vec<String>,
}

fn ids_arg(ids: &[i64]) -> String {
    ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",")
}

impl AgentClient {
    /// A client for the head reached by `runner`, starting the runtime with
    /// `argv` (`[program, ..., "_agent"]`).
    pub fn new(runner: Box<dyn CommandRunner>, argv: Vec<String>) -> AgentClient {
        AgentClient { runner, argv }
    }

    fn request(&self, op: &[String], stdin: Option<Vec<u8>>) -> RunRequest {
        let mut req = RunRequest::new(self.argv.iter().cloned().chain(op.iter().cloned()));
        req.stdin = stdin;
        req
    }

    fn call<T: DeserializeOwned>(&self, op: &[&str], stdin: Option<Vec<u8>>) -> Result<T> {
        let op: Vec<String> = op.iter().map(|s| s.to_string()).collect();
        let out = self.runner.run(&self.request(&op, stdin), None)?;
        let text = out.stdout.trim();
        if out.code != 0 {
            if let Ok(w) = serde_json::from_str::<WireError>(text) {
                return Err(w.into());
            }
            return Err(Error::new(
                ErrorKind::Command,
                format!(
                    "Command {:?} failed with return code {} on {}: {}",
                    op.first().map_or("", String::as_str),
                    out.code,
                    self.runner.node_id(),
                    out.stderr.trim()
                ),
            ));
        }
        serde_json::from_str(text).map_err(|e| {
            Error::new(
                ErrorKind::Command,
                format!("Unexpected output from the SkyPilot runtime ({e}): {text:?}"),
            )
        })
    }

    /// Writes the cluster spec on the head.
    pub fn set_cluster(&self, spec: &ClusterSpec) -> Result<()> {
        let body = serde_json::to_vec(spec).map_err(|e| Error::value(e.to_string()))?;
        self.call::<serde_json::Value>(&["set-cluster"], Some(body))
            .map(|_| ())
    }

    /// Starts the daemon unless it runs (the runtime's health check).
    pub fn start(&self) -> Result<StartResult> {
        self.call(&["start"], None)
    }

    /// Submits a job; returns its id and log dir.
    pub fn submit(&self, sub: &JobSubmission) -> Result<SubmitResult> {
        let body = serde_json::to_vec(sub).map_err(|e| Error::value(e.to_string()))?;
        self.call(&["submit"], Some(body))
    }

    /// The job queue (all jobs, or only live ones).
    pub fn queue(&self, all_jobs: bool, user_hash: Option<&str>) -> Result<Vec<JobRecord>> {
        let mut op = vec!["queue"];
        if all_jobs {
            op.push("--all");
        }
        if let Some(u) = user_hash {
            op.extend(["--user", u]);
        }
        self.call(&op, None)
    }

    /// Job statuses (the latest job when `None`); unknown ids map to `None`.
    pub fn statuses(&self, job_ids: Option<&[i64]>) -> Result<BTreeMap<i64, Option<JobStatus>>> {
        let ids = job_ids.map(ids_arg);
        let mut op = vec!["status"];
        if let Some(ids) = &ids {
            op.extend(["--job-ids", ids]);
        }
        self.call(&op, None)
    }

    /// Cancels jobs; returns the ids actually cancelled.
    pub fn cancel(
        &self,
        job_ids: Option<&[i64]>,
        all: bool,
        user_hash: Option<&str>,
    ) -> Result<Vec<i64>> {
        let ids = job_ids.map(ids_arg);
        let mut op = vec!["cancel"];
        if let Some(ids) = &ids {
            op.extend(["--job-ids", ids]);
        }
        if all {
            op.push("--all");
        }
        if let Some(u) = user_hash {
            op.extend(["--user", u]);
        }
        self.call(&op, None)
    }

    /// Log directories of jobs (the latest job when `None`).
    pub fn log_dirs(&self, job_ids: Option<&[i64]>) -> Result<BTreeMap<i64, String>> {
        let ids = job_ids.map(ids_arg);
        let mut op = vec!["log-dirs"];
        if let Some(ids) = &ids {
            op.extend(["--job-ids", ids]);
        }
        self.call(&op, None)
    }

    /// Stores the lifecycle hooks on the head.
    pub fn set_hooks(&self, hooks: &[crate::agent::hooks::Hook]) -> Result<()> {
        let body = serde_json::to_vec(hooks).map_err(|e| Error::value(e.to_string()))?;
        self.call::<serde_json::Value>(&["set-hooks"], Some(body))
            .map(|_| ())
    }

    /// Runs the head's hooks for a teardown `event`; how many ran.
    pub fn run_hooks(&self, event: &str) -> Result<usize> {
        self.call(&["run-hooks", "--event", event], None)
    }

    /// Sets autostop on the cluster.
    pub fn set_autostop(&self, idle_minutes: i64, wait_for: WaitFor, down: bool) -> Result<()> {
        let idle = idle_minutes.to_string();
        let mut op = vec![
            "set-autostop",
            "--idle-minutes",
            &idle,
            "--wait-for",
            wait_for.as_str(),
        ];
        if down {
            op.push("--down");
        }
        self.call::<serde_json::Value>(&op, None).map(|_| ())
    }

    /// The autostop setting and whether autostop has begun.
    pub fn autostop_status(&self) -> Result<AutostopStatus> {
        self.call(&["autostop-status"], None)
    }

    /// Marks every live job `FAILED_DRIVER` (a stopped cluster restarting).
    pub fn fail_all_in_progress(&self) -> Result<()> {
        self.call::<serde_json::Value>(&["fail-all-in-progress"], None)
            .map(|_| ())
    }

    /// Streams a job's log to `sink`; returns SkyPilot's exit code (0, 100,
    /// 101, 102, 103).
    pub fn tail_logs(
        &self,
        job_id: Option<i64>,
        follow: bool,
        tail: usize,
        sink: &mut dyn FnMut(Stream, &str),
    ) -> Result<i32> {
        let mut op = vec!["tail-logs".to_string()];
        if let Some(id) = job_id {
            op.extend(["--job-id".into(), id.to_string()]);
        }
        if follow {
            op.push("--follow".into());
        }
        if tail > 0 {
            op.extend(["--tail".into(), tail.to_string()]);
        }
        let out = self.runner.run(&self.request(&op, None), Some(sink))?;
        Ok(out.code)
    }

    /// Whether the head answers at all.
    pub fn check_connection(&self) -> bool {
        self.runner.check_connection()
    }
}
