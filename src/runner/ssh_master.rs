//! OpenSSH ControlMaster connections shared by every SSH command of this
//! process and, through a stable control socket under
//! `/tmp/stix-ssh-<uid>/`, by later processes too (SkyPilot keeps its
//! masters the same way, with `ControlPersist=300s`): the first command to
//! a host pays the handshake, later ones are one multiplexed channel on the
//! master's socket (a few ms). Commands go through the `openssh` crate's
//! native mux client on a small tokio runtime, since `CommandRunner` is sync.

use std::collections::HashMap;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use openssh::Session;

use crate::error::{Error, ErrorKind, Result};

/// Seconds an idle master stays up after its last channel closes.
pub const CONTROL_PERSIST_SECS: u32 = 300;
/// Seconds to wait for the TCP connection and the handshake.
pub const CONNECT_TIMEOUT_SECS: u32 = 10;
/// Keepalive probes: a host that answers none of `COUNT` probes sent every
/// `INTERVAL` seconds is dropped, so a lost host fails commands in ~15 s
/// instead of hanging them.
pub const SERVER_ALIVE_INTERVAL_SECS: u32 = 5;
/// See [`SERVER_ALIVE_INTERVAL_SECS`].
pub const SERVER_ALIVE_COUNT_MAX: u32 = 3;

/// Where and as whom to connect: the SSH fields of `RunnerSpec::Ssh`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct SshTarget {
    /// Host name or IP.
    pub host: String,
    /// SSH port.
    pub port: u16,
    /// Login user.
    pub user: String,
    /// Private key; the user's ssh defaults when unset.
    pub identity_file: Option<PathBuf>,
    /// `ProxyJump` (`[user@]host[:port]`, comma-separated for a chain).
    pub proxy_jump: Option<String>,
}

impl SshTarget {
    /// `user@host:port`, as error messages name the node.
    pub fn display(&self) -> String {
        format!("{}@{}:{}", self.user, self.host, self.port)
    }

    /// The `-o` options every ssh invocation to this target uses (master,
    /// rsync's `-e`, an interactive `ssh`): no host-key prompts (nodes are
    /// recreated with new keys), only the given key, bounded connect time
    /// and keepalives, quiet warnings.
    pub fn ssh_options(&self) -> Vec<String> {
        let mut opts = vec![
            "StrictHostKeyChecking=no".to_string(),
            "UserKnownHostsFile=/dev/null".into(),
            "GlobalKnownHostsFile=/dev/null".into(),
            "LogLevel=ERROR".into(),
            "BatchMode=yes".into(),
            format!("ConnectTimeout={CONNECT_TIMEOUT_SECS}s"),
            format!("ServerAliveInterval={SERVER_ALIVE_INTERVAL_SECS}"),
            format!("ServerAliveCountMax={SERVER_ALIVE_COUNT_MAX}"),
            format!("Port={}", self.port),
            format!("User={}", self.user),
        ];
        if let Some(key) = &self.identity_file {
            opts.push("IdentitiesOnly=yes".into());
            opts.push(format!("IdentityFile={}", key.display()));
        }
        if let Some(jump) = self.proxy_jump.as_deref().filter(|j| !j.is_empty()) {
            // The jump hop gets the same options through a ProxyCommand,
            // since `-J` would not pass our `-o`s to it.
            opts.push(format!("ProxyCommand={}", self.proxy_command(jump)));
        }
        opts
    }

    fn proxy_command(&self, jump: &str) -> String {
        let mut argv = vec!["ssh".to_string()];
        for o in [
            "StrictHostKeyChecking=no",
            "UserKnownHostsFile=/dev/null",
            "LogLevel=ERROR",
            "BatchMode=yes",
        ] {
            argv.extend(["-o".into(), o.into()]);
        }
        if let Some(key) = &self.identity_file {
            argv.extend(["-o".into(), "IdentitiesOnly=yes".into()]);
            argv.extend(["-i".into(), key.display().to_string()]);
        }
        argv.extend(["-W".into(), "%h:%p".into()]);
        // `ssh -W` wants one hop; a chain goes through `-J` on the first.
        let mut hops = jump.split(',').map(str::trim).filter(|h| !h.is_empty());
        let last = hops.next_back().unwrap_or(jump);
        let rest: Vec<&str> = hops.collect();
        if !rest.is_empty() {
            argv.extend(["-J".into(), rest.join(",")]);
        }
        argv.push(last.to_string());
        super::shlex::join(&argv)
    }

