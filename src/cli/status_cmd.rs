//! `sky status`, worded as SkyPilot 0.14.1's `command.py` and
//! `status_utils.py` word it: the Enabled Infra line, the cluster table
//! (`-v` adds HEAD_IP, COMMAND and LAST_EVENT, `-u` the owner), the managed
//! jobs and services sections, `--ip` / `--endpoints` / `--endpoint PORT`
//! for one cluster and `-o json`.

use clap::Parser;

use crate::backend::{self, ClusterHandle, RefreshMode, status_view};
use crate::cli::CliError;
use crate::cli::click::{self, ParamError};
use crate::cli::cluster_cmds::{glob_match, parse};
use crate::cli::console::{Console, Style};
use crate::cli::tables;
use crate::error::Error;
use crate::state::{ClusterRecord, ClusterStatus, StateDb};
use crate::yaml::py_str_repr;

const CYAN_BRIGHT: &str = "\x1b[36m\x1b[1m";
const BRIGHT: &str = "\x1b[1m";
const RESET: &str = "\x1b[0m";

/// `flags.output_format_option`'s choice (`table` / `json`).
pub(crate) fn output_format(s: &str) -> Result<String, ParamError> {
    click::choice(s, &["table", "json"], true)
}

/// `sky status [CLUSTERS]...`
#[derive(Parser, Debug)]
#[command(name = "sky status", disable_version_flag = true)]
struct StatusArgs {
    /// Clusters (glob patterns) to show.
    clusters: Vec<String>,
    /// Show all information in full.
    #[arg(short = 'v', long)]
    verbose: bool,
    /// Query the latest cluster statuses from the infra.
    #[arg(short = 'r', long)]
    refresh: bool,
    /// Print the head node's IP address of one cluster.
    #[arg(long)]
    ip: bool,
    /// Print every exposed endpoint of one cluster.
    #[arg(long)]
    endpoints: bool,
    /// Print the endpoint URL of this port on one cluster.
    #[arg(long, value_parser = click::int)]
    endpoint: Option<i64>,
    /// Also show in-progress managed jobs (default).
    #[arg(long = "show-managed-jobs", overrides_with = "no_show_managed_jobs")]
    _show_managed_jobs: bool,
    /// Do not show managed jobs.
    #[arg(long = "no-show-managed-jobs")]
    no_show_managed_jobs: bool,
    /// Also show services (default).
    #[arg(long = "show-services", overrides_with = "no_show_services")]
    _show_services: bool,
    /// Do not show services.
    #[arg(long = "no-show-services")]
    no_show_services: bool,
    /// Also show pools (default).
    #[arg(long = "show-pools", overrides_with = "no_show_pools")]
    _show_pools: bool,
    /// Do not show pools.
    #[arg(long = "no-show-pools")]
    no_show_pools: bool,
    /// Show all users' clusters.
    #[arg(short = 'u', long = "all-users")]
    all_users: bool,
    /// Accepted for SkyPilot compatibility (`-a` is `--all-users`'s old alias).
    #[arg(short = 'a', long = "all", hide = true)]
    all: bool,
    /// Output format: table or json.
    #[arg(short = 'o', long = "output", default_value = "table", value_parser = output_format)]
    output: String,
}

/// `ux_utils.is_glob_pattern`.
fn is_glob(s: &str) -> bool {
    s.contains(['*', '?', '['])
}

/// `ux_utils.get_non_matched_query`: plain names first, then globs.
fn non_matched(query: &[String], names: &[&str]) -> Vec<String> {
    let plain = query
        .iter()
        .filter(|q| !is_glob(q) && !names.contains(&q.as_str()));
    let globs = query
        .iter()
        .filter(|q| is_glob(q) && !names.iter().any(|n| glob_match(q, n)));
    plain.chain(globs).cloned().collect()
}

/// What `core.status` logs for plain names it did not find.
pub fn log_not_found(console: &mut dyn Console, query: &[String], names: &[&str]) {
    let missing: Vec<String> = non_matched(query, names)
        .into_iter()
        .filter(|q| !is_glob(q))
        .collect();
    if !missing.is_empty() {
        console.log(&[(
            &format!(
                "Cluster(s) not found: {BRIGHT}{}{RESET}.",
                missing.join(", ")
            ),
            Style::Plain,
        )]);
    }
}

