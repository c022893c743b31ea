//! Argument conversion for `sky.Task` (`src/py/task.rs`): command lists,
//! resource groups, env pairs, overrides, and keeping the wrapper's Python
//! objects (a `run` generator, the storage-mount dict) beside the core.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyTuple};

use super::convert::from_py;
use super::errors::IntoPy;
use super::resources::PyResources;
use super::storage::PyStorage;
use super::task::PyTask;
use crate::spec::resources_yaml::{ResourceGroup, from_yaml_config as resources_from_yaml};
use crate::spec::storage::StorageSpec;
use crate::spec::task::Task;
use crate::yaml::Value;

/// `setup`/`run` as given: a list is joined with newlines when
/// `join_lists` (the constructor does, attribute assignment does not);
/// `Err(obj)` is a non-string `run` (a command generator) to keep as is.
pub fn command(
    v: Option<&Bound<'_, PyAny>>,
    join_lists: bool,
) -> PyResult<Result<Option<String>, Py<PyAny>>> {
    let Some(v) = v.filter(|v| !v.is_none()) else {
        return Ok(Ok(None));
    };
    if join_lists && let Ok(list) = v.cast::<PyList>() {
        let parts: Vec<String> = list
            .iter()
            .map(|i| i.extract::<String>())
            .collect::<PyResult<_>>()?;
        return Ok(Ok(Some(parts.join("\n"))));
    }
    match v.extract::<String>() {
        Ok(s) => Ok(Ok(Some(s))),
        Err(_) => Ok(Err(v.clone().unbind())),
    }
}

/// Accepts a `Resources`, a list (ordered) or a set (any of), or a dict.
pub fn group_from_py(obj: &Bound<'_, PyAny>) -> PyResult<ResourceGroup> {
    if let Ok(r) = obj.cast::<PyResources>() {
        return Ok(ResourceGroup::AnyOf(vec![r.get().inner.clone()]));
    }
    if obj.cast::<PyDict>().is_ok() {
        let v = from_py(obj)?;
        return resources_from_yaml(Some(&v)).py();
    }
    let ordered = obj.cast::<PyList>().is_ok() || obj.cast::<PyTuple>().is_ok();
    let items = resources_list(obj)?;
    Ok(if ordered {
        ResourceGroup::Ordered(items)
    } else {
        ResourceGroup::AnyOf(items)
    })
}

/// An iterable of `Resources` as core values.
pub fn resources_list(obj: &Bound<'_, PyAny>) -> PyResult<Vec<crate::spec::Resources>> {
    let mut items = Vec::new();
    for item in obj.try_iter()? {
        let item = item?;
        let r = item.cast::<PyResources>().map_err(|_| {
            PyValueError::new_err(
                "resources must be a Resources, a list or set of Resources, or a dict",
            )
        })?;
        items.push(r.get().inner.clone());
    }
    Ok(items)
}

/// `update_envs`/`update_secrets` input: pairs, and whether it was a list.
pub fn str_pairs(obj: Option<&Bound<'_, PyAny>>) -> PyResult<(Vec<(Value, Value)>, bool)> {
    let Some(obj) = obj.filter(|o| !o.is_none()) else {
        return Ok((Vec::new(), false));
    };
    if let Ok(d) = obj.cast::<PyDict>() {
        let pairs = d
            .iter()
            .map(|(k, v)| Ok((from_py(&k)?, from_py(&v)?)))
            .collect::<PyResult<_>>()?;
        return Ok((pairs, false));
    }
    if obj.cast::<PyList>().is_ok() || obj.cast::<PyTuple>().is_ok() {
        let mut pairs = Vec::new();
        for item in obj.try_iter()? {
            let (k, v): (Bound<'_, PyAny>, Bound<'_, PyAny>) = item?.extract()?;
            pairs.push((from_py(&k)?, from_py(&v)?));
        }
        return Ok((pairs, true));
    }
    Err(PyValueError::new_err(format!(
        "envs must be List[Tuple[str, str]] or Dict[str, str]: {}",
        obj.repr()?
    )))
}

/// `env_overrides` / `secrets_overrides`: `(name, value)` pairs.
pub fn overrides(obj: Option<&Bound<'_, PyAny>>) -> PyResult<Vec<(String, Option<String>)>> {
    let Some(obj) = obj.filter(|o| !o.is_none()) else {
        return Ok(Vec::new());
    };
    obj.try_iter()?
        .map(|i| i?.extract::<(String, Option<String>)>())
        .collect()
}

/// The specs of a `{mount path: Storage}` dict. Objects that are not
/// `sky.Storage` are read through their `to_yaml_config()`.
pub fn storage_specs(mounts: &Bound<'_, PyDict>) -> PyResult<Vec<(String, StorageSpec)>> {
    let mut out = Vec::new();
    for (k, v) in mounts.iter() {
        let spec = match v.cast::<PyStorage>() {
            Ok(s) => s.borrow().inner.clone(),
            Err(_) => {
                StorageSpec::from_yaml_config(&from_py(&v.call_method0("to_yaml_config")?)?).py()?
            }
        };
        out.push((k.extract::<String>()?, spec));
    }
    Ok(out)
}

/// A `{mount path: Storage}` dict wrapping `specs`.
pub fn storage_dict<'py>(
    py: Python<'py>,
    specs: &[(String, StorageSpec)],
) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    for (path, spec) in specs {
        d.set_item(
            path,
            Py::new(
                py,
                PyStorage {
                    inner: spec.clone(),
                },
            )?,
        )?;
    }
    Ok(d)
}

impl PyTask {
    /// A wrapper around `inner`, its storage mounts as `Storage` objects.
    pub(super) fn wrap(py: Python<'_>, inner: Task) -> PyResult<Self> {
        let storage_mounts = storage_dict(py, &inner.storage_mounts)?.unbind();
        Ok(PyTask {
            inner,
            best_resources: None,
            run_generator: None,
            storage_mounts,
        })
    }

    /// Replaces the core task (after loading YAML), keeping this object.
    pub(super) fn replace(&mut self, py: Python<'_>, inner: Task) -> PyResult<()> {
        *self = PyTask::wrap(py, inner)?;
        Ok(())
    }

    /// Refreshes the core's storage mounts from the Python dict.
    pub(super) fn sync_storage(&mut self, py: Python<'_>) -> PyResult<()> {
        self.inner.storage_mounts = storage_specs(self.storage_mounts.bind(py))?;
        Ok(())
    }

    /// Sets `run`: a string in the core, anything else kept here.
    pub(super) fn set_run_value(
        &mut self,
        py: Python<'_>,
        run: Option<&Bound<'_, PyAny>>,
        join_lists: bool,
    ) -> PyResult<()> {
        match command(run, join_lists)? {
            Ok(r) => {
                self.inner.run = r;
                self.inner.run_generator = None;
                self.run_generator = None;
            }
            Err(obj) => {
                self.inner.run = None;
                self.inner.run_generator = Some(obj.bind(py).get_type().repr()?.to_string());
                self.run_generator = Some(obj);
            }
        }
        Ok(())
    }
}

impl PyTask {
    /// `set_storage_mounts`: checks in the core, then keeps `mounts` itself.
    pub(super) fn set_storage(
        &mut self,
        py: Python<'_>,
        mounts: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<()> {
        let specs = mounts.map(storage_specs).transpose()?;
        self.inner.set_storage_mounts(specs).py()?;
        self.storage_mounts = match mounts {
            Some(d) => d.clone().unbind(),
            None => PyDict::new(py).unbind(),
        };
        Ok(())
    }
}
