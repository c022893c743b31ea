//! The PROVISION stage: record the cluster (INIT) before anything exists,
//! bootstrap and run the instances through the infra's provisioner, write
//! the cluster spec on the head and start its agent, then mark it UP.
//! Each step saves the handle first, so `sky down` after a crash at any
//! point knows what to remove.

use super::provision_log;
use super::{
    ClusterHandle, LaunchedResources, Progress, ProgressSink, finishing_message, starting_message,
};
use crate::agent::NodeSpec;
use crate::error::{Error, ErrorKind, Result};
use crate::provision::{self, ProvisionConfig, Provisioner};
use crate::provision_log as plog;
use crate::state::{ClusterStatus, ClusterUpdate, StateDb};

/// What a provisioning run records alongside the handle.
#[derive(Debug, Clone, Default)]
pub struct RecordInfo {
    /// Requested resources (JSON) for the history.
    pub requested_resources: serde_json::Value,
    /// The command line.
    pub command: Option<String>,
    /// The task's YAML.
    pub task_yaml: Option<String>,
    /// A launch (as opposed to `sky start`).
    pub is_launch: bool,
}

/// The provisioner of a launched cloud.
pub fn provisioner_for(cloud: &str) -> Result<Box<dyn Provisioner>> {
    provision::get(cloud).ok_or_else(|| {
        Error::new(
            ErrorKind::NotSupported,
            format!("Provisioning on {cloud} is not supported yet; only the local infra is."),
        )
    })
}

/// Saves the handle with `ready` (UP) or not (INIT).
pub fn save(
    state: &mut StateDb,
    handle: &ClusterHandle,
    info: &RecordInfo,
    ready: bool,
) -> Result<()> {
    let lr = &handle.launched_resources;
    state.add_or_update_cluster(&ClusterUpdate {
        name: handle.cluster_name.clone(),
        handle: handle.to_json(),
        requested_resources: info.requested_resources.clone(),
        launched_resources: serde_json::to_value(lr).unwrap_or_default(),
        launched_nodes: handle.launched_nodes as i64,
        cloud: Some(lr.cloud_display()),
        region: lr.region.clone(),
        zone: lr.zone.clone(),
        ready,
        is_launch: info.is_launch,
        last_use: info.command.clone(),
        task_yaml: info.task_yaml.clone(),
        user_hash: super::identity::user_hash(),
        workspace: "default".into(),
        is_managed: false,
    })?;
    // The record names this launch's provision log (`provision_log_path`).
    match provision_log::current_path() {
        Some(p) => state.set_provision_log_path(&handle.cluster_name, &p.to_string_lossy()),
        None => Ok(()),
    }
}

/// Fills the handle's provider config (idempotent; also used by `down`
/// for a cluster whose launch died before it was saved).
pub fn bootstrap(handle: &mut ClusterHandle, resume: bool) -> Result<ProvisionConfig> {
    let p = provisioner_for(&handle.provider_name)?;
    let region = handle.launched_resources.region.clone().unwrap_or_default();
    let mut provider_config = handle.provider_config.clone();
    if provider_config.is_null() {
        // What to create (instance type, accelerators), as a cluster YAML
        // tells SkyPilot's provisioners.
        let lr = serde_json::to_value(&handle.launched_resources).unwrap_or_default();
        provider_config = serde_json::json!({ "launched_resources": lr });
    }
    let config = p.bootstrap_instances(
        &region,
        &handle.cluster_name_on_cloud,
        ProvisionConfig {
            provider_config,
            count: handle.launched_nodes,
            resume_stopped_nodes: resume,
            zone: handle.launched_resources.zone.clone(),
        },
    )?;
    handle.provider_config = config.provider_config.clone();
    Ok(config)
}

/// A fresh handle for `name` with what was chosen to launch.
pub fn new_handle(name: &str, launched: LaunchedResources, num_nodes: u32) -> ClusterHandle {
    ClusterHandle {
        cluster_name: name.into(),
        cluster_name_on_cloud: name.into(),
        provider_name: launched.cloud.clone(),
        provider_config: serde_json::Value::Null,
        launched_nodes: num_nodes,
        launched_resources: launched,
        nodes: Vec::new(),
    }
}

/// Provisions (or resumes) `handle`'s nodes where its launched resources
/// say and starts the runtime; the record goes INIT -> UP. `prev` is the
/// record's status before. With `retry_until_up`, capacity errors are
/// retried in the same place (an existing cluster never fails over).
pub fn provision(
    state: &mut StateDb,
    handle: ClusterHandle,
    info: &RecordInfo,
    prev: Option<ClusterStatus>,
    retry_until_up: bool,
    progress: ProgressSink<'_>,
) -> Result<ClusterHandle> {
    let _log = provision_log::begin();
    let mut tee = provision_log::tee(progress);
    let progress: ProgressSink<'_> = &mut tee;
    loop {
        match provision_once(state, handle.clone(), info, prev, progress) {
            Err(e) if retry_until_up && e.kind == ErrorKind::ResourcesUnavailable => {
                super::failover::wait_before_retry(&e, &handle.cluster_name, progress);
            }
            other => return other,
        }
    }
}

