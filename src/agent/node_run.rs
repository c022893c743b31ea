//! One rank of a job on one node (`sky _agent run-node`): runs the task
//! script with `/bin/bash -i` in its own process group, appends its output
//! to the node's task log and streams it to the driver with Ray's worker
//! prefix (`(head, rank=0, pid=N) ...`). It registers itself under
//! `~/.sky/procs/<job>/` and becomes a child subreaper, so `kill-job` finds
//! every process the task started, even daemonized ones.

use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use super::script::{CANCELLED_RETURN_CODE, ray_prefix};
use crate::runner::local::exit_code;
use crate::runner::procs;

/// Lines `bash -i` prints without a terminal (`log_lib.run_with_log`).
const SKIP_LINES: [&str; 2] = [
    "bash: cannot set terminal process group",
    "bash: no job control in this shell",
];
const TOMBSTONE: &str = "cancelled";

fn procs_dir(home: &Path, job_id: i64) -> PathBuf {
    super::sky_dir(home).join("procs").join(job_id.to_string())
}

/// The argv markers of a `run-node` process of `job_id`.
fn run_node_needles(job_id: i64) -> [String; 3] {
    ["run-node".into(), "--job-id".into(), job_id.to_string()]
}

/// What `run-node` needs besides the script.
pub struct NodeTask<'a> {
    /// Job id.
    pub job_id: i64,
    /// Task log path on this node (`~` allowed).
    pub log_path: &'a str,
    /// Ray task name (`task,`, `head, rank=0,`, `setup`).
    pub name: &'a str,
    /// The node's IP when it differs from the head's (shown in the prefix).
    pub ip: Option<&'a str>,
}

/// Runs `script`; streams prefixed lines to `out` and reports the task's
/// pid as `pid=N` on `ctl`. Returns the exit code.
pub fn run_node(
    home: &Path,
    task: &NodeTask<'_>,
    script: &str,
    out: &mut dyn Write,
    ctl: &mut dyn Write,
) -> i32 {
    let dir = procs_dir(home, task.job_id);
    if dir.join(TOMBSTONE).exists() {
        return CANCELLED_RETURN_CODE;
    }
    let me = std::process::id();
    // SAFETY: plain prctl; orphans of the task now re-parent to us, so the
    // tree stays findable for kill-job.
    unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) };
    let _ = fs::create_dir_all(&dir);
    let marker = dir.join(me.to_string());
    let _ = fs::write(&marker, b"");
    let code = run_script(home, task, script, out, ctl);
    let _ = fs::remove_file(&marker);
    code
}

fn run_script(
    home: &Path,
    task: &NodeTask<'_>,
    script: &str,
    out: &mut dyn Write,
    ctl: &mut dyn Write,
) -> i32 {
    let me = std::process::id();
    let script_path = super::sky_dir(home)
        .join("sky_app")
        .join(format!("sky_app_{}_{me}", task.job_id));
    let log_path = super::expand(home, task.log_path);
    if let Some(d) = log_path.parent() {
        let _ = fs::create_dir_all(d);
    }
    if super::write_atomic(&script_path, script.as_bytes(), true).is_err() {
        let _ = writeln!(ctl, "error=cannot write {}", script_path.display());
        return 1;
    }
    let mut log = fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&log_path)
        .ok();
    let Ok((reader, writer)) = std::io::pipe() else {
        return 1;
    };
    let Ok(writer2) = writer.try_clone() else {
        return 1;
    };
    let child = Command::new("/bin/bash")
        .arg("-i")
        .arg(&script_path)
        .current_dir(home)
        .stdin(Stdio::null())
        .stdout(writer)
        .stderr(writer2)
        .process_group(0)
        .spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(e) => {
            let _ = writeln!(ctl, "error=cannot start bash: {e}");
            return 1;
        }
    };
    let pid = child.id();
    if procs_dir(home, task.job_id).join(TOMBSTONE).exists() {
        procs::kill_group(pid as i32, libc::SIGKILL);
    }
    let _ = writeln!(ctl, "pid={pid}");
    let _ = ctl.flush();
    let prefix = ray_prefix(task.name, pid, task.ip);
    let mut lines = BufReader::new(reader);
    let mut buf = Vec::new();
    loop {
        buf.clear();
        match lines.read_until(b'\n', &mut buf) {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
        let mut line = String::from_utf8_lossy(&buf).into_owned();
        if SKIP_LINES.iter().any(|s| line.contains(s)) {
            continue;
        }
        if line.ends_with("\r\n") {
            line.truncate(line.len() - 2);
            line.push('\n');
        }
        if let Some(f) = log.as_mut() {
            let _ = f.write_all(line.as_bytes());
        }
        if !line.ends_with('\n') {
            line.push('\n');
        }
        // The driver may be gone; keep logging to the node file regardless.
        let _ = out.write_all(format!("{prefix}{line}").as_bytes());
        let _ = out.flush();
    }
    let status = child.wait();
    let _ = fs::remove_file(&script_path);
    status.map_or(1, exit_code)
}

/// `kill-job`: marks the job cancelled on this node and kills the process
/// trees of all its `run-node`s (SIGTERM, SIGKILL after a grace period).
pub fn kill_job(home: &Path, job_id: i64) -> usize {
    let dir = procs_dir(home, job_id);
    let _ = fs::create_dir_all(&dir);
    let _ = fs::write(dir.join(TOMBSTONE), b"");
    let needles = run_node_needles(job_id);
    let refs: Vec<&str> = needles.iter().map(String::as_str).collect();
    let mut roots = Vec::new();
    for entry in fs::read_dir(&dir).into_iter().flatten().flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<i32>().ok())
        else {
            continue;
        };
        if procs::pid_runs(pid, &refs) {
            roots.push(pid);
        } else {
            let _ = fs::remove_file(entry.path());
        }
    }
    std::thread::scope(|s| {
        let handles: Vec<_> = roots
            .iter()
            .map(|r| s.spawn(move || procs::kill_tree(*r, Duration::from_secs(2))))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or(0)).sum()
    })
}
