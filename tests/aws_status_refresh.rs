//! Instances changed behind stix's back (through the EC2 API of moto):
//! `sky status -r` reconciles the records as SkyPilot 0.14.1's
//! `_update_cluster_status` does. All nodes terminated -> the cluster is
//! gone (with its own security group); all stopped -> STOPPED; one node of two terminated, or only the
//! worker stopped, or the head stopped and the worker terminated -> INIT
//! with SkyPilot's "Cluster is abnormal because ..."
//! event. The clusters are recorded the way a launch records them (the
//! provisioner's instances in the handle, status UP), so no SSH host is
//! needed.

#![cfg(feature = "aws")]

mod aws_cli;
mod aws_support;

use aws_cli::{Leftovers, Sky, catalogs};
use aws_support::*;
use serde_json::Value;
use stix::backend::LaunchedResources;
use stix::backend::provisioning::{RecordInfo, bootstrap, new_handle, save};
use stix::provision::aws::AwsProvisioner;
use stix::provision::aws_client::{block_on, ec2};
use stix::provision::{ProvisionConfig, Provisioner};
use stix::state::StateDb;

/// Provisions `nodes` instances for `name` and records the cluster UP, as
/// a finished launch leaves it; returns the instance ids, head first. A
/// cluster with `ports` has its own security group `sky-sg-<name>`.
fn launched(state: &mut StateDb, name: &str, nodes: u32, ports: &[&str]) -> Vec<String> {
    let p = AwsProvisioner;
    let lr = LaunchedResources {
        cloud: "aws".into(),
        region: Some(REGION.into()),
        instance_type: Some("m6i.large".into()),
        cpus: Some(2.0),
        memory_gb: Some(8.0),
        ports: ports.iter().map(|p| p.to_string()).collect(),
        ..Default::default()
    };
    let mut handle = new_handle(name, lr, nodes);
    let mut cfg = config();
    if !ports.is_empty() {
        cfg.security_group.group_name = format!("sky-sg-{name}");
    }
    handle.provider_config = cfg.to_json();
    let cfg: ProvisionConfig = bootstrap(&mut handle, true).unwrap();
    p.run_instances(REGION, name, &cfg).unwrap();
    if !handle.launched_resources.ports.is_empty() {
        let ports = handle.launched_resources.ports.clone();
        p.open_ports(name, &ports, &handle.provider_config).unwrap();
    }
    let info = p
        .get_cluster_info(REGION, name, &handle.provider_config)
        .unwrap();
    handle.nodes = info
        .instances
        .into_iter()
        .map(|i| stix::agent::NodeSpec {
            instance_id: i.instance_id,
            internal_ip: i.internal_ip,
            runner: i.runner,
            resources: i.resources,
        })
        .collect();
    let record = RecordInfo {
        is_launch: true,
        command: Some(format!("sky launch -c {name}")),
        ..Default::default()
    };
    save(state, &handle, &record, true).unwrap();
    handle.nodes.iter().map(|n| n.instance_id.clone()).collect()
}

fn terminate(id: &str) {
    let c = ec2(REGION).unwrap();
    block_on(c.terminate_instances().instance_ids(id).send())
        .unwrap()
        .unwrap();
}

fn stop(id: &str) {
    let c = ec2(REGION).unwrap();
    block_on(c.stop_instances().instance_ids(id).send())
        .unwrap()
        .unwrap();
}

/// `sky status -o json [-r]`: name -> record.
fn records(sky: &Sky, refresh: bool) -> serde_json::Map<String, Value> {
    sky.status_json(refresh)
        .into_iter()
        .map(|r| (r["name"].as_str().unwrap_or_default().to_string(), r))
        .collect()
}

#[test]
fn status_refresh_reconciles_changes_behind_our_back() {
    let Some(moto) = moto_url() else { return };
    let Some(src) = catalogs() else { return };
    let _g = serial();
    use_endpoint(&moto);
    reset(&moto);
    make_vpc();
    let sky = Sky::new("refresh", &src);
    let mut state = StateDb::open_at(&sky.home.join(".sky/state.db")).unwrap();
    let gone = launched(&mut state, "gone", 1, &["8080"]);
    let halted = launched(&mut state, "halted", 1, &[]);
    let half = launched(&mut state, "half", 2, &[]);
    let halfstop = launched(&mut state, "halfstop", 2, &[]);
    let mixed = launched(&mut state, "mixed", 2, &[]);
    assert_eq!(groups_named("sky-sg-gone"), 1);
    let before = records(&sky, false);
    for name in ["gone", "halted", "half", "halfstop", "mixed"] {
        assert_eq!(before[name]["status"], "UP", "{name}: {:?}", before[name]);
    }

    terminate(&gone[0]);
    stop(&halted[0]);
    terminate(&half[1]);
    stop(&halfstop[1]);
    // Stopped head, terminated worker: abnormal, not STOPPED.
    stop(&mixed[0]);
    terminate(&mixed[1]);
    // Without -r nothing is asked of the cloud (no autostop is set).
    assert_eq!(records(&sky, false).len(), 5);

    let after = records(&sky, true);
    let mut names: Vec<&String> = after.keys().collect();
    names.sort();
    assert_eq!(names, ["half", "halfstop", "halted", "mixed"], "{after:?}");
    assert_eq!(after["halted"]["status"], "STOPPED");
    assert_eq!(
        after["halted"]["last_event"],
        "All nodes stopped, cleaning up the cluster."
    );
    assert_eq!(after["half"]["status"], "INIT");
    assert_eq!(
        after["half"]["last_event"],
        "Cluster is abnormal because one or more nodes terminated. Transitioned to INIT \
         (details: cluster is unhealthy)."
    );
    assert_eq!(after["mixed"]["status"], "INIT");
    assert_eq!(after["mixed"]["last_event"], after["half"]["last_event"]);
    assert_eq!(after["halfstop"]["status"], "INIT");
    assert_eq!(
        after["halfstop"]["last_event"],
        "Cluster is abnormal because some but not all nodes are stopped. Transitioned to \
         INIT (details: cluster is unhealthy)."
    );
    // The terminated cluster's record is gone for good, and its own
    // security group with it (SkyPilot's `post_teardown_cleanup`).
    assert_eq!(groups_named("sky-sg-gone"), 0);
    assert!(!records(&sky, false).contains_key("gone"));
    let (code, out) = sky.run(&["status", "gone"]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("Cluster(s) not found: ") && out.contains("gone"),
        "{out}"
    );

    // A second refresh changes nothing (INIT stays INIT, STOPPED stays).
    let again = records(&sky, true);
    assert_eq!(again["half"]["status"], "INIT");
    assert_eq!(again["halted"]["status"], "STOPPED");

    // `sky down` removes what is left, stopped nodes included.
    let (code, out) = sky.run(&["down", "-a", "-y"]);
    assert_eq!(code, 0, "{out}");
    assert!(Leftovers::now().is_empty(), "{:?}", Leftovers::now());
    assert!(records(&sky, false).is_empty());
}
