//! Many processes at once, as many `sky` commands would be: 50 processes
//! writing the state DB, then 50 `exec`s and 50 `status`es against one
//! local cluster. No "database is locked", no lost record, no lost job.
//! Children are this test binary re-run with `STIX_CONC_CHILD` set.

mod common;

use std::process::{Child, Command, Stdio};

use common::*;
use stix::agent::jobs::JobStatus;
use stix::backend::{self, ExecOptions, LaunchOptions, RefreshMode};
use stix::state::{ClusterStatus, ClusterUpdate, StateDb};

const N: usize = 50;

/// The child: what one process does, chosen by `STIX_CONC_CHILD`.
#[test]
fn child_worker() {
    let Ok(role) = std::env::var("STIX_CONC_CHILD") else {
        return;
    };
    let (kind, idx) = role.split_once(':').unwrap();
    let mut state = StateDb::open().unwrap();
    match kind {
        "state" => {
            let name = format!("c{idx}");
            for round in 0..10 {
                state
                    .add_or_update_cluster(&ClusterUpdate {
                        name: name.clone(),
                        handle: serde_json::json!({ "round": round }),
                        launched_nodes: 1,
                        ready: round % 2 == 1,
                        is_launch: round == 0,
                        user_hash: "u".into(),
                        workspace: "default".into(),
                        ..Default::default()
                    })
                    .unwrap();
                state.set_cluster_autostop(&name, round, false).unwrap();
                state.get_clusters().unwrap();
                state.set_cluster_status(&name, ClusterStatus::Up).unwrap();
            }
        }
        "exec" => {
            let t = task(&format!("name: j{idx}\nrun: echo job-{idx}\n"));
            let r = backend::exec(
                &mut state,
                &t,
                "conc",
                &ExecOptions::default(),
                &mut quiet(),
            )
            .unwrap();
            assert!(r.job_id.is_some());
        }
        "status" => {
            let recs = backend::status(&mut state, None, RefreshMode::Force).unwrap();
            assert_eq!(recs.len(), 1);
            backend::queue(&mut state, "conc", false, None).unwrap();
        }
        other => panic!("unknown role {other}"),
    }
}

fn spawn(role: String) -> Child {
    Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child_worker", "--nocapture", "--test-threads=1"])
        .env("STIX_CONC_CHILD", role)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn wait_all(children: Vec<Child>) {
    for c in children {
        let out = c.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "a child failed: {err}");
        assert!(!err.contains("database is locked"), "{err}");
    }
}

#[test]
fn fifty_state_writers() {
    let w = World::new("conc-state");
    let children = (0..N).map(|i| spawn(format!("state:{i}"))).collect();
    wait_all(children);
    let state = w.state();
    let recs = state.get_clusters().unwrap();
    assert_eq!(recs.len(), N);
    assert!(
        recs.iter()
            .all(|r| r.status == ClusterStatus::Up && r.autostop == 9)
    );
    assert_eq!(state.get_clusters_from_history(None).unwrap().len(), N);
}

#[test]
fn fifty_execs_and_statuses() {
    let w = World::new("conc-exec");
    let mut state = w.state();
    let opts = LaunchOptions {
        cluster_name: Some("conc".into()),
        ..Default::default()
    };
    backend::launch(&mut state, &task("name: warm\n"), &opts, &mut quiet()).unwrap();
    let children = (0..N)
        .flat_map(|i| [spawn(format!("exec:{i}")), spawn(format!("status:{i}"))])
        .collect();
    wait_all(children);
    let q = wait_for(120, "every job finished", || {
        let q = backend::queue(&mut state, "conc", false, None).unwrap();
        q.iter().all(|j| j.status.is_terminal()).then_some(q)
    });
    let mut ids: Vec<i64> = q.iter().map(|j| j.job_id).collect();
    ids.sort_unstable();
    assert_eq!(
        ids,
        (1..=N as i64).collect::<Vec<_>>(),
        "ids are 1..=N, none lost"
    );
    assert!(q.iter().all(|j| j.status == JobStatus::Succeeded));
    let mut names: Vec<String> = q.iter().map(|j| j.job_name.clone()).collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), N);
    backend::down(&mut state, "conc", false).unwrap();
}
