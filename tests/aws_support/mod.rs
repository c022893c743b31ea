//! Shared setup of the AWS tests: the moto server `scripts/test.sh` starts
//! (`STIX_MOTO_URL`), fake credentials, a reset between tests, and the test
//! VPC in 10.213.0.0/16 (the range reserved for this project's test hosts)
//! with one private subnet per zone, and the local AWS (`STIX_LOCAL_AWS`:
//! tests/aws_support/local_aws.py gives each running instance an SSH host at
//! its private IP).

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
/// Zones with a subnet each in `make_vpc` (the first three) and in tests
/// that add more.
pub const ZONES: &[&str] = &[
    "us-east-1a",
    "us-east-1b",
    "us-east-1c",
    "us-east-1d",
    "us-east-1e",
    "us-east-1f",
];

/// The CIDR of the subnet of `ZONES[i]`: the (i+1)-th /24 of this run's
/// block 10.213.N.0/21. scripts/test.sh reserves N (`STIX_TEST_AWS_NET`)
/// so that parallel runs' local AWS hosts never share an address.
pub fn subnet_cidr(i: usize) -> String {
    let base: usize = std::env::var("STIX_TEST_AWS_NET")
        .ok()
        .and_then(|n| n.parse().ok())
        .filter(|n| n % 8 == 0 && *n <= 248)
        .unwrap_or(200);
    format!("10.213.{}.0/24", base + 1 + i)
}

/// The local AWS's state directory (`STIX_LOCAL_AWS`, set by
/// scripts/test.sh when it runs the watcher), or `None` (the caller
/// skips) with the reason printed.
pub fn local_aws() -> Option<std::path::PathBuf> {
    match std::env::var_os("STIX_LOCAL_AWS") {
        Some(d) if std::path::Path::new(&d).join("state.json").exists() => Some(d.into()),
        _ => {
            eprintln!(
                "SKIP: STIX_LOCAL_AWS is not set or its watcher is not running (scripts/test.sh runs tests/aws_support/local_aws.py as root with sshd)"
            );
            None
        }
    }
}

/// The local AWS's last poll: (poll count, instance id -> host IP).
pub fn local_aws_state() -> Option<(u64, std::collections::BTreeMap<String, String>)> {
    let dir = std::env::var_os("STIX_LOCAL_AWS")?;
    let text = std::fs::read_to_string(std::path::Path::new(&dir).join("state.json")).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    let hosts = v["hosts"]
        .as_object()?
        .iter()
        .map(|(k, ip)| (k.clone(), ip.as_str().unwrap_or_default().to_string()))
        .collect();
    Some((v["polls"].as_u64()?, hosts))
}

/// Waits (up to `secs`) until a poll of the local AWS that began after
/// this call has ended with exactly the hosts `want` says; true if so.
pub fn wait_local_aws(
    secs: u64,
    want: impl Fn(&std::collections::BTreeMap<String, String>) -> bool,
) -> bool {
    let Some((start, _)) = local_aws_state() else {
        return false;
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    while std::time::Instant::now() < deadline {
        if let Some((n, hosts)) = local_aws_state()
            && n >= start + 2
            && want(&hosts)
        {
            return true;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    false
}

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

/// Empties moto, and waits until the local AWS (if running) has taken
/// down the hosts of the vanished instances: a new instance may get the
/// same address.
pub fn reset(moto: &str) {
    http(moto, "POST", "/moto-api/reset", "").expect("moto reset");
    if std::env::var_os("STIX_LOCAL_AWS").is_some() {
        assert!(
            wait_local_aws(30, |h| h.is_empty()),
            "the local AWS kept hosts after a moto reset: {:?}",
            local_aws_state()
        );
    }
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
    add_subnets(&vpc_id, 0..3);
    vpc_id
}

/// Subnets of `ZONES[range]` in the VPC.
pub fn add_subnets(vpc_id: &str, range: std::ops::Range<usize>) {
    let c = ec2(REGION).unwrap();
    for i in range {
        block_on(
            c.create_subnet()
                .vpc_id(vpc_id)
                .cidr_block(subnet_cidr(i))
                .availability_zone(ZONES[i])
                .send(),
        )
        .unwrap()
        .unwrap();
    }
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
