//! Cluster lifecycle (`core.stop/start/down/autostop/status`) and the
//! status refresh that reconciles the state DB with reality: nodes gone ->
//! record removed; all stopped -> STOPPED; all up with a healthy agent ->
//! UP (restarting a killed agent); autostop begun -> AUTOSTOPPING;
//! anything else -> INIT.

use super::launch::set_autostop_on;
use super::provisioning::{self, RecordInfo, provision, provisioner_for};
use super::reconcile;
use super::{ClusterHandle, ClusterLock, Progress, ProgressSink};
use crate::agent::autostop::WaitFor;
use crate::agent::script::ansi::{BRIGHT, RESET, YELLOW};
use crate::error::{Error, ErrorKind, Result};
use crate::state::{ClusterRecord, ClusterStatus, StateDb, now_secs};
use crate::yaml::py_str_repr;

/// `StatusRefreshMode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RefreshMode {
    /// Do not refresh.
    None,
    /// Refresh clusters whose status may have changed on their own
    /// (autostop set, autostopping) and were not refreshed in 2 s.
    #[default]
    Auto,
    /// Refresh every cluster.
    Force,
}

/// `CLUSTER_STATUS_CACHE_DURATION_SECONDS`.
const STATUS_CACHE_SECONDS: i64 = 2;

fn must_refresh(r: &ClusterRecord) -> bool {
    let has_autostop = r.status != ClusterStatus::Stopped && r.autostop >= 0;
    let autostopping = r.status == ClusterStatus::Autostopping;
    let recent = r
        .status_updated_at
        .is_some_and(|t| now_secs() - t < STATUS_CACHE_SECONDS);
    (has_autostop || autostopping) && !recent
}

fn does_not_exist(name: &str) -> Error {
    Error::new(
        ErrorKind::ClusterDoesNotExist,
        format!("Cluster {} does not exist.", py_str_repr(name)),
    )
}

/// Reconciles one cluster's record with its nodes and agent; returns the
/// record afterwards (`None` once the cluster is gone). A cluster locked
/// by a launch or teardown in progress is left as recorded.
pub fn refresh_cluster(
    state: &mut StateDb,
    name: &str,
    force: bool,
) -> Result<Option<ClusterRecord>> {
    let Some(record) = state.get_cluster(name)? else {
        return Ok(None);
    };
    if !force && !must_refresh(&record) {
        return Ok(Some(record));
    }
    let Some(_lock) = ClusterLock::try_acquire(name)? else {
        return Ok(Some(record));
    };
    let mut handle = ClusterHandle::from_json(&record.handle)?;
    if handle.provider_name.is_empty() {
        return Ok(Some(record));
    }
    let p = provisioner_for(&handle.provider_name)?;
    if handle.provider_config.is_null() {
        provisioning::bootstrap(&mut handle, true)?;
    }
    reconcile::apply(state, &record, &handle, &*p)
}

/// Stores `event` as the cluster's last event (in its metadata).
pub(super) fn record_last_event(
    state: &mut StateDb,
    record: &ClusterRecord,
    event: &str,
) -> Result<()> {
    let mut meta = match &record.metadata {
        serde_json::Value::Object(m) => m.clone(),
        _ => serde_json::Map::new(),
    };
    meta.insert("last_event".into(), event.into());
    let text = serde_json::Value::Object(meta).to_string();
    state.write(|tx| {
        tx.execute(
            "UPDATE clusters SET metadata = ?1 WHERE name = ?2",
            rusqlite::params![text, record.name],
        )
        .map(|_| ())
    })
}

/// The cluster's last event, if one was recorded.
pub fn last_event(record: &ClusterRecord) -> Option<&str> {
    record.metadata.get("last_event").and_then(|v| v.as_str())
}

