//! Value <-> Python object conversion (the only place that knows both).

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PySet, PyString, PyTuple};

use crate::yaml::{Map, Value};

/// Converts a [`Value`] into the Python object PyYAML would have built.
pub fn to_py(py: Python<'_>, v: &Value) -> PyResult<Py<PyAny>> {
    Ok(match v {
        Value::Null => py.None(),
        Value::Bool(b) => PyBool::new(py, *b).to_owned().into_any().unbind(),
        Value::Int(i) => i.into_pyobject(py)?.into_any().unbind(),
        Value::Float(f) => PyFloat::new(py, *f).into_any().unbind(),
        Value::Str(s) => PyString::new(py, s).into_any().unbind(),
        Value::Seq(items) => {
            let list = PyList::empty(py);
            for item in items {
                list.append(to_py(py, item)?)?;
            }
            list.into_any().unbind()
        }
        Value::Map(m) => map_to_py(py, m)?.into_any().unbind(),
    })
}

/// Converts a [`Map`] into a `dict`.
pub fn map_to_py<'py>(py: Python<'py>, m: &Map) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    for (k, v) in m.iter() {
        d.set_item(to_py(py, k)?, to_py(py, v)?)?;
    }
    Ok(d)
}

/// Converts plain Python data (None, bool, int, float, str, list, tuple,
/// set, dict) into a [`Value`]; objects with `to_yaml_config` are asked.
pub fn from_py(obj: &Bound<'_, PyAny>) -> PyResult<Value> {
    if obj.is_none() {
        return Ok(Value::Null);
    }
    if let Ok(b) = obj.cast::<PyBool>() {
        return Ok(Value::Bool(b.is_true()));
    }
    if obj.cast::<PyInt>().is_ok() {
        return match obj.extract::<i64>() {
            Ok(i) => Ok(Value::Int(i)),
            Err(_) => Ok(Value::Float(obj.extract::<f64>()?)),
        };
    }
    if let Ok(f) = obj.cast::<PyFloat>() {
        return Ok(Value::Float(f.value()));
    }
    if let Ok(s) = obj.cast::<PyString>() {
        return Ok(Value::Str(s.to_cow()?.into_owned()));
    }
    if let Ok(d) = obj.cast::<PyDict>() {
        let mut m = Map::new();
        for (k, v) in d.iter() {
            m.0.push((from_py(&k)?, from_py(&v)?));
        }
        return Ok(Value::Map(m));
    }
    if obj.cast::<PyList>().is_ok() || obj.cast::<PyTuple>().is_ok() || obj.cast::<PySet>().is_ok()
    {
        let mut items = Vec::new();
        for item in obj.try_iter()? {
            items.push(from_py(&item?)?);
        }
        return Ok(Value::Seq(items));
    }
    // Enum members (DiskTier, StorageMode, ...) travel by value.
    if let Ok(v) = obj.getattr("value") {
        if obj.hasattr("name")? {
            return from_py(&v);
        }
    }
    // SecretStr-like objects.
    if let Ok(f) = obj.getattr("get_secret_value") {
        return from_py(&f.call0()?);
    }
    Err(PyTypeError::new_err(format!(
        "unsupported value of type {}",
        obj.get_type().name()?
    )))
}
