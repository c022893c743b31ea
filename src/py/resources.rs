//! `sky.Resources`: a frozen wrapper around [`crate::spec::Resources`].

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};

use super::convert::{from_py, map_to_py, to_py};
use super::errors::IntoPy;
use crate::spec::Resources;
use crate::spec::resources::{DEFAULT_DISK_SIZE_GB, POSITIONAL_ARGS, RESOURCE_ARGS};
use crate::spec::resources_yaml::{ResourceGroup, from_yaml_config};
use crate::yaml::{Map, Value};

/// Positional order of `Resources.__init__` parameters.
const POSITIONAL: &[&str] = RESOURCE_ARGS.split_at(POSITIONAL_ARGS).0;

/// Python-visible resources.
#[pyclass(module = "sky", name = "Resources", frozen, subclass)]
pub struct PyResources {
    pub inner: Resources,
}

fn cloud_arg(obj: &Bound<'_, PyAny>) -> PyResult<Value> {
    // Cloud objects (`sky.AWS()`) print their display name.
    if obj.is_none() || obj.is_instance_of::<pyo3::types::PyString>() {
        return from_py(obj);
    }
    Ok(Value::Str(obj.str()?.to_string()))
}

/// Builds the keyword map from `*args, **kwargs`.
fn collect_args(args: &Bound<'_, PyTuple>, kwargs: Option<&Bound<'_, PyDict>>) -> PyResult<Map> {
    let mut m = Map::new();
    if args.len() > POSITIONAL.len() {
        return Err(pyo3::exceptions::PyTypeError::new_err(format!(
            "Resources.__init__() takes from 1 to {} positional arguments but {} were given",
            POSITIONAL.len() + 1,
            args.len() + 1
        )));
    }
    for (i, a) in args.iter().enumerate() {
        let v = if POSITIONAL[i] == "cloud" {
            cloud_arg(&a)?
        } else {
            from_py(&a)?
        };
        m.insert(POSITIONAL[i], v);
    }
    if let Some(kw) = kwargs {
        for (k, v) in kw.iter() {
            let key: String = k.extract()?;
            let v = if key == "cloud" {
                cloud_arg(&v)?
            } else {
                from_py(&v)?
            };
            m.insert(key, v);
        }
    }
    Ok(m)
}

fn opt<T: Clone>(py: Python<'_>, v: &Option<T>, f: impl Fn(T) -> Value) -> PyResult<Py<PyAny>> {
    to_py(py, &v.clone().map_or(Value::Null, f))
}

/// Wraps a resource group as a Python `set` or `list` of `Resources`.
pub fn group_to_py(py: Python<'_>, g: &ResourceGroup) -> PyResult<Py<PyAny>> {
    let items: Vec<Py<PyResources>> = g
        .items()
        .iter()
        .map(|r| Py::new(py, PyResources { inner: r.clone() }))
        .collect::<PyResult<_>>()?;
    let list = pyo3::types::PyList::new(py, items)?;
    if g.is_ordered() {
        Ok(list.into_any().unbind())
    } else {
        Ok(pyo3::types::PySet::new(py, list.iter())?
            .into_any()
            .unbind())
    }
}