/// `check_cluster_available`: the handle of an UP (or AUTOSTOPPING)
/// cluster, or SkyPilot's error for `operation` (`executing task`, ...).
pub fn check_cluster_available(
    state: &mut StateDb,
    name: &str,
    operation: &str,
) -> Result<ClusterHandle> {
    let before = state.get_cluster(name)?;
    let Some(previous) = before else {
        return Err(Error::new(
            ErrorKind::ClusterDoesNotExist,
            format!(
                "{YELLOW}Cluster {} does not exist.{RESET}",
                py_str_repr(name)
            ),
        ));
    };
    let record = match refresh_cluster(state, name, false)? {
        Some(r) => r,
        None => {
            let mut actions = Vec::new();
            if previous.autostop > 0 && previous.to_down {
                actions.push("autodowned");
            }
            actions.push("manually terminated in console");
            let message = if actions.len() > 1 {
                " It was either autodowned, or manually terminated in console.".to_string()
            } else {
                " It was likely manually terminated in console.".to_string()
            };
            return Err(Error::new(
                ErrorKind::ClusterDoesNotExist,
                format!(
                    "{YELLOW}Cluster {} not found on the cloud provider.{message}{RESET}",
                    py_str_repr(name)
                ),
            ));
        }
    };
    if !matches!(
        record.status,
        ClusterStatus::Up | ClusterStatus::Autostopping
    ) {
        let hint = if record.status == ClusterStatus::Init {
            format!(
                "{RESET} Wait for a launch to finish, or use this command to try to transition \
                 the cluster to UP: {BRIGHT}sky start {name}{RESET}"
            )
        } else {
            String::new()
        };
        let mut op = operation.to_string();
        if let Some(first) = op.get_mut(0..1) {
            first.make_ascii_uppercase();
        }
        return Err(Error::new(
            ErrorKind::ClusterNotUp,
            format!(
                "{YELLOW}{op}: skipped for cluster {} (status: {}). It is only allowed for UP \
                 and AUTOSTOPPING clusters.{hint}{RESET}",
                py_str_repr(name),
                record.status.as_str()
            ),
        ));
    }
    let handle = ClusterHandle::from_json(&record.handle)?;
    if handle.head_ip().is_none() {
        return Err(Error::new(
            ErrorKind::ClusterNotUp,
            format!(
                "Cluster {} has been stopped or not properly set up. Please re-launch it with \
                 `sky start`.",
                py_str_repr(name)
            ),
        ));
    }
    Ok(handle)
}

/// `core.status`: the records of `names` (all when `None`) after the
/// refresh `mode` asks for; clusters found gone are left out.
pub fn status(
    state: &mut StateDb,
    names: Option<&[String]>,
    mode: RefreshMode,
) -> Result<Vec<ClusterRecord>> {
    let records = match names {
        Some(n) => n
            .iter()
            .filter_map(|name| state.get_cluster(name).transpose())
            .collect::<Result<Vec<_>>>()?,
        None => state.get_clusters()?,
    };
    let mut out = Vec::new();
    for r in records {
        let refreshed = match mode {
            RefreshMode::None => Some(r),
            RefreshMode::Auto => refresh_cluster(state, &r.name, false)?,
            RefreshMode::Force => refresh_cluster(state, &r.name, true)?,
        };
        out.extend(refreshed);
    }
    Ok(out)
}

fn locked_handle(state: &StateDb, name: &str) -> Result<(ClusterRecord, ClusterHandle)> {
    let record = state
        .get_cluster(name)?
        .ok_or_else(|| does_not_exist(name))?;
    let handle = ClusterHandle::from_json(&record.handle)?;
    Ok((record, handle))
}

/// Stops (keeping disks) or terminates every node, then updates the
/// record; finishes what a killed launch or teardown left.
fn teardown(state: &mut StateDb, name: &str, terminate: bool, purge: bool) -> Result<()> {
    let _lock = ClusterLock::acquire(name)?;
    let (record, mut handle) = locked_handle(state, name)?;
    // `_maybe_run_teardown_hooks`: the head runs the task's hooks first,
    // best effort (a node already gone has nothing to run them on).
    if matches!(
        record.status,
        ClusterStatus::Up | ClusterStatus::Autostopping
    ) && !handle.nodes.is_empty()
    {
        let event = if terminate { "down" } else { "stop" };
        let _ = handle.agent().and_then(|a| a.run_hooks(event));
    }
    if !handle.provider_name.is_empty() {
        let p = provisioner_for(&handle.provider_name)?;
        if handle.provider_config.is_null() {
            provisioning::bootstrap(&mut handle, true)?;
        }
        let (name_on_cloud, pc) = (&handle.cluster_name_on_cloud, &handle.provider_config);
        let r = if terminate {
            p.terminate_instances(name_on_cloud, pc, false)
        } else {
            p.stop_instances(name_on_cloud, pc, false)
        };
        if let Err(e) = r
            && !purge
        {
            return Err(e);
        }
    }
    super::ssh_config::remove_cluster(name);
    if terminate {
        super::provision_log::remove_cluster_metadata(&handle.cluster_name_on_cloud);
    }
    state.remove_cluster(name, terminate)
}

