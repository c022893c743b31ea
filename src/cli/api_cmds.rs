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
    /// Output format: table or json.
    #[arg(short = 'o', long = "output", default_value = "table",
          value_parser = |s: &str| crate::cli::click::choice(s, &["table", "json"], true))]
    output: String,
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
    let user = crate::backend::identity::user_name();
    if args.output == "json" {
        let json: Vec<serde_json::Value> = list
            .iter()
            .map(|r| json_record(r, &user, args.verbose))
            .collect();
        let text = tables::json_dumps_indent(&serde_json::Value::Array(json));
        console.echo(&[(&text, Style::Plain)], true);
        return Ok(0);
    }
    let now = tables::now();
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

/// A request as `sky api status -o json` prints it: the fields the CLI
/// asks the server for, the others at their defaults.
fn json_record(r: &requests::RequestRecord, user: &str, verbose: bool) -> serde_json::Value {
    serde_json::json!({
        "request_id": r.request_id,
        "name": r.name,
        "entrypoint": "",
        "request_body": "null",
        "status": r.status.as_str(),
        "created_at": r.created_at,
        "user_id": crate::backend::identity::user_hash(),
        "return_value": "null",
        "error": "null",
        "pid": null,
        "schedule_type": "short",
        "user_name": user,
        "cluster_name": if verbose { r.cluster_name.clone() } else { None },
        "status_msg": null,
        "should_retry": false,
        "finished_at": null,
        "file_mounts_blob_id": null,
    })
}

fn cancel(argv: &[String], console: &mut dyn Console) -> Result<i32, CliError> {
    let args: CancelArgs = parse("cancel", argv)?;
    let ids = if args.sel.all || args.sel.all_users {
        let keyword = if args.sel.all_users {
            "ALL USERS'"
        } else {
            "YOUR"
        };
        if !args.sel.yes {
            let answer = console.prompt(&format!(
                "This will cancel all {keyword} requests.\nTo proceed, please type \x1b[1m'cancel all requests'\x1b[0m"
            ))?;
            if answer != "cancel all requests" {
                return Err(CliError::Abort);
            }
        }
        let line = if args.sel.all_users {
            "Cancelling all users' requests...".to_string()
        } else {
            format!(
                "Cancelling all requests for user {}...",
                crate::yaml::py_str_repr(&crate::backend::identity::user_hash())
            )
        };
        console.log(&[(&line, Style::Plain)]);
        None
    } else {
        let quoted: Vec<String> = args
            .request_ids
            .iter()
            .map(|i| crate::yaml::py_str_repr(i))
            .collect();
        let plural = if quoted.len() > 1 { "s" } else { "" };
        console.log(&[(
            &format!(
                "Cancelling {} request{plural}: {}...",
                quoted.len(),
                quoted.join(", ")
            ),
            Style::Plain,
        )]);
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
        "logs" => crate::cli::api_logs::logs(rest, console),
        _ => return None,
    })
}
