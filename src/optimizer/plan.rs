//! `Optimizer.optimize`: the entry point. Adds SkyPilot's dummy source and
//! sink around the dag, honours `ordered` resources, estimates every
//! launchable, searches (chain DP or ILP), and reports the plan.

use super::cost::{self, End, NodeCosts, node_costs};
use super::report::{self, Report};
use super::search::{self, Graph};
use super::{Log, info};
use crate::catalog::Catalogs;
use crate::clouds::{Cloud, launchable};
use crate::error::{Error, ErrorKind, Result};
use crate::spec::resources_yaml::ResourceGroup;
use crate::spec::{Resources, Task};

/// What the optimizer minimizes (`sky.OptimizeTarget`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// Dollars.
    Cost,
    /// Seconds.
    Time,
}

/// `Task.set_time_estimator` callbacks: seconds a task runs on resources.
/// The Python glue calls back into the user's function.
pub trait Estimator {
    /// Whether task `task` has an estimator.
    fn has_estimator(&self, task: usize) -> bool;
    /// `task.estimate_runtime(resources)`.
    fn estimate(&self, task: usize, resources: &Resources) -> Result<f64>;
}

/// No task has an estimator: every task runs an hour.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoEstimator;

impl Estimator for NoEstimator {
    fn has_estimator(&self, _task: usize) -> bool {
        false
    }
    fn estimate(&self, _task: usize, _resources: &Resources) -> Result<f64> {
        Ok(cost::DEFAULT_RUNTIME)
    }
}

/// The dag to plan: its tasks (validated in place, as SkyPilot's
/// `Resources.validate()` updates them) and `(parent, child)` edges in the
/// order they were added.
pub struct Dag<'a> {
    /// The tasks.
    pub tasks: &'a mut [Task],
    /// Dependencies as task indices.
    pub edges: &'a [(usize, usize)],
}

/// How to optimize.
pub struct Options<'a> {
    /// Cost or time.
    pub target: Target,
    /// Launchables matching any of these are skipped (failover).
    pub blocked: &'a [Resources],
    /// No plan table, no "no resource" notes.
    pub quiet: bool,
    /// The enabled clouds, in the order they are tried.
    pub enabled: &'a [&'static dyn Cloud],
    /// `SKYPILOT_MINIMIZE_LOGGING` (on by default): hides the target and
    /// the estimated cost lines.
    pub minimize_logging: bool,
}

/// One launchable considered for a task and its estimated cost (dollars)
/// or time (seconds).
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    /// Which requested resources of the task it fills in.
    pub orig: usize,
    /// The launchable resources (cloud, instance type, region/zone).
    pub resources: Resources,
    /// Estimated cost or time.
    pub value: f64,
}

/// The chosen plan.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Per task: the chosen launchable (`task.best_resources`).
    pub best: Vec<Resources>,
    /// Per task: every launchable considered, in SkyPilot's order.
    pub candidates: Vec<Vec<Candidate>>,
    /// Estimated total cost (dollars).
    pub total_cost: f64,
    /// Estimated total time (seconds).
    pub total_time: f64,
}

impl Plan {
    /// The order a failover tries a task's launchables in: what the
    /// optimizer would pick after blocking each failed one in turn
    /// (cheapest first, ties in candidate order).
    pub fn failover_order(&self, task: usize) -> Vec<&Candidate> {
        let mut order: Vec<&Candidate> = self.candidates.get(task).into_iter().flatten().collect();
        order.sort_by(|a, b| a.value.total_cmp(&b.value));
        order
    }
}

fn ordinal(n: usize) -> String {
    let suffix = if (10..=20).contains(&(n % 100)) {
        "th"
    } else {
        match n % 10 {
            1 => "st",
            2 => "nd",
            3 => "rd",
            _ => "th",
        }
    };
    format!("{n}{suffix}")
}

/// Estimates every real node in topological order.
fn estimate_all(
    cat: &Catalogs,
    tasks: &mut [Task],
    order: &[usize],
    estimator: &dyn Estimator,
    opts: &Options,
    quiet: bool,
    log: &mut Log,
) -> Result<Vec<Option<NodeCosts>>> {
    let mut out: Vec<Option<NodeCosts>> = (0..tasks.len()).map(|_| None).collect();
    let n = tasks.len();
    for &i in order.iter().filter(|&&i| i < n) {
        out[i] = Some(node_costs(
            cat,
            &mut tasks[i],
            i,
            estimator,
            opts.target,
            opts.enabled,
            opts.blocked,
            quiet,
            log,
        )?);
    }
    Ok(out)
}

