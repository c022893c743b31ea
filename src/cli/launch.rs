//! `sky launch` and `sky exec` up to the task they submit: the checks
//! they make before building the task, and the task itself (`submit.rs`
//! submits it).

use clap::{CommandFactory, Parser};

use crate::cli::CliError;
use crate::cli::click;
pub use crate::cli::command_args::{EXEC_USAGE, LAUNCH_USAGE};
use crate::cli::command_args::{ExecArgs, LaunchArgs, NO_D_FLAG, TaskCommandOptions};
use crate::cli::console::{Console, Style};
use crate::cli::entrypoint::{Built, TaskRequest, handle_infra, make_task_or_dag};
use crate::cli::task_options::TaskOptions;
use crate::config::validate::compose_click_config;
use crate::spec::Task;
use crate::yaml::Map;

const DAG_NOT_SUPPORTED: &str = "YAML specifies a DAG which is only supported by `sky jobs launch`. \
                                 `sky launch` supports a single task only.";

/// What a task command resolved to, before submitting.
#[derive(Debug, Clone)]
pub struct TaskCommand {
    /// The task to submit.
    pub task: Task,
    /// The target cluster (`-c` / CLUSTER), if any.
    pub cluster: Option<String>,
    /// `sky launch --dryrun`: plan only.
    pub dryrun: bool,
    /// `-d/--detach-run`.
    pub detach_run: bool,
    /// `sky launch`'s flags (`None` for `sky exec`).
    pub launch: Option<Box<LaunchArgs>>,
    /// `--async`: hand the request to a worker and return.
    pub async_call: bool,
}

/// A failed task command: the error and the usage line to print it with.
#[derive(Debug, Clone, PartialEq)]
pub struct CommandError {
    /// What went wrong.
    pub error: CliError,
    /// The command's usage line (`sky launch [OPTIONS] [ENTRYPOINT]...`).
    pub usage: &'static str,
}

fn parse<T: Parser>(argv: &[String]) -> Result<T, CliError> {
    // click reads `-no-d` as one option; clap would split it into shorts.
    let args: Vec<String> = argv
        .iter()
        .map(|a| {
            if a == "-no-d" {
                format!("--{NO_D_FLAG}")
            } else {
                a.clone()
            }
        })
        .collect();
    let mut cmd = T::command();
    // Built, so clap can render each argument for error hints.
    cmd.build();
    let matches = cmd
        .clone()
        .try_get_matches_from(std::iter::once("sky".to_string()).chain(args))
        .map_err(|e| click::from_clap(e, &cmd, argv))?;
    T::from_arg_matches(&matches).map_err(|e| click::from_clap(e, &cmd, argv))
}

/// The shared part of `launch` and `exec` after their own checks.
fn request(
    entrypoint: Vec<String>,
    opts: &TaskCommandOptions,
    console: &mut dyn Console,
) -> Result<TaskRequest, CliError> {
    let (task, resources, git) = (&opts.task, &opts.resources, &opts.git);
    let (cloud, region, zone) = handle_infra(
        task.infra.as_deref(),
        task.cloud.as_deref(),
        task.region.as_deref(),
        task.zone.as_deref(),
        console,
    )?;
    Ok(TaskRequest {
        entrypoint,
        name: opts.name.name.clone(),
        workdir: task.workdir.clone(),
        cloud,
        region,
        zone,
        gpus: resources.gpus.clone(),
        cpus: task.cpus.clone(),
        memory: task.memory.clone(),
        instance_type: resources.instance_type.clone(),
        num_nodes: task.num_nodes,
        use_spot: task.use_spot(),
        image_id: task.image_id.clone(),
        disk_size: task.disk_size,
        disk_tier: task.disk_tier.clone(),
        network_tier: task.network_tier.clone(),
        local_disk: task.local_disk.clone(),
        ports: resources.ports.clone(),
        priority: None,
        env: task.merged_envs(),
        secret: task.merged_secrets(),
        field_to_ignore: &[],
        config_override: None,
        git_url: git.git_url.clone(),
        git_ref: git.git_ref.clone(),
    })
}

