//! Requests that run in a process of their own (SkyPilot's long requests:
//! launch, exec, start, stop, down, and every CLI `--async` call): the
//! process outlives its caller, writes its progress to the request's log
//! (what `sky api logs` streams) and is the session leader of its process
//! group, so `api_cancel` stops it (and whatever it started) with a signal.

use std::io::Write;
use std::path::PathBuf;

use serde_json::Value;

use super::{RequestStatus, calls, finish, get, journal, set_running};
use crate::backend::Progress;
use crate::error::{Error, ErrorKind, Result};
use crate::runner::procs;
use crate::spec::Task;
use crate::state::StateDb;

/// The SDK calls that always run in their own process.
pub const LONG: &[&str] = &["launch", "exec", "start", "stop", "down"];

fn requests_dir() -> PathBuf {
    PathBuf::from(crate::spec::task::expand_user("~/.sky/api_server/requests"))
}

/// `~/.sky/api_server/requests/<id>.log`: the request's output.
pub fn log_path(id: &str) -> PathBuf {
    requests_dir().join(format!("{id}.log"))
}

/// The task a launch / exec carries, handed over in a private file (it may
/// hold secrets, which never go into the journal).
fn task_path(id: &str) -> PathBuf {
    requests_dir().join(format!("{id}.task.yaml"))
}

fn io(e: std::io::Error, what: &std::path::Path) -> Error {
    Error::new(ErrorKind::Os, format!("{}: {e}", what.display()))
}

fn write_task(id: &str, task: &Task) -> Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let path = task_path(id);
    std::fs::create_dir_all(requests_dir()).map_err(|e| io(e, &requests_dir()))?;
    let config = crate::yaml::Value::Map(task.to_yaml_config(false));
    let text = crate::yaml::dump_yaml_str(&config);
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .write(true)
        .truncate(true)
        .mode(0o600)
        .open(&path)
        .map_err(|e| io(e, &path))?;
    f.write_all(text.as_bytes()).map_err(|e| io(e, &path))
}

fn read_task(id: &str) -> Result<Option<Task>> {
    let path = task_path(id);
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Ok(None);
    };
    let _ = std::fs::remove_file(&path);
    Task::from_yaml_str(&text).map(Some)
}

/// How this program starts a request worker: the runtime's command with
/// `_request <id>` in place of `_agent`.
fn worker_argv(id: &str) -> Vec<String> {
    let mut argv = crate::agent::agent_command();
    argv.pop();
    argv.extend(["_request".to_string(), id.to_string()]);
    argv
}

/// Journals the call `name` and starts its worker process; returns the
/// request id at once.
pub fn submit_process(name: &str, body: Value, task: Option<&Task>) -> Result<String> {
    let cluster = body["cluster_name"].as_str().map(str::to_string);
    let id = journal(
        name,
        cluster.as_deref(),
        &body,
        RequestStatus::Pending,
        None,
    )?;
    let started = task.map_or(Ok(()), |t| write_task(&id, t)).and_then(|_| {
        let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("/"));
        procs::spawn_detached(&worker_argv(&id), &[], &cwd, Some(&log_path(&id)))
    });
    if let Err(e) = started {
        let _ = std::fs::remove_file(task_path(&id));
        let _ = super::set_status(
            &mut StateDb::open()?,
            &id,
            RequestStatus::Running,
            &["PENDING"],
        );
        finish(&id, Err(e.clone()))?;
        return Err(e);
    }
    Ok(id)
}

