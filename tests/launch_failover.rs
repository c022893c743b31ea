//! A real launch goes through the optimizer and SkyPilot's failover loop:
//! a stand-in "aws" provisioner (local sandboxes behind a tiny AWS
//! catalog) refuses capacity in chosen zones; the launch tries zone after
//! zone, region after region, and reports the history as SkyPilot does.

mod common;

use std::sync::{Arc, Mutex};

use common::*;
use stix::backend::{self, LaunchOptions, Progress};
use stix::error::{Error, ErrorKind, Result};
use stix::provision::{
    self, ClusterInfo, InstanceStatus, InstanceStatuses, ProvisionConfig, ProvisionRecord,
    Provisioner, local::LocalProvisioner,
};

const AWS_VMS: &str = "\
InstanceType,AcceleratorName,AcceleratorCount,vCPUs,MemoryGiB,GpuInfo,Price,SpotPrice,Region,AvailabilityZone
m6i.large,,,2.0,8.0,,0.096,0.030,us-east-1,us-east-1a
m6i.large,,,2.0,8.0,,0.096,0.031,us-east-1,us-east-1b
m6i.large,,,2.0,8.0,,0.096,0.032,us-east-1,us-east-1c
m6i.large,,,2.0,8.0,,0.100,0.033,us-west-2,us-west-2a
m6i.large,,,2.0,8.0,,0.100,0.034,us-west-2,us-west-2b
";

const ALL_ZONES: [&str; 5] = [
    "us-east-1a",
    "us-east-1b",
    "us-east-1c",
    "us-west-2a",
    "us-west-2b",
];

const TASK: &str = "name: fo
resources:
  infra: aws
  instance_type: m6i.large
run: echo landed
";

/// What the stand-in refuses and what it was asked.
#[derive(Clone, Default)]
struct Script {
    /// Zones answered with a capacity error.
    refuse: Arc<Mutex<Vec<String>>>,
    /// `region/zone` of every `run_instances`, in order.
    asked: Arc<Mutex<Vec<String>>>,
    /// Answer with a non-capacity error instead.
    broken: Arc<Mutex<bool>>,
}

struct Refusing {
    script: Script,
    inner: LocalProvisioner,
}

impl Provisioner for Refusing {
    fn name(&self) -> &'static str {
        "aws"
    }
    fn bootstrap_instances(
        &self,
        r: &str,
        c: &str,
        cfg: ProvisionConfig,
    ) -> Result<ProvisionConfig> {
        self.inner.bootstrap_instances(r, c, cfg)
    }
    fn run_instances(&self, r: &str, c: &str, cfg: &ProvisionConfig) -> Result<ProvisionRecord> {
        let zone = cfg.zone.clone().unwrap_or_default();
        self.script
            .asked
            .lock()
            .unwrap()
            .push(format!("{r}/{zone}"));
        if *self.script.broken.lock().unwrap() {
            return Err(Error::new(ErrorKind::Runtime, "UnauthorizedOperation"));
        }
        if self.script.refuse.lock().unwrap().contains(&zone) {
            return Err(Error::new(
                ErrorKind::ResourcesUnavailable,
                format!("InsufficientInstanceCapacity in {zone}"),
            ));
        }
        self.inner.run_instances(r, c, cfg)
    }
    fn wait_instances(
        &self,
        r: &str,
        c: &str,
        pc: &serde_json::Value,
        s: Option<InstanceStatus>,
    ) -> Result<()> {
        self.inner.wait_instances(r, c, pc, s)
    }
    fn get_cluster_info(&self, r: &str, c: &str, pc: &serde_json::Value) -> Result<ClusterInfo> {
        self.inner.get_cluster_info(r, c, pc)
    }
    fn query_instances(
        &self,
        c: &str,
        pc: &serde_json::Value,
        live: bool,
    ) -> Result<InstanceStatuses> {
        self.inner.query_instances(c, pc, live)
    }
    fn stop_instances(&self, c: &str, pc: &serde_json::Value, w: bool) -> Result<()> {
        self.inner.stop_instances(c, pc, w)
    }
    fn terminate_instances(&self, c: &str, pc: &serde_json::Value, w: bool) -> Result<()> {
        self.inner.terminate_instances(c, pc, w)
    }
    fn open_ports(&self, c: &str, p: &[String], pc: &serde_json::Value) -> Result<()> {
        self.inner.open_ports(c, p, pc)
    }
    fn cleanup_ports(&self, c: &str, p: &[String], pc: &serde_json::Value) -> Result<()> {
        self.inner.cleanup_ports(c, p, pc)
    }
}

