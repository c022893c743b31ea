//! Cluster commands: `sky status`, `sky stop`, `sky down`, `sky start`,
//! `sky autostop`, worded as SkyPilot 0.14.1's `command.py` words them.

use clap::Parser;

use crate::agent::autostop::WaitFor;
use crate::backend;
use crate::cli::CliError;
use crate::cli::async_call::{self, AsyncFlag};
use crate::cli::click;
use crate::cli::console::{Console, Style};
use crate::cli::submit::progress_printer;
use crate::state::{ClusterRecord, ClusterStatus, StateDb};

/// The cluster commands as `sky --help` lists them.
pub const COMMANDS_HELP: &str = "Cluster and job commands:
  launch     Launch a cluster or task.
  exec       Execute a task or command on an existing cluster.
  status     Show clusters.
  queue      Show the job queue for cluster(s).
  logs       Tail the log of a job.
  cancel     Cancel job(s).
  stop       Stop cluster(s).
  start      Restart cluster(s).
  down       Tear down cluster(s).
  autostop   Schedule an autostop or autodown for cluster(s).
  endpoints  Show the endpoints of a cluster's opened ports.
  cost-report  Show estimated costs for launched clusters.
  api status   List requests (SDK calls journaled in ~/.sky/state.db).
  api logs     Stream the log of a request.
  api cancel   Cancel requests.";

const GREEN: &str = "\x1b[32m";
const BRIGHT: &str = "\x1b[1m";
const RESET: &str = "\x1b[0m";

/// `-a/--all`, `-u/--all-users`, `-y/--yes`, shared by the commands
/// that act on several clusters, jobs or requests.
#[derive(clap::Args, Debug)]
pub struct Selection {
    /// All of yours.
    #[arg(short = 'a', long = "all")]
    pub all: bool,
    /// All users'.
    #[arg(short = 'u', long = "all-users")]
    pub all_users: bool,
    /// Skip confirmation.
    #[arg(short = 'y', long = "yes")]
    pub yes: bool,
}

/// `sky stop` / `sky down` / `sky autostop` arguments.
#[derive(Parser, Debug)]
#[command(disable_version_flag = true)]
struct DownArgs {
    /// Clusters (glob patterns).
    clusters: Vec<String>,
    /// `-a` / `-u` / `-y`.
    #[command(flatten)]
    sel: Selection,
    /// Ignore infra errors and remove the local record.
    #[arg(short = 'p', long)]
    purge: bool,
    /// Autostop: idle minutes (default 5).
    #[arg(short = 'i', long = "idle-minutes")]
    idle_minutes: Option<i64>,
    /// Autostop: cancel.
    #[arg(long)]
    cancel: bool,
    /// Autostop: tear down instead of stop.
    #[arg(long)]
    down: bool,
    /// Autostop: what counts as activity.
    #[arg(long = "wait-for")]
    wait_for: Option<String>,
    /// `--async / --no-async`.
    #[command(flatten)]
    asynchronous: AsyncFlag,
}

/// `sky stop` / `sky down`: [`DownArgs`] plus SkyPilot's GRACEFUL_OPTIONS.
#[derive(Parser, Debug)]
#[command(disable_version_flag = true)]
struct StopDownArgs {
    /// The arguments `sky autostop` shares.
    #[command(flatten)]
    base: DownArgs,
    /// Wait for MOUNT_CACHED uploads to complete before stopping/terminating.
    #[arg(long)]
    graceful: bool,
    /// Timeout in seconds for `--graceful`.
    #[arg(long = "graceful-timeout", value_parser = click::int, allow_hyphen_values = true)]
    graceful_timeout: Option<i64>,
}

/// `sky start CLUSTERS...`
#[derive(Parser, Debug)]
#[command(name = "sky start", disable_version_flag = true)]
struct StartArgs {
    /// Clusters to start.
    clusters: Vec<String>,
    /// All stopped clusters.
    #[arg(short = 'a', long = "all")]
    all: bool,
    /// Skip confirmation.
    #[arg(short = 'y', long = "yes")]
    yes: bool,
    /// Autostop after this many idle minutes.
    #[arg(short = 'i', long = "idle-minutes-to-autostop")]
    idle: Option<i64>,
    /// Autodown instead of autostop.
    #[arg(long)]
    down: bool,
    /// Retry until up.
    #[arg(short = 'r', long = "retry-until-up")]
    retry_until_up: bool,
    /// Re-run runtime setup on an UP cluster.
    #[arg(short = 'f', long)]
    force: bool,
    /// `--async / --no-async`.
    #[command(flatten)]
    asynchronous: AsyncFlag,
}

