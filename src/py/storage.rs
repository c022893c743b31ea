//! `sky.Storage` (a wrapper around [`crate::spec::storage::StorageSpec`])
//! and the `StoreType` / `MountCachedConfig` helpers the enums and
//! dataclasses in `python/sky/data/storage.py` call.

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyType};

use super::convert::{from_py, map_to_py, to_py};
use super::errors::IntoPy;
use crate::spec::storage::StorageSpec;
use crate::spec::storage_types::{
    FileMountType, StorageMode, StoreType, merge_mount_cached_config as merge_preset, rclone_flags,
};
use crate::yaml::{Map, Value};

/// Python-visible storage spec; `dict` so callers may hang attributes on
/// it as they can on SkyPilot's plain-Python `Storage`.
#[pyclass(module = "sky.data.storage", name = "Storage", subclass, dict)]
pub struct PyStorage {
    pub inner: StorageSpec,
}

fn storage_module(py: Python<'_>) -> PyResult<Bound<'_, PyModule>> {
    py.import("sky.data.storage")
}

/// A member of the enum class `class` in `sky.data.storage`, as its value.
fn member_value(obj: &Bound<'_, PyAny>, class: &str) -> PyResult<String> {
    let cls = storage_module(obj.py())?.getattr(class)?;
    if !obj.is_instance(&cls)? {
        return Err(PyTypeError::new_err(format!(
            "unsupported operand type(s) for 'in': '{}' and 'EnumType'",
            obj.get_type().name()?
        )));
    }
    obj.getattr("value")?.extract()
}

fn enum_member<'py>(py: Python<'py>, class: &str, value: &str) -> PyResult<Bound<'py, PyAny>> {
    storage_module(py)?.getattr(class)?.call1((value,))
}

/// A `MountCachedConfig` / `MountConfig` object's settings (its
/// `to_yaml_config()`), `None` staying `None`.
fn settings(obj: Option<&Bound<'_, PyAny>>) -> PyResult<Option<Map>> {
    obj.filter(|o| !o.is_none())
        .map(|o| {
            Ok(from_py(&o.call_method0("to_yaml_config")?)?
                .as_map()
                .cloned()
                .unwrap_or_default())
        })
        .transpose()
}

fn settings_object(py: Python<'_>, class: &str, m: &Option<Map>) -> PyResult<Py<PyAny>> {
    match m {
        None => Ok(py.None()),
        Some(m) => Ok(storage_module(py)?
            .getattr(class)?
            .call((), Some(&map_to_py(py, m)?))?
            .unbind()),
    }
}