/// A world where "aws" is enabled, priced by the tiny catalog and served
/// by the stand-in refusing `refuse`.
fn aws_world(name: &str, refuse: &[&str]) -> (World, Script) {
    let w = World::new(name);
    let dir = w.home.join(".sky/catalogs/v8/aws");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("vms.csv"), AWS_VMS).unwrap();
    // SAFETY: tests in this binary run one at a time (World).
    unsafe {
        std::env::set_var("STIX_ASSUME_ENABLED", "aws");
        std::env::set_var(backend::failover::RETRY_GAP_ENV, "0");
    }
    let script = Script::default();
    *script.refuse.lock().unwrap() = refuse.iter().map(|z| z.to_string()).collect();
    let s = script.clone();
    provision::register(
        "aws",
        Box::new(move || {
            Box::new(Refusing {
                script: s.clone(),
                inner: LocalProvisioner,
            })
        }),
    );
    (w, script)
}

/// Launches TASK on `cluster`; the result and every line it logged.
fn launch(
    w: &World,
    cluster: &str,
    retry_until_up: bool,
) -> (Result<backend::LaunchResult>, String) {
    let mut state = w.state();
    let mut lines = Vec::new();
    let opts = LaunchOptions {
        cluster_name: Some(cluster.into()),
        retry_until_up,
        ..Default::default()
    };
    let r = backend::launch(&mut state, &task(TASK), &opts, &mut |p| {
        if let Progress::Info(l) = p {
            lines.push(plain(&l));
        }
    });
    (r, lines.join("\n"))
}

#[test]
fn two_zones_refuse_and_the_third_one_serves() {
    let (w, script) = aws_world("fo-third", &["us-east-1a", "us-east-1b"]);
    let (r, out) = launch(&w, "fo", false);
    let r = r.unwrap_or_else(|e| panic!("{e}\n{out}"));
    let h = r.handle.expect("a handle");
    let lr = &h.launched_resources;
    assert_eq!(
        (lr.cloud.as_str(), lr.region.as_deref(), lr.zone.as_deref()),
        ("aws", Some("us-east-1"), Some("us-east-1c"))
    );
    assert_eq!(
        *script.asked.lock().unwrap(),
        [
            "us-east-1/us-east-1a",
            "us-east-1/us-east-1b",
            "us-east-1/us-east-1c"
        ]
    );
    // The plan first, then one attempt per zone with its failure.
    let plan = out.find("Considered resources (1 node)").expect(&out);
    let a = out
        .find("Launching on AWS us-east-1 (us-east-1a).")
        .expect(&out);
    let fail_a = out
        .find("AWS handler error: InsufficientInstanceCapacity in us-east-1a")
        .expect(&out);
    let fail_b = out
        .find("AWS handler error: InsufficientInstanceCapacity in us-east-1b")
        .expect(&out);
    let c = out
        .find("Launching on AWS us-east-1 (us-east-1c).")
        .expect(&out);
    assert!(
        plan < a && a < fail_a && fail_a < fail_b && fail_b < c,
        "{out}"
    );
    assert!(out.contains("Cluster launched: fo."), "{out}");
    // The provision log keeps every attempt, as SkyPilot's provision.log.
    let log = w.state().provision_log_path("fo").unwrap().expect("a log");
    let log = plain(&read(std::path::Path::new(&log)));
    for want in [
        "] Failed to provision 'fo' on AWS (us-east-1a).",
        "AWS handler error: InsufficientInstanceCapacity in us-east-1b",
        "Launching on AWS us-east-1 (us-east-1c).",
        "] ✓ Cluster launched: fo.",
    ] {
        assert!(log.contains(want), "{want:?} not in\n{log}");
    }
    let mut state = w.state();
    let (text, code) = logs(&mut state, "fo", r.job_id, true);
    assert_eq!((code, text.contains("landed")), (0, true), "{text}");
    let rec = state.get_cluster("fo").unwrap().unwrap();
    assert_eq!(rec.zone.as_deref(), Some("us-east-1c"));
    // A relaunch keeps the cluster's resources: no plan, no provisioning.
    drop(state);
    let (r, out) = launch(&w, "fo", false);
    let h = r.unwrap().handle.unwrap();
    assert_eq!(h.launched_resources.zone.as_deref(), Some("us-east-1c"));
    assert!(!out.contains("Considered resources"), "{out}");
    assert_eq!(script.asked.lock().unwrap().len(), 3);
    let mut state = w.state();
    backend::down(&mut state, "fo", false).unwrap();
    provision::unregister("aws");
}

