//! Matching a task to what a cluster was launched with
//! (`check_resources_fit_cluster`, `less_demanding_than`), SkyPilot's
//! per-job demand (`get_task_demands_dict`) and the queue's resources
//! string (`get_task_resources_str`). What to launch is the optimizer's
//! choice (`plan.rs`, `failover.rs`).

use super::LaunchedResources;
use crate::agent::script::Demand;
use crate::error::{Error, ErrorKind, Result};
use crate::spec::{Resources, Task};

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

/// Whether `r` asks for no more than `lr` offers (`less_demanding_than`):
/// the same cloud, region, zone, instance type and spot where `r` names
/// them, and no more CPUs, memory or accelerators.
pub fn fits(r: &Resources, lr: &LaunchedResources) -> bool {
    let same = |want: Option<&str>, have: Option<&str>| want.is_none_or(|w| Some(w) == have);
    if r.cloud.is_some_and(|c| c.name() != lr.cloud)
        || !same(r.region.as_deref(), lr.region.as_deref())
        || !same(r.zone.as_deref(), lr.zone.as_deref())
        || !same(r.instance_type.as_deref(), lr.instance_type.as_deref())
        || (r.use_spot_specified && r.use_spot != lr.use_spot)
    {
        return false;
    }
    let cpus = lr.cpus.unwrap_or(f64::MAX);
    if r.cpus
        .as_deref()
        .and_then(leading_number)
        .is_some_and(|want| want > cpus)
    {
        return false;
    }
    if let Some(mem) = r.memory.as_deref() {
        let want = match mem.trim().strip_suffix('x') {
            Some(ratio) => ratio.parse::<f64>().ok().map(|x| x * cpus),
            None => leading_number(mem),
        };
        if want.is_some_and(|w| w > lr.memory_gb.unwrap_or(f64::MAX)) {
            return false;
        }
    }
    match (accelerator_of(r), &lr.accelerators) {
        (None, _) => true,
        (Some(_), None) => false,
        (Some((name, count)), Some((have, n))) => name.eq_ignore_ascii_case(have) && count <= *n,
    }
}

/// The requested resources of `task` that the launchable `best` serves:
/// the first one it fits (by cloud, place, instance type, spot and
/// accelerator name), else the first.
pub fn requested_for(task: &Task, best: &LaunchedResources) -> Resources {
    let items = task.resources.items();
    let mut loose = best.clone();
    (loose.cpus, loose.memory_gb) = (None, None);
    if let Some((_, n)) = &mut loose.accelerators {
        // A fractional request fits the whole accelerator it lands on.
        *n = f64::MAX;
    }
    items
        .iter()
        .find(|r| fits(r, &loose))
        .or_else(|| items.first())
        .cloned()
        .unwrap_or_default()
}

/// The candidate a job on an existing cluster runs with: the first one
/// the cluster's launched resources satisfy (`check_resources_fit_cluster`).
pub fn fit_cluster(task: &Task, cluster: &super::ClusterHandle) -> Result<Resources> {
    let lr = &cluster.launched_resources;
    let fitting = task.resources.items().iter().find(|r| fits(r, lr));
    match fitting {
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
