//! SSH node pool benchmarks (not timed tests; run on demand, ideally
//! release, as root or with STIX_TEST_HOSTS):
//!   cargo test --release --test bench_ssh_pool -- --ignored --nocapture
//! `sky launch` of a one-line task on a fresh pool host until its first log
//! line (with the host's SSH master cold and warm), and `sky exec` on an UP
//! SSH cluster until the job is RUNNING.

mod ssh_support;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use stix::agent::jobs::JobStatus;
use stix::backend::{self, ExecOptions};
use stix::spec::Task;
use stix::state::StateDb;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn sky(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_stix"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

/// Closes every ControlMaster of this user, so the next command to a host
/// pays the TCP connection and the SSH handshake again.
fn close_masters() {
    // SAFETY: getuid has no preconditions.
    let dir = format!("/tmp/stix-ssh-{}", unsafe { libc::getuid() });
    for e in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
        let _ = Command::new("ssh")
            .args(["-O", "exit", "-S"])
            .arg(e.path())
            .arg("x")
            .stderr(Stdio::null())
            .status();
    }
}

/// Seconds from `sky launch` to the task's first output line.
fn launch_to_first_line(name: &str) -> f64 {
    let t0 = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_stix"))
        .args([
            "launch",
            "-y",
            "-c",
            name,
            "--infra",
            "ssh/bench",
            "--cpus",
            "1",
        ])
        .arg("echo first-line")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let out = child.stdout.take().unwrap();
    let mut secs = f64::NAN;
    for line in BufReader::new(out).lines().map_while(Result::ok) {
        if line.contains("first-line") && !line.contains("Command to run") {
            secs = t0.elapsed().as_secs_f64();
            break;
        }
    }
    let _ = child.wait();
    secs
}

#[test]
#[ignore]
fn bench_ssh_pool() {
    let Some(th) = ssh_support::hosts("bench_ssh_pool", 1) else {
        return;
    };
    let home = std::env::temp_dir().join(format!("stix-bench-ssh-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&home);
    std::fs::create_dir_all(home.join(".sky")).unwrap();
    // SAFETY: this benchmark is the only test of its binary.
    unsafe {
        std::env::set_var("HOME", &home);
        std::env::set_var("STIX_AGENT_BIN", env!("CARGO_BIN_EXE_stix"));
    }
    std::fs::write(
        home.join(".sky/ssh_node_pools.yaml"),
        format!(
            "bench:\n  user: {}\n  identity_file: {}\n  hosts: [{}]\n",
            th.user,
            th.key.display(),
            th.hosts[0].ip
        ),
    )
    .unwrap();
    let t0 = Instant::now();
    assert!(sky(&["ssh", "up"]).status.success());
    println!(
        "sky ssh up (1 host): {:.0} ms",
        t0.elapsed().as_secs_f64() * 1000.0
    );

    for (label, cold) in [("cold SSH master", true), ("warm SSH master", false)] {
        let mut v = Vec::new();
        for i in 0..5 {
            if cold {
                close_masters();
            }
            let name = format!("bench-{i}");
            v.push(launch_to_first_line(&name));
            assert!(sky(&["down", "-y", &name]).status.success());
        }
        println!(
            "sky launch -> first log line ({label}): median {:.2} s, all {:?}",
            median(v.clone()),
            v.iter().map(|s| format!("{s:.2}")).collect::<Vec<_>>()
        );
    }

    // exec -> RUNNING on an UP cluster, seen through the head's agent.
    assert!(
        sky(&[
            "launch",
            "-y",
            "-c",
            "bench",
            "--infra",
            "ssh/bench",
            "--cpus",
            "1"
        ])
        .status
        .success()
    );
    let mut state = StateDb::open().unwrap();
    let t = Task::from_yaml_str("run: sleep 0.3\n").unwrap();
    let (mut submit, mut lat) = (Vec::new(), Vec::new());
    for _ in 0..15 {
        let t0 = Instant::now();
        let id = backend::exec(
            &mut state,
            &t,
            "bench",
            &ExecOptions::default(),
            &mut |_| {},
        )
        .unwrap()
        .job_id
        .unwrap();
        submit.push(t0.elapsed().as_secs_f64() * 1000.0);
        loop {
            let s = backend::job_status(&mut state, "bench", Some(&[id])).unwrap();
            if s.get(&id).copied().flatten() == Some(JobStatus::Running) {
                break;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        lat.push(t0.elapsed().as_secs_f64() * 1000.0);
        std::thread::sleep(Duration::from_millis(500));
    }
    println!(
        "sky exec returns (job submitted): median {:.1} ms; exec -> RUNNING: median {:.1} ms, \
         max {:.1} ms",
        median(submit),
        median(lat.clone()),
        lat.iter().cloned().fold(0.0, f64::max)
    );
    assert!(sky(&["down", "-y", "bench"]).status.success());
    assert!(sky(&["ssh", "down"]).status.success());
}
