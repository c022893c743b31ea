//! `sky` on AWS end to end, as a user runs it, against the local AWS: moto
//! for the EC2 API and, for each running instance, a namespace SSH host at
//! its private IP with the `ubuntu` user and the key from its UserData
//! (tests/aws_support/local_aws.py, started by scripts/test.sh). The real
//! CLI binary runs with its own HOME (`~/.sky/config.yaml` names the test
//! VPC with internal IPs, catalogs offline): launch (workdir, setup, run,
//! ports) -> logs -> stop -> start -> exec/queue -> down, on-demand with
//! two nodes and spot with one; moto and the hosts are checked after each
//! step.

#![cfg(feature = "aws")]

mod aws_support;

use std::collections::BTreeMap;
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use aws_sdk_ec2::types::Instance;
use aws_support::*;

/// A user's machine: a HOME with catalogs and config, a task directory.
struct User {
    home: PathBuf,
    moto: String,
}

impl User {
    /// `None` (skip, reason printed) without moto, the local AWS or the
    /// test catalogs.
    fn new(name: &str) -> Option<User> {
        let moto = moto_url()?;
        local_aws()?;
        let src = test_catalogs()?;
        let home = std::env::temp_dir().join(format!("stix-e2e-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&home);
        aws_home(&home, &src);
        std::fs::create_dir_all(home.join("task")).unwrap();
        std::fs::write(home.join("task/data.txt"), "data-from-workdir\n").unwrap();
        Some(User { home, moto })
    }

    /// Runs `sky ARGS` in the task directory: (exit code, stdout + stderr
    /// without colours).
    fn sky(&self, args: &[&str]) -> (i32, String) {
        let none = self.home.join("no-such-file");
        let start = std::time::Instant::now();
        let out = Command::new(env!("CARGO_BIN_EXE_stix"))
            .args(args)
            .current_dir(self.home.join("task"))
            .env("HOME", &self.home)
            .env("USER", "tester")
            .env("AWS_ENDPOINT_URL", &self.moto)
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_DEFAULT_REGION", REGION)
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_CONFIG_FILE", &none)
            .env("AWS_SHARED_CREDENTIALS_FILE", &none)
            .env("STIX_CATALOG_OFFLINE", "1")
            .env("STIX_AGENT_BIN", env!("CARGO_BIN_EXE_stix"))
            .env("SKYPILOT_DISABLE_USAGE_COLLECTION", "1")
            .env_remove("AWS_PROFILE")
            .env_remove("STIX_ASSUME_ENABLED")
            .env_remove("SKYPILOT_USER")
            .output()
            .unwrap();
        eprintln!("sky {}: {:.2?}", args.join(" "), start.elapsed());
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status.code().unwrap_or(-1), plain(&text))
    }

    /// `sky ARGS`, which must succeed; its output.
    fn ok(&self, args: &[&str]) -> String {
        let (code, out) = self.sky(args);
        assert_eq!(code, 0, "sky {}:\n{out}", args.join(" "));
        out
    }

    /// A user with `task.yaml` = `yaml`, moto fresh (the test VPC only),
    /// and `sky check aws` run; `None`: skip.
    fn ready(name: &str, yaml: &str) -> Option<User> {
        let user = User::new(name)?;
        fresh_moto(&user.moto);
        user.ok(&["check", "aws"]);
        std::fs::write(user.home.join("task/task.yaml"), yaml).unwrap();
        Some(user)
    }

    /// `ssh CLUSTER CMD` through the cluster's generated ssh config (ssh
    /// reads `~/.ssh/config` and expands its `Include ~/...` in the passwd
    /// entry's home, not $HOME, so the file is named directly).
    fn ssh(&self, cluster: &str, cmd: &str) -> (bool, String) {
        let out = Command::new("ssh")
            .arg("-F")
            .arg(self.home.join(".sky/generated/ssh").join(cluster))
            .args(["-o", "BatchMode=yes", "-o", "ConnectTimeout=5"])
            .args(["-o", "LogLevel=ERROR", cluster, cmd])
            .output()
            .unwrap();
        (
            out.status.success(),
            format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
        )
    }
}

impl Drop for User {
    fn drop(&mut self) {
        // Whatever a failed assertion left running.
        for c in ["e2e-od", "e2e-spot", "e2e-again"] {
            let _ = self.sky(&["down", "-y", c]);
        }
        let _ = std::fs::remove_dir_all(&self.home);
    }
}

/// Strips ANSI escape sequences.
fn plain(s: &str) -> String {
    let re = regex::Regex::new("\x1b\\[[0-9;]*[A-Za-z]").unwrap();
    re.replace_all(s, "").into_owned()
}

/// Points this process's SDK at moto, resets it and creates the test VPC
/// with a subnet in each us-east-1 zone (the optimizer may pick any).
fn fresh_moto(moto: &str) {
    use_endpoint(moto);
    reset(moto);
    let vpc = make_vpc();
    add_subnets(&vpc, 3..6);
}

/// The cluster's instances that still exist, by id.
fn instances(cluster: &str) -> BTreeMap<String, Instance> {
    all_instances()
        .into_iter()
        .filter(|i| {
            let live = !matches!(
                i.state().and_then(|s| s.name()).map(|n| n.as_str()),
                Some("terminated" | "shutting-down")
            );
            let tagged = i
                .tags()
                .iter()
                .any(|t| t.key() == Some("ray-cluster-name") && t.value() == Some(cluster));
            live && tagged
        })
        .map(|i| (i.instance_id().unwrap_or_default().to_string(), i))
        .collect()
}

fn state_of(i: &Instance) -> &str {
    i.state().and_then(|s| s.name()).map_or("?", |n| n.as_str())
}

/// Instance id -> private IP.
fn ips(instances: &BTreeMap<String, Instance>) -> BTreeMap<String, String> {
    instances
        .iter()
        .map(|(id, i)| (id.clone(), i.private_ip_address().unwrap_or("").into()))
        .collect()
}

/// Waits until the local AWS serves exactly `want` among the cluster's
/// instances `ids` (an empty `want`: none of them).
fn wait_hosts(ids: &[String], want: &BTreeMap<String, String>) {
    let ok = wait_local_aws(60, |hosts| {
        ids.iter().all(|id| hosts.get(id) == want.get(id))
    });
    assert!(ok, "hosts {:?}, want {want:?}", local_aws_state());
}

fn ssh_port_open(ip: &str) -> bool {
    let addr: SocketAddr = format!("{ip}:22").parse().unwrap();
    TcpStream::connect_timeout(&addr, Duration::from_secs(1)).is_ok()
}

/// The ingress (protocol, from, to, CIDRs) of the group `name`.
fn ingress(name: &str) -> Vec<(String, i32, i32, Vec<String>)> {
    use aws_sdk_ec2::types::Filter;
    use stix::provision::aws_client::{block_on, ec2};
    let c = ec2(REGION).unwrap();
    let f = Filter::builder().name("group-name").values(name).build();
    let out = block_on(c.describe_security_groups().filters(f).send())
        .unwrap()
        .unwrap();
    out.security_groups()
        .iter()
        .flat_map(|g| g.ip_permissions().iter())
        .map(|p| {
            (
                p.ip_protocol().unwrap_or("").to_string(),
                p.from_port().unwrap_or(-1),
                p.to_port().unwrap_or(-1),
                p.ip_ranges()
                    .iter()
                    .filter_map(|r| r.cidr_ip().map(str::to_string))
                    .collect(),
            )
        })
        .collect()
}

fn has_port(name: &str, port: i32) -> bool {
    ingress(name).iter().any(|(proto, from, to, cidrs)| {
        proto == "tcp" && *from == port && *to == port && cidrs.contains(&"0.0.0.0/0".into())
    })
}

const ON_DEMAND: &str = "name: e2e
workdir: .
num_nodes: 2
resources:
  infra: aws/us-east-1
  cpus: 2
  ports: 8080
setup: |
  echo \"setup as $(whoami) in $(pwd)\"
  echo kept > ~/setup_marker
  echo gone > /tmp/tmp_marker
run: |
  echo \"run: $(cat data.txt) rank=$SKYPILOT_NODE_RANK nodes=$SKYPILOT_NUM_NODES\"
";

/// launch -> logs -> stop -> start -> exec/queue -> down of a two-node
/// on-demand cluster with a port.
#[test]
fn on_demand_two_nodes_launch_stop_start_down() {
    let _g = serial();
    let Some(user) = User::ready("od", ON_DEMAND) else {
        return;
    };
    let c = "e2e-od";

    // Launch: both nodes up in moto with hosts, setup and run on both.
    let out = user.ok(&["launch", "-y", "-c", c, "task.yaml"]);
    for want in [
        "setup as ubuntu in /home/ubuntu/sky_workdir",
        "run: data-from-workdir rank=0 nodes=2",
        "run: data-from-workdir rank=1 nodes=2",
        "Job finished (status: SUCCEEDED).",
    ] {
        assert!(out.contains(want), "{want}\n{out}");
    }
    assert_eq!(out.matches("setup as ubuntu").count(), 2, "{out}");
    let launched = instances(c);
    assert_eq!(launched.len(), 2, "{launched:?}");
    let ids: Vec<String> = launched.keys().cloned().collect();
    let addrs = ips(&launched);
    for i in launched.values() {
        assert_eq!(state_of(i), "running");
        assert!(i.instance_lifecycle().is_none(), "spot? {i:?}");
        assert_eq!(i.instance_type().map(|t| t.as_str()), Some("m6i.large"));
    }
    wait_hosts(&ids, &addrs);
    let group = format!("sky-sg-{c}");
    assert!(has_port(&group, 8080), "{:?}", ingress(&group));
    assert!(has_port(&group, 22), "{:?}", ingress(&group));

    // The user's view: logs, status, ssh through the generated config.
    let logs = user.ok(&["logs", c, "1"]);
    assert!(logs.contains("run: data-from-workdir rank=1"), "{logs}");
    assert!(user.ok(&["status", c]).contains("UP"));
    // The task's port is served at the head's address (internal IPs here).
    let ep = plain(user.ok(&["status", "--endpoint", "8080", c]).trim());
    assert!(
        addrs.values().any(|ip| ep == format!("{ip}:8080")),
        "{ep} {addrs:?}"
    );
    let (ok, who) = user.ssh(c, "whoami; cat ~/setup_marker");
    assert!(ok && who == "ubuntu\nkept\n", "{who}");

    // Stop: instances stopped in moto, hosts gone, STOPPED.
    user.ok(&["stop", "-y", c]);
    let stopped = instances(c);
    assert_eq!(
        stopped.keys().collect::<Vec<_>>(),
        ids.iter().collect::<Vec<_>>()
    );
    assert!(
        stopped.values().all(|i| state_of(i) == "stopped"),
        "{stopped:?}"
    );
    wait_hosts(&ids, &BTreeMap::new());
    assert!(addrs.values().all(|ip| !ssh_port_open(ip)));
    let status = user.ok(&["status", c]);
    assert!(status.contains("STOPPED"), "{status}");

    // Start: the same instances at the same addresses, the runtime back,
    // the disk kept (home) and /tmp not; earlier jobs still queued.
    let out = user.ok(&["start", "-y", c]);
    assert!(out.contains(&format!("Cluster {c} started.")), "{out}");
    let started = instances(c);
    assert_eq!(ips(&started), addrs);
    assert!(started.values().all(|i| state_of(i) == "running"));
    wait_hosts(&ids, &addrs);
    assert!(user.ok(&["status", c]).contains("UP"));
    let out = user.ok(&[
        "exec",
        c,
        "cat ~/setup_marker; test -e /tmp/tmp_marker || echo tmp-clean; echo exec-ok",
    ]);
    assert!(out.contains("kept"), "{out}");
    assert!(out.contains("tmp-clean"), "{out}");
    assert!(out.contains("exec-ok"), "{out}");
    let queue = user.ok(&["queue", c]);
    assert!(
        queue.contains(" e2e ") && queue.contains("sky-cmd"),
        "{queue}"
    );
    assert_eq!(queue.matches("SUCCEEDED").count(), 2, "{queue}");

    // Down: nothing of the cluster left in moto, no hosts.
    user.ok(&["down", "-y", c]);
    assert!(instances(c).is_empty(), "{:?}", instances(c));
    assert_eq!(groups_named(&group), 0);
    wait_hosts(&ids, &BTreeMap::new());
    assert!(user.ok(&["status"]).contains("No existing clusters."));
}

const SPOT: &str = "name: spot
resources:
  infra: aws/us-east-1
  cpus: 2
  use_spot: true
  ports: 8000-8001
setup: echo \"spot setup as $(whoami)\"
run: echo \"spot run on $(hostname)\"
";

/// A spot cluster: launched as spot with its ports, runs its job, refuses
/// `sky stop` as SkyPilot does on AWS, and `sky down` removes everything.
#[test]
fn spot_launch_and_down() {
    let _g = serial();
    let Some(user) = User::ready("spot", SPOT) else {
        return;
    };
    let c = "e2e-spot";

    let out = user.ok(&["launch", "-y", "-c", c, "task.yaml"]);
    assert!(out.contains("spot setup as ubuntu"), "{out}");
    assert!(out.contains("spot run on "), "{out}");
    let launched = instances(c);
    assert_eq!(launched.len(), 1);
    let i = launched.values().next().unwrap();
    assert_eq!(i.instance_lifecycle().map(|l| l.as_str()), Some("spot"));
    let group = format!("sky-sg-{c}");
    assert!(
        ingress(&group)
            .iter()
            .any(|(p, from, to, _)| p == "tcp" && *from == 8000 && *to == 8001),
        "{:?}",
        ingress(&group)
    );
    let logs = user.ok(&["logs", c, "1"]);
    assert!(logs.contains("spot run on"), "{logs}");

    // SkyPilot's CLI reports the refusal and exits 0.
    let out = user.ok(&["stop", "-y", c]);
    assert!(
        out.contains("Stopping spot instances is currently not supported on AWS."),
        "{out}"
    );
    assert_eq!(state_of(&instances(c)[&id(i)]), "running");

    user.ok(&["down", "-y", c]);
    assert!(instances(c).is_empty());
    assert_eq!(groups_named(&group), 0);
    wait_hosts(&[id(i)], &BTreeMap::new());
}

fn id(i: &Instance) -> String {
    i.instance_id().unwrap_or_default().to_string()
}

const ONE_NODE: &str = "name: again
workdir: .
resources:
  infra: aws/us-east-1
  cpus: 2
run: |
  echo \"again: $(cat data.txt)\"
";

/// The other ways users reuse a cluster: `sky launch` on an UP cluster
/// runs the next job on the same instance; on a STOPPED one it starts the
/// same instance again first; `sky down` of a STOPPED cluster (no host to
/// reach) removes it from moto.
#[test]
fn relaunch_up_and_stopped_then_down_stopped() {
    let _g = serial();
    let Some(user) = User::ready("again", ONE_NODE) else {
        return;
    };
    let c = "e2e-again";

    user.ok(&["launch", "-y", "-c", c, "task.yaml"]);
    let first = ips(&instances(c));
    assert_eq!(first.len(), 1);
    let out = user.ok(&["launch", "-y", "-c", c, "task.yaml"]);
    assert!(out.contains("again: data-from-workdir"), "{out}");
    assert!(out.contains("Job submitted, ID: 2"), "{out}");
    assert_eq!(ips(&instances(c)), first);

    user.ok(&["stop", "-y", c]);
    let ids: Vec<String> = first.keys().cloned().collect();
    wait_hosts(&ids, &BTreeMap::new());
    let out = user.ok(&["launch", "-y", "-c", c, "task.yaml"]);
    assert!(out.contains("Job submitted, ID: 3"), "{out}");
    assert_eq!(ips(&instances(c)), first);
    assert!(instances(c).values().all(|i| state_of(i) == "running"));

    user.ok(&["stop", "-y", c]);
    wait_hosts(&ids, &BTreeMap::new());
    user.ok(&["down", "-y", c]);
    assert!(instances(c).is_empty(), "{:?}", instances(c));
    assert!(user.ok(&["status"]).contains("No existing clusters."));
}
