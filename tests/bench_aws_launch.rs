//! AWS launch overhead benchmark (not a timed test; run on demand under
//! `benches/aws_launch_bench.sh`, which starts moto and the local AWS):
//!   cargo test --features aws --test bench_aws_launch -- --ignored --nocapture
//! A one-node `launch` (optimizer, provisioning, SSH wait, runtime deploy,
//! setup, job submission) of a one-line task on the local AWS, then until
//! the job has SUCCEEDED. stix's overhead is the wall time minus the time
//! spent in EC2 API calls (`aws_client::api_time`) and waiting for the
//! instance to accept SSH (`ssh_wait::waited`: the instance booting).

#![cfg(feature = "aws")]

mod aws_support;
mod common;

use std::time::{Duration, Instant};

use aws_support::*;
use stix::agent::jobs::JobStatus;
use stix::backend::{self, LaunchOptions, Progress, ssh_wait};
use stix::provision::aws_client::api_time;

const TASK: &str = "resources:
  infra: aws/us-east-1
  instance_type: m6i.large
setup: echo setup
run: echo hi
";

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

#[test]
#[ignore]
fn aws_launch_overhead() {
    let Some(moto) = moto_url() else { return };
    if local_aws().is_none() {
        return;
    }
    let Some(src) = test_catalogs() else { return };
    let _g = serial();
    use_endpoint(&moto);
    let w = common::World::new("bench-aws");
    aws_home(&w.home, &src);
    // SAFETY: tests in this binary run one at a time (World, serial).
    unsafe { std::env::set_var("STIX_ASSUME_ENABLED", "aws") };
    let task = common::task(TASK);
    let runs: usize = std::env::var("RUNS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3);
    let art = stix::agent::deploy::Artifact::local().unwrap();
    let size = std::fs::metadata(art.path()).map_or(0, |m| m.len());
    println!(
        "runtime artifact: {} ({:.1} MB, uploaded once per new instance)",
        art.path().display(),
        size as f64 / 1e6
    );
    let mut rows = Vec::new();
    for i in 0..runs {
        reset(&moto);
        make_vpc();
        let mut state = w.state();
        let name = format!("bench{i}");
        let (api0, calls0) = api_time();
        let boot0 = ssh_wait::waited();
        let t0 = Instant::now();
        let opts = LaunchOptions {
            cluster_name: Some(name.clone()),
            ..Default::default()
        };
        // The stages with their start times, printed for the first run
        // (where the time goes).
        let mut timeline = Vec::new();
        // Launch start -> SSH ready (the "Preparing SkyPilot runtime"
        // spinner): the phase benches/aws_launch_bench.sh compares with
        // SkyPilot, whose runtime setup cannot finish offline.
        let mut ssh_ready = None;
        let r = backend::launch(&mut state, &task, &opts, &mut |p| {
            if ssh_ready.is_none()
                && matches!(&p, Progress::Spinner(s) if s == "Preparing SkyPilot runtime")
            {
                ssh_ready = Some((
                    t0.elapsed(),
                    api_time().0 - api0,
                    ssh_wait::waited() - boot0,
                ));
            }
            let what = match p {
                Progress::Stage(s) => format!("{s:?}"),
                Progress::Spinner(s) => s,
                Progress::Info(l) => common::plain(&l),
            };
            timeline.push((ms(t0.elapsed()), what));
        })
        .unwrap();
        if i == 0 {
            for (t, what) in &timeline {
                println!("  {t:>6.0} ms  {}", what.lines().next().unwrap_or(""));
            }
        }
        let launched = t0.elapsed();
        let (p_wall, p_api, p_boot) = ssh_ready.expect("no \"Preparing SkyPilot runtime\" stage");
        println!(
            "phase {i}: to SSH ready {:.0} ms, EC2 API {:.0} ms, boot {:.0} ms, stix overhead {:.0} ms",
            ms(p_wall),
            ms(p_api),
            ms(p_boot),
            ms(p_wall.saturating_sub(p_api + p_boot))
        );
        let job = r.job_id.expect("a job was submitted");
        loop {
            let st = backend::job_status(&mut state, &name, Some(&[job])).unwrap();
            match st.get(&job).copied().flatten() {
                Some(JobStatus::Succeeded) => break,
                Some(s) if s.is_terminal() => panic!("job ended {s:?}"),
                _ => std::thread::sleep(Duration::from_millis(20)),
            }
            assert!(
                t0.elapsed() < Duration::from_secs(120),
                "job did not finish"
            );
        }
        let done = t0.elapsed();
        let (api1, calls1) = api_time();
        let api = api1 - api0;
        let boot = ssh_wait::waited() - boot0;
        let overhead = done.saturating_sub(api + boot);
        println!(
            "run {i}: launch {:.0} ms, job done {:.0} ms, EC2 API {:.0} ms ({} calls), \
             boot {:.0} ms, stix overhead {:.0} ms",
            ms(launched),
            ms(done),
            ms(api),
            calls1 - calls0,
            ms(boot),
            ms(overhead)
        );
        rows.push([ms(launched), ms(done), ms(api), ms(boot), ms(overhead)]);
        backend::down(&mut state, &name, false).unwrap();
    }
    let col = |k: usize| median(rows.iter().map(|r| r[k]).collect());
    println!(
        "median of {runs}: launch {:.0} ms, job done {:.0} ms, EC2 API {:.0} ms, boot {:.0} ms, \
         stix overhead {:.0} ms (goal < 2000 ms)",
        col(0),
        col(1),
        col(2),
        col(3),
        col(4)
    );
}
