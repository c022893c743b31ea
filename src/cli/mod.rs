//! The `sky` command line (clap). Data goes to stdout, progress and errors
//! to stderr; exit codes follow SkyPilot's.

use clap::Parser;

mod agent;

/// SkyPilot's interface with a Rust core: run AI workloads on any infra.
///
/// Commands are added as they become real; see `sky --help`.
#[derive(Parser, Debug)]
#[command(
    name = "sky",
    disable_version_flag = true,
    about = "SkyPilot (stix): launch, run and manage AI workloads on any infra."
)]
struct Cli {
    /// Show the version and exit.
    #[arg(short = 'v', long = "version")]
    version: bool,
    /// Show the commit hash and exit.
    #[arg(short = 'c', long = "commit")]
    commit: bool,
}

/// Runs the CLI on `argv` (program name excluded); returns the exit code.
pub fn main(argv: Vec<String>) -> i32 {
    // The cluster runtime, hidden from `--help` (SkyPilot's skylet).
    if argv.first().map(String::as_str) == Some("_agent") {
        return agent::main(&argv[1..]);
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
    // Like click, a bare `sky` prints the help.
    let _ = <Cli as clap::CommandFactory>::command().print_help();
    println!();
    0
}
