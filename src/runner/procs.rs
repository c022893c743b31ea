//! Process plumbing on a node (Linux `/proc`): detached spawning, liveness
//! that does not trust a reused pid, process-tree walks and group kills.

use std::fs;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::error::{Error, ErrorKind, Result};

/// Starts `argv` fully detached: a new session, re-parented to init (double
/// fork, so no zombie is left with the caller), stdin from `/dev/null`,
/// stdout and stderr appended to `log` (or discarded). The new process
/// learns its own pid itself; the caller gets none.
pub fn spawn_detached(
    argv: &[String],
    env: &[(String, String)],
    cwd: &Path,
    log: Option<&Path>,
) -> Result<()> {
    let Some(program) = argv.first() else {
        return Err(Error::value("Cannot start an empty command."));
    };
    let (out, err) = match log {
        Some(p) => {
            if let Some(dir) = p.parent() {
                let _ = fs::create_dir_all(dir);
            }
            let f = fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(p)
                .map_err(|e| Error::new(ErrorKind::Os, format!("{}: {e}", p.display())))?;
            let f2 = f
                .try_clone()
                .map_err(|e| Error::new(ErrorKind::Os, e.to_string()))?;
            (Stdio::from(f), Stdio::from(f2))
        }
        None => (Stdio::null(), Stdio::null()),
    };
    let mut cmd = Command::new(program);
    cmd.args(&argv[1..])
        .envs(env.iter().map(|(k, v)| (k, v)))
        .current_dir(cwd)
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err);
    // SAFETY: setsid, fork and _exit are async-signal-safe, which is all a
    // pre_exec hook may call.
    unsafe {
        cmd.pre_exec(|| {
            if libc::setsid() < 0 {
                return Err(std::io::Error::last_os_error());
            }
            match libc::fork() {
                -1 => Err(std::io::Error::last_os_error()),
                0 => Ok(()),
                _ => libc::_exit(0),
            }
        });
    }
    let mut child = cmd
        .spawn()
        .map_err(|e| Error::new(ErrorKind::Os, format!("Failed to start {program:?}: {e}")))?;
    let _ = child.wait();
    Ok(())
}

/// Whether `pid` is a live (not zombie) process.
pub fn pid_alive(pid: i32) -> bool {
    if pid <= 0 {
        return false;
    }
    // SAFETY: signal 0 only checks existence.
    let exists = unsafe { libc::kill(pid, 0) } == 0
        || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM);
    exists && proc_state(pid).is_some_and(|s| s != 'Z' && s != 'X')
}

fn proc_stat(pid: i32) -> Option<String> {
    fs::read_to_string(format!("/proc/{pid}/stat")).ok()
}

/// The one-letter state of a process (`R`, `S`, `Z`, ...).
fn proc_state(pid: i32) -> Option<char> {
    let stat = proc_stat(pid)?;
    // The command name is in parentheses and may contain spaces.
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.split_whitespace().next()?.chars().next()
}

fn parent_pid(pid: i32) -> Option<i32> {
    let stat = proc_stat(pid)?;
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.split_whitespace().nth(1)?.parse().ok()
}

/// The process's argv, if readable.
pub fn cmdline(pid: i32) -> Option<Vec<String>> {
    let raw = fs::read(format!("/proc/{pid}/cmdline")).ok()?;
    Some(
        raw.split(|b| *b == 0)
            .filter(|s| !s.is_empty())
            .map(|s| String::from_utf8_lossy(s).into_owned())
            .collect(),
    )
}

/// Whether `pid` is alive and its argv contains every one of `needles` as
/// an argument, guarding against a pid reused by another program.
pub fn pid_runs(pid: i32, needles: &[&str]) -> bool {
    pid_alive(pid)
        && cmdline(pid).is_some_and(|args| needles.iter().all(|n| args.iter().any(|a| a == n)))
}

fn all_pids() -> Vec<i32> {
    fs::read_dir("/proc")
        .map(|rd| {
            rd.filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
                .collect()
        })
        .unwrap_or_default()
}

/// Every live descendant of `root` (children, their children, ...).
pub fn descendants(root: i32) -> Vec<i32> {
    let parents: Vec<(i32, i32)> = all_pids()
        .into_iter()
        .filter_map(|p| Some((p, parent_pid(p)?)))
        .collect();
    let mut out = Vec::new();
    let mut frontier = vec![root];
    while let Some(p) = frontier.pop() {
        for (child, parent) in &parents {
            if *parent == p && !out.contains(child) {
                out.push(*child);
                frontier.push(*child);
            }
        }
    }
    out
}

