//! The real `sky` CLI (the `stix` binary) against moto, for the AWS tests
//! that drive whole commands: a HOME of its own with the offline catalogs
//! and a config pointing at the test VPC, commands run to the end or
//! killed (SIGKILL to the whole process group) after a delay, and what
//! moto holds of stix's (instances, security groups, key pairs).

#![allow(dead_code)]

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use stix::provision::aws_client::{block_on, ec2};

use crate::aws_support::{REGION, all_instances};

/// The shared catalogs the tests read (never downloaded).
pub use crate::aws_support::test_catalogs as catalogs;

/// A user of the CLI: a HOME with catalogs and an AWS config.
pub struct Sky {
    /// The user's HOME (removed on drop).
    pub home: PathBuf,
}

impl Sky {
    /// A fresh HOME named after `name`, catalogs copied from `src`.
    pub fn new(name: &str, src: &Path) -> Sky {
        let home = std::env::temp_dir().join(format!("stix-awscli-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&home);
        crate::aws_support::aws_home(&home, src);
        Sky { home }
    }

    /// `sky <args>` ready to run (the AWS endpoint and fake credentials
    /// come from the test process's environment, `use_endpoint`).
    pub fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_stix"));
        c.args(args)
            .env("HOME", &self.home)
            .env("STIX_ASSUME_ENABLED", "aws")
            .env("STIX_CATALOG_OFFLINE", "1")
            .env("STIX_AGENT_BIN", env!("CARGO_BIN_EXE_stix"))
            .env("STIX_RETRY_UNTIL_UP_GAP_SECONDS", "0")
            .env_remove("SKYPILOT_USER")
            .current_dir(&self.home)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if std::env::var_os("STIX_SSH_WAIT_TIMEOUT").is_none() {
            // No host answers behind moto's addresses unless the local AWS
            // watcher runs: keep the SSH wait short either way.
            c.env("STIX_SSH_WAIT_TIMEOUT", "3");
        }
        c
    }

    /// Runs `sky <args>` to the end: (exit code, stdout + stderr).
    pub fn run(&self, args: &[&str]) -> (i32, String) {
        let out = self.command(args).output().unwrap();
        (out.status.code().unwrap_or(-1), text(&out))
    }

    /// Writes `yaml` as `<name>` in HOME; returns its path.
    pub fn write(&self, name: &str, yaml: &str) -> String {
        let p = self.home.join(name);
        std::fs::write(&p, yaml).unwrap();
        p.display().to_string()
    }

    /// The records `sky status -o json` lists (`refresh`: `-r`).
    pub fn status_json(&self, refresh: bool) -> Vec<serde_json::Value> {
        let mut args = vec!["status", "-o", "json"];
        if refresh {
            args.push("-r");
        }
        let (code, out) = self.run(&args);
        assert_eq!(code, 0, "sky {args:?}:\n{out}");
        let start = out.find('[').unwrap_or(0);
        match serde_json::from_str(out[start..].trim()) {
            Ok(serde_json::Value::Array(list)) => list,
            other => panic!("{other:?}: {out}"),
        }
    }

    /// Cluster names `sky status -o json` lists (`refresh`: `-r`).
    pub fn status_names(&self, refresh: bool) -> Vec<String> {
        let mut names: Vec<String> = self
            .status_json(refresh)
            .iter()
            .filter_map(|r| r["name"].as_str().map(str::to_string))
            .collect();
        names.sort();
        names
    }
}

impl Drop for Sky {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.home);
    }
}

/// stdout then stderr of a finished command.
pub fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// `s` without its ANSI escape sequences.
pub fn plain(s: &str) -> String {
    let mut out = String::new();
    let mut esc = false;
    for c in s.chars() {
        match c {
            '\x1b' => esc = true,
            c if esc && c.is_ascii_alphabetic() => esc = false,
            _ if esc => {}
            c => out.push(c),
        }
    }
    out
}

/// How a command started by [`run_killed`] ended.
#[derive(Debug)]
pub enum Ended {
    /// It finished before the delay: exit code and output.
    Finished(i32, String),
    /// Killed with SIGKILL after the delay; its output until then.
    Killed(String),
}

