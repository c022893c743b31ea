//! The cluster runtime (SkyPilot's skylet + job_lib + log_lib), one per
//! cluster on its head node. It is the `sky _agent ...` hidden subcommand of
//! the same native code: short ops (`submit`, `queue`, `cancel`,
//! `tail-logs`, ...) that the client runs through the head's
//! `CommandRunner` and that read and write the head's `~/.sky/jobs.db`, a
//! detached daemon for periodic work (job status reconciliation, autostop),
//! one detached driver per job (gang-runs setup and run on the job's nodes)
//! and `run-node` (one task on one node, logged and prefixed). Every op
//! speaks plain JSON.

pub mod autostop;
pub mod client;
pub mod daemon;
pub mod db;
pub mod deploy;
pub mod driver;
pub mod hooks;
pub mod jobs;
pub mod logs;
pub mod node_run;
pub mod ops;
pub mod scheduler;
pub mod script;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorKind, Result};
use crate::provision::NodeResources;
use crate::runner::RunnerSpec;

/// The runtime's protocol version; bumped when ops change shape.
pub const AGENT_VERSION: u32 = 1;
/// `~/sky_logs` on a node.
pub const SKY_LOGS_DIRECTORY: &str = "~/sky_logs";
/// `~/sky_workdir` on a node.
pub const SKY_REMOTE_WORKDIR: &str = "~/sky_workdir";
/// Environment variable naming a binary that accepts `_agent ...` as the
/// `sky` CLI does (tests and development use the `stix` binary).
pub const AGENT_BIN_ENV: &str = "STIX_AGENT_BIN";

/// One node as the runtime sees it: how to reach it and what it offers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NodeSpec {
    /// The instance id.
    pub instance_id: String,
    /// Internal IP (`SKYPILOT_NODE_IPS`).
    pub internal_ip: String,
    /// How the head reaches this node.
    pub runner: RunnerSpec,
    /// What the node offers.
    pub resources: NodeResources,
}

/// What the head node knows about its cluster (`~/.sky/cluster.json`),
/// written by the client at runtime setup.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClusterSpec {
    /// The user-facing cluster name.
    pub cluster_name: String,
    /// The cluster's name on its infra.
    pub cluster_name_on_cloud: String,
    /// `str(cloud)` (`Local`, `AWS`), for `SKYPILOT_CLUSTER_INFO`.
    pub cloud: String,
    /// Region.
    pub region: Option<String>,
    /// Zone.
    pub zone: Option<String>,
    /// The provisioner that stops or removes the cluster on autostop.
    pub provider_name: String,
    /// Its provider config.
    pub provider_config: serde_json::Value,
    /// Nodes, head first.
    pub nodes: Vec<NodeSpec>,
    /// How the head starts the runtime on workers (`[..., "_agent"]`).
    pub agent_argv: Vec<String>,
}

impl ClusterSpec {
    /// Loads the spec from a node home.
    pub fn load(home: &Path) -> Result<ClusterSpec> {
        let path = cluster_spec_path(home);
        let text = std::fs::read_to_string(&path).map_err(|e| {
            Error::new(
                ErrorKind::Runtime,
                format!(
                    "The SkyPilot runtime is not set up on this node ({}: {e}).",
                    path.display()
                ),
            )
        })?;
        serde_json::from_str(&text)
            .map_err(|e| Error::new(ErrorKind::Runtime, format!("{}: {e}", path.display())))
    }

    /// Writes the spec into a node home atomically.
    pub fn save(&self, home: &Path) -> Result<()> {
        let text = serde_json::to_string_pretty(self)
            .map_err(|e| Error::new(ErrorKind::Runtime, e.to_string()))?;
        write_atomic(&cluster_spec_path(home), text.as_bytes(), false)
    }

    /// Internal IPs of all nodes, head first.
    pub fn internal_ips(&self) -> Vec<String> {
        self.nodes.iter().map(|n| n.internal_ip.clone()).collect()
    }
}

/// `~/.sky` of a node.
pub fn sky_dir(home: &Path) -> PathBuf {
    home.join(".sky")
}

/// `~/.sky/cluster.json`.
pub fn cluster_spec_path(home: &Path) -> PathBuf {
    sky_dir(home).join("cluster.json")
}

