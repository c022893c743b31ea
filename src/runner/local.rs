//! `LocalRunner`: a node of the `local` infra is a sandbox directory on this
//! machine. Its commands are local processes with `HOME` set to the sandbox
//! (so `~/sky_workdir`, `~/sky_logs` and `~/.sky/jobs.db` resolve inside it),
//! each in its own process group, started from an argv (never a shell string).

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Instant;

use super::copy::{Direction, sync_path};
use super::{CommandRunner, LineSink, RunOutput, RunRequest, Stream};
use crate::error::{Error, ErrorKind, Result};

/// Every process a local runner starts carries this variable, naming the
/// sandbox it belongs to; stopping a local node kills every process that
/// carries it, whatever process group or session it moved to.
pub const LOCAL_NODE_ENV: &str = "STIX_LOCAL_NODE";

/// Runs a local node's commands as processes of this machine.
#[derive(Debug, Clone)]
pub struct LocalRunner {
    node_id: String,
    home: PathBuf,
}

impl LocalRunner {
    /// A runner for the sandbox at `home`.
    pub fn new(node_id: impl Into<String>, home: impl Into<PathBuf>) -> Self {
        LocalRunner {
            node_id: node_id.into(),
            home: home.into(),
        }
    }

    /// The sandbox directory (the node's `~`).
    pub fn home(&self) -> &Path {
        &self.home
    }

    /// Resolves a node path: `~` and `~/x` inside the sandbox, others as is.
    pub fn resolve(&self, path: &str) -> PathBuf {
        expand_home(&self.home, path)
    }
}

/// `~`-expansion against a given home directory.
pub fn expand_home(home: &Path, path: &str) -> PathBuf {
    if path == "~" {
        return home.to_path_buf();
    }
    match path.strip_prefix("~/") {
        Some(rest) => home.join(rest),
        None => PathBuf::from(path),
    }
}

/// Maps a finished process's status to a shell-style exit code.
pub fn exit_code(status: std::process::ExitStatus) -> i32 {
    status
        .code()
        .or_else(|| status.signal().map(|s| 128 + s))
        .unwrap_or(1)
}

fn os_error(what: &str, e: std::io::Error) -> Error {
    Error::new(ErrorKind::Os, format!("{what}: {e}"))
}

/// Reads `r` line by line (terminators kept) into the channel.
fn pump(r: impl Read, which: Stream, tx: mpsc::Sender<(Stream, String)>) {
    let mut reader = BufReader::new(r);
    let mut buf = Vec::new();
    loop {
        buf.clear();
        match reader.read_until(b'\n', &mut buf) {
            Ok(0) | Err(_) => return,
            Ok(_) => {
                let line = String::from_utf8_lossy(&buf).into_owned();
                if tx.send((which, line)).is_err() {
                    return;
                }
            }
        }
    }
}

impl CommandRunner for LocalRunner {
    fn node_id(&self) -> &str {
        &self.node_id
    }

    fn run(&self, req: &RunRequest, mut sink: Option<LineSink<'_>>) -> Result<RunOutput> {
        let Some(program) = req.argv.first() else {
            return Err(Error::value("Cannot run an empty command."));
        };
        let cwd = req
            .cwd
            .as_deref()
            .map_or_else(|| self.home.clone(), |c| self.resolve(c));
        let mut cmd = Command::new(program);
        cmd.args(&req.argv[1..])
            .env("HOME", &self.home)
            .env(LOCAL_NODE_ENV, &self.home)
            .envs(req.env.iter().map(|(k, v)| (k, v)))
            .current_dir(&cwd)
            .stdin(if req.stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            // Its own group, so a timeout or cancel kills the whole tree and
            // a Ctrl-C in the client's terminal does not reach the node.
            .process_group(0);
        let mut child = cmd
            .spawn()
            .map_err(|e| os_error(&format!("Failed to run {program:?}"), e))?;
        let pid = child.id() as i32;
        if let (Some(bytes), Some(mut stdin)) = (req.stdin.clone(), child.stdin.take()) {
            std::thread::spawn(move || {
                let _ = stdin.write_all(&bytes);
            });
        }
        let (tx, rx) = mpsc::channel();
        let mut readers = Vec::new();
        if let Some(out) = child.stdout.take() {
            let tx = tx.clone();
            readers.push(std::thread::spawn(move || pump(out, Stream::Stdout, tx)));
        }
        if let Some(err) = child.stderr.take() {
            let tx = tx.clone();
            readers.push(std::thread::spawn(move || pump(err, Stream::Stderr, tx)));
        }
        drop(tx);
        let deadline = req.timeout.map(|t| Instant::now() + t);
        let (mut stdout, mut stderr) = (String::new(), String::new());
        let mut timed_out = false;
        loop {
            let msg = match deadline {
                None => rx.recv().map_err(|_| mpsc::RecvTimeoutError::Disconnected),
                Some(d) => rx.recv_timeout(d.saturating_duration_since(Instant::now())),
            };
            match msg {
                Ok((which, line)) => match sink.as_mut() {
                    Some(s) => s(which, &line),
                    None if which == Stream::Stdout => stdout.push_str(&line),
                    None => stderr.push_str(&line),
                },
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    timed_out = true;
                    // SAFETY: plain syscall on a process group we created.
                    unsafe { libc::killpg(pid, libc::SIGKILL) };
                    break;
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            }
        }
        let status = child
            .wait()
            .map_err(|e| os_error("Failed to wait for a command", e))?;
        if !timed_out {
            for r in readers {
                let _ = r.join();
            }
        }
        let code = if timed_out { 124 } else { exit_code(status) };
        Ok(RunOutput {
            code,
            stdout,
            stderr,
        })
    }

    fn rsync_up(&self, local: &Path, remote: &str) -> Result<()> {
        sync_path(local, &self.resolve(remote), Direction::Up)
    }

    fn rsync_down(&self, remote: &str, local: &Path) -> Result<()> {
        let mut src = self.resolve(remote).into_os_string();
        if remote.ends_with('/') {
            src.push("/");
        }
        sync_path(Path::new(&src), local, Direction::Down)
    }

    fn check_connection(&self) -> bool {
        self.home.is_dir()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmp(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("stix-lr-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn runs_with_home_env_cwd_and_stdin() {
        let home = tmp("run");
        let r = LocalRunner::new("n0", &home);
        let mut req = RunRequest::bash("echo $HOME; echo $FOO; pwd; cat; echo err >&2; exit 3")
            .with_stdin("in\n");
        req.env.push(("FOO".into(), "a b".into()));
        let out = r.run(&req, None).unwrap();
        let h = home.display().to_string();
        assert_eq!(out.stdout, format!("{h}\na b\n{h}\nin\n"));
        assert_eq!(out.stderr, "err\n");
        assert_eq!(out.code, 3);
    }

    #[test]
    fn streams_lines_and_times_out() {
        let home = tmp("stream");
        let r = LocalRunner::new("n0", &home);
        let mut lines = Vec::new();
        let mut sink = |s: Stream, l: &str| lines.push((s, l.to_string()));
        let out = r
            .run(&RunRequest::bash("echo a; echo b >&2"), Some(&mut sink))
            .unwrap();
        assert_eq!(out.code, 0);
        assert!(out.stdout.is_empty());
        assert!(lines.contains(&(Stream::Stdout, "a\n".into())));
        assert!(lines.contains(&(Stream::Stderr, "b\n".into())));
        let req = RunRequest::bash("sleep 5").with_timeout(std::time::Duration::from_millis(100));
        assert_eq!(r.run(&req, None).unwrap().code, 124);
    }
}
