//! A launch through `backend::launch` on AWS (moto behind the capacity
//! proxy): the optimizer picks m6i.large in us-east-1 from the shared
//! catalogs, the failover loop tries zone after zone (the first two
//! refuse), and the instances come up with the task's tags, zone, spot
//! and ports. The label `stix-local-aws: off` keeps the local AWS from
//! giving the instance an SSH host (as a VM that never boots), so the
//! launch stops at the SSH wait naming the host, and nothing is left in
//! moto afterwards.

#![cfg(feature = "aws")]

mod aws_support;
mod common;

use aws_support::*;
use stix::backend::{self, LaunchOptions, Progress};
use stix::provision::aws_client::ec2;
use stix::provision::aws_network::zone_name;

const TASK: &str = "name: web
resources:
  infra: aws/us-east-1
  instance_type: m6i.large
  use_spot: true
  ports: 8080
  labels:
    team: ml
    stix-local-aws: 'off'
run: echo hi
";

fn live() -> Vec<aws_sdk_ec2::types::Instance> {
    all_instances()
        .into_iter()
        .filter(|i| i.state().and_then(|s| s.name()).map(|n| n.as_str()) != Some("terminated"))
        .collect()
}

#[test]
fn launch_fails_over_zones_and_leaves_nothing() {
    let Some(moto) = moto_url() else { return };
    let Some(src) = test_catalogs() else { return };
    let _g = serial();
    let Some(proxy) = start_proxy(&moto) else {
        return;
    };
    use_endpoint(&proxy.url);
    reset(&moto);
    let vpc = make_vpc();
    // Subnets for the catalog's other us-east-1 zones (make_vpc has a-c).
    add_subnets(&vpc, 3..6);
    let w = common::World::new("aws-launch");
    aws_home(&w.home, &src);
    // SAFETY: tests in this binary run one at a time (World, serial).
    unsafe {
        std::env::set_var("STIX_ASSUME_ENABLED", "aws");
        std::env::set_var(backend::failover::RETRY_GAP_ENV, "0");
        std::env::set_var("STIX_SSH_WAIT_TIMEOUT", "2");
    }
    // The two cheapest spot zones (catalog zone ids) refuse capacity; the
    // optimizer then picks the next cheapest, use1-az6.
    let c = ec2(REGION).unwrap();
    let first = zone_name(&c, "use1-az1").unwrap();
    let second = zone_name(&c, "use1-az5").unwrap();
    let third = zone_name(&c, "use1-az6").unwrap();
    refuse(&proxy, &format!("{first},{second}"));

    let mut state = w.state();
    let mut lines = Vec::new();
    let mut seen = Vec::new();
    let opts = LaunchOptions {
        cluster_name: Some("web".into()),
        ..Default::default()
    };
    let r = backend::launch(&mut state, &common::task(TASK), &opts, &mut |p| match p {
        Progress::Info(l) => lines.push(common::plain(&l)),
        // Up and tagged before the SSH wait.
        Progress::Spinner(s) if s == "Waiting for SSH" => seen = live(),
        _ => {}
    });
    let out = lines.join("\n");
    let e = match r {
        Ok(_) => panic!("launched without a host behind moto?\n{out}"),
        Err(e) => e,
    };
    assert_eq!(
        refused(&proxy),
        vec![first.clone(), second.clone()],
        "{out}"
    );
    for zone in [&first, &second] {
        assert!(
            out.contains("AWS handler error: ") && out.contains(zone.as_str()),
            "{zone}\n{out}"
        );
    }

    // One spot m6i.large in the third zone, tagged, in the ports group.
    assert_eq!(seen.len(), 1, "{out}");
    let i = &seen[0];
    assert_eq!(i.instance_type().map(|t| t.as_str()), Some("m6i.large"));
    assert_eq!(
        i.placement().and_then(|p| p.availability_zone()),
        Some(third.as_str())
    );
    assert_eq!(
        i.instance_lifecycle().map(|l| l.as_str()),
        Some("spot"),
        "{i:?}"
    );
    // The launch stops at the node's SSH (nothing behind moto's IPs), with
    // an error naming the host.
    let ip = i.private_ip_address().unwrap_or("?");
    assert!(e.message.contains(ip), "{ip}: {e}\n{out}");
    // Zone names, as SkyPilot prints them once it has the account's
    // zone id -> name mapping (fetched into the catalog directory).
    assert!(
        out.contains(&format!("Launching on AWS us-east-1 ({third}).")),
        "{out}"
    );
    assert!(!out.contains("use1-az"), "{out}");
    let mappings = std::fs::read_dir(w.home.join(".sky/catalogs/v8/aws"))
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with("az_mappings-"))
        .count();
    assert_eq!(mappings, 1);
    let tag = |k: &str| {
        i.tags()
            .iter()
            .find(|t| t.key() == Some(k))
            .and_then(|t| t.value())
            .map(str::to_string)
    };
    assert_eq!(tag("team").as_deref(), Some("ml"));
    assert!(tag("skypilot-user").is_some());
    let groups: Vec<_> = i
        .security_groups()
        .iter()
        .filter_map(|g| g.group_name())
        .collect();
    assert!(groups.contains(&"sky-sg-web"), "{groups:?}");

    // `sky down` (or the failed launch's own cleanup) leaves nothing.
    let _ = backend::down(&mut state, "web", false);
    assert!(live().is_empty(), "{:?}", live());
    assert_eq!(groups_named("sky-sg-web"), 0);
    refuse(&proxy, "");
}
