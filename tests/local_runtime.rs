//! The agent on its own: autostop (stop and down) with SkyPilot's idle
//! rules on a shortened minute, and recovery after the daemon and a job
//! driver are killed (`FAILED_DRIVER`, the job's processes cleaned up, the
//! daemon back on the next operation).

mod common;

use std::time::Duration;

use common::*;
use stix::agent::jobs::JobStatus;
use stix::backend::{self, ExecOptions, LaunchOptions, RefreshMode};
use stix::runner::procs;
use stix::state::ClusterStatus;

fn refreshed(state: &mut stix::state::StateDb, name: &str) -> Option<ClusterStatus> {
    backend::refresh_cluster(state, name, true)
        .unwrap()
        .map(|r| r.status)
}

#[test]
fn autostop_and_autodown() {
    let w = World::new("autostop");
    // SAFETY: tests in this binary run one at a time.
    unsafe {
        std::env::set_var("STIX_AGENT_MINUTE_SECONDS", "1");
        std::env::set_var("STIX_AGENT_TICK_SECONDS", "0.2");
    }
    let mut state = w.state();
    // -i 1: stops once the job is done and a "minute" passed.
    let opts = LaunchOptions {
        cluster_name: Some("as".into()),
        idle_minutes_to_autostop: Some(1),
        ..Default::default()
    };
    let r = backend::launch(&mut state, &task("run: sleep 2\n"), &opts, &mut quiet()).unwrap();
    let rec = state.get_cluster("as").unwrap().unwrap();
    assert_eq!((rec.autostop, rec.to_down), (1, false));
    // Busy while the job runs.
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(refreshed(&mut state, "as"), Some(ClusterStatus::Up));
    let (_, code) = logs(&mut state, "as", r.job_id, true);
    assert_eq!(code, 0);
    wait_for(30, "autostopped", || {
        (refreshed(&mut state, "as") == Some(ClusterStatus::Stopped)).then_some(())
    });
    assert!(
        w.cluster_root("as").join("node-0").exists(),
        "stop keeps the sandbox"
    );
    wait_for(10, "no node processes", || {
        w.node_processes().is_empty().then_some(())
    });
    // A restart comes back without autostop.
    backend::start(
        &mut state,
        "as",
        None,
        None,
        false,
        false,
        false,
        &mut quiet(),
    )
    .unwrap();
    assert_eq!(state.get_cluster("as").unwrap().unwrap().autostop, -1);
    std::thread::sleep(Duration::from_millis(2500));
    assert_eq!(refreshed(&mut state, "as"), Some(ClusterStatus::Up));
    backend::down(&mut state, "as", false).unwrap();

    // --down alone: torn down one idle minute after the job.
    let mut lines = Vec::new();
    let mut sink = |p: backend::Progress| {
        if let backend::Progress::Info(l) = p {
            lines.push(plain(&l));
        }
    };
    let opts = LaunchOptions {
        cluster_name: Some("ad".into()),
        down: true,
        ..Default::default()
    };
    backend::launch(&mut state, &task("run: echo bye\n"), &opts, &mut sink).unwrap();
    assert!(
        lines.iter().any(|l| l == "The cluster will be torn down after 1 minutes of idleness (after all jobs finish)."),
        "{lines:?}"
    );
    wait_for(30, "autodowned", || {
        refreshed(&mut state, "ad").is_none().then_some(())
    });
    wait_for(10, "sandbox removed", || {
        (!w.cluster_root("ad").exists()).then_some(())
    });
    wait_for(10, "no node processes", || {
        w.node_processes().is_empty().then_some(())
    });
    let h = state.get_clusters_from_history(None).unwrap();
    assert!(h.iter().any(|r| r.name == "ad" && r.status.is_none()));
}

#[test]
fn killed_daemon_and_driver_recover() {
    let w = World::new("recover");
    let mut state = w.state();
    let opts = LaunchOptions {
        cluster_name: Some("rc".into()),
        ..Default::default()
    };
    backend::launch(&mut state, &task("run: sleep 60\n"), &opts, &mut quiet()).unwrap();
    let head = w.cluster_root("rc").join("node-0");
    let daemon_pid: i32 = read(&head.join(".sky/agent.pid")).trim().parse().unwrap();
    let job = wait_for(20, "job 1 running", || {
        backend::queue(&mut state, "rc", true, None)
            .unwrap()
            .into_iter()
            .find(|j| j.status == JobStatus::Running)
    });
    procs::kill_pid(daemon_pid, libc::SIGKILL);
    procs::kill_pid(job.pid as i32, libc::SIGKILL);
    wait_for(10, "daemon and driver dead", || {
        (!procs::pid_alive(daemon_pid) && !procs::pid_alive(job.pid as i32)).then_some(())
    });
    // The next look at the queue reconciles: the driver is gone.
    let q = backend::queue(&mut state, "rc", false, None).unwrap();
    assert_eq!(q[0].status, JobStatus::FailedDriver);
    let sleepers = w
        .node_processes()
        .into_iter()
        .filter(|p| procs::cmdline(*p).is_some_and(|c| c.iter().any(|a| a == "60")))
        .count();
    assert_eq!(sleepers, 0, "a failed driver's processes are cleaned up");
    let (_, code) = logs(&mut state, "rc", Some(1), false);
    assert_eq!(code, 100);
    // A forced refresh restarts the daemon and keeps the cluster UP.
    let recs = backend::status(&mut state, None, RefreshMode::Force).unwrap();
    assert_eq!(recs[0].status, ClusterStatus::Up);
    let new_pid: i32 = read(&head.join(".sky/agent.pid")).trim().parse().unwrap();
    assert_ne!(new_pid, daemon_pid);
    assert!(procs::pid_alive(new_pid));
    let r = backend::exec(
        &mut state,
        &task("run: echo fine\n"),
        "rc",
        &ExecOptions::default(),
        &mut quiet(),
    )
    .unwrap();
    let (text, code) = logs(&mut state, "rc", r.job_id, true);
    assert_eq!(code, 0, "{text}");
    backend::down(&mut state, "rc", false).unwrap();
    assert!(w.node_processes().is_empty());
}
