//! The status enums' logic for `python/sky/{utils/status_lib,skylet/job_lib,
//! jobs/state}.py`: colours and member groups from [`crate::spec::status`].

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use crate::spec::status::{StatusEnum, by_name};

fn status_enum(name: &str) -> PyResult<&'static StatusEnum> {
    by_name(name).ok_or_else(|| PyValueError::new_err(format!("unknown status enum {name}")))
}

/// `member.colored_str()` for the member of enum `name` with `value`.
#[pyfunction]
pub fn status_colored_str(name: &str, value: &str) -> PyResult<String> {
    status_enum(name)?
        .colored_str(value)
        .ok_or_else(|| PyValueError::new_err(format!("{value:?} is not a valid {name}")))
}

/// The member names a group classmethod (`terminal_statuses`, ...) returns.
#[pyfunction]
pub fn status_group(name: &str, group: &str) -> PyResult<Vec<&'static str>> {
    Ok(status_enum(name)?
        .group(group)
        .map(<[&str]>::to_vec)
        .unwrap_or_default())
}

/// `(member name, value)` pairs in declaration order (tests compare them
/// with the Python classes).
#[pyfunction]
pub fn status_members(name: &str) -> PyResult<Vec<(&'static str, &'static str)>> {
    Ok(status_enum(name)?
        .members
        .iter()
        .map(|(n, v, _)| (*n, *v))
        .collect())
}
