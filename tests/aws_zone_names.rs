//! Zone names, not the catalog's zone ids, in what `sky launch` prints on
//! AWS: with credentials, the account's zone id -> name mapping is fetched
//! into the catalog directory (SkyPilot's `az_mappings-<hash>.csv`), so a
//! zone given by name is valid and shown in the plan table, zones are
//! tried in SkyPilot's order (price, then zone name), and the "Launching
//! on AWS us-east-1 (us-east-1a)." lines and the failover messages name
//! zones as the user knows them. Moto sits behind the capacity proxy,
//! which refuses every zone here.

#![cfg(feature = "aws")]

mod aws_cli;
mod aws_support;

use aws_cli::{Leftovers, Sky, catalogs, plain};
use aws_support::*;

const TASK: &str = "resources:
  infra: aws/us-east-1
  instance_type: m6i.large
run: echo hi
";

#[test]
fn launch_prints_zone_names() {
    let Some(moto) = moto_url() else { return };
    let Some(src) = catalogs() else { return };
    let _g = serial();
    let Some(proxy) = start_proxy(&moto) else {
        return;
    };
    use_endpoint(&proxy.url);
    reset(&moto);
    let vpc = make_vpc();
    add_subnets(&vpc, 3..6);
    let sky = Sky::new("zones", &src);
    let yaml = sky.write("task.yaml", TASK);

    // A zone named as the account names it is valid and in the plan.
    let (code, out) = sky.run(&[
        "launch",
        "--dryrun",
        "-y",
        "-c",
        "zn",
        "--infra",
        "aws/us-east-1/us-east-1b",
        &yaml,
    ]);
    let out = plain(&out);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains(" AWS (us-east-1b) "), "{out}");
    let mapping = std::fs::read_dir(sky.home.join(".sky/catalogs/v8/aws"))
        .unwrap()
        .filter_map(|e| e.ok())
        .find(|e| e.file_name().to_string_lossy().starts_with("az_mappings-"))
        .expect("the zone mapping was fetched");
    let text = std::fs::read_to_string(mapping.path()).unwrap();
    assert!(
        text.starts_with("AvailabilityZoneName,AvailabilityZone\n"),
        "{text}"
    );
    assert!(text.contains("\nus-east-1a,use1-az"), "{text}");

    // Every zone refuses: each attempt names its zone, in SkyPilot's
    // order (same price everywhere, so by name).
    let zones: Vec<String> = "abcdef".chars().map(|z| format!("us-east-1{z}")).collect();
    refuse(&proxy, &zones.join(","));
    let (code, out) = sky.run(&["launch", "-y", "-c", "zn", &yaml]);
    let out = plain(&out);
    assert_ne!(code, 0, "{out}");
    let tried: Vec<&str> = out
        .lines()
        .filter_map(|l| {
            l.trim()
                .strip_prefix("⚙\u{fe0e} Launching on AWS us-east-1 (")
        })
        .filter_map(|l| l.strip_suffix(")."))
        .collect();
    assert!(tried.len() >= 2, "{out}");
    let mut sorted = tried.clone();
    sorted.sort();
    assert_eq!(tried, sorted, "{out}");
    assert!(
        tried.iter().all(|z| zones.iter().any(|n| n == z)),
        "{tried:?}"
    );
    assert_eq!(refused(&proxy), tried, "{out}");
    for zone in &tried {
        assert!(
            out.contains("AWS handler error: ") && out.contains(&format!("({zone})")),
            "{zone}: {out}"
        );
    }
    assert!(!out.contains("use1-az"), "{out}");
    assert!(
        out.contains("Failed to acquire resources in all zones in us-east-1 for {AWS(m6i.large"),
        "{out}"
    );

    refuse(&proxy, "");
    let (code, out) = sky.run(&["down", "-a", "-y"]);
    assert_eq!(code, 0, "{out}");
    assert!(Leftovers::now().is_empty(), "{:?}", Leftovers::now());
}
