//! A 2-node local cluster through its whole life: launch (workdir, setup,
//! run on both ranks) -> exec -> queue -> logs -> cancel -> failing gang
//! -> stop -> start -> down, checking the env each rank saw, the logs on
//! each node, statuses, exit codes and that nothing is left behind.

mod common;

use common::*;
use stix::agent::jobs::JobStatus;
use stix::backend::{self, ExecOptions, LaunchOptions, RefreshMode};
use stix::error::ErrorKind;
use stix::state::ClusterStatus;

const ENV_TASK: &str = r#"
name: envtest
num_nodes: 2
workdir: WORKDIR
envs:
  FOO: "bar baz"
setup: |
  echo "setup rank=$SKYPILOT_SETUP_NODE_RANK nodes=$SKYPILOT_NUM_NODES gpus=$SKYPILOT_SETUP_NUM_GPUS_PER_NODE"
  echo "setup ips=$(echo "$SKYPILOT_SETUP_NODE_IPS" | paste -sd,)"
run: |
  echo "rank=$SKYPILOT_NODE_RANK num=$SKYPILOT_NUM_NODES gpus=$SKYPILOT_NUM_GPUS_PER_NODE foo=$FOO"
  echo "ips=$(echo "$SKYPILOT_NODE_IPS" | paste -sd,) internal=$SKYPILOT_INTERNAL_JOB_ID user=$SKYPILOT_USER"
  echo "task=$SKYPILOT_TASK_ID"
  echo "info=$SKYPILOT_CLUSTER_INFO"
  echo "pwd=$(pwd) home=$HOME"
  cat a.txt
  ls
"#;

