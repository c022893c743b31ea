//! `sky launch` and `sky exec` (`execution.launch` / `execution.exec`):
//! the stages OPTIMIZE -> PROVISION -> SYNC_WORKDIR -> SYNC_FILE_MOUNTS ->
//! SETUP -> PRE_EXEC -> EXEC, with setup run inside the job on every node
//! (SkyPilot's detached setup) and `exec` limited to SYNC_WORKDIR + EXEC.

use super::identity::{
    check_cluster_name, generate_cluster_name, run_timestamp, user_hash, user_name,
};
use super::launchable::{choose_local, demand_of, fit_cluster, resources_str};
use super::lifecycle::check_cluster_available;
use super::provisioning::{self, RecordInfo, provision};
use super::{ClusterHandle, ClusterLock, Progress, ProgressSink, Stage, sync};
use crate::agent::autostop::WaitFor;
use crate::agent::script::{JobSubmission, ansi};
use crate::error::{Error, ErrorKind, Result};
use crate::spec::{Resources, Task};
use crate::state::{ClusterStatus, StateDb};
use crate::yaml::Value;

/// Options of `sky launch` that reach the backend.
#[derive(Debug, Clone, Default)]
pub struct LaunchOptions {
    /// `-c NAME`; generated when `None`.
    pub cluster_name: Option<String>,
    /// `--retry-until-up`.
    pub retry_until_up: bool,
    /// `-i N` (overrides the task's `resources.autostop`).
    pub idle_minutes_to_autostop: Option<i64>,
    /// `--wait-for`.
    pub wait_for: Option<WaitFor>,
    /// `--down`.
    pub down: bool,
    /// `--dryrun`: decide, change nothing.
    pub dryrun: bool,
    /// `--no-setup`.
    pub no_setup: bool,
    /// `--fast`: on an UP cluster, skip file mounts and setup.
    pub fast: bool,
    /// The command line, recorded as the cluster's last use.
    pub command: Option<String>,
}

/// Options of `sky exec`.
#[derive(Debug, Clone, Default)]
pub struct ExecOptions {
    /// `--dryrun`.
    pub dryrun: bool,
    /// The command line.
    pub command: Option<String>,
}

/// What launch and exec return (`(job_id, handle)`).
#[derive(Debug, Clone, PartialEq)]
pub struct LaunchResult {
    /// The cluster's name (generated when none was given).
    pub cluster_name: String,
    /// The submitted job, if any.
    pub job_id: Option<i64>,
    /// The cluster's handle (`None` on a dry run of a new cluster).
    pub handle: Option<ClusterHandle>,
}

fn yaml_to_json(v: &Value) -> serde_json::Value {
    match v {
        Value::Null => serde_json::Value::Null,
        Value::Bool(b) => (*b).into(),
        Value::Int(i) => (*i).into(),
        Value::Float(f) => {
            serde_json::Number::from_f64(*f).map_or(serde_json::Value::Null, Into::into)
        }
        Value::Str(s) => s.clone().into(),
        Value::Seq(items) => items.iter().map(yaml_to_json).collect(),
        Value::Map(m) => serde_json::Value::Object(
            m.iter()
                .map(|(k, v)| (k.py_str(), yaml_to_json(v)))
                .collect(),
        ),
    }
}

fn env_pairs(map: &crate::yaml::Map) -> Vec<(String, String)> {
    map.iter()
        .map(|(k, v)| {
            (
                k.py_str(),
                v.as_str().map_or_else(|| v.py_str(), String::from),
            )
        })
        .collect()
}

/// The job the task becomes on a cluster.
pub fn submission(task: &Task, candidate: &Resources, setup: Option<String>) -> JobSubmission {
    let mut envs = env_pairs(&task.envs);
    envs.extend(env_pairs(&task.secrets));
    JobSubmission {
        job_name: task.name.clone(),
        user_hash: user_hash(),
        user_name: user_name(),
        run_timestamp: run_timestamp(),
        resources_str: resources_str(task.num_nodes, candidate),
        metadata: yaml_to_json(&Value::Map(task.metadata.clone())).to_string(),
        num_nodes: task.num_nodes.max(1) as u32,
        demand: demand_of(candidate),
        setup,
        run: task.run.clone(),
        envs,
    }
}

