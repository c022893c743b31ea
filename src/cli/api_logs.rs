//! `sky api logs [REQUEST_ID]`: streams a request's log (what its worker
//! process wrote, `requests::worker::log_path`), following it until the
//! request finishes, then ends as `sdk.stream_and_get` does: the request's
//! error (or its cancellation) is raised.

use std::io::Write;
use std::path::Path;

use clap::Parser;

use crate::cli::CliError;
use crate::cli::cluster_cmds::parse;
use crate::cli::console::Console;
use crate::requests;

/// `sky api logs [REQUEST_ID]`
#[derive(Parser, Debug)]
#[command(name = "sky api logs", disable_version_flag = true)]
struct LogsArgs {
    /// The request (an id or a unique prefix).
    request_id: Option<String>,
    /// Stream the server logs.
    #[arg(long = "server-logs")]
    server_logs: bool,
    /// The path to the log file to stream.
    #[arg(short = 'l', long = "log-path")]
    log_path: Option<String>,
    /// Number of lines to show from the end of the logs.
    #[arg(long, value_parser = crate::cli::click::int, allow_hyphen_values = true)]
    tail: Option<i64>,
    /// Follow the logs (default).
    #[arg(long, overrides_with = "no_follow")]
    follow: bool,
    /// Do not follow.
    #[arg(long = "no-follow")]
    no_follow: bool,
}

fn write_out(text: &[u8]) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text).and_then(|_| out.flush());
}

/// `sky api logs`.
pub fn logs(argv: &[String], console: &mut dyn Console) -> Result<i32, CliError> {
    let args: LogsArgs = parse("logs", argv)?;
    let follow = !args.no_follow;
    if !args.server_logs && args.request_id.is_none() && args.log_path.is_none() {
        return Err(CliError::usage(
            "Invalid value: Please provide the request ID or log path.",
        ));
    }
    if args.server_logs {
        console.stderr("stix runs requests without an API server: there are no server logs.\n");
        return Ok(0);
    }
    if args.request_id.is_some() && args.log_path.is_some() {
        return Err(CliError::usage(
            "Invalid value: Only one of request ID and log path can be provided.",
        ));
    }
    if let Some(p) = &args.log_path {
        let path = crate::spec::task::expand_user(p);
        requests::worker::stream_file(
            Path::new(&path),
            args.tail,
            false,
            &mut || false,
            &mut write_out,
        );
        return Ok(0);
    }
    let id = requests::get(args.request_id.as_deref().unwrap_or_default())?.request_id;
    requests::worker::stream_log(&id, args.tail, follow, &mut write_out);
    if !follow {
        return Ok(0);
    }
    match requests::wait(&id) {
        Ok(_) => Ok(0),
        Err(e) => {
            console.stderr(&format!("{}: {}\n", e.kind.python_qualname(), e.message));
            Ok(1)
        }
    }
}
