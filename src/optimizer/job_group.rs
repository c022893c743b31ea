//! Job groups (`Optimizer.optimize_job_group`): every task of a parallel
//! group placed on one common infra (cloud + region) when one exists, the
//! cheapest (or fastest) such infra first; tasks whose pins deliberately
//! differ, or groups with no common infra and `inter_connection: false`,
//! are placed task by task.

use std::collections::BTreeSet;

use super::ansi::{BOLD, RESET};
use super::fill::{fill_in_launchable_resources, py_str_list};
use super::plan::{Dag, Estimator, Options, Target, optimize};
use super::{Log, info, warning};
use crate::catalog::Catalogs;
use crate::clouds::launchable;
use crate::error::{Error, ErrorKind, Result};
use crate::spec::{Resources, Task};

/// The group to place.
pub struct Group<'a> {
    /// `dag.name`.
    pub name: &'a str,
    /// The jobs (validated in place).
    pub tasks: &'a mut [Task],
    /// `dag.inter_connection`.
    pub inter_connection: Option<bool>,
}

/// What the placement decided.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupPlan {
    /// Per task: `best_resources`.
    pub best: Vec<Resources>,
    /// The common `(cloud, region)` every task's resources are pinned to
    /// (`set_resources_override`); `None` when placed task by task.
    pub pinned: Option<(String, Option<String>)>,
    /// `dag.inter_connection` afterwards (unset degrades to `false`).
    pub inter_connection: Option<bool>,
}

/// An estimator for one task of the group, seen as task 0 of its own dag.
struct Single<'a> {
    inner: &'a dyn Estimator,
    task: usize,
}

impl Estimator for Single<'_> {
    fn has_estimator(&self, _task: usize) -> bool {
        self.inner.has_estimator(self.task)
    }
    fn estimate(&self, _task: usize, resources: &Resources) -> Result<f64> {
        self.inner.estimate(self.task, resources)
    }
}

fn unavailable(msg: String) -> Error {
    Error::new(ErrorKind::ResourcesUnavailable, msg)
}

/// `_get_task_pin_sets`: the clouds (and `cloud/region`s) a task can run
/// on when every option pins them.
fn pin_sets(task: &Task) -> (Option<BTreeSet<String>>, Option<BTreeSet<String>>) {
    let mut clouds = BTreeSet::new();
    let mut infras = Some(BTreeSet::new());
    for r in task.resources.items() {
        let Some(c) = r.cloud else {
            return (None, None);
        };
        clouds.insert(c.display().to_string());
        match (&r.region, infras.as_mut()) {
            (None, _) => infras = None,
            (Some(region), Some(set)) => {
                set.insert(format!("{}/{region}", c.display()));
            }
            _ => {}
        }
    }
    if clouds.is_empty() {
        return (None, None);
    }
    (Some(clouds), infras)
}

fn conflict(pins: &[(String, BTreeSet<String>)]) -> bool {
    pins.len() > 1
        && pins
            .iter()
            .skip(1)
            .fold(pins[0].1.clone(), |acc, (_, s)| &acc & s)
            .is_empty()
}

