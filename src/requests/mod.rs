//! Requests (SkyPilot's API-server request model, run in-process): every
//! SDK call is journaled in the state DB `requests` table (PENDING ->
//! RUNNING -> SUCCEEDED / FAILED / CANCELLED, result or error as JSON) and
//! runs on a background thread; `wait` reads the outcome back from the
//! table. Only the journal is shared between caller and worker, so an API
//! server later changes the transport, not this shape.

pub mod calls;
pub mod worker;

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{Error, ErrorKind, Result};
use crate::state::{StateDb, random_hex, sql_err};

/// A request's status (`RequestStatus`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RequestStatus {
    /// Journaled, not started.
    Pending,
    /// Its thread runs it.
    Running,
    /// Finished with a result.
    Succeeded,
    /// Finished with an error.
    Failed,
    /// Cancelled before it finished.
    Cancelled,
}

impl RequestStatus {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            RequestStatus::Pending => "PENDING",
            RequestStatus::Running => "RUNNING",
            RequestStatus::Succeeded => "SUCCEEDED",
            RequestStatus::Failed => "FAILED",
            RequestStatus::Cancelled => "CANCELLED",
        }
    }

    fn parse(s: &str) -> RequestStatus {
        match s {
            "PENDING" => RequestStatus::Pending,
            "RUNNING" => RequestStatus::Running,
            "SUCCEEDED" => RequestStatus::Succeeded,
            "CANCELLED" => RequestStatus::Cancelled,
            _ => RequestStatus::Failed,
        }
    }

    /// Whether the request has finished.
    pub fn is_finished(self) -> bool {
        !matches!(self, RequestStatus::Pending | RequestStatus::Running)
    }
}

/// One journaled request.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RequestRecord {
    /// The id `sky.get` takes.
    pub request_id: String,
    /// `sky.launch`, `sky.status`, ...
    pub name: String,
    /// Status.
    pub status: RequestStatus,
    /// Epoch seconds.
    pub created_at: f64,
    /// Epoch seconds, once finished.
    pub finished_at: Option<f64>,
    /// The cluster it concerns, if any.
    pub cluster_name: Option<String>,
    /// The result (SUCCEEDED).
    pub return_value: Option<Value>,
    /// `{"kind": <Python class>, "message"}` (FAILED).
    pub error: Option<Value>,
    /// The process running it (a worker, or the CLI running it inline);
    /// `None` for one on a thread of the caller.
    pub pid: Option<i64>,
}

fn now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

/// Error kinds a failed request can carry back.
const KINDS: [ErrorKind; 12] = [
    ErrorKind::Value,
    ErrorKind::Runtime,
    ErrorKind::Os,
    ErrorKind::Command,
    ErrorKind::ResourcesMismatch,
    ErrorKind::ResourcesUnavailable,
    ErrorKind::ClusterNotUp,
    ErrorKind::ClusterDoesNotExist,
    ErrorKind::InvalidClusterName,
    ErrorKind::NotSupported,
    ErrorKind::FileNotFound,
    ErrorKind::InvalidConfig,
];

fn error_json(e: &Error) -> Value {
    let mut v = serde_json::json!({"kind": e.kind.python_name(), "message": e.message});
    if !e.failover_history.is_empty() {
        v["failover_history"] = e.failover_history.iter().map(error_json).collect();
    }
    v
}

fn error_from_json(v: &Value) -> Error {
    let kind = v["kind"].as_str().unwrap_or("");
    let kind = KINDS
        .into_iter()
        .find(|k| k.python_name() == kind)
        .unwrap_or(ErrorKind::Runtime);
    let history = v["failover_history"]
        .as_array()
        .map(|a| a.iter().map(error_from_json).collect())
        .unwrap_or_default();
    Error::new(kind, v["message"].as_str().unwrap_or_default()).with_failover_history(history)
}

fn set_status(db: &mut StateDb, id: &str, status: RequestStatus, from: &[&str]) -> Result<bool> {
    let from = from
        .iter()
        .map(|s| format!("'{s}'"))
        .collect::<Vec<_>>()
        .join(",");
    let finished = status.is_finished().then(now);
    db.write(|tx| {
        tx.execute(
            &format!("UPDATE requests SET status=?1, finished_at=?2 WHERE request_id=?3 AND status IN ({from})"),
            rusqlite::params![status.as_str(), finished, id],
        )
    })
    .map(|n| n > 0)
}

/// Claims a PENDING request for the process `pid`; false if it was not
/// pending any more (cancelled, or claimed by another).
fn set_running(db: &mut StateDb, id: &str, pid: u32) -> Result<bool> {
    db.write(|tx| {
        tx.execute(
            "UPDATE requests SET status='RUNNING', pid=?1 WHERE request_id=?2 AND status='PENDING'",
            rusqlite::params![pid, id],
        )
    })
    .map(|n| n > 0)
}

