//! `sky.skypilot_config` and `sky.utils.config_utils.Config`: glue over
//! [`crate::config`]. Lookups return `(found, value)` so the Python side
//! can hand back the caller's own default object when nothing is found.

use pyo3::prelude::*;
use pyo3::types::PyDict;

use super::convert::{from_py, map_to_py, to_py};
use super::errors::{IntoPy, to_pyerr};
use crate::config::effective::{effective_config, effective_region_config, merge_task_overrides};
use crate::config::load::{ENV_VAR_DB_CONNECTION_URI, Env, user_config};
use crate::config::nested::{self, KeyPaths};
use crate::config::state::{self, LoadNotes};
use crate::config::validate::compose_cli_config;
use crate::error::{Error, ErrorKind};
use crate::yaml::{Map, Value};

fn keys_from_py(keys: &Bound<'_, PyAny>) -> PyResult<Vec<Value>> {
    let mut out = Vec::new();
    for k in keys.try_iter()? {
        out.push(from_py(&k?)?);
    }
    Ok(out)
}

/// An optional dict argument; anything else fails as Python's `.items()` would.
fn map_arg(obj: Option<&Bound<'_, PyAny>>) -> PyResult<Option<Map>> {
    let Some(obj) = obj.filter(|o| !o.is_none()) else {
        return Ok(None);
    };
    match from_py(obj)? {
        Value::Map(m) => Ok(Some(m)),
        other => Err(to_pyerr(Error::new(
            ErrorKind::Attribute,
            format!("'{}' object has no attribute 'items'", other.py_type_name()),
        ))),
    }
}

fn key_paths_arg(obj: Option<&Bound<'_, PyAny>>) -> PyResult<Option<KeyPaths>> {
    let Some(obj) = obj.filter(|o| !o.is_none()) else {
        return Ok(None);
    };
    let mut out = Vec::new();
    for path in obj.try_iter()? {
        out.push(keys_from_py(&path?)?);
    }
    Ok(Some(out))
}

fn found(py: Python<'_>, v: Option<Value>) -> PyResult<(bool, Py<PyAny>)> {
    match v {
        Some(v) => Ok((true, to_py(py, &v)?)),
        None => Ok((false, py.None())),
    }
}

/// Does what SkyPilot does besides loading: hands `db:` on through the
/// environment and reports YAML errors it would log.
fn apply_notes(py: Python<'_>, notes: Option<LoadNotes>) -> PyResult<()> {
    let Some(notes) = notes else { return Ok(()) };
    if let Some(db) = notes.db_url {
        let environ = py.import("os")?.getattr("environ")?;
        environ.set_item(ENV_VAR_DB_CONNECTION_URI, db)?;
    }
    if !notes.warnings.is_empty() {
        let stderr = py.import("sys")?.getattr("stderr")?;
        for w in notes.warnings {
            stderr.call_method1("write", (format!("{w}\n"),))?;
        }
    }
    Ok(())
}

fn ensure(py: Python<'_>) -> PyResult<()> {
    let notes = py.detach(|| state::ensure_loaded(&Env::process())).py()?;
    apply_notes(py, notes)
}

/// `reload_config()`.
#[pyfunction]
fn config_reload(py: Python<'_>) -> PyResult<()> {
    let notes = py.detach(|| state::reload(&Env::process())).py()?;
    apply_notes(py, Some(notes))
}

/// `get_nested(keys, default, override_configs)` as `(found, value)`.
#[pyfunction]
#[pyo3(signature = (keys, override_configs=None))]
fn config_get_nested(
    py: Python<'_>,
    keys: &Bound<'_, PyAny>,
    override_configs: Option<&Bound<'_, PyAny>>,
) -> PyResult<(bool, Py<PyAny>)> {
    ensure(py)?;
    let keys = keys_from_py(keys)?;
    let over = map_arg(override_configs)?;
    let v = py
        .detach(|| state::get_nested(&Env::process(), &keys, over.as_ref()))
        .py()?;
    found(py, v)
}

