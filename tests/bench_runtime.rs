//! Runtime benchmarks (not timed tests; run on demand, ideally release):
//!   cargo test --release --test bench_runtime -- --ignored --nocapture
//! exec -> RUNNING latency, 1,000 trivial jobs queued and finished, the
//! agent daemon's RSS, and reading 20 cluster records.

mod common;

use std::time::{Duration, Instant};

use common::*;
use stix::agent::db::JobsDb;
use stix::agent::jobs::{self, JobStatus};
use stix::backend::{self, ExecOptions, LaunchOptions, RefreshMode};

fn rss_kb(pid: i32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

#[test]
#[ignore]
fn bench_runtime() {
    let w = World::new("bench");
    // SAFETY: tests in this binary run one at a time.
    unsafe { std::env::set_var("STIX_LOCAL_CPUS", "8") };
    let mut state = w.state();
    let opts = LaunchOptions {
        cluster_name: Some("b".into()),
        ..Default::default()
    };
    let t0 = Instant::now();
    backend::launch(&mut state, &task("name: warm\n"), &opts, &mut quiet()).unwrap();
    println!("launch (provision + runtime, no job): {:?}", t0.elapsed());
    let head = w.cluster_root("b").join("node-0");

    // exec -> RUNNING, as seen in the head's job table.
    let t = task("run: sleep 0.2\n");
    let mut lat = Vec::new();
    let mut submit = Vec::new();
    for _ in 0..20 {
        let t0 = Instant::now();
        let id = backend::exec(&mut state, &t, "b", &ExecOptions::default(), &mut quiet())
            .unwrap()
            .job_id
            .unwrap();
        submit.push(t0.elapsed().as_secs_f64() * 1000.0);
        let db = JobsDb::open(&head).unwrap();
        loop {
            if jobs::get_status(&db, id).unwrap() == Some(JobStatus::Running) {
                break;
            }
            std::thread::sleep(Duration::from_micros(500));
        }
        lat.push(t0.elapsed().as_secs_f64() * 1000.0);
        std::thread::sleep(Duration::from_millis(300));
    }
    println!(
        "exec returns (job submitted): median {:.1} ms; exec -> RUNNING: median {:.1} ms, max {:.1} ms",
        median(submit),
        median(lat.clone()),
        lat.iter().cloned().fold(0.0, f64::max)
    );
    let daemon: i32 = read(&head.join(".sky/agent.pid")).trim().parse().unwrap();
    println!("agent daemon RSS: {} kB", rss_kb(daemon));

    // 1,000 trivial jobs.
    let t = task("run: 'true'\n");
    let t0 = Instant::now();
    let mut last = 0;
    for _ in 0..1000 {
        last = backend::exec(&mut state, &t, "b", &ExecOptions::default(), &mut quiet())
            .unwrap()
            .job_id
            .unwrap();
    }
    let queued = t0.elapsed();
    let db = JobsDb::open(&head).unwrap();
    wait_for(600, "1000 jobs done", || {
        jobs::is_cluster_idle(&db).unwrap().then_some(())
    });
    let done = t0.elapsed();
    let ok = jobs::get_jobs(&db, None, Some(&[JobStatus::Succeeded]))
        .unwrap()
        .len();
    println!(
        "1000 jobs: queued in {:.1} s, all finished in {:.1} s ({ok} succeeded, last id {last})",
        queued.as_secs_f64(),
        done.as_secs_f64()
    );
    println!("agent daemon RSS after 1000 jobs: {} kB", rss_kb(daemon));

    // Reading 20 cluster records (the state side of `sky status`).
    for i in 0..20 {
        state
            .add_or_update_cluster(&stix::state::ClusterUpdate {
                name: format!("rec{i}"),
                handle: serde_json::json!({}),
                ready: true,
                is_launch: true,
                user_hash: "u".into(),
                workspace: "default".into(),
                ..Default::default()
            })
            .unwrap();
    }
    let t0 = Instant::now();
    for _ in 0..100 {
        let mut s = stix::state::StateDb::open().unwrap();
        let recs = backend::status(&mut s, None, RefreshMode::None).unwrap();
        assert_eq!(recs.len(), 21);
    }
    println!(
        "open state DB + status of 21 clusters (no refresh): {:.2} ms",
        t0.elapsed().as_secs_f64() * 10.0
    );
    let t0 = Instant::now();
    let recs = backend::status(&mut state, Some(&["b".to_string()]), RefreshMode::Force).unwrap();
    assert_eq!(recs.len(), 1);
    println!("forced refresh of one local cluster: {:?}", t0.elapsed());
    backend::down(&mut state, "b", false).unwrap();
}
