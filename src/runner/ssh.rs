//! `SshRunner`: a node reached over OpenSSH. Each command is one channel
//! multiplexed on the host's ControlMaster ([`super::ssh_master`]); the argv
//! is quoted into a small script for the login shell that sets the cwd and
//! env and keeps the shell alive (so a command killed by a signal reports
//! `128 + signal` as a local one does). Files move with the `rsync` binary
//! over the same master, with SkyPilot's filters.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use openssh::{ForwardType, Session, Socket, Stdio};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWriteExt, BufReader};

use super::ssh_master::{self, SshTarget, connect_error};
use super::{CommandRunner, LineSink, RunOutput, RunRequest, Stream, rsync, shlex};
use crate::error::{Error, ErrorKind, Result};

/// Extra time past a request's timeout before the client stops waiting on
/// a remote `timeout` that did not answer (a host lost mid-command).
const TIMEOUT_GRACE: Duration = Duration::from_secs(10);

/// Runs a node's commands over SSH.
#[derive(Debug, Clone)]
pub struct SshRunner {
    node_id: String,
    target: SshTarget,
}

impl SshRunner {
    /// A runner for `target`, named `node_id` in messages.
    pub fn new(node_id: impl Into<String>, target: SshTarget) -> Self {
        SshRunner {
            node_id: node_id.into(),
            target,
        }
    }

    /// Where this runner connects.
    pub fn target(&self) -> &SshTarget {
        &self.target
    }

    fn session(&self) -> Result<Arc<Session>> {
        ssh_master::session(&self.target)
    }

    /// Forwards `127.0.0.1:local_port` here to `remote_host:remote_port` as
    /// seen from the node (`open`), or stops that forward (`!open`); a
    /// forward lives as long as the host's master.
    pub fn forward_local_port(
        &self,
        local_port: u16,
        remote_host: &str,
        remote_port: u16,
        open: bool,
    ) -> Result<()> {
        let s = self.session()?;
        let (listen, connect) = (
            Socket::new("127.0.0.1", local_port),
            Socket::new(remote_host, remote_port),
        );
        let rt = ssh_master::runtime()?;
        let done = if open {
            rt.block_on(s.request_port_forward(ForwardType::Local, listen, connect))
        } else {
            rt.block_on(s.close_port_forward(ForwardType::Local, listen, connect))
        };
        done.map_err(|e| connect_error(&self.target, &format!("port forward failed: {e}")))
    }

    /// Stops this host's master connection (next command reconnects).
    pub fn close(&self) {
        ssh_master::close_master(&self.target);
    }

    fn spawn_checked(
        &self,
        script: &str,
        req: &RunRequest,
        sink: Option<LineSink<'_>>,
    ) -> Result<RunOutput> {
        let rt = ssh_master::runtime()?;
        let mut session = self.session()?;
        let mut retried = false;
        loop {
            let fut = run_channel(&session, script, req.stdin.as_deref());
            // Spawning has no side effect until it succeeds, so a master
            // that died since it was cached is replaced once and retried.
            let spawned = rt.block_on(fut.spawn());
            match spawned {
                Ok(child) => return self.finish(rt, &session, child, req, sink),
                Err(e) if !retried && matches!(e, openssh::Error::SshMux(_)) => {
                    retried = true;
                    ssh_master::forget(&self.target);
                    session = self.session()?;
                }
                Err(e) => {
                    ssh_master::forget(&self.target);
                    return Err(connect_error(&self.target, &e.to_string()));
                }
            }
        }
    }

    fn finish(
        &self,
        rt: &tokio::runtime::Runtime,
        session: &Session,
        child: openssh::Child<&Session>,
        req: &RunRequest,
        sink: Option<LineSink<'_>>,
    ) -> Result<RunOutput> {
        let started = Instant::now();
        let work = pump(child, req.stdin.as_deref(), sink);
        let result = match req.timeout {
            None => rt.block_on(work),
            Some(t) => match rt.block_on(tokio::time::timeout(t + TIMEOUT_GRACE, work)) {
                Ok(r) => r,
                Err(_) => {
                    return Ok(RunOutput {
                        code: 124,
                        ..Default::default()
                    });
                }
            },
        };
        let (status, stdout, stderr) = result;
        let code = match status {
            Ok(code) => code,
            // openssh reports 127 as an error; it is a plain exit code here.
            Err(openssh::Error::Remote(e)) if e.kind() == std::io::ErrorKind::NotFound => 127,
            Err(e) => {
                if ssh_master::alive(session) {
                    // The wrapper shell itself was killed.
                    255
                } else {
                    ssh_master::forget(&self.target);
                    return Err(connect_error(
                        &self.target,
                        &format!("connection lost while running a command ({e})"),
                    ));
                }
            }
        };
        let timed_out = req.timeout.is_some_and(|t| started.elapsed() >= t);
        let code = if timed_out && (code == 124 || code == 137) {
            124
        } else {
            code
        };
        Ok(RunOutput {
            code,
            stdout,
            stderr,
        })
    }
}

