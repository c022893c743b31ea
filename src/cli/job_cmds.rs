//! Job commands on a cluster: `sky queue`, `sky logs`, `sky cancel`,
//! worded as SkyPilot 0.14.1's `command.py` words them.

use clap::Parser;

use crate::agent::jobs::JobRecord;
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
    /// Output format: table or json.
    #[arg(short = 'o', long = "output", default_value = "table", value_parser = crate::cli::status_cmd::output_format)]
    output: String,
}

/// `sky logs CLUSTER [JOB_IDS]...`
#[derive(Parser, Debug)]
#[command(name = "sky logs", disable_version_flag = true)]
struct LogsArgs {
    /// The cluster.
    cluster: Option<String>,
    /// At most one job id (the latest job when none).
    job_ids: Vec<String>,
    /// Stream the cluster provisioning logs (provision.log).
    #[arg(long)]
    provision: bool,
    /// The worker ID to stream the logs from (with `--provision`).
    #[arg(short = 'w', long, value_parser = crate::cli::click::int, allow_hyphen_values = true)]
    worker: Option<i64>,
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
    let json = args.output == "json";
    if !json {
        console.echo(&[("Fetching and parsing job queue...", Style::Cyan)], true);
    }
    let mut state = StateDb::open()?;
    let clusters: Vec<String> = if args.clusters.is_empty() {
        state.get_clusters()?.into_iter().map(|r| r.name).collect()
    } else {
        args.clusters.clone()
    };
    console.log(&[(
        &format!("Fetching job queue for: {}", clusters.join(", ")),
        Style::Plain,
    )]);
    let user_hash = backend::identity::user_hash();
    let owner = (!args.all_users).then_some(user_hash.as_str());
    let mut found = Vec::new();
    let mut unsupported = Vec::new();
    for cluster in clusters {
        match backend::queue(&mut state, &cluster, args.skip_finished, owner) {
            Ok(jobs) => found.push((cluster, jobs)),
            Err(e) => {
                if e.kind == crate::error::ErrorKind::NotSupported {
                    unsupported.push(cluster.clone());
                }
                console.echo(
                    &[(
                        &format!(
                            "{YELLOW}Failed to get the job queue for cluster {}.{RESET}\n  {}: {}",
                            crate::yaml::py_str_repr(&cluster),
                            e.kind.python_qualname(),
                            e.message
                        ),
                        Style::Plain,
                    )],
                    true,
                );
            }
        }
    }
    if json {
        let records: serde_json::Map<String, serde_json::Value> = found
            .iter()
            .map(|(c, jobs)| {
                (
                    c.clone(),
                    jobs.iter().map(backend::jobs::job_response).collect(),
                )
            })
            .collect();
        let text = tables::json_dumps_indent(&serde_json::Value::Object(records));
        console.echo(&[(&text, Style::Plain)], true);
        return Ok(0);
    }
    let user_str = if args.all_users {
        "all users"
    } else {
        "current user"
    };
    let now = tables::now();
    for (cluster, jobs) in found {
        let text = format!(
            "\nJob queue of {user_str} on cluster {cluster}\n{}",
            job_table(&jobs, now)
        );
        console.echo(&[(&text, Style::Plain)], true);
    }
    if !unsupported.is_empty() {
        let note = format!(
            "Note: Job queues are not supported on clusters: {}",
            unsupported.join(", ")
        );
        console.echo(&[(&note, Style::Yellow)], true);
    }
    Ok(0)
}

