//! Capacity errors through `tests/aws_support/capacity_proxy.py` (a proxy
//! in front of moto that answers RunInstances with EC2's
//! `InsufficientInstanceCapacity` for chosen zones): the provisioner tries
//! the region's zones in order and lands in the first that has capacity;
//! when every zone refuses, the error is `ResourcesUnavailable` (what the
//! backend's failover loop blocks and moves past) and nothing is left.

#![cfg(feature = "aws")]

mod aws_support;

use aws_support::*;
use stix::error::ErrorKind;
use stix::provision;

#[test]
fn zones_fail_over_then_region_unavailable() {
    let Some(moto) = moto_url() else { return };
    let _g = serial();
    let Some(proxy) = start_proxy(&moto) else {
        return;
    };
    use_endpoint(&proxy.url);
    reset(&moto);
    make_vpc();
    let p = provision::get("aws").unwrap();
    let mut cfg = config();
    cfg.availability_zone = Some("us-east-1a,us-east-1b,us-east-1c".into());
    let pc = try_bootstrap(&*p, "fo", &cfg, 1).unwrap();

    // The first two zones refuse: the node lands in the third.
    refuse(&proxy, "us-east-1a,us-east-1b");
    let rec = p.run_instances(REGION, "fo", &pc).unwrap();
    assert_eq!(rec.zone.as_deref(), Some("us-east-1c"));
    assert_eq!(refused(&proxy), vec!["us-east-1a", "us-east-1b"]);
    p.terminate_instances("fo", &pc.provider_config, false)
        .unwrap();

    // Every zone refuses: ResourcesUnavailable, naming EC2's error, and no
    // instance is left behind.
    refuse(&proxy, "us-east-1a,us-east-1b,us-east-1c");
    let e = p.run_instances(REGION, "fo2", &pc).unwrap_err();
    assert_eq!(e.kind, ErrorKind::ResourcesUnavailable);
    assert!(
        e.message.contains("InsufficientInstanceCapacity"),
        "{}",
        e.message
    );
    assert!(
        e.message.contains("An error occurred (InsufficientInstanceCapacity) when calling the RunInstances operation: We currently do not have sufficient m6i.large capacity in the Availability Zone you requested (us-east-1c)."),
        "{}",
        e.message
    );
    assert_eq!(
        refused(&proxy).len(),
        3,
        "each zone tried once, no SDK retries"
    );
    assert!(
        p.query_instances("fo2", &pc.provider_config, true)
            .unwrap()
            .is_empty()
    );
    refuse(&proxy, "");
}
