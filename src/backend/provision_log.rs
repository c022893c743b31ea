//! The provision log of a launch (SkyPilot's `provision/logging.py`):
//! what provisioning, failover and the runtime setup do goes to
//! `~/sky_logs/sky-<timestamp>/provision.log` in SkyPilot's logger format,
//! and the cluster's record keeps the path for `sky logs --provision`.
//! Worker nodes get per-instance logs under
//! `~/.sky/metadata/v1/clusters/<name on cloud>/instances/<id>/logs/`
//! (`metadata_utils.get_instance_log_dir`), read by `--worker N`.
//!
//! One launch is one session per thread, as SkyPilot keeps the log path in
//! a thread-local: the outermost [`begin`] owns it, nested calls (a failover
//! attempt inside a launch) share it, and the file is created on the first
//! line written, so a launch that never reaches provisioning leaves none.

use std::cell::{Cell, RefCell};
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use super::{Progress, ProgressSink, Stage};
use crate::spec::task::expand_user;

/// Writes one line to the current provision log, with the caller's file
/// and line as SkyPilot's logger prints them (`D` debug, `I` info).
#[macro_export]
macro_rules! provision_log {
    ($level:literal, $($arg:tt)*) => {
        $crate::backend::provision_log::write($level, file!(), line!(), &format!($($arg)*))
    };
}

struct Session {
    path: PathBuf,
    file: Option<File>,
    /// Progress lines are copied while provisioning runs (from the
    /// PROVISION stage to the next stage), as only that phase logs there.
    copying: bool,
}

thread_local! {
    static SESSION: RefCell<Option<Session>> = const { RefCell::new(None) };
    static TEE_DEPTH: Cell<usize> = const { Cell::new(0) };
}

/// Ends the session when the outermost [`begin`]'s guard drops.
pub struct Guard {
    owner: bool,
}

impl Drop for Guard {
    fn drop(&mut self) {
        if self.owner {
            SESSION.with(|s| *s.borrow_mut() = None);
        }
    }
}

/// Starts the provision log of one launch / start on this thread (a new
/// `~/sky_logs/sky-<timestamp>/` directory); nested calls share it.
pub fn begin() -> Guard {
    SESSION.with(|s| {
        let mut s = s.borrow_mut();
        if s.is_some() {
            return Guard { owner: false };
        }
        let dir = PathBuf::from(expand_user("~/sky_logs")).join(super::identity::run_timestamp());
        *s = Some(Session {
            path: dir.join("provision.log"),
            file: None,
            copying: false,
        });
        Guard { owner: true }
    })
}

/// The current log's path, once something was written to it.
pub fn current_path() -> Option<PathBuf> {
    SESSION.with(|s| {
        s.borrow()
            .as_ref()
            .filter(|s| s.file.is_some())
            .map(|s| s.path.clone())
    })
}

/// `sky_logging.FORMATTER`'s prefix: `D 11-29 03:00:00.123 PID=42 file.rs:7] `.
fn prefix(level: char, file: &str, line: u32) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let tm = super::identity::local_tm(now.as_secs());
    let base = Path::new(file)
        .file_name()
        .map_or(file.into(), |f| f.to_string_lossy());
    format!(
        "{level} {:02}-{:02} {:02}:{:02}:{:02}.{:03} PID={} {base}:{line}] ",
        tm.tm_mon + 1,
        tm.tm_mday,
        tm.tm_hour,
        tm.tm_min,
        tm.tm_sec,
        now.subsec_millis(),
        std::process::id()
    )
}

/// One record as `NewLineFormatter` writes it: every line of a
/// multi-line message carries the prefix.
fn format_record(level: char, file: &str, line: u32, msg: &str) -> String {
    let p = prefix(level, file, line);
    format!("{p}{}\n", msg.replace('\n', &format!("\r\n{p}")))
}

fn append(path: &Path, file: &mut Option<File>, text: &str) {
    if file.is_none() {
        if let Some(dir) = path.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        *file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .ok();
    }
    if let Some(f) = file.as_mut() {
        // The log is a diagnostic aid: a full disk must not fail a launch.
        let _ = f.write_all(text.as_bytes());
    }
}

/// Appends a record to the current provision log (none: nothing to do).
pub fn write(level: char, file: &str, line: u32, msg: &str) {
    SESSION.with(|s| {
        if let Some(s) = s.borrow_mut().as_mut() {
            let text = format_record(level, file, line, msg);
            append(&s.path, &mut s.file, &text);
        }
    });
}

fn copy_progress(p: &Progress) {
    SESSION.with(|s| {
        let mut s = s.borrow_mut();
        let Some(s) = s.as_mut() else { return };
        match p {
            Progress::Stage(stage) => s.copying = *stage == Stage::Provision,
            Progress::Info(line) if s.copying => {
                let text = format_record('I', file!(), line!(), line);
                append(&s.path, &mut s.file, &text);
            }
            _ => {}
        }
    });
}

