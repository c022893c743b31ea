//! File sync to and from an SSH node with the `rsync` binary, as SkyPilot
//! runs it: `-a --no-owner --no-group`, its ignore filters (the same rules
//! `copy.rs` applies to local nodes, see `ignore.rs`), and `-e ssh ...`
//! through the host's ControlMaster socket so no new handshake is paid.

use std::path::Path;
use std::process::{Command, Stdio};

use super::ignore::{GIT_EXCLUDE, GIT_IGNORE_FILE, SKY_IGNORE_FILE};
use super::shlex;
use super::ssh_master::{SshTarget, connect_error};
use crate::error::{Error, ErrorKind, Result};

/// rsync's filter arguments for a sync whose (local) source is `root`:
/// `.skyignore` wins; else `.gitignore` in every directory, plus
/// `.git/info/exclude` on upload.
pub fn filter_args(root: &Path, up: bool) -> Vec<String> {
    if up && root.join(SKY_IGNORE_FILE).exists() {
        return vec![format!("--filter=dir-merge,- {SKY_IGNORE_FILE}")];
    }
    let mut args = vec![format!("--filter=dir-merge,- {GIT_IGNORE_FILE}")];
    let exclude = root.join(GIT_EXCLUDE);
    if up && exclude.exists() {
        args.push(format!("--exclude-from={}", exclude.display()));
    }
    args
}

/// A node path as rsync's remote side takes it: home-relative paths lose
/// their `~/` (rsync resolves relative paths against the login directory),
/// and the host is bracketed when it is an IPv6 address.
pub fn remote_arg(target: &SshTarget, path: &str) -> String {
    let path = match path {
        "~" | "~/" => ".".to_string(),
        p => p.strip_prefix("~/").unwrap_or(p).to_string(),
    };
    let host = if target.host.contains(':') {
        format!("[{}]", target.host)
    } else {
        target.host.clone()
    };
    format!("{host}:{path}")
}

/// The full rsync argv for one sync.
pub fn command(target: &SshTarget, local: &Path, remote: &str, up: bool) -> Vec<String> {
    let mut argv = vec![
        "rsync".to_string(),
        "-a".into(),
        "--no-owner".into(),
        "--no-group".into(),
    ];
    let mut ssh = vec!["ssh".to_string()];
    ssh.extend(target.ssh_args());
    argv.push("-e".into());
    argv.push(shlex::join(&ssh));
    if up {
        let is_dir = local.is_dir();
        if is_dir {
            argv.extend(filter_args(local, true));
        }
        let mut src = local.display().to_string();
        // A directory's contents land in the target, as SkyPilot syncs.
        if is_dir && !src.ends_with('/') {
            src.push('/');
        }
        argv.push(src);
        argv.push(remote_arg(target, remote));
    } else {
        argv.extend(filter_args(local, false));
        argv.push(remote_arg(target, remote));
        argv.push(local.display().to_string());
    }
    argv
}

/// SkyPilot's rsync failure message.
pub fn failed(up: bool, local: &Path, remote: &str, stderr: &str, code: i32) -> Error {
    let (dir, src, dst) = if up {
        ("up", local.display().to_string(), remote.to_string())
    } else {
        ("down", remote.to_string(), local.display().to_string())
    };
    Error::new(
        ErrorKind::Command,
        format!(
            "Failed to rsync {dir}: {src} -> {dst}. Ensure that the network is stable, then \
             retry. (return code {code}) {}",
            stderr.trim()
        ),
    )
}

/// Runs one sync to completion.
pub fn run(target: &SshTarget, local: &Path, remote: &str, up: bool) -> Result<()> {
    let argv = command(target, local, remote, up);
    let out = Command::new(&argv[0])
        .args(&argv[1..])
        .stdin(Stdio::null())
        .output()
        .map_err(|e| {
            Error::new(
                ErrorKind::Command,
                format!("Failed to run rsync ({e}); install rsync on this machine."),
            )
        })?;
    let code = super::local::exit_code(out.status);
    if code == 0 {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    if code == 255 {
        return Err(connect_error(target, &stderr));
    }
    Err(failed(up, local, remote, &stderr, code))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target() -> SshTarget {
        SshTarget {
            host: "10.213.0.11".into(),
            port: 22,
            user: "root".into(),
            identity_file: None,
            proxy_jump: None,
        }
    }

    #[test]
    fn remote_paths() {
        let t = target();
        assert_eq!(remote_arg(&t, "~/sky_workdir"), "10.213.0.11:sky_workdir");
        assert_eq!(remote_arg(&t, "~"), "10.213.0.11:.");
        assert_eq!(remote_arg(&t, "/abs/x/"), "10.213.0.11:/abs/x/");
        let mut v6 = target();
        v6.host = "fd00::1".into();
        assert_eq!(remote_arg(&v6, "/x"), "[fd00::1]:/x");
    }

    #[test]
    fn filters_follow_skypilot() {
        let root = std::env::temp_dir().join(format!("stix-rsync-f-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(root.join(".git/info")).unwrap();
        std::fs::write(root.join(".git/info/exclude"), "x\n").unwrap();
        let args = filter_args(&root, true);
        assert_eq!(args[0], "--filter=dir-merge,- .gitignore");
        assert!(args[1].starts_with("--exclude-from="));
        assert_eq!(filter_args(&root, false).len(), 1);
        std::fs::write(root.join(".skyignore"), "y\n").unwrap();
        assert_eq!(
            filter_args(&root, true),
            vec!["--filter=dir-merge,- .skyignore".to_string()]
        );
        let argv = command(&target(), &root, "~/sky_workdir", true);
        assert!(argv.last().unwrap().ends_with(":sky_workdir"));
        assert!(argv[argv.len() - 2].ends_with('/'));
        assert!(
            argv.iter()
                .any(|a| a.starts_with("ssh -o StrictHostKeyChecking=no"))
        );
    }
}