struct Channel<'a> {
    session: &'a Session,
    script: &'a str,
    stdin: bool,
}

fn run_channel<'a>(session: &'a Session, script: &'a str, stdin: Option<&[u8]>) -> Channel<'a> {
    Channel {
        session,
        script,
        stdin: stdin.is_some(),
    }
}

impl<'a> Channel<'a> {
    async fn spawn(self) -> std::result::Result<openssh::Child<&'a Session>, openssh::Error> {
        // The whole script is the command; sshd hands it to the login shell.
        let mut cmd = self.session.raw_command(self.script);
        cmd.stdin(if self.stdin {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
        cmd.spawn().await
    }
}

/// Writes stdin, forwards output lines (to the sink, else captured) and
/// waits for the exit code.
async fn pump(
    mut child: openssh::Child<&Session>,
    stdin: Option<&[u8]>,
    mut sink: Option<LineSink<'_>>,
) -> (std::result::Result<i32, openssh::Error>, String, String) {
    let input = child.stdin().take();
    let out = child.stdout().take();
    let err = child.stderr().take();
    let feed = async move {
        if let (Some(mut w), Some(bytes)) = (input, stdin) {
            let _ = w.write_all(bytes).await;
            let _ = w.shutdown().await;
        }
    };
    let (mut stdout, mut stderr) = (String::new(), String::new());
    let read = async {
        let mut a = out.map(|o| Lines::new(o, Stream::Stdout));
        let mut b = err.map(|e| Lines::new(e, Stream::Stderr));
        while a.is_some() || b.is_some() {
            let next = tokio::select! {
                l = next_line(&mut a) => l,
                l = next_line(&mut b) => l,
            };
            let Some((which, line)) = next else {
                continue;
            };
            match sink.as_mut() {
                Some(s) => s(which, &line),
                None if which == Stream::Stdout => stdout.push_str(&line),
                None => stderr.push_str(&line),
            }
        }
    };
    tokio::join!(feed, read);
    let status = child.wait().await.map(super::local::exit_code);
    (status, stdout, stderr)
}

/// One output stream read line by line. The partial line lives here, not
/// in the read future, so a read that `select!` drops loses nothing.
struct Lines {
    reader: BufReader<Box<dyn AsyncRead + Unpin + Send>>,
    which: Stream,
    buf: Vec<u8>,
}

impl Lines {
    fn new(r: impl AsyncRead + Unpin + Send + 'static, which: Stream) -> Lines {
        Lines {
            reader: BufReader::new(Box::new(r)),
            which,
            buf: Vec::new(),
        }
    }
}

/// The next line of a stream (a last unterminated line included); `None`
/// and the stream dropped at its end. Pends forever on a finished stream
/// so `select!` skips it.
async fn next_line(src: &mut Option<Lines>) -> Option<(Stream, String)> {
    let Some(lines) = src.as_mut() else {
        return std::future::pending().await;
    };
    let done = !matches!(lines.reader.read_until(b'\n', &mut lines.buf).await, Ok(n) if n > 0);
    let which = lines.which;
    let line = std::mem::take(&mut lines.buf);
    if done {
        *src = None;
    }
    (!line.is_empty()).then(|| (which, String::from_utf8_lossy(&line).into_owned()))
}

/// Whether `name` can be exported by a POSIX shell.
fn valid_env_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// A node path for a shell: `~` and `~/x` stay home-relative (the rest
/// quoted), anything else is quoted whole.
pub fn shell_path(path: &str) -> String {
    if path == "~" {
        return "~".into();
    }
    match path.strip_prefix("~/") {
        Some(rest) if !rest.is_empty() => format!("~/{}", shlex::quote(rest)),
        Some(_) => "~/".into(),
        None => shlex::quote(path),
    }
}

/// The script the node's login shell runs for `req`: cd, exports, the
/// quoted argv (under `timeout` when one is set, which kills the whole
/// process group), then an explicit `exit` so the shell is never replaced
/// by the command and always reports its status.
pub fn remote_script(req: &RunRequest) -> Result<String> {
    if req.argv.is_empty() {
        return Err(Error::value("Cannot run an empty command."));
    }
    let mut script = String::new();
    if let Some(cwd) = &req.cwd {
        script.push_str(&format!("cd {} || exit 1\n", shell_path(cwd)));
    }
    for (k, v) in &req.env {
        if !valid_env_name(k) {
            return Err(Error::value(format!(
                "Invalid environment variable name: {k:?}"
            )));
        }
        script.push_str(&format!("export {k}={}\n", shlex::quote(v)));
    }
    if let Some(t) = req.timeout {
        script.push_str(&format!("timeout -k 2 {:.3} ", t.as_secs_f64()));
    }
    script.push_str(&shlex::join(&req.argv));
    script.push_str("\nexit $?\n");
    Ok(script)
}

impl CommandRunner for SshRunner {
    fn node_id(&self) -> &str {
        &self.node_id
    }

