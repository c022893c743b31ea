//! FIFO scheduling with resource accounting on one local node: fractional
//! GPUs share a device, a whole-GPU job waits for both halves, a CPU job
//! behind it waits too (head-of-line blocking), and 0.5 CPU per job caps
//! how many CPU jobs run at once.

mod common;

use common::*;
use stix::agent::jobs::{JobRecord, JobStatus};
use stix::backend::{self, ExecOptions, LaunchOptions};

fn exec(state: &mut stix::state::StateDb, cluster: &str, yaml: &str) -> i64 {
    backend::exec(
        state,
        &task(yaml),
        cluster,
        &ExecOptions::default(),
        &mut quiet(),
    )
    .unwrap()
    .job_id
    .unwrap()
}

fn jobs(state: &mut stix::state::StateDb, cluster: &str) -> Vec<JobRecord> {
    let mut q = backend::queue(state, cluster, false, None).unwrap();
    q.sort_by_key(|j| j.job_id);
    q
}

fn all_done(state: &mut stix::state::StateDb, cluster: &str) -> Vec<JobRecord> {
    wait_for(60, "all jobs finished", || {
        let q = jobs(state, cluster);
        q.iter().all(|j| j.status.is_terminal()).then_some(q)
    })
}

#[test]
fn fractional_gpus_and_fifo_order() {
    let w = World::new("gpu");
    // SAFETY: tests in this binary run one at a time.
    unsafe { std::env::set_var("STIX_LOCAL_ACCELERATORS", "A100:1") };
    let mut state = w.state();
    let opts = LaunchOptions {
        cluster_name: Some("g".into()),
        ..Default::default()
    };
    let launched = backend::launch(
        &mut state,
        &task("resources:\n  accelerators: A100:1\n"),
        &opts,
        &mut quiet(),
    )
    .unwrap();
    assert_eq!(launched.job_id, None, "no run, no setup: no job");
    let half = "resources:\n  accelerators: A100:0.5\nrun: |\n  echo cvd=$CUDA_VISIBLE_DEVICES gpus=$SKYPILOT_NUM_GPUS_PER_NODE\n  sleep 2\n";
    let a = exec(&mut state, "g", half);
    let b = exec(&mut state, "g", half);
    let whole = exec(
        &mut state,
        "g",
        "resources:\n  accelerators: A100:1\nrun: echo cvd=$CUDA_VISIBLE_DEVICES gpus=$SKYPILOT_NUM_GPUS_PER_NODE\n",
    );
    let cpu = exec(
        &mut state,
        "g",
        "run: echo cpu cvd=[$CUDA_VISIBLE_DEVICES]\n",
    );
    // While the halves run, the whole-GPU job and the CPU job behind it wait.
    wait_for(20, "both halves running", || {
        let q = jobs(&mut state, "g");
        let running = q.iter().filter(|j| j.status == JobStatus::Running).count();
        (running == 2).then_some(())
    });
    let q = jobs(&mut state, "g");
    let status = |id: i64| q.iter().find(|j| j.job_id == id).unwrap().status;
    assert_eq!(status(whole), JobStatus::Pending);
    assert_eq!(
        status(cpu),
        JobStatus::Pending,
        "FIFO: blocked behind the GPU job"
    );

    let q = all_done(&mut state, "g");
    let rec = |id: i64| q.iter().find(|j| j.job_id == id).unwrap().clone();
    for id in [a, b, whole, cpu] {
        assert_eq!(rec(id).status, JobStatus::Succeeded);
    }
    let (ra, rb, rw, rc) = (rec(a), rec(b), rec(whole), rec(cpu));
    let end = |r: &JobRecord| r.end_at.unwrap();
    let start = |r: &JobRecord| r.start_at.unwrap();
    assert!(start(&rb) < end(&ra), "the halves overlap");
    assert!(start(&rw) >= end(&ra).max(end(&rb)) - 0.05);
    assert!(start(&rc) >= start(&rw) - 0.05);
    let (text, _) = logs(&mut state, "g", Some(a), false);
    assert!(text.contains("cvd=0 gpus=1"), "{text}");
    let (text, _) = logs(&mut state, "g", Some(whole), false);
    assert!(text.contains("cvd=0 gpus=1"), "{text}");
    let (text, _) = logs(&mut state, "g", Some(cpu), false);
    assert!(text.contains("cpu cvd=[]"), "{text}");
    assert!(rw.resources == "1x[A100:1]" && ra.resources == "1x[A100:0.5]");
    backend::down(&mut state, "g", false).unwrap();
}

#[test]
fn half_a_cpu_per_job() {
    let w = World::new("cpu");
    // SAFETY: tests in this binary run one at a time.
    unsafe { std::env::set_var("STIX_LOCAL_CPUS", "1") };
    let mut state = w.state();
    let opts = LaunchOptions {
        cluster_name: Some("c".into()),
        ..Default::default()
    };
    backend::launch(&mut state, &task("name: warm\n"), &opts, &mut quiet()).unwrap();
    let ids: Vec<i64> = (0..3)
        .map(|_| exec(&mut state, "c", "run: sleep 1.5\n"))
        .collect();
    let q = all_done(&mut state, "c");
    let rec = |id: i64| q.iter().find(|j| j.job_id == id).unwrap().clone();
    let (j1, j2, j3) = (rec(ids[0]), rec(ids[1]), rec(ids[2]));
    assert!(
        j2.start_at.unwrap() < j1.end_at.unwrap(),
        "two fit in one CPU"
    );
    assert!(
        j3.start_at.unwrap() >= j1.end_at.unwrap().min(j2.end_at.unwrap()) - 0.05,
        "the third waits for a slot"
    );
    backend::down(&mut state, "c", false).unwrap();
}