/// The node home of the running agent process (`$HOME`).
pub fn node_home() -> PathBuf {
    std::env::var_os("HOME").map_or_else(|| PathBuf::from("/"), PathBuf::from)
}

/// Expands `~` in a node path against `home`.
pub fn expand(home: &Path, path: &str) -> PathBuf {
    crate::runner::local::expand_home(home, path)
}

/// Writes `bytes` to `path` through a temporary file and a rename, so
/// readers never see half a file; `private` makes it readable by the owner
/// only (job specs carry secrets).
pub fn write_atomic(path: &Path, bytes: &[u8], private: bool) -> Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let os = |e: std::io::Error| Error::new(ErrorKind::Os, format!("{}: {e}", path.display()));
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(os)?;
    }
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(if private { 0o600 } else { 0o644 })
        .open(&tmp)
        .map_err(os)?;
    f.write_all(bytes).map_err(os)?;
    drop(f);
    std::fs::rename(&tmp, path).map_err(os)
}

/// Seconds since the epoch.
pub fn now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

static AGENT_COMMAND: OnceLock<Vec<String>> = OnceLock::new();

/// Sets how this process starts the runtime (`[program, ..., "_agent"]`);
/// the Python package sets it to its interpreter running the `sky` CLI.
pub fn set_agent_command(argv: Vec<String>) {
    let _ = AGENT_COMMAND.set(argv);
}

/// How the client starts the runtime on a node: `$STIX_AGENT_BIN _agent`,
/// else what [`set_agent_command`] set, else this program: the native
/// binary directly, or (inside `import sky`) the interpreter loading this
/// extension module by path, which skips importing the Python package.
pub fn agent_command() -> Vec<String> {
    if let Some(bin) = std::env::var_os(AGENT_BIN_ENV).filter(|b| !b.is_empty()) {
        return vec![bin.to_string_lossy().into_owned(), "_agent".into()];
    }
    if let Some(argv) = AGENT_COMMAND.get() {
        return argv.clone();
    }
    let exe = std::env::current_exe().unwrap_or_else(|_| PathBuf::from("sky"));
    let exe = exe.display().to_string();
    match extension_path() {
        Some(so) => vec![exe, "-c".into(), python_boot(&so), "_agent".into()],
        None => vec![exe, "_agent".into()],
    }
}

/// The shared object this code was loaded from, when it is one (the
/// Python extension), found with `dladdr` on one of its own functions.
pub fn extension_path() -> Option<String> {
    // SAFETY: dladdr only reads loader tables; the out-struct is ours.
    let path = unsafe {
        let mut info: libc::Dl_info = std::mem::zeroed();
        let addr = extension_path as *const libc::c_void;
        if libc::dladdr(addr, &mut info) == 0 || info.dli_fname.is_null() {
            return None;
        }
        std::ffi::CStr::from_ptr(info.dli_fname)
            .to_string_lossy()
            .into_owned()
    };
    (path.ends_with(".so") || path.contains(".so.")).then_some(path)
}

/// Python that loads the extension at `so` and runs the CLI on
/// `sys.argv[1:]` (which starts at `_agent` after `-c CODE`).
pub fn python_boot(so: &str) -> String {
    python_boot_expr(&serde_json::to_string(so).unwrap_or_default())
}

/// [`python_boot`] with the path given as a Python expression (a node
/// resolves `~` itself: `os.path.expanduser(...)`).
pub fn python_boot_expr(path_expr: &str) -> String {
    format!(
        "import os,sys,importlib.util as u;s=u.spec_from_file_location('sky._sky',{path_expr});\
         m=u.module_from_spec(s);s.loader.exec_module(m);sys.exit(m.cli_main(sys.argv[1:]))"
    )
}

/// How a running agent process starts more of itself (drivers, the
/// daemon): its own executable and the arguments up to `_agent`.
pub fn self_command() -> Vec<String> {
    let args: Vec<String> = std::env::args().collect();
    match args.iter().position(|a| a == "_agent") {
        Some(i) => {
            let mut argv = args[..=i].to_vec();
            if let Ok(exe) = std::env::current_exe() {
                argv[0] = exe.display().to_string();
            }
            argv
        }
        None => agent_command(),
    }
}