/// Live processes whose environment has `key` set to a value under
/// `prefix` (the value itself or a path below it).
pub fn pids_with_env(key: &str, prefix: &str) -> Vec<i32> {
    let me = std::process::id() as i32;
    let needle = format!("{key}=");
    let base = prefix.trim_end_matches('/');
    all_pids()
        .into_iter()
        .filter(|p| *p != me)
        .filter(|p| {
            fs::read(format!("/proc/{p}/environ")).is_ok_and(|raw| {
                raw.split(|b| *b == 0).any(|kv| {
                    let kv = String::from_utf8_lossy(kv);
                    kv.strip_prefix(&needle).is_some_and(|v| {
                        v == base || v.strip_prefix(base).is_some_and(|r| r.starts_with('/'))
                    })
                })
            })
        })
        .filter(|p| pid_alive(*p))
        .collect()
}

/// Sends `sig` to process group `pgid` (ignoring a group already gone).
pub fn kill_group(pgid: i32, sig: i32) {
    if pgid > 1 {
        // SAFETY: plain syscall.
        unsafe { libc::killpg(pgid, sig) };
    }
}

/// Sends `sig` to `pid`.
pub fn kill_pid(pid: i32, sig: i32) {
    if pid > 1 {
        // SAFETY: plain syscall.
        unsafe { libc::kill(pid, sig) };
    }
}

/// SIGTERM to every pid, then SIGKILL to those still alive after `grace`.
pub fn terminate(pids: &[i32], grace: Duration) {
    for p in pids {
        kill_pid(*p, libc::SIGTERM);
    }
    let deadline = Instant::now() + grace;
    while Instant::now() < deadline && pids.iter().any(|p| pid_alive(*p)) {
        std::thread::sleep(Duration::from_millis(20));
    }
    for p in pids.iter().filter(|p| pid_alive(**p)) {
        kill_pid(*p, libc::SIGKILL);
    }
}

/// Kills every descendant of `root` (not `root` itself): the shells among
/// its direct children at once with SIGKILL (so a script cannot go on to its
/// next command), everything else with SIGTERM, then SIGKILL to whatever is
/// still alive after `grace`. The tree is re-read on every pass, so
/// processes forked meanwhile are caught too. Returns how many it signalled.
pub fn kill_tree(root: i32, grace: Duration) -> usize {
    let deadline = Instant::now() + grace;
    let mut seen: Vec<i32> = Vec::new();
    loop {
        let victims = descendants(root);
        if victims.is_empty() {
            return seen.len();
        }
        let hard = Instant::now() >= deadline;
        for p in &victims {
            let direct_shell = parent_pid(*p) == Some(root)
                && cmdline(*p).is_some_and(|c| c.first().is_some_and(|a| a.ends_with("bash")));
            let sig = if hard || direct_shell {
                libc::SIGKILL
            } else {
                libc::SIGTERM
            };
            if hard || direct_shell || !seen.contains(p) {
                kill_pid(*p, sig);
            }
            if !seen.contains(p) {
                seen.push(*p);
            }
        }
        if hard && Instant::now() > deadline + Duration::from_secs(5) {
            return seen.len();
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The process group of `pid`, if it exists.
pub fn pgid_of(pid: i32) -> Option<i32> {
    // SAFETY: plain syscall.
    let g = unsafe { libc::getpgid(pid) };
    (g > 0).then_some(g)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detached_child_finds_itself() {
        let dir = std::env::temp_dir().join(format!("stix-procs-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        let log = dir.join("out.log");
        // `exec`, so the pid ends up running `sleep 30` (no bash in between).
        let argv: Vec<String> = ["bash", "-c", "echo $$ > pid; exec sleep 30"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        spawn_detached(
            &argv,
            &[("X_MARK".into(), dir.display().to_string())],
            &dir,
            Some(&log),
        )
        .unwrap();
        let deadline = Instant::now() + Duration::from_secs(5);
        let pid = loop {
            if let Some(p) = fs::read_to_string(dir.join("pid"))
                .ok()
                .and_then(|s| s.trim().parse::<i32>().ok())
            {
                break p;
            }
            assert!(Instant::now() < deadline);
            std::thread::sleep(Duration::from_millis(10));
        };
        assert!(pid_alive(pid));
        // The pid file is written before the exec: under load /proc may
        // still show bash (or, mid-exec, an empty cmdline) for a moment.
        while !pid_runs(pid, &["30"]) {
            assert!(Instant::now() < deadline, "{:?}", cmdline(pid));
            std::thread::sleep(Duration::from_millis(10));
        }
        let own = pgid_of(std::process::id() as i32);
        assert!(
            pgid_of(pid).is_some() && pgid_of(pid) != own,
            "its own session"
        );
        assert!(pids_with_env("X_MARK", &dir.display().to_string()).contains(&pid));
        terminate(&[pid], Duration::from_secs(2));
        assert!(!pid_alive(pid));
    }
}
