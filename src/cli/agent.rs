//! `sky _agent <op>` (hidden): the cluster runtime's entry point. Each op
//! prints one JSON document on stdout (an error as `{"kind", "message"}`
//! with exit code 1); `tail-logs` streams text and exits with SkyPilot's
//! job exit code; `daemon`, `driver` and `run-node` are long-running.

use std::io::{Read, Write};

use clap::{Parser, Subcommand};
use serde::Serialize;

use crate::agent::autostop::WaitFor;
use crate::agent::client::WireError;
use crate::agent::logs::TailOptions;
use crate::agent::node_run::NodeTask;
use crate::agent::script::JobSubmission;
use crate::agent::{self, ClusterSpec, daemon, driver, logs, node_run, ops};
use crate::error::{Error, Result};

#[derive(Parser, Debug)]
#[command(name = "sky _agent", about = "SkyPilot runtime (internal).")]
struct AgentCli {
    #[command(subcommand)]
    op: Op,
}

#[derive(Subcommand, Debug)]
enum Op {
    /// Store the cluster spec (JSON on stdin).
    SetCluster,
    /// Start the daemon unless it runs.
    Start,
    /// Submit a job (JSON on stdin).
    Submit,
    /// The job queue.
    Queue {
        #[arg(long)]
        all: bool,
        #[arg(long)]
        user: Option<String>,
    },
    /// Job statuses.
    Status {
        #[arg(long = "job-ids")]
        job_ids: Option<String>,
    },
    /// Cancel jobs.
    Cancel {
        #[arg(long = "job-ids")]
        job_ids: Option<String>,
        #[arg(long)]
        all: bool,
        #[arg(long)]
        user: Option<String>,
    },
    /// Job log directories.
    LogDirs {
        #[arg(long = "job-ids")]
        job_ids: Option<String>,
    },
    /// Print (and follow) a job's log.
    TailLogs {
        #[arg(long = "job-id")]
        job_id: Option<i64>,
        #[arg(long)]
        follow: bool,
        #[arg(long, default_value_t = 0)]
        tail: usize,
    },
    /// Set autostop.
    SetAutostop {
        #[arg(long = "idle-minutes", allow_negative_numbers = true)]
        idle_minutes: i64,
        #[arg(long = "wait-for", default_value = "jobs_and_ssh")]
        wait_for: String,
        #[arg(long)]
        down: bool,
    },
    /// The autostop setting.
    AutostopStatus,
    /// Store the lifecycle hooks (JSON list on stdin).
    SetHooks,
    /// Run the stored hooks of a teardown event.
    RunHooks {
        #[arg(long)]
        event: String,
    },
    /// Fail every live job (restart of a stopped cluster).
    FailAllInProgress,
    /// The runtime version.
    Version,
    /// The daemon loop (internal).
    Daemon,
    /// A job's driver (internal).
    Driver {
        #[arg(long = "job-id")]
        job_id: i64,
    },
    /// One rank of a job on this node (internal; script on stdin).
    RunNode {
        #[arg(long = "job-id")]
        job_id: i64,
        #[arg(long)]
        log: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        ip: Option<String>,
    },
    /// Kill a job's processes on this node (internal).
    KillJob {
        #[arg(long = "job-id")]
        job_id: i64,
    },
}

fn parse_ids(s: &Option<String>) -> Result<Option<Vec<i64>>> {
    let Some(s) = s else { return Ok(None) };
    s.split(',')
        .filter(|p| !p.trim().is_empty())
        .map(|p| {
            p.trim()
                .parse()
                .map_err(|_| Error::value(format!("Invalid job id: {p:?}")))
        })
        .collect::<Result<Vec<i64>>>()
        .map(Some)
}

fn read_stdin_json<T: serde::de::DeserializeOwned>() -> Result<T> {
    let mut buf = Vec::new();
    std::io::stdin()
        .read_to_end(&mut buf)
        .map_err(|e| Error::value(format!("stdin: {e}")))?;
    serde_json::from_slice(&buf).map_err(|e| Error::value(format!("Invalid input: {e}")))
}