fn finish(id: &str, outcome: Result<Value>) -> Result<()> {
    let mut db = StateDb::open()?;
    let (status, value, error) = match outcome {
        Ok(v) => (RequestStatus::Succeeded, Some(v.to_string()), None),
        Err(e) => (
            RequestStatus::Failed,
            None,
            Some(error_json(&e).to_string()),
        ),
    };
    // A cancelled request keeps its status: its result is dropped.
    db.write(|tx| {
        tx.execute(
            "UPDATE requests SET status=?1, finished_at=?2, return_value=?3, error=?4 \
             WHERE request_id=?5 AND status='RUNNING'",
            rusqlite::params![status.as_str(), now(), value, error, id],
        )
    })?;
    Ok(())
}

/// Adds a request row `sky.<name>` with `status` (run by process `pid`,
/// if known); returns its id.
fn journal(
    name: &str,
    cluster_name: Option<&str>,
    body: &Value,
    status: RequestStatus,
    pid: Option<u32>,
) -> Result<String> {
    let name = if name.starts_with("sky.") {
        name.to_string()
    } else {
        format!("sky.{name}")
    };
    let id = format!(
        "{}-{}-{}-{}-{}",
        random_hex(8),
        random_hex(4),
        random_hex(4),
        random_hex(4),
        random_hex(12)
    );
    let mut db = StateDb::open()?;
    db.write(|tx| {
        tx.execute(
            "INSERT INTO requests (request_id, name, entrypoint, request_body, status, created_at, \
             cluster_name, pid, schedule_type, user_id) VALUES (?1, ?2, ?2, ?3, ?8, ?4, ?5, ?6, 'short', ?7)",
            rusqlite::params![
                id,
                name,
                body.to_string(),
                now(),
                cluster_name,
                pid,
                crate::backend::identity::user_hash(),
                status.as_str()
            ],
        )
    })?;
    Ok(id)
}

/// Runs `work` in this thread, journaled as a RUNNING request that ends
/// SUCCEEDED or FAILED (the CLI's commands, which stream to the terminal
/// as they run); returns what `work` returned.
pub fn run_inline<T>(
    name: &str,
    cluster_name: Option<&str>,
    body: Value,
    work: impl FnOnce() -> Result<T>,
) -> Result<T> {
    // A journal that cannot be written must not stop the command.
    let id = journal(
        name,
        cluster_name,
        &body,
        RequestStatus::Running,
        Some(std::process::id()),
    )
    .ok();
    let out = work();
    if let Some(id) = id {
        let outcome = match &out {
            Ok(_) => Ok(Value::Null),
            Err(e) => Err(e.clone()),
        };
        let _ = finish(&id, outcome);
    }
    out
}

/// Journals the SDK call `name` (see [`calls::run`]) and starts it: the
/// long ones ([`worker::LONG`]) in a worker process, the others on a new
/// thread; returns the request id.
pub fn submit_call(name: &str, body: Value, task: Option<crate::spec::Task>) -> Result<String> {
    if worker::LONG.contains(&name) {
        return worker::submit_process(name, body, task.as_ref());
    }
    let cluster = body["cluster_name"].as_str().map(str::to_string);
    let call = name.to_string();
    let args = body.clone();
    submit(name, cluster.as_deref(), body, move |db| {
        calls::run(db, &call, &args, task.as_ref(), &mut |_| {})
    })
}

/// Journals a request and runs `work` on a new thread; returns its id.
pub fn submit(
    name: &str,
    cluster_name: Option<&str>,
    body: Value,
    work: impl FnOnce(&mut StateDb) -> Result<Value> + Send + 'static,
) -> Result<String> {
    let id = journal(name, cluster_name, &body, RequestStatus::Pending, None)?;
    let thread_id = id.clone();
    std::thread::spawn(move || {
        let outcome = StateDb::open().and_then(|mut db| {
            if !set_status(&mut db, &thread_id, RequestStatus::Running, &["PENDING"])? {
                return Ok(None);
            }
            Ok(Some(work(&mut db)))
        });
        match outcome {
            Ok(Some(result)) => {
                let _ = finish(&thread_id, result);
            }
            Ok(None) => {}
            Err(e) => {
                let _ = finish(&thread_id, Err(e));
            }
        }
    });
    Ok(id)
}

fn record(row: &rusqlite::Row<'_>) -> rusqlite::Result<RequestRecord> {
    let parse = |s: Option<String>| s.and_then(|s| serde_json::from_str(&s).ok());
    Ok(RequestRecord {
        request_id: row.get(0)?,
        name: row.get::<_, Option<String>>(1)?.unwrap_or_default(),
        status: RequestStatus::parse(&row.get::<_, Option<String>>(2)?.unwrap_or_default()),
        created_at: row.get::<_, Option<f64>>(3)?.unwrap_or(0.0),
        finished_at: row.get(4)?,
        cluster_name: row.get(5)?,
        return_value: parse(row.get(6)?),
        error: parse(row.get(7)?),
        pid: row.get(8)?,
    })
}

