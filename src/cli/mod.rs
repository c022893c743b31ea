//! The `sky` command line (clap). Data goes to stdout, progress and errors
//! to stderr; exit codes follow SkyPilot's.

use clap::Parser;

mod agent;
pub mod api_cmds;
pub mod api_logs;
pub mod async_call;
pub mod click;
pub mod cluster_cmds;
pub mod command_args;
pub mod console;
pub mod dotenv;
pub mod dryrun;
pub mod entrypoint;
pub mod gpus;
pub mod job_cmds;
pub mod launch;
pub mod misc_cmds;
pub mod ssh_cmds;
pub mod status_cmd;
pub mod submit;
pub mod tables;
pub mod task_options;
pub mod yaml_entry;

pub use click::CliError;

/// SkyPilot's interface with a Rust core: run AI workloads on any infra.
///
/// Commands are added as they become real; see `sky --help`.
#[derive(Parser, Debug)]
#[command(
    name = "sky",
    disable_version_flag = true,
    about = "SkyPilot (stix): launch, run and manage AI workloads on any infra.",
    after_help = cluster_cmds::COMMANDS_HELP
)]
struct Cli {
    /// Show the version and exit.
    #[arg(short = 'v', long = "version")]
    version: bool,
    /// Show the commit hash and exit.
    #[arg(short = 'c', long = "commit")]
    commit: bool,
    #[command(subcommand)]
    command: Option<Command>,
}

/// The commands that work today.
#[derive(clap::Subcommand, Debug)]
enum Command {
    /// Check which clouds are available to use.
    ///
    /// This checks access credentials for all clouds supported by SkyPilot.
    /// If a cloud is detected to be inaccessible, the reason and correction
    /// steps will be shown. If CLOUDS are specified, checks credentials for
    /// only those clouds. The enabled clouds are cached and form the
    /// "search space" to be considered for each task.
    Check {
        /// Clouds to check (all by default).
        infra_list: Vec<String>,
        /// Show the activated account for each cloud.
        #[arg(short = 'v', long)]
        verbose: bool,
        /// The workspace to check.
        #[arg(short = 'w', long)]
        workspace: Option<String>,
        /// Output format: table or json.
        #[arg(short = 'o', long = "output", default_value = "table")]
        output: String,
    },
    /// SkyPilot GPU/Accelerator CLI.
    #[command(subcommand)]
    Gpus(GpusCommand),
    /// Show supported GPU/TPU/accelerators and their prices (deprecated: use `sky gpus list`).
    ShowGpus(gpus::GpusArgs),
}

/// `sky gpus ...`.
#[derive(clap::Subcommand, Debug)]
enum GpusCommand {
    /// Show supported GPU/TPU/accelerators and their prices.
    List(gpus::GpusArgs),
}

fn gpus_main(args: &gpus::GpusArgs) -> i32 {
    let mut console = console::StdConsole::new();
    match gpus::render(args, &mut console) {
        Ok(text) => {
            println!("{text}");
            0
        }
        Err(e) => {
            eprint!(
                "{}",
                e.stderr_text("sky gpus list [OPTIONS] [ACCELERATOR_STR]")
            );
            e.exit_code()
        }
    }
}

fn check_main(infra_list: &[String], output: &str) -> i32 {
    let env = crate::config::load::Env::process();
    let clouds = (!infra_list.is_empty()).then_some(infra_list);
    match crate::check::run_check(&env, clouds) {
        Ok(report) if output == "json" => {
            let mut m = serde_json::Map::new();
            for c in report.clouds.iter().filter(|c| !c.enabled().is_empty()) {
                let caps: Vec<&str> = c.enabled().iter().map(|x| x.as_str()).collect();
                m.insert(c.repr.to_string(), serde_json::json!(caps));
            }
            let all = serde_json::json!({ "default": m });
            println!("{}", serde_json::to_string_pretty(&all).unwrap_or_default());
            0
        }
        Ok(report) => {
            print!("{}", report.text);
            0
        }
        Err(e) => {
            eprint!("{}", CliError::Task(e).stderr_text(""));
            1
        }
    }
}