/// EXEC: submits the task; `None` when there is nothing to run.
fn execute(
    handle: &ClusterHandle,
    task: &Task,
    candidate: &Resources,
    setup: Option<String>,
    progress: ProgressSink<'_>,
) -> Result<Option<i64>> {
    progress(Progress::Stage(Stage::Exec));
    if task.run.is_none() && setup.is_none() {
        progress(Progress::Info(
            "Run commands not specified or empty.".into(),
        ));
        return Ok(None);
    }
    let mut candidate = candidate.clone();
    if task.run.is_none() {
        // A setup-only job must not wait for the task's accelerators.
        candidate.accelerators = None;
    }
    let sub = submission(task, &candidate, setup);
    let res = handle.agent()?.submit(&sub)?;
    progress(Progress::Info(super::starting_message(&format!(
        "Job submitted, ID: {}",
        res.job_id
    ))));
    Ok(Some(res.job_id))
}

fn check_storage(task: &Task) -> Result<()> {
    let Some((dst, spec)) = task.storage_mounts.first() else {
        return Ok(());
    };
    Err(Error::new(
        ErrorKind::NotSupported,
        crate::backend::sync::bucket_mount_message(dst, spec),
    ))
}

/// The autostop to set at PRE_EXEC: `-i`/`--down` over `resources.autostop`.
fn autostop_setting(task: &Task, opts: &LaunchOptions) -> (Option<i64>, bool, WaitFor) {
    let mut idle = None;
    let mut down = false;
    let mut wait_for = WaitFor::default();
    if let Some(cfg) = task
        .resources
        .items()
        .first()
        .and_then(|r| r.autostop.as_ref())
    {
        if cfg.enabled {
            idle = Some(cfg.idle_minutes);
            down = cfg.down;
            if let Some(w) = cfg.wait_for.as_deref().and_then(|w| WaitFor::parse(w).ok()) {
                wait_for = w;
            }
        } else {
            idle = Some(-1);
        }
    }
    if opts.idle_minutes_to_autostop.is_some() {
        idle = opts.idle_minutes_to_autostop;
        down = opts.down;
    } else if opts.down {
        // `--down` alone: autodown once idle (`override_autostop_config`).
        idle = Some(0);
        down = true;
    }
    if let Some(w) = opts.wait_for {
        wait_for = w;
    }
    (idle, down, wait_for)
}

