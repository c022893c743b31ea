//! Submitting what `sky launch` / `sky exec` built: the confirmation
//! prompt (`sdk._launch`), the backend call with its progress on the
//! terminal, log streaming unless `--detach-run`, the "Useful Commands"
//! hint and SkyPilot's exit codes.

use std::io::{IsTerminal, Write};

use crate::agent::autostop::WaitFor;
use crate::backend::{self, ExecOptions, LaunchOptions, Progress};
use crate::cli::CliError;
use crate::cli::cluster_cmds::journaled;
use crate::cli::command_args::LaunchArgs;
use crate::cli::console::{Console, Style};
use crate::cli::launch::TaskCommand;
use crate::runner::Stream;
use crate::state::{ClusterStatus, StateDb};

const BOLD: &str = "\x1b[1m";
const RESET_BOLD: &str = "\x1b[0m";
const INDENT: &str = "\x1b[2m├── \x1b[0m";
const INDENT_LAST: &str = "\x1b[2m└── \x1b[0m";

/// `ux_utils.command_hint_messages(CLUSTER_JOB, ...)`; the `ssh` line only
/// for clusters whose head `ssh <cluster>` reaches (generated SSH config).
pub fn cluster_job_hint(job_id: Option<i64>, cluster: &str, ssh_login: bool) -> String {
    let mut s = String::from("\n📋 Useful Commands");
    if let Some(id) = job_id {
        s.push_str(&format!(
            "\nJob ID: {id}\n{INDENT}To cancel the job:\t\t{BOLD}sky cancel {cluster} {id}{RESET_BOLD}\
             \n{INDENT}To stream job logs:\t\t{BOLD}sky logs {cluster} {id}{RESET_BOLD}\
             \n{INDENT_LAST}To view job queue:\t\t{BOLD}sky queue {cluster}{RESET_BOLD}"
        ));
    }
    s.push_str(&format!("\nCluster name: {cluster}"));
    if ssh_login {
        s.push_str(&format!(
            "\n{INDENT}To log into the head VM:\t{BOLD}ssh {cluster}{RESET_BOLD}"
        ));
    }
    s.push_str(&format!(
        "\n{INDENT}To submit a job:\t\t{BOLD}sky exec {cluster} yaml_file{RESET_BOLD}\
         \n{INDENT}To stop the cluster:\t{BOLD}sky stop {cluster}{RESET_BOLD}\
         \n{INDENT_LAST}To teardown the cluster:\t{BOLD}sky down {cluster}{RESET_BOLD}"
    ));
    s
}

/// The prompt `sdk._launch` shows before launching on `name` (`None`: no
/// prompt, an UP cluster of this user is simply reused).
pub fn launch_prompt(status: Option<ClusterStatus>, name: &str) -> Option<String> {
    let quoted = crate::yaml::py_str_repr(name);
    match status {
        None => Some(format!("Launching a new cluster {quoted}. Proceed?")),
        Some(ClusterStatus::Stopped) => {
            Some(format!("Restarting the stopped cluster {quoted}. Proceed?"))
        }
        Some(_) => None,
    }
}

/// Writes backend progress: logged lines to stdout (SkyPilot's logger
/// writes there), the spinner text to stderr on a terminal only.
pub fn progress_printer() -> impl FnMut(Progress) {
    let spinner = std::io::stderr().is_terminal();
    let mut spinning = false;
    move |p| match p {
        Progress::Info(line) => {
            if spinning {
                eprint!("\r\x1b[2K");
                spinning = false;
            }
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "{line}");
            let _ = out.flush();
        }
        Progress::Spinner(text) if spinner => {
            eprint!("\r\x1b[2K⠋ {text}");
            spinning = true;
        }
        _ => {}
    }
}

/// Streams a job's log (follow) to stdout/stderr; SkyPilot's exit code.
pub fn stream_logs(
    state: &mut StateDb,
    cluster: &str,
    job_id: Option<i64>,
    follow: bool,
    tail: usize,
) -> Result<i32, CliError> {
    let mut sink = |s: Stream, line: &str| {
        let _ = match s {
            Stream::Stdout => {
                let mut o = std::io::stdout().lock();
                o.write_all(line.as_bytes()).and_then(|_| o.flush())
            }
            Stream::Stderr => std::io::stderr().lock().write_all(line.as_bytes()),
        };
    };
    Ok(backend::tail_logs(
        state, cluster, job_id, follow, tail, &mut sink,
    )?)
}

fn wait_for(args: &LaunchArgs) -> Result<Option<WaitFor>, CliError> {
    Ok(match args.wait_for.as_deref() {
        Some(w) => Some(WaitFor::parse(w)?),
        None => None,
    })
}