/// Runs `launch` / `exec`: they parse, check and build the task exactly as
/// SkyPilot does, then submit it (`submit.rs`).
fn task_command_main(argv: &[String]) -> i32 {
    let mut console = console::StdConsole::new();
    match launch::task_command(argv, &mut console) {
        Ok(cmd) if cmd.dryrun => {
            let (log, result) = dryrun::plan(cmd.task);
            print!("{}", crate::optimizer::render_log(&log));
            match result {
                Ok(_) => 0,
                Err(mut e) => {
                    // `str(KeyError(k))` is `repr(k)`.
                    if e.kind == crate::ErrorKind::Key {
                        e.message = crate::yaml::py_str_repr(&e.message);
                    }
                    eprint!("{}", CliError::Task(e).stderr_text(""));
                    1
                }
            }
        }
        Ok(cmd) => match submit::submit(argv, cmd, &mut console) {
            Ok(code) => code,
            Err(CliError::Help(text)) => {
                print!("{text}");
                0
            }
            Err(e) => {
                eprint!("{}", e.stderr_text(""));
                e.exit_code()
            }
        },
        Err(launch::CommandError {
            error: CliError::Help(text),
            ..
        }) => {
            print!("{text}");
            0
        }
        Err(e) => {
            eprint!("{}", e.error.stderr_text(e.usage));
            e.error.exit_code()
        }
    }
}

/// click's usage line of a cluster, job or api command.
fn usage_line(argv: &[String]) -> String {
    let args = match argv[0].as_str() {
        "status" | "stop" | "down" | "start" | "autostop" | "queue" => "[CLUSTERS]...",
        "logs" => "[CLUSTER] [JOB_IDS]...",
        "cancel" => "CLUSTER [JOBS]...",
        "endpoints" => "CLUSTER [PORT]",
        "api" => {
            let sub = argv.get(1).map_or("", String::as_str);
            let rest = match sub {
                "status" => "[REQUEST_ID_PREFIXES]...",
                "cancel" => "[REQUEST_IDS]...",
                "logs" => "[REQUEST_ID]",
                _ => "",
            };
            return format!("sky api {sub} [OPTIONS] {rest}")
                .trim_end()
                .to_string();
        }
        _ => "",
    };
    format!("sky {} [OPTIONS] {args}", argv[0])
        .trim_end()
        .to_string()
}

/// Runs a cluster or job command (`status`, `stop`, `queue`, ...).
fn cluster_command_main(argv: &[String]) -> Option<i32> {
    let mut console = console::StdConsole::new();
    let result = cluster_cmds::main(argv, &mut console)
        .or_else(|| job_cmds::main(argv, &mut console))
        .or_else(|| misc_cmds::main(argv, &mut console))
        .or_else(|| api_cmds::main(argv, &mut console))
        .or_else(|| ssh_cmds::main(argv, &mut console))?;
    Some(match result {
        Ok(code) => code,
        Err(CliError::Help(text)) => {
            print!("{text}");
            0
        }
        Err(e) => {
            eprint!("{}", e.stderr_text(&usage_line(argv)));
            e.exit_code()
        }
    })
}

/// Runs the CLI on `argv` (program name excluded); returns the exit code.
pub fn main(argv: Vec<String>) -> i32 {
    // The cluster runtime, hidden from `--help` (SkyPilot's skylet).
    if argv.first().map(String::as_str) == Some("_agent") {
        return agent::main(&argv[1..]);
    }
    // A request's worker process (`requests::worker`), hidden too.
    if argv.first().map(String::as_str) == Some("_request") {
        let id = argv.get(1).map_or("", String::as_str);
        return match crate::requests::worker::run(id, &mut submit::progress_printer()) {
            Ok(()) => 0,
            Err(e) => {
                eprint!("{}", CliError::Task(e).stderr_text(""));
                1
            }
        };
    }
    if matches!(argv.first().map(String::as_str), Some("launch" | "exec")) {
        return task_command_main(&argv);
    }
    if let Some(code) = cluster_command_main(&argv) {
        return code;
    }
    let args = std::iter::once("sky".to_string()).chain(argv);
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return code;
        }
    };
    if cli.version {
        println!("skypilot, version {}", crate::SKYPILOT_VERSION);
        return 0;
    }
    if cli.commit {
        println!("skypilot, commit {}", crate::COMMIT);
        return 0;
    }
    match &cli.command {
        Some(Command::Check {
            infra_list, output, ..
        }) => return check_main(infra_list, output),
        Some(Command::Gpus(GpusCommand::List(args))) | Some(Command::ShowGpus(args)) => {
            return gpus_main(args);
        }
        None => {}
    }
    // Like click, a bare `sky` prints the help.
    let _ = <Cli as clap::CommandFactory>::command().print_help();
    println!();
    0
}
