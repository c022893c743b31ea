//! `sky ssh up` / `sky ssh down`: SkyPilot 0.14.1's `sky ssh` group, with
//! its options and log lines. stix sets hosts up without Kubernetes (see
//! docs/ssh.md).

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::cli::CliError;
use crate::cli::cluster_cmds::parse;
use crate::cli::console::{Console, Style};
use crate::runner::CommandRunner;
use crate::ssh_pools::{file, up};

/// Commands for managing SSH Node Pools.
#[derive(Parser, Debug)]
#[command(name = "sky ssh", disable_version_flag = true)]
struct SshArgs {
    #[command(subcommand)]
    command: SshCommand,
}

#[derive(Subcommand, Debug)]
enum SshCommand {
    /// Set up a cluster using SSH targets from a file. If not specified,
    /// ~/.sky/ssh_node_pools.yaml will be used.
    ///
    /// This command checks every machine specified in the config file over
    /// SSH, deploys the SkyPilot runtime on it, reports its CPUs, memory and
    /// GPUs, and configures SkyPilot to use it (stix installs no Kubernetes).
    Up {
        /// Name of the cluster to set up in ~/.sky/ssh_node_pools.yaml. If
        /// not specified, all clusters in the file will be set up.
        #[arg(long)]
        infra: Option<String>,
        /// Run the command asynchronously.
        #[arg(long = "async", hide = true)]
        async_call: bool,
        /// The file containing the SSH targets.
        #[arg(short = 'f', long)]
        file: Option<String>,
    },
    /// Clean up a cluster set up with 'sky ssh up'.
    ///
    /// This command removes the SkyPilot runtime from the machines specified
    /// in ~/.sky/ssh_node_pools.yaml.
    Down {
        /// Name of the cluster to clean up in ~/.sky/ssh_node_pools.yaml. If
        /// not specified, all clusters in the file will be cleaned up.
        #[arg(long)]
        infra: Option<String>,
        /// Run the command asynchronously.
        #[arg(long = "async", hide = true)]
        async_call: bool,
    },
}

/// Deploys the runtime on a pool host (`sky ssh up`).
fn deploy(r: &dyn CommandRunner) -> crate::Result<()> {
    crate::ssh_pools::up::deploy_runtime(r)
}

/// Removes the runtime from a pool host (`sky ssh down`).
fn undeploy(r: &dyn CommandRunner) -> crate::Result<()> {
    crate::ssh_pools::up::remove_runtime(r)
}

fn ssh(argv: &[String], console: &mut dyn Console) -> Result<i32, CliError> {
    let args: SshArgs = parse("sky ssh", argv)?;
    let (infra, cleanup, path) = match args.command {
        SshCommand::Up { infra, file, .. } => {
            let path = file.map_or_else(file::default_path, |f| {
                PathBuf::from(crate::spec::task::expand_user(&f))
            });
            (infra, false, path)
        }
        SshCommand::Down { infra, .. } => (infra, true, file::default_path()),
    };
    let pools = file::load(&path, &file::host_in_ssh_config)?;
    let action: up::HostAction<'_> = if cleanup { &undeploy } else { &deploy };
    let mut log = |line: String| console.log(&[(&line, Style::Plain)]);
    up::run(&pools, infra.as_deref(), cleanup, action, &mut log)?;
    Ok(0)
}

/// Runs `sky ssh ...` when `argv` is one.
pub fn main(argv: &[String], console: &mut dyn Console) -> Option<Result<i32, CliError>> {
    let (name, rest) = argv.split_first()?;
    (name == "ssh").then(|| ssh(rest, console))
}