/// `Optimizer.optimize(dag, minimize, blocked_resources, quiet)`: the plan,
/// with what SkyPilot logs appended to `log` (also when it fails).
pub fn optimize(
    cat: &Catalogs,
    dag: Dag<'_>,
    estimator: &dyn Estimator,
    opts: &Options,
    log: &mut Log,
) -> Result<Plan> {
    super::check_clouds::check_specified_clouds(cat, dag.tasks, opts.enabled, log)?;
    let tasks = dag.tasks;
    let graph = Graph::with_dummies(tasks.len(), dag.edges);
    let order = graph.topological_order()?;
    let has_ordered = tasks.iter().any(|t| t.resources.is_ordered());
    // The dag SkyPilot deep-copies when some task has `ordered` resources:
    // each such task keeps the first entry that has a launchable.
    let mut local: Vec<Task> = tasks.to_vec();
    if has_ordered {
        for (i, task) in tasks.iter().enumerate() {
            if !task.resources.is_ordered() {
                continue;
            }
            let mut shown = Vec::new();
            for r in task.resources.items() {
                shown.push(launchable::repr(cat, r)?);
            }
            let listed = format!("(will be tried in the listed order): {}", shown.join(", "));
            let text = if tasks.len() > 1 {
                format!(
                    "{}{} task is using user-specified accelerators list {}{listed}",
                    super::ansi::YELLOW,
                    ordinal(i + 1),
                    super::ansi::RESET
                )
            } else {
                format!(
                    "{}Using user-specified accelerators list {}{listed}",
                    super::ansi::YELLOW,
                    super::ansi::RESET
                )
            };
            info(log, text);
        }
        for (i, task) in tasks.iter().enumerate() {
            if !task.resources.is_ordered() {
                continue;
            }
            let num_nodes = u32::try_from(task.num_nodes.max(1)).unwrap_or(u32::MAX);
            for r in task.resources.items() {
                let mut single = vec![r.clone()];
                let filled = super::fill::fill_in_launchable_resources(
                    cat,
                    &mut single,
                    num_nodes,
                    opts.enabled,
                    opts.blocked,
                    false,
                    log,
                )?;
                local[i].resources = ResourceGroup::AnyOf(single);
                if filled.launchable.first().is_some_and(|l| !l.is_empty()) {
                    break;
                }
            }
        }
    }
    let local_costs = estimate_all(cat, &mut local, &order, estimator, opts, false, log)?;
    let values: Vec<Vec<Candidate>> = local_costs
        .iter()
        .map(|c| c.as_ref().map(|c| c.candidates.clone()).unwrap_or_default())
        .collect();
    let problem = search::Problem {
        cat,
        tasks: &local,
        graph: &graph,
        order: &order,
        values: &values,
        target: opts.target,
    };
    let (choice, objective) = if graph.is_chain() {
        search::by_dp(&problem)?
    } else {
        search::by_ilp(&problem)?
    };
    let (total_cost, total_time) = match opts.target {
        Target::Cost => (objective, search::total_time(&problem, &choice, estimator)?),
        Target::Time => (search::total_cost(&problem, &choice, estimator)?, objective),
    };
    let best: Vec<Resources> = (0..tasks.len())
        .map(|i| values[i][choice[i]].resources.clone())
        .collect();
    // The table shows every requested entry of an ordered task, so it is
    // estimated again on the original tasks (quietly).
    let shown: Vec<Vec<Candidate>> = if has_ordered {
        let mut scratch = Log::new();
        estimate_all(cat, tasks, &order, estimator, opts, true, &mut scratch)?
            .into_iter()
            .map(|c| c.map(|c| c.candidates).unwrap_or_default())
            .collect()
    } else {
        for (t, l) in tasks.iter_mut().zip(&local) {
            t.resources = l.resources.clone();
        }
        values.clone()
    };
    if !opts.quiet {
        let rep = Report {
            cat,
            tasks,
            graph: &graph,
            order: &order,
            best: &best,
            shown: &shown,
            target: opts.target,
            total_cost,
            total_time,
            minimize_logging: opts.minimize_logging,
            has_estimator: &|i| estimator.has_estimator(i),
        };
        report::print_plan(&rep, log)?;
        let filled: Vec<Option<&super::fill::Filled>> = local_costs
            .iter()
            .map(|c| c.as_ref().map(|c| &c.filled))
            .collect();
        report::print_candidates(cat, &order, &filled, &best, log)?;
    }
    Ok(Plan {
        best,
        candidates: values,
        total_cost,
        total_time,
    })
}

/// Whether an edge end is a real task: used by the search to price edges.
pub(crate) fn end_of<'a>(
    graph: &Graph,
    tasks: &'a [Task],
    node: usize,
    r: Option<&'a Resources>,
) -> End<'a> {
    if node == graph.source() {
        End::Source
    } else if node == graph.sink() {
        End::Sink
    } else {
        match r {
            Some(r) => End::Task(&tasks[node], r),
            None => End::Sink,
        }
    }
}

/// `NoCloudAccessError` when nothing at all is enabled.
pub fn no_cloud_access() -> Error {
    Error::new(
        ErrorKind::NoCloudAccess,
        format!(
            "Cloud access is not set up. Run: {}sky check{}",
            super::ansi::BOLD,
            super::ansi::RESET
        ),
    )
}
