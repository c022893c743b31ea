//! SDK glue: requests (`sky.launch`, `sky.status`, ...) are journaled and
//! run in-process by `crate::requests`; results cross as JSON and
//! `python/sky/client/sdk.py` shapes them as SkyPilot returns them.

use pyo3::prelude::*;

use super::errors::to_pyerr;
use super::task::PyTask;
use crate::requests;

fn parse(body: &str) -> PyResult<serde_json::Value> {
    serde_json::from_str(body).map_err(|e| to_pyerr(crate::Error::value(e.to_string())))
}

/// Journals and starts the SDK call `name` (`body`: its arguments as
/// JSON); returns the request id.
#[pyfunction]
#[pyo3(signature = (name, body, task=None))]
pub fn sdk_submit(name: &str, body: &str, task: Option<PyRef<'_, PyTask>>) -> PyResult<String> {
    let task = task.map(|t| t.inner.clone());
    requests::submit_call(name, parse(body)?, task).map_err(to_pyerr)
}

/// Waits for a request; its result as JSON, or its error raised.
#[pyfunction]
pub fn sdk_get(py: Python<'_>, request_id: String) -> PyResult<String> {
    py.detach(|| requests::wait(&request_id))
        .map(|v| v.to_string())
        .map_err(to_pyerr)
}

/// Writes streamed log bytes to stdout as they come (a closed stdout
/// must not stop the stream).
fn write_stdout(bytes: &[u8]) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(bytes).and_then(|_| out.flush());
}

/// Streams a job's log to stdout; SkyPilot's exit code.
#[pyfunction]
#[pyo3(signature = (cluster_name, job_id=None, follow=true, tail=0))]
pub fn sdk_tail_logs(
    py: Python<'_>,
    cluster_name: String,
    job_id: Option<i64>,
    follow: bool,
    tail: usize,
) -> PyResult<i32> {
    py.detach(|| {
        let mut db = crate::state::StateDb::open()?;
        let mut sink = |_: crate::runner::Stream, line: &str| write_stdout(line.as_bytes());
        crate::backend::tail_logs(&mut db, &cluster_name, job_id, follow, tail, &mut sink)
    })
    .map_err(to_pyerr)
}

/// `sdk.tail_provision_logs`: streams the cluster's provision log (or a
/// worker's) to stdout; the exit code.
#[pyfunction]
#[pyo3(signature = (cluster_name, worker=None, follow=true, tail=0))]
pub fn sdk_tail_provision_logs(
    py: Python<'_>,
    cluster_name: String,
    worker: Option<u32>,
    follow: bool,
    tail: i64,
) -> PyResult<i32> {
    py.detach(|| {
        let db = crate::state::StateDb::open()?;
        crate::backend::provision_tail::tail_provision_logs(
            &db,
            &cluster_name,
            worker,
            follow,
            tail,
            &mut write_stdout,
        )
    })
    .map_err(to_pyerr)
}

/// Streams a request's log to stdout (following it while it runs).
#[pyfunction]
#[pyo3(signature = (request_id, tail=None, follow=true))]
pub fn sdk_stream_log(
    py: Python<'_>,
    request_id: String,
    tail: Option<i64>,
    follow: bool,
) -> PyResult<()> {
    py.detach(|| {
        let id = requests::get(&request_id)?.request_id;
        requests::worker::stream_log(&id, tail, follow, &mut write_stdout);
        Ok(())
    })
    .map_err(to_pyerr)
}

/// The journaled requests (unfinished ones unless `all`) as JSON.
#[pyfunction]
#[pyo3(signature = (all=false, limit=None, request_ids=None))]
pub fn sdk_api_status(
    all: bool,
    limit: Option<usize>,
    request_ids: Option<Vec<String>>,
) -> PyResult<String> {
    let records = match request_ids {
        Some(ids) => ids
            .iter()
            .map(|i| requests::get(i))
            .collect::<crate::error::Result<Vec<_>>>(),
        None => requests::list(all, limit),
    }
    .map_err(to_pyerr)?;
    Ok(serde_json::to_string(&records).unwrap_or_default())
}

/// Cancels requests (all unfinished when `None`); the ids cancelled.
#[pyfunction]
#[pyo3(signature = (request_ids=None))]
pub fn sdk_api_cancel(request_ids: Option<Vec<String>>) -> PyResult<Vec<String>> {
    requests::cancel(request_ids.as_deref()).map_err(to_pyerr)
}
