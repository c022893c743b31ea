//! What a plan costs: per-node estimates of each launchable (SkyPilot's
//! `_estimate_nodes_cost_or_time`), data egress between tasks, and the
//! error when a task has no launchable at all.

use super::ansi::{BOLD, CYAN, RESET};
use super::fill::{Filled, fill_in_launchable_resources, py_str_list};
use super::plan::{Candidate, Estimator, Target};
use super::{Log, fill};
use crate::catalog::Catalogs;
use crate::clouds::{self, Cloud, launchable};
use crate::error::{Error, ErrorKind, Result};
use crate::spec::{Resources, Task};
use crate::yaml::Value;

/// Seconds a task runs when it has no time estimator.
pub const DEFAULT_RUNTIME: f64 = 3600.0;

/// The cloud data lives in, from its URL (`Task.get_inputs_cloud`).
fn inputs_cloud(inputs: &str) -> Result<&'static str> {
    for (prefix, cloud) in [("s3:", "aws"), ("gs:", "gcp"), ("cos:", "ibm")] {
        if inputs.starts_with(prefix) {
            return Ok(cloud);
        }
    }
    Err(Error::value(format!("cloud path not supported: {inputs}")))
}

/// IBM's egress price (IBM is not a cloud stix plans on, but task inputs
/// may live in its object storage). SkyPilot's tier loop, as written.
// `gb -= gb - threshold` is SkyPilot's statement; kept, not simplified to
// `gb = threshold`, so the floating-point result is bit for bit its own.
#[allow(clippy::misrefactored_assign_op)]
fn ibm_egress_cost(mut gb: f64) -> f64 {
    let mut cost = 0.0;
    for (threshold, price) in [(150.0, 0.05), (50.0, 0.07), (0.0, 0.09)] {
        cost += (gb - threshold) * price;
        gb -= gb - threshold;
    }
    cost
}

/// A number a task YAML gave as a size (`inputs: {s3://x: 100}`).
fn size_of(v: &Value) -> Option<f64> {
    match v {
        Value::Int(i) => Some(*i as f64),
        Value::Float(f) => Some(*f),
        _ => None,
    }
}

/// One end of a dag edge: a real task with its chosen resources, or one of
/// the optimizer's dummy source/sink nodes.
#[derive(Clone, Copy)]
pub enum End<'a> {
    /// The dummy source (before every task without parents).
    Source,
    /// The dummy sink (after every task without children).
    Sink,
    /// A task and the launchable considered for it.
    Task(&'a Task, &'a Resources),
}

/// `_get_egress_info`: (source cloud, destination cloud, gigabytes).
pub fn egress_info(
    parent: End<'_>,
    child: End<'_>,
) -> Result<(Option<&'static str>, Option<&'static str>, f64)> {
    let (src, gb) = match parent {
        End::Source => match child {
            End::Task(t, _) => match &t.inputs {
                None => return Ok((None, None, 0.0)),
                Some((url, size)) => (Some(inputs_cloud(url)?), size_of(size).unwrap_or(0.0)),
            },
            _ => return Ok((None, None, 0.0)),
        },
        End::Sink => (None, 0.0),
        End::Task(t, r) => (
            r.cloud.map(|c| c.name()),
            t.outputs
                .as_ref()
                .and_then(|(_, s)| size_of(s))
                .unwrap_or(0.0),
        ),
    };
    let dst = match child {
        End::Task(_, r) => r.cloud.map(|c| c.name()),
        _ => None,
    };
    Ok((src, dst, gb))
}

/// Egress cost (dollars) or time (seconds) of an edge; 0 within a cloud,
/// to or from a dummy node, or without data.
pub fn egress(target: Target, parent: End<'_>, child: End<'_>) -> Result<f64> {
    if matches!(child, End::Sink) {
        return Ok(0.0);
    }
    let (src, dst, gb) = egress_info(parent, child)?;
    if gb == 0.0 {
        return Ok(0.0);
    }
    let (Some(src), Some(dst)) = (src, dst) else {
        return Ok(0.0);
    };
    Ok(egress_between(target, src, dst, gb))
}

/// `_egress_cost` / `_egress_time` between two (real) clouds.
pub fn egress_between(target: Target, src: &str, dst: &str, gb: f64) -> f64 {
    if src == dst {
        return 0.0;
    }
    match target {
        Target::Cost => match src {
            "ibm" => ibm_egress_cost(gb),
            name => clouds::by_name(name).map_or(0.0, |c| c.get_egress_cost(gb)),
        },
        // 10 Gbps, the bandwidth SkyPilot assumes between clouds.
        Target::Time => gb * 8.0 / 10.0,
    }
}

/// The launchables of one task with their estimated cost or time, and what
/// filling them in found.
pub struct NodeCosts {
    /// Candidates in SkyPilot's order (requested resources, then cloud,
    /// then region/zone).
    pub candidates: Vec<Candidate>,
    /// Per-cloud feasible offerings.
    pub filled: Filled,
}