/// Forwards progress to `progress` and copies the lines logged while
/// provisioning into the provision log (only the outermost tee copies, so
/// nested ones do not write a line twice).
pub fn tee<'a>(progress: ProgressSink<'a>) -> impl FnMut(Progress) + 'a {
    struct Depth(usize);
    impl Drop for Depth {
        fn drop(&mut self) {
            TEE_DEPTH.with(|d| d.set(d.get().saturating_sub(1)));
        }
    }
    let depth = TEE_DEPTH.with(|d| {
        d.set(d.get() + 1);
        Depth(d.get())
    });
    move |p: Progress| {
        // `&depth` (not `depth.0`): the closure must own the guard, or it
        // drops at once and every tee looks outermost.
        let level: &Depth = &depth;
        if level.0 == 1 {
            copy_progress(&p);
        }
        progress(p)
    }
}

/// Copies progress lines from now on (a `sky start`, which reports no
/// PROVISION stage, provisions too).
pub fn copy_lines() {
    SESSION.with(|s| {
        if let Some(s) = s.borrow_mut().as_mut() {
            s.copying = true;
        }
    });
}

/// `provisioner._TITLE`: a section heading of the log.
pub fn title(name: &str) -> String {
    let bar = "=".repeat(20);
    format!("\n\n{bar} {name} {bar}\n")
}

/// Appends `msg` to every worker's runtime-setup log.
pub fn each_worker(handle: &super::ClusterHandle, msg: &str) {
    for node in handle.nodes.iter().skip(1) {
        write_instance(
            &handle.cluster_name_on_cloud,
            &node.instance_id,
            "setup_runtime_on_cluster",
            msg,
        );
    }
}

/// `metadata_utils` root of a cluster's per-instance data.
fn cluster_metadata_dir(name_on_cloud: &str) -> PathBuf {
    PathBuf::from(expand_user("~/.sky/metadata/v1/clusters")).join(name_on_cloud)
}

/// `get_instance_log_dir`: a worker's provision log directory (created).
pub fn instance_log_dir(name_on_cloud: &str, instance_id: &str) -> PathBuf {
    let dir = cluster_metadata_dir(name_on_cloud)
        .join("instances")
        .join(instance_id)
        .join("logs");
    let _ = std::fs::create_dir_all(&dir);
    dir
}

/// Appends a record to a worker's `<stage>.log` (the head's lines go to
/// the main provision log, as SkyPilot's `_parallel_ssh_with_cache` does).
pub fn write_instance(name_on_cloud: &str, instance_id: &str, stage: &str, msg: &str) {
    let path = instance_log_dir(name_on_cloud, instance_id).join(format!("{stage}.log"));
    let mut file = None;
    append(
        &path,
        &mut file,
        &format_record('I', "instance_setup.rs", line!(), msg),
    );
}

/// `remove_cluster_metadata`: a terminated cluster's per-instance logs go.
pub fn remove_cluster_metadata(name_on_cloud: &str) {
    if !name_on_cloud.is_empty() {
        let _ = std::fs::remove_dir_all(cluster_metadata_dir(name_on_cloud));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_carry_skypilots_prefix_on_every_line() {
        let text = format_record('D', "src/backend/provisioning.rs", 12, "a\nb");
        let re = regex::Regex::new(
            r"^D \d\d-\d\d \d\d:\d\d:\d\d\.\d{3} PID=\d+ provisioning\.rs:12\] a\r\nD .* provisioning\.rs:12\] b\n$",
        )
        .unwrap();
        assert!(re.is_match(&text), "{text:?}");
    }

    #[test]
    fn a_session_writes_only_while_provisioning_and_only_once() {
        let home = std::env::temp_dir().join(format!("stix-plog-{}", std::process::id()));
        let path = home.join("provision.log");
        SESSION.with(|s| {
            *s.borrow_mut() = Some(Session {
                path: path.clone(),
                file: None,
                copying: false,
            })
        });
        let _g = Guard { owner: true };
        let mut seen = Vec::new();
        {
            let mut sink = |p: Progress| seen.push(p);
            let mut outer = tee(&mut sink);
            outer(Progress::Info("plan table".into()));
            outer(Progress::Stage(Stage::Provision));
            {
                let mut inner = tee(&mut outer);
                inner(Progress::Info("Launching on Local.".into()));
            }
            outer(Progress::Stage(Stage::Setup));
            outer(Progress::Info("setup output".into()));
        }
        assert_eq!(seen.len(), 5);
        assert_eq!(current_path(), Some(path.clone()));
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.lines().count(), 1, "{text}");
        assert!(text.ends_with("] Launching on Local.\n"));
        let _ = std::fs::remove_dir_all(home);
    }
}