fn emit<T: Serialize>(r: Result<T>) -> i32 {
    let mut out = std::io::stdout().lock();
    match r {
        Ok(v) => {
            let _ = writeln!(out, "{}", serde_json::to_string(&v).unwrap_or_default());
            0
        }
        Err(e) => {
            let w = WireError {
                kind: e.kind.python_name().to_string(),
                message: e.message.clone(),
            };
            let _ = writeln!(out, "{}", serde_json::to_string(&w).unwrap_or_default());
            eprintln!("{}", e.message);
            1
        }
    }
}

/// Runs `sky _agent` with `args` (after `_agent`); returns the exit code.
pub fn main(args: &[String]) -> i32 {
    let argv = std::iter::once("sky _agent".to_string()).chain(args.iter().cloned());
    let cli = match AgentCli::try_parse_from(argv) {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return 2;
        }
    };
    let home = agent::node_home();
    if !home.is_dir() {
        // The node was removed; never recreate any part of it.
        return emit::<()>(Err(Error::new(
            crate::error::ErrorKind::Runtime,
            format!("The node's home {} does not exist.", home.display()),
        )));
    }
    match cli.op {
        Op::SetCluster => {
            emit(read_stdin_json::<ClusterSpec>().and_then(|s| ops::set_cluster(&home, &s)))
        }
        Op::Start => emit(ops::start(&home)),
        Op::Submit => emit(read_stdin_json::<JobSubmission>().and_then(|s| ops::submit(&home, &s))),
        Op::Queue { all, user } => emit(ops::queue(&home, all, user.as_deref())),
        Op::Status { job_ids } => {
            emit(parse_ids(&job_ids).and_then(|ids| ops::statuses(&home, ids.as_deref())))
        }
        Op::Cancel { job_ids, all, user } => emit(
            parse_ids(&job_ids)
                .and_then(|ids| ops::cancel(&home, ids.as_deref(), all, user.as_deref())),
        ),
        Op::LogDirs { job_ids } => {
            emit(parse_ids(&job_ids).and_then(|ids| ops::log_dirs(&home, ids.as_deref())))
        }
        Op::TailLogs {
            job_id,
            follow,
            tail,
        } => {
            let opts = TailOptions {
                job_id,
                follow,
                tail,
            };
            let (mut out, mut err) = (std::io::stdout().lock(), std::io::stderr());
            match logs::tail_logs(&home, &opts, &mut out, &mut err) {
                Ok(code) => code,
                Err(e) => {
                    let _ = writeln!(err, "{}", e.message);
                    crate::agent::jobs::exit_codes::NOT_FOUND
                }
            }
        }
        Op::SetAutostop {
            idle_minutes,
            wait_for,
            down,
        } => emit(
            WaitFor::parse(&wait_for).and_then(|w| ops::set_autostop(&home, idle_minutes, w, down)),
        ),
        Op::AutostopStatus => emit(ops::autostop_status(&home)),
        Op::SetHooks => emit(
            read_stdin_json::<Vec<agent::hooks::Hook>>()
                .and_then(|h| agent::hooks::store(&home, &h)),
        ),
        Op::RunHooks { event } => emit(agent::hooks::run(&home, &event)),
        Op::FailAllInProgress => emit(ops::fail_all_in_progress(&home)),
        Op::Version => emit(Ok(serde_json::json!({
            "agent_version": agent::AGENT_VERSION,
            "stix_version": crate::VERSION,
        }))),
        Op::Daemon => daemon::run_daemon(&home, &mut std::io::stdout()),
        Op::Driver { job_id } => driver::run_driver(&home, job_id, &mut std::io::stdout()),
        Op::RunNode {
            job_id,
            log,
            name,
            ip,
        } => {
            let mut script = String::new();
            let _ = std::io::stdin().read_to_string(&mut script);
            let task = NodeTask {
                job_id,
                log_path: &log,
                name: &name,
                ip: ip.as_deref(),
            };
            node_run::run_node(
                &home,
                &task,
                &script,
                &mut std::io::stdout(),
                &mut std::io::stderr(),
            )
        }
        Op::KillJob { job_id } => emit(Ok(node_run::kill_job(&home, job_id))),
    }
}
