//! `sky.Task`: a wrapper around [`crate::spec::Task`]. Python-only parts
//! (the dag context, time estimators) live in `python/sky/task.py`.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PySet, PyTuple};

use super::convert::{from_py, map_to_py, to_py};
use super::errors::IntoPy;
use super::resources::{PyResources, group_to_py};
use crate::spec::resources_yaml::{ResourceGroup, from_yaml_config as resources_from_yaml};
use crate::spec::task::Task;
use crate::spec::task_dump::redact_task_yaml;
use crate::yaml::{self, Map, Value};

/// Python-visible task core.
#[pyclass(module = "sky", name = "Task", subclass)]
pub struct PyTask {
    pub inner: Task,
    best_resources: Option<Py<PyAny>>,
}

fn joined(v: Option<&Bound<'_, PyAny>>) -> PyResult<Option<String>> {
    let Some(v) = v.filter(|v| !v.is_none()) else {
        return Ok(None);
    };
    if let Ok(list) = v.cast::<PyList>() {
        let parts: Vec<String> = list
            .iter()
            .map(|i| i.extract::<String>())
            .collect::<PyResult<_>>()?;
        return Ok(Some(parts.join("\n")));
    }
    Ok(Some(v.extract::<String>()?))
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
    Ok(if ordered {
        ResourceGroup::Ordered(items)
    } else {
        ResourceGroup::AnyOf(items)
    })
}