/// The loaded config, as a dict.
#[pyfunction]
fn config_to_dict(py: Python<'_>) -> PyResult<Bound<'_, PyDict>> {
    ensure(py)?;
    let snap = py.detach(|| state::snapshot(&Env::process())).py()?;
    map_to_py(py, &snap.config)
}

/// `loaded_config_path()`.
#[pyfunction]
fn config_loaded_config_path(py: Python<'_>) -> PyResult<Option<String>> {
    ensure(py)?;
    py.detach(|| state::loaded_config_path(&Env::process()))
        .py()
}

/// `get_user_config()`: the user config file alone.
#[pyfunction]
fn config_get_user_config(py: Python<'_>) -> PyResult<Bound<'_, PyDict>> {
    let file = py.detach(|| user_config(&Env::process())).py()?;
    let config = file.config.clone();
    apply_notes(
        py,
        Some(LoadNotes {
            db_url: file.db_url,
            warnings: file.yaml_error.into_iter().collect(),
        }),
    )?;
    map_to_py(py, &config)
}

/// `apply_cli_config(cli_config)`: returns the parsed overrides.
#[pyfunction]
fn config_apply_cli(
    py: Python<'_>,
    cli_config: Option<Vec<String>>,
) -> PyResult<Bound<'_, PyDict>> {
    ensure(py)?;
    let args = cli_config.unwrap_or_default();
    let parsed = py
        .detach(|| -> crate::Result<Map> {
            let env = Env::process();
            let parsed = compose_cli_config(&env, &args)?;
            state::apply(&env, &parsed)?;
            Ok(parsed)
        })
        .py()?;
    map_to_py(py, &parsed)
}

/// Starts `override_skypilot_config`; `None` when there is nothing to do.
#[pyfunction]
#[pyo3(signature = (override_configs, override_config_path_serialized=None))]
fn config_override_begin(
    py: Python<'_>,
    override_configs: Option<&Bound<'_, PyAny>>,
    override_config_path_serialized: Option<String>,
) -> PyResult<Option<usize>> {
    ensure(py)?;
    let Some(over) = map_arg(override_configs)? else {
        return Ok(None);
    };
    let json = py.import("json")?;
    let mut extra = Vec::new();
    if let Some(s) = override_config_path_serialized {
        let paths = json.call_method1("loads", (s,))?;
        if !paths.is_none() {
            for p in paths.try_iter()? {
                extra.push(p?.extract::<Option<String>>()?);
            }
        }
    }
    py.detach(|| state::begin_override(&Env::process(), &over, extra))
        .py()
}

/// Ends the override `token` began.
#[pyfunction]
fn config_override_end(py: Python<'_>, token: usize) {
    py.detach(|| state::end_override(token));
}

/// The message for an invalid config inside an override.
#[pyfunction]
fn config_override_failure(
    original: &Bound<'_, PyAny>,
    override_configs: &Bound<'_, PyAny>,
    details: String,
) -> PyResult<String> {
    let original = map_arg(Some(original))?.unwrap_or_default();
    let over = map_arg(Some(override_configs))?.unwrap_or_default();
    Ok(state::override_failure(&original, &over, &details).message)
}

/// `get_active_workspace()` (without a thread-local workspace).
#[pyfunction]
fn config_active_workspace(py: Python<'_>) -> PyResult<String> {
    ensure(py)?;
    let snap = py.detach(|| state::snapshot(&Env::process())).py()?;
    Ok(state::active_workspace(&snap.config))
}

/// The config a task with `config:` overrides `task_overrides` runs with.
#[pyfunction]
#[pyo3(signature = (task_overrides=None))]
fn config_effective<'py>(
    py: Python<'py>,
    task_overrides: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyDict>> {
    ensure(py)?;
    let over = map_arg(task_overrides)?;
    let config = py
        .detach(|| effective_config(&Env::process(), over.as_ref()))
        .py()?;
    map_to_py(py, &config)
}

/// `get_effective_region_config(cloud, keys, region, default, overrides)`.
#[pyfunction]
#[pyo3(signature = (cloud, keys, region=None, default_value=None, override_configs=None))]
fn config_effective_region(
    py: Python<'_>,
    cloud: String,
    keys: &Bound<'_, PyAny>,
    region: Option<String>,
    default_value: Option<&Bound<'_, PyAny>>,
    override_configs: Option<&Bound<'_, PyAny>>,
) -> PyResult<Py<PyAny>> {
    ensure(py)?;
    let keys = keys_from_py(keys)?;
    let default = default_value
        .map(from_py)
        .transpose()?
        .unwrap_or(Value::Null);
    let over = map_arg(override_configs)?;
    let v = py
        .detach(|| {
            effective_region_config(
                &Env::process(),
                &cloud,
                &keys,
                region.as_deref(),
                default,
                over.as_ref(),
            )
        })
        .py()?;
    to_py(py, &v)
}

/// `Resources.copy`'s merge of `_cluster_config_overrides`.
#[pyfunction]
#[pyo3(signature = (current=None, new=None))]
fn config_merge_task_overrides(
    py: Python<'_>,
    current: Option<&Bound<'_, PyAny>>,
    new: Option<&Bound<'_, PyAny>>,
) -> PyResult<Py<PyAny>> {
    let current = map_arg(current)?;
    let new = map_arg(new)?;
    match merge_task_overrides(current.as_ref(), new.as_ref()).py()? {
        Some(m) => Ok(map_to_py(py, &m)?.into_any().unbind()),
        None => Ok(py.None()),
    }
}

/// `Config.get_nested` on a given dict, as `(found, value)`.
#[pyfunction]
#[pyo3(signature = (config, keys, override_configs=None, allowed_override_keys=None, disallowed_override_keys=None))]
fn config_dict_get_nested(
    py: Python<'_>,
    config: &Bound<'_, PyAny>,
    keys: &Bound<'_, PyAny>,
    override_configs: Option<&Bound<'_, PyAny>>,
    allowed_override_keys: Option<&Bound<'_, PyAny>>,
    disallowed_override_keys: Option<&Bound<'_, PyAny>>,
) -> PyResult<(bool, Py<PyAny>)> {
    let config = map_arg(Some(config))?.unwrap_or_default();
    let keys = keys_from_py(keys)?;
    let over = map_arg(override_configs)?;
    let allowed = key_paths_arg(allowed_override_keys)?;
    let disallowed = key_paths_arg(disallowed_override_keys)?;
    let v = nested::get_nested(
        &config,
        &keys,
        over.as_ref(),
        allowed.as_ref(),
        disallowed.as_ref(),
    )
    .py()?;
    found(py, v)
}

/// `Config.set_nested` on a given dict; returns the new dict.
#[pyfunction]
fn config_dict_set_nested<'py>(
    py: Python<'py>,
    config: &Bound<'py, PyAny>,
    keys: &Bound<'py, PyAny>,
    value: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyDict>> {
    let mut config = map_arg(Some(config))?.unwrap_or_default();
    let keys = keys_from_py(keys)?;
    nested::set_nested(&mut config, &keys, from_py(value)?).py()?;
    map_to_py(py, &config)
}

/// `Config.pop_nested` on a given dict: `(found, value, new dict)`.
#[pyfunction]
fn config_dict_pop_nested<'py>(
    py: Python<'py>,
    config: &Bound<'py, PyAny>,
    keys: &Bound<'py, PyAny>,
) -> PyResult<(bool, Py<PyAny>, Bound<'py, PyDict>)> {
    let mut config = map_arg(Some(config))?.unwrap_or_default();
    let keys = keys_from_py(keys)?;
    let popped = nested::pop_nested(&mut config, &keys);
    let (ok, v) = found(py, popped)?;
    Ok((ok, v, map_to_py(py, &config)?))
}

