//! Job commands on a cluster: `sky queue`, `sky logs`, `sky cancel`,
//! worded as SkyPilot 0.14.1's `command.py` words them.

use clap::Parser;

use crate::backend;
use crate::cli::CliError;
use crate::cli::cluster_cmds::{Selection, glob_match, journaled, parse};
use crate::cli::console::{Console, Style};
use crate::cli::submit::stream_logs;
use crate::cli::tables;
use crate::state::StateDb;

const YELLOW: &str = "\x1b[33m";
const RESET: &str = "\x1b[0m";

/// `sky queue [CLUSTERS]...`
#[derive(Parser, Debug)]
#[command(name = "sky queue", disable_version_flag = true)]
struct QueueArgs {
    /// Clusters (all when none).
    clusters: Vec<String>,
    /// Hide finished jobs.
    #[arg(short = 's', long = "skip-finished")]
    skip_finished: bool,
    /// All users' jobs.
    #[arg(short = 'u', long = "all-users")]
    all_users: bool,
}

/// `sky logs CLUSTER [JOB_IDS]...`
#[derive(Parser, Debug)]
#[command(name = "sky logs", disable_version_flag = true)]
struct LogsArgs {
    /// The cluster.
    cluster: String,
    /// At most one job id (the latest job when none).
    job_ids: Vec<String>,
    /// Only print the job's status.
    #[arg(long)]
    status: bool,
    /// Download the logs to ~/sky_logs instead of streaming them.
    #[arg(short = 's', long = "sync-down")]
    sync_down: bool,
    /// Follow the log (default).
    #[arg(long, overrides_with = "no_follow")]
    follow: bool,
    /// Do not follow.
    #[arg(long = "no-follow")]
    no_follow: bool,
    /// Last N lines (0: all; -1: 1000 when following... as SkyPilot).
    #[arg(long, default_value_t = -1, allow_hyphen_values = true)]
    tail: i64,
}

/// `sky cancel CLUSTER [JOBS]...`
#[derive(Parser, Debug)]
#[command(name = "sky cancel", disable_version_flag = true)]
struct CancelArgs {
    /// The cluster.
    cluster: String,
    /// Job ids.
    jobs: Vec<i64>,
    /// `-a` / `-u` / `-y`.
    #[command(flatten)]
    sel: Selection,
    /// `--async / --no-async`.
    #[command(flatten)]
    asynchronous: crate::cli::async_call::AsyncFlag,
}

fn queue(argv: &[String], console: &mut dyn Console) -> Result<i32, CliError> {
    let args: QueueArgs = parse("queue", argv)?;
    let mut state = StateDb::open()?;
    let clusters: Vec<String> = if args.clusters.is_empty() {
        state.get_clusters()?.into_iter().map(|r| r.name).collect()
    } else {
        args.clusters.clone()
    };
    let user_hash = backend::identity::user_hash();
    let owner = (!args.all_users).then_some(user_hash.as_str());
    let user_str = if args.all_users {
        "all users"
    } else {
        "current user"
    };
    let now = tables::now();
    for cluster in clusters {
        let jobs = backend::queue(&mut state, &cluster, args.skip_finished, owner)?;
        let rows: Vec<Vec<String>> = jobs
            .iter()
            .map(|j| {
                vec![
                    j.job_id.to_string(),
                    if j.job_name.is_empty() {
                        "-".into()
                    } else {
                        j.job_name.clone()
                    },
                    j.username.clone(),
                    tables::ago(Some(j.submitted_at), now),
                    tables::ago(j.start_at, now),
                    tables::duration(j.start_at, j.end_at, now),
                    j.resources.clone(),
                    j.status.as_str().to_string(),
                    j.log_path.clone(),
                    "-".into(),
                ]
            })
            .collect();
        let header = [
            "ID",
            "NAME",
            "USER",
            "SUBMITTED",
            "STARTED",
            "DURATION",
            "RESOURCES",
            "STATUS",
            "LOG",
            "GIT COMMIT",
        ];
        console.echo(
            &[(
                &format!(
                    "\nJob queue of {user_str} on cluster {cluster}\n{}",
                    tables::render(&header, &rows)
                ),
                Style::Plain,
            )],
            true,
        );
    }
    Ok(0)
}