#[pymethods]
impl PyStorage {
    #[new]
    #[pyo3(signature = (name=None, source=None, stores=None, persistent=Some(true), mode=None,
        sync_on_reconstruction=true, _is_sky_managed=None, _bucket_sub_path=None,
        mount_cached_config=None, file_mount_type=None, mount_config=None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        name: Option<String>,
        source: Option<&Bound<'_, PyAny>>,
        stores: Option<&Bound<'_, PyAny>>,
        persistent: Option<bool>,
        mode: Option<&Bound<'_, PyAny>>,
        sync_on_reconstruction: bool,
        _is_sky_managed: Option<bool>,
        _bucket_sub_path: Option<String>,
        mount_cached_config: Option<&Bound<'_, PyAny>>,
        file_mount_type: Option<&Bound<'_, PyAny>>,
        mount_config: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let mode = match mode {
            Some(m) => StorageMode::from_value(&member_value(m, "StorageMode")?),
            None => Some(StorageMode::Mount),
        }
        .unwrap_or(StorageMode::Mount);
        let mut store_types = Vec::new();
        if let Some(stores) = stores.filter(|s| !s.is_none()) {
            for s in stores.try_iter()? {
                let v: String = s?.getattr("value")?.extract()?;
                store_types.extend(StoreType::from_value(&v));
            }
        }
        let file_mount_type = file_mount_type
            .filter(|t| !t.is_none())
            .map(|t| t.getattr("value")?.extract::<String>())
            .transpose()?
            .and_then(|v| FileMountType::from_value(&v));
        let inner = StorageSpec {
            name,
            source: source.map(from_py).transpose()?.filter(|s| !s.is_null()),
            stores: store_types,
            persistent,
            mode,
            sync_on_reconstruction,
            is_sky_managed: _is_sky_managed,
            bucket_sub_path: _bucket_sub_path,
            force_delete: false,
            mount_cached_config: settings(mount_cached_config)?,
            file_mount_type,
            mount_config: settings(mount_config)?,
        };
        inner.check_mode_settings().py()?;
        Ok(PyStorage { inner })
    }

    /// `Storage.from_yaml_config(config)`.
    #[classmethod]
    fn from_yaml_config<'py>(
        cls: &Bound<'py, PyType>,
        config: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let value = from_py(config)?;
        let spec = cls.py().detach(|| StorageSpec::from_yaml_config(&value));
        // SkyPilot pops every key it reads, so a checked config ends empty.
        if !matches!(&spec, Err(e) if e.kind == crate::ErrorKind::InvalidConfig)
            && let Ok(d) = config.cast::<PyDict>()
        {
            d.clear();
        }
        let spec = spec.py()?;
        let obj = cls.call0()?;
        obj.cast::<PyStorage>()?.borrow_mut().inner = spec;
        Ok(obj)
    }

    fn to_yaml_config<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        map_to_py(py, &self.inner.to_yaml_config())
    }

    fn resolve_mount_cached_config(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        settings_object(
            py,
            "MountCachedConfig",
            &self.inner.resolve_mount_cached_config(),
        )
    }

    fn get_bucket_sub_path_prefix(&self, blob_path: &str) -> String {
        match &self.inner.bucket_sub_path {
            Some(sub) => format!("{blob_path}/{sub}"),
            None => blob_path.to_string(),
        }
    }

    /// The spec checks `construct()` runs before it touches a bucket. No
    /// storage is recorded yet in stix, so COPY mode needs a source.
    fn _validate_storage_spec(&mut self, py: Python<'_>, name: Option<String>) -> PyResult<()> {
        let spec = &mut self.inner;
        py.detach(|| spec.validate_storage_spec(name.as_deref(), &|_| false))
            .py()
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
    fn get_source(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        to_py(py, self.inner.source.as_ref().unwrap_or(&Value::Null))
    }
    #[setter]
    fn set_source(&mut self, v: &Bound<'_, PyAny>) -> PyResult<()> {
        self.inner.source = Some(from_py(v)?).filter(|s| !s.is_null());
        Ok(())
    }
    #[getter]
    fn get_persistent(&self) -> Option<bool> {
        self.inner.persistent
    }
    #[setter]
    fn set_persistent(&mut self, v: Option<bool>) {
        self.inner.persistent = v;
    }
    #[getter]
    fn get_mode<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        enum_member(py, "StorageMode", self.inner.mode.value())
    }
    #[setter]
    fn set_mode(&mut self, v: &Bound<'_, PyAny>) -> PyResult<()> {
        if let Some(m) = StorageMode::from_value(&member_value(v, "StorageMode")?) {
            self.inner.mode = m;
        }
        Ok(())
    }
    /// `{StoreType: None}` for each store asked for (none constructed).
    #[getter]
    fn stores<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        for s in &self.inner.stores {
            d.set_item(enum_member(py, "StoreType", s.value())?, py.None())?;
        }
        Ok(d)
    }
    #[getter]
    fn get_sync_on_reconstruction(&self) -> bool {
        self.inner.sync_on_reconstruction
    }
    #[setter]
    fn set_sync_on_reconstruction(&mut self, v: bool) {
        self.inner.sync_on_reconstruction = v;
    }
    #[getter]
    fn get_force_delete(&self) -> bool {
        self.inner.force_delete
    }
    #[setter]
    fn set_force_delete(&mut self, v: bool) {
        self.inner.force_delete = v;
    }
    #[getter]
    fn mount_cached_config(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        settings_object(py, "MountCachedConfig", &self.inner.mount_cached_config)
    }
    #[getter]
    fn mount_config(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        settings_object(py, "MountConfig", &self.inner.mount_config)
    }
    #[getter]
    fn file_mount_type(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        match self.inner.file_mount_type {
            None => Ok(py.None()),
            Some(t) => Ok(enum_member(py, "FileMountType", t.value())?.unbind()),
        }
    }
    #[getter]
    fn _is_sky_managed(&self) -> Option<bool> {
        self.inner.is_sky_managed
    }
    #[getter]
    fn _bucket_sub_path(&self) -> Option<String> {
        self.inner.bucket_sub_path.clone()
    }
}

fn store(value: &str) -> PyResult<StoreType> {
    StoreType::from_value(value).ok_or_else(|| {
        pyo3::exceptions::PyValueError::new_err(format!("'{value}' is not a valid StoreType"))
    })
}

/// `StoreType(value).store_prefix()`.
#[pyfunction]
pub fn store_prefix(value: &str) -> PyResult<&'static str> {
    store(value)?.store_prefix().py()
}

/// `StoreType(value).to_cloud()`.
#[pyfunction]
pub fn store_to_cloud(value: &str) -> PyResult<&'static str> {
    store(value)?.to_cloud().py()
}

/// `StoreType.from_cloud(cloud).value`.
#[pyfunction]
pub fn store_from_cloud(cloud: &str) -> PyResult<&'static str> {
    StoreType::from_cloud(cloud).map(StoreType::value).py()
}

/// `StoreType.find_s3_compatible_config_by_prefix(source)`'s value.
#[pyfunction]
pub fn store_by_prefix(source: &str) -> Option<&'static str> {
    StoreType::s3_compatible_by_prefix(source).map(StoreType::value)
}

/// `merge_mount_cached_config(FileMountType(value), overrides)` as a dict.
#[pyfunction]
#[pyo3(signature = (file_mount_type, overrides=None))]
pub fn merge_mount_cached_config<'py>(
    py: Python<'py>,
    file_mount_type: &str,
    overrides: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyDict>> {
    let t = FileMountType::from_value(file_mount_type).ok_or_else(|| {
        pyo3::exceptions::PyValueError::new_err(format!(
            "'{file_mount_type}' is not a valid FileMountType"
        ))
    })?;
    map_to_py(py, &merge_preset(t, settings(overrides)?.as_ref()))
}

/// `MountCachedConfig(**settings).to_rclone_flags()`.
#[pyfunction]
pub fn mount_cached_rclone_flags(settings: &Bound<'_, PyAny>) -> PyResult<String> {
    Ok(rclone_flags(
        &from_py(settings)?.as_map().cloned().unwrap_or_default(),
    ))
}
