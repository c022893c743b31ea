//! `sky.Optimizer.optimize` / `sky.optimize` and `sky check`'s Python
//! side: converts the Python dag, calls the core optimizer (time
//! estimators call back into Python), logs what SkyPilot logs through
//! `sky.optimizer.logger`, and sets `task.best_resources`.

use pyo3::prelude::*;
use pyo3::types::PyList;

use super::errors::{IntoPy, to_pyerr};
use super::resources::PyResources;
use super::task::PyTask;
use crate::catalog::Catalogs;
use crate::config::load::Env;
use crate::error::{Error, ErrorKind};
use crate::optimizer::{self, Dag, Estimator, Level, Log, Options, Target};
use crate::spec::{Resources, Task};

/// Calls each task's `time_estimator_func(resources)`.
struct PyEstimator<'py> {
    py: Python<'py>,
    funcs: Vec<Option<Bound<'py, PyAny>>>,
}

impl Estimator for PyEstimator<'_> {
    fn has_estimator(&self, task: usize) -> bool {
        self.funcs.get(task).is_some_and(Option::is_some)
    }
    fn estimate(&self, task: usize, resources: &Resources) -> crate::Result<f64> {
        let Some(Some(f)) = self.funcs.get(task) else {
            return Ok(optimizer::cost::DEFAULT_RUNTIME);
        };
        let arg = Py::new(
            self.py,
            PyResources {
                inner: resources.clone(),
            },
        )
        .map_err(|e| Error::new(ErrorKind::Runtime, e.to_string()))?;
        f.call1((arg,))
            .and_then(|v| v.extract::<f64>())
            .map_err(|e| Error::new(ErrorKind::Runtime, e.to_string()))
    }
}

/// Emits the core's log through `sky.optimizer.logger`.
fn emit(py: Python<'_>, log: &Log) -> PyResult<()> {
    if log.is_empty() {
        return Ok(());
    }
    let logger = py.import("sky.optimizer")?.getattr("logger")?;
    for line in log {
        let method = match line.level {
            Level::Debug => "debug",
            Level::Info => "info",
            Level::Warning => "warning",
        };
        logger.call_method1(method, (line.text.as_str(),))?;
    }
    Ok(())
}

/// The core tasks and blocked resources of a Python call, and the
/// enabled clouds for them.
type Prepared = (
    Vec<Task>,
    Vec<Resources>,
    Vec<&'static dyn crate::clouds::Cloud>,
);

fn prepare(
    py: Python<'_>,
    tasks: &Bound<'_, PyList>,
    blocked_resources: Option<Vec<PyRef<'_, PyResources>>>,
    env: &Env,
) -> PyResult<Prepared> {
    let mut core: Vec<Task> = Vec::with_capacity(tasks.len());
    for t in tasks.iter() {
        core.push(t.cast::<PyTask>()?.borrow().inner.clone());
    }
    let blocked: Vec<Resources> = blocked_resources
        .unwrap_or_default()
        .iter()
        .map(|r| r.inner.clone())
        .collect();
    let enabled = py
        .detach(|| crate::backend::plan::enabled_for(env, &core))
        .py()?;
    Ok((core, blocked, enabled))
}

/// Sets each task's validated resources and `best_resources`.
fn set_best(
    py: Python<'_>,
    tasks: &Bound<'_, PyList>,
    core: Vec<Task>,
    best: Vec<Resources>,
) -> PyResult<()> {
    for ((t, validated), best) in tasks.iter().zip(core).zip(best) {
        let mut task = t.cast::<PyTask>()?.borrow_mut();
        task.inner.resources = validated.resources;
        task.best_resources = Some(Py::new(py, PyResources { inner: best })?.into_any());
    }
    Ok(())
}