    /// `ssh` arguments (options, control socket) before the destination,
    /// reusing this target's master when one runs.
    pub fn ssh_args(&self) -> Vec<String> {
        let mut args = Vec::new();
        for o in self.ssh_options() {
            args.extend(["-o".to_string(), o]);
        }
        args.extend([
            "-o".into(),
            "ControlMaster=no".into(),
            "-S".into(),
            control_path(self).display().to_string(),
        ]);
        args
    }

    /// The destination argument (`host`; user and port are options).
    pub fn destination(&self) -> &str {
        &self.host
    }

    fn key(&self) -> String {
        // A stable short name (socket paths are limited to 108 bytes).
        let text = format!(
            "{}|{}|{}|{:?}|{:?}",
            self.user, self.host, self.port, self.identity_file, self.proxy_jump
        );
        format!("{:016x}", fnv1a(text.as_bytes()))
    }
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf29ce484222325u64, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x100000001b3)
    })
}

/// `/tmp/stix-ssh-<uid>`: short (socket path limit) and private (0700).
pub fn control_dir() -> PathBuf {
    // SAFETY: getuid has no preconditions.
    let uid = unsafe { libc::getuid() };
    std::env::temp_dir().join(format!("stix-ssh-{uid}"))
}

/// The master's control socket for `target`.
pub fn control_path(target: &SshTarget) -> PathBuf {
    control_dir().join(target.key())
}

/// The small runtime the sync runner drives its async SSH calls on.
pub fn runtime() -> Result<&'static tokio::runtime::Runtime> {
    static RT: OnceLock<std::result::Result<tokio::runtime::Runtime, String>> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("stix-ssh")
            .enable_all()
            .build()
            .map_err(|e| e.to_string())
    })
    .as_ref()
    .map_err(|e| {
        Error::new(
            ErrorKind::Os,
            format!("Failed to start the SSH runtime: {e}"),
        )
    })
}

type Cache = Mutex<HashMap<SshTarget, Arc<Session>>>;

fn cache() -> &'static Cache {
    static CACHE: OnceLock<Cache> = OnceLock::new();
    CACHE.get_or_init(Default::default)
}

/// The connection error naming the node, as every SSH failure reports it.
pub fn connect_error(target: &SshTarget, detail: &str) -> Error {
    let detail = detail.trim();
    let detail = if detail.is_empty() {
        "the connection failed"
    } else {
        detail
    };
    Error::new(
        ErrorKind::Command,
        format!("Failed to connect to {}: {detail}", target.display()),
    )
}

/// A live session to `target`: this process's cached one, else a running
/// master's socket, else a new master.
pub fn session(target: &SshTarget) -> Result<Arc<Session>> {
    if let Some(s) = cache().lock().ok().and_then(|c| c.get(target).cloned()) {
        return Ok(s);
    }
    let s = Arc::new(connect(target)?);
    if let Ok(mut c) = cache().lock() {
        c.insert(target.clone(), s.clone());
    }
    Ok(s)
}

/// Drops the cached session (after its master went away), so the next
/// call checks the socket again.
pub fn forget(target: &SshTarget) {
    if let Ok(mut c) = cache().lock() {
        c.remove(target);
    }
}

/// Whether the master of `target` still answers.
pub fn alive(session: &Session) -> bool {
    runtime().is_ok_and(|rt| {
        rt.block_on(async {
            tokio::time::timeout(Duration::from_secs(5), session.check())
                .await
                .is_ok_and(|r| r.is_ok())
        })
    })
}

fn resume(ctl: &Path) -> Option<Session> {
    if !ctl.exists() {
        return None;
    }
    let s = Session::resume_mux(ctl.into(), None);
    alive(&s).then_some(s)
}

