//! The agent daemon (SkyPilot's skylet): one per cluster, on the head,
//! detached from the client. An exclusive `flock` on `~/.sky/agent.lock`
//! makes it a singleton and doubles as its liveness check. Every tick it
//! reconciles job statuses (dead drivers become `FAILED_DRIVER`), schedules
//! what fits, and once a "minute" runs the autostop check.

use std::fs::File;
use std::io::Write;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::db::JobsDb;
use super::{autostop, jobs, scheduler};
use crate::error::{Error, ErrorKind, Result};
use crate::runner::procs;

fn lock_path(home: &Path) -> PathBuf {
    super::sky_dir(home).join("agent.lock")
}

fn pid_path(home: &Path) -> PathBuf {
    super::sky_dir(home).join("agent.pid")
}

/// The daemon's log (`skylet.log`).
pub fn log_path(home: &Path) -> PathBuf {
    super::sky_dir(home).join("agent.log")
}

/// Seconds between daemon ticks (`STIX_AGENT_TICK_SECONDS`, default 20 as
/// skylet's event loop).
pub fn tick() -> Duration {
    let s = std::env::var("STIX_AGENT_TICK_SECONDS")
        .ok()
        .and_then(|s| s.parse::<f64>().ok())
        .filter(|s| *s > 0.0)
        .unwrap_or(20.0);
    Duration::from_secs_f64(s)
}

fn try_lock(home: &Path) -> Option<File> {
    let path = lock_path(home);
    let _ = std::fs::create_dir_all(path.parent()?);
    let f = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .ok()?;
    // SAFETY: flock on a descriptor we own.
    let rc = unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
    (rc == 0).then_some(f)
}

/// Whether a daemon holds the lock.
pub fn is_running(home: &Path) -> bool {
    try_lock(home).is_none()
}

/// The daemon's pid, if one is running.
pub fn daemon_pid(home: &Path) -> Option<i32> {
    let pid: i32 = std::fs::read_to_string(pid_path(home))
        .ok()?
        .trim()
        .parse()
        .ok()?;
    (is_running(home) && procs::pid_alive(pid)).then_some(pid)
}

/// Starts the daemon unless one runs (or the node is autostopping).
/// Returns whether a new one was started.
pub fn ensure_started(home: &Path) -> Result<bool> {
    if is_running(home) {
        return Ok(false);
    }
    if let Ok(db) = JobsDb::open(home)
        && autostop::is_autostopping(&db, home)
    {
        return Ok(false);
    }
    let mut argv = super::self_command();
    argv.push("daemon".into());
    procs::spawn_detached(&argv, &[], home, Some(&log_path(home)))?;
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        if is_running(home) {
            return Ok(true);
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    Err(Error::new(
        ErrorKind::Runtime,
        format!(
            "The SkyPilot runtime did not start; see {}.",
            log_path(home).display()
        ),
    ))
}

/// Kills the daemon, if any.
pub fn stop(home: &Path) {
    if let Some(pid) = daemon_pid(home) {
        procs::terminate(&[pid], Duration::from_secs(2));
    }
}

/// The daemon's loop; returns when the node is gone or it is not the one.
pub fn run_daemon(home: &Path, log: &mut dyn Write) -> i32 {
    let Some(_lock) = try_lock(home) else {
        return 0;
    };
    let _ = std::fs::write(pid_path(home), std::process::id().to_string());
    let _ = writeln!(
        log,
        "agent {} started (pid {})",
        super::AGENT_VERSION,
        std::process::id()
    );
    let mut db = match JobsDb::open(home) {
        Ok(db) => db,
        Err(e) => {
            let _ = writeln!(log, "cannot open the job table: {}", e.message);
            return 1;
        }
    };
    // A (re)started skylet restarts the idle timer (`StopEvent.__init__`).
    let _ = autostop::set_last_active_now(&mut db);
    let minute = Duration::from_secs_f64(autostop::minute_seconds());
    let mut last_autostop = Instant::now();
    loop {
        if !super::cluster_spec_path(home).exists() {
            let _ = writeln!(log, "the node is gone; exiting");
            return 0;
        }
        match jobs::update_status(&mut db, home) {
            Ok(failed) => {
                if !failed.is_empty() {
                    let _ = writeln!(log, "jobs {failed:?}: driver gone, set to FAILED_DRIVER");
                    super::ops::kill_on_nodes(home, &failed);
                }
            }
            Err(e) => {
                let _ = writeln!(log, "update_status: {}", e.message);
            }
        }
        if let Err(e) = scheduler::schedule_step(home) {
            let _ = writeln!(log, "schedule_step: {}", e.message);
        }
        if last_autostop.elapsed() >= minute {
            last_autostop = Instant::now();
            match autostop::check(&mut db, home) {
                Ok(Some(config)) => {
                    let what = if config.down { "down" } else { "stop" };
                    let _ = writeln!(
                        log,
                        "idle for {} minute(s); autostop: {what}",
                        config.autostop_idle_minutes
                    );
                    match autostop::stop_cluster(&mut db, home, &config) {
                        Ok(()) => return 0,
                        Err(e) => {
                            // Stay up and retry at the next check.
                            let _ = writeln!(log, "autostop failed: {}", e.message);
                            let _ = autostop::clear_autostopping(&mut db);
                        }
                    }
                }
                Ok(None) => {}
                Err(e) => {
                    let _ = writeln!(log, "autostop check: {}", e.message);
                }
            }
        }
        let _ = log.flush();
        std::thread::sleep(tick().min(minute));
    }
}