/// `--workspace` and `--config` overlay the SkyPilot config for this
/// command (`apply_cli_config`); the parsed overrides are returned so the
/// task's resources carry them (`_cluster_config_overrides`).
fn config_hook(config: &[String], workspace: Option<&str>) -> Result<Option<Map>, CliError> {
    let env = crate::config::load::Env::process();
    let bad = |e: crate::Error| match e.kind {
        crate::ErrorKind::Value => {
            CliError::usage(format!("Invalid value for '--config': {}", e.message))
        }
        _ => CliError::Task(e),
    };
    if let Some(w) = workspace {
        let parsed = compose_click_config(&env, &[format!("active_workspace={w}")])?;
        crate::config::state::apply(&env, &parsed)?;
    }
    if config.is_empty() {
        return Ok(None);
    }
    let parsed = compose_click_config(&env, config).map_err(bad)?;
    crate::config::state::apply(&env, &parsed)?;
    Ok(Some(parsed))
}

fn dotenv_warnings(task: &TaskOptions, console: &mut dyn Console) {
    for w in task.dotenv_warnings() {
        console.stderr(&format!("{w}\n"));
    }
}

/// `cluster_name_looks_like_file_path`.
fn looks_like_file_path(name: &str) -> bool {
    let lower = name.to_lowercase();
    [".yaml", ".yml", ".json"]
        .iter()
        .any(|e| lower.ends_with(e))
        || std::path::Path::new(&crate::spec::task::expand_user(name)).is_file()
}

fn launch(argv: &[String], console: &mut dyn Console) -> Result<TaskCommand, CliError> {
    let args: LaunchArgs = parse(argv)?;
    dotenv_warnings(&args.opts.task, console);
    let config_override = config_hook(&args.common.config, args.workspace.as_deref())?;
    if let Some(c) = args.cluster.as_deref().filter(|c| looks_like_file_path(c)) {
        let warning = format!(
            "Cluster name {} looks like a file path. Did you mean: sky launch -c <cluster-name> {c}",
            crate::yaml::py_str_repr(c)
        );
        if args.yes {
            console.log(&[(&warning, Style::Yellow)]);
        } else {
            console.confirm(&[
                (&warning, Style::Yellow),
                ("\nProceed anyway?", Style::Plain),
            ])?;
        }
    }
    if args.resize && args.cluster.is_none() {
        return Err(CliError::usage(
            "--resize requires -c/--cluster to specify an existing cluster.",
        ));
    }
    let mut req = request(args.entrypoint.clone(), &args.opts, console)?;
    req.config_override = config_override;
    req.priority = args.priority.clone();
    let task = match make_task_or_dag(&req, console)? {
        Built::Task(t) => *t,
        Built::Dag(_) => return Err(CliError::usage(DAG_NOT_SUPPORTED)),
    };
    if args.docker {
        console.echo(
            &[(
                "WARNING: LocalDockerBackend is deprecated and will be removed in a future release. \
                 To run locally, create a local Kubernetes cluster with `sky local up`.",
                Style::Yellow,
            )],
            true,
        );
    }
    if let Some(service) = &task.service {
        let (noun, sysname, cmd) = if service.pool.as_ref().is_some_and(|p| !p.is_empty()) {
            ("pool", "Pool", "sky jobs pool apply")
        } else {
            ("service", "SkyServe", "sky serve up")
        };
        let cap = format!("{}{}", noun[..1].to_uppercase(), &noun[1..]);
        console.log(&[(
            &format!("{cap} section will be ignored when using `sky launch`. "),
            Style::Yellow,
        )]);
        console.log(&[
            (
                &format!("To spin up a {noun}, use {sysname} CLI: "),
                Style::Yellow,
            ),
            (cmd, Style::Bold),
        ]);
    }
    Ok(TaskCommand {
        task,
        cluster: args.cluster.clone(),
        dryrun: args.dryrun,
        detach_run: args.detach_run,
        async_call: args.common.async_call,
        launch: Some(Box::new(args)),
    })
}