/// Stores the task's lifecycle hooks (`config.hooks`, the legacy
/// `resources.autostop.hook`) on the head, where autostop, `sky stop` and
/// `sky down` run them; best effort, as a cluster without hooks needs none.
pub fn store_hooks(handle: &ClusterHandle, task: &crate::spec::Task) {
    let hooks: Vec<crate::agent::hooks::Hook> = task
        .resources
        .items()
        .first()
        .and_then(|r| r.hooks.as_ref())
        .map(|list| {
            list.iter()
                .filter_map(|m| {
                    use crate::yaml::Value;
                    let run = m.get("run")?.as_str()?.to_string();
                    let events = match m.get("events") {
                        Some(Value::Seq(e)) => e.iter().map(Value::py_str).collect(),
                        _ => crate::agent::hooks::EVENTS.map(str::to_string).to_vec(),
                    };
                    let timeout = match m.get("timeout") {
                        Some(Value::Int(t)) if *t > 0 => *t as u64,
                        _ => crate::agent::hooks::DEFAULT_TIMEOUT_SECONDS,
                    };
                    Some(crate::agent::hooks::Hook {
                        run,
                        events,
                        timeout,
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    // No hooks: nothing to store (and no agent call on every launch).
    if hooks.is_empty() {
        return;
    }
    if let Ok(agent) = handle.agent() {
        let _ = agent.set_hooks(&hooks);
    }
}

/// `core.stop`: stops every node (keeping its disk) and records STOPPED.
pub fn stop(state: &mut StateDb, name: &str, purge: bool) -> Result<()> {
    if let Ok((_, handle)) = locked_handle(state, name) {
        check_stop_supported(name, &handle.launched_resources)?;
    }
    teardown(state, name, false, purge)
}

/// `core.stop`'s feature check: clouds that cannot stop (SSH node pools,
/// Kubernetes) or cannot stop spot instances (AWS) refuse with SkyPilot's
/// message.
fn check_stop_supported(name: &str, lr: &super::LaunchedResources) -> Result<()> {
    let Some(cloud) = crate::clouds::by_name(&lr.cloud) else {
        return Ok(());
    };
    let r = crate::spec::Resources {
        use_spot: lr.use_spot,
        ..Default::default()
    };
    if !cloud
        .unsupported_features(&r)
        .iter()
        .any(|(f, _)| *f == crate::clouds::Feature::Stop)
    {
        return Ok(());
    }
    Err(Error::new(
        ErrorKind::NotSupported,
        format!(
            "{YELLOW}Stopping cluster {}... skipped.{RESET}\n  {}.\n  To terminate the cluster \
             instead, run: {BRIGHT}sky down {name}",
            py_str_repr(name),
            stop_not_supported_message(lr)
        ),
    ))
}

/// `_stop_not_supported_message`: spot names `str(cloud)`, anything else
/// the cloud's display name.
fn stop_not_supported_message(lr: &super::LaunchedResources) -> String {
    if lr.use_spot {
        return format!(
            "Stopping spot instances is currently not supported on {}",
            lr.cloud_display()
        );
    }
    let display = match lr.cloud.as_str() {
        "ssh" => "SSH Node Pools".to_string(),
        _ => lr.cloud_display(),
    };
    format!("Stopping is currently not supported for {display}")
}

/// `core.down`: removes every node and the record, tolerating nodes
/// already gone.
pub fn down(state: &mut StateDb, name: &str, purge: bool) -> Result<()> {
    teardown(state, name, true, purge)
}

/// `core.start`: restarts a STOPPED (or INIT) cluster in place, then sets
/// autostop if asked. An UP cluster is left alone unless `force`.
#[allow(clippy::too_many_arguments)]
pub fn start(
    state: &mut StateDb,
    name: &str,
    idle_minutes_to_autostop: Option<i64>,
    wait_for: Option<WaitFor>,
    down: bool,
    retry_until_up: bool,
    force: bool,
    progress: ProgressSink<'_>,
) -> Result<ClusterHandle> {
    let handle = {
        let _lock = ClusterLock::acquire(name)?;
        let (record, handle) = locked_handle(state, name)?;
        if handle.provider_name.is_empty() {
            return Err(Error::new(
                ErrorKind::ClusterNotUp,
                format!(
                    "Cluster {} was never provisioned; launch it with `sky launch`.",
                    py_str_repr(name)
                ),
            ));
        }
        if record.status == ClusterStatus::Up && !force {
            progress(Progress::Info(format!(
                "Cluster {} is already up.",
                py_str_repr(name)
            )));
            handle
        } else {
            let info = RecordInfo {
                command: Some("sky start".into()),
                ..Default::default()
            };
            provision(
                state,
                handle,
                &info,
                Some(record.status),
                retry_until_up,
                progress,
            )?
        }
    };
    if let Some(idle) = idle_minutes_to_autostop {
        set_autostop_on(state, &handle, idle, wait_for.unwrap_or_default(), down)?;
    }
    Ok(handle)
}

/// `core.autostop`: sets (or with a negative value cancels) autostop.
pub fn set_autostop(
    state: &mut StateDb,
    name: &str,
    idle_minutes: i64,
    wait_for: Option<WaitFor>,
    down: bool,
) -> Result<()> {
    let handle = check_cluster_available(state, name, "setting autostop")?;
    set_autostop_on(
        state,
        &handle,
        idle_minutes,
        wait_for.unwrap_or_default(),
        down,
    )
}

/// `core.endpoints`: `port -> "<head ip>:<port>"` for the cluster's opened
/// ports (one `port` only when given), expanding ranges like `8000-8002`.
pub fn endpoints(
    state: &mut StateDb,
    name: &str,
    port: Option<u16>,
) -> Result<std::collections::BTreeMap<u16, String>> {
    let handle = check_cluster_available(state, name, "getting endpoints")?;
    let ip = handle.head_ip().unwrap_or_default().to_string();
    let mut out = std::collections::BTreeMap::new();
    for spec in &handle.launched_resources.ports {
        let (lo, hi) = match spec.split_once('-') {
            Some((a, b)) => (a.trim().parse::<u16>(), b.trim().parse::<u16>()),
            None => (spec.trim().parse::<u16>(), spec.trim().parse::<u16>()),
        };
        let (Ok(lo), Ok(hi)) = (lo, hi) else {
            continue;
        };
        for p in lo..=hi {
            if port.is_none_or(|want| want == p) {
                out.insert(p, format!("{ip}:{p}"));
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::LaunchedResources;

    fn lr(cloud: &str, use_spot: bool) -> LaunchedResources {
        LaunchedResources {
            cloud: cloud.into(),
            use_spot,
            ..Default::default()
        }
    }

    #[test]
    fn stop_refused_for_aws_spot_only() {
        assert!(check_stop_supported("c", &lr("aws", false)).is_ok());
        let e = check_stop_supported("c", &lr("aws", true)).unwrap_err();
        assert_eq!(e.kind, ErrorKind::NotSupported);
        assert_eq!(
            e.message,
            format!(
                "{YELLOW}Stopping cluster 'c'... skipped.{RESET}\n  Stopping spot instances is \
                 currently not supported on AWS.\n  To terminate the cluster instead, run: \
                 {BRIGHT}sky down c"
            )
        );
        let e = check_stop_supported("c", &lr("ssh", false)).unwrap_err();
        assert!(
            e.message
                .contains("  Stopping is currently not supported for SSH Node Pools.\n"),
            "{}",
            e.message
        );
    }
}
