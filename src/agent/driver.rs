//! The job driver (`sky _agent driver --job-id N`; SkyPilot's generated
//! Ray program): started detached by the scheduler once the job's nodes
//! are reserved, with its output appended to the job's `run.log`. It runs
//! setup on every node (`SETTING_UP`, `FAILED_SETUP`), then the run script
//! on each of the job's nodes at once through their runners, kills the
//! other ranks when one fails (return code 137, as Ray's cancel), and
//! records the exit codes and the final status.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::mpsc;

use rusqlite::params;

use super::db::JobsDb;
use super::jobs::{self, JobStatus};
use super::scheduler::{self, NodeAlloc};
use super::script::{self, CANCELLED_RETURN_CODE, JobSubmission};
use super::{ClusterSpec, NodeSpec, autostop};
use crate::error::{Error, ErrorKind, Result};
use crate::runner::{RunRequest, Stream};

/// Where a job's submission is kept on the head (owner-readable only).
pub fn submission_path(home: &Path, job_id: i64) -> PathBuf {
    super::sky_dir(home)
        .join("job_specs")
        .join(format!("{job_id}.json"))
}

/// Loads a job's submission.
pub fn load_submission(home: &Path, job_id: i64) -> Result<JobSubmission> {
    let path = submission_path(home, job_id);
    let text = std::fs::read_to_string(&path)
        .map_err(|e| Error::new(ErrorKind::Os, format!("{}: {e}", path.display())))?;
    serde_json::from_str(&text)
        .map_err(|e| Error::new(ErrorKind::Runtime, format!("{}: {e}", path.display())))
}

enum Msg {
    Line(String),
    Pid(usize, i64),
    Done(usize, i32),
}

/// One unit of work on one node.
struct Unit {
    node: NodeSpec,
    name: String,
    log_path: String,
    ip: Option<String>,
    script: String,
    env: Vec<(String, String)>,
}

/// Runs every unit at once; the first non-zero exit cancels the others
/// (`get_or_fail`). Returns (pid, exit code) per unit.
fn run_units(units: &[Unit], argv: &[String], job_id: i64, out: &mut dyn Write) -> Vec<(i64, i32)> {
    let (tx, rx) = mpsc::channel::<Msg>();
    let mut results: Vec<Option<(i64, i32)>> = vec![None; units.len()];
    let mut pids = vec![std::process::id() as i64; units.len()];
    std::thread::scope(|s| {
        for (i, u) in units.iter().enumerate() {
            let tx = tx.clone();
            s.spawn(move || {
                let mut req = RunRequest::new(argv.iter().cloned());
                req.argv.extend([
                    "run-node".to_string(),
                    "--job-id".into(),
                    job_id.to_string(),
                    "--log".into(),
                    u.log_path.clone(),
                    "--name".into(),
                    u.name.clone(),
                ]);
                if let Some(ip) = &u.ip {
                    req.argv.extend(["--ip".to_string(), ip.clone()]);
                }
                req.env = u.env.clone();
                req.stdin = Some(u.script.clone().into_bytes());
                let runner = u.node.runner.runner();
                let mut sink = |which: Stream, line: &str| {
                    let msg = match which {
                        Stream::Stdout => Msg::Line(line.to_string()),
                        Stream::Stderr => match line.trim().strip_prefix("pid=") {
                            Some(p) => Msg::Pid(i, p.parse().unwrap_or(0)),
                            None => Msg::Line(line.to_string()),
                        },
                    };
                    let _ = tx.send(msg);
                };
                let code = runner.run(&req, Some(&mut sink)).map_or(1, |o| o.code);
                let _ = tx.send(Msg::Done(i, code));
            });
        }
        drop(tx);
        let mut failed = false;
        for msg in rx.iter() {
            match msg {
                Msg::Line(l) => {
                    let _ = out.write_all(l.as_bytes());
                    let _ = out.flush();
                }
                Msg::Pid(i, p) => pids[i] = p,
                Msg::Done(i, code) => {
                    if results[i].is_none() {
                        results[i] = Some((pids[i], code));
                    }
                    if code != 0 && !failed {
                        failed = true;
                        for (j, u) in units.iter().enumerate() {
                            if results[j].is_none() {
                                results[j] = Some((pids[j], CANCELLED_RETURN_CODE));
                                let kill = kill_request(argv, job_id);
                                s.spawn(move || u.node.runner.runner().run(&kill, None));
                            }
                        }
                    }
                }
            }
        }
    });
    results.into_iter().map(|r| r.unwrap_or((0, 1))).collect()
}