/// `fnmatch` with `*` and `?` (SkyPilot matches cluster names as globs).
pub fn glob_match(pattern: &str, name: &str) -> bool {
    let (p, n): (Vec<char>, Vec<char>) = (pattern.chars().collect(), name.chars().collect());
    let (mut pi, mut ni, mut star, mut mark) = (0, 0, None, 0);
    while ni < n.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == n[ni]) {
            pi += 1;
            ni += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ni;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ni = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

/// Names of the clusters matching `patterns` (all when `None`) that `keep`.
fn select(
    state: &StateDb,
    patterns: Option<&[String]>,
    keep: impl Fn(&ClusterRecord) -> bool,
) -> Result<Vec<String>, CliError> {
    Ok(state
        .get_clusters()?
        .into_iter()
        .filter(|r| patterns.is_none_or(|ps| ps.iter().any(|p| glob_match(p, &r.name))))
        .filter(|r| keep(r))
        .map(|r| r.name)
        .collect())
}

/// `<operation> N cluster(s): a, b. Proceed?` (`click.confirm`, default yes).
fn confirm_clusters(
    console: &mut dyn Console,
    operation: &str,
    names: &[String],
) -> Result<(), CliError> {
    let noun = if names.len() > 1 {
        "clusters"
    } else {
        "cluster"
    };
    console.confirm_default_yes(&format!(
        "{operation} {} {noun}: {}. Proceed?",
        names.len(),
        names.join(", ")
    ))
}

/// Runs a CLI operation on `cluster` as a journaled request `name`
/// (so `sky api status -a` lists it, as SkyPilot's server would).
pub fn journaled<T>(
    name: &str,
    cluster: &str,
    work: impl FnOnce() -> crate::error::Result<T>,
) -> crate::error::Result<T> {
    let body = serde_json::json!({ "cluster_name": cluster });
    crate::requests::run_inline(name, Some(cluster), body, work)
}

/// Parses a command's arguments (`name` is the command's name).
pub fn parse<T: Parser>(name: &str, argv: &[String]) -> Result<T, CliError> {
    T::try_parse_from(std::iter::once(name.to_string()).chain(argv.iter().cloned())).map_err(|e| {
        let mut cmd = T::command();
        cmd.build();
        crate::cli::click::from_clap(e, &cmd, argv)
    })
}

/// A clap parse failure as click reports it (usage errors exit 2).
pub fn clap_error(e: clap::Error) -> CliError {
    use clap::error::ErrorKind as K;
    match e.kind() {
        K::DisplayHelp | K::DisplayVersion => CliError::Help(e.to_string()),
        _ => {
            let text = e.to_string();
            let first = text
                .lines()
                .next()
                .unwrap_or("")
                .trim_start_matches("error: ");
            CliError::Usage {
                message: first.to_string(),
                with_usage: false,
            }
        }
    }
}

fn down_like(cmd: &str, argv: &[String], console: &mut dyn Console) -> Result<i32, CliError> {
    let (args, graceful, graceful_timeout) = if cmd == "autostop" {
        (parse::<DownArgs>(cmd, argv)?, false, None)
    } else {
        let a: StopDownArgs = parse(cmd, argv)?;
        (a.base, a.graceful, a.graceful_timeout)
    };
    let down = cmd == "down" || (cmd == "autostop" && args.down);
    let idle = (cmd == "autostop").then(|| {
        if args.cancel {
            -1
        } else {
            args.idle_minutes.unwrap_or(5)
        }
    });
    if args.clusters.is_empty() && !args.sel.all && !args.sel.all_users {
        return Err(CliError::usage(format!(
            "`sky {cmd}` requires either a cluster name or glob (see `sky status`), or the -a/--all flag \
             for all your clusters, or the -u/--all-users flag for all clusters in your team."
        )));
    }
    let mut state = StateDb::open()?;
    let mut operation = if down { "Terminating" } else { "Stopping" }.to_string();
    if let Some(i) = idle {
        let (verb, option) = if i < 0 {
            ("Cancelling", "{stop,down}")
        } else {
            ("Scheduling", if down { "down" } else { "stop" })
        };
        operation = format!("{verb} auto{option} on");
    }
    if !args.clusters.is_empty() {
        // `_get_cluster_records_and_set_ssh_config(names)` logs the misses.
        let known = select(&state, None, |_| true)?;
        let known: Vec<&str> = known.iter().map(String::as_str).collect();
        crate::cli::status_cmd::log_not_found(console, &args.clusters, &known);
    }
    let names: Vec<String> = if args.sel.all || args.sel.all_users {
        if !args.clusters.is_empty() {
            console.echo(&[(&format!("Both --all and cluster(s) specified for `sky {cmd}`. Letting --all take effect."), Style::Plain)], true);
        }
        select(&state, None, |r| {
            down || idle.is_some() || r.status != ClusterStatus::Stopped
        })?
    } else {
        select(&state, Some(&args.clusters), |_| true)?
    };
    if names.is_empty() {
        console.echo(
            &[(
                "Cluster(s) not found (tip: see `sky status`).",
                Style::Plain,
            )],
            true,
        );
        return Ok(0);
    }
    if !args.sel.yes && !args.purge {
        confirm_clusters(console, &operation, &names)?;
    }
    console.echo(&[("", Style::Plain)], true);
    let mut failures = Vec::new();
    for name in &names {
        let wait_for = args.wait_for.as_deref().map(WaitFor::parse).transpose()?;
        let request = match idle {
            Some(_) => "autostop",
            None if down => "down",
            None => "stop",
        };
        if args.asynchronous.async_call {
            let body = serde_json::json!({
                "cluster_name": name, "purge": args.purge, "idle_minutes": idle,
                "wait_for": args.wait_for, "down": down, "graceful": graceful,
                "graceful_timeout": graceful_timeout,
            });
            async_call::submit(console, request, &format!("sky.{operation}"), body, None)?;
        }
        let result = if args.asynchronous.async_call {
            Ok(())
        } else {
            journaled(request, name, || {
                if graceful && idle.is_none() {
                    let timeout = graceful_timeout.and_then(|t| u64::try_from(t).ok());
                    let mut log = |line: String| console.log(&[(&line, Style::Plain)]);
                    backend::graceful::graceful_job_cancel(
                        &mut state, name, timeout, down, &mut log,
                    );
                }
                match idle {
                    Some(i) => backend::set_autostop(&mut state, name, i, wait_for, down),
                    None if down => backend::down(&mut state, name, args.purge),
                    None => backend::stop(&mut state, name, args.purge),
                }
            })
        };
        let message = match (&result, idle) {
            (Err(e), _) => e.message.clone(),
            (Ok(()), Some(i)) => {
                let mut m = format!(
                    "{GREEN}{operation} cluster {}...done{RESET}",
                    crate::yaml::py_str_repr(name)
                );
                if i >= 0 {
                    let (opt, passive) = if down {
                        ("down", "downed")
                    } else {
                        ("stop", "stopped")
                    };
                    let plural = if i != 1 { "s" } else { "" };
                    m.push_str(&format!(
                        "\n  The cluster will be auto{passive} after {i} minute{plural} of idleness.\
                         \n  To cancel the auto{opt}, run: {BRIGHT}sky autostop {name} --cancel{RESET}"
                    ));
                }
                m
            }
            (Ok(()), None) => {
                let mut m = format!("{GREEN}{operation} cluster {name}...done.{RESET}");
                if !down {
                    m.push_str(&format!(
                        "\n  To restart the cluster, run: {BRIGHT}sky start {name}{RESET}"
                    ));
                }
                m
            }
        };
        console.echo(&[(&message, Style::Plain)], true);
        if let Err(e) = result {
            failures.push((name.clone(), e.message));
        }
    }
    if args.asynchronous.async_call {
        let line = format!(
            "{operation} requests are sent. Check the requests' status with `sky request get <request_id>`."
        );
        console.echo(&[(&line, Style::Plain)], true);
    }
    if !failures.is_empty() {
        let mut s = "Cluster(s) failed. See details above.".to_string();
        if down {
            s.push_str(" If you want to ignore the errors and remove the cluster(s) from the status table, use `sky down --purge`.");
        }
        console.echo(&[(&s, Style::Plain)], true);
    }
    Ok(0)
}

fn start(argv: &[String], console: &mut dyn Console) -> Result<i32, CliError> {
    let args: StartArgs = parse("start", argv)?;
    if args.down && args.idle.is_none() {
        return Err(CliError::usage(
            "--idle-minutes-to-autostop must be set if --down is set.",
        ));
    }
    let mut state = StateDb::open()?;
    let names = if args.all {
        select(&state, None, |r| r.status == ClusterStatus::Stopped)?
    } else {
        select(&state, Some(&args.clusters), |_| true)?
    };
    if names.is_empty() {
        console.echo(&[("Cluster(s) not found (tip: see `sky status`). Do you mean to use `sky launch` to provision a new cluster?", Style::Plain)], true);
        return Ok(0);
    }
    if !args.yes {
        confirm_clusters(console, "Restarting", &names)?;
    }
    for name in &names {
        if args.asynchronous.async_call {
            let body = serde_json::json!({
                "cluster_name": name, "idle_minutes_to_autostop": args.idle,
                "down": args.down, "retry_until_up": args.retry_until_up, "force": args.force,
            });
            async_call::submit(console, "start", "sky.start", body, None)?;
            continue;
        }
        journaled("start", name, || {
            backend::start(
                &mut state,
                name,
                args.idle,
                None,
                args.down,
                args.retry_until_up,
                args.force,
                &mut progress_printer(),
            )
        })?;
        console.echo(
            &[(
                &format!("{GREEN}Cluster {name} started.{RESET}"),
                Style::Plain,
            )],
            true,
        );
    }
    Ok(0)
}

/// Runs a cluster command (`argv[0]` is its name); `None` if not one.
pub fn main(argv: &[String], console: &mut dyn Console) -> Option<Result<i32, CliError>> {
    let (name, rest) = argv.split_first()?;
    Some(match name.as_str() {
        "status" => crate::cli::status_cmd::status(rest, console),
        "stop" | "down" | "autostop" => down_like(name, rest, console),
        "start" => start(rest, console),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_match_as_fnmatch() {
        assert!(glob_match("dev*", "dev-1"));
        assert!(glob_match("d?v", "dev"));
        assert!(!glob_match("dev", "dev-1"));
        assert!(glob_match("*", ""));
    }
}
