//! What `sky status -r` makes of a cluster's instances as the cloud
//! reports them (SkyPilot's `_update_cluster_status`): none left -> the
//! record goes, and the cluster's ports (its own security group) with it; all stopped -> STOPPED; all up -> ask the runtime; any
//! other mix (a node terminated or stopped behind stix's back, a node
//! still pending) -> INIT with SkyPilot's reason as the cluster's event.

use super::ClusterHandle;
use crate::error::Result;
use crate::provision::{InstanceStatus, Provisioner};
use crate::state::{ClusterRecord, ClusterStatus, StateDb, now_secs};

/// `ABNORMAL_STATUS_REASON_PREFIX`.
pub const ABNORMAL_PREFIX: &str = "Cluster is abnormal because";

/// `_LAUNCH_DOUBLE_CHECK_WINDOW`: an INIT cluster launched this recently
/// whose instances the cloud does not list yet is asked about once more.
pub const LAUNCH_DOUBLE_CHECK_WINDOW_SECONDS: i64 = 60;

/// `_LAUNCH_DOUBLE_CHECK_DELAY`.
pub const LAUNCH_DOUBLE_CHECK_DELAY: std::time::Duration = std::time::Duration::from_secs(1);

/// The decision for one cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// No instance is left: the cluster is gone.
    Terminated,
    /// Every node is stopped.
    Stopped,
    /// Every node is up: the runtime decides between UP and INIT.
    AllUp,
    /// Abnormal: INIT, for this reason (`init_reason`).
    Abnormal(String),
}

/// Judges the non-terminated instances `live` of a cluster of
/// `launched_nodes` nodes.
pub fn judge(live: &[InstanceStatus], launched_nodes: usize) -> Verdict {
    if live.is_empty() {
        return Verdict::Terminated;
    }
    let some_terminated = live.len() < launched_nodes;
    if !some_terminated && live.iter().all(|s| *s == InstanceStatus::Up) {
        return Verdict::AllUp;
    }
    let pending = live.iter().filter(|s| **s == InstanceStatus::Init).count();
    if some_terminated {
        Verdict::Abnormal("one or more nodes terminated".into())
    } else if pending > 0 {
        Verdict::Abnormal(format!(
            "{pending} of {launched_nodes} node(s) in unexpected state: INIT"
        ))
    } else if live.iter().any(|s| *s != InstanceStatus::Stopped) {
        Verdict::Abnormal("some but not all nodes are stopped".into())
    } else {
        Verdict::Stopped
    }
}

/// `init_reason` when every node is up but the runtime does not answer.
pub fn runtime_unhealthy(details: &str) -> String {
    format!("ray cluster is unhealthy ({details})")
}

/// The cluster event of an abnormal cluster.
pub fn abnormal_event(init_reason: &str) -> String {
    format!(
        "{ABNORMAL_PREFIX} {init_reason}. Transitioned to INIT (details: cluster is unhealthy)."
    )
}

/// The cluster event when every node is stopped or gone.
pub fn cleanup_event(terminated: bool) -> String {
    let verb = if terminated { "terminated" } else { "stopped" };
    format!("All nodes {verb}, cleaning up the cluster.")
}