fn launch(
    cmd: TaskCommand,
    args: &LaunchArgs,
    command: String,
    console: &mut dyn Console,
) -> Result<i32, CliError> {
    let mut state = StateDb::open()?;
    let name = cmd
        .cluster
        .clone()
        .unwrap_or_else(backend::identity::generate_cluster_name);
    let status = state.get_cluster(&name)?.map(|r| r.status);
    if status.is_none() && !args.yes {
        // `sdk._launch` shows the optimizer's plan before asking.
        let (log, planned) = crate::cli::dryrun::plan(cmd.task.clone());
        print!("{}", crate::optimizer::render_log(&log));
        planned?;
    }
    let prompt = launch_prompt(status, &name).filter(|_| !args.yes);
    match prompt {
        Some(p) => console.confirm_default_yes(&p)?,
        None => {
            console.echo(&[("Running on cluster: ", Style::Cyan)], false);
            console.echo(&[(&name, Style::Plain)], true);
        }
    }
    if cmd.async_call {
        let body = serde_json::json!({
            "cluster_name": name, "retry_until_up": args.retry_until_up,
            "idle_minutes_to_autostop": args.idle_minutes_to_autostop,
            "wait_for": args.wait_for, "down": args.down, "dryrun": args.dryrun,
            "no_setup": args.no_setup, "fast": args.fast, "_command": command,
            "quiet_optimizer": !args.yes,
        });
        crate::cli::async_call::submit(console, "launch", "sky.launch", body, Some(&cmd.task))?;
        return Ok(0);
    }
    let opts = LaunchOptions {
        cluster_name: Some(name.clone()),
        retry_until_up: args.retry_until_up,
        idle_minutes_to_autostop: args.idle_minutes_to_autostop,
        wait_for: wait_for(args)?,
        down: args.down,
        dryrun: args.dryrun,
        no_setup: args.no_setup,
        fast: args.fast,
        command: Some(command),
        quiet_optimizer: !args.yes,
    };
    let res = journaled("launch", &name, || {
        backend::launch(&mut state, &cmd.task, &opts, &mut progress_printer())
    })?;
    // A dry run submits nothing (SkyPilot returns no handle for it).
    if args.dryrun || res.handle.is_none() {
        return Ok(0);
    }
    let ssh_login = res
        .handle
        .as_ref()
        .and_then(|h| h.nodes.first())
        .is_some_and(|n| matches!(n.runner, crate::runner::RunnerSpec::Ssh { .. }));
    let mut code = 0;
    if !cmd.detach_run && res.job_id.is_some() {
        code = stream_logs(&mut state, &name, res.job_id, true, 0)?;
    }
    console.echo(
        &[(
            &cluster_job_hint(res.job_id, &name, ssh_login),
            Style::Plain,
        )],
        true,
    );
    Ok(code)
}

fn exec(cmd: TaskCommand, command: String, console: &mut dyn Console) -> Result<i32, CliError> {
    let cluster = cmd.cluster.clone().unwrap_or_default();
    console.echo(&[("Submitting job to cluster: ", Style::Cyan)], false);
    console.echo(&[(&cluster, Style::Plain)], true);
    if cmd.async_call {
        let body = serde_json::json!({"cluster_name": cluster, "_command": command});
        crate::cli::async_call::submit(console, "exec", "sky.exec", body, Some(&cmd.task))?;
        return Ok(0);
    }
    let mut state = StateDb::open()?;
    let opts = ExecOptions {
        dryrun: false,
        command: Some(command),
    };
    let res = journaled("exec", &cluster, || {
        backend::exec(
            &mut state,
            &cmd.task,
            &cluster,
            &opts,
            &mut progress_printer(),
        )
    })?;
    if cmd.detach_run || res.job_id.is_none() {
        return Ok(0);
    }
    stream_logs(&mut state, &cluster, res.job_id, true, 0)
}

/// Submits a built `sky launch` / `sky exec` (`argv` is the command line
/// without the program name); returns the exit code.
pub fn submit(
    argv: &[String],
    mut cmd: TaskCommand,
    console: &mut dyn Console,
) -> Result<i32, CliError> {
    let command = format!("sky {}", argv.join(" "));
    match cmd.launch.take() {
        Some(args) => launch(cmd, &args, command, console),
        None => exec(cmd, command, console),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prompts_follow_the_cluster_status() {
        assert_eq!(
            launch_prompt(None, "dev").as_deref(),
            Some("Launching a new cluster 'dev'. Proceed?")
        );
        assert_eq!(
            launch_prompt(Some(ClusterStatus::Stopped), "dev").as_deref(),
            Some("Restarting the stopped cluster 'dev'. Proceed?")
        );
        assert_eq!(launch_prompt(Some(ClusterStatus::Up), "dev"), None);
    }

    #[test]
    fn hint_lists_job_commands_only_with_a_job() {
        let with = cluster_job_hint(Some(3), "c", true);
        assert!(with.contains("\nJob ID: 3\n") && with.contains("sky cancel c 3"));
        assert!(with.contains("To log into the head VM:\t\x1b[1mssh c\x1b[0m"));
        let without = cluster_job_hint(None, "c", false);
        assert!(!without.contains("Job ID") && without.contains("sky down c"));
        assert!(!without.contains("ssh c"));
    }
}