/// Starts `cmd` in a process group of its own and, unless it finished
/// first, kills the whole group (the client and any ssh/rsync it started)
/// with SIGKILL after `delay`.
pub fn run_killed(mut cmd: Command, delay: Duration) -> Ended {
    cmd.process_group(0);
    let mut child: Child = cmd.spawn().unwrap();
    let deadline = Instant::now() + delay;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let out = child.wait_with_output().unwrap();
            return Ended::Finished(status.code().unwrap_or(-1), text(&out));
        }
        if Instant::now() >= deadline {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let pgid = child.id() as i32;
    // SAFETY: signals our own child's process group.
    unsafe {
        libc::kill(-pgid, libc::SIGKILL);
    }
    let out = child.wait_with_output().unwrap();
    Ended::Killed(text(&out))
}

/// A small seeded generator (xorshift64*), so a failing run can be
/// replayed with its printed seed.
pub struct Rng(u64);

impl Rng {
    /// `STIX_KILL_SEED` if set, else the clock; printed either way.
    pub fn from_env() -> Rng {
        let seed = std::env::var("STIX_KILL_SEED")
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or_else(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(1, |d| d.as_nanos() as u64)
            });
        eprintln!("kill seed: STIX_KILL_SEED={seed}");
        Rng(seed | 1)
    }

    /// The next value in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % n.max(1)
    }
}

/// The value of tag `key` of an instance.
pub fn tag<'a>(i: &'a aws_sdk_ec2::types::Instance, key: &str) -> Option<&'a str> {
    i.tags()
        .iter()
        .find(|t| t.key() == Some(key))
        .and_then(|t| t.value())
}

/// Instances not terminated (shutting-down counts as gone).
pub fn live_instances() -> Vec<aws_sdk_ec2::types::Instance> {
    all_instances()
        .into_iter()
        .filter(|i| {
            !matches!(
                i.state().and_then(|s| s.name()).map(|n| n.as_str()),
                Some("terminated" | "shutting-down")
            )
        })
        .collect()
}

/// What moto holds of stix's: the cluster of each live instance (its
/// `ray-cluster-name` tag), the cluster of each cluster-owned security
/// group (`sky-sg-<cluster>`, not the shared per-user default group,
/// which SkyPilot never deletes), and the key pairs.
#[derive(Debug, Default, PartialEq)]
pub struct Leftovers {
    /// `(instance id, cluster)`.
    pub instances: Vec<(String, String)>,
    /// Clusters with their own security group.
    pub groups: Vec<String>,
    /// Key pair names.
    pub key_pairs: Vec<String>,
}

impl Leftovers {
    /// Reads them from moto.
    pub fn now() -> Leftovers {
        let c = ec2(REGION).unwrap();
        let default = stix::provision::aws_deploy::default_security_group_name();
        let sgs = block_on(c.describe_security_groups().send())
            .unwrap()
            .unwrap();
        let mut groups: Vec<String> = sgs
            .security_groups()
            .iter()
            .filter_map(|g| g.group_name())
            .filter(|n| *n != default)
            .filter_map(|n| n.strip_prefix("sky-sg-").map(str::to_string))
            .collect();
        groups.sort();
        let keys = block_on(c.describe_key_pairs().send()).unwrap().unwrap();
        let key_pairs = keys
            .key_pairs()
            .iter()
            .filter_map(|k| k.key_name().map(str::to_string))
            .collect();
        let mut instances: Vec<(String, String)> = live_instances()
            .iter()
            .map(|i| {
                let cluster = tag(i, "ray-cluster-name").unwrap_or("<untagged>");
                (
                    i.instance_id().unwrap_or_default().to_string(),
                    cluster.to_string(),
                )
            })
            .collect();
        instances.sort();
        Leftovers {
            instances,
            groups,
            key_pairs,
        }
    }

    /// The clusters anything belongs to.
    pub fn clusters(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .instances
            .iter()
            .map(|(_, c)| c.clone())
            .chain(self.groups.iter().cloned())
            .collect();
        out.sort();
        out.dedup();
        out
    }

    /// Nothing of stix's is left.
    pub fn is_empty(&self) -> bool {
        *self == Leftovers::default()
    }
}
