//! Choosing what to launch, until the optimizer (issue 3) takes over: the
//! only infra here is `local`, whose one "instance" is this machine. The
//! first candidate of the task's resources that this machine satisfies
//! wins. Also SkyPilot's per-job demand (`get_task_demands_dict`) and the
//! queue's resources string (`get_task_resources_str`).

use super::LaunchedResources;
use crate::agent::script::Demand;
use crate::error::{Error, ErrorKind, Result};
use crate::provision::{NodeResources, local, local_resources};
use crate::spec::{Resources, Task};

/// The instance type the local infra reports.
pub const LOCAL_INSTANCE_TYPE: &str = "local";

/// The accelerator `(name, count)` a candidate asks for, if any.
pub fn accelerator_of(r: &Resources) -> Option<(String, f64)> {
    let (k, v) = r.accelerators.as_ref()?.iter().next()?;
    let count = match v {
        crate::yaml::Value::Int(i) => *i as f64,
        crate::yaml::Value::Float(f) => *f,
        other => other.py_str().parse().unwrap_or(1.0),
    };
    Some((k.py_str(), count))
}

/// `N`, `N+` -> N.
fn leading_number(s: &str) -> Option<f64> {
    s.trim().trim_end_matches('+').trim().parse().ok()
}

/// Why this machine cannot serve `r`, if it cannot.
fn local_misfit(r: &Resources, node: &NodeResources) -> Option<String> {
    if let Some(cloud) = &r.cloud
        && cloud.name() != local::PROVIDER
    {
        return Some(format!("{} is not available here", cloud.display()));
    }
    if let Some(region) = r.region.as_deref().filter(|r| *r != local::REGION) {
        return Some(format!(
            "region {region:?} does not exist on the local infra"
        ));
    }
    if let Some(it) = r
        .instance_type
        .as_deref()
        .filter(|t| *t != LOCAL_INSTANCE_TYPE)
    {
        return Some(format!(
            "instance type {it:?} does not exist on the local infra"
        ));
    }
    if r.use_spot {
        return Some("spot instances do not exist on the local infra".into());
    }
    if let Some(want) = r.cpus.as_deref().and_then(leading_number)
        && want > node.cpus
    {
        return Some(format!(
            "{want} CPUs requested, this machine has {}",
            node.cpus
        ));
    }
    if let Some(mem) = r.memory.as_deref() {
        let want = match mem.trim().strip_suffix('x') {
            Some(ratio) => ratio.parse::<f64>().ok().map(|x| x * node.cpus),
            None => leading_number(mem),
        };
        if want.is_some_and(|w| w > node.memory_gb) {
            return Some(format!(
                "{mem} GB of memory requested, this machine has {}",
                node.memory_gb
            ));
        }
    }
    if let Some((name, count)) = accelerator_of(r) {
        let have = node.accelerator.as_deref().unwrap_or("");
        if !name.eq_ignore_ascii_case(have) || count > node.accelerator_count as f64 {
            let offer = match &node.accelerator {
                Some(a) => format!("{a}:{}", node.accelerator_count),
                None => "no accelerators".into(),
            };
            return Some(format!(
                "{name}:{count} requested, this machine has {offer}"
            ));
        }
    }
    None
}

/// Picks the local launchable for `task` (the first satisfiable candidate)
/// and returns it with that candidate.
pub fn choose_local(task: &Task) -> Result<(LaunchedResources, Resources)> {
    let node = local_resources::detect();
    let mut reasons = Vec::new();
    for r in task.resources.items() {
        match local_misfit(r, &node) {
            None => {
                let launched = LaunchedResources {
                    cloud: local::PROVIDER.into(),
                    region: Some(local::REGION.into()),
                    zone: None,
                    instance_type: Some(LOCAL_INSTANCE_TYPE.into()),
                    cpus: Some(node.cpus),
                    memory_gb: Some(node.memory_gb),
                    accelerators: node
                        .accelerator
                        .clone()
                        .map(|a| (a, node.accelerator_count as f64)),
                    use_spot: false,
                    ports: r.ports.clone().unwrap_or_default(),
                };
                return Ok((launched, r.clone()));
            }
            Some(why) => reasons.push(why),
        }
    }
    let name = task.name.as_deref().unwrap_or("<unnamed>");
    Err(Error::new(
        ErrorKind::ResourcesUnavailable,
        format!(
            "No launchable resource found for task {name}. To fix: relax its resource \
             requirements.\nOnly the local infra is available until the optimizer lands: {}.",
            reasons.join("; ")
        ),
    ))
}