fn exec(argv: &[String], console: &mut dyn Console) -> Result<TaskCommand, CliError> {
    let args: ExecArgs = parse(argv)?;
    dotenv_warnings(&args.opts.task, console);
    let config_override = config_hook(&args.common.config, None)?;
    let mut cluster = args.cluster.clone();
    let mut entrypoint = args.entrypoint.clone();
    if args.cluster_option.is_none() && cluster.is_none() {
        return Err(CliError::usage(
            "Missing argument '[CLUSTER]' and '[ENTRYPOINT]...'",
        ));
    }
    if let Some(c) = &args.cluster_option {
        if let Some(first) = cluster.take() {
            entrypoint.insert(0, first);
        }
        cluster = Some(c.clone());
    }
    if entrypoint.is_empty() {
        return Err(CliError::usage("Missing argument '[ENTRYPOINT]...'"));
    }
    let mut req = request(entrypoint, &args.opts, console)?;
    req.config_override = config_override;
    req.field_to_ignore = &[
        "cpus",
        "memory",
        "disk_size",
        "disk_tier",
        "local_disk",
        "ports",
    ];
    match make_task_or_dag(&req, console)? {
        Built::Task(t) => Ok(TaskCommand {
            task: *t,
            cluster,
            dryrun: false,
            detach_run: args.detach_run,
            launch: None,
            async_call: args.common.async_call,
        }),
        Built::Dag(_) => Err(CliError::usage(
            "YAML specifies a DAG, while `sky exec` supports a single task only.",
        )),
    }
}

/// Runs `sky launch ...` / `sky exec ...` (`argv[0]` is the command) up
/// to the task it would submit.
pub fn task_command(
    argv: &[String],
    console: &mut dyn Console,
) -> Result<TaskCommand, CommandError> {
    let (name, rest) = argv
        .split_first()
        .map_or(("", &[][..]), |(n, r)| (n.as_str(), r));
    let (result, usage) = match name {
        "launch" => (launch(rest, console), LAUNCH_USAGE),
        "exec" => (exec(rest, console), EXEC_USAGE),
        other => (
            Err(CliError::usage(format!("No such command '{other}'."))),
            "sky [OPTIONS] COMMAND [ARGS]...",
        ),
    };
    result.map_err(|error| CommandError { error, usage })
}

