//! Shared setup of the AWS tests: the moto server `scripts/test.sh` starts
//! (`STIX_MOTO_URL`), fake credentials, a reset between tests, and the test
//! VPC in 10.213.0.0/16 (the range reserved for this project's test hosts)
//! with one private subnet per zone.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, MutexGuard, Once};

use aws_sdk_ec2::types::{Filter, ResourceType, Tag, TagSpecification};
use stix::provision::aws_client::{block_on, ec2};
use stix::provision::aws_deploy::{AwsProviderConfig, SecurityGroup};

/// The region the tests use.
pub const REGION: &str = "us-east-1";
/// The test VPC's name tag.
pub const VPC_NAME: &str = "stix-test-vpc";
/// Zones with a subnet each, and their CIDRs.
pub const ZONES: &[(&str, &str)] = &[
    ("us-east-1a", "10.213.201.0/24"),
    ("us-east-1b", "10.213.202.0/24"),
    ("us-east-1c", "10.213.203.0/24"),
];

/// `host:port` of an `http://host:port` URL.
fn authority(url: &str) -> &str {
    url.trim_start_matches("http://").trim_end_matches('/')
}

/// A minimal HTTP/1.0 request (the tests need no HTTP client crate).
pub fn http(url: &str, method: &str, path: &str, body: &str) -> Option<String> {
    let mut s = TcpStream::connect(authority(url)).ok()?;
    let req = format!(
        "{method} {path} HTTP/1.0\r\nHost: {}\r\nContent-Length: {}\r\n\r\n{body}",
        authority(url),
        body.len()
    );
    s.write_all(req.as_bytes()).ok()?;
    let mut out = String::new();
    s.read_to_string(&mut out).ok()?;
    Some(
        out.split_once("\r\n\r\n")
            .map(|x| x.1.to_string())
            .unwrap_or_default(),
    )
}

/// The moto server's URL, or `None` (the caller skips) with the reason
/// printed.
pub fn moto_url() -> Option<String> {
    let Ok(url) = std::env::var("STIX_MOTO_URL") else {
        eprintln!(
            "SKIP: STIX_MOTO_URL is not set (scripts/test.sh starts moto_server and sets it)"
        );
        return None;
    };
    if TcpStream::connect(authority(&url)).is_err() {
        eprintln!("SKIP: moto is not reachable at {url}");
        return None;
    }
    Some(url)
}

/// Points the AWS SDK at `endpoint` with fake credentials, once per test
/// process (aws-config reads the environment when the first client is made).
pub fn use_endpoint(endpoint: &str) {
    static ONCE: Once = Once::new();
    let endpoint = endpoint.to_string();
    ONCE.call_once(move || {
        let none = std::env::temp_dir().join("stix-aws-tests-no-such-file");
        // SAFETY: called once, before any thread of this test process reads
        // the environment through aws-config.
        unsafe {
            std::env::set_var("AWS_ENDPOINT_URL", &endpoint);
            std::env::set_var("AWS_ACCESS_KEY_ID", "testing");
            std::env::set_var("AWS_SECRET_ACCESS_KEY", "testing");
            std::env::set_var("AWS_DEFAULT_REGION", REGION);
            std::env::set_var("AWS_EC2_METADATA_DISABLED", "true");
            std::env::set_var("AWS_CONFIG_FILE", &none);
            std::env::set_var("AWS_SHARED_CREDENTIALS_FILE", &none);
            std::env::remove_var("AWS_PROFILE");
        }
    });
}

/// Serializes the tests of one binary: they share one moto server.
pub fn serial() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

/// Empties moto.
pub fn reset(moto: &str) {
    http(moto, "POST", "/moto-api/reset", "").expect("moto reset");
}

/// Creates the test VPC and its subnets; returns the VPC id.
pub fn make_vpc() -> String {
    let c = ec2(REGION).unwrap();
    let vpc = block_on(
        c.create_vpc()
            .cidr_block("10.213.0.0/16")
            .tag_specifications(
                TagSpecification::builder()
                    .resource_type(ResourceType::Vpc)
                    .tags(Tag::builder().key("Name").value(VPC_NAME).build())
                    .build(),
            )
            .send(),
    )
    .unwrap()
    .unwrap();
    let vpc_id = vpc.vpc().unwrap().vpc_id().unwrap().to_string();
    for (zone, cidr) in ZONES {
        block_on(
            c.create_subnet()
                .vpc_id(&vpc_id)
                .cidr_block(*cidr)
                .availability_zone(*zone)
                .send(),
        )
        .unwrap()
        .unwrap();
    }
    vpc_id
}

