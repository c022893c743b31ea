//! Autostop (`autostop_lib` + skylet's `StopEvent`): the setting lives in
//! the job table's config; the idle timer resets when autostop is set, when
//! a job starts, when the node restarts (boot time changes) and whenever
//! the check finds the cluster busy; `wait_for: none` never resets it.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::db::JobsDb;
use super::{ClusterSpec, now};
use crate::error::{Error, Result};

const CONFIG_KEY: &str = "autostop_config";
const LAST_ACTIVE_KEY: &str = "autostop_last_active_time";
const INDICATOR_KEY: &str = "autostop_indicator";

/// Seconds in a "minute" of idleness; `STIX_AGENT_MINUTE_SECONDS` shortens
/// it so tests can watch autostop fire.
pub fn minute_seconds() -> f64 {
    std::env::var("STIX_AGENT_MINUTE_SECONDS")
        .ok()
        .and_then(|s| s.parse::<f64>().ok())
        .filter(|s| *s > 0.0)
        .unwrap_or(60.0)
}

/// `AutostopWaitFor`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum WaitFor {
    /// No running jobs and no SSH sessions (the default).
    #[default]
    JobsAndSsh,
    /// No running jobs.
    Jobs,
    /// Nothing: stop `idle_minutes` after the setting.
    None,
}

impl WaitFor {
    /// `AutostopWaitFor.from_str`, with SkyPilot's message.
    pub fn parse(mode: &str) -> Result<WaitFor> {
        match mode.to_ascii_lowercase().as_str() {
            "jobs_and_ssh" => Ok(WaitFor::JobsAndSsh),
            "jobs" => Ok(WaitFor::Jobs),
            "none" => Ok(WaitFor::None),
            _ => Err(Error::value(format!(
                "Unsupported autostop wait mode: {mode}. The mode must be either \
                 'jobs_and_ssh', 'jobs', or 'none'. "
            ))),
        }
    }

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            WaitFor::JobsAndSsh => "jobs_and_ssh",
            WaitFor::Jobs => "jobs",
            WaitFor::None => "none",
        }
    }
}

/// `AutostopConfig` as stored on the head.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AutostopConfig {
    /// Idle minutes before stopping; negative when autostop is off.
    pub autostop_idle_minutes: i64,
    /// The node boot time when the setting was made.
    pub boot_time: f64,
    /// Tear down instead of stop.
    pub down: bool,
    /// What resets the idle timer.
    pub wait_for: WaitFor,
}

impl Default for AutostopConfig {
    fn default() -> Self {
        AutostopConfig {
            autostop_idle_minutes: -1,
            boot_time: -1.0,
            down: false,
            wait_for: WaitFor::default(),
        }
    }
}

/// The node's boot time: the provisioner's `~/.sky/boot_time` (local
/// sandboxes), else the kernel's (`btime` in `/proc/stat`).
pub fn boot_time(home: &Path) -> f64 {
    let file = home.join(crate::provision::local::BOOT_TIME_FILE);
    if let Some(t) = std::fs::read_to_string(file)
        .ok()
        .and_then(|s| s.trim().parse().ok())
    {
        return t;
    }
    std::fs::read_to_string("/proc/stat")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("btime "))
                .and_then(|v| v.trim().parse().ok())
        })
        .unwrap_or(0.0)
}

/// The current setting.
pub fn get_config(db: &JobsDb) -> Result<AutostopConfig> {
    Ok(db
        .get_config(CONFIG_KEY)?
        .and_then(|s| serde_json::from_str(&s).ok())
        .unwrap_or_default())
}

/// `set_autostop`: stores the setting and restarts the idle timer.
pub fn set_autostop(
    db: &mut JobsDb,
    home: &Path,
    idle_minutes: i64,
    wait_for: WaitFor,
    down: bool,
) -> Result<()> {
    let config = AutostopConfig {
        autostop_idle_minutes: idle_minutes,
        boot_time: boot_time(home),
        down,
        wait_for,
    };
    let text = serde_json::to_string(&config).unwrap_or_default();
    db.set_config(CONFIG_KEY, &text)?;
    set_last_active_now(db)
}