/// `_get_autostop`.
fn autostop_text(r: &ClusterRecord) -> String {
    let mut s = String::new();
    if r.autostop >= 0 {
        s = if r.autostop > 0 && r.autostop % 60 == 0 {
            format!("{}h", r.autostop / 60)
        } else {
            format!("{}m", r.autostop)
        };
    }
    if r.to_down {
        s = if s.is_empty() {
            "(down)".into()
        } else {
            format!("{s} (down)")
        };
    }
    if s.is_empty() { "-".into() } else { s }
}

/// One row of `show_status_table`.
fn status_row(r: &ClusterRecord, args: &StatusArgs, user: &str, now: f64) -> Vec<String> {
    let handle = ClusterHandle::from_json(&r.handle).ok();
    let infra = handle.as_ref().map_or("-".into(), |h| {
        status_view::infra_str(&h.launched_resources, !args.verbose)
    });
    let mut row = vec![r.name.clone()];
    if args.all_users {
        row.push(user.to_string());
        if args.verbose {
            row.push(r.user_hash.clone().unwrap_or_default());
        }
    }
    if args.verbose {
        row.push(r.workspace.clone());
    }
    row.extend([
        infra,
        status_view::resources_str(r, args.verbose),
        crate::spec::status::by_name("ClusterStatus")
            .and_then(|e| e.colored_str(r.status.as_str()))
            .unwrap_or_else(|| r.status.as_str().to_string()),
        autostop_text(r),
        tables::ago(r.launched_at.map(|t| t as f64), now),
    ]);
    if args.verbose {
        row.push(status_view::head_ip(r).unwrap_or_else(|| "-".into()));
        row.push(r.last_use.clone().unwrap_or_else(|| "-".into()));
        let event = crate::backend::lifecycle::last_event(r).unwrap_or("No recorded events.");
        row.push(event.to_string());
    }
    row
}

/// The table, the not-found line or `No existing clusters.`; returns how
/// many clusters have an autostop pending.
fn show_table(records: &[ClusterRecord], args: &StatusArgs, console: &mut dyn Console) -> usize {
    let user = backend::identity::user_name();
    let mut header = vec!["NAME"];
    if args.all_users {
        header.push("USER");
        if args.verbose {
            header.push("USER_ID");
        }
    }
    // WORKSPACE shows with -v (or with several workspaces, which stix's
    // embedded default does not have).
    if args.verbose {
        header.push("WORKSPACE");
    }
    header.extend(["INFRA", "RESOURCES", "STATUS", "AUTOSTOP", "LAUNCHED"]);
    if args.verbose {
        header.extend(["HEAD_IP", "COMMAND", "LAST_EVENT"]);
    }
    let now = tables::now();
    let rows: Vec<Vec<String>> = records
        .iter()
        .map(|r| status_row(r, args, &user, now))
        .collect();
    if !records.is_empty() {
        console.echo(&[(&tables::render(&header, &rows), Style::Plain)], true);
    }
    if !args.clusters.is_empty() {
        let names: Vec<&str> = records.iter().map(|r| r.name.as_str()).collect();
        let missing: Vec<String> = non_matched(&args.clusters, &names)
            .iter()
            .map(|m| py_str_repr(m))
            .collect();
        if !missing.is_empty() {
            let noun = if missing.len() > 1 {
                "Clusters"
            } else {
                "Cluster"
            };
            let line = format!("{noun} {} not found.", missing.join(", "));
            console.echo(&[(&line, Style::Plain)], true);
        }
    } else if records.is_empty() {
        console.echo(&[("No existing clusters.", Style::Plain)], true);
    }
    records
        .iter()
        .filter(|r| r.autostop >= 0 && r.status != ClusterStatus::Stopped)
        .count()
}