/// The candidate a job on an existing cluster runs with: the first one
/// the cluster's launched resources satisfy (`check_resources_fit_cluster`).
pub fn fit_cluster(task: &Task, cluster: &super::ClusterHandle) -> Result<Resources> {
    let lr = &cluster.launched_resources;
    let node = NodeResources {
        cpus: lr.cpus.unwrap_or(f64::MAX),
        memory_gb: lr.memory_gb.unwrap_or(f64::MAX),
        accelerator: lr.accelerators.as_ref().map(|(a, _)| a.clone()),
        accelerator_count: lr.accelerators.as_ref().map_or(0, |(_, n)| *n as u32),
    };
    let fits = task
        .resources
        .items()
        .iter()
        .find(|r| local_misfit(r, &node).is_none());
    match fits {
        Some(r) if task.num_nodes as u32 <= cluster.launched_nodes => Ok(r.clone()),
        _ => {
            let requested: Vec<String> = task
                .resources
                .items()
                .iter()
                .map(|r| format!("{}x {}", task.num_nodes, describe(r)))
                .collect();
            let requested = if requested.len() == 1 {
                requested[0].clone()
            } else {
                format!("[{}]", requested.join(", "))
            };
            Err(Error::new(
                ErrorKind::ResourcesMismatch,
                format!(
                    "Requested resources do not match the existing cluster.\n  Requested:\t\
                     {requested}\n  Existing:\t{}x {}\nTo fix: specify a new cluster name, or \
                     down the existing cluster first: sky down {}",
                    cluster.launched_nodes,
                    describe_launched(lr),
                    cluster.cluster_name
                ),
            ))
        }
    }
}

fn describe(r: &Resources) -> String {
    let mut parts = Vec::new();
    if let Some((a, n)) = accelerator_of(r) {
        parts.push(format!("{a}:{n}"));
    }
    if let Some(c) = &r.cpus {
        parts.push(format!("cpus={c}"));
    }
    if let Some(m) = &r.memory {
        parts.push(format!("mem={m}"));
    }
    let cloud = r.cloud.map_or("", |c| c.display());
    format!("{cloud}({})", parts.join(", "))
}

/// `Local(local, {cpus}CPU--{mem}GB, A100:1)`-style text for messages.
pub fn describe_launched(lr: &LaunchedResources) -> String {
    let mut parts = vec![lr.instance_type.clone().unwrap_or_default()];
    if let Some((a, n)) = &lr.accelerators {
        parts.push(format!("{{'{a}': {n}}}"));
    }
    format!("{}({})", lr.cloud_display(), parts.join(", "))
}

/// `get_task_demands_dict` for the chosen candidate.
pub fn demand_of(r: &Resources) -> Demand {
    let (accelerator, accelerator_count) = match accelerator_of(r) {
        Some((a, n)) => (Some(a), n),
        None => (None, 0.0),
    };
    Demand {
        cpus: crate::agent::script::DEFAULT_TASK_CPU_DEMAND,
        accelerator,
        accelerator_count,
    }
}

/// `get_task_resources_str` for a task with best resources chosen.
pub fn resources_str(num_nodes: i64, r: &Resources) -> String {
    let inner = match r.accelerators.as_ref().filter(|m| !m.is_empty()) {
        Some(m) => m
            .iter()
            .map(|(k, v)| format!("{}:{}", k.py_str(), v.py_str()))
            .collect::<Vec<_>>()
            .join(", "),
        None => format!("CPU:{}", crate::agent::script::DEFAULT_TASK_CPU_DEMAND),
    };
    format!("{num_nodes}x[{inner}]")
}