/// Runs request `id` in this (worker) process, its progress going to
/// `progress`; a request already claimed or cancelled is left alone.
pub fn run(id: &str, progress: &mut dyn FnMut(Progress)) -> Result<()> {
    let mut db = StateDb::open()?;
    let body: Value = db
        .conn()
        .query_row(
            "SELECT request_body FROM requests WHERE request_id = ?1",
            [id],
            |r| r.get::<_, Option<String>>(0),
        )
        .map_err(crate::state::sql_err)?
        .and_then(|s| serde_json::from_str(&s).ok())
        .unwrap_or(Value::Null);
    let name = get(id)?.name;
    if !set_running(&mut db, id, std::process::id())? {
        return Ok(());
    }
    let outcome =
        read_task(id).and_then(|task| calls::run(&mut db, &name, &body, task.as_ref(), progress));
    if let Err(e) = &outcome {
        // The log ends with the error, as SkyPilot's request log does.
        eprintln!("{}: {}", e.kind.python_qualname(), e.message);
    }
    finish(id, outcome)
}

/// Stops the process running request `id` (recorded as `pid`): the worker's
/// whole group, or a CLI process running it inline. A pid whose command
/// line is not the request's is someone else's now and is left alone.
pub fn stop_process(id: &str, name: &str, pid: i32) {
    if pid <= 0 || pid == std::process::id() as i32 {
        return;
    }
    let short = name.trim_start_matches("sky.");
    let grace = std::time::Duration::from_secs(3);
    if procs::pid_runs(pid, &["_request", id]) {
        // The worker's session (its own, from `spawn_detached`) holds it
        // and everything it started except detached agents.
        let Some(pgid) = procs::pgid_of(pid).filter(|g| *g > 1) else {
            return;
        };
        procs::kill_group(pgid, libc::SIGTERM);
        let deadline = std::time::Instant::now() + grace;
        while procs::pid_alive(pid) && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        procs::kill_group(pgid, libc::SIGKILL);
    } else if procs::pid_runs(pid, &[short]) {
        procs::kill_tree(pid, grace);
        procs::terminate(&[pid], grace);
    }
}

/// The last `n` lines of `text` (all when `None` or negative).
fn last_lines(text: &str, n: Option<i64>) -> &str {
    let Some(n) = n.filter(|n| *n >= 0) else {
        return text;
    };
    let mut count = 0;
    let trimmed = text.strip_suffix('\n').unwrap_or(text);
    for (i, c) in trimmed.char_indices().rev() {
        if c == '\n' {
            count += 1;
            if count == n {
                return &text[i + 1..];
            }
        }
    }
    if n == 0 { "" } else { text }
}

/// Hands `path` (its last `tail` lines) to `sink`, then, when `follow`,
/// what is appended to it while `running()`.
pub fn stream_file(
    path: &std::path::Path,
    tail: Option<i64>,
    follow: bool,
    running: &mut dyn FnMut() -> bool,
    sink: &mut dyn FnMut(&[u8]),
) {
    use std::io::{Read, Seek, SeekFrom};
    let mut pos = 0u64;
    let mut first = true;
    loop {
        let alive = follow && running();
        if let Ok(mut f) = std::fs::File::open(path) {
            let mut buf = Vec::new();
            if f.seek(SeekFrom::Start(pos)).is_ok() && f.read_to_end(&mut buf).is_ok() {
                pos += buf.len() as u64;
                if first {
                    sink(last_lines(&String::from_utf8_lossy(&buf), tail).as_bytes());
                } else if !buf.is_empty() {
                    sink(&buf);
                }
                first = false;
            }
        }
        // The read after the request finished drains its last lines.
        if !alive {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// Streams request `id`'s log to `sink` (following it until the request
/// finishes when `follow`); a request run inline or on a thread has none.
pub fn stream_log(id: &str, tail: Option<i64>, follow: bool, sink: &mut dyn FnMut(&[u8])) {
    let mut running = || get(id).is_ok_and(|r| !r.status.is_finished());
    stream_file(&log_path(id), tail, follow, &mut running, sink);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tail_keeps_the_last_lines() {
        assert_eq!(last_lines("a\nb\nc\n", Some(2)), "b\nc\n");
        assert_eq!(last_lines("a\nb\nc\n", Some(5)), "a\nb\nc\n");
        assert_eq!(last_lines("a\nb\nc\n", None), "a\nb\nc\n");
        assert_eq!(last_lines("a\nb\nc\n", Some(0)), "");
    }
}