/// Restarts the idle timer.
pub fn set_last_active_now(db: &mut JobsDb) -> Result<()> {
    db.set_config(LAST_ACTIVE_KEY, &now().to_string())
}

fn last_active(db: &JobsDb) -> f64 {
    db.get_config(LAST_ACTIVE_KEY)
        .ok()
        .flatten()
        .and_then(|s| s.parse().ok())
        .unwrap_or(-1.0)
}

/// Whether two boot times are the same boot (they pass through JSON,
/// whose float parsing may move the last digit).
fn same_boot(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-3
}

/// Whether autostop has begun on this boot of the node.
pub fn is_autostopping(db: &JobsDb, home: &Path) -> bool {
    db.get_config(INDICATOR_KEY)
        .ok()
        .flatten()
        .and_then(|v| v.parse::<f64>().ok())
        .is_some_and(|v| same_boot(v, boot_time(home)))
}

/// Clears the autostopping mark (after a failed attempt).
pub fn clear_autostopping(db: &mut JobsDb) -> Result<()> {
    db.set_config(INDICATOR_KEY, "")
}

/// Whether an SSH session is open on this node (only `jobs_and_ssh` asks):
/// a live `sshd` process serving a pseudo-terminal (`sshd: user@pts/N`).
fn has_active_ssh_sessions() -> bool {
    std::fs::read_dir("/proc").is_ok_and(|rd| {
        rd.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
            .filter_map(crate::runner::procs::cmdline)
            .any(|args| {
                args.first()
                    .is_some_and(|a| a.starts_with("sshd:") && a.contains("@pts/"))
            })
    })
}

/// One `StopEvent` check; returns the setting when the cluster should stop
/// now.
pub fn check(db: &mut JobsDb, home: &Path) -> Result<Option<AutostopConfig>> {
    let config = get_config(db)?;
    if config.autostop_idle_minutes < 0 || !same_boot(config.boot_time, boot_time(home)) {
        set_last_active_now(db)?;
        return Ok(None);
    }
    let busy = match config.wait_for {
        WaitFor::None => false,
        WaitFor::Jobs => !super::jobs::is_cluster_idle(db)?,
        WaitFor::JobsAndSsh => {
            // Nobody can SSH into a local sandbox; the host's sessions are
            // not the cluster's.
            let local = ClusterSpec::load(home)
                .is_ok_and(|s| s.provider_name == crate::provision::local::PROVIDER);
            !super::jobs::is_cluster_idle(db)? || (!local && has_active_ssh_sessions())
        }
    };
    if busy {
        set_last_active_now(db)?;
        return Ok(None);
    }
    let idle_minutes = ((now() - last_active(db)) / minute_seconds()).floor() as i64;
    Ok((idle_minutes >= config.autostop_idle_minutes).then_some(config))
}

/// Stops or tears down the cluster through its provisioner (workers
/// first, then the head, as the skylet does). The calling process is on
/// the head and is itself spared; it should exit afterwards.
pub fn stop_cluster(db: &mut JobsDb, home: &Path, config: &AutostopConfig) -> Result<()> {
    db.set_config(INDICATOR_KEY, &boot_time(home).to_string())?;
    // The task's lifecycle hooks run first; a failing one does not stop
    // the teardown (`_execute_hook_if_present`).
    let event = if config.down { "down" } else { "stop" };
    let _ = super::hooks::run(home, event);
    let spec = ClusterSpec::load(home)?;
    let provisioner = crate::provision::get(&spec.provider_name).ok_or_else(|| {
        Error::value(format!(
            "Unknown provider {:?} for autostop.",
            spec.provider_name
        ))
    })?;
    let name = &spec.cluster_name_on_cloud;
    let pc = &spec.provider_config;
    let multinode = spec.nodes.len() > 1;
    if config.down {
        if multinode {
            provisioner.terminate_instances(name, pc, true)?;
        }
        provisioner.terminate_instances(name, pc, false)
    } else {
        if multinode {
            provisioner.stop_instances(name, pc, true)?;
        }
        provisioner.stop_instances(name, pc, false)
    }
}