/// `_STATUS_PROPERTY_CLUSTER_NUM_ERROR_MESSAGE`.
fn property_error(
    ip: bool,
    single: bool,
    num: &str,
    plural: &str,
    verb: &str,
    cause: &str,
) -> Error {
    let (property, flag) = if ip {
        ("IP address", "ip")
    } else if single {
        ("endpoint(s)", "endpoint port")
    } else {
        ("endpoint(s)", "endpoints")
    };
    Error::value(format!(
        "{num} cluster{plural} {verb}. Please specify {cause} cluster to show its {property}.\n\
         Usage: `sky status --{flag} <cluster>`"
    ))
}

/// `_show_endpoint`: the head IP, one endpoint or all of them.
fn show_endpoint(
    state: &mut StateDb,
    args: &StatusArgs,
    records: &[ClusterRecord],
    console: &mut dyn Console,
) -> Result<i32, CliError> {
    let single = args.endpoint.is_some();
    if records.len() != 1 {
        let (num, plural) = match records.len() {
            0 => (py_str_repr(&args.clusters[0]), ""),
            n => (n.to_string(), "s"),
        };
        let verb = if records.is_empty() {
            "not found"
        } else {
            "found"
        };
        let cause = if args.clusters.len() > 1 {
            "an existing"
        } else {
            "a single"
        };
        return Err(property_error(args.ip, single, &num, plural, verb, cause).into());
    }
    let r = &records[0];
    if !matches!(r.status, ClusterStatus::Up | ClusterStatus::Autostopping) {
        return Err(Error::new(
            crate::ErrorKind::Runtime,
            format!("Cluster {} is not in UP status.", py_str_repr(&r.name)),
        )
        .into());
    }
    if args.ip {
        let ip = status_view::head_ip(r).unwrap_or_default();
        console.echo(&[(&ip, Style::Plain)], true);
        return Ok(0);
    }
    let port = args.endpoint.and_then(|p| u16::try_from(p).ok());
    let endpoints = backend::endpoints(state, &r.name, port)?;
    let quoted = py_str_repr(&r.name);
    match args.endpoint {
        Some(p) => match port.and_then(|p| endpoints.get(&p)) {
            Some(url) => console.echo(&[(url, Style::Plain)], true),
            None => {
                console.stderr(&format!(
                    "Aborted!: Endpoint {p} not found for cluster {quoted}.\n"
                ));
                return Ok(1);
            }
        },
        None if endpoints.is_empty() => {
            console.stderr(&format!(
                "Aborted!: No endpoint found for cluster {quoted}.\n"
            ));
            return Ok(1);
        }
        None => {
            for (p, url) in &endpoints {
                let line = format!("\x1b[34m{BRIGHT}{p}{RESET}: {CYAN_BRIGHT}{url}{RESET}");
                console.echo(&[(&line, Style::Plain)], true);
            }
        }
    }
    Ok(0)
}

/// The records `core.status` returns for the query (all when empty).
fn query_records(
    state: &mut StateDb,
    args: &StatusArgs,
    console: &mut dyn Console,
) -> Result<Vec<ClusterRecord>, CliError> {
    let mode = if args.refresh {
        RefreshMode::Force
    } else {
        RefreshMode::Auto
    };
    let mut records = backend::status(state, None, mode)?;
    if !args.clusters.is_empty() {
        records.retain(|r| args.clusters.iter().any(|p| glob_match(p, &r.name)));
        let names: Vec<&str> = records.iter().map(|r| r.name.as_str()).collect();
        log_not_found(console, &args.clusters, &names);
    }
    Ok(records)
}

