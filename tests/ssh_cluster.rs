//! A 2-node cluster over real SSH on the namespace test hosts, built by
//! hand (no pool file): the runtime is deployed to both hosts (the `stix`
//! binary, as `STIX_AGENT_BIN` names it), the head's agent reaches the
//! worker over SSH with the copied key, a 2-node job sees the right ranks
//! and IPs on each host (`sky exec` runs no setup; launch's setup is ssh-pools' end-to-end test), and cancel kills the processes on both hosts.

mod common;
mod ssh_support;

use std::time::Instant;

use common::*;
use stix::agent::NodeSpec;
use stix::agent::jobs::JobStatus;
use stix::backend::provisioning::{self, RecordInfo};
use stix::backend::{self, ClusterHandle, ExecOptions, LaunchedResources};
use stix::provision::NodeResources;
use stix::runner::RunRequest;

const TASK: &str = r#"
num_nodes: 2
workdir: WORKDIR
envs:
  FOO: "bar baz"
run: |
  echo "rank=$SKYPILOT_NODE_RANK num=$SKYPILOT_NUM_NODES host=$(hostname) foo=$FOO"
  echo "ips=$(echo "$SKYPILOT_NODE_IPS" | paste -sd,)"
  echo "wd=$(pwd) $(cat a.txt)"
"#;

fn handle(th: &ssh_support::TestHosts) -> ClusterHandle {
    let nodes = (0..2)
        .map(|i| NodeSpec {
            instance_id: th.hosts[i].name.clone(),
            internal_ip: th.hosts[i].ip.clone(),
            runner: th.spec(i),
            resources: NodeResources {
                cpus: 4.0,
                memory_gb: 8.0,
                ..Default::default()
            },
        })
        .collect();
    ClusterHandle {
        cluster_name: "sshc".into(),
        cluster_name_on_cloud: "sshc".into(),
        // No provisioner: the test owns the hosts.
        provider_name: String::new(),
        launched_nodes: 2,
        launched_resources: LaunchedResources {
            cloud: "ssh".into(),
            cpus: Some(4.0),
            memory_gb: Some(8.0),
            ..Default::default()
        },
        nodes,
        ..Default::default()
    }
}

fn count_on(th: &ssh_support::TestHosts, i: usize, pattern: &str) -> usize {
    let out = th
        .spec(i)
        .runner()
        .run(
            &RunRequest::bash(&format!("pgrep -f '^{pattern}$' | wc -l")),
            None,
        )
        .unwrap();
    out.stdout.trim().parse().unwrap_or(usize::MAX)
}

#[test]
fn two_host_job_ranks_logs_and_cancel() {
    let Some(th) = ssh_support::hosts("two_host_job_ranks_logs_and_cancel", 2) else {
        return;
    };
    let w = World::new("sshc");
    th.reset(0);
    th.reset(1);
    let h = handle(th);
    let t0 = Instant::now();
    provisioning::setup_runtime(&h, false).unwrap();
    let first = t0.elapsed();
    let t1 = Instant::now();
    provisioning::setup_runtime(&h, false).unwrap();
    eprintln!(
        "setup_runtime over SSH: first (upload) {:.0} ms, again {:.0} ms",
        first.as_secs_f64() * 1e3,
        t1.elapsed().as_secs_f64() * 1e3
    );
    let mut state = w.state();
    provisioning::save(&mut state, &h, &RecordInfo::default(), true).unwrap();

    // The runtime landed on both hosts, versioned, behind the stable link.
    for i in 0..2 {
        let out = th
            .spec(i)
            .runner()
            .run(&RunRequest::bash("readlink ~/.sky/stix/stix"), None)
            .unwrap();
        assert!(out.stdout.starts_with("v1-"), "host {i}: {out:?}");
    }

    let workdir = w.home.join("wd");
    std::fs::create_dir_all(&workdir).unwrap();
    std::fs::write(workdir.join("a.txt"), "content-of-a").unwrap();
    let task = task(&TASK.replace("WORKDIR", &workdir.display().to_string()));
    let r = backend::exec(
        &mut state,
        &task,
        "sshc",
        &ExecOptions::default(),
        &mut quiet(),
    )
    .unwrap();
    let job = r.job_id.unwrap();
    let (text, code) = logs(&mut state, "sshc", Some(job), true);
    assert_eq!(code, 0, "{text}");
    let ips = format!("ips={},{}", th.hosts[0].ip, th.hosts[1].ip);
    for (rank, host) in [(0, &th.hosts[0].name), (1, &th.hosts[1].name)] {
        assert!(
            text.contains(&format!("rank={rank} num=2 host={host} foo=bar baz")),
            "{text}"
        );
    }
    assert_eq!(text.matches(&ips).count(), 2, "{text}");
    assert_eq!(
        text.matches("wd=/root/sky_workdir content-of-a").count(),
        2,
        "{text}"
    );
    assert!(text.contains("(head, rank=0, pid="), "{text}");
    assert!(text.contains("(worker1, rank=1, pid="), "{text}");

    // A long job on both hosts, then cancel: its processes go on both.
    let long =
        stix::spec::Task::from_yaml_str("num_nodes: 2\nrun: echo started; sleep 777\n").unwrap();
    let t2 = Instant::now();
    let r = backend::exec(
        &mut state,
        &long,
        "sshc",
        &ExecOptions::default(),
        &mut quiet(),
    )
    .unwrap();
    let job = r.job_id.unwrap();
    let submitted = t2.elapsed();
    wait_for(30, "job RUNNING", || {
        let s = backend::job_status(&mut state, "sshc", Some(&[job])).unwrap();
        (s.get(&job).copied().flatten() == Some(JobStatus::Running)).then_some(())
    });
    eprintln!(
        "sky exec over SSH: submitted in {:.0} ms, RUNNING after {:.0} ms",
        submitted.as_secs_f64() * 1e3,
        t2.elapsed().as_secs_f64() * 1e3
    );
    wait_for(30, "sleepers on both hosts", || {
        (count_on(th, 0, "sleep 777") == 1 && count_on(th, 1, "sleep 777") == 1).then_some(())
    });
    let cancelled = backend::cancel(&mut state, "sshc", Some(&[job]), false, None).unwrap();
    assert_eq!(cancelled, [job]);
    wait_for(15, "sleepers gone on both hosts", || {
        (count_on(th, 0, "sleep 777") == 0 && count_on(th, 1, "sleep 777") == 0).then_some(())
    });
    let s = backend::job_status(&mut state, "sshc", Some(&[job])).unwrap();
    assert_eq!(s.get(&job).copied().flatten(), Some(JobStatus::Cancelled));

    // Nothing of the cluster reached this machine's disk from the hosts:
    // the hosts' homes are their own.
    assert!(!std::path::Path::new("/root/sky_workdir/a.txt").exists());
    th.reset(0);
    th.reset(1);
}