#[test]
fn two_node_cluster_lifecycle() {
    let w = World::new("life");
    let workdir = w.home.join("wd");
    std::fs::create_dir_all(&workdir).unwrap();
    std::fs::write(workdir.join("a.txt"), "content-of-a\n").unwrap();
    std::fs::write(workdir.join(".gitignore"), "*.log\n").unwrap();
    std::fs::write(workdir.join("skip.log"), "no\n").unwrap();
    let t = task(&ENV_TASK.replace("WORKDIR", &workdir.display().to_string()));
    let mut state = w.state();
    let mut progress = Vec::new();
    let mut sink = |p: backend::Progress| progress.push(p);
    let opts = LaunchOptions {
        cluster_name: Some("dev".into()),
        ..Default::default()
    };
    let r = backend::launch(&mut state, &t, &opts, &mut sink).unwrap();
    assert_eq!(r.job_id, Some(1));
    let rec = state.get_cluster("dev").unwrap().unwrap();
    assert_eq!(rec.status, ClusterStatus::Up);
    assert!(
        progress
            .iter()
            .any(|p| matches!(p, backend::Progress::Stage(backend::Stage::SyncWorkdir)))
    );

    // The launch's job: setup on both nodes, then both ranks.
    let (text, code) = logs(&mut state, "dev", Some(1), true);
    assert_eq!(code, 0, "{text}");
    assert!(
        text.contains("Waiting for task resources on 2 nodes."),
        "{text}"
    );
    assert!(text.contains("Job started. Streaming logs..."), "{text}");
    for rank in 0..2 {
        assert!(
            text.contains(&format!("setup rank={rank} nodes=2 gpus=0")),
            "{text}"
        );
    }
    assert!(text.contains("setup ips=127.0.0.1,127.0.0.1"), "{text}");
    let head = "(head, rank=0, pid=";
    let worker = "(worker1, rank=1, pid=";
    assert!(text.contains(head) && text.contains(worker), "{text}");
    for rank in 0..2 {
        assert!(
            text.contains(&format!("rank={rank} num=2 gpus=0 foo=bar baz")),
            "{text}"
        );
    }
    assert!(
        text.contains("ips=127.0.0.1,127.0.0.1 internal=1 user=tester"),
        "{text}"
    );
    let task_line = text.lines().find(|l| l.contains("task=sky-")).unwrap();
    assert!(task_line.ends_with("_dev_1"), "{task_line}");
    assert!(text.contains(
        r#"info={"cluster_name": "dev", "cloud": "Local", "region": "local", "zone": null}"#
    ));
    assert!(text.contains("content-of-a"));
    assert!(
        !text.contains("skip.log"),
        "gitignored files are not synced: {text}"
    );
    assert!(
        text.contains("✓ Job finished (status: SUCCEEDED)."),
        "{text}"
    );
    // Each rank ran in its own node's home and logged there.
    let root = w.cluster_root("dev");
    for (i, name) in [(0, "0-head"), (1, "1-worker1")] {
        let home = root.join(format!("node-{i}"));
        let log = read(&home.join(format!("sky_logs/1-envtest/tasks/{name}.log")));
        assert!(log.contains(&format!("rank={i} num=2")), "{log}");
        assert!(log.contains(&format!("home={}", home.display())), "{log}");
        assert!(
            log.contains(&format!("pwd={}/sky_workdir", home.display())),
            "{log}"
        );
        let setup = read(&home.join("sky_logs/1-envtest/tasks/setup.log"));
        assert!(setup.contains(&format!("setup rank={i}")), "{setup}");
        assert!(home.join("sky_workdir/a.txt").exists());
    }
    // The driver's log lives on the head only.
    assert!(root.join("node-0/sky_logs/1-envtest/run.log").exists());
    // download_logs gathers every node's part of the job's directory.
    let local = w.home.join("downloaded");
    let got = backend::download_logs(&mut state, "dev", Some(&[1]), &local, &mut |_| {}).unwrap();
    let dir = &got[&1];
    assert_eq!(dir, &local.join("dev/1-envtest"));
    for f in [
        "run.log",
        "tasks/0-head.log",
        "tasks/1-worker1.log",
        "tasks/setup.log",
    ] {
        assert!(dir.join(f).exists(), "{f} not downloaded");
    }

    // exec: a long job to cancel.
    let long = task("name: long\nnum_nodes: 2\nrun: echo started; sleep 60\n");
    let r = backend::exec(
        &mut state,
        &long,
        "dev",
        &ExecOptions::default(),
        &mut quiet(),
    )
    .unwrap();
    assert_eq!(r.job_id, Some(2));
    wait_for(20, "job 2 running", || {
        let q = backend::queue(&mut state, "dev", true, None).unwrap();
        q.iter()
            .find(|j| j.job_id == 2 && j.status == JobStatus::Running)
            .map(|_| ())
    });
    let live = backend::queue(&mut state, "dev", true, None).unwrap();
    assert_eq!(live.len(), 1, "skip_finished hides job 1");
    let all = backend::queue(&mut state, "dev", false, None).unwrap();
    assert_eq!(all.iter().map(|j| j.job_id).collect::<Vec<_>>(), [2, 1]);
    assert_eq!(all[1].status, JobStatus::Succeeded);
    assert_eq!(all[1].resources, "2x[CPU:0.5]");
    assert_eq!(all[1].job_name, "envtest");
    let sleepers = || {
        w.node_processes()
            .into_iter()
            .filter(|p| {
                stix::runner::procs::cmdline(*p).is_some_and(|c| c.iter().any(|a| a == "60"))
            })
            .count()
    };
    wait_for(10, "both ranks sleeping", || {
        (sleepers() == 2).then_some(())
    });
    let cancelled = backend::cancel(&mut state, "dev", Some(&[2]), false, None).unwrap();
    assert_eq!(cancelled, [2]);
    assert_eq!(sleepers(), 0, "cancel kills every rank's process tree");
    let st = backend::job_status(&mut state, "dev", Some(&[2, 99])).unwrap();
    assert_eq!(st[&2], Some(JobStatus::Cancelled));
    assert_eq!(st[&99], None);
    let (_, code) = logs(&mut state, "dev", Some(2), false);
    assert_eq!(code, 103);
    let (text, code) = logs(&mut state, "dev", Some(99), false);
    assert_eq!(code, 102, "{text}");
    assert!(
        backend::cancel(&mut state, "dev", Some(&[2]), false, None)
            .unwrap()
            .is_empty()
    );

    // A gang where rank 1 fails: rank 0 is cleaned up with 137.
    let fail = task(
        "num_nodes: 2\nrun: |\n  if [ \"$SKYPILOT_NODE_RANK\" = 1 ]; then exit 3; fi\n  sleep 60\n",
    );
    let r = backend::exec(
        &mut state,
        &fail,
        "dev",
        &ExecOptions::default(),
        &mut quiet(),
    )
    .unwrap();
    let (text, code) = logs(&mut state, "dev", r.job_id, true);
    assert_eq!(code, 100, "{text}");
    assert!(text.contains("ERROR: Job 3 failed with return code list: [137, 3] (A Worker failed with return code 3, SkyPilot cleaned up the processes on other nodes with return code 137)"), "{text}");
    let q = backend::queue(&mut state, "dev", false, None).unwrap();
    assert_eq!(q[0].exit_codes, Some(vec![137, 3]));
    assert_eq!(q[0].status, JobStatus::Failed);

    // stop: nodes stopped, processes gone, job ops refused.
    backend::stop(&mut state, "dev", false).unwrap();
    assert!(
        w.node_processes().is_empty(),
        "stop kills every node process"
    );
    let rec = state.get_cluster("dev").unwrap().unwrap();
    assert_eq!(rec.status, ClusterStatus::Stopped);
    let e = backend::queue(&mut state, "dev", false, None).unwrap_err();
    assert_eq!(e.kind, ErrorKind::ClusterNotUp);
    assert!(
        e.message
            .contains("Getting the job queue: skipped for cluster 'dev' (status: STOPPED)"),
        "{}",
        e.message
    );
    let e = backend::exec(
        &mut state,
        &long,
        "dev",
        &ExecOptions::default(),
        &mut quiet(),
    )
    .unwrap_err();
    assert_eq!(e.kind, ErrorKind::ClusterNotUp);
    let recs = backend::status(&mut state, None, RefreshMode::Force).unwrap();
    assert_eq!(recs[0].status, ClusterStatus::Stopped);

    // start: UP again, the job table survived.
    backend::start(
        &mut state,
        "dev",
        None,
        None,
        false,
        false,
        false,
        &mut quiet(),
    )
    .unwrap();
    assert_eq!(
        state.get_cluster("dev").unwrap().unwrap().status,
        ClusterStatus::Up
    );
    let q = backend::queue(&mut state, "dev", false, None).unwrap();
    assert_eq!(q.len(), 3);
    let r = backend::exec(
        &mut state,
        &task("run: echo again\n"),
        "dev",
        &ExecOptions::default(),
        &mut quiet(),
    )
    .unwrap();
    assert_eq!(r.job_id, Some(4));
    let (text, code) = logs(&mut state, "dev", Some(4), true);
    assert_eq!(code, 0);
    assert!(
        text.contains("(head, rank=0, pid="),
        "single-node task on a 2-node cluster: {text}"
    );

    // down: nothing left.
    backend::down(&mut state, "dev", false).unwrap();
    assert!(state.get_cluster("dev").unwrap().is_none());
    assert!(!root.exists());
    assert!(w.node_processes().is_empty());
    let e = backend::down(&mut state, "dev", false).unwrap_err();
    assert_eq!(e.kind, ErrorKind::ClusterDoesNotExist);
    assert_eq!(e.message, "Cluster 'dev' does not exist.");
    let h = state.get_clusters_from_history(None).unwrap();
    assert_eq!(h.len(), 1);
    assert_eq!(h[0].usage_intervals.len(), 2, "launch..stop, start..down");
}

