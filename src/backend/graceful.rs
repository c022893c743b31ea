//! `sky stop/down --graceful [--graceful-timeout N]` (SkyPilot's
//! `core._graceful_job_cancel`): before the nodes go, cancel every job on
//! the cluster (all users'), then wait on every node, in parallel, until
//! the uploads of MOUNT_CACHED bucket mounts (rclone's VFS cache) are
//! flushed — bounded by the timeout when one is given. Failures are
//! warnings: the teardown goes on, as in SkyPilot, so nothing is leaked.

use std::time::Duration;

use super::ClusterHandle;
use crate::runner::RunRequest;
use crate::state::StateDb;

/// Where rclone's cached mounts log (`RCLONE_MOUNT_CACHED_LOG_DIR`).
const RCLONE_CACHED_LOG_DIR: &str = "~/.sky/rclone_log";

/// Seconds between two looks at the cache (`RCLONE_CACHE_REFRESH_INTERVAL`).
const CACHE_POLL_SECONDS: u32 = 10;

/// The wait on one node: done at once when no rclone mount with a cached
/// log is there; otherwise until every cached mount's latest
/// `vfs cache: cleaned:` line reports nothing in use or left to upload.
fn flush_script() -> String {
    let dir = RCLONE_CACHED_LOG_DIR.replacen('~', "$HOME", 1);
    format!(
        r#"logs="{dir}"
mounts=$(findmnt -t fuse.rclone --noheading 2>/dev/null | wc -l)
if [ "$mounts" -eq 0 ] || [ ! -d "$logs" ] || [ -z "$(ls -A "$logs")" ]; then exit 0; fi
start=$(date +%s)
sleep 1
while true; do
  sleep {CACHE_POLL_SECONDS}
  pending=""
  for f in "$logs"/*; do
    last=$(tac "$f" | grep -m 1 "vfs cache: cleaned:")
    case "$last" in *"in use 0, to upload 0, uploading 0"*) ;; *) pending="$f";; esac
  done
  [ -z "$pending" ] && break
  echo "skypilot: cached mount is still uploading (elapsed: $(( $(date +%s) - start ))s)"
done
echo "skypilot: cached mount upload complete (took $(( $(date +%s) - start ))s)"
"#
    )
}

/// What a node's flush ended with: `Ok` or the error text to report.
fn flush_node(
    handle: &ClusterHandle,
    node: usize,
    timeout: Option<u64>,
) -> std::result::Result<(), (i32, String)> {
    let Some(spec) = handle.nodes.get(node) else {
        return Ok(());
    };
    let mut req = RunRequest::bash(&flush_script());
    if let Some(t) = timeout.filter(|t| *t > 0) {
        req = req.with_timeout(Duration::from_secs(t));
    }
    match spec.runner.runner().run(&req, None) {
        Ok(out) if out.code == 0 => Ok(()),
        Ok(out) => Err((out.code, out.stderr)),
        Err(e) => Err((-1, e.message)),
    }
}

/// Cancels all jobs of `name` and waits for its MOUNT_CACHED uploads;
/// `log` gets SkyPilot's lines (warnings included). A cluster that is not
/// in the state is left to the teardown to report.
pub fn graceful_job_cancel(
    state: &mut StateDb,
    name: &str,
    timeout: Option<u64>,
    terminate: bool,
    log: &mut dyn FnMut(String),
) {
    let Ok(Some(record)) = state.get_cluster(name) else {
        return;
    };
    let op = if terminate { "shutdown" } else { "stop" };
    log(format!(
        "Graceful {op} enabled. Terminating user jobs on {name}..."
    ));
    if let Err(e) = super::cancel(state, name, None, true, None) {
        log(format!("Failed to cancel jobs: {}", e.message));
    }
    let quoted = crate::yaml::py_str_repr(name);
    log(format!(
        "Flushing MOUNT_CACHED uploads on all nodes of {quoted}..."
    ));
    let handle = match ClusterHandle::from_json(&record.handle) {
        Ok(h) if !h.nodes.is_empty() => h,
        _ => {
            log(format!(
                "Skipping MOUNT_CACHED upload flush on {quoted}: failed to get command runners: \
                 the cluster has no nodes"
            ));
            return;
        }
    };
    let h = &handle;
    let results: Vec<_> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..h.nodes.len())
            .map(|i| s.spawn(move || (i, flush_node(h, i, timeout))))
            .collect();
        workers.into_iter().filter_map(|w| w.join().ok()).collect()
    });
    let mut errors = Vec::new();
    for (node, result) in results {
        match result {
            Ok(()) => {}
            Err((124, _)) => {
                let secs = timeout.unwrap_or_default();
                log(format!("Node {node}: flush timed out after {secs}s"));
                errors.push(format!("'Node {node}: timeout'"));
            }
            Err((code, stderr)) => {
                log(format!("Node {node}: flush failed (rc={code}): {stderr}"));
                errors.push(crate::yaml::py_str_repr(&format!("Node {node}: {stderr}")));
            }
        }
    }
    if !errors.is_empty() {
        log(format!(
            "Some nodes had flush errors: [{}]",
            errors.join(", ")
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_flush_is_a_no_op_without_rclone_mounts() {
        let out = std::process::Command::new("bash")
            .args(["-c", &flush_script()])
            .env("HOME", std::env::temp_dir())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0));
        assert!(out.stdout.is_empty());
    }
}