fn describe(pins: &[(String, BTreeSet<String>)]) -> String {
    pins.iter()
        .map(|(name, set)| {
            let items: Vec<String> = set.iter().cloned().collect();
            format!("{name}: {}", py_str_list(&items))
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// `_validate_inter_connection_pins`: `Ok(true)` when the pins are
/// deliberately cross-infra and each job is placed on its own.
fn validate_pins(group: &mut Group, quiet: bool, log: &mut Log) -> Result<bool> {
    let mut cloud_pins = Vec::new();
    let mut infra_pins = Vec::new();
    for t in group.tasks.iter() {
        let name = t.name.clone().unwrap_or_else(|| "None".into());
        let (c, i) = pin_sets(t);
        if let Some(c) = c {
            cloud_pins.push((name.clone(), c));
        }
        if let Some(i) = i {
            infra_pins.push((name, i));
        }
    }
    let non_k8s = cloud_pins
        .iter()
        .find(|(_, set)| !set.iter().any(|c| c.eq_ignore_ascii_case("kubernetes")));
    let infras_conflict = conflict(&infra_pins);
    let pins_conflict = conflict(&cloud_pins) || infras_conflict;
    let desc = if infras_conflict {
        describe(&infra_pins)
    } else {
        describe(&cloud_pins)
    };
    let name = group.name;
    if group.inter_connection == Some(true) {
        if let Some((task, set)) = non_k8s {
            let items: Vec<String> = set.iter().cloned().collect();
            return Err(unavailable(format!(
                "Job Group \"{name}\" sets `inter_connection: true`, which requires in-group \
                 networking, only supported on Kubernetes, but job \"{task}\" pins \
                 non-Kubernetes infra ({}). Remove the non-Kubernetes infra pins, or set \
                 `inter_connection: false` if the jobs do not need to reach each other by \
                 hostname.",
                py_str_list(&items)
            )));
        }
        if pins_conflict {
            return Err(unavailable(format!(
                "Jobs in Job Group \"{name}\" pin infrastructures with no common option \
                 ({desc}), but `inter_connection: true` requires in-group networking, which \
                 does not work across infrastructures. Unify the infra pins, or set \
                 `inter_connection: false` if the jobs do not need to reach each other by \
                 hostname."
            )));
        }
        return Ok(false);
    }
    if !pins_conflict {
        return Ok(false);
    }
    if group.inter_connection.is_none() {
        warning(
            log,
            format!(
                "Jobs in Job Group \"{name}\" pin infrastructures with no common option \
                 ({desc}); in-group networking will not be set up and jobs cannot reach each \
                 other by hostname. Set `inter_connection: false` to silence this warning."
            ),
        );
        group.inter_connection = Some(false);
    } else if !quiet {
        info(
            log,
            format!(
                "Jobs in Job Group \"{name}\" pin different infrastructures; optimizing each \
                 job independently."
            ),
        );
    }
    Ok(true)
}

/// `_optimize_independent`.
fn independent(
    cat: &Catalogs,
    group: &mut Group,
    estimator: &dyn Estimator,
    opts: &Options,
    log: &mut Log,
) -> Result<GroupPlan> {
    let mut best = Vec::new();
    for (i, t) in group.tasks.iter_mut().enumerate() {
        let single = Single {
            inner: estimator,
            task: i,
        };
        let dag = Dag {
            tasks: std::slice::from_mut(t),
            edges: &[],
        };
        let plan = optimize(cat, dag, &single, opts, log)?;
        best.extend(plan.best);
    }
    Ok(GroupPlan {
        best,
        pinned: None,
        inter_connection: group.inter_connection,
    })
}

/// One task's launchables by cloud (clouds in the order they appear).
type PerCloud = Vec<(&'static str, Vec<Resources>)>;

/// `_select_best_infra`: the lowest total over the tasks of each one's
/// cheapest (fastest) launchable there; ties keep the sorted order.
fn select_best(
    cat: &Catalogs,
    common: &[(&'static str, Option<String>)],
    per_task: &[PerCloud],
    tasks: &[Task],
    estimator: &dyn Estimator,
    target: Target,
) -> Result<usize> {
    let mut best: Option<(usize, f64)> = None;
    for (k, (cloud, region)) in common.iter().enumerate() {
        let mut total = 0.0;
        let mut valid = true;
        for (i, (task, cands)) in tasks.iter().zip(per_task).enumerate() {
            let Some((_, list)) = cands.iter().find(|(c, _)| c == cloud) else {
                valid = false;
                break;
            };
            let mut task_best = f64::INFINITY;
            for r in list
                .iter()
                .filter(|r| r.region.is_none() || r.region == *region)
            {
                let runtime = if estimator.has_estimator(i) {
                    estimator.estimate(i, r)?
                } else {
                    super::cost::DEFAULT_RUNTIME
                };
                let score = match target {
                    Target::Cost => launchable::get_cost(cat, r, runtime)? * task.num_nodes as f64,
                    Target::Time => runtime,
                };
                task_best = task_best.min(score);
            }
            if task_best == f64::INFINITY {
                valid = false;
                break;
            }
            total += task_best;
        }
        if valid && best.is_none_or(|(_, b)| total < b) {
            best = Some((k, total));
        }
    }
    Ok(best.map_or(0, |(k, _)| k))
}

/// `Optimizer.optimize_job_group` for a job-group dag.
pub fn optimize_job_group(
    cat: &Catalogs,
    mut group: Group,
    estimator: &dyn Estimator,
    opts: &Options,
    log: &mut Log,
) -> Result<GroupPlan> {
    let name = group.name.to_string();
    if !opts.quiet {
        info(
            log,
            format!(
                "Optimizing Job Group \"{name}\" with {} jobs",
                group.tasks.len()
            ),
        );
    }
    if validate_pins(&mut group, opts.quiet, log)? {
        return independent(cat, &mut group, estimator, opts, log);
    }
    let mut per_task: Vec<PerCloud> = Vec::new();
    for t in group.tasks.iter_mut() {
        let num_nodes = u32::try_from(t.num_nodes.max(1)).unwrap_or(u32::MAX);
        let filled = fill_in_launchable_resources(
            cat,
            t.resources.items_mut(),
            num_nodes,
            opts.enabled,
            opts.blocked,
            opts.quiet,
            log,
        )?;
        let task_name = t.name.clone().unwrap_or_else(|| "None".into());
        if filled.launchable.iter().all(Vec::is_empty) {
            return Err(unavailable(format!(
                "No resources available for job \"{task_name}\" in Job Group \"{name}\""
            )));
        }
        let mut by_cloud: PerCloud = Vec::new();
        for r in filled.launchable.into_iter().flatten() {
            let Some(cloud) = launchable::cloud_of(&r) else {
                continue;
            };
            match by_cloud.iter_mut().find(|(c, _)| *c == cloud.repr()) {
                Some((_, list)) => list.push(r),
                None => by_cloud.push((cloud.repr(), vec![r])),
            }
        }
        if group.inter_connection == Some(true) {
            by_cloud.retain(|(c, _)| c.eq_ignore_ascii_case("kubernetes"));
            if by_cloud.iter().all(|(_, l)| l.is_empty()) {
                return Err(unavailable(format!(
                    "Job Group \"{name}\" sets `inter_connection: true`, which requires \
                     in-group networking, only supported on Kubernetes, but job \
                     \"{task_name}\" has no feasible Kubernetes placement."
                )));
            }
        }
        per_task.push(by_cloud);
    }
    // `_find_common_infras`, sorted as `_select_best_infra` sorts them.
    let infras = |cands: &PerCloud| -> BTreeSet<(String, &'static str, Option<String>)> {
        cands
            .iter()
            .flat_map(|(c, list)| {
                list.iter()
                    .map(|r| (c.to_lowercase(), *c, r.region.clone()))
            })
            .collect()
    };
    let mut common = per_task.first().map(infras).unwrap_or_default();
    for cands in per_task.iter().skip(1) {
        common = &common & &infras(cands);
    }
    let mut common: Vec<(String, &'static str, Option<String>)> = common.into_iter().collect();
    common.sort_by(|a, b| {
        (&a.0, a.2.as_deref().unwrap_or("")).cmp(&(&b.0, b.2.as_deref().unwrap_or("")))
    });
    let common: Vec<(&'static str, Option<String>)> =
        common.into_iter().map(|(_, c, r)| (c, r)).collect();
    if common.is_empty() {
        if group.inter_connection != Some(false) {
            return Err(unavailable(format!(
                "No single infrastructure can host all jobs in Job Group \"{name}\", and \
                 in-group networking (inter_connection, enabled by default) requires all jobs \
                 to be co-located. Set `inter_connection: false` to allow jobs to be placed on \
                 different infrastructures without hostname connectivity, or pin each job's \
                 infra explicitly."
            )));
        }
        if !opts.quiet {
            info(
                log,
                format!(
                    "No common infrastructure for all jobs in Job Group \"{name}\"; placing \
                     jobs independently (inter_connection: false)."
                ),
            );
        }
        return independent(cat, &mut group, estimator, opts, log);
    }
    let k = select_best(cat, &common, &per_task, group.tasks, estimator, opts.target)?;
    let (cloud, region) = common[k].clone();
    let region_str = region.clone().unwrap_or_else(|| "None".into());
    if group.inter_connection.is_none() && !cloud.eq_ignore_ascii_case("kubernetes") {
        warning(
            log,
            format!(
                "Job group \"{name}\" is placed on {cloud}; in-group service discovery \
                 (hostname-based networking) is only supported on Kubernetes, so tasks cannot \
                 reach each other by hostname. Set `inter_connection: false` to silence this \
                 warning."
            ),
        );
        group.inter_connection = Some(false);
    }
    if !opts.quiet {
        let lower = cloud.to_lowercase();
        info(
            log,
            format!("Selected infrastructure: {lower}/{region_str}"),
        );
        let others: Vec<String> = common
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != k)
            .map(|(_, (c, r))| format!("{}/{}", c.to_lowercase(), r.as_deref().unwrap_or("None")))
            .collect();
        if !others.is_empty() {
            let mut text = others[..others.len().min(3)].join(", ");
            if others.len() > 3 {
                text.push_str(&format!(", ... ({} more)", others.len() - 3));
            }
            info(log, format!("Other available common infras: {text}"));
        }
    }
    let mut best = Vec::new();
    for (t, cands) in group.tasks.iter().zip(&per_task) {
        let chosen = cands
            .iter()
            .find(|(c, _)| *c == cloud)
            .and_then(|(_, list)| list.iter().find(|r| r.region == region))
            .ok_or_else(|| {
                Error::assertion(format!(
                    "Job {:?} has no candidate in the selected region {cloud}/{region_str}",
                    t.name
                ))
            })?;
        best.push(chosen.clone());
    }
    if !opts.quiet && group.tasks.len() > 1 {
        let pairs: Vec<(&Task, &Resources)> = group.tasks.iter().zip(&best).collect();
        info(log, format!("{BOLD}Best plan: {RESET}"));
        info(log, super::report::best_plan_table(cat, &pairs)?);
    }
    let cloud_name = launchable_cloud_name(&best);
    Ok(GroupPlan {
        best,
        pinned: Some((cloud_name, region)),
        inter_connection: group.inter_connection,
    })
}

fn launchable_cloud_name(best: &[Resources]) -> String {
    best.first()
        .and_then(|r| r.cloud)
        .map_or_else(String::new, |c| c.name().to_string())
}