#[test]
fn a_refusing_region_is_blocked_and_the_next_one_planned() {
    let zones = ["us-east-1a", "us-east-1b", "us-east-1c"];
    let (w, script) = aws_world("fo-region", &zones);
    let (r, out) = launch(&w, "fo2", false);
    let r = r.unwrap_or_else(|e| panic!("{e}\n{out}"));
    let h = r.handle.clone().unwrap();
    assert_eq!(h.launched_resources.zone.as_deref(), Some("us-west-2a"));
    assert_eq!(script.asked.lock().unwrap().len(), 4);
    assert!(
        out.contains(
            "sky.exceptions.ResourcesUnavailableError: Failed to acquire resources in all zones \
             in us-east-1 for {AWS(m6i.large, mem=8.0)}. "
        ),
        "{out}"
    );
    let retry = out.find("↺ Trying other potential resources.").expect(&out);
    // The optimizer runs again without us-east-1 and prints its plan.
    let replan = out[retry..].find("AWS (us-west-2)").expect(&out);
    assert!(!out[retry..].contains("AWS (us-east-1)"), "{out}");
    assert!(out[retry + replan..].contains("Launching on AWS us-west-2 (us-west-2a)."));
    let mut state = w.state();
    // The job finishes first: a teardown racing its log writes is not
    // what this test is about.
    let (text, _) = logs(&mut state, "fo2", r.job_id, true);
    assert!(text.contains("landed"), "{text}");
    backend::down(&mut state, "fo2", false).unwrap();
    provision::unregister("aws");
}

#[test]
fn when_every_zone_refuses_the_error_lists_the_history() {
    let (w, script) = aws_world("fo-none", &ALL_ZONES);
    let (r, out) = launch(&w, "fo3", false);
    let e = r.expect_err("nothing can launch");
    assert_eq!(e.kind, ErrorKind::ResourcesUnavailable);
    assert_eq!(script.asked.lock().unwrap().len(), 5);
    // `failover_history`: what each failed region raised.
    let history: Vec<String> = e
        .failover_history
        .iter()
        .map(|h| h.message.clone())
        .collect();
    assert_eq!(history.len(), 2, "{history:?}");
    assert!(history[0].starts_with("Failed to acquire resources in all zones in us-east-1 "));
    assert!(history[1].starts_with("Failed to acquire resources in all zones in us-west-2 "));
    let msg = plain(&e.message);
    let want = "Failed to provision all possible launchable resources. Relax the task's \
                resource requirements: 1x AWS(m6i.large, mem=8.0)\n\
                To keep retrying until the cluster is up, use the `--retry-until-up` flag.\n\
                Reasons for provision failures (for details, please check the log above):\n\
                Provision failures (tried 2 infra):\n\n\
                \u{2717} AWS (us-east-1) \u{2014} (cpus=2, mem=8, m6i.large, ...)\n  \
                Failed to acquire resources in all zones in us-east-1 for {AWS(m6i.large, mem=8.0)}. \n\n\
                \u{2717} AWS (us-west-2) \u{2014} (cpus=2, mem=8, m6i.large, ...)\n  \
                Failed to acquire resources in all zones in us-west-2 for {AWS(m6i.large, mem=8.0)}.\n";
    assert_eq!(msg, want);
    assert!(
        out.ends_with("⨯ Failed to provision resources.  View logs: sky logs --provision fo3"),
        "{out}"
    );
    // Nothing is left: no record, no sandbox.
    let state = w.state();
    assert!(state.get_cluster("fo3").unwrap().is_none());
    assert!(w.node_processes().is_empty());
    let root = w.cluster_root("fo3");
    assert!(!root.exists() || std::fs::read_dir(&root).unwrap().next().is_none());
    provision::unregister("aws");
}

#[test]
fn retry_until_up_starts_a_new_round() {
    let (w, script) = aws_world("fo-retry", &ALL_ZONES);
    // Capacity comes back once the first round has failed everywhere.
    let s = script.clone();
    let freer = std::thread::spawn(move || {
        wait_for(60, "a failed round", || {
            (s.asked.lock().unwrap().len() >= 5).then_some(())
        });
        s.refuse.lock().unwrap().clear();
    });
    let (r, out) = launch(&w, "fo4", true);
    freer.join().unwrap();
    let r = r.unwrap_or_else(|e| panic!("{e}\n{out}"));
    assert!(
        r.handle
            .as_ref()
            .unwrap()
            .launched_resources
            .region
            .is_some()
    );
    assert!(
        out.contains(
            "Failed to provision all possible launchable resources. Relax the task's resource \
             requirements: 1x AWS(m6i.large, mem=8.0)\n\n↺ Retry after 0s  View logs: sky logs \
             --provision fo4"
        ),
        "{out}"
    );
    let mut state = w.state();
    logs(&mut state, "fo4", r.job_id, true);
    backend::down(&mut state, "fo4", false).unwrap();
    provision::unregister("aws");
}

#[test]
fn other_errors_stop_the_failover() {
    let (w, script) = aws_world("fo-broken", &[]);
    *script.broken.lock().unwrap() = true;
    let (r, _) = launch(&w, "fo5", false);
    let e = r.expect_err("a broken provisioner");
    assert_eq!(
        (e.kind, e.message.as_str()),
        (ErrorKind::Runtime, "UnauthorizedOperation")
    );
    assert_eq!(*script.asked.lock().unwrap(), ["us-east-1/us-east-1a"]);
    provision::unregister("aws");
}
