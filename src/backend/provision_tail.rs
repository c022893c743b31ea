//! `sky logs --provision [--worker N]` (SkyPilot's `/provision_logs`
//! endpoint and `stream_utils.log_streamer`): the head's provision.log
//! recorded for the cluster, or a worker's per-instance logs, printed
//! (the last `tail` lines when `tail > 0`) and, with `follow`, followed
//! while the cluster is INIT and a launch of it is still running.

use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::{ClusterHandle, ClusterLock, provision_log};
use crate::error::{Error, ErrorKind, Result};
use crate::state::{ClusterStatus, StateDb};

/// The error SkyPilot's client raises for the endpoint's HTTP error:
/// `CommandError(code, 'tail_provision_logs', ..., response.text)`.
fn http_error(code: u16, detail: &str) -> Error {
    let body = serde_json::json!({ "detail": detail });
    Error::new(
        ErrorKind::Command,
        format!(
            "Command tail_provision_logs failed with return code {code}.\n\
             Failed to stream provision logs\n{body}"
        ),
    )
}

const RELAUNCH: &str = "Please relaunch to generate provisioning logs.";

/// What to stream: the head's log file, or a worker's log directory.
fn resolve(state: &StateDb, cluster: &str, worker: Option<u32>) -> Result<PathBuf> {
    let Some(worker) = worker else {
        let Some(path) = state.provision_log_path(cluster)? else {
            return Err(http_error(
                404,
                &format!("Provision log path is not recorded for this cluster. {RELAUNCH}"),
            ));
        };
        let path = PathBuf::from(crate::spec::task::expand_user(&path));
        let path = std::fs::canonicalize(&path).unwrap_or(path);
        if !path.exists() {
            return Err(http_error(
                404,
                &format!("Provision log path does not exist: {}", path.display()),
            ));
        }
        return Ok(path);
    };
    let handle = state
        .get_cluster(cluster)?
        .and_then(|r| ClusterHandle::from_json(&r.handle).ok())
        .ok_or_else(|| {
            http_error(
                404,
                &format!("Cluster handle is not recorded for this cluster. {RELAUNCH}"),
            )
        })?;
    if handle.nodes.is_empty() {
        return Err(http_error(
            400,
            &format!("Instance IDs are not recorded for this cluster. {RELAUNCH}"),
        ));
    }
    let Some(node) = handle.nodes.get(worker as usize) else {
        return Err(http_error(
            400,
            &format!(
                "Worker {worker} is out of range. The cluster has {} nodes.",
                handle.nodes.len()
            ),
        ));
    };
    Ok(provision_log::instance_log_dir(
        &handle.cluster_name_on_cloud,
        &node.instance_id,
    ))
}

/// Whether following should go on: the cluster is INIT and a launch (or
/// start) holds its lock (SkyPilot: a running `sky.launch` request).
fn still_provisioning(cluster: &str) -> bool {
    let init = StateDb::open()
        .and_then(|db| db.get_cluster(cluster))
        .ok()
        .flatten()
        .is_some_and(|r| r.status == ClusterStatus::Init);
    init && matches!(ClusterLock::try_acquire(cluster), Ok(None))
}

/// The last `n` lines of `text` (all when `n` is 0).
fn last_lines(text: &[u8], n: usize) -> &[u8] {
    if n == 0 {
        return text;
    }
    let body = text.strip_suffix(b"\n").unwrap_or(text);
    let start = body
        .iter()
        .enumerate()
        .rev()
        .filter(|(_, b)| **b == b'\n')
        .nth(n - 1)
        .map_or(0, |(i, _)| i + 1);
    &text[start..]
}

fn stream_file(
    path: &Path,
    cluster: &str,
    follow: bool,
    tail: usize,
    out: &mut dyn FnMut(&[u8]),
) -> Result<()> {
    let mut f = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(_) => {
            let name = path.file_name().unwrap_or_default().to_string_lossy();
            out(format!("Log {name} is no longer available on the API server.\n").as_bytes());
            return Ok(());
        }
    };
    let mut text = Vec::new();
    f.read_to_end(&mut text)
        .map_err(|e| Error::new(ErrorKind::Os, format!("{}: {e}", path.display())))?;
    out(last_lines(&text, tail));
    let mut pos = text.len() as u64;
    let mut idle = 0u32;
    if !follow {
        return Ok(());
    }
    loop {
        let mut more = Vec::new();
        if f.seek(SeekFrom::Start(pos)).is_ok() && f.read_to_end(&mut more).is_ok() {
            pos += more.len() as u64;
        }
        if !more.is_empty() {
            out(&more);
            continue;
        }
        // At the end of the file: done once provisioning is (checked at
        // once, then every second, as the check costs a DB read).
        if idle.is_multiple_of(10) && !still_provisioning(cluster) {
            if idle > 0 {
                // The launch logs its last line just after the cluster
                // turns UP: take what came in the meantime.
                std::thread::sleep(Duration::from_millis(200));
                let mut rest = Vec::new();
                if f.seek(SeekFrom::Start(pos)).is_ok() && f.read_to_end(&mut rest).is_ok() {
                    out(&rest);
                }
            }
            break;
        }
        idle += 1;
        std::thread::sleep(Duration::from_millis(100));
    }
    Ok(())
}

/// `sdk.tail_provision_logs`: streams the cluster's provision log (or
/// worker `worker`'s logs, each file under a `==> path <==` header) to
/// `out`; `tail` <= 0 prints everything. Returns the exit code (0).
pub fn tail_provision_logs(
    state: &StateDb,
    cluster: &str,
    worker: Option<u32>,
    follow: bool,
    tail: i64,
    out: &mut dyn FnMut(&[u8]),
) -> Result<i32> {
    let path = resolve(state, cluster, worker)?;
    let tail = usize::try_from(tail).unwrap_or(0);
    if path.is_dir() {
        let mut logs: Vec<PathBuf> = std::fs::read_dir(&path)
            .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
            .unwrap_or_default();
        logs.retain(|p| p.extension().is_some_and(|e| e == "log"));
        logs.sort();
        for log in logs {
            out(format!("\n==> {} <==\n\n", log.display()).as_bytes());
            stream_file(&log, cluster, follow, tail, out)?;
        }
        return Ok(0);
    }
    stream_file(&path, cluster, follow, tail, out)?;
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tail_counts_lines_from_the_end() {
        assert_eq!(last_lines(b"a\nb\nc\n", 2), b"b\nc\n");
        assert_eq!(last_lines(b"a\nb\nc", 2), b"b\nc");
        assert_eq!(last_lines(b"a\nb\n", 5), b"a\nb\n");
        assert_eq!(last_lines(b"a\nb\n", 0), b"a\nb\n");
    }

    #[test]
    fn http_errors_read_as_skypilots_command_error() {
        let e = http_error(404, "Provision log path does not exist: /x");
        assert_eq!(e.kind, ErrorKind::Command);
        assert_eq!(
            e.message,
            "Command tail_provision_logs failed with return code 404.\nFailed to stream \
             provision logs\n{\"detail\":\"Provision log path does not exist: /x\"}"
        );
    }
}