fn connect(target: &SshTarget) -> Result<Session> {
    let dir = control_dir();
    ensure_private_dir(&dir)?;
    let ctl = control_path(target);
    if let Some(s) = resume(&ctl) {
        return Ok(s);
    }
    // One process launches the master; the others wait and reuse it.
    let lock_path = dir.join(format!("{}.lock", target.key()));
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(|e| Error::new(ErrorKind::Os, format!("{}: {e}", lock_path.display())))?;
    // SAFETY: flock on a descriptor we own; released when `lock` drops.
    unsafe { libc::flock(lock.as_raw_fd(), libc::LOCK_EX) };
    if let Some(s) = resume(&ctl) {
        return Ok(s);
    }
    let _ = std::fs::remove_file(&ctl);
    launch_master(target, &ctl)?;
    resume(&ctl).ok_or_else(|| connect_error(target, "the SSH master exited right after start"))
}

fn ensure_private_dir(dir: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let os = |e: std::io::Error| Error::new(ErrorKind::Os, format!("{}: {e}", dir.display()));
    std::fs::create_dir_all(dir).map_err(os)?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).map_err(os)
}

/// Starts `ssh -M -N -f` for `target` on `ctl`; its stderr (the reason a
/// connection failed) goes to a log file we read back on failure.
fn launch_master(target: &SshTarget, ctl: &Path) -> Result<()> {
    let log = ctl.with_extension("log");
    let _ = std::fs::remove_file(&log);
    let mut cmd = Command::new("ssh");
    cmd.args(["-M", "-N", "-f", "-E"])
        .arg(&log)
        .arg("-S")
        .arg(ctl)
        .args(["-o", &format!("ControlPersist={CONTROL_PERSIST_SECS}s")]);
    for o in target.ssh_options() {
        cmd.args(["-o", &o]);
    }
    cmd.arg(target.destination())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let status = cmd
        .status()
        .map_err(|e| connect_error(target, &format!("cannot run ssh: {e}")))?;
    if !status.success() {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        let _ = std::fs::remove_file(&log);
        return Err(connect_error(target, &text));
    }
    Ok(())
}

/// Stops the master of `target` (`ssh -O exit`), e.g. before its node is
/// removed; a no-op when none runs.
pub fn close_master(target: &SshTarget) {
    forget(target);
    let ctl = control_path(target);
    if ctl.exists() {
        let _ = Command::new("ssh")
            .args(target.ssh_args())
            .args(["-O", "exit", target.destination()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let _ = std::fs::remove_file(&ctl);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target() -> SshTarget {
        SshTarget {
            host: "10.213.0.11".into(),
            port: 2222,
            user: "root".into(),
            identity_file: Some("/k/id".into()),
            proxy_jump: None,
        }
    }

    #[test]
    fn options_name_key_port_user_and_keepalives() {
        let t = target();
        let opts = t.ssh_options();
        for want in [
            "StrictHostKeyChecking=no",
            "UserKnownHostsFile=/dev/null",
            "IdentitiesOnly=yes",
            "IdentityFile=/k/id",
            "Port=2222",
            "User=root",
            "ServerAliveInterval=5",
            "ConnectTimeout=10s",
        ] {
            assert!(opts.iter().any(|o| o == want), "missing {want}");
        }
        assert!(!opts.iter().any(|o| o.starts_with("ProxyCommand")));
        assert_eq!(t.display(), "root@10.213.0.11:2222");
    }

    #[test]
    fn proxy_jump_becomes_a_proxy_command_with_the_same_key() {
        let mut t = target();
        t.proxy_jump = Some("jump@bastion:2200".into());
        let pc = t
            .ssh_options()
            .into_iter()
            .find_map(|o| o.strip_prefix("ProxyCommand=").map(str::to_string))
            .unwrap();
        assert!(pc.contains("-i /k/id"), "{pc}");
        assert!(pc.ends_with("-W %h:%p jump@bastion:2200"), "{pc}");
        t.proxy_jump = Some("a@h1,b@h2".into());
        let opts = t.ssh_options();
        let pc = opts
            .iter()
            .find(|o| o.starts_with("ProxyCommand="))
            .unwrap();
        assert!(pc.ends_with("-J a@h1 b@h2"), "{pc}");
    }

    #[test]
    fn control_paths_are_short_and_distinct() {
        let a = control_path(&target());
        let mut other = target();
        other.port = 22;
        assert_ne!(a, control_path(&other));
        assert!(a.as_os_str().len() < 100);
        let e = connect_error(&target(), "Permission denied (publickey).\n");
        assert_eq!(
            e.message,
            "Failed to connect to root@10.213.0.11:2222: Permission denied (publickey)."
        );
        assert_eq!(e.kind, ErrorKind::Command);
    }
}
