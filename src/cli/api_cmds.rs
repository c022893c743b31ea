//! `sky api status` and `sky api cancel` over the request journal
//! (`crate::requests`), worded as SkyPilot 0.14.1's `command.py` words them.

use clap::Parser;

use crate::cli::CliError;
use crate::cli::cluster_cmds::{Selection, parse};
use crate::cli::console::{Console, Style};
use crate::cli::tables;
use crate::requests;

const GREEN: &str = "\x1b[32m";
const RESET: &str = "\x1b[0m";

/// `sky api status [REQUEST_IDS]...`
#[derive(Parser, Debug)]
#[command(name = "sky api status", disable_version_flag = true)]
struct StatusArgs {
    /// Request ids (prefixes).
    request_ids: Vec<String>,
    /// Include finished requests.
    #[arg(short = 'a', long = "all-status")]
    all_status: bool,
    /// How many to show (`none` / `all`: every one).
    #[arg(short = 'l', long, default_value = "50")]
    limit: String,
    /// Only this cluster's requests.
    #[arg(short = 'c', long)]
    cluster: Option<String>,
    /// Full ids and the cluster column.
    #[arg(short = 'v', long)]
    verbose: bool,
}

/// `sky api cancel [REQUEST_IDS]...`
#[derive(Parser, Debug)]
#[command(name = "sky api cancel", disable_version_flag = true)]
struct CancelArgs {
    /// Request ids (prefixes).
    request_ids: Vec<String>,
    /// `-a` / `-u` / `-y`.
    #[command(flatten)]
    sel: Selection,
}

fn status(argv: &[String], console: &mut dyn Console) -> Result<i32, CliError> {
    let args: StatusArgs = parse("status", argv)?;
    let limit = match args.limit.to_lowercase().as_str() {
        "none" | "all" => None,
        n => Some(n.parse::<usize>().map_err(|_| {
            CliError::usage(format!(
                "Invalid value for '--limit' / '-l': {} is not a valid integer or \"none\" or \"all\"",
                crate::yaml::py_str_repr(&args.limit)
            ))
        })?),
    };
    let mut list = if args.request_ids.is_empty() {
        requests::list(args.all_status, limit)?
    } else {
        args.request_ids
            .iter()
            .map(|i| requests::get(i))
            .collect::<crate::error::Result<Vec<_>>>()?
    };
    if let Some(c) = &args.cluster {
        list.retain(|r| r.cluster_name.as_deref() == Some(c.as_str()));
    }
    let now = tables::now();
    let user = crate::backend::identity::user_name();
    let mut rows: Vec<Vec<String>> = list
        .iter()
        .map(|r| {
            let id = if args.verbose || r.request_id.chars().count() <= 36 {
                r.request_id.clone()
            } else {
                format!("{}...", r.request_id.chars().take(33).collect::<String>())
            };
            let mut row = vec![id, user.clone(), r.name.clone()];
            if args.verbose {
                row.push(r.cluster_name.clone().unwrap_or_else(|| "-".into()));
            }
            row.push(tables::ago(Some(r.created_at), now));
            row.push(r.status.as_str().to_string());
            row
        })
        .collect();
    let mut header = vec!["ID", "User", "Name"];
    if args.verbose {
        header.push("Cluster");
    }
    header.extend(["Created", "Status"]);
    if rows.is_empty() {
        rows.push(vec!["-".to_string(); header.len()]);
    }
    console.echo(&[(&tables::render(&header, &rows), Style::Plain)], true);
    if let Some(n) = limit.filter(|n| *n > 0 && list.len() >= *n) {
        console.echo(
            &[(
                &format!(
                    "\nShowing {n} requests. Use \"-l none\" or \"-l all\" to show all requests."
                ),
                Style::Plain,
            )],
            true,
        );
    }
    Ok(0)
}

fn cancel(argv: &[String], console: &mut dyn Console) -> Result<i32, CliError> {
    let args: CancelArgs = parse("cancel", argv)?;
    let ids = if args.sel.all || args.sel.all_users {
        if !args.sel.yes {
            let keyword = if args.sel.all_users {
                "ALL USERS'"
            } else {
                "YOUR"
            };
            console.confirm_default_yes(&format!(
                "This will cancel all {keyword} requests. Proceed?"
            ))?;
        }
        None
    } else {
        Some(args.request_ids.clone())
    };
    let cancelled = requests::cancel(ids.as_deref())?;
    let text = match cancelled.len() {
        0 => "No requests need to be cancelled.".to_string(),
        1 => format!("Cancelled 1 request: {}", cancelled[0]),
        n => format!("Cancelled {n} requests."),
    };
    console.echo(&[(&format!("{GREEN}{text}{RESET}"), Style::Plain)], true);
    Ok(0)
}

/// Runs `sky api status|cancel` (`argv[0]` is `api`); `None` otherwise.
pub fn main(argv: &[String], console: &mut dyn Console) -> Option<Result<i32, CliError>> {
    let (group, rest) = argv.split_first()?;
    let (name, rest) = rest.split_first()?;
    if group != "api" {
        return None;
    }
    Some(match name.as_str() {
        "status" => status(rest, console),
        "cancel" => cancel(rest, console),
        _ => return None,
    })
}
