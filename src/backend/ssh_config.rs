//! SkyPilot's generated SSH config (`SSHConfigHelper`): one file per
//! cluster, `~/.sky/generated/ssh/<cluster>`, with a `Host` entry for the
//! head (`<cluster>`) and each worker (`<cluster>-worker<i>`), and one
//! `Include ~/.sky/generated/ssh/*` line at the top of `~/.ssh/config`, so
//! `ssh <cluster>` works. Only nodes reached over SSH get entries; the
//! file goes away with the cluster. Edits of `~/.ssh/config` hold
//! `~/.sky/locks/.ssh_config.lock`.

use std::fs::{self, File};
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};

use crate::error::{Error, ErrorKind, Result};
use crate::runner::RunnerSpec;

const INCLUDE: &str = "Include ~/.sky/generated/ssh/*";
const INCLUDE_COMMENT: &str = "# Added by SkyPilot for ssh config of all clusters";

fn home() -> PathBuf {
    PathBuf::from(crate::spec::task::expand_user("~"))
}

/// `~/.sky/generated/ssh/<cluster>`.
pub fn cluster_config_path(cluster_name: &str) -> PathBuf {
    home().join(".sky/generated/ssh").join(cluster_name)
}

fn io_err(path: &Path, e: std::io::Error) -> Error {
    Error::new(ErrorKind::Os, format!("{}: {e}", path.display()))
}

fn lock() -> Result<File> {
    let dir = home().join(".sky/locks");
    fs::create_dir_all(&dir).map_err(|e| io_err(&dir, e))?;
    let path = dir.join(".ssh_config.lock");
    let f = fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| io_err(&path, e))?;
    // SAFETY: flock on a descriptor we own; released when `f` drops.
    unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX) };
    Ok(f)
}

/// The `Host` stanza of one node, as `_get_generated_config` writes it.
fn stanza(cluster_name: &str, name_on_cloud: &str, host_name: &str, spec: &RunnerSpec) -> String {
    let RunnerSpec::Ssh {
        host,
        port,
        user,
        identity_file,
        proxy_jump,
        ..
    } = spec
    else {
        return String::new();
    };
    let mut s = format!(
        "# Added by sky (use `sky stop/down {cluster_name}` to remove)\nHost {host_name}\n  HostName {host}\n"
    );
    if !user.is_empty() {
        s.push_str(&format!("  User {user}\n"));
    }
    if let Some(key) = identity_file {
        s.push_str(&format!("  IdentityFile {}\n", key.display()));
    }
    s.push_str(
        "  IdentitiesOnly yes\n  StrictHostKeyChecking no\n  UserKnownHostsFile=/dev/null\n  \
         GlobalKnownHostsFile=/dev/null\n",
    );
    if *port != 0 {
        s.push_str(&format!("  Port {port}\n"));
    }
    s.push_str(&format!("  SetEnv SKY_CLUSTER_NAME={name_on_cloud}\n"));
    if let Some(jump) = proxy_jump.as_deref().filter(|j| !j.is_empty()) {
        s.push_str(&format!("  ProxyJump {jump}\n"));
    }
    s
}

/// The generated file's text for `nodes` (head first); empty when no node
/// is reached over SSH.
pub fn render(cluster_name: &str, name_on_cloud: &str, nodes: &[RunnerSpec]) -> String {
    let mut out = String::new();
    for (i, spec) in nodes.iter().enumerate() {
        let host_name = if i == 0 {
            cluster_name.to_string()
        } else {
            format!("{cluster_name}-worker{i}")
        };
        let s = stanza(cluster_name, name_on_cloud, &host_name, spec);
        if !s.is_empty() {
            out.push_str(&s);
            out.push('\n');
        }
    }
    out
}