/// The request that kills a job's processes on a node.
pub fn kill_request(argv: &[String], job_id: i64) -> RunRequest {
    let mut req = RunRequest::new(argv.iter().cloned());
    req.argv.extend([
        "kill-job".to_string(),
        "--job-id".into(),
        job_id.to_string(),
    ]);
    req
}

fn update(
    db: &mut JobsDb,
    f: impl FnOnce(&rusqlite::Transaction<'_>) -> rusqlite::Result<bool>,
) -> bool {
    db.write(f).unwrap_or(false)
}

/// The driver's whole life; returns its exit code.
pub fn run_driver(home: &Path, job_id: i64, out: &mut dyn Write) -> i32 {
    match drive(home, job_id, out) {
        Ok(code) => code,
        Err(e) => {
            let _ = writeln!(out, "ERROR: {}", e.message);
            if let Ok(mut db) = JobsDb::open(home) {
                update(&mut db, |tx| {
                    jobs::set_status(tx, job_id, JobStatus::FailedDriver)
                });
            }
            let _ = scheduler::schedule_step(home);
            1
        }
    }
}

fn drive(home: &Path, job_id: i64, out: &mut dyn Write) -> Result<i32> {
    let spec = ClusterSpec::load(home)?;
    let sub = load_submission(home, job_id)?;
    let mut db = JobsDb::open(home)?;
    let me = std::process::id() as i64;
    let claimed = db.write(|tx| {
        tx.execute(
            "UPDATE jobs SET pid = ?1 WHERE job_id = ?2 AND status = 'PENDING'",
            params![me, job_id],
        )
        .map(|n| n > 0)
    })?;
    if !claimed {
        // Cancelled (or reconciled) before it could start.
        return Ok(0);
    }
    let record = jobs::get_job(&db, job_id)?.ok_or_else(|| jobs::not_found(job_id))?;
    let alloc = scheduler::job_alloc(&db, job_id)?;
    let argv = if spec.agent_argv.is_empty() {
        super::self_command()
    } else {
        spec.agent_argv.clone()
    };
    let _ = writeln!(out, "{}", script::waiting_message(sub.num_nodes));
    let _ = writeln!(out, "{}", script::job_started_message());
    let _ = out.flush();
    autostop::set_last_active_now(&mut db)?;
    let task_env = script::task_env(&spec, &sub, job_id);
    let log_dir = format!("{}/tasks", record.log_path);
    let head_ip = spec.nodes.first().map(|n| n.internal_ip.clone());
    let shown_ip =
        |n: &NodeSpec| (Some(&n.internal_ip) != head_ip.as_ref()).then(|| n.internal_ip.clone());

    if let Some(setup) = &sub.setup {
        update(&mut db, |tx| {
            jobs::set_status(tx, job_id, JobStatus::SettingUp)
        });
        scheduler::schedule_step(home)?;
        let ips = spec.internal_ips();
        let units: Vec<Unit> = spec
            .nodes
            .iter()
            .enumerate()
            .map(|(rank, node)| {
                let env = script::setup_env(&task_env, &ips, rank, sub.num_nodes, &sub.demand);
                let codegen = format!("unset CUDA_VISIBLE_DEVICES\n{setup}");
                Unit {
                    node: node.clone(),
                    name: "setup".into(),
                    log_path: format!("{log_dir}/setup.log"),
                    ip: shown_ip(node),
                    script: script::make_task_bash_script(&codegen, &env),
                    env: Vec::new(),
                }
            })
            .collect();
        let results = run_units(&units, &argv, job_id, out);
        let failed: Vec<(i64, i32)> = results
            .iter()
            .filter(|(_, rc)| *rc != 0 && *rc != CANCELLED_RETURN_CODE)
            .copied()
            .collect();
        if !failed.is_empty() {
            let _ = writeln!(out, "{}", script::setup_failed_message(job_id, &failed));
            let codes: Vec<i32> = results.iter().map(|(_, rc)| *rc).collect();
            update(&mut db, |tx| {
                jobs::set_exit_codes(tx, job_id, &codes)?;
                jobs::set_status(tx, job_id, JobStatus::FailedSetup)
            });
            scheduler::schedule_step(home)?;
            return Ok(1);
        }
    }
    update(&mut db, |tx| jobs::set_job_started(tx, job_id));
    if sub.setup.is_none() {
        scheduler::schedule_step(home)?;
    }

    if jobs::get_status(&db, job_id)?.is_none_or(|s| s.is_terminal()) {
        // Cancelled while setting up.
        return Ok(0);
    }
    let mut codes = Vec::new();
    if let Some(run) = &sub.run {
        let job_ips: Vec<String> = alloc
            .iter()
            .filter_map(|a| spec.nodes.get(a.node).map(|n| n.internal_ip.clone()))
            .collect();
        let units: Vec<Unit> = alloc
            .iter()
            .enumerate()
            .filter_map(|(rank, a)| {
                let node = spec.nodes.get(a.node)?;
                let mut unit = run_unit(&spec, &sub, node, a, rank, &log_dir);
                unit.ip = shown_ip(node);
                unit.script = script::make_task_bash_script(
                    run,
                    &script::run_env(&task_env, &job_ips, rank, &sub.demand, job_id),
                );
                Some(unit)
            })
            .collect();
        codes = run_units(&units, &argv, job_id, out)
            .into_iter()
            .map(|(_, rc)| rc)
            .collect();
    }
    if codes.iter().any(|c| *c != 0) {
        let _ = writeln!(out, "{}", script::job_failed_message(job_id, &codes));
        update(&mut db, |tx| {
            jobs::set_exit_codes(tx, job_id, &codes)?;
            jobs::set_status(tx, job_id, JobStatus::Failed)
        });
        scheduler::schedule_step(home)?;
        return Ok(1);
    }
    update(&mut db, |tx| {
        jobs::set_status(tx, job_id, JobStatus::Succeeded)
    });
    scheduler::schedule_step(home)?;
    Ok(0)
}

/// The node, task name and log path of one rank (`RayCodeGen._add_ray_task`).
fn run_unit(
    spec: &ClusterSpec,
    sub: &JobSubmission,
    node: &NodeSpec,
    alloc: &NodeAlloc,
    rank: usize,
    log_dir: &str,
) -> Unit {
    let (name, log_path) = if spec.nodes.len() == 1 {
        let name = match &sub.job_name {
            Some(n) => format!("{n},"),
            None => "task,".to_string(),
        };
        (name, format!("{log_dir}/run.log"))
    } else {
        let node_name = if alloc.node == 0 {
            "head".to_string()
        } else {
            format!("worker{}", alloc.node)
        };
        (
            format!("{node_name}, rank={rank},"),
            format!("{log_dir}/{rank}-{node_name}.log"),
        )
    };
    Unit {
        node: node.clone(),
        name,
        log_path,
        ip: None,
        script: String::new(),
        // Ray exposes only the reserved devices to the task.
        env: vec![(
            "CUDA_VISIBLE_DEVICES".into(),
            alloc.cuda_visible_devices(&node.resources),
        )],
    }
}
