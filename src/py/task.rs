//! `sky.Task`: a wrapper around [`crate::spec::Task`]. Python-only parts
//! (the dag context, time estimators) live in `python/sky/task.py`.

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PySet};

use super::convert::{from_py, map_to_py, to_py};
use super::errors::IntoPy;
use super::resources::{PyResources, group_to_py};
use super::task_args::{
    command, group_from_py, overrides, resources_list, storage_dict, storage_specs, str_pairs,
};
use crate::spec::task::Task;
use crate::spec::task_dump::redact_task_yaml;
use crate::yaml::{self, Map, Value};

/// Python-visible task core.
#[pyclass(module = "sky", name = "Task", subclass)]
pub struct PyTask {
    pub inner: Task,
    pub(super) best_resources: Option<Py<PyAny>>,
    /// A non-string `run` (a command generator), kept as given.
    pub(super) run_generator: Option<Py<PyAny>>,
    /// `{mount path: Storage}`: the dict `set_storage_mounts` was given, so
    /// later changes to it or its `Storage` objects are seen.
    pub(super) storage_mounts: Py<PyDict>,
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
        py: Python<'_>,
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
        let _ = _volume_mounts;
        let mut t = Task::new();
        t.name = name;
        t.setup = command(setup, true)?.unwrap_or_default();
        if let Some(e) = envs.filter(|e| !e.is_none()) {
            t.envs = from_py(e)?.as_map().cloned().unwrap_or_default();
        }
        if let Some(s) = secrets.filter(|s| !s.is_none()) {
            t.secrets = from_py(s)?.as_map().cloned().unwrap_or_default();
        }
        t.workdir = workdir.map(from_py).transpose()?.filter(|w| !w.is_null());
        t.docker_image = docker_image.filter(|d| !d.is_empty());
        t.set_num_nodes(num_nodes.map(from_py).transpose()?).py()?;
        if let Some(v) = volumes.filter(|v| !v.is_none()) {
            t.volumes = from_py(v)?.as_map().cloned().unwrap_or_default();
        }
        t.event_callback = event_callback;
        t.api_server_access = api_server_access;
        t.blocked_resources = blocked_resources
            .filter(|b| !b.is_none())
            .map(resources_list)
            .transpose()?;
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
        let mut task = PyTask::wrap(py, t)?;
        task.set_run_value(py, run, true)?;
        if let Some(sm) = storage_mounts.filter(|s| !s.is_none()) {
            task.set_storage(py, Some(sm.cast::<PyDict>()?))?;
        }
        if let Some(fm) = file_mounts.filter(|f| !f.is_none()) {
            task.inner.file_mounts = from_py(fm)?.as_map().cloned();
        }
        Ok(task)
    }

    /// Replaces this task's fields with those parsed from YAML text (the
    /// Python-side `from_yaml*` constructors build the object first so the
    /// dag context sees it).
    fn _load_yaml_str(&mut self, py: Python<'_>, text: String) -> PyResult<()> {
        let inner = py.detach(|| Task::from_yaml_str(&text)).py()?;
        self.replace(py, inner)?;
        Ok(())
    }

    fn _load_yaml(&mut self, py: Python<'_>, path: String) -> PyResult<()> {
        let inner = py.detach(|| Task::from_yaml(&path)).py()?;
        self.replace(py, inner)?;
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
        let inner = py
            .detach(|| Task::from_yaml_config(map, &envs, &secrets))
            .py()?;
        // SkyPilot pops every key it reads from the caller's dict.
        if let Ok(d) = config.cast::<PyDict>() {
            d.clear();
        }
        self.replace(py, inner)?;
        Ok(())
    }

    /// Takes another task's fields (`Task.__deepcopy__` makes the new
    /// object without `__init__`, so no dag context sees it). Storage
    /// mounts become new `Storage` objects, as a deep copy makes them.
    fn _copy_core_from(&mut self, py: Python<'_>, other: PyRef<'_, PyTask>) -> PyResult<()> {
        let mut inner = other.inner.clone();
        inner.storage_mounts = storage_specs(other.storage_mounts.bind(py))?;
        self.storage_mounts = storage_dict(py, &inner.storage_mounts)?.unbind();
        self.inner = inner;
        self.best_resources = other.best_resources.as_ref().map(|b| b.clone_ref(py));
        self.run_generator = other.run_generator.as_ref().map(|g| g.clone_ref(py));
        Ok(())
    }

    // `&mut self`: the storage mounts are refreshed from Python first.
    #[allow(clippy::wrong_self_convention)]
    #[pyo3(signature = (use_user_specified_yaml=false))]
    fn to_yaml_config<'py>(
        &mut self,
        py: Python<'py>,
        use_user_specified_yaml: bool,
    ) -> PyResult<Bound<'py, PyDict>> {
        self.sync_storage(py)?;
        let config = match (&self.inner.user_specified_yaml, use_user_specified_yaml) {
            (Some(text), true) => {
                let mut config = yaml::load(text)
                    .map_err(crate::Error::from)
                    .py()?
                    .as_map()
                    .cloned()
                    .unwrap_or_default();
                redact_task_yaml(&mut config);
                return map_to_py(py, &config);
            }
            (None, true) => self.inner.to_yaml_config(true),
            (_, false) => self.inner.to_yaml_config(false),
        };
        let d = map_to_py(py, &config)?;
        if let Some(g) = &self.run_generator {
            d.set_item("run", g.bind(py))?;
        }
        Ok(d)
    }

    fn set_resources<'py>(
        slf: Bound<'py, Self>,
        resources: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, Self>> {
        let group = group_from_py(resources)?;
        let mut me = slf.borrow_mut();
        me.sync_storage(slf.py())?;
        me.inner.set_resources(group).py()?;
        drop(me);
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
        slf.borrow_mut().inner.file_mounts = fm;
        Ok(slf)
    }

    /// Adds mounts, then expands and checks them all.
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
            me.inner.expand_and_validate_file_mounts().py()?;
        }
        Ok(slf)
    }

    #[pyo3(signature = (storage_mounts))]
    fn set_storage_mounts<'py>(
        slf: Bound<'py, Self>,
        storage_mounts: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, Self>> {
        slf.borrow_mut().set_storage(slf.py(), storage_mounts)?;
        Ok(slf)
    }

    /// Merges into the current mounts dict (`dict.update`), then sets it.
    fn update_storage_mounts<'py>(
        slf: Bound<'py, Self>,
        storage_mounts: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, Self>> {
        let Some(add) = storage_mounts.filter(|d| !d.is_empty()) else {
            return Ok(slf);
        };
        let current = slf.borrow().storage_mounts.clone_ref(slf.py());
        current.bind(slf.py()).update(add.as_mapping())?;
        slf.borrow_mut()
            .set_storage(slf.py(), Some(current.bind(slf.py())))?;
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
        self.inner.validate_name().py()
    }

    fn validate_run(&self) -> PyResult<()> {
        self.inner.validate_run().py()
    }

    fn expand_and_validate_workdir(&mut self) -> PyResult<()> {
        self.inner.expand_and_validate_workdir().py()
    }

    fn expand_and_validate_file_mounts(&mut self) -> PyResult<()> {
        self.inner.expand_and_validate_file_mounts().py()
    }

    /// The name/run/workdir/file-mount part of `validate()`.
    fn _validate_spec(&mut self, skip_file_mounts: bool, skip_workdir: bool) -> PyResult<()> {
        self.inner.validate(skip_file_mounts, skip_workdir).py()
    }

    fn set_volumes(&mut self, volumes: &Bound<'_, PyAny>) -> PyResult<()> {
        self.inner.volumes = from_py(volumes)?.as_map().cloned().unwrap_or_default();
        Ok(())
    }

    fn update_volumes(&mut self, volumes: &Bound<'_, PyAny>) -> PyResult<()> {
        for (k, v) in from_py(volumes)?.as_map().cloned().unwrap_or_default().0 {
            self.inner.volumes.insert(k, v);
        }
        Ok(())
    }

    /// `(name, mount_path, scope_override)` of each managed secret.
    fn _managed_secret_refs(&self) -> Vec<(String, Option<String>, Option<String>)> {
        self.inner
            .secret_refs
            .iter()
            .map(|r| (r.name.clone(), r.mount_path.clone(), r.scope.clone()))
            .collect()
    }

    fn get_resource_config<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        map_to_py(py, &self.inner.get_resource_config())
    }

    fn get_local_to_remote_file_mounts(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        to_py(
            py,
            &self
                .inner
                .local_to_remote_file_mounts()
                .map_or(Value::Null, Value::Map),
        )
    }

    fn get_cloud_to_remote_file_mounts(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        to_py(
            py,
            &self
                .inner
                .cloud_to_remote_file_mounts()
                .map_or(Value::Null, Value::Map),
        )
    }

    fn update_workdir<'py>(
        slf: Bound<'py, Self>,
        workdir: Option<String>,
        git_url: Option<String>,
        git_ref: Option<String>,
    ) -> PyResult<Bound<'py, Self>> {
        slf.borrow_mut().inner.update_workdir(
            workdir.as_deref(),
            git_url.as_deref(),
            git_ref.as_deref(),
        );
        Ok(slf)
    }

    fn set_inputs<'py>(
        slf: Bound<'py, Self>,
        inputs: String,
        estimated_size_gigabytes: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, Self>> {
        let size = from_py(estimated_size_gigabytes)?;
        slf.borrow_mut().inner.inputs = Some((inputs, size));
        Ok(slf)
    }

    fn set_outputs<'py>(
        slf: Bound<'py, Self>,
        outputs: String,
        estimated_size_gigabytes: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, Self>> {
        let size = from_py(estimated_size_gigabytes)?;
        slf.borrow_mut().inner.outputs = Some((outputs, size));
        Ok(slf)
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
    fn get_run(&self, py: Python<'_>) -> Py<PyAny> {
        match (&self.run_generator, &self.inner.run) {
            (Some(g), _) => g.clone_ref(py),
            (None, Some(r)) => pyo3::types::PyString::new(py, r).into_any().unbind(),
            (None, None) => py.None(),
        }
    }
    #[setter]
    fn set_run(&mut self, py: Python<'_>, v: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
        self.set_run_value(py, v, false)
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
    fn estimated_inputs_size_gigabytes(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        to_py(
            py,
            self.inner.inputs.as_ref().map_or(&Value::Null, |(_, v)| v),
        )
    }
    #[getter]
    fn estimated_outputs_size_gigabytes(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        to_py(
            py,
            self.inner.outputs.as_ref().map_or(&Value::Null, |(_, v)| v),
        )
    }
    #[getter]
    fn get_storage_mounts(&self, py: Python<'_>) -> Py<PyDict> {
        self.storage_mounts.clone_ref(py)
    }
    #[setter(storage_mounts)]
    fn set_storage_mounts_attr(&mut self, v: Bound<'_, PyDict>) {
        self.storage_mounts = v.unbind();
    }
    #[getter]
    fn file_mounts_mapping(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        to_py(
            py,
            self.inner
                .file_mounts_mapping
                .as_ref()
                .unwrap_or(&Value::Null),
        )
    }
    #[getter]
    fn volume_mounts(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let mounts = self
            .inner
            .volume_mounts
            .clone()
            .map_or(Value::Null, Value::Seq);
        to_py(py, &mounts)
    }
    #[getter]
    fn docker_image(&self) -> String {
        self.inner
            .docker_image
            .clone()
            .unwrap_or_else(|| "gpuci/miniforge-cuda:11.4-devel-ubuntu18.04".into())
    }
    #[getter]
    fn blocked_resources(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        match &self.inner.blocked_resources {
            None => Ok(py.None()),
            Some(rs) => {
                let items: Vec<Py<PyResources>> = rs
                    .iter()
                    .map(|r| Py::new(py, PyResources { inner: r.clone() }))
                    .collect::<PyResult<_>>()?;
                Ok(PyList::new(py, items)?.into_any().unbind())
            }
        }
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