/// `table_utils.format_job_queue`: the job table (empty text for no jobs,
/// as prettytable prints a borderless table without rows).
pub fn job_table(jobs: &[JobRecord], now: f64) -> String {
    if jobs.is_empty() {
        return String::new();
    }
    let colored = crate::spec::status::by_name("JobStatus");
    let rows: Vec<Vec<String>> = jobs
        .iter()
        .map(|j| {
            let status = j.status.as_str();
            vec![
                j.job_id.to_string(),
                if j.job_name.is_empty() {
                    "-".into()
                } else {
                    j.job_name.clone()
                },
                backend::jobs::user_of(&j.username),
                tables::ago(Some(j.submitted_at), now),
                tables::ago(j.start_at, now),
                tables::duration(j.start_at, j.end_at, now),
                j.resources.clone(),
                colored
                    .and_then(|c| c.colored_str(status))
                    .unwrap_or_else(|| status.to_string()),
                j.log_path.clone(),
                j.metadata
                    .get("git_commit")
                    .and_then(|c| c.as_str())
                    .unwrap_or("-")
                    .to_string(),
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
    tables::render(&header, &rows)
}

fn logs(argv: &[String], console: &mut dyn Console) -> Result<i32, CliError> {
    let args: LogsArgs = parse("logs", argv)?;
    let Some(cluster) = args.cluster.clone() else {
        return Err(CliError::usage("Missing argument 'CLUSTER'."));
    };
    if let Some(worker) = args.worker {
        if !args.provision {
            return Err(CliError::usage(
                "--worker can only be used with --provision.",
            ));
        }
        if worker < 1 {
            return Err(CliError::usage("--worker must be a positive integer."));
        }
    }
    if args.provision && (args.sync_down || args.status || !args.job_ids.is_empty()) {
        return Err(CliError::usage(
            "--provision cannot be combined with job log options (--sync-down/--status/job IDs).",
        ));
    }
    if args.provision {
        // provision.log is small: an unset --tail prints all of it.
        let state = StateDb::open()?;
        let worker = args.worker.map(|w| w as u32);
        let mut out = |b: &[u8]| {
            use std::io::Write;
            let mut o = std::io::stdout().lock();
            let _ = o.write_all(b).and_then(|_| o.flush());
        };
        let follow = !args.no_follow;
        return Ok(backend::provision_tail::tail_provision_logs(
            &state, &cluster, worker, follow, args.tail, &mut out,
        )?);
    }
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
        let statuses = backend::job_status(&mut state, cluster_of(&args), ids.as_deref())?;
        let Some((id, status)) = statuses.into_iter().next() else {
            console.echo(
                &[(
                    &format!(
                        "No job found on cluster {}.",
                        crate::yaml::py_str_repr(cluster_of(&args))
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
            crate::yaml::py_str_repr(cluster_of(&args))
        ),
        Style::Plain,
    )]);
    stream_logs(&mut state, cluster_of(&args), job_id, follow, tail)
}

/// The cluster of `sky logs` (checked present before any use).
fn cluster_of(args: &LogsArgs) -> &str {
    args.cluster.as_deref().unwrap_or_default()
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
    let paths = journaled("download_logs", cluster_of(args), || {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agent::jobs::JobStatus;

    /// `format_job_queue` of SkyPilot 0.14.1 on the same records
    /// (tests/fixtures/cli_left/queue_tables.json), colors included.
    #[test]
    fn job_table_matches_skypilots() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/cli_left/queue_tables.json"
        );
        let f: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let jobs: Vec<JobRecord> = f["jobs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|j| JobRecord {
                job_id: j["job_id"].as_i64().unwrap(),
                job_name: j["job_name"].as_str().unwrap().into(),
                username: j["username"].as_str().unwrap().into(),
                submitted_at: j["submitted_at"].as_f64().unwrap(),
                status: JobStatus::parse(j["status"].as_str().unwrap()).unwrap(),
                run_timestamp: String::new(),
                start_at: j["start_at"].as_f64(),
                end_at: j["end_at"].as_f64(),
                resources: j["resources"].as_str().unwrap().into(),
                pid: 0,
                log_path: j["log_path"].as_str().unwrap().into(),
                metadata: j["metadata"].clone(),
                exit_codes: None,
            })
            .collect();
        let now = f["now"].as_f64().unwrap();
        assert_eq!(job_table(&jobs, now), f["table"].as_str().unwrap());
        assert_eq!(job_table(&[], now), f["empty"].as_str().unwrap());
    }
}