/// The clap command of `launch` / `exec` (for help and tests).
pub fn command_of(name: &str) -> Option<clap::Command> {
    match name {
        "launch" => Some(LaunchArgs::command()),
        "exec" => Some(ExecArgs::command()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::console::BufferConsole;

    fn argv(words: &[&str]) -> Vec<String> {
        words.iter().map(|w| w.to_string()).collect()
    }

    fn launch_args(words: &[&str]) -> Result<LaunchArgs, CliError> {
        parse(&argv(words))
    }

    fn error(words: &[&str]) -> String {
        let e = task_command(&argv(words), &mut BufferConsole::default()).unwrap_err();
        e.error.stderr_text(e.usage)
    }

    #[test]
    fn options_parse_as_click_parses_them() {
        let a = launch_args(&[
            "echo",
            "--cpus",
            "2",
            "hi",
            "--cpus=4",
            "-tm5.large",
            "--env",
            "A=1",
            "--env=B=2",
            "--use-spot",
            "--no-use-spot",
            "-no-d",
            "--clone",
            "src",
            "--name",
            "--dryrun",
        ])
        .unwrap();
        assert_eq!(a.entrypoint, ["echo", "hi"]);
        assert_eq!(a.opts.task.cpus.as_deref(), Some("4"));
        assert_eq!(a.opts.resources.instance_type.as_deref(), Some("m5.large"));
        assert_eq!(a.opts.task.env.len(), 2);
        assert_eq!(a.opts.task.use_spot(), Some(false));
        assert!(a.no_detach_run && !a.detach_run);
        assert_eq!(a.clone_disk_from.as_deref(), Some("src"));
        // A value may start with a dash, as in click.
        assert_eq!(a.opts.name.name.as_deref(), Some("--dryrun"));
        assert!(!a.dryrun);
        let a = launch_args(&["--", "echo", "--cpus"]).unwrap();
        assert_eq!(a.entrypoint, ["echo", "--cpus"]);
        assert_eq!(
            launch_args(&["--disk-tier", "HIGH"])
                .unwrap()
                .opts
                .task
                .disk_tier
                .as_deref(),
            Some("high")
        );
    }

    #[test]
    fn parse_errors_are_worded_as_click_words_them() {
        let usage =
            "Usage: sky launch [OPTIONS] [ENTRYPOINT]...\nTry 'sky launch -h' for help.\n\n";
        assert_eq!(
            error(&["launch", "--num-nodes", "x"]),
            format!("{usage}Error: Invalid value for '--num-nodes': 'x' is not a valid integer.\n")
        );
        assert_eq!(
            error(&["launch", "-i", "1.5"]),
            format!(
                "{usage}Error: Invalid value for '--idle-minutes-to-autostop' / '-i': '1.5' is not a valid integer.\n"
            )
        );
        assert_eq!(
            error(&["launch", "--cpu", "4"]),
            format!(
                "{usage}Error: No such option: --cpu (Possible options: --cloud, --cpus, --gpus)\n"
            )
        );
        assert_eq!(
            error(&["launch", "--dryru"]),
            format!("{usage}Error: No such option: --dryru Did you mean --dryrun?\n")
        );
        assert_eq!(
            error(&["launch", "echo", "--cpus"]),
            "Error: Option '--cpus' requires an argument.\n"
        );
        assert_eq!(
            error(&["launch", "--fast=1"]),
            "Error: Option '--fast' does not take a value.\n"
        );
        assert_eq!(
            error(&["exec", "c1", "ls", "-la"]),
            "Usage: sky exec [OPTIONS] [CLUSTER] [ENTRYPOINT]...\nTry 'sky exec -h' for help.\n\nError: No such option: -l\n"
        );
    }

    #[test]
    fn exec_takes_the_cluster_first() {
        let mut console = BufferConsole::default();
        let cmd = task_command(&argv(&["exec", "-c", "c1", "c2", "echo"]), &mut console).unwrap();
        assert_eq!(cmd.cluster.as_deref(), Some("c1"));
        assert_eq!(cmd.task.run.as_deref(), Some("c2 echo"));
        let e = task_command(&argv(&["exec", "c1"]), &mut console).unwrap_err();
        assert_eq!(
            e.error,
            CliError::usage("Missing argument '[ENTRYPOINT]...'")
        );
        let cmd =
            task_command(&argv(&["exec", "c1", "true", "--cpus", "2"]), &mut console).unwrap();
        assert!(cmd.task.resources.items()[0].cpus.is_none());
        assert!(console.out.ends_with("Override param cpus=2 is ignored.\n"));
    }

    /// The long options click's parser knows for each command (recorded
    /// from SkyPilot 0.14.1), which "did you mean" draws from.
    #[test]
    fn long_options_match_skypilot() {
        let launch = "--async --clone --clone-disk-from --cloud --cluster --config --cpus --detach-run \
            --disk-size --disk-tier --docker --down --dryrun --env --env-file --fast --git-ref --git-url \
            --gpus --help --idle-minutes-to-autostop --image-id --infra --instance-type --local-disk \
            --memory --name --network-tier --no-async --no-setup --no-use-spot --num-nodes --ports \
            --priority --region --resize --retry-until-up --secret --secret-file --use-spot --wait-for \
            --workdir --workspace --yes --zone -no-d";
        let exec = "--async --cloud --cluster --config --cpus --detach-run --disk-size --disk-tier --env \
            --env-file --git-ref --git-url --gpus --help --image-id --infra --instance-type --local-disk \
            --memory --name --network-tier --no-async --no-use-spot --num-nodes --ports --region --secret \
            --secret-file --use-spot --workdir --zone";
        for (name, want) in [("launch", launch), ("exec", exec)] {
            let mut cmd = command_of(name).unwrap();
            cmd.build();
            let mut got = click::long_options(&cmd);
            got.sort();
            let want: Vec<&str> = want.split_whitespace().collect();
            assert_eq!(got, want, "{name}");
        }
        assert!(
            error(&["launch", "--no-d"])
                .contains("(Possible options: --no-async, --no-setup, -no-d)")
        );
        assert!(
            error(&["exec", "--clon"]).contains("(Possible options: --cloud, --config, --zone)")
        );
    }
}
