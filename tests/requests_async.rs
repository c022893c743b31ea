//! `--async`, `sky api logs` and `sky api cancel` through the real CLI on
//! the local infra: a request handed to a worker process outlives the
//! command, its log streams, and cancelling a running one stops its
//! process and leaves the cluster's state consistent.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

struct Home(PathBuf);

impl Home {
    fn new(name: &str) -> Home {
        let p = std::env::temp_dir().join(format!("stix-async-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        Home(p)
    }

    fn cmd(&self, args: &[&str]) -> Command {
        let bin = env!("CARGO_BIN_EXE_stix");
        let mut c = Command::new(bin);
        c.args(args)
            .env("HOME", &self.0)
            .env("STIX_AGENT_BIN", bin)
            .env("STIX_LOCAL_CPUS", "4")
            .env("STIX_LOCAL_MEMORY_GB", "16")
            .env("STIX_LOCAL_ACCELERATORS", "")
            .env("USER", "tester")
            .current_dir(&self.0);
        c
    }

    /// (exit code, stdout, stderr) with ANSI styles (off a terminal, only
    /// logger lines keep theirs) removed.
    fn sky(&self, args: &[&str]) -> (i32, String, String) {
        let out = self.cmd(args).stdin(Stdio::null()).output().unwrap();
        let plain = |b: &[u8]| stix::cli::console::strip_ansi(&String::from_utf8_lossy(b));
        (
            out.status.code().unwrap_or(-1),
            plain(&out.stdout),
            plain(&out.stderr),
        )
    }

    /// The request id `--async` printed.
    fn submitted_id(out: &str) -> String {
        let line = out
            .lines()
            .find(|l| l.starts_with("Submitted "))
            .unwrap_or_else(|| panic!("no request id in {out}"));
        line.rsplit(' ').next().unwrap().to_string()
    }
}

impl Drop for Home {
    fn drop(&mut self) {
        let _ = self.sky(&["down", "-a", "-y"]);
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn wait_until(secs: u64, what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn async_launch_streams_its_log_and_outlives_the_cli() {
    let h = Home::new("launch");
    let (code, out, _) = h.sky(&["launch", "-y", "-c", "a1", "--async", "echo hello-async"]);
    assert_eq!(code, 0, "{out}");
    let id = Home::submitted_id(&out);
    let short = &id[..8];
    assert!(out.contains(&format!("Submitted sky.launch request: {id}\n├── Check logs with: sky api logs {short}\n└── To cancel the request, run: sky api cancel {short}\n")), "{out}");
    let (code, log, err) = h.sky(&["api", "logs", short]);
    assert_eq!(code, 0, "{log}{err}");
    assert!(log.contains("Job submitted, ID: 1"), "{log}");
    let (_, status, _) = h.sky(&["api", "status", "-a"]);
    assert!(
        status.contains("sky.launch") && status.contains("SUCCEEDED"),
        "{status}"
    );
    let (code, logs, _) = h.sky(&["logs", "a1", "1"]);
    assert_eq!(code, 0);
    assert!(logs.contains("hello-async"), "{logs}");
    // `--sync-down` copies the job's log directory under ~/sky_logs.
    let (code, out, _) = h.sky(&["logs", "a1", "--sync-down"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(out, "Job 1 logs: ~/sky_logs/a1/1-sky-cmd\n");
    let run_log = h.0.join("sky_logs/a1/1-sky-cmd/run.log");
    assert!(
        std::fs::read_to_string(&run_log)
            .unwrap()
            .contains("hello-async")
    );
    let (_, out, _) = h.sky(&["logs", "a1", "1", "-s"]);
    assert!(
        out.starts_with("Log directory ~/sky_logs/a1/1-sky-cmd already exists."),
        "{out}"
    );
    // `--async` on stop: the request id, the done line, the closing hint.
    let (code, out, _) = h.sky(&["stop", "a1", "-y", "--async"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("Submitted sky.Stopping request: "), "{out}");
    assert!(out.contains("Stopping cluster a1...done."), "{out}");
    assert!(out.ends_with("Stopping requests are sent. Check the requests' status with `sky request get <request_id>`.\n"), "{out}");
    let id = Home::submitted_id(&out);
    let (code, _, err) = h.sky(&["api", "logs", &id]);
    assert_eq!(code, 0, "{err}");
    let (_, status, _) = h.sky(&["status", "a1"]);
    assert!(status.contains("STOPPED"), "{status}");
}

#[test]
fn cancelling_a_running_launch_stops_its_worker() {
    let h = Home::new("cancel");
    // This test holds the cluster's lock: the worker's launch blocks in it.
    let locks = h.0.join(".sky/locks");
    std::fs::create_dir_all(&locks).unwrap();
    let lock = std::fs::File::create(locks.join(".c1.lock")).unwrap();
    // SAFETY: flock on a descriptor this test owns.
    assert_eq!(
        unsafe { libc::flock(std::os::fd::AsRawFd::as_raw_fd(&lock), libc::LOCK_EX) },
        0
    );
    let (code, out, _) = h.sky(&["launch", "-y", "-c", "c1", "--async", "echo never"]);
    assert_eq!(code, 0, "{out}");
    let id = Home::submitted_id(&out);
    let db = h.0.join(".sky/state.db");
    let pid = || -> Option<i32> {
        let conn = rusqlite::Connection::open(&db).ok()?;
        conn.query_row(
            "SELECT pid FROM requests WHERE request_id = ?1 AND status = 'RUNNING'",
            [&id],
            |r| r.get::<_, Option<i32>>(0),
        )
        .ok()
        .flatten()
    };
    wait_until(20, "the worker to claim the request", || pid().is_some());
    let worker = pid().unwrap();
    let (code, out, _) = h.sky(&["api", "cancel", &id[..8]]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains(&format!("Cancelled 1 request: {id}")), "{out}");
    assert!(
        !stix::runner::procs::pid_alive(worker),
        "the worker still runs"
    );
    drop(lock);
    let (code, _, err) = h.sky(&["api", "logs", &id[..8]]);
    assert_eq!(code, 1);
    assert_eq!(
        err,
        format!(
            "sky.exceptions.RequestCancelled: Current 'sky.launch' request ({id}) is cancelled by another process.\n"
        )
    );
    // Nothing half-done is left that a new launch cannot take over.
    let (code, out, _) = h.sky(&["launch", "-y", "-c", "c1", "echo after-cancel"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("after-cancel"), "{out}");
}