fn logs(argv: &[String], console: &mut dyn Console) -> Result<i32, CliError> {
    let args: LogsArgs = parse("logs", argv)?;
    if args.sync_down && args.status {
        return Err(CliError::usage(
            "Both --sync_down and --status are specified (ambiguous). To fix: specify at most one of them.",
        ));
    }
    if args.sync_down {
        return sync_down(&args, console);
    }
    if args.job_ids.len() > 1 {
        return Err(CliError::usage(
            "Cannot stream logs of multiple jobs (IDs: ".to_string()
                + &args.job_ids.join(", ")
                + ").\nPass -s/--sync-down to download the logs instead.",
        ));
    }
    let job_id = match args.job_ids.first() {
        Some(s) if s.chars().all(|c| c.is_ascii_digit()) && !s.is_empty() => {
            Some(s.parse::<i64>().map_err(|_| {
                CliError::usage(format!("Invalid job ID {s}. Job ID must be integers."))
            })?)
        }
        Some(s) => {
            return Err(CliError::usage(format!(
                "Invalid job ID {s}. Job ID must be integers."
            )));
        }
        None => None,
    };
    let mut state = StateDb::open()?;
    if args.status {
        let ids = job_id.map(|j| vec![j]);
        let statuses = backend::job_status(&mut state, &args.cluster, ids.as_deref())?;
        let Some((id, status)) = statuses.into_iter().next() else {
            console.echo(
                &[(
                    &format!(
                        "No job found on cluster {}.",
                        crate::yaml::py_str_repr(&args.cluster)
                    ),
                    Style::Plain,
                )],
                true,
            );
            return Ok(102);
        };
        let text = status.map_or("None".to_string(), |s| s.as_str().to_string());
        console.echo(&[(&format!("Job {id}: {text}"), Style::Plain)], true);
        return Ok(match status.map(|s| s.as_str()) {
            Some("SUCCEEDED") => 0,
            Some("CANCELLED") => 103,
            Some("FAILED" | "FAILED_SETUP" | "FAILED_DRIVER") => 100,
            Some(_) => 101,
            None => {
                console.echo(&[(&format!("Job {id} not found"), Style::Plain)], true);
                102
            }
        });
    }
    let follow = !args.no_follow;
    let tail = match args.tail {
        t if t < 0 && follow => 1000,
        t if t < 0 => 0,
        t => t as usize,
    };
    let job_str = job_id.map_or("the last job".to_string(), |j| format!("job {j}"));
    console.log(&[(
        &format!(
            "{YELLOW}Tailing logs of {job_str} on cluster {}...{RESET}",
            crate::yaml::py_str_repr(&args.cluster)
        ),
        Style::Plain,
    )]);
    stream_logs(&mut state, &args.cluster, job_id, follow, tail)
}

/// `sky logs --sync-down`: each job's log directory copied under
/// `~/sky_logs/<cluster>/`, reported as SkyPilot reports it.
fn sync_down(args: &LogsArgs, console: &mut dyn Console) -> Result<i32, CliError> {
    let ids = args
        .job_ids
        .iter()
        .map(|s| {
            s.parse::<i64>().map_err(|_| {
                CliError::usage(format!("Invalid job ID {s}. Job ID must be integers."))
            })
        })
        .collect::<Result<Vec<i64>, CliError>>()?;
    let ids = (!ids.is_empty()).then_some(ids);
    let mut state = StateDb::open()?;
    let body = serde_json::json!({"cluster_name": args.cluster, "job_ids": ids});
    let paths = journaled("download_logs", &args.cluster, || {
        crate::requests::calls::download_logs(&mut state, &body)
    })?;
    for line in paths.warnings {
        console.log(&[(&line, Style::Plain)]);
    }
    for (job, path) in paths.paths {
        console.log(&[(
            &format!("\x1b[36mJob {job} logs: {path}{RESET}"),
            Style::Plain,
        )]);
    }
    Ok(0)
}