/// Puts the `Include` line at the top of `~/.ssh/config` unless it is
/// there already (before the first `Host`).
fn ensure_include(config: &Path) -> Result<()> {
    if let Some(dir) = config.parent() {
        fs::create_dir_all(dir).map_err(|e| io_err(dir, e))?;
    }
    let text = fs::read_to_string(config).unwrap_or_default();
    for line in text.lines().map(str::trim) {
        if line == INCLUDE {
            return Ok(());
        }
        if line.contains("Host") {
            break;
        }
    }
    let new = format!("{INCLUDE_COMMENT}\n{INCLUDE}\n{text}");
    let new = format!("{}\n\n", new.trim());
    write_atomic(config, &new)
}

fn write_atomic(path: &Path, text: &str) -> Result<()> {
    let tmp = path.with_extension(format!("stix-tmp-{}", std::process::id()));
    fs::write(&tmp, text).map_err(|e| io_err(&tmp, e))?;
    fs::rename(&tmp, path).map_err(|e| io_err(path, e))
}

/// Writes the cluster's SSH config (and the `Include` line) when any node
/// is reached over SSH.
pub fn add_cluster(cluster_name: &str, name_on_cloud: &str, nodes: &[RunnerSpec]) -> Result<()> {
    let text = render(cluster_name, name_on_cloud, nodes);
    if text.is_empty() {
        return Ok(());
    }
    let _lock = lock()?;
    ensure_include(&home().join(".ssh/config"))?;
    let path = cluster_config_path(cluster_name);
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).map_err(|e| io_err(dir, e))?;
    }
    write_atomic(&path, &text)
}

/// Removes the cluster's generated SSH config (the `Include` line stays,
/// as in SkyPilot).
pub fn remove_cluster(cluster_name: &str) {
    let _ = fs::remove_file(cluster_config_path(cluster_name));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ssh(host: &str, jump: Option<&str>) -> RunnerSpec {
        RunnerSpec::Ssh {
            node_id: "n".into(),
            host: host.into(),
            port: 22,
            user: "ubuntu".into(),
            identity_file: Some("/k/id".into()),
            proxy_jump: jump.map(str::to_string),
            home: None,
        }
    }

    #[test]
    fn renders_head_and_workers() {
        let text = render(
            "dev",
            "dev-ab12",
            &[ssh("10.0.0.1", None), ssh("10.0.0.2", Some("j"))],
        );
        assert_eq!(
            text,
            "# Added by sky (use `sky stop/down dev` to remove)\nHost dev\n  HostName 10.0.0.1\n  \
             User ubuntu\n  IdentityFile /k/id\n  IdentitiesOnly yes\n  StrictHostKeyChecking no\n  \
             UserKnownHostsFile=/dev/null\n  GlobalKnownHostsFile=/dev/null\n  Port 22\n  SetEnv \
             SKY_CLUSTER_NAME=dev-ab12\n\n# Added by sky (use `sky stop/down dev` to remove)\nHost \
             dev-worker1\n  HostName 10.0.0.2\n  User ubuntu\n  IdentityFile /k/id\n  \
             IdentitiesOnly yes\n  StrictHostKeyChecking no\n  UserKnownHostsFile=/dev/null\n  \
             GlobalKnownHostsFile=/dev/null\n  Port 22\n  SetEnv SKY_CLUSTER_NAME=dev-ab12\n  \
             ProxyJump j\n\n"
        );
        let local = RunnerSpec::Local {
            node_id: "n".into(),
            home: "/x".into(),
        };
        assert_eq!(render("dev", "dev", &[local]), "");
    }

    #[test]
    fn include_line_is_added_once_on_top() {
        let dir = std::env::temp_dir().join(format!("stix-sshcfg-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        let cfg = dir.join(".ssh/config");
        fs::create_dir_all(cfg.parent().unwrap()).unwrap();
        fs::write(&cfg, "Host old\n  HostName 1.2.3.4\n").unwrap();
        ensure_include(&cfg).unwrap();
        ensure_include(&cfg).unwrap();
        let text = fs::read_to_string(&cfg).unwrap();
        assert_eq!(
            text,
            format!("{INCLUDE_COMMENT}\n{INCLUDE}\nHost old\n  HostName 1.2.3.4\n\n")
        );
    }
}
