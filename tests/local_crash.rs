//! `kill -9` of a launch at ten points of its life: afterwards a forced
//! status refresh shows a consistent record, and `down` leaves no process,
//! no sandbox and no record behind, and re-running the launch instead
//! converges to an UP cluster. The launch runs in a child process
//! (this test binary re-run with `STIX_CRASH_CHILD` set).

mod common;

use std::collections::BTreeSet;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::*;
use stix::backend::{self, LaunchOptions, RefreshMode};
use stix::state::ClusterStatus;

const TASK: &str = "name: crashy\nnum_nodes: 2\nworkdir: WD\nsetup: sleep 0.2\nrun: sleep 30\n";

/// The child: one launch, killed by the parent somewhere along the way.
#[test]
fn child_launch() {
    let Ok(wd) = std::env::var("STIX_CRASH_CHILD") else {
        return;
    };
    let mut state = stix::state::StateDb::open().unwrap();
    let opts = LaunchOptions {
        cluster_name: Some("crash".into()),
        ..Default::default()
    };
    let _ = backend::launch(
        &mut state,
        &task(&TASK.replace("WD", &wd)),
        &opts,
        &mut quiet(),
    );
}

#[test]
fn kill_9_launch_then_down_leaves_nothing() {
    let w = World::new("crash");
    let wd = w.home.join("wd");
    std::fs::create_dir_all(&wd).unwrap();
    std::fs::write(wd.join("f.txt"), "x").unwrap();
    let root = w.cluster_root("crash");
    let exe = std::env::current_exe().unwrap();
    let mut seen = BTreeSet::new();
    for (run, delay_ms) in [0u64, 10, 30, 50, 70, 110, 150, 190, 300, 610]
        .into_iter()
        .enumerate()
    {
        let mut child = Command::new(&exe)
            .args(["--exact", "child_launch", "--nocapture", "--test-threads=1"])
            .env("STIX_CRASH_CHILD", &wd)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        let _ = child.kill();
        let _ = child.wait();
        let mut state = w.state();
        let before = state.get_cluster("crash").unwrap().map(|r| r.status);
        let after = backend::status(&mut state, None, RefreshMode::Force).unwrap();
        assert!(after.len() <= 1);
        if let Some(r) = after.first() {
            assert!(
                matches!(r.status, ClusterStatus::Init | ClusterStatus::Up),
                "refreshed status {:?}",
                r.status
            );
        } else {
            assert!(
                !root.exists(),
                "no record, so no sandbox either ({delay_ms} ms)"
            );
        }
        seen.insert(format!("{before:?}->{:?}", after.first().map(|r| r.status)));
        if run % 2 == 1 {
            // Re-running the launch finishes whatever the killed one left.
            let opts = LaunchOptions {
                cluster_name: Some("crash".into()),
                ..Default::default()
            };
            let t = task("name: again\nnum_nodes: 2\nrun: echo relaunched $SKYPILOT_NODE_RANK\n");
            let r = backend::launch(&mut state, &t, &opts, &mut quiet()).unwrap();
            let (text, code) = logs(&mut state, "crash", r.job_id, true);
            assert_eq!(code, 0, "{text}");
            assert!(
                text.contains("relaunched 0") && text.contains("relaunched 1"),
                "{text}"
            );
            assert_eq!(
                state.get_cluster("crash").unwrap().unwrap().status,
                ClusterStatus::Up
            );
        }
        if state.get_cluster("crash").unwrap().is_some() {
            backend::down(&mut state, "crash", false).unwrap();
        }
        assert!(state.get_cluster("crash").unwrap().is_none());
        assert!(!root.exists(), "sandbox left after down ({delay_ms} ms)");
        let procs = w.node_processes();
        assert!(
            procs.is_empty(),
            "processes left after down ({delay_ms} ms): {procs:?}"
        );
    }
    eprintln!("crash outcomes: {seen:?}");
    assert!(
        seen.len() >= 2,
        "the kills should land at different stages: {seen:?}"
    );
}
