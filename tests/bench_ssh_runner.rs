//! SSH transport benchmarks (not timed tests; run on demand, as root or
//! with STIX_TEST_HOSTS, ideally release):
//!   cargo test --release --test bench_ssh_runner -- --ignored --nocapture
//! A multiplexed command on a warm master, the first command to a host
//! (master start: TCP + handshake), a later process reusing the master,
//! a small workdir rsync, and deploying the runtime (upload, then the
//! no-op check).

mod ssh_support;

use std::process::Command;
use std::time::Instant;

use stix::agent::deploy::{self, Artifact};
use stix::runner::{RunRequest, ssh_master};

fn ms(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1e3
}

fn stats(name: &str, mut v: Vec<f64>) {
    v.sort_by(f64::total_cmp);
    let mean = v.iter().sum::<f64>() / v.len() as f64;
    eprintln!(
        "{name}: p50 {:.2} ms, mean {mean:.2} ms, p90 {:.2} ms (n={})",
        v[v.len() / 2],
        v[v.len() * 9 / 10],
        v.len()
    );
}

#[test]
#[ignore = "benchmark"]
fn ssh_transport() {
    let Some(th) = ssh_support::hosts("ssh_transport", 1) else {
        return;
    };
    th.reset(0);
    let spec = th.spec(0);
    let target = spec.ssh_target().unwrap();

    let mut cold = Vec::new();
    for _ in 0..5 {
        ssh_master::close_master(&target);
        let t = Instant::now();
        spec.runner().run(&RunRequest::new(["true"]), None).unwrap();
        cold.push(ms(t));
    }
    stats("first command (new master)", cold);

    let r = spec.runner();
    let mut warm = Vec::new();
    for _ in 0..200 {
        let t = Instant::now();
        assert_eq!(r.run(&RunRequest::new(["true"]), None).unwrap().code, 0);
        warm.push(ms(t));
    }
    stats("multiplexed `true`", warm);

    // Another process: the master (ControlPersist) and its socket are found
    // and reused; this is what each CLI invocation pays.
    let mut other = Vec::new();
    for _ in 0..20 {
        let t = Instant::now();
        let out = Command::new("ssh")
            .args(target.ssh_args())
            .args([target.destination(), "true"])
            .status()
            .unwrap();
        assert!(out.success());
        other.push(ms(t));
    }
    stats("`ssh -S` through the master (a second process)", other);

    let wd = std::env::temp_dir().join(format!("stix-bench-wd-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&wd);
    for i in 0..100 {
        let p = wd.join(format!("d{}/f{i}.txt", i % 10));
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, "x".repeat(1000 + i)).unwrap();
    }
    let mut sync = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        r.rsync_up(&wd, "~/sky_workdir").unwrap();
        sync.push(ms(t));
    }
    stats("rsync of a 100-file workdir (first run uploads)", sync);

    let bin = Artifact::Binary(env!("CARGO_BIN_EXE_stix").into());
    let size = std::fs::metadata(bin.path()).unwrap().len() as f64 / 1e6;
    let t = Instant::now();
    deploy::ensure_artifact(r.as_ref(), &bin).unwrap();
    eprintln!(
        "deploy: upload of a {size:.0} MB stix binary: {:.0} ms",
        ms(t)
    );
    let mut again = Vec::new();
    for _ in 0..10 {
        let t = Instant::now();
        deploy::ensure_artifact(r.as_ref(), &bin).unwrap();
        again.push(ms(t));
    }
    stats("deploy: already present (one probe)", again);
    let _ = std::fs::remove_dir_all(&wd);
    th.reset(0);
}