    fn run(&self, req: &RunRequest, sink: Option<LineSink<'_>>) -> Result<RunOutput> {
        let script = remote_script(req)?;
        self.spawn_checked(&script, req, sink)
    }

    fn rsync_up(&self, local: &Path, remote: &str) -> Result<()> {
        self.session()?;
        let parent = remote_parent(remote, local.is_dir());
        if let Some(dir) = parent {
            let out = self.run(
                &RunRequest::bash(&format!("mkdir -p {}", shell_path(&dir))),
                None,
            )?;
            if out.code != 0 {
                return Err(rsync::failed(true, local, remote, &out.stderr, out.code));
            }
        }
        rsync::run(&self.target, local, remote, true)
    }

    fn rsync_down(&self, remote: &str, local: &Path) -> Result<()> {
        self.session()?;
        let dir: PathBuf = if remote.ends_with('/') {
            local.to_path_buf()
        } else {
            local
                .parent()
                .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
        };
        if !dir.as_os_str().is_empty() {
            std::fs::create_dir_all(&dir)
                .map_err(|e| Error::new(ErrorKind::Os, format!("{}: {e}", dir.display())))?;
        }
        rsync::run(&self.target, local, remote, false)
    }

    fn check_connection(&self) -> bool {
        match self.session() {
            Ok(s) if ssh_master::alive(&s) => true,
            Ok(_) => {
                ssh_master::forget(&self.target);
                self.session().is_ok()
            }
            Err(_) => false,
        }
    }
}

/// The remote directory to create before an upload: the target itself for
/// a directory source, else its parent (rsync creates neither).
fn remote_parent(remote: &str, is_dir: bool) -> Option<String> {
    let trimmed = remote.trim_end_matches('/');
    if is_dir {
        return (!trimmed.is_empty()).then(|| trimmed.to_string());
    }
    let (parent, _) = trimmed.rsplit_once('/')?;
    (!parent.is_empty() && parent != "~").then(|| parent.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_quotes_cwd_env_and_argv() {
        let mut req = RunRequest::new(["echo", "a b", "$HOME"]);
        req.cwd = Some("~/sky workdir".into());
        req.env.push(("FOO".into(), "it's".into()));
        let s = remote_script(&req).unwrap();
        assert_eq!(
            s,
            "cd ~/'sky workdir' || exit 1\nexport FOO='it'\"'\"'s'\necho 'a b' '$HOME'\nexit $?\n"
        );
        req.env.push(("BAD NAME".into(), "x".into()));
        assert_eq!(remote_script(&req).unwrap_err().kind, ErrorKind::Value);
        assert!(remote_script(&RunRequest::default()).is_err());
        let t = RunRequest::new(["sleep", "9"]).with_timeout(Duration::from_millis(1500));
        assert_eq!(
            remote_script(&t).unwrap(),
            "timeout -k 2 1.500 sleep 9\nexit $?\n"
        );
    }

    #[test]
    fn paths_and_parents() {
        assert_eq!(shell_path("~"), "~");
        assert_eq!(shell_path("/a b"), "'/a b'");
        assert_eq!(shell_path("~/x"), "~/x");
        assert_eq!(
            remote_parent("~/sky_workdir", true).unwrap(),
            "~/sky_workdir"
        );
        assert_eq!(remote_parent("/data/x.txt", false).unwrap(), "/data");
        assert_eq!(remote_parent("~/x.txt", false), None);
        assert_eq!(remote_parent("x.txt", false), None);
    }
}