/// Optimizes the dag's tasks in place: `tasks` are `sky.Task` objects,
/// `edges` index pairs, `estimators` each task's `time_estimator_func`.
#[pyfunction]
#[pyo3(signature = (tasks, edges, minimize_time=false, blocked_resources=None, quiet=false, estimators=None))]
pub fn optimize_dag(
    py: Python<'_>,
    tasks: &Bound<'_, PyList>,
    edges: Vec<(usize, usize)>,
    minimize_time: bool,
    blocked_resources: Option<Vec<PyRef<'_, PyResources>>>,
    quiet: bool,
    estimators: Option<Vec<Option<Bound<'_, PyAny>>>>,
) -> PyResult<()> {
    let env = Env::process();
    let (mut core, blocked, enabled) = prepare(py, tasks, blocked_resources, &env)?;
    let est = PyEstimator {
        py,
        funcs: estimators.unwrap_or_default(),
    };
    let opts = options(&env, minimize_time, &blocked, quiet, &enabled);
    let cat = Catalogs::shared();
    let mut log = Log::new();
    let result = optimizer::optimize(
        &cat,
        Dag {
            tasks: &mut core,
            edges: &edges,
        },
        &est,
        &opts,
        &mut log,
    );
    emit(py, &log)?;
    let plan = result.map_err(to_pyerr)?;
    set_best(py, tasks, core, plan.best)
}

fn options<'a>(
    env: &Env,
    minimize_time: bool,
    blocked: &'a [Resources],
    quiet: bool,
    enabled: &'a [&'static dyn crate::clouds::Cloud],
) -> Options<'a> {
    Options {
        target: if minimize_time {
            Target::Time
        } else {
            Target::Cost
        },
        blocked,
        quiet,
        enabled,
        minimize_logging: crate::backend::plan::minimize_logging(env),
    }
}

/// `Optimizer.optimize_job_group` of a job-group dag: sets every task's
/// `best_resources`; returns the group's `inter_connection` afterwards and
/// the common `(cloud, region)` the tasks were placed on, if any.
#[pyfunction]
#[pyo3(signature = (tasks, name, inter_connection=None, minimize_time=false, blocked_resources=None, quiet=false, estimators=None))]
#[allow(clippy::too_many_arguments, clippy::type_complexity)]
pub fn optimize_job_group(
    py: Python<'_>,
    tasks: &Bound<'_, PyList>,
    name: String,
    inter_connection: Option<bool>,
    minimize_time: bool,
    blocked_resources: Option<Vec<PyRef<'_, PyResources>>>,
    quiet: bool,
    estimators: Option<Vec<Option<Bound<'_, PyAny>>>>,
) -> PyResult<(Option<bool>, Option<(String, Option<String>)>)> {
    let env = Env::process();
    let (mut core, blocked, enabled) = prepare(py, tasks, blocked_resources, &env)?;
    let est = PyEstimator {
        py,
        funcs: estimators.unwrap_or_default(),
    };
    let opts = options(&env, minimize_time, &blocked, quiet, &enabled);
    let cat = Catalogs::shared();
    let mut log = Log::new();
    let result = optimizer::job_group::optimize_job_group(
        &cat,
        optimizer::job_group::Group {
            name: &name,
            tasks: &mut core,
            inter_connection,
        },
        &est,
        &opts,
        &mut log,
    );
    emit(py, &log)?;
    let plan = result.map_err(to_pyerr)?;
    set_best(py, tasks, core, plan.best)?;
    Ok((plan.inter_connection, plan.pinned))
}

/// `sky check [clouds]`: prints SkyPilot's report and returns the enabled
/// clouds with their capabilities (`{'AWS': ['compute', 'storage']}`).
#[pyfunction]
#[pyo3(signature = (clouds=None, quiet=false))]
pub fn check_clouds(
    py: Python<'_>,
    clouds: Option<Vec<String>>,
    quiet: bool,
) -> PyResult<Vec<(String, Vec<String>)>> {
    let env = Env::process();
    let report = py
        .detach(|| crate::check::run_check(&env, clouds.as_deref()))
        .py()?;
    if !quiet {
        py.import("builtins")?
            .call_method1("print", (report.text.trim_end_matches('\n'),))?;
    }
    Ok(report
        .clouds
        .iter()
        .filter(|c| !c.enabled().is_empty())
        .map(|c| {
            (
                c.repr.to_string(),
                c.enabled().iter().map(|x| x.as_str().to_string()).collect(),
            )
        })
        .collect())
}

/// The enabled clouds (lower-case names) the optimizer plans on.
#[pyfunction]
pub fn enabled_clouds(py: Python<'_>) -> PyResult<Vec<String>> {
    let env = Env::process();
    let list = py.detach(|| crate::check::enabled_clouds(&env)).py()?;
    Ok(list.iter().map(|c| c.name().to_string()).collect())
}
