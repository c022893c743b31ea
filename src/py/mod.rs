//! All PyO3 glue: the `sky._sky` extension module. Each method converts its
//! arguments, releases the GIL, calls one core function and maps the error.

mod catalog;
mod cli;
mod config;
mod convert;
mod dag;
mod errors;
mod optimizer;
mod resources;
mod sdk;
mod status;
mod storage;
mod task;
mod task_args;

use pyo3::prelude::*;

/// Loads every document of a YAML text as plain Python data.
#[pyfunction]
fn load_yaml_all(py: Python<'_>, text: String) -> PyResult<Vec<Py<PyAny>>> {
    let docs = py
        .detach(|| crate::yaml::load_all(&text))
        .map_err(|e| errors::to_pyerr(e.into()))?;
    docs.iter().map(|d| convert::to_py(py, d)).collect()
}

/// Runs the `sky` command line with `argv` (without the program name) and
/// returns its exit code.
#[pyfunction]
fn cli_main(py: Python<'_>, argv: Vec<String>) -> i32 {
    py.detach(|| crate::cli::main(argv))
}

#[pymodule]
#[pyo3(name = "_sky")]
fn sky_module(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", crate::VERSION)?;
    m.add_class::<resources::PyResources>()?;
    m.add_class::<task::PyTask>()?;
    m.add_class::<storage::PyStorage>()?;
    m.add_function(wrap_pyfunction!(status::status_colored_str, m)?)?;
    m.add_function(wrap_pyfunction!(status::status_group, m)?)?;
    m.add_function(wrap_pyfunction!(status::status_members, m)?)?;
    m.add_function(wrap_pyfunction!(storage::store_prefix, m)?)?;
    m.add_function(wrap_pyfunction!(storage::store_to_cloud, m)?)?;
    m.add_function(wrap_pyfunction!(storage::store_from_cloud, m)?)?;
    m.add_function(wrap_pyfunction!(storage::store_by_prefix, m)?)?;
    m.add_function(wrap_pyfunction!(storage::merge_mount_cached_config, m)?)?;
    m.add_function(wrap_pyfunction!(storage::mount_cached_rclone_flags, m)?)?;
    m.add_function(wrap_pyfunction!(load_yaml_all, m)?)?;
    m.add_function(wrap_pyfunction!(cli_main, m)?)?;
    m.add_function(wrap_pyfunction!(dag::load_dag_yaml, m)?)?;
    m.add_function(wrap_pyfunction!(dag::is_job_group_yaml, m)?)?;
    m.add_function(wrap_pyfunction!(dag::dump_yaml_str, m)?)?;
    m.add_function(wrap_pyfunction!(dag::parse_time_seconds, m)?)?;
    config::register(m)?;
    m.add_function(wrap_pyfunction!(cli::task_from_cli_args, m)?)?;
    m.add_function(wrap_pyfunction!(sdk::sdk_submit, m)?)?;
    m.add_function(wrap_pyfunction!(sdk::sdk_get, m)?)?;
    m.add_function(wrap_pyfunction!(sdk::sdk_tail_logs, m)?)?;
    m.add_function(wrap_pyfunction!(sdk::sdk_tail_provision_logs, m)?)?;
    m.add_function(wrap_pyfunction!(sdk::sdk_api_status, m)?)?;
    m.add_function(wrap_pyfunction!(sdk::sdk_api_cancel, m)?)?;
    m.add_function(wrap_pyfunction!(sdk::sdk_stream_log, m)?)?;
    m.add_function(wrap_pyfunction!(catalog::list_accelerators, m)?)?;
    m.add_function(wrap_pyfunction!(optimizer::optimize_dag, m)?)?;
    m.add_function(wrap_pyfunction!(optimizer::optimize_job_group, m)?)?;
    m.add_function(wrap_pyfunction!(optimizer::check_clouds, m)?)?;
    m.add_function(wrap_pyfunction!(optimizer::enabled_clouds, m)?)?;
    Ok(())
}
