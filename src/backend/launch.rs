//! `sky launch` and `sky exec` (`execution.launch` / `execution.exec`):
//! the stages OPTIMIZE -> PROVISION -> SYNC_WORKDIR -> SYNC_FILE_MOUNTS ->
//! SETUP -> PRE_EXEC -> EXEC, with setup run inside the job on every node
//! (SkyPilot's detached setup) and `exec` limited to SYNC_WORKDIR + EXEC.

use super::failover::{Blocklist, Failover, error_message, wait_before_retry};
use super::identity::{
    check_cluster_name, generate_cluster_name, run_timestamp, user_hash, user_name,
};
use super::launchable::{demand_of, fit_cluster, requested_for, resources_str};
use super::lifecycle::check_cluster_available;
use super::plan::{Planner, log_lines};
use super::provisioning::{self, RecordInfo, provision};
use super::{ClusterHandle, ClusterLock, Progress, ProgressSink, Stage, sync};
use crate::agent::autostop::WaitFor;
use crate::agent::script::{JobSubmission, ansi};
use crate::error::{Error, ErrorKind, Result};
use crate::provision;
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
    /// Optimize without printing the plan (the CLI printed it before its
    /// prompt: SkyPilot's `_quiet_optimizer`).
    pub quiet_optimizer: bool,
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
    // Provisioning and failover write this launch's provision.log.
    let _log = super::provision_log::begin();
    let mut tee = super::provision_log::tee(progress);
    let progress: ProgressSink<'_> = &mut tee;
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
    let info = RecordInfo {
        requested_resources: serde_json::Value::Null,
        command: opts.command.clone(),
        task_yaml: Some(crate::yaml::dump_yaml_str(&Value::Map(
            task.to_yaml_config(true),
        ))),
        is_launch: true,
    };
    let up_already = status == Some(ClusterStatus::Up);
    let (handle, candidate) = match existing {
        // An existing cluster keeps its resources: no optimization.
        Some(h) if !h.nodes.is_empty() || status != Some(ClusterStatus::Init) => {
            let candidate = fit_cluster(task, &h)?;
            if opts.dryrun {
                progress(Progress::Info(format!(
                    "Dryrun complete. Would have run:\n{}",
                    task.repr()
                )));
                return Ok(LaunchResult {
                    cluster_name: name,
                    job_id: None,
                    handle: Some(h),
                });
            }
            progress(Progress::Stage(Stage::Provision));
            let handle = if up_already {
                // Reuse: make sure the runtime runs (it restarts a killed agent).
                provisioning::setup_runtime(&h, false)?;
                state.update_last_use(&name, opts.command.as_deref().unwrap_or("sky launch"))?;
                h
            } else {
                provision(state, h, &info, status, opts.retry_until_up, progress)?
            };
            (handle, candidate)
        }
        leftover => {
            let planner = Planner::for_task(task)?;
            let mut planned = task.clone();
            let best = optimize(&planner, &mut planned, opts.quiet_optimizer, progress)?;
            if opts.dryrun {
                progress(Progress::Info("Dryrun finished.".into()));
                return Ok(LaunchResult {
                    cluster_name: name,
                    job_id: None,
                    handle: leftover,
                });
            }
            if let Some(old) = leftover {
                // A launch that died before its nodes came up: remove what
                // it may have left before trying anew.
                if let Some(p) = provision::get(&old.provider_name)
                    && !old.provider_config.is_null()
                {
                    p.terminate_instances(&old.cluster_name_on_cloud, &old.provider_config, false)?;
                }
            }
            progress(Progress::Stage(Stage::Provision));
            let handle = launch_new(state, &planner, planned, best, &name, &info, opts, progress)?;
            let candidate = requested_for(task, &handle.launched_resources);
            (handle, candidate)
        }
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

/// OPTIMIZE: the optimizer's choice for `task` (validated in place), its
/// plan logged unless `quiet`.
fn optimize(
    planner: &Planner,
    task: &mut Task,
    quiet: bool,
    progress: ProgressSink<'_>,
) -> Result<Resources> {
    let mut log = Vec::new();
    let plan = planner.optimize(task, &[], quiet, &mut log);
    for line in log_lines(&log) {
        progress(Progress::Info(line));
    }
    plan?
        .best
        .into_iter()
        .next()
        .ok_or_else(|| Error::assertion("The optimizer chose nothing."))
}

/// PROVISION of a new cluster: failover over the optimizer's candidates;
/// `--retry-until-up` starts a new round after SkyPilot's gap.
#[allow(clippy::too_many_arguments)]
fn launch_new(
    state: &mut StateDb,
    planner: &Planner,
    task: Task,
    mut best: Resources,
    name: &str,
    info: &RecordInfo,
    opts: &LaunchOptions,
    progress: ProgressSink<'_>,
) -> Result<ClusterHandle> {
    let mut fo = Failover {
        planner,
        num_nodes: task.num_nodes.max(1) as u32,
        task,
        cluster_name: name.to_string(),
        info: info.clone(),
        blocked: Blocklist::default(),
        history: Vec::new(),
    };
    loop {
        let e = match fo.run(state, best.clone(), progress) {
            Ok((handle, _)) => return Ok(handle),
            Err(e) if e.kind == ErrorKind::ResourcesUnavailable => e,
            Err(e) => return Err(e),
        };
        let err = fo.final_error(state, e, opts.retry_until_up);
        if !opts.retry_until_up {
            progress(Progress::Info(error_message(
                "Failed to provision resources.",
                name,
            )));
            return Err(err);
        }
        wait_before_retry(&err, name, progress);
        fo.blocked = Blocklist::default();
        best = optimize(planner, &mut fo.task, opts.quiet_optimizer, progress)?;
    }
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
