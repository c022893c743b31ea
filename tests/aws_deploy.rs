//! The AWS provider config built from a launchable and the config file
//! (SkyPilot's deploy variables): images from the shared catalogs' `aws/images.csv`,
//! disk tiers, security group names, `aws.*` config keys and labels as tags.
//! Needs no AWS and no moto.

#![cfg(feature = "aws")]

mod catalog_support;

use std::collections::BTreeMap;

use stix::config::load::Env;
use stix::error::ErrorKind;
use stix::provision::aws_deploy::{DeployRequest, default_security_group_name, provider_config};

fn request(cluster: &str) -> DeployRequest {
    DeployRequest {
        cluster_name: cluster.into(),
        region: "us-east-1".into(),
        zones: vec!["us-east-1a".into(), "us-east-1b".into()],
        instance_type: "p4d.24xlarge".into(),
        accelerator: Some("A100".into()),
        user: "alice".into(),
        labels: BTreeMap::from([("team".to_string(), "ml".to_string())]),
        ssh_key: ("/k/sky-key".into(), "ssh-ed25519 AAAA k".into()),
        ..Default::default()
    }
}

#[test]
fn provider_config_from_resources_and_config() {
    let Some((home, cat)) = catalog_support::catalogs("aws-deploy") else {
        return;
    };
    let config = home.join("config.yaml");
    std::fs::write(
        &config,
        "aws:\n  vpc_name: stix-test-vpc\n  use_internal_ips: true\n  labels:\n    cost-center: research\n  security_group_name:\n    - web-*: my-web-sg\n",
    )
    .unwrap();
    let env = Env::fixed(
        &[
            ("HOME", home.to_str().unwrap()),
            ("SKYPILOT_GLOBAL_CONFIG", config.to_str().unwrap()),
        ],
        &home,
    );

    // A GPU instance gets SkyPilot's GPU image of the region.
    let c = provider_config(&cat, &env, &request("dev")).unwrap();
    assert_eq!(c.image_id, "ami-041c37c1cd2c36a67");
    assert_eq!(
        c.availability_zone.as_deref(),
        Some("us-east-1a,us-east-1b")
    );
    assert_eq!(c.vpc_name.as_deref(), Some("stix-test-vpc"));
    assert!(c.use_internal_ips);
    assert_eq!(c.security_group.group_name, default_security_group_name());
    assert!(c.security_group.managed);
    assert_eq!((c.disk_size, c.disk_tier.as_str()), (256, "gp3"));
    assert_eq!((c.disk_iops, c.disk_throughput), (Some(3500), Some(218)));
    assert_eq!(c.root_device_name, "/dev/sda1");
    assert_eq!(c.ssh_user, "ubuntu");
    assert_eq!(c.tags["skypilot-user"], "alice");
    assert_eq!(c.tags["team"], "ml");
    assert_eq!(c.tags["cost-center"], "research");

    // CPU only: the CPU image. Ports: the cluster's own group.
    let mut r = request("dev");
    r.accelerator = None;
    r.ports = vec!["8080".into()];
    r.disk_tier = Some("low".into());
    let c = provider_config(&cat, &env, &r).unwrap();
    assert_eq!(c.image_id, "ami-0e6842148a3d9982b");
    assert_eq!(c.security_group.group_name, "sky-sg-dev");
    assert!(c.security_group.managed);
    assert_eq!((c.disk_tier.as_str(), c.disk_iops), ("standard", None));

    // `aws.security_group_name` patterns: the user's group, never managed.
    let c = provider_config(&cat, &env, &request("web-1")).unwrap();
    assert_eq!(c.security_group.group_name, "my-web-sg");
    assert!(!c.security_group.managed);

    // image_id: an AMI as is, a tag per region, no image -> failover.
    let mut r = request("dev");
    r.image_id = Some("ami-0123".into());
    assert_eq!(
        provider_config(&cat, &env, &r).unwrap().image_id,
        "ami-0123"
    );
    r.image_id = Some("skypilot:custom-cpu-ubuntu".into());
    assert_eq!(
        provider_config(&cat, &env, &r).unwrap().image_id,
        "ami-0e6842148a3d9982b"
    );
    r.region = "mars-east-1".into();
    let e = provider_config(&cat, &env, &r).unwrap_err();
    assert_eq!(e.kind, ErrorKind::ResourcesUnavailable);
    assert_eq!(
        e.message,
        "No image found in catalog for region mars-east-1. Try setting a valid image_id."
    );
    let _ = std::fs::remove_dir_all(home);
}