/// A provider config for the test VPC (private subnets, internal IPs).
pub fn config() -> AwsProviderConfig {
    let mut tags = std::collections::BTreeMap::new();
    tags.insert("skypilot-user".to_string(), "tester".to_string());
    tags.insert("team".to_string(), "infra".to_string());
    AwsProviderConfig {
        region: REGION.into(),
        vpc_name: Some(VPC_NAME.into()),
        use_internal_ips: true,
        security_group: SecurityGroup {
            group_name: stix::provision::aws_deploy::default_security_group_name(),
            managed: true,
        },
        instance_type: "m6i.large".into(),
        image_id: "ami-1e749f67".into(),
        root_device_name: "/dev/sda1".into(),
        disk_size: 256,
        disk_tier: "gp3".into(),
        disk_iops: Some(3500),
        disk_throughput: Some(218),
        tags,
        ssh_user: "ubuntu".into(),
        ssh_public_key:
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBqJ6OQm2f3t5zzGwzLZb4nCpxy8qG6T7c5mB4Dyq1mK test"
                .into(),
        ssh_private_key: "/tmp/sky-key".into(),
        ..Default::default()
    }
}

/// `bootstrap_instances` of `cfg` for `count` nodes.
pub fn try_bootstrap(
    p: &dyn stix::provision::Provisioner,
    cluster: &str,
    cfg: &AwsProviderConfig,
    count: u32,
) -> stix::error::Result<stix::provision::ProvisionConfig> {
    p.bootstrap_instances(
        REGION,
        cluster,
        stix::provision::ProvisionConfig {
            provider_config: cfg.to_json(),
            count,
            resume_stopped_nodes: true,
            zone: None,
        },
    )
}

/// The instances of the region (any cluster), with their tags and states.
pub fn all_instances() -> Vec<aws_sdk_ec2::types::Instance> {
    let c = ec2(REGION).unwrap();
    let out = block_on(c.describe_instances().send()).unwrap().unwrap();
    out.reservations()
        .iter()
        .flat_map(|r| r.instances().iter().cloned())
        .collect()
}

/// Security groups named `name`.
pub fn groups_named(name: &str) -> usize {
    let c = ec2(REGION).unwrap();
    let f = Filter::builder().name("group-name").values(name).build();
    block_on(c.describe_security_groups().filters(f).send())
        .unwrap()
        .unwrap()
        .security_groups()
        .len()
}

/// The proxy, killed when dropped.
pub struct Proxy {
    child: Child,
    /// Where the proxy listens.
    pub url: String,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `capacity_proxy.py` in front of moto (`None`: skip).
pub fn start_proxy(moto: &str) -> Option<Proxy> {
    let python = std::env::var("STIX_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/aws_support/capacity_proxy.py"
    );
    let mut child = match Command::new(&python)
        .args([script, "0", moto])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
    {
        Ok(c) => c,
        Err(e) => {
            eprintln!("SKIP: cannot start the capacity proxy with {python}: {e}");
            return None;
        }
    };
    let mut line = String::new();
    BufReader::new(child.stdout.take()?)
        .read_line(&mut line)
        .ok()?;
    let port = line.trim().strip_prefix("ready ")?.to_string();
    Some(Proxy {
        child,
        url: format!("http://127.0.0.1:{port}"),
    })
}

/// Zones the proxy refuses from now on.
pub fn refuse(proxy: &Proxy, zones: &str) {
    http(&proxy.url, "POST", "/__stix/refuse", zones).expect("proxy control");
}

/// Zones refused so far.
pub fn refused(proxy: &Proxy) -> Vec<String> {
    http(&proxy.url, "GET", "/__stix/refused", "")
        .unwrap_or_default()
        .lines()
        .map(str::to_string)
        .collect()
}

/// Subnets for the catalog's other us-east-1 zones (`make_vpc` has a-c),
/// so every zone the optimizer may pick there has one.
pub fn more_subnets(vpc: &str) {
    let c = ec2(REGION).unwrap();
    for (zone, cidr) in [
        ("us-east-1d", "10.213.204.0/24"),
        ("us-east-1e", "10.213.205.0/24"),
        ("us-east-1f", "10.213.206.0/24"),
    ] {
        block_on(
            c.create_subnet()
                .vpc_id(vpc)
                .cidr_block(cidr)
                .availability_zone(zone)
                .send(),
        )
        .unwrap()
        .unwrap();
    }
}