/// `_estimate_nodes_cost_or_time` for one real task.
#[allow(clippy::too_many_arguments)]
pub fn node_costs(
    cat: &Catalogs,
    task: &mut Task,
    task_index: usize,
    estimator: &dyn Estimator,
    target: Target,
    enabled: &[&'static dyn Cloud],
    blocked: &[Resources],
    quiet: bool,
    log: &mut Log,
) -> Result<NodeCosts> {
    let num_nodes = u32::try_from(task.num_nodes.max(1)).unwrap_or(u32::MAX);
    let filled = fill_in_launchable_resources(
        cat,
        task.resources.items_mut(),
        num_nodes,
        enabled,
        blocked,
        quiet,
        log,
    )?;
    let mut candidates = Vec::new();
    for (orig, list) in filled.launchable.iter().enumerate() {
        if list.is_empty() {
            continue;
        }
        let runtime = if estimator.has_estimator(task_index) {
            estimator.estimate(task_index, &task.resources.items()[orig])?
        } else {
            DEFAULT_RUNTIME
        };
        for r in list {
            let value = match target {
                // Reserved capacity would count as free; SkyPilot only
                // queries it when reservations are configured.
                Target::Cost => {
                    launchable::get_cost(cat, r, runtime)? * task.num_nodes.max(0) as f64
                }
                Target::Time => runtime,
            };
            candidates.push(Candidate {
                orig,
                resources: r.clone(),
                value,
            });
        }
    }
    if candidates.is_empty() {
        return Err(unavailable(cat, task, &filled, enabled)?);
    }
    Ok(NodeCosts { candidates, filled })
}

/// SkyPilot's `ResourcesUnavailableError` when nothing satisfies a task.
fn unavailable(
    cat: &Catalogs,
    task: &Task,
    filled: &Filled,
    enabled: &[&'static dyn Cloud],
) -> Result<Error> {
    let items = task.resources.items();
    let name_of = |r: &Resources| r.cloud.map(|c| c.name());
    let mut source_hint = "catalog";
    if enabled.iter().any(|c| c.name() == "kubernetes") {
        if items.iter().any(|r| r.cloud.is_none()) {
            source_hint = "catalog and kubernetes cluster";
        } else if items.iter().all(|r| name_of(r) == Some("ssh")) {
            source_hint = "node pool";
        } else if items
            .iter()
            .all(|r| matches!(name_of(r), Some("kubernetes" | "ssh")))
        {
            source_hint = "kubernetes cluster";
        }
    }
    let fuzzy = if filled.fuzzy.is_empty() {
        String::new()
    } else {
        format!(
            "\nTry one of these offered accelerators: {CYAN}{}{RESET}",
            py_str_list(&filled.fuzzy)
        )
    };
    let mut reprs = Vec::new();
    for r in items {
        reprs.push(format!(
            "{}x {}",
            task.num_nodes,
            launchable::repr_with_region_zone(cat, r)?
        ));
    }
    let mut blocks = Vec::new();
    for (r, hints) in items.iter().zip(&filled.hints) {
        if !hints.is_empty() {
            blocks.push(format!(
                "{BOLD}Resource: {}{RESET}\n{}",
                launchable::repr(cat, r)?,
                hints.join("\n")
            ));
        }
    }
    let indent = " ".repeat("Hint: ".len());
    let formatted: Vec<String> = blocks
        .join("\n")
        .split('\n')
        .map(|l| format!("{indent}{l}"))
        .collect();
    let mut capitalized = source_hint.to_string();
    capitalized[..1].make_ascii_uppercase();
    Ok(Error::new(
        ErrorKind::ResourcesUnavailable,
        format!(
            "{capitalized} does not contain any instances satisfying the request: {}.\nTo fix: relax or change the resource requirements.{fuzzy}\n\nHint: {BOLD}sky gpus list{RESET} to list available accelerators.\n{indent}{BOLD}sky check{RESET} to check the enabled clouds.\nHint: Check Per Resource Hint\n{}",
            reprs.join(", "),
            formatted.join("\n")
        ),
    ))
}

/// Whether the cloud a resources names is enabled (for callers outside
/// this module).
pub fn cloud_enabled(r: &Resources, enabled: &[&'static dyn Cloud]) -> bool {
    r.cloud.is_none_or(|c| fill::is_enabled(c, enabled))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn egress_prices() {
        assert_eq!(egress_between(Target::Cost, "aws", "aws", 100.0), 0.0);
        assert!((egress_between(Target::Cost, "gcp", "aws", 100.0) - 12.0).abs() < 1e-9);
        assert_eq!(egress_between(Target::Time, "gcp", "aws", 100.0), 80.0);
        assert!((ibm_egress_cost(200.0) - (50.0 * 0.05 + 7.0 + 4.5)).abs() < 1e-9);
        assert!(inputs_cloud("http://x").is_err());
    }
}
