//! What `sky status -r` makes of a cluster's instances as the cloud
//! reports them (SkyPilot's `_update_cluster_status`): none left -> the
//! record goes; all stopped -> STOPPED; all up -> ask the runtime; any
//! other mix (a node terminated or stopped behind stix's back, a node
//! still pending) -> INIT with SkyPilot's reason as the cluster's event.

use crate::provision::InstanceStatus;

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
