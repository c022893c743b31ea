//! Shared helpers for the local-infra integration tests: a temporary HOME
//! per test (tests in one binary take turns, since HOME is process-wide),
//! the `stix` binary as the cluster runtime, polling with timeouts.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use stix::runner::Stream;
use stix::runner::local::LOCAL_NODE_ENV;
use stix::spec::Task;
use stix::state::StateDb;

static TURN: Mutex<()> = Mutex::new(());

/// One test's world: its own HOME; everything it started is killed and
/// removed when it ends.
pub struct World {
    pub home: PathBuf,
    _turn: MutexGuard<'static, ()>,
}

impl World {
    pub fn new(name: &str) -> World {
        let turn = TURN.lock().unwrap_or_else(|e| e.into_inner());
        let home = std::env::temp_dir().join(format!("stix-it-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&home);
        std::fs::create_dir_all(&home).unwrap();
        // SAFETY: tests in this binary run one at a time (TURN).
        unsafe {
            std::env::set_var("HOME", &home);
            std::env::set_var("STIX_AGENT_BIN", env!("CARGO_BIN_EXE_stix"));
            std::env::set_var("STIX_LOCAL_CPUS", "4");
            std::env::set_var("STIX_LOCAL_MEMORY_GB", "16");
            std::env::set_var("STIX_LOCAL_ACCELERATORS", "");
            std::env::set_var("STIX_AGENT_TICK_SECONDS", "0.5");
            std::env::remove_var("STIX_AGENT_MINUTE_SECONDS");
            std::env::set_var("USER", "tester");
        }
        World { home, _turn: turn }
    }

    pub fn state(&self) -> StateDb {
        StateDb::open().unwrap()
    }

    /// The sandbox root of a local cluster.
    pub fn cluster_root(&self, name: &str) -> PathBuf {
        self.home.join(".sky/local_clusters").join(name)
    }

    /// Runs the `sky` binary with this HOME (and the world's local-infra
    /// settings); (exit code, stdout, stderr) as printed.
    pub fn sky(&self, args: &[&str]) -> (i32, String, String) {
        let out = self.sky_command(args).output().unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    /// The `sky <args>` command [`World::sky`] runs, to spawn it instead.
    pub fn sky_command(&self, args: &[&str]) -> std::process::Command {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_stix"));
        cmd.args(args)
            .env("HOME", &self.home)
            .env("COLUMNS", "200")
            .env_remove("SKYPILOT_USER")
            .current_dir(&self.home);
        cmd
    }

    /// Live processes started for any local node of this world.
    pub fn node_processes(&self) -> Vec<i32> {
        stix::runner::procs::pids_with_env(
            LOCAL_NODE_ENV,
            &self.home.join(".sky/local_clusters").display().to_string(),
        )
    }
}

impl Drop for World {
    fn drop(&mut self) {
        let pids = self.node_processes();
        stix::runner::procs::terminate(&pids, Duration::from_secs(1));
        let _ = std::fs::remove_dir_all(&self.home);
    }
}

pub fn task(yaml: &str) -> Task {
    Task::from_yaml_str(yaml).unwrap()
}

/// Polls `f` every 50 ms until it returns `Some`, failing after `secs`.
pub fn wait_for<T>(secs: u64, what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Strips ANSI escape sequences.
pub fn plain(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            for d in chars.by_ref() {
                if d.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// `sky logs` of a job: (plain text, exit code).
pub fn logs(state: &mut StateDb, cluster: &str, job: Option<i64>, follow: bool) -> (String, i32) {
    let mut text = String::new();
    let mut sink = |_: Stream, l: &str| text.push_str(l);
    let code = stix::backend::tail_logs(state, cluster, job, follow, 0, &mut sink).unwrap();
    (plain(&text), code)
}

pub fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// Progress sink that drops everything.
pub fn quiet() -> impl FnMut(stix::backend::Progress) {
    |_| {}
}