const COLUMNS: &str = "request_id, name, status, created_at, finished_at, cluster_name, return_value, CAST(error AS TEXT), pid";

/// The request `id` (a unique prefix also matches, as in SkyPilot).
pub fn get(id: &str) -> Result<RequestRecord> {
    let db = StateDb::open()?;
    let mut stmt = db
        .conn()
        .prepare(&format!(
            "SELECT {COLUMNS} FROM requests WHERE request_id LIKE ?1 || '%'"
        ))
        .map_err(sql_err)?;
    let rows: Vec<RequestRecord> = stmt
        .query_map([id], record)
        .map_err(sql_err)?
        .collect::<rusqlite::Result<_>>()
        .map_err(sql_err)?;
    match rows.len() {
        1 => Ok(rows.into_iter().next().unwrap_or_else(|| unreachable!())),
        0 => Err(Error::value(format!("Request {id} not found"))),
        _ => Err(Error::value(format!(
            "Multiple requests found for request ID prefix: {id}"
        ))),
    }
}

/// Blocks until request `id` finishes: its result, or its error.
pub fn wait(id: &str) -> Result<Value> {
    loop {
        let r = get(id)?;
        match r.status {
            RequestStatus::Succeeded => return Ok(r.return_value.unwrap_or(Value::Null)),
            RequestStatus::Failed => {
                return Err(r.error.as_ref().map_or_else(
                    || Error::new(ErrorKind::Runtime, "Request failed"),
                    error_from_json,
                ));
            }
            RequestStatus::Cancelled => {
                return Err(Error::new(
                    ErrorKind::RequestCancelled,
                    format!(
                        "\x1b[33mCurrent {} request ({}) is cancelled by another process.\x1b[0m",
                        crate::yaml::py_str_repr(&r.name),
                        r.request_id
                    ),
                ));
            }
            RequestStatus::Running if r.pid.is_some_and(|p| !procs_alive(p)) => {
                // Its process died (kill -9, a crash): it will never finish.
                let e = Error::new(
                    ErrorKind::Runtime,
                    format!("Request {} failed: its process exited.", r.request_id),
                );
                finish(&r.request_id, Err(e))?;
            }
            _ => std::thread::sleep(Duration::from_millis(20)),
        }
    }
}

fn procs_alive(pid: i64) -> bool {
    i32::try_from(pid).is_ok_and(crate::runner::procs::pid_alive)
}

/// Requests, newest first: unfinished ones only unless `all`.
pub fn list(all: bool, limit: Option<usize>) -> Result<Vec<RequestRecord>> {
    let db = StateDb::open()?;
    let filter = if all {
        ""
    } else {
        "WHERE status IN ('PENDING', 'RUNNING')"
    };
    let limit = limit.map_or(String::new(), |n| format!(" LIMIT {n}"));
    let mut stmt = db
        .conn()
        .prepare(&format!(
            "SELECT {COLUMNS} FROM requests {filter} ORDER BY created_at DESC{limit}"
        ))
        .map_err(sql_err)?;
    let mut rows: Vec<RequestRecord> = stmt
        .query_map([], record)
        .map_err(sql_err)?
        .collect::<rusqlite::Result<_>>()
        .map_err(sql_err)?;
    // A request whose process died (kill -9, a crash) never finishes by
    // itself: it is FAILED, as SkyPilot's server marks a dead worker's.
    for r in rows.iter_mut() {
        if r.status == RequestStatus::Running && r.pid.is_some_and(|p| !procs_alive(p)) {
            let e = Error::new(
                ErrorKind::Runtime,
                format!("Request {} failed: its process exited.", r.request_id),
            );
            finish(&r.request_id, Err(e.clone()))?;
            r.status = RequestStatus::Failed;
            r.error = Some(error_json(&e));
        }
    }
    if !all {
        rows.retain(|r| !r.status.is_finished());
    }
    Ok(rows)
}

/// Cancels the given unfinished requests (all of them when `None`) and
/// stops the processes running them; returns the ids cancelled.
pub fn cancel(ids: Option<&[String]>) -> Result<Vec<String>> {
    let targets: Vec<RequestRecord> = match ids {
        // Unknown ids are skipped: nothing to cancel (as SkyPilot's server).
        Some(ids) => ids.iter().filter_map(|i| get(i).ok()).collect(),
        None => list(false, None)?,
    };
    let mut db = StateDb::open()?;
    let mut out = Vec::new();
    for r in targets {
        if set_status(
            &mut db,
            &r.request_id,
            RequestStatus::Cancelled,
            &["PENDING", "RUNNING"],
        )? {
            // A worker may have claimed it since it was read.
            let pid = get(&r.request_id)?.pid.or(r.pid);
            if let Some(pid) = pid.and_then(|p| i32::try_from(p).ok()) {
                worker::stop_process(&r.request_id, &r.name, pid);
            }
            out.push(r.request_id);
        }
    }
    Ok(out)
}