/// `overlay_skypilot_config(original, override)`.
#[pyfunction]
#[pyo3(signature = (original=None, override_configs=None))]
fn config_overlay<'py>(
    py: Python<'py>,
    original: Option<&Bound<'py, PyAny>>,
    override_configs: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyDict>> {
    let original = map_arg(original)?.unwrap_or_default();
    let over = map_arg(override_configs)?;
    let merged = nested::overlay(&original, over.as_ref()).py()?;
    map_to_py(py, &merged)
}

/// Adds this module's functions to `sky._sky`.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(config_reload, m)?)?;
    m.add_function(wrap_pyfunction!(config_get_nested, m)?)?;
    m.add_function(wrap_pyfunction!(config_to_dict, m)?)?;
    m.add_function(wrap_pyfunction!(config_loaded_config_path, m)?)?;
    m.add_function(wrap_pyfunction!(config_get_user_config, m)?)?;
    m.add_function(wrap_pyfunction!(config_apply_cli, m)?)?;
    m.add_function(wrap_pyfunction!(config_override_begin, m)?)?;
    m.add_function(wrap_pyfunction!(config_override_end, m)?)?;
    m.add_function(wrap_pyfunction!(config_override_failure, m)?)?;
    m.add_function(wrap_pyfunction!(config_active_workspace, m)?)?;
    m.add_function(wrap_pyfunction!(config_effective, m)?)?;
    m.add_function(wrap_pyfunction!(config_effective_region, m)?)?;
    m.add_function(wrap_pyfunction!(config_merge_task_overrides, m)?)?;
    m.add_function(wrap_pyfunction!(config_dict_get_nested, m)?)?;
    m.add_function(wrap_pyfunction!(config_dict_set_nested, m)?)?;
    m.add_function(wrap_pyfunction!(config_dict_pop_nested, m)?)?;
    m.add_function(wrap_pyfunction!(config_overlay, m)?)?;
    Ok(())
}