/// Reconciles `record` (whose lock the caller holds) with what the
/// provisioner `p` reports for `handle`'s instances; returns the record
/// afterwards (`None` once the cluster is gone).
pub fn apply(
    state: &mut StateDb,
    record: &ClusterRecord,
    handle: &ClusterHandle,
    p: &dyn Provisioner,
) -> Result<Option<ClusterRecord>> {
    let name = record.name.as_str();
    let query = |handle: &ClusterHandle| -> Result<(Vec<InstanceStatus>, Vec<String>)> {
        let statuses =
            p.query_instances(&handle.cluster_name_on_cloud, &handle.provider_config, true)?;
        Ok((
            statuses.values().filter_map(|(s, _)| *s).collect(),
            statuses.values().filter_map(|(_, r)| r.clone()).collect(),
        ))
    };
    let launched = handle.launched_nodes as usize;
    let (mut live, mut reasons) = query(handle)?;
    let mut verdict = judge(&live, launched);
    let launched_recently = record
        .launched_at
        .is_some_and(|t| now_secs() - t < LAUNCH_DOUBLE_CHECK_WINDOW_SECONDS);
    if verdict == Verdict::Terminated && record.status == ClusterStatus::Init && launched_recently {
        // Instances of a launch that just began may not be listed yet.
        std::thread::sleep(LAUNCH_DOUBLE_CHECK_DELAY);
        (live, reasons) = query(handle)?;
        verdict = match judge(&live, launched) {
            // Found only now: abnormal all the same.
            Verdict::AllUp => Verdict::Abnormal("some but not all nodes are stopped".into()),
            v => v,
        };
    }
    // What the infra says about unhealthy nodes (a lost SSH host) becomes
    // the cluster's last event (`sky status -v`'s LAST_EVENT).
    if !reasons.is_empty() {
        super::lifecycle::record_last_event(state, record, &reasons.join("; "))?;
    }
    let init_reason = match verdict {
        Verdict::Terminated => {
            // `post_teardown_cleanup`: what outlives the instances (the
            // cluster's own security group) goes with the record.
            p.cleanup_ports(
                &handle.cluster_name_on_cloud,
                &handle.launched_resources.ports,
                &handle.provider_config,
            )?;
            state.remove_cluster(name, true)?;
            return Ok(None);
        }
        Verdict::Stopped => {
            if record.status != ClusterStatus::Stopped {
                super::lifecycle::record_last_event(state, record, &cleanup_event(false))?;
                state.remove_cluster(name, false)?;
            }
            return state.get_cluster(name);
        }
        Verdict::AllUp if handle.nodes.is_empty() => {
            // A launch killed before it saved the nodes.
            runtime_unhealthy("failed to get IPs")
        }
        Verdict::AllUp => match handle.agent().and_then(|a| a.start()) {
            Ok(s) => {
                let up = if s.is_autostopping {
                    ClusterStatus::Autostopping
                } else {
                    ClusterStatus::Up
                };
                state.set_cluster_status(name, up)?;
                return state.get_cluster(name);
            }
            Err(e) => runtime_unhealthy(&e.message),
        },
        Verdict::Abnormal(reason) => reason,
    };
    // SkyPilot records the transition once (not again while INIT).
    if record.status != ClusterStatus::Init && reasons.is_empty() {
        super::lifecycle::record_last_event(state, record, &abnormal_event(&init_reason))?;
    }
    state.set_cluster_status(name, ClusterStatus::Init)?;
    state.get_cluster(name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use InstanceStatus::{Init, Stopped, Up};

    #[test]
    fn verdicts_as_skypilot_decides() {
        assert_eq!(judge(&[], 2), Verdict::Terminated);
        assert_eq!(judge(&[Up, Up], 2), Verdict::AllUp);
        assert_eq!(judge(&[Stopped, Stopped], 2), Verdict::Stopped);
        let terminated = Verdict::Abnormal("one or more nodes terminated".into());
        assert_eq!(judge(&[Up], 2), terminated);
        // Some terminated and the rest stopped is abnormal, not STOPPED.
        assert_eq!(judge(&[Stopped], 2), terminated);
        assert_eq!(
            judge(&[Up, Stopped], 2),
            Verdict::Abnormal("some but not all nodes are stopped".into())
        );
        assert_eq!(
            judge(&[Init, Up], 2),
            Verdict::Abnormal("1 of 2 node(s) in unexpected state: INIT".into())
        );
        assert_eq!(
            abnormal_event("one or more nodes terminated"),
            "Cluster is abnormal because one or more nodes terminated. Transitioned to INIT \
             (details: cluster is unhealthy)."
        );
    }
}
