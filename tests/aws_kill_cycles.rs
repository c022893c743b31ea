//! 20 launch/down cycles on AWS (moto) with the `sky` client killed by
//! SIGKILL (its whole process group) at random points of `sky launch` and
//! `sky down`: afterwards every instance and cluster security group of
//! stix's in moto belongs to a cluster `sky status` lists, `sky down -a`
//! removes them all, and no lock of a killed client blocks a new launch.
//! The delays come from a seeded generator; the seed is printed
//! (`STIX_KILL_SEED=<n>` replays a run). Without the local AWS watcher no
//! host answers behind moto's addresses, so a launch ends at the SSH wait;
//! the kills that matter for leaks fall before it either way.

#![cfg(feature = "aws")]

mod aws_cli;
mod aws_support;

use std::time::{Duration, Instant};

use aws_cli::{Ended, Leftovers, Rng, Sky, catalogs, plain, run_killed};
use aws_support::*;

const TASK: &str = "resources:
  infra: aws/us-east-1
  instance_type: m6i.large
  ports: 8080
run: echo hi
";

const CYCLES: u64 = 20;
const NAMES: &[&str] = &["kc-a", "kc-b", "kc-c"];

/// `sky launch` of the task on `name`, killed after `delay`.
fn launch(sky: &Sky, yaml: &str, name: &str, delay: Duration) -> Ended {
    let cmd = sky.command(&["launch", "--infra", "aws", "-y", "-c", name, yaml]);
    run_killed(cmd, delay)
}

/// How a command ended, with the last line it printed (the stage a kill
/// hit).
fn last_line(e: &Ended) -> String {
    let (how, out) = match e {
        Ended::Finished(code, out) => (format!("exit {code}"), out),
        Ended::Killed(out) => ("KILLED".to_string(), out),
    };
    let line = out
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("");
    let plain = plain(line);
    format!("{how} at {plain:?}")
}

fn assert_known(sky: &Sky, when: &str) {
    let left = Leftovers::now();
    let known = sky.status_names(false);
    for cluster in left.clusters() {
        assert!(
            known.contains(&cluster),
            "{when}: {cluster} has resources in moto but `sky status` lists only \
             {known:?}: {left:?}"
        );
    }
    assert!(left.key_pairs.is_empty(), "{when}: {left:?}");
}

#[test]
fn killed_launches_and_downs_leave_nothing_unknown() {
    let Some(moto) = moto_url() else { return };
    let Some(src) = catalogs() else { return };
    let _g = serial();
    use_endpoint(&moto);
    reset(&moto);
    let vpc = make_vpc();
    add_subnets(&vpc, 3..6);
    let sky = Sky::new("kill", &src);
    let yaml = sky.write("task.yaml", TASK);
    let mut rng = Rng::from_env();
    let started = Instant::now();

    // Launches to their end (the second with warm caches) set the scale
    // of the random delays.
    let (mut full_launch, mut full_down) = (Duration::ZERO, Duration::ZERO);
    for _ in 0..2 {
        let t = Instant::now();
        let first = launch(&sky, &yaml, NAMES[0], Duration::from_secs(120));
        full_launch = t.elapsed();
        let t = Instant::now();
        let (code, out) = sky.run(&["down", "-y", NAMES[0]]);
        assert_eq!(code, 0, "{out}");
        full_down = t.elapsed();
        eprintln!(
            "full launch {full_launch:?} ({}), full down {full_down:?}",
            last_line(&first)
        );
        assert!(Leftovers::now().is_empty(), "{:?}", Leftovers::now());
    }

    let launch_ms = full_launch.as_millis() as u64 + 200;
    let down_ms = full_down.as_millis() as u64 + 100;
    let mut kills = 0;
    for cycle in 0..CYCLES {
        let name = NAMES[rng.below(NAMES.len() as u64) as usize];
        let d = Duration::from_millis(rng.below(launch_ms));
        let ended = launch(&sky, &yaml, name, d);
        let killed = matches!(ended, Ended::Killed(_));
        kills += u32::from(killed);
        eprintln!(
            "cycle {cycle}: launch {name}, kill after {d:?}: {}",
            last_line(&ended)
        );
        // Half the cycles go on with a `sky down` that may be killed too;
        // the others leave the cluster for a later launch of that name.
        if rng.below(2) == 0 {
            let d = Duration::from_millis(rng.below(down_ms));
            let ended = run_killed(sky.command(&["down", "-y", name]), d);
            eprintln!(
                "cycle {cycle}: down {name}, kill after {d:?}: {}",
                last_line(&ended)
            );
            if let Ended::Killed(_) = ended {
                kills += 1;
            }
        }
        assert_known(&sky, &format!("cycle {cycle}"));
    }
    eprintln!("{kills} kills in {CYCLES} cycles");

    // `sky status -r` keeps every cluster that still has resources; one it
    // drops (no instance left) takes its security group with it.
    let refreshed = sky.status_names(true);
    let after = Leftovers::now();
    for cluster in after.clusters() {
        assert!(refreshed.contains(&cluster), "{refreshed:?}: {after:?}");
    }
    let (code, out) = sky.run(&["down", "-a", "-y"]);
    assert_eq!(code, 0, "{out}");
    let left = Leftovers::now();
    assert!(left.is_empty(), "after `sky down -a`: {left:?}\n{out}");
    assert_eq!(sky.status_names(false), Vec::<String>::new());

    // Nothing of a killed client stays locked: a launch of every name
    // gets past the lock (to the SSH wait, or up with the local AWS).
    for name in NAMES {
        match launch(&sky, &yaml, name, Duration::from_secs(120)) {
            Ended::Finished(0, _) => {}
            Ended::Finished(_, out) => assert!(
                out.contains("Failed to connect") || out.contains("SSH"),
                "{name}: {out}"
            ),
            Ended::Killed(out) => panic!("{name}: launch hung:\n{out}"),
        }
    }
    let (code, out) = sky.run(&["down", "-a", "-y"]);
    assert_eq!(code, 0, "{out}");
    assert!(Leftovers::now().is_empty(), "{:?}", Leftovers::now());
    eprintln!("wall time {:?}", started.elapsed());
}