/// `sky status`.
pub fn status(argv: &[String], console: &mut dyn Console) -> Result<i32, CliError> {
    let args: StatusArgs = parse("status", argv)?;
    let show_endpoints = args.endpoints || args.endpoint.is_some();
    let sections = args.clusters.is_empty() && !args.ip && !args.endpoints;
    if args.ip || show_endpoints {
        if args.refresh {
            return Err(CliError::usage(
                "Using --ip or --endpoint(s) with --refresh is notsupported for now. \
                 To fix, refresh first, then query the IP or endpoint.",
            ));
        }
        if args.ip && show_endpoints {
            return Err(Error::value(
                "Cannot specify both --ip and --endpoint(s) at the same time.",
            )
            .into());
        }
        if args.endpoint.is_some() && args.endpoints {
            return Err(Error::value(
                "Cannot specify both --endpoint and --endpoints at the same time.",
            )
            .into());
        }
        let n = args.clusters.len();
        if n != 1 {
            let (num, plural, cause) = match n {
                0 => ("No".to_string(), "", "an existing"),
                n => (n.to_string(), "s", "a single"),
            };
            let single = args.endpoint.is_some();
            return Err(property_error(args.ip, single, &num, plural, "specified", cause).into());
        }
    }
    let mut state = StateDb::open()?;
    let records = query_records(&mut state, &args, console)?;
    if args.output == "json" {
        let user = backend::identity::user_name();
        let list: Vec<serde_json::Value> = records
            .iter()
            .map(|r| status_view::status_response(r, &user))
            .collect();
        let text = tables::json_dumps_indent(&serde_json::Value::Array(list));
        console.echo(&[(&text, Style::Plain)], true);
        return Ok(0);
    }
    if args.ip || show_endpoints {
        return show_endpoint(&mut state, &args, &records, console);
    }
    let env = crate::config::load::Env::process();
    let infras = crate::check::enabled_infras(&env).join(", ");
    console.echo(
        &[(
            &format!("{CYAN_BRIGHT}Enabled Infra:{RESET} {infras}\n"),
            Style::Plain,
        )],
        true,
    );
    console.echo(
        &[(&format!("{CYAN_BRIGHT}Clusters{RESET}"), Style::Plain)],
        true,
    );
    let pending_autostop = show_table(&records, &args, console);
    if sections && !args.no_show_managed_jobs {
        console.echo(
            &[(&format!("\n{CYAN_BRIGHT}Managed jobs{RESET}"), Style::Plain)],
            true,
        );
        // No jobs controller exists yet: SkyPilot's ClusterNotUpError text.
        let msg = format!("No in-progress managed jobs. (See: {BRIGHT}sky jobs -h{RESET})");
        console.echo(&[(&msg, Style::Plain)], true);
    }
    if sections && !args.no_show_services {
        console.echo(
            &[(&format!("\n{CYAN_BRIGHT}Services{RESET}"), Style::Plain)],
            true,
        );
        console.echo(&[("No live services.", Style::Plain)], true);
    }
    if pending_autostop > 0 && !args.refresh {
        let plural = if pending_autostop > 1 {
            "s have"
        } else {
            " has"
        };
        let hint = format!(
            "\n* {pending_autostop} cluster{plural} auto{{stop,down}} scheduled. Refresh statuses \
             with: {BRIGHT}sky status --refresh{RESET}"
        );
        console.echo(&[(&hint, Style::Plain)], true);
    }
    let _ = args.all;
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_matched_lists_plain_names_then_globs() {
        let q: Vec<String> = ["zz", "c1*", "c01", "x*"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(non_matched(&q, &["c01", "c10"]), vec!["zz", "x*"]);
    }

    #[test]
    fn autostop_column_as_skypilot() {
        let mut r = ClusterRecord {
            name: "a".into(),
            launched_at: None,
            handle: serde_json::Value::Null,
            last_use: None,
            status: ClusterStatus::Up,
            autostop: 120,
            to_down: true,
            metadata: serde_json::Value::Null,
            cluster_hash: String::new(),
            cluster_ever_up: true,
            status_updated_at: None,
            user_hash: None,
            workspace: "default".into(),
            is_managed: false,
            last_creation_yaml: None,
            last_creation_command: None,
            launched_nodes: None,
            launched_resources: serde_json::Value::Null,
            cloud: None,
            region: None,
            zone: None,
        };
        assert_eq!(autostop_text(&r), "2h (down)");
        r.autostop = -1;
        assert_eq!(autostop_text(&r), "(down)");
        r.to_down = false;
        assert_eq!(autostop_text(&r), "-");
        r.autostop = 0;
        assert_eq!(autostop_text(&r), "0m");
    }
}