fn str_pairs(obj: Option<&Bound<'_, PyAny>>) -> PyResult<(Vec<(Value, Value)>, bool)> {
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

fn overrides(obj: Option<&Bound<'_, PyAny>>) -> PyResult<Vec<(String, Option<String>)>> {
    let Some(obj) = obj.filter(|o| !o.is_none()) else {
        return Ok(Vec::new());
    };
    obj.try_iter()?
        .map(|i| i?.extract::<(String, Option<String>)>())
        .collect()
}

#[pymethods]
impl PyTask {
    #[new]
    #[pyo3(signature = (name=None, *, setup=None, run=None, envs=None, secrets=None, workdir=None, num_nodes=None,
        file_mounts=None, storage_mounts=None, volumes=None, resources=None, docker_image=None, event_callback=None,
        blocked_resources=None, api_server_access=true, _file_mounts_mapping=None, _volume_mounts=None,
        _metadata=None, _user_specified_yaml=None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        name: Option<String>,
        setup: Option<&Bound<'_, PyAny>>,
        run: Option<&Bound<'_, PyAny>>,
        envs: Option<&Bound<'_, PyAny>>,
        secrets: Option<&Bound<'_, PyAny>>,
        workdir: Option<&Bound<'_, PyAny>>,
        num_nodes: Option<&Bound<'_, PyAny>>,
        file_mounts: Option<&Bound<'_, PyAny>>,
        storage_mounts: Option<&Bound<'_, PyAny>>,
        volumes: Option<&Bound<'_, PyAny>>,
        resources: Option<&Bound<'_, PyAny>>,
        docker_image: Option<String>,
        event_callback: Option<String>,
        blocked_resources: Option<&Bound<'_, PyAny>>,
        api_server_access: bool,
        _file_mounts_mapping: Option<&Bound<'_, PyAny>>,
        _volume_mounts: Option<&Bound<'_, PyAny>>,
        _metadata: Option<&Bound<'_, PyAny>>,
        _user_specified_yaml: Option<String>,
    ) -> PyResult<Self> {
        let _ = (
            docker_image,
            blocked_resources,
            storage_mounts,
            _volume_mounts,
        );
        let mut t = Task::new();
        t.name = name;
        t.setup = joined(setup)?;
        t.run = joined(run)?;
        if let Some(e) = envs.filter(|e| !e.is_none()) {
            t.envs = from_py(e)?.as_map().cloned().unwrap_or_default();
        }
        if let Some(s) = secrets.filter(|s| !s.is_none()) {
            t.secrets = from_py(s)?.as_map().cloned().unwrap_or_default();
        }
        t.workdir = workdir.map(from_py).transpose()?.filter(|w| !w.is_null());
        t.set_num_nodes(num_nodes.map(from_py).transpose()?).py()?;
        if let Some(v) = volumes.filter(|v| !v.is_none()) {
            t.volumes = from_py(v)?.as_map().cloned().unwrap_or_default();
        }
        t.event_callback = event_callback;
        t.api_server_access = api_server_access;
        t.file_mounts_mapping = _file_mounts_mapping
            .map(from_py)
            .transpose()?
            .filter(|v| !v.is_null());
        if let Some(m) = _metadata.filter(|m| !m.is_none()) {
            t.metadata = from_py(m)?.as_map().cloned().unwrap_or_default();
        }
        t.user_specified_yaml = _user_specified_yaml;
        if let Some(r) = resources.filter(|r| !r.is_none()) {
            t.set_resources(group_from_py(r)?).py()?;
        }
        if let Some(fm) = file_mounts.filter(|f| !f.is_none()) {
            t.file_mounts = from_py(fm)?.as_map().cloned();
        }
        Ok(PyTask {
            inner: t,
            best_resources: None,
        })
    }

    /// Replaces this task's fields with those parsed from YAML text (the
    /// Python-side `from_yaml*` constructors build the object first so the
    /// dag context sees it).
    fn _load_yaml_str(&mut self, py: Python<'_>, text: String) -> PyResult<()> {
        self.inner = py.detach(|| Task::from_yaml_str(&text)).py()?;
        Ok(())
    }

    fn _load_yaml(&mut self, py: Python<'_>, path: String) -> PyResult<()> {
        self.inner = py.detach(|| Task::from_yaml(&path)).py()?;
        Ok(())
    }

    #[pyo3(signature = (config, env_overrides=None, secrets_overrides=None))]
    fn _load_yaml_config(
        &mut self,
        py: Python<'_>,
        config: &Bound<'_, PyAny>,
        env_overrides: Option<&Bound<'_, PyAny>>,
        secrets_overrides: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        let map = match from_py(config)? {
            Value::Map(m) => m,
            Value::Null => Map::new(),
            other => {
                return Err(pyo3::exceptions::PyTypeError::new_err(format!(
                    "task config must be a dict, got {}",
                    other.py_type_name()
                )));
            }
        };
        let (envs, secrets) = (overrides(env_overrides)?, overrides(secrets_overrides)?);
        self.inner = py
            .detach(|| Task::from_yaml_config(map, &envs, &secrets))
            .py()?;
        Ok(())
    }

    /// Takes another task's fields (`Task.__deepcopy__` makes the new
    /// object without `__init__`, so no dag context sees it).
    fn _copy_core_from(&mut self, py: Python<'_>, other: PyRef<'_, PyTask>) {
        self.inner = other.inner.clone();
        self.best_resources = other.best_resources.as_ref().map(|b| b.clone_ref(py));
    }

    #[pyo3(signature = (use_user_specified_yaml=false))]
    fn to_yaml_config<'py>(
        &self,
        py: Python<'py>,
        use_user_specified_yaml: bool,
    ) -> PyResult<Bound<'py, PyDict>> {
        if use_user_specified_yaml {
            let Some(text) = &self.inner.user_specified_yaml else {
                return map_to_py(py, &self.inner.to_yaml_config(true));
            };
            let mut config = yaml::load(text)
                .map_err(crate::Error::from)
                .py()?
                .as_map()
                .cloned()
                .unwrap_or_default();
            redact_task_yaml(&mut config);
            return map_to_py(py, &config);
        }
        map_to_py(py, &self.inner.to_yaml_config(false))
    }

    fn set_resources<'py>(
        slf: Bound<'py, Self>,
        resources: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, Self>> {
        let group = group_from_py(resources)?;
        slf.borrow_mut().inner.set_resources(group).py()?;
        Ok(slf)
    }

    fn set_resources_override<'py>(
        slf: Bound<'py, Self>,
        override_params: &Bound<'py, PyDict>,
    ) -> PyResult<Bound<'py, Self>> {
        let py = slf.py();
        let current = group_to_py(py, &slf.borrow().inner.resources)?;
        let is_list = current.bind(py).cast::<PyList>().is_ok();
        let mut new_items = Vec::new();
        for r in current.bind(py).try_iter()? {
            new_items.push(r?.call_method("copy", (), Some(override_params))?);
        }
        let list = PyList::new(py, new_items)?;
        let arg = if is_list {
            list.into_any()
        } else {
            PySet::new(py, list.iter())?.into_any()
        };
        slf.borrow_mut()
            .inner
            .set_resources(group_from_py(&arg)?)
            .py()?;
        Ok(slf)
    }

    #[pyo3(signature = (file_mounts))]
    fn set_file_mounts<'py>(
        slf: Bound<'py, Self>,
        file_mounts: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, Self>> {
        let fm = file_mounts
            .map(from_py)
            .transpose()?
            .and_then(|v| v.as_map().cloned());
        if let Some(fm) = &fm {
            for (dst, src) in fm.iter() {
                for p in [dst.py_str(), src.py_str()] {
                    if p.ends_with('/') {
                        return Err(PyValueError::new_err(format!(
                            "Mount paths cannot end with a slash (try \"{}\" or \"{}\"). Found target={} source={}",
                            p.trim_end_matches('/'),
                            p.trim_end_matches('/'),
                            dst.py_str(),
                            src.py_str()
                        )));
                    }
                }
            }
        }
        slf.borrow_mut().inner.file_mounts = fm;
        Ok(slf)
    }

    fn update_file_mounts<'py>(
        slf: Bound<'py, Self>,
        file_mounts: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, Self>> {
        let add = from_py(file_mounts)?.as_map().cloned().unwrap_or_default();
        {
            let mut me = slf.borrow_mut();
            let fm = me.inner.file_mounts.get_or_insert_with(Map::new);
            for (k, v) in add.iter() {
                fm.insert(k.clone(), v.clone());
            }
        }
        Ok(slf)
    }

    fn update_envs<'py>(
        slf: Bound<'py, Self>,
        envs: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, Self>> {
        let (pairs, from_list) = str_pairs(envs)?;
        slf.borrow_mut().inner.update_envs(pairs, from_list).py()?;
        Ok(slf)
    }

    fn update_secrets<'py>(
        slf: Bound<'py, Self>,
        secrets: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, Self>> {
        let (pairs, from_list) = str_pairs(secrets)?;
        slf.borrow_mut()
            .inner
            .update_secrets(pairs, from_list)
            .py()?;
        Ok(slf)
    }

    fn validate_name(&self) -> PyResult<()> {
        if let Some(n) = &self.inner.name {
            if !crate::spec::task_name::is_valid_task_name(n) {
                return Err(PyValueError::new_err(format!(
                    "Invalid task name {n}. Valid task names should consist of alphanumeric characters, dashes, dots, \
                     and underscores, and start with a letter or a digit."
                )));
            }
        }
        Ok(())
    }

    fn __repr__(&self) -> String {
        self.inner.repr()
    }

    #[getter]
    fn get_name(&self) -> Option<String> {
        self.inner.name.clone()
    }
    #[setter]
    fn set_name(&mut self, v: Option<String>) {
        self.inner.name = v;
    }
    #[getter]
    fn get_run(&self) -> Option<String> {
        self.inner.run.clone()
    }
    #[setter]
    fn set_run(&mut self, v: Option<String>) {
        self.inner.run = v;
    }
    #[getter]
    fn get_setup(&self) -> Option<String> {
        self.inner.setup.clone()
    }
    #[setter]
    fn set_setup(&mut self, v: Option<String>) {
        self.inner.setup = v;
    }
    #[getter]
    fn get_workdir(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        to_py(py, &self.inner.workdir.clone().unwrap_or(Value::Null))
    }
    #[setter]
    fn set_workdir(&mut self, v: &Bound<'_, PyAny>) -> PyResult<()> {
        self.inner.workdir = Some(from_py(v)?).filter(|w| !w.is_null());
        Ok(())
    }
    #[getter]
    fn get_num_nodes(&self) -> i64 {
        self.inner.num_nodes
    }
    #[setter]
    fn set_num_nodes(&mut self, v: &Bound<'_, PyAny>) -> PyResult<()> {
        let v = from_py(v)?;
        self.inner.set_num_nodes(Some(v)).py()
    }
    #[getter]
    fn envs<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        map_to_py(py, &self.inner.envs)
    }
    #[getter]
    fn secrets<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let wrap = py.import("sky.task")?.getattr("SecretStr")?;
        let d = PyDict::new(py);
        for (k, v) in self.inner.secrets.iter() {
            d.set_item(to_py(py, k)?, wrap.call1((to_py(py, v)?,))?)?;
        }
        Ok(d)
    }
    #[getter]
    fn envs_and_secrets<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let mut m = self.inner.envs.clone();
        for (k, v) in self.inner.secrets.iter() {
            m.insert(k.clone(), v.clone());
        }
        map_to_py(py, &m)
    }
    #[getter]
    fn file_mounts(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        to_py(
            py,
            &self
                .inner
                .file_mounts
                .clone()
                .map_or(Value::Null, Value::Map),
        )
    }
    #[getter]
    fn volumes<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        map_to_py(py, &self.inner.volumes)
    }
    #[getter]
    fn metadata<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        map_to_py(py, &self.inner.metadata)
    }
    #[getter]
    fn event_callback(&self) -> Option<String> {
        self.inner.event_callback.clone()
    }
    #[getter]
    fn api_server_access(&self) -> bool {
        self.inner.api_server_access
    }
    #[getter]
    fn get_resources(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        group_to_py(py, &self.inner.resources)
    }
    #[getter]
    fn use_spot(&self) -> bool {
        self.inner.resources.items().iter().any(|r| r.use_spot)
    }
    #[getter]
    fn service(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        to_py(
            py,
            &self
                .inner
                .service
                .as_ref()
                .map_or(Value::Null, |s| Value::Map(s.to_yaml_config())),
        )
    }
    #[getter]
    fn inputs(&self) -> Option<String> {
        self.inner.inputs.as_ref().map(|(k, _)| k.clone())
    }
    #[getter]
    fn outputs(&self) -> Option<String> {
        self.inner.outputs.as_ref().map(|(k, _)| k.clone())
    }
    #[getter]
    fn get_best_resources(&self, py: Python<'_>) -> Py<PyAny> {
        self.best_resources
            .as_ref()
            .map_or_else(|| py.None(), |b| b.clone_ref(py))
    }
    #[setter]
    fn set_best_resources(&mut self, v: Py<PyAny>) {
        self.best_resources = Some(v);
    }
}
