//! Every example under `examples/` runs on the local infra as its comment
//! says (the job-queue one with a pretend GPU).

mod common;

use common::*;
use stix::agent::jobs::JobStatus;
use stix::backend::{self, ExecOptions, LaunchOptions};

fn launch_example(state: &mut stix::state::StateDb, file: &str, cluster: &str) -> (String, i32) {
    let t = stix::spec::Task::from_yaml(&format!("examples/{file}")).unwrap();
    let opts = LaunchOptions {
        cluster_name: Some(cluster.into()),
        ..Default::default()
    };
    let r = backend::launch(state, &t, &opts, &mut quiet()).unwrap();
    logs(state, cluster, r.job_id, true)
}

#[test]
fn examples_run_locally() {
    let w = World::new("examples");
    let mut state = w.state();

    let (text, code) = launch_example(&mut state, "hello.yaml", "hello");
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("hello from stix on"), "{text}");

    let (text, code) = launch_example(&mut state, "multinode.yaml", "multi");
    assert_eq!(code, 0, "{text}");
    assert!(
        text.contains("hello from rank 0 of 2") && text.contains("hello from rank 1 of 2"),
        "{text}"
    );

    let (text, code) = launch_example(&mut state, "workdir_setup.yaml", "app");
    assert_eq!(code, 0, "{text}");
    assert!(
        text.contains("setup on node 0") && text.contains("training in"),
        "{text}"
    );
    assert!(
        text.contains("with answer 42") && text.contains("step 3"),
        "{text}"
    );

    // SAFETY: tests in this binary run one at a time.
    unsafe { std::env::set_var("STIX_LOCAL_ACCELERATORS", "H100:1") };
    let mut t = stix::spec::Task::from_yaml("examples/job_queue_gpus.yaml").unwrap();
    // The example's jobs sleep 5 s: on a loaded machine the first one can
    // finish before the third is queued, so the sharing is never seen.
    // Long jobs make the observation certain; they are cancelled after it.
    t.run = t.run.map(|r| r.replace("sleep 5", "sleep 120"));
    let opts = LaunchOptions {
        cluster_name: Some("gpus".into()),
        ..Default::default()
    };
    backend::launch(&mut state, &t, &opts, &mut quiet()).unwrap();
    for _ in 0..2 {
        backend::exec(
            &mut state,
            &t,
            "gpus",
            &ExecOptions::default(),
            &mut quiet(),
        )
        .unwrap();
    }
    wait_for(20, "two halves sharing the GPU, the third waiting", || {
        let q = backend::queue(&mut state, "gpus", false, None).unwrap();
        let count = |s: JobStatus| q.iter().filter(|j| j.status == s).count();
        (q.len() == 3 && count(JobStatus::Running) == 2 && count(JobStatus::Pending) == 1)
            .then_some(())
    });
    let text = wait_for(20, "the first job's line", || {
        let (text, _) = logs(&mut state, "gpus", Some(1), false);
        text.contains("GPUs per node").then_some(text)
    });
    assert!(
        text.contains("CUDA_VISIBLE_DEVICES=0 GPUs per node: 1"),
        "{text}"
    );
    backend::cancel(&mut state, "gpus", None, true, None).unwrap();
    for c in ["hello", "multi", "app", "gpus"] {
        backend::down(&mut state, c, false).unwrap();
    }
}