/// One provisioning attempt of [`provision`], written to the provision
/// log (a failed attempt with its error, as SkyPilot's provisioner logs it).
pub fn provision_once(
    state: &mut StateDb,
    handle: ClusterHandle,
    info: &RecordInfo,
    prev: Option<ClusterStatus>,
    progress: ProgressSink<'_>,
) -> Result<ClusterHandle> {
    let _log = provision_log::begin();
    provision_log::copy_lines();
    let lr = &handle.launched_resources;
    let place = format!(
        "{} ({})",
        lr.cloud_display(),
        lr.zone.clone().or(lr.region.clone()).unwrap_or_default()
    );
    let name = handle.cluster_name.clone();
    plog!('D', "stix {} (SkyPilot 0.14.1)", env!("CARGO_PKG_VERSION"));
    plog!('D', "{}", provision_log::title("Provisioning"));
    let config = serde_json::json!({
        "cluster_name": name, "cluster_name_on_cloud": handle.cluster_name_on_cloud,
        "provider": handle.provider_name, "count": handle.launched_nodes,
        "resume_stopped_nodes": true, "launched_resources": lr,
    });
    let pretty = serde_json::to_string_pretty(&config).unwrap_or_default();
    plog!('D', "Provision config:\n{pretty}");
    let result = provision_steps(state, handle, info, prev, progress);
    if let Err(e) = &result {
        let quoted = crate::yaml::py_str_repr(&name);
        plog!(
            'D',
            "Failed to provision {quoted} on {place}.\n{}",
            e.message
        );
    }
    result
}

fn provision_steps(
    state: &mut StateDb,
    mut handle: ClusterHandle,
    info: &RecordInfo,
    prev: Option<ClusterStatus>,
    progress: ProgressSink<'_>,
) -> Result<ClusterHandle> {
    let name = handle.cluster_name.clone();
    save(state, &handle, info, false)?;
    let p = provisioner_for(&handle.provider_name)?;
    let lr = handle.launched_resources.clone();
    let region = lr.region.clone().unwrap_or_default();
    progress(Progress::Info(starting_message(
        &super::failover::launching_on(&lr),
    )));
    progress(Progress::Spinner("Launching".into()));
    let config = bootstrap(&mut handle, true)?;
    save(state, &handle, info, false)?;
    p.run_instances(&region, &handle.cluster_name_on_cloud, &config)?;
    p.wait_instances(
        &region,
        &handle.cluster_name_on_cloud,
        &handle.provider_config,
        None,
    )?;
    let info_nodes = p.get_cluster_info(
        &region,
        &handle.cluster_name_on_cloud,
        &handle.provider_config,
    )?;
    handle.nodes = info_nodes
        .instances
        .into_iter()
        .take(handle.launched_nodes as usize)
        .map(|i| NodeSpec {
            instance_id: i.instance_id,
            internal_ip: i.internal_ip,
            runner: i.runner,
            resources: i.resources,
        })
        .collect();
    if handle.nodes.len() < handle.launched_nodes as usize {
        return Err(Error::new(
            ErrorKind::ResourcesUnavailable,
            format!(
                "Only {} of {} nodes of cluster {name:?} came up.",
                handle.nodes.len(),
                handle.launched_nodes
            ),
        ));
    }
    save(state, &handle, info, false)?;
    let nodes: Vec<_> = handle
        .nodes
        .iter()
        .map(|n| {
            serde_json::json!({
                "instance_id": n.instance_id, "internal_ip": n.internal_ip,
            })
        })
        .collect();
    let nodes = serde_json::to_string_pretty(&nodes).unwrap_or_default();
    plog!('D', "Cluster info:\n{nodes}");
    provision_log::each_worker(&handle, "Instance is running.");
    if !lr.ports.is_empty() {
        p.open_ports(
            &handle.cluster_name_on_cloud,
            &lr.ports,
            &handle.provider_config,
        )?;
    }
    let specs: Vec<_> = handle.nodes.iter().map(|n| n.runner.clone()).collect();
    progress(Progress::Spinner("Waiting for SSH".into()));
    plog!(
        'D',
        "Waiting for SSH to {}.",
        handle.internal_ips().join(", ")
    );
    super::ssh_wait::wait_for_ssh(&name, &specs)?;
    plog!(
        'D',
        "SSH Connection ready for {}",
        crate::yaml::py_str_repr(&name)
    );
    provision_log::each_worker(&handle, "SSH connection ready.");
    plog!(
        'D',
        "{}",
        provision_log::title("System Setup After Provision")
    );
    progress(Progress::Spinner("Preparing SkyPilot runtime".into()));
    setup_runtime(&handle, prev == Some(ClusterStatus::Stopped))?;
    plog!(
        'D',
        "SkyPilot runtime is up on {} node(s).",
        handle.nodes.len()
    );
    provision_log::each_worker(&handle, "SkyPilot runtime ready.");
    save(state, &handle, info, true)?;
    if let Err(e) = super::ssh_config::add_cluster(&name, &handle.cluster_name_on_cloud, &specs) {
        // `ssh <cluster>` is a convenience; the cluster itself is fine.
        progress(Progress::Info(format!(
            "Failed to write the SSH config: {e}"
        )));
    }
    let hint = format!("\x1b[2mView logs: \x1b[1msky logs --provision {name}\x1b[0m\x1b[0m");
    progress(Progress::Info(format!(
        "{}  {hint}",
        finishing_message(&format!("Cluster launched: {name}."))
    )));
    Ok(handle)
}

/// Deploys the runtime where needed, writes the cluster spec on the head
/// and starts its agent; after a
/// restart from STOPPED, jobs that were live become FAILED_DRIVER first.
pub fn setup_runtime(handle: &ClusterHandle, restarted: bool) -> Result<()> {
    let agent = handle.agent()?;
    // Nodes that are not local sandboxes get the runtime uploaded first.
    agent.set_cluster(&crate::agent::deploy::prepare_cluster(
        &handle.cluster_spec(),
    )?)?;
    if restarted {
        agent.fail_all_in_progress()?;
    }
    agent.start().map(|_| ())
}