#[pymethods]
impl PyResources {
    #[new]
    #[pyo3(signature = (*args, **kwargs))]
    fn new(
        py: Python<'_>,
        args: &Bound<'_, PyTuple>,
        kwargs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Self> {
        let map = collect_args(args, kwargs)?;
        let inner = py.detach(|| Resources::new(&map)).py()?;
        Ok(PyResources { inner })
    }

    /// `Resources.from_yaml_config(config)`: a set, or a list for `ordered`.
    #[staticmethod]
    #[pyo3(signature = (config=None))]
    fn from_yaml_config(py: Python<'_>, config: Option<&Bound<'_, PyAny>>) -> PyResult<Py<PyAny>> {
        let value = config.map(from_py).transpose()?;
        let group = py.detach(|| from_yaml_config(value.as_ref())).py()?;
        group_to_py(py, &group)
    }

    #[pyo3(signature = (redact_secrets=false))]
    fn to_yaml_config<'py>(
        &self,
        py: Python<'py>,
        redact_secrets: bool,
    ) -> PyResult<Bound<'py, PyDict>> {
        map_to_py(py, &self.inner.to_yaml_config(redact_secrets))
    }

    #[pyo3(signature = (**overrides))]
    fn copy(&self, py: Python<'_>, overrides: Option<&Bound<'_, PyDict>>) -> PyResult<Self> {
        let over = collect_args(&PyTuple::empty(py), overrides)?;
        let inner = py.detach(|| self.inner.copy(&over)).py()?;
        Ok(PyResources { inner })
    }

    fn is_empty(&self) -> bool {
        self.inner.is_empty()
    }

    fn is_launchable(&self) -> bool {
        self.inner.cloud.is_some() && self.inner.instance_type.is_some()
    }

    fn get_spot_str(&self) -> &'static str {
        if self.inner.use_spot { "[Spot]" } else { "" }
    }

    fn get_accelerators_str(&self) -> String {
        match &self.inner.accelerators {
            None => "-".into(),
            Some(a) => a
                .iter()
                .map(|(k, v)| format!("{}:{}", k.py_str(), v.py_str()))
                .collect::<Vec<_>>()
                .join(", "),
        }
    }

    fn __repr__(&self) -> String {
        self.inner.repr()
    }

    #[getter]
    fn repr_with_region_zone(&self) -> String {
        self.inner.repr_with_region_zone()
    }

    #[getter]
    fn cloud(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        match self.inner.cloud {
            None => Ok(py.None()),
            Some(c) => Ok(py
                .import("sky.clouds")?
                .call_method1("_from_name", (c.name(),))?
                .unbind()),
        }
    }
    #[getter]
    fn infra<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let cloud = self.inner.cloud.map(|c| c.display());
        py.import("sky.utils.infra_utils")?
            .getattr("InfraInfo")?
            .call1((cloud, self.inner.region.clone(), self.inner.zone.clone()))
    }
    #[getter]
    fn region(&self) -> Option<String> {
        self.inner.region.clone()
    }
    #[getter]
    fn zone(&self) -> Option<String> {
        self.inner.zone.clone()
    }
    #[getter]
    fn instance_type(&self) -> Option<String> {
        self.inner.instance_type.clone()
    }
    #[getter]
    fn cpus(&self) -> Option<String> {
        self.inner.cpus.clone()
    }
    #[getter]
    fn memory(&self) -> Option<String> {
        self.inner.memory.clone()
    }
    /// The requested accelerators, or (as SkyPilot infers them) those
    /// the instance type carries.
    #[getter]
    fn accelerators(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        if self.inner.accelerators.is_none() && self.inner.instance_type.is_some() {
            let cat = crate::catalog::Catalogs::shared();
            let inferred = py
                .detach(|| crate::clouds::launchable::accelerators(&cat, &self.inner))
                .py()?;
            return opt(py, &inferred, Value::Map);
        }
        opt(py, &self.inner.accelerators, Value::Map)
    }
    #[getter]
    fn accelerator_args(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        opt(py, &self.inner.accelerator_args, Value::Map)
    }
    #[getter]
    fn use_spot(&self) -> bool {
        self.inner.use_spot
    }
    #[getter]
    fn use_spot_specified(&self) -> bool {
        self.inner.use_spot_specified
    }
    #[getter]
    fn job_recovery(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        opt(py, &self.inner.job_recovery, Value::Map)
    }
    #[getter]
    fn disk_size(&self) -> i64 {
        self.inner.disk_size.unwrap_or(DEFAULT_DISK_SIZE_GB)
    }
    #[getter]
    fn disk_size_specified(&self) -> bool {
        self.inner.disk_size.is_some()
    }
    #[getter]
    fn image_id(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        opt(py, &self.inner.image_id, Value::Map)
    }
    #[getter]
    fn disk_tier<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        tier_enum(py, "DiskTier", &self.inner.disk_tier)
    }
    #[getter]
    fn network_tier<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        tier_enum(py, "NetworkTier", &self.inner.network_tier)
    }
    #[getter]
    fn local_disk(&self) -> Option<String> {
        self.inner.local_disk.clone()
    }
    #[getter]
    fn max_hourly_cost(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        opt(py, &self.inner.max_hourly_cost, |v| v)
    }
    #[getter]
    fn ports(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        opt(py, &self.inner.ports, |p| {
            Value::Seq(p.into_iter().map(Value::from).collect())
        })
    }
    #[getter]
    fn labels(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        opt(py, &self.inner.labels, Value::Map)
    }
    #[getter]
    fn volumes(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        opt(py, &self.inner.volumes, |v| {
            Value::Seq(v.into_iter().map(Value::Map).collect())
        })
    }
    #[getter]
    fn hooks(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        opt(py, &self.inner.hooks, |v| {
            Value::Seq(v.into_iter().map(Value::Map).collect())
        })
    }
    #[getter]
    fn autostop_config(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        opt(py, &self.inner.autostop, |a| a.to_value())
    }
    #[getter]
    fn priority(&self) -> Option<i64> {
        self.inner.priority
    }
    #[getter]
    fn priority_class(&self) -> Option<String> {
        self.inner.priority_class.clone()
    }
    #[getter]
    fn requires_fuse(&self) -> bool {
        self.inner.requires_fuse.unwrap_or(false)
    }
    #[getter]
    fn no_missing_accel_warnings(&self) -> bool {
        self.inner.no_missing_accel_warnings.unwrap_or(false)
    }
    #[getter]
    fn is_image_managed(&self) -> Option<bool> {
        self.inner.is_image_managed
    }
    #[getter]
    fn cluster_config_overrides(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        to_py(
            py,
            &Value::Map(
                self.inner
                    .cluster_config_overrides
                    .clone()
                    .unwrap_or_default(),
            ),
        )
    }
}

fn tier_enum<'py>(
    py: Python<'py>,
    class: &str,
    v: &Option<String>,
) -> PyResult<Option<Bound<'py, PyAny>>> {
    match v {
        None => Ok(None),
        Some(s) => Ok(Some(
            py.import("sky.utils.resources_utils")?
                .getattr(class)?
                .call1((s.as_str(),))?,
        )),
    }
}
