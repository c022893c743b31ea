//! How the backend and the agent reach a node: `CommandRunner` runs an argv
//! on the node (env, cwd, stdin; output captured or streamed line by line)
//! and syncs files up and down with SkyPilot's ignore rules. `LocalRunner`
//! serves the `local` infra; SSH and Kubernetes runners implement the same
//! trait, so nothing above this layer knows how a node is reached.

pub mod copy;
pub mod ignore;
pub mod local;
pub mod procs;
pub mod rsync;
pub mod shlex;
pub mod ssh;
pub mod ssh_master;

use std::path::Path;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::error::Result;

pub use local::LocalRunner;
pub use ssh::SshRunner;

/// Which output stream a line came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    /// The command's stdout.
    Stdout,
    /// The command's stderr.
    Stderr,
}

/// Receives each output line (terminator included) as the command prints it.
pub type LineSink<'a> = &'a mut dyn FnMut(Stream, &str);

/// One command to run on a node. The argv is never joined into a shell
/// string unquoted: runners that need a string quote it with [`shlex::join`].
#[derive(Debug, Clone, Default)]
pub struct RunRequest {
    /// Program and arguments.
    pub argv: Vec<String>,
    /// Extra environment variables, applied over the node's own.
    pub env: Vec<(String, String)>,
    /// Working directory on the node (`~`, `~/x` or absolute); home if unset.
    pub cwd: Option<String>,
    /// Bytes written to the command's stdin (stdin is empty otherwise).
    pub stdin: Option<Vec<u8>>,
    /// Kill the command's process group after this long.
    pub timeout: Option<Duration>,
}

impl RunRequest {
    /// A request for `argv` with nothing else set.
    pub fn new<S: Into<String>>(argv: impl IntoIterator<Item = S>) -> Self {
        RunRequest {
            argv: argv.into_iter().map(Into::into).collect(),
            ..Default::default()
        }
    }
    /// `bash -c script` (for scripts the caller wrote itself).
    pub fn bash(script: &str) -> Self {
        Self::new(["bash", "-c", script])
    }
    /// Sets stdin.
    pub fn with_stdin(mut self, bytes: impl Into<Vec<u8>>) -> Self {
        self.stdin = Some(bytes.into());
        self
    }
    /// Sets the timeout.
    pub fn with_timeout(mut self, t: Duration) -> Self {
        self.timeout = Some(t);
        self
    }
}

/// What a finished command left behind.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunOutput {
    /// Exit code; `128 + signal` when killed by a signal, 124 on timeout.
    pub code: i32,
    /// Captured stdout (empty when streamed).
    pub stdout: String,
    /// Captured stderr (empty when streamed).
    pub stderr: String,
}

/// Runs commands on one node and moves files to and from it.
pub trait CommandRunner: Send + Sync {
    /// The node's id (instance id, used in messages).
    fn node_id(&self) -> &str;
    /// Runs `req` to completion. With a sink, lines are streamed to it as
    /// they come and not captured; without one, both streams are captured.
    fn run(&self, req: &RunRequest, sink: Option<LineSink<'_>>) -> Result<RunOutput>;
    /// Copies a local file or directory to `remote` on the node. A directory's
    /// contents land in `remote` (rsync's `src/`), honouring `.skyignore`, else
    /// `.gitignore` and `.git/info/exclude`, as SkyPilot's rsync does.
    fn rsync_up(&self, local: &Path, remote: &str) -> Result<()>;
    /// Copies `remote` from the node to `local` (rsync trailing-slash rules).
    fn rsync_down(&self, remote: &str, local: &Path) -> Result<()>;
    /// Whether the node answers at all.
    fn check_connection(&self) -> bool;
}

/// How to build a runner for a node; stored in cluster handles and in the
/// head node's cluster spec, so it must stay plain data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum RunnerSpec {
    /// A node sandbox on this machine: commands run as local processes with
    /// `HOME` set to `home`.
    Local {
        /// The node's id.
        node_id: String,
        /// The sandbox directory that serves as the node's home.
        home: std::path::PathBuf,
    },
    /// A host reached over SSH (an SSH node pool host, a cloud VM).
    Ssh {
        /// The node's id.
        node_id: String,
        /// Host name or IP.
        host: String,
        /// SSH port.
        port: u16,
        /// Login user.
        user: String,
        /// Private key (on the machine that uses this spec).
        identity_file: Option<std::path::PathBuf>,
        /// `ProxyJump` (`[user@]host[:port]`).
        proxy_jump: Option<String>,
    },
}

impl RunnerSpec {
    /// Builds the runner this spec describes.
    pub fn runner(&self) -> Box<dyn CommandRunner> {
        match self {
            RunnerSpec::Local { node_id, home } => {
                Box::new(LocalRunner::new(node_id.clone(), home.clone()))
            }
            RunnerSpec::Ssh { node_id, .. } => Box::new(SshRunner::new(
                node_id.clone(),
                self.ssh_target().unwrap_or_default(),
            )),
        }
    }

    /// The SSH connection fields, for an SSH node.
    pub fn ssh_target(&self) -> Option<ssh_master::SshTarget> {
        match self {
            RunnerSpec::Ssh {
                host,
                port,
                user,
                identity_file,
                proxy_jump,
                ..
            } => Some(ssh_master::SshTarget {
                host: host.clone(),
                port: *port,
                user: user.clone(),
                identity_file: identity_file.clone(),
                proxy_jump: proxy_jump.clone(),
            }),
            RunnerSpec::Local { .. } => None,
        }
    }

    /// Whether commands run on this machine (no upload needed).
    pub fn is_local(&self) -> bool {
        matches!(self, RunnerSpec::Local { .. })
    }
}
