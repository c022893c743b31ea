use std::sync::Arc;

use super::*;
use crate::catalog::fetch::Offline;
use crate::spec::infra::Cloud;

/// A tiny AWS catalog: one instance type in three zones of one region.
const AWS_VMS: &str = "InstanceType,AcceleratorName,AcceleratorCount,vCPUs,MemoryGiB,GpuInfo,\
Price,SpotPrice,Region,AvailabilityZone
m6i.large,,,2.0,8.0,,0.096,0.03,us-east-1,us-east-1a
m6i.large,,,2.0,8.0,,0.096,0.03,us-east-1,us-east-1b
m6i.large,,,2.0,8.0,,0.096,0.03,us-east-1,us-east-1c
";

fn cat() -> Catalogs {
    let root = std::env::temp_dir().join(format!(
        "stix-failover-unit-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    std::fs::create_dir_all(root.join("aws")).unwrap();
    std::fs::write(root.join("aws/vms.csv"), AWS_VMS).unwrap();
    Catalogs::new(root, Arc::new(Offline))
}

fn at(cloud: &str, region: Option<&str>, zone: Option<&str>) -> Resources {
    Resources {
        cloud: Cloud::from_str(cloud).ok(),
        instance_type: Some("m6i.large".into()),
        region: region.map(String::from),
        zone: zone.map(String::from),
        ..Resources::default()
    }
}

#[test]
fn a_blocked_zone_blocks_only_that_zone() {
    let cat = cat();
    let mut b = Blocklist::default();
    b.add(&cat, at("aws", Some("us-east-1"), Some("us-east-1a")))
        .unwrap();
    assert!(
        b.blocks(&cat, &at("aws", Some("us-east-1"), Some("us-east-1a")))
            .unwrap()
    );
    assert!(
        !b.blocks(&cat, &at("aws", Some("us-east-1"), Some("us-east-1b")))
            .unwrap()
    );
    // The region-level launchable is not blocked by one of its zones.
    assert!(!b.blocks(&cat, &at("aws", Some("us-east-1"), None)).unwrap());
}

#[test]
fn a_blocked_region_covers_its_zones_and_is_not_added_twice() {
    let cat = cat();
    let mut b = Blocklist::default();
    b.add(&cat, at("aws", Some("us-east-1"), None)).unwrap();
    for z in ["us-east-1a", "us-east-1c"] {
        assert!(
            b.blocks(&cat, &at("aws", Some("us-east-1"), Some(z)))
                .unwrap()
        );
    }
    assert!(!b.blocks(&cat, &at("aws", Some("us-west-2"), None)).unwrap());
    // Already covered: `_add_to_blocked_resources` keeps one entry.
    b.add(&cat, at("aws", Some("us-east-1"), Some("us-east-1b")))
        .unwrap();
    assert_eq!(b.as_slice().len(), 1);
    // Spot and on-demand are told apart (`use_spot` always counts).
    let mut spot = at("aws", Some("us-east-1"), None);
    spot.use_spot = true;
    assert!(!b.blocks(&cat, &spot).unwrap());
}

#[test]
fn a_blocked_cloud_covers_every_region() {
    let cat = cat();
    let mut b = Blocklist::default();
    b.add(
        &cat,
        Resources {
            cloud: Cloud::from_str("aws").ok(),
            ..Resources::default()
        },
    )
    .unwrap();
    assert!(b.blocks(&cat, &at("aws", Some("eu-west-1"), None)).unwrap());
    assert!(
        !b.blocks(&cat, &at("gcp", Some("us-central1"), None))
            .unwrap()
    );
}

#[test]
fn zones_are_tried_one_at_a_time() {
    let cat = cat();
    assert_eq!(
        zones_to_try(&cat, &at("aws", Some("us-east-1"), None)).unwrap(),
        ["us-east-1a", "us-east-1b", "us-east-1c"].map(|z| Some(z.to_string()))
    );
    assert_eq!(
        zones_to_try(&cat, &at("aws", Some("us-east-1"), Some("us-east-1b"))).unwrap(),
        vec![Some("us-east-1b".to_string())]
    );
    assert!(
        zones_to_try(&cat, &at("aws", Some("eu-west-1"), None))
            .unwrap()
            .is_empty()
    );
}

#[test]
fn insufficient_messages_name_the_place() {
    let req = "{AWS(m6i.large)}";
    assert_eq!(
        insufficient_msg(&at("aws", Some("us-east-1"), None), req, None),
        "Failed to acquire resources in all zones in us-east-1 for {AWS(m6i.large)}. "
    );
    assert_eq!(
        insufficient_msg(&at("aws", Some("us-east-1"), Some("us-east-1b")), req, None),
        "Failed to acquire resources in us-east-1b for {AWS(m6i.large)}. "
    );
    assert_eq!(
        insufficient_msg(
            &at("ssh", Some("ssh-lab"), None),
            "{SSH()}",
            Some("no room")
        ),
        "Failed to acquire resources in SSH Node Pool (lab) for {SSH()}. The SSH Node Pool \
         may not have enough resources.\nReason: no room"
    );
    assert_eq!(
        insufficient_msg(&at("kubernetes", Some("kind"), None), "{K}", None),
        "Failed to acquire resources in context kind for {K}. "
    );
}

#[test]
fn failure_blocks_list_each_infra() {
    let cat = cat();
    let mut r = at("local", Some("local"), None);
    r.instance_type = Some("2CPU--2GB".into());
    let e = Error::new(ErrorKind::ResourcesUnavailable, "first\nsecond");
    assert_eq!(
        failure_blocks(&cat, &[(r, e)]).unwrap(),
        "Provision failures (tried 1 infra):\n\n\u{2717} Local (local) \u{2014} (cpus=2, mem=2, \
         2CPU--2GB, ...)\n  first\n  second\n"
    );
}

#[test]
fn launching_messages() {
    let mut lr = LaunchedResources {
        cloud: "aws".into(),
        region: Some("us-east-1".into()),
        zone: Some("us-east-1c".into()),
        ..LaunchedResources::default()
    };
    assert_eq!(
        launching_on(&lr),
        "Launching on AWS us-east-1\x1b[0m (us-east-1c)."
    );
    lr.zone = None;
    assert_eq!(launching_on(&lr), "Launching on AWS us-east-1\x1b[0m.");
    lr.cloud = "ssh".into();
    lr.region = Some("ssh-lab".into());
    assert_eq!(launching_on(&lr), "Launching on SSH (lab)");
}

#[test]
fn retry_wording() {
    assert_eq!(
        retry_message("Trying other potential resources."),
        "\x1b[0m\x1b[33m↺\x1b[0m Trying other potential resources."
    );
    assert!(error_message("Failed to provision resources.", "c").ends_with(
        "Failed to provision resources.  \x1b[2mView logs: \x1b[1msky logs --provision c\x1b[0m\x1b[0m"
    ));
}
