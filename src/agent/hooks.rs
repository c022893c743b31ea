//! Lifecycle hooks on a node (SkyPilot's `skylet/hook_executor.py`): the
//! task's `config.hooks` (and the legacy `resources.autostop.hook`), stored
//! on the head, run on a teardown event (`stop`, `down`; `preemption` has
//! no trigger on the local infra) before the nodes go away. Each event's
//! output goes to `~/.sky/hooks/<event>.log`; a failing or timed-out hook
//! is logged and teardown continues. One teardown claims the node, so an
//! autostop racing a `sky down` runs the hooks once.

use std::fs::File;
use std::io::Write;
use std::os::fd::AsRawFd;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorKind, Result};

/// `constants.DEFAULT_HOOK_TIMEOUT_SECONDS`.
pub const DEFAULT_TIMEOUT_SECONDS: u64 = 3600;

/// The teardown events hooks subscribe to.
pub const EVENTS: [&str; 3] = ["stop", "preemption", "down"];

/// One hook: a script, its events (all three by default), a timeout.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hook {
    /// The bash script.
    pub run: String,
    /// Events it runs on.
    #[serde(default = "all_events")]
    pub events: Vec<String>,
    /// Seconds before it is killed.
    #[serde(default = "default_timeout")]
    pub timeout: u64,
}

fn all_events() -> Vec<String> {
    EVENTS.iter().map(|e| e.to_string()).collect()
}

fn default_timeout() -> u64 {
    DEFAULT_TIMEOUT_SECONDS
}

fn hooks_dir(home: &Path) -> PathBuf {
    home.join(".sky/hooks")
}

fn os_err(e: std::io::Error, p: &Path) -> Error {
    Error::new(ErrorKind::Os, format!("{}: {e}", p.display()))
}

/// Replaces the hooks stored on this node (none: clears them).
pub fn store(home: &Path, hooks: &[Hook]) -> Result<()> {
    let dir = hooks_dir(home);
    std::fs::create_dir_all(&dir).map_err(|e| os_err(e, &dir))?;
    let path = dir.join("hooks.json");
    let text = serde_json::to_string(hooks).unwrap_or_else(|_| "[]".into());
    std::fs::write(&path, text).map_err(|e| os_err(e, &path))
}

/// The hooks stored on this node.
pub fn load(home: &Path) -> Vec<Hook> {
    std::fs::read_to_string(hooks_dir(home).join("hooks.json"))
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default()
}

/// `try_claim_teardown(event)`: the first teardown on this node boot
/// wins; a second one (another event) skips its hooks.
fn claim(home: &Path, event: &str) -> Result<bool> {
    let dir = hooks_dir(home);
    std::fs::create_dir_all(&dir).map_err(|e| os_err(e, &dir))?;
    let path = dir.join(".teardown_claim");
    let f = File::options()
        .create(true)
        .truncate(false)
        .read(true)
        .write(true)
        .open(&path)
        .map_err(|e| os_err(e, &path))?;
    // SAFETY: flock on a descriptor we own; released when `f` closes.
    unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX) };
    let boot = super::autostop::boot_time(home);
    let current = std::fs::read_to_string(&path).unwrap_or_default();
    if let Some((b, _)) = current.trim().split_once(' ')
        && b.parse::<f64>().is_ok_and(|b| (b - boot).abs() < 1e-3)
    {
        return Ok(false);
    }
    std::fs::write(&path, format!("{boot} {event}")).map_err(|e| os_err(e, &path))?;
    Ok(true)
}

/// Clears the claim (the node came back up: a later teardown runs hooks).
pub fn clear_claim(home: &Path) {
    let _ = std::fs::remove_file(hooks_dir(home).join(".teardown_claim"));
}

fn run_one(home: &Path, hook: &Hook, event: &str, log: &Path) -> i32 {
    let Ok(out) = File::options().create(true).append(true).open(log) else {
        return 1;
    };
    let Ok(err) = out.try_clone() else { return 1 };
    let child = Command::new("bash")
        .args(["-c", &hook.run])
        .current_dir(home)
        .env("HOME", home)
        .env("SKYPILOT_HOOK_EVENT", event)
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .process_group(0)
        .spawn();
    let Ok(mut child) = child else { return 1 };
    let deadline = Instant::now() + Duration::from_secs(hook.timeout);
    loop {
        match child.try_wait() {
            Ok(Some(s)) => return s.code().unwrap_or(1),
            Ok(None) if Instant::now() >= deadline => {
                crate::runner::procs::kill_group(child.id() as i32, libc::SIGKILL);
                let _ = child.wait();
                return 124;
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(_) => return 1,
        }
    }
}

/// `hook_executor.run(event, hooks)` under the teardown claim: runs every
/// stored hook subscribed to `event`, in order; returns how many ran.
pub fn run(home: &Path, event: &str) -> Result<usize> {
    let matching: Vec<Hook> = load(home)
        .into_iter()
        .filter(|h| h.events.iter().any(|e| e == event))
        .collect();
    if matching.is_empty() || !claim(home, event)? {
        return Ok(0);
    }
    let log = hooks_dir(home).join(format!("{event}.log"));
    File::create(&log).map_err(|e| os_err(e, &log))?;
    let total = matching.len();
    for (i, hook) in matching.iter().enumerate() {
        let rc = run_one(home, hook, event, &log);
        if let Ok(mut f) = File::options().append(true).open(&log) {
            let line = if rc == 0 {
                format!(
                    "{} hook executed successfully ({}/{total}, timeout={}s).\n",
                    capitalize(event),
                    i + 1,
                    hook.timeout
                )
            } else {
                format!("{event} hook exited with code {rc}; continuing teardown.\n")
            };
            let _ = f.write_all(line.as_bytes());
        }
    }
    Ok(total)
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hooks_run_once_per_teardown_with_their_event() {
        let home = std::env::temp_dir().join(format!("stix-hooks-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&home);
        std::fs::create_dir_all(&home).unwrap();
        let hooks = vec![
            Hook {
                run: "echo saved-$SKYPILOT_HOOK_EVENT > ckpt".into(),
                events: vec!["stop".into(), "down".into()],
                timeout: 60,
            },
            Hook {
                run: "sleep 30".into(),
                events: vec!["down".into()],
                timeout: 1,
            },
        ];
        store(&home, &hooks).unwrap();
        assert_eq!(load(&home), hooks);
        let t = Instant::now();
        assert_eq!(run(&home, "down").unwrap(), 2);
        assert!(
            t.elapsed() < Duration::from_secs(10),
            "the timeout kills it"
        );
        assert_eq!(
            std::fs::read_to_string(home.join("ckpt")).unwrap(),
            "saved-down\n"
        );
        let log = std::fs::read_to_string(home.join(".sky/hooks/down.log")).unwrap();
        assert!(
            log.contains("Down hook executed successfully (1/2, timeout=60s)."),
            "{log}"
        );
        assert!(
            log.contains("down hook exited with code 124; continuing teardown."),
            "{log}"
        );
        // Claimed: a racing autostop on the same boot does not run them again.
        assert_eq!(run(&home, "stop").unwrap(), 0);
        clear_claim(&home);
        assert_eq!(run(&home, "stop").unwrap(), 1);
        let _ = std::fs::remove_dir_all(&home);
    }
}
