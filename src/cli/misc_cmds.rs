//! `sky endpoints` and `sky cost-report`, worded as SkyPilot 0.14.1's
//! `command.py` / `status_utils.py` word them.

use clap::Parser;

use crate::backend::{self, LaunchedResources};
use crate::cli::CliError;
use crate::cli::cluster_cmds::parse;
use crate::cli::console::{Console, Style};
use crate::cli::tables;
use crate::state::{HistoryRecord, StateDb};

const CYAN_BRIGHT: &str = "\x1b[36m\x1b[1m";
const BLUE_BRIGHT: &str = "\x1b[34m\x1b[1m";
const DIM: &str = "\x1b[2m";
const BRIGHT: &str = "\x1b[1m";
const RESET: &str = "\x1b[0m";

/// `sky endpoints CLUSTER [PORT]`
#[derive(Parser, Debug)]
#[command(name = "sky endpoints", disable_version_flag = true)]
struct EndpointsArgs {
    /// The cluster.
    cluster: String,
    /// One port only.
    port: Option<u16>,
}

/// `sky cost-report`
#[derive(Parser, Debug)]
#[command(name = "sky cost-report", disable_version_flag = true)]
struct CostArgs {
    /// Show every cluster (default: the 5 first).
    #[arg(short = 'a', long = "all")]
    all: bool,
    /// Days of history (0: all).
    #[arg(long, default_value_t = 30)]
    days: i64,
}

fn endpoints(argv: &[String], console: &mut dyn Console) -> Result<i32, CliError> {
    let args: EndpointsArgs = parse("endpoints", argv)?;
    let mut state = StateDb::open()?;
    let found = backend::endpoints(&mut state, &args.cluster, args.port)?;
    if let Some(port) = args.port {
        // click.Abort: the message is dropped, `Aborted!` is printed.
        let url = found.get(&port).ok_or(CliError::Abort)?;
        console.echo(&[(url, Style::Plain)], true);
        return Ok(0);
    }
    if found.is_empty() {
        return Err(CliError::Abort);
    }
    for (port, url) in found {
        console.echo(
            &[(
                &format!("{BLUE_BRIGHT}{port}{RESET}: {CYAN_BRIGHT}{url}{RESET}"),
                Style::Plain,
            )],
            true,
        );
    }
    Ok(0)
}

fn cost_row(r: &HistoryRecord, now: f64) -> Vec<String> {
    let lr: LaunchedResources =
        serde_json::from_value(r.launched_resources.clone()).unwrap_or_default();
    let nodes = r.num_nodes.unwrap_or(1);
    let status = match r.status {
        None => format!("{DIM}TERMINATED{RESET}"),
        Some(s) => s.as_str().to_string(),
    };
    // The local infra is free; cloud prices come with the optimizer.
    let cost = 0.0_f64;
    vec![
        r.name.clone(),
        tables::ago(r.launched_at.map(|t| t as f64), now),
        tables::duration(Some(1.0), Some(1.0 + r.duration as f64), now),
        format!("{nodes}x {}", backend::launchable::describe_launched(&lr)),
        status,
        format!("$ {:.2}", cost * nodes as f64),
        "-".into(),
    ]
}

fn cost_report(argv: &[String], console: &mut dyn Console) -> Result<i32, CliError> {
    let args: CostArgs = parse("cost-report", argv)?;
    let state = StateDb::open()?;
    let days = (args.days != 0).then_some(args.days);
    let mut records = state.get_clusters_from_history(days)?;
    // Live clusters first, as SkyPilot sorts them.
    records.sort_by_key(|r| r.status.is_none());
    let shown = if args.all { records.len() } else { 5 };
    let now = tables::now();
    let rows: Vec<Vec<String>> = records
        .iter()
        .take(shown)
        .map(|r| cost_row(r, now))
        .collect();
    if !records.is_empty() {
        let days_str = days.map_or(String::new(), |d| format!(" (last {d} days)"));
        console.echo(
            &[(
                &format!("{CYAN_BRIGHT}Clusters{days_str}{RESET}"),
                Style::Plain,
            )],
            true,
        );
    }
    let header = [
        "NAME",
        "LAUNCHED",
        "DURATION",
        "RESOURCES",
        "STATUS",
        "COST/hr",
        "COST (est.)",
    ];
    console.echo(&[(&tables::render(&header, &rows), Style::Plain)], true);
    console.echo(
        &[(&format!("\n{BRIGHT}Total Cost: $0.00{RESET}"), Style::Plain)],
        true,
    );
    Ok(0)
}

/// Runs `endpoints` / `cost-report` (`argv[0]` is the name); `None` if
/// not one of them.
pub fn main(argv: &[String], console: &mut dyn Console) -> Option<Result<i32, CliError>> {
    let (name, rest) = argv.split_first()?;
    Some(match name.as_str() {
        "endpoints" => endpoints(rest, console),
        "cost-report" => cost_report(rest, console),
        _ => return None,
    })
}
