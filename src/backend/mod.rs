//! Cluster lifecycle on top of the provisioners, the runners and the
//! agent (SkyPilot's `CloudVmRayBackend` + `execution.py` + parts of
//! `core.py`): launch (provision -> runtime -> workdir -> file mounts ->
//! setup -> run), exec, queue, cancel, logs, stop/start/down, autostop and
//! status refresh. Every step is recorded in the state DB before it acts,
//! and every step is idempotent, so a launch or teardown killed at any
//! point is finished by running it again. Progress goes to a callback;
//! nothing here prints.

pub mod failover;
pub mod git_workdir;
pub mod graceful;
pub mod identity;
pub mod jobs;
pub mod launch;
pub mod launchable;
pub mod lifecycle;
pub mod plan;
pub mod provision_log;
pub mod provision_tail;
pub mod provisioning;
pub mod reconcile;
pub mod ssh_config;
pub mod ssh_wait;
pub mod status_view;
pub mod sync;

use std::fs::File;
use std::os::fd::AsRawFd;

use serde::{Deserialize, Serialize};

use crate::agent::client::AgentClient;
use crate::agent::{ClusterSpec, NodeSpec};
use crate::error::{Error, ErrorKind, Result};
use crate::runner::CommandRunner;

pub use jobs::{cancel, download_logs, job_status, queue, tail_logs};
pub use launch::{ExecOptions, LaunchOptions, LaunchResult, exec, launch};
pub use lifecycle::{
    RefreshMode, check_cluster_available, down, endpoints, refresh_cluster, set_autostop, start,
    status, stop,
};

/// What a cluster was launched with (`handle.launched_resources`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LaunchedResources {
    /// Cloud registry name (`local`).
    pub cloud: String,
    /// Region.
    pub region: Option<String>,
    /// Zone.
    pub zone: Option<String>,
    /// Instance type.
    pub instance_type: Option<String>,
    /// vCPUs per node.
    pub cpus: Option<f64>,
    /// Memory per node (GiB).
    pub memory_gb: Option<f64>,
    /// Accelerator name and count per node.
    pub accelerators: Option<(String, f64)>,
    /// Spot instances.
    pub use_spot: bool,
    /// Ports to open.
    pub ports: Vec<String>,
}

impl LaunchedResources {
    /// `str(cloud)` as SkyPilot prints it (`Local`, `AWS`).
    pub fn cloud_display(&self) -> String {
        crate::spec::infra::Cloud::from_str(&self.cloud)
            .map(|c| c.display().to_string())
            .unwrap_or_else(|_| self.cloud.clone())
    }
}

/// The backend's handle on a cluster (SkyPilot's
/// `CloudVmRayResourceHandle`), stored as JSON in the state DB.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ClusterHandle {
    /// User-facing name.
    pub cluster_name: String,
    /// Name on the infra.
    pub cluster_name_on_cloud: String,
    /// Provisioner name.
    pub provider_name: String,
    /// Provider config from `bootstrap_instances` (null before it ran).
    pub provider_config: serde_json::Value,
    /// Nodes requested.
    pub launched_nodes: u32,
    /// What was launched.
    pub launched_resources: LaunchedResources,
    /// Nodes, head first (empty until provisioned).
    pub nodes: Vec<NodeSpec>,
}

impl ClusterHandle {
    /// Internal IPs, head first.
    pub fn internal_ips(&self) -> Vec<String> {
        self.nodes.iter().map(|n| n.internal_ip.clone()).collect()
    }

    /// The head's IP, if provisioned.
    pub fn head_ip(&self) -> Option<&str> {
        self.nodes.first().map(|n| n.internal_ip.as_str())
    }

    /// Runners for every node, head first.
    pub fn runners(&self) -> Vec<Box<dyn CommandRunner>> {
        self.nodes.iter().map(|n| n.runner.runner()).collect()
    }