#[test]
fn setup_failure_is_failed_setup() {
    let w = World::new("setupfail");
    let mut state = w.state();
    let t = task(
        "resources:\n  ports: [8080, 9000-9001]\nsetup: echo preparing; exit 7\nrun: echo never\n",
    );
    let opts = LaunchOptions {
        cluster_name: Some("sf".into()),
        ..Default::default()
    };
    let r = backend::launch(&mut state, &t, &opts, &mut quiet()).unwrap();
    let (text, code) = logs(&mut state, "sf", r.job_id, true);
    assert_eq!(code, 100, "{text}");
    assert!(text.contains("(setup pid="), "{text}");
    assert!(text.contains("preparing"));
    assert!(!text.contains("never"));
    assert!(
        text.contains("ERROR: Job 1's setup failed. Failed workers: (pid="),
        "{text}"
    );
    assert!(
        text.contains("returncode=7). See error logs above for more details."),
        "{text}"
    );
    assert!(
        text.contains("Job finished (status: FAILED_SETUP)."),
        "{text}"
    );
    let q = backend::queue(&mut state, "sf", false, None).unwrap();
    assert_eq!(q[0].status, JobStatus::FailedSetup);
    // Relaunch with --no-setup runs only the run section.
    let opts = LaunchOptions {
        cluster_name: Some("sf".into()),
        no_setup: true,
        ..Default::default()
    };
    let r = backend::launch(&mut state, &t, &opts, &mut quiet()).unwrap();
    let (text, code) = logs(&mut state, "sf", r.job_id, true);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("never") && !text.contains("preparing"));
    let eps = backend::endpoints(&mut state, "sf", None).unwrap();
    assert_eq!(eps.len(), 3);
    assert_eq!(eps[&9001], "127.0.0.1:9001");
    assert_eq!(
        backend::endpoints(&mut state, "sf", Some(8080))
            .unwrap()
            .len(),
        1
    );
    // Errors leave the state unchanged.
    let e = backend::exec(
        &mut state,
        &t,
        "nope",
        &ExecOptions::default(),
        &mut quiet(),
    )
    .unwrap_err();
    assert_eq!(e.kind, ErrorKind::ClusterDoesNotExist);
    let e = backend::launch(
        &mut state,
        &task("resources:\n  accelerators: H100:8\nrun: x\n"),
        &LaunchOptions {
            cluster_name: Some("gpu".into()),
            ..Default::default()
        },
        &mut quiet(),
    )
    .unwrap_err();
    assert_eq!(e.kind, ErrorKind::ResourcesUnavailable);
    assert!(state.get_cluster("gpu").unwrap().is_none());
    let e = backend::exec(
        &mut state,
        &task("num_nodes: 3\nrun: x\n"),
        "sf",
        &ExecOptions::default(),
        &mut quiet(),
    )
    .unwrap_err();
    assert_eq!(e.kind, ErrorKind::ResourcesMismatch);
    assert_eq!(
        backend::queue(&mut state, "sf", false, None).unwrap().len(),
        2
    );
    backend::down(&mut state, "sf", false).unwrap();
}
