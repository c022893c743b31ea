//! `--async / --no-async` on the cluster commands (`_async_call_or_wait`):
//! the request is handed to a worker process (`requests::worker`) and the
//! CLI prints its id with the `sky api logs` / `sky api cancel` hints.

use serde_json::Value;

use crate::cli::CliError;
use crate::cli::console::{Console, Style};
use crate::spec::Task;

const GREEN: &str = "\x1b[32m";
const DIM: &str = "\x1b[2m";
const BOLD: &str = "\x1b[1m";
const RESET: &str = "\x1b[0m";

/// `--async / --no-async` (default `--no-async`).
#[derive(clap::Args, Debug, Clone, Default)]
pub struct AsyncFlag {
    /// Run the command asynchronously.
    #[arg(long = "async", overrides_with = "no_async")]
    pub async_call: bool,
    /// Run the command synchronously (the default).
    #[arg(long = "no-async", overrides_with = "async_call")]
    pub no_async: bool,
}

/// What `_async_call_or_wait(request_id, async_call=True, request_name)`
/// prints.
pub fn print_submitted(console: &mut dyn Console, request_name: &str, id: &str) {
    let short: String = id.chars().take(8).collect();
    console.echo(
        &[(
            &format!("{GREEN}Submitted {request_name} request: {id}{RESET}"),
            Style::Plain,
        )],
        true,
    );
    let indent = format!("{DIM}├── {RESET}");
    let last = format!("{DIM}└── {RESET}");
    console.echo(
        &[(
            &format!(
                "{indent}{DIM}Check logs with: {BOLD}sky api logs {short}{RESET}\n\
                 {last}{DIM}To cancel the request, run: {BOLD}sky api cancel {short}{RESET}\n"
            ),
            Style::Plain,
        )],
        true,
    );
}

/// Starts the SDK call `call` with `body` (and `task`) in a worker process
/// and prints its id under `request_name`.
pub fn submit(
    console: &mut dyn Console,
    call: &str,
    request_name: &str,
    body: Value,
    task: Option<&Task>,
) -> Result<String, CliError> {
    let id = crate::requests::worker::submit_process(call, body, task)?;
    print_submitted(console, request_name, &id);
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::console::BufferConsole;

    #[test]
    fn submitted_lines_as_skypilot() {
        let mut c = BufferConsole::default();
        print_submitted(&mut c, "sky.launch", "8f47ab91-eb52-4ea8-9b42-d35c08bc3406");
        let plain = crate::cli::console::strip_ansi(&c.out);
        assert_eq!(
            plain,
            "Submitted sky.launch request: 8f47ab91-eb52-4ea8-9b42-d35c08bc3406\n\
             ├── Check logs with: sky api logs 8f47ab91\n\
             └── To cancel the request, run: sky api cancel 8f47ab91\n\n"
        );
    }
}