/// `sky launch`: provisions (or reuses) the cluster and runs the task.
pub fn launch(
    state: &mut StateDb,
    task: &Task,
    opts: &LaunchOptions,
    progress: ProgressSink<'_>,
) -> Result<LaunchResult> {
    let name = opts
        .cluster_name
        .clone()
        .unwrap_or_else(generate_cluster_name);
    check_cluster_name(&name)?;
    check_storage(task)?;
    progress(Progress::Stage(Stage::Optimize));
    let _lock = ClusterLock::acquire(&name)?;
    let record = state.get_cluster(&name)?;
    let existing = match &record {
        Some(r) => {
            Some(ClusterHandle::from_json(&r.handle)?).filter(|h| !h.provider_name.is_empty())
        }
        None => None,
    };
    let (mut idle, down, wait_for) = autostop_setting(task, opts);
    if idle == Some(0) {
        let verb = if down { "torn down" } else { "stopped" };
        progress(Progress::Info(format!(
            "{}The cluster will be {verb} after 1 minutes of idleness (after all jobs finish).{}",
            ansi::DIM,
            ansi::RESET
        )));
        idle = Some(1);
    }
    let status = record.as_ref().map(|r| r.status);
    let (handle, candidate) = match existing {
        Some(h) if !h.nodes.is_empty() || status != Some(ClusterStatus::Init) => {
            let candidate = fit_cluster(task, &h)?;
            (h, candidate)
        }
        _ => {
            let (launched, candidate) = choose_local(task)?;
            let num_nodes = task.num_nodes.max(1) as u32;
            let mut h = provisioning::new_handle(&name, launched, num_nodes);
            if let Some(old) = &record {
                // A launch that died early: keep what it already recorded.
                if let Ok(old) = ClusterHandle::from_json(&old.handle) {
                    h.provider_config = old.provider_config;
                }
            }
            (h, candidate)
        }
    };
    if opts.dryrun {
        return Ok(LaunchResult {
            cluster_name: name,
            job_id: None,
            handle: (status.is_some()).then_some(handle),
        });
    }
    progress(Progress::Stage(Stage::Provision));
    let up_already = status == Some(ClusterStatus::Up);
    let info = RecordInfo {
        requested_resources: serde_json::Value::Null,
        command: opts.command.clone(),
        task_yaml: Some(crate::yaml::dump_yaml_str(&Value::Map(
            task.to_yaml_config(true),
        ))),
        is_launch: true,
    };
    let handle = if up_already {
        // Reuse: make sure the runtime runs (it restarts a killed agent).
        provisioning::setup_runtime(&handle, false)?;
        state.update_last_use(&name, opts.command.as_deref().unwrap_or("sky launch"))?;
        handle
    } else {
        provision(state, handle, &info, status, opts.retry_until_up, progress)?
    };
    if let Some(workdir) = &task.workdir {
        progress(Progress::Stage(Stage::SyncWorkdir));
        sync::sync_workdir(&handle, workdir, progress)?;
    }
    let skip = opts.fast && up_already;
    if let Some(mounts) = task.file_mounts.as_ref().filter(|_| !skip) {
        progress(Progress::Stage(Stage::SyncFileMounts));
        sync::sync_file_mounts(&handle, mounts, progress)?;
    }
    let setup = task.setup.clone().filter(|_| !opts.no_setup && !skip);
    if setup.is_some() {
        progress(Progress::Stage(Stage::Setup));
    }
    if let Some(idle) = idle {
        progress(Progress::Stage(Stage::PreExec));
        set_autostop_on(state, &handle, idle, wait_for, down)?;
    }
    super::lifecycle::store_hooks(&handle, task);
    let job_id = execute(&handle, task, &candidate, setup, progress)?;
    Ok(LaunchResult {
        cluster_name: name,
        job_id,
        handle: Some(handle),
    })
}

/// Sets autostop on the head and in the record.
pub fn set_autostop_on(
    state: &mut StateDb,
    handle: &ClusterHandle,
    idle: i64,
    wait_for: WaitFor,
    down: bool,
) -> Result<()> {
    handle.agent()?.set_autostop(idle, wait_for, down)?;
    state.set_cluster_autostop(&handle.cluster_name, idle, down)
}

/// `sky exec`: syncs the workdir and submits the task to an UP cluster.
pub fn exec(
    state: &mut StateDb,
    task: &Task,
    cluster_name: &str,
    opts: &ExecOptions,
    progress: ProgressSink<'_>,
) -> Result<LaunchResult> {
    check_storage(task)?;
    let handle = check_cluster_available(state, cluster_name, "executing task")?;
    let candidate = fit_cluster(task, &handle)?;
    if opts.dryrun {
        return Ok(LaunchResult {
            cluster_name: cluster_name.into(),
            job_id: None,
            handle: Some(handle),
        });
    }
    if let Some(workdir) = &task.workdir {
        progress(Progress::Stage(Stage::SyncWorkdir));
        sync::sync_workdir(&handle, workdir, progress)?;
    }
    state.update_last_use(cluster_name, opts.command.as_deref().unwrap_or("sky exec"))?;
    let job_id = execute(&handle, task, &candidate, None, progress)?;
    Ok(LaunchResult {
        cluster_name: cluster_name.into(),
        job_id,
        handle: Some(handle),
    })
}
