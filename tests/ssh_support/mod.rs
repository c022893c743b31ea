//! Test hosts for SSH integration tests (see scripts/testhosts.sh): the
//! hosts file named by `STIX_TEST_HOSTS` (scripts/test.sh brings hosts up
//! once for the whole run), else, when this process is root and has sshd,
//! `ip` and `unshare`, hosts brought up for this test binary and removed
//! when it exits. Without either, tests skip with the reason printed.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use serde::Deserialize;
use stix::runner::{RunRequest, RunnerSpec};

/// One test host.
#[derive(Debug, Clone, Deserialize)]
pub struct Host {
    /// Its network namespace name.
    pub name: String,
    /// Its address (10.213.x.y).
    pub ip: String,
}

/// The hosts file (`hosts.json`).
#[derive(Debug, Clone, Deserialize)]
pub struct TestHosts {
    /// The client's private key, authorized on every host.
    pub key: PathBuf,
    /// Login user.
    pub user: String,
    /// sshd port.
    pub port: u16,
    /// Hosts.
    pub hosts: Vec<Host>,
}

/// How many hosts a test binary brings up for itself.
const OWN_HOSTS: usize = 3;

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/testhosts.sh")
}

fn own_state_dir() -> PathBuf {
    std::env::temp_dir().join(format!("stix-th-{}", std::process::id()))
}

extern "C" fn teardown() {
    let _ = Command::new("bash")
        .arg(script())
        .arg("down")
        .arg(own_state_dir())
        .status();
    let _ = std::fs::remove_dir_all(own_state_dir());
}

fn which(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|p| std::env::split_paths(&p).any(|d| d.join(program).is_file()))
}

/// Why this process cannot bring hosts up itself, if it cannot.
fn cannot_bring_up() -> Option<String> {
    // SAFETY: getuid has no preconditions.
    if unsafe { libc::getuid() } != 0 {
        return Some("not root (network namespaces need root)".into());
    }
    if !Path::new("/usr/sbin/sshd").exists() {
        return Some("no /usr/sbin/sshd (apt-get install openssh-server)".into());
    }
    for tool in ["ip", "unshare", "ssh", "rsync"] {
        if !which(tool) {
            return Some(format!("no `{tool}` on PATH"));
        }
    }
    None
}

fn load(path: &Path) -> Result<TestHosts, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

fn bring_up() -> Result<TestHosts, String> {
    if let Some(path) = std::env::var_os("STIX_TEST_HOSTS").filter(|p| !p.is_empty()) {
        return load(Path::new(&path));
    }
    if let Some(why) = cannot_bring_up() {
        return Err(format!(
            "{why}; run scripts/test.sh as root, or set STIX_TEST_HOSTS to the hosts.json \
             that `scripts/testhosts.sh up 3` prints"
        ));
    }
    let out = Command::new("bash")
        .arg(script())
        .arg("up")
        .arg(OWN_HOSTS.to_string())
        .arg(own_state_dir())
        .output()
        .map_err(|e| format!("cannot run testhosts.sh: {e}"))?;
    // SAFETY: registering a plain extern "C" fn with no captured state.
    unsafe { libc::atexit(teardown) };
    if !out.status.success() {
        return Err(format!(
            "testhosts.sh up failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    load(&own_state_dir().join("hosts.json"))
}

/// The test hosts, or `None` after printing why the test is skipped.
pub fn hosts(test: &str, need: usize) -> Option<&'static TestHosts> {
    static HOSTS: OnceLock<Result<TestHosts, String>> = OnceLock::new();
    match HOSTS.get_or_init(bring_up) {
        Ok(h) if h.hosts.len() >= need => Some(h),
        Ok(h) => {
            eprintln!(
                "SKIPPED {test}: needs {need} test hosts, the hosts file has {}",
                h.hosts.len()
            );
            None
        }
        Err(why) => {
            eprintln!("SKIPPED {test}: no SSH test hosts: {why}");
            None
        }
    }
}

impl TestHosts {
    /// The runner spec for host `i`.
    pub fn spec(&self, i: usize) -> RunnerSpec {
        let h = &self.hosts[i];
        RunnerSpec::Ssh {
            node_id: h.name.clone(),
            host: h.ip.clone(),
            port: self.port,
            user: self.user.clone(),
            identity_file: Some(self.key.clone()),
            proxy_jump: None,
            home: None,
        }
    }

    /// Kills every process of host `i` but its init and sshd listener
    /// (found from the root namespace, as `ip netns pids` lists them) and
    /// empties its home and /tmp, so each test starts from a fresh host.
    pub fn reset(&self, i: usize) {
        let name = &self.hosts[i].name;
        let pids = Command::new("ip")
            .args(["netns", "pids", name])
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
            .unwrap_or_default();
        for pid in pids
            .split_whitespace()
            .filter_map(|p| p.parse::<i32>().ok())
        {
            let cmd = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            let cmd = String::from_utf8_lossy(&cmd).replace('\0', " ");
            let keep = cmd.contains("sshd -D")
                || cmd.contains("mount -t tmpfs")
                || cmd.starts_with("unshare ")
                || cmd.starts_with("ip netns");
            if !keep {
                // SAFETY: plain syscall on a pid of the test host.
                unsafe { libc::kill(pid, libc::SIGKILL) };
            }
        }
        let script = "find ~ -mindepth 1 -maxdepth 1 ! -name .ssh ! -name .bashrc \
                      ! -name .profile -exec rm -rf {} +; rm -rf /tmp/* /tmp/.[!.]* 2>/dev/null; true";
        let out = self.spec(i).runner().run(&RunRequest::bash(script), None);
        assert!(
            out.as_ref().is_ok_and(|o| o.code == 0),
            "reset of {name} failed: {out:?}"
        );
    }
}

/// A host of its own for a test that breaks it (kill, unplug); removed
/// with its state dir when dropped.
pub struct Disposable {
    /// Its hosts file (one host).
    pub hosts: TestHosts,
    dir: PathBuf,
}

impl Disposable {
    /// `testhosts.sh <verb> NAME` on this host (`kill-host`, `cut-host`).
    pub fn break_it(&self, verb: &str) {
        let ok = Command::new("bash")
            .arg(script())
            .args([verb, &self.hosts.hosts[0].name])
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "testhosts.sh {verb} failed");
    }
}

impl Drop for Disposable {
    fn drop(&mut self) {
        let _ = Command::new("bash")
            .arg(script())
            .arg("down")
            .arg(&self.dir)
            .status();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A fresh host (its own /24, as `testhosts.sh up` allocates it) for this
/// test alone, or `None` after printing why the test is skipped.
pub fn disposable(test: &str, tag: &str) -> Option<Disposable> {
    if let Some(why) = cannot_bring_up() {
        eprintln!("SKIPPED {test}: no SSH test hosts: {why}");
        return None;
    }
    let dir = std::env::temp_dir().join(format!("stix-th-{tag}-{}", std::process::id()));
    let mut guard = Disposable {
        hosts: TestHosts {
            key: PathBuf::new(),
            user: String::new(),
            port: 0,
            hosts: Vec::new(),
        },
        dir: dir.clone(),
    };
    let out = Command::new("bash")
        .arg(script())
        .args(["up", "1"])
        .arg(&dir)
        .output()
        .expect("run testhosts.sh");
    assert!(
        out.status.success(),
        "testhosts.sh up failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    guard.hosts = load(&dir.join("hosts.json")).expect("hosts file");
    Some(guard)
}