fn cancel(argv: &[String], console: &mut dyn Console) -> Result<i32, CliError> {
    let args: CancelArgs = parse("cancel", argv)?;
    let mut state = StateDb::open()?;
    let matching: Vec<String> = state
        .get_clusters()?
        .into_iter()
        .map(|r| r.name)
        .filter(|n| glob_match(&args.cluster, n))
        .collect();
    let quoted = crate::yaml::py_str_repr(&args.cluster);
    match matching.len() {
        0 => {
            return Err(CliError::usage(format!(
                "No clusters match pattern: {quoted}"
            )));
        }
        1 => {}
        _ => {
            return Err(CliError::usage(format!(
                "Multiple clusters match pattern {quoted}: cancel only supports a single cluster; \
                 pattern {quoted} matches multiple clusters. Pattern {quoted} matches: {}",
                matching.join(", ")
            )));
        }
    }
    let mut what = String::new();
    if args.jobs.is_empty() && !args.sel.all && !args.sel.all_users {
        console.echo(
            &[(
                &format!("{YELLOW}No job IDs or --all/--all-users provided; cancelling the latest running job.{RESET}"),
                Style::Plain,
            )],
            true,
        );
        what.push_str("the latest running job");
    } else if args.sel.all_users {
        what.push_str("all users' jobs");
    } else {
        if args.sel.all {
            what.push_str("all your jobs");
        }
        if !args.jobs.is_empty() {
            let ids: Vec<String> = args.jobs.iter().map(i64::to_string).collect();
            let plural = if ids.len() > 1 { "s" } else { "" };
            let connector = if what.is_empty() { "" } else { " and " };
            what.push_str(&format!("{connector}job{plural} {}", ids.join(" ")));
        }
    }
    what.push_str(&format!(" on cluster(s): {}", matching.join(", ")));
    if !args.sel.yes {
        console.confirm_default_yes(&format!("Cancelling {what}. Proceed?"))?;
    }
    let user_hash = backend::identity::user_hash();
    let owner = (!args.sel.all_users).then_some(user_hash.as_str());
    let ids = (!args.jobs.is_empty()).then_some(args.jobs.as_slice());
    let all = args.sel.all || args.sel.all_users;
    if args.asynchronous.async_call {
        let body = serde_json::json!({
            "cluster_name": matching[0], "job_ids": ids, "all": args.sel.all,
            "all_users": args.sel.all_users,
        });
        crate::cli::async_call::submit(console, "cancel", "sky.cancel", body, None)?;
        return Ok(0);
    }
    let cancelled = journaled("cancel", &matching[0], || {
        backend::cancel(&mut state, &matching[0], ids, all, owner)
    })?;
    if cancelled.is_empty() {
        console.log(&[("No jobs to cancel.", Style::Plain)]);
    } else {
        let ids: Vec<String> = cancelled.iter().map(i64::to_string).collect();
        console.log(&[(
            &format!("Cancelled job ID(s): {}", ids.join(", ")),
            Style::Plain,
        )]);
    }
    Ok(0)
}

/// Runs a job command (`argv[0]` is its name); `None` if not one.
pub fn main(argv: &[String], console: &mut dyn Console) -> Option<Result<i32, CliError>> {
    let (name, rest) = argv.split_first()?;
    Some(match name.as_str() {
        "queue" => queue(rest, console),
        "logs" => logs(rest, console),
        "cancel" => cancel(rest, console),
        _ => return None,
    })
}