    /// A client for the head's agent.
    pub fn agent(&self) -> Result<AgentClient> {
        let head = self.nodes.first().ok_or_else(|| {
            Error::new(
                ErrorKind::ClusterNotUp,
                format!(
                    "Cluster {:?} has been stopped or not properly set up. Please re-launch it \
                     with `sky start`.",
                    self.cluster_name
                ),
            )
        })?;
        Ok(AgentClient::new(
            head.runner.runner(),
            crate::agent::deploy::agent_command_for(&head.runner),
        ))
    }

    /// What the head's agent needs to know about the cluster.
    pub fn cluster_spec(&self) -> ClusterSpec {
        let r = &self.launched_resources;
        ClusterSpec {
            cluster_name: self.cluster_name.clone(),
            cluster_name_on_cloud: self.cluster_name_on_cloud.clone(),
            cloud: r.cloud_display(),
            region: r.region.clone(),
            zone: r.zone.clone(),
            provider_name: self.provider_name.clone(),
            provider_config: self.provider_config.clone(),
            nodes: self.nodes.clone(),
            agent_argv: self
                .nodes
                .first()
                .map_or_else(crate::agent::agent_command, |n| {
                    crate::agent::deploy::agent_command_for(&n.runner)
                }),
        }
    }

    /// Parses a stored handle.
    pub fn from_json(v: &serde_json::Value) -> Result<ClusterHandle> {
        serde_json::from_value(v.clone())
            .map_err(|e| Error::new(ErrorKind::Runtime, format!("Corrupt cluster handle: {e}")))
    }

    /// The handle as JSON.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or_default()
    }
}

/// SkyPilot's launch stages (`execution.Stage`), reported as they start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Stage {
    /// Choosing resources.
    Optimize,
    /// Creating or starting nodes and the runtime.
    Provision,
    /// Copying the workdir.
    SyncWorkdir,
    /// Copying file mounts.
    SyncFileMounts,
    /// Setup (runs inside the job).
    Setup,
    /// Autostop.
    PreExec,
    /// Submitting the job.
    Exec,
    /// Tearing down (`--down`).
    Down,
}

/// What the backend reports while it works.
#[derive(Debug, Clone, PartialEq)]
pub enum Progress {
    /// A stage began.
    Stage(Stage),
    /// A spinner text (`Launching`, `Syncing workdir`).
    Spinner(String),
    /// A line SkyPilot logs (already worded and colored as SkyPilot does).
    Info(String),
}

/// The progress callback.
pub type ProgressSink<'a> = &'a mut dyn FnMut(Progress);

/// An exclusive lock on one cluster (`~/.sky/locks/.<name>.lock`), held
/// by launch, start, stop and down; a status refresh skips a locked one.
pub struct ClusterLock {
    _file: File,
}

fn lock_file(name: &str) -> Result<File> {
    let dir = crate::spec::task::expand_user("~/.sky/locks");
    std::fs::create_dir_all(&dir).map_err(|e| Error::new(ErrorKind::Os, format!("{dir}: {e}")))?;
    let path = format!("{dir}/.{name}.lock");
    std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| Error::new(ErrorKind::Os, format!("{path}: {e}")))
}

impl ClusterLock {
    /// Waits for the lock.
    pub fn acquire(name: &str) -> Result<ClusterLock> {
        let f = lock_file(name)?;
        // SAFETY: flock on a descriptor we own.
        if unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX) } != 0 {
            return Err(Error::new(
                ErrorKind::Os,
                format!(
                    "Failed to lock cluster {name:?}: {}",
                    std::io::Error::last_os_error()
                ),
            ));
        }
        Ok(ClusterLock { _file: f })
    }

    /// Takes the lock if free.
    pub fn try_acquire(name: &str) -> Result<Option<ClusterLock>> {
        let f = lock_file(name)?;
        // SAFETY: flock on a descriptor we own.
        let rc = unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
        Ok((rc == 0).then_some(ClusterLock { _file: f }))
    }
}

/// `ux_utils.starting_message`.
pub fn starting_message(msg: &str) -> String {
    format!("\x1b[0m⚙︎ {msg}")
}

/// `ux_utils.finishing_message` (no log hint).
pub fn finishing_message(msg: &str) -> String {
    crate::agent::script::finishing_message(msg)
}
