//! Multi-document task YAML for `sky.utils.dag_utils` and YAML dumping for
//! `sky.utils.yaml_utils`. The `sky.Dag` object itself is Python
//! (`python/sky/dag.py`); these functions return its fields as plain data
//! and build the tasks as `sky.Task` objects.

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

use super::convert::{from_py, to_py};
use super::errors::IntoPy;
use super::task::PyTask;
use crate::spec::dag::{self, DagSpec, Notice};
use crate::spec::job_group;
use crate::yaml::{self, Value};

type Pairs = Vec<(String, String)>;

fn pairs(obj: Option<&Bound<'_, PyAny>>) -> PyResult<Pairs> {
    let Some(obj) = obj.filter(|o| !o.is_none()) else {
        return Ok(Vec::new());
    };
    obj.try_iter()?
        .map(|i| i?.extract::<(String, String)>())
        .collect()
}

/// Builds the dag's fields as a dict; each task becomes a `sky.Task`
/// created while the caller's new dag is the current one, so the dag
/// context adds it exactly as SkyPilot's `with Dag():` loader does.
fn spec_to_py<'py>(py: Python<'py>, spec: DagSpec) -> PyResult<Bound<'py, PyDict>> {
    let task_cls = py.import("sky.task")?.getattr("Task")?;
    let tasks = PyList::empty(py);
    for task in spec.tasks {
        let obj = task_cls.call0()?;
        obj.cast::<PyTask>()?.borrow_mut().inner = task;
        tasks.append(obj)?;
    }
    let d = PyDict::new(py);
    d.set_item("name", to_py(py, &spec.name)?)?;
    d.set_item("execution", spec.execution.map(|e| e.as_str()))?;
    d.set_item("primary_tasks", spec.primary_tasks)?;
    let delay = spec.termination_delay.map_or(Value::Null, |t| t.to_value());
    d.set_item("termination_delay", to_py(py, &delay)?)?;
    d.set_item("inter_connection", spec.inter_connection)?;
    d.set_item("tasks", tasks)?;
    d.set_item("edges", spec.edges)?;
    Ok(d)
}

/// Logs what the loader reported through `sky.utils.dag_utils.logger`.
fn emit(py: Python<'_>, log: Vec<Notice>) -> PyResult<()> {
    if log.is_empty() {
        return Ok(());
    }
    let logger = py.import("sky.utils.dag_utils")?.getattr("logger")?;
    for notice in log {
        match notice {
            Notice::Info(m) => logger.call_method1("info", (m,))?,
            Notice::Warning(m) => logger.call_method1("warning", (m,))?,
        };
    }
    Ok(())
}

/// The `dag_utils` loaders as plain data (see `spec_to_py`): a job group
/// or a pipeline, from a file (`from_file`) or a YAML string. Logs the
/// loader's warnings and info even when it fails.
#[pyfunction]
#[pyo3(signature = (source, from_file, job_group, env_overrides=None, secrets_overrides=None))]
pub fn load_dag_yaml<'py>(
    py: Python<'py>,
    source: String,
    from_file: bool,
    job_group: bool,
    env_overrides: Option<&Bound<'py, PyAny>>,
    secrets_overrides: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyDict>> {
    let (env, secrets) = (pairs(env_overrides)?, pairs(secrets_overrides)?);
    let mut log = Vec::new();
    let result = py.detach(|| match (job_group, from_file) {
        (true, true) => job_group::load_job_group_yaml(&source, &env, &secrets, &mut log),
        (true, false) => job_group::load_job_group_yaml_str(&source, &env, &secrets, &mut log),
        (false, true) => dag::load_chain_yaml(&source, &env, &secrets),
        (false, false) => dag::load_chain_yaml_str(&source, &env, &secrets),
    });
    emit(py, log)?;
    spec_to_py(py, result.py()?)
}

/// `is_job_group_yaml` (`from_file`) or `is_job_group_yaml_str`.
#[pyfunction]
pub fn is_job_group_yaml(py: Python<'_>, source: String, from_file: bool) -> PyResult<bool> {
    py.detach(|| {
        if from_file {
            job_group::is_job_group_yaml(&source)
        } else {
            job_group::is_job_group_yaml_str(&source)
        }
    })
    .py()
}

/// `yaml_utils.dump_yaml_str`: a list is a multi-document stream.
#[pyfunction]
pub fn dump_yaml_str(py: Python<'_>, config: &Bound<'_, PyAny>) -> PyResult<String> {
    if let Ok(list) = config.cast::<PyList>() {
        let docs: Vec<Value> = list.iter().map(|d| from_py(&d)).collect::<PyResult<_>>()?;
        return Ok(py.detach(|| yaml::dump_yaml_all_str(&docs)));
    }
    let doc = from_py(config)?;
    Ok(py.detach(|| yaml::dump_yaml_str(&doc)))
}

/// `resources_utils.parse_time_seconds`.
#[pyfunction]
pub fn parse_time_seconds(time: &Bound<'_, PyAny>) -> PyResult<i64> {
    crate::spec::units::parse_time_seconds(&time.str()?.to_cow()?).py()
}
