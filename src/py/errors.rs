//! One exhaustive mapping from [`crate::Error`] to Python exceptions.

use pyo3::exceptions::{
    PyAssertionError, PyAttributeError, PyFileNotFoundError, PyIndexError, PyKeyError,
    PyNotImplementedError, PyOSError, PyRuntimeError, PyTypeError, PyValueError,
};
use pyo3::prelude::*;

use crate::error::{Error, ErrorKind};

/// Converts a core error into the exception SkyPilot raises for it.
pub fn to_pyerr(e: Error) -> PyErr {
    let msg = e.message;
    let history = e.failover_history;
    match e.kind {
        ErrorKind::Value => PyValueError::new_err(msg),
        ErrorKind::Assertion => PyAssertionError::new_err(msg),
        ErrorKind::Type => PyTypeError::new_err(msg),
        ErrorKind::Key => PyKeyError::new_err(msg),
        ErrorKind::Runtime => PyRuntimeError::new_err(msg),
        ErrorKind::NotImplemented => PyNotImplementedError::new_err(msg),
        ErrorKind::FileNotFound => PyFileNotFoundError::new_err(msg),
        ErrorKind::Os => PyOSError::new_err(msg),
        ErrorKind::Attribute => PyAttributeError::new_err(msg),
        ErrorKind::Index => PyIndexError::new_err(msg),
        kind @ (ErrorKind::InvalidConfig
        | ErrorKind::StorageSpec
        | ErrorKind::StorageSource
        | ErrorKind::StorageName
        | ErrorKind::StorageMode
        | ErrorKind::NotSupported
        | ErrorKind::RequestCancelled
        | ErrorKind::Command
        | ErrorKind::ClusterNotUp
        | ErrorKind::ClusterDoesNotExist
        | ErrorKind::ResourcesMismatch
        | ErrorKind::ResourcesUnavailable
        | ErrorKind::InvalidClusterName
        | ErrorKind::NoCloudAccess) => {
            Python::attach(|py| sky_exception(py, kind.python_name(), msg, history))
        }
    }
}

fn sky_exception(py: Python<'_>, name: &str, msg: String, history: Vec<Error>) -> PyErr {
    let class = match py.import("sky.exceptions").and_then(|m| m.getattr(name)) {
        Ok(class) => class,
        // Without the Python package (e.g. the bare extension) fall back to
        // the base class these all derive from.
        Err(_) => return PyValueError::new_err(msg),
    };
    let made = if history.is_empty() {
        class.call1((msg,))
    } else {
        // `ResourcesUnavailableError(message, failover_history=[...])`.
        let list: Vec<Py<PyAny>> = history
            .into_iter()
            .map(|h| to_pyerr(h).into_value(py).into_any())
            .collect();
        let kwargs = pyo3::types::PyDict::new(py);
        kwargs
            .set_item("failover_history", list)
            .and_then(|_| class.call((msg,), Some(&kwargs)))
    };
    match made {
        Ok(inst) => PyErr::from_value(inst),
        Err(e) => e,
    }
}

/// `?`-friendly conversion for core results.
pub trait IntoPy<T> {
    /// Maps the error side to a `PyErr`.
    fn py(self) -> PyResult<T>;
}

impl<T> IntoPy<T> for Result<T, Error> {
    fn py(self) -> PyResult<T> {
        self.map_err(to_pyerr)
    }
}
