//! SYNC_WORKDIR and SYNC_FILE_MOUNTS: the workdir goes to `~/sky_workdir`
//! on every node; local file mounts go to their destination on every node
//! (relative destinations under `~/sky_workdir`), all with SkyPilot's
//! ignore rules and in parallel across nodes.

use std::path::{Path, PathBuf};

use super::{ClusterHandle, Progress, ProgressSink, finishing_message};
use crate::agent::SKY_REMOTE_WORKDIR;
use crate::agent::script::ansi::{DIM, RESET};
use crate::error::{Error, ErrorKind, Result};
use crate::runner::CommandRunner;
use crate::spec::task::expand_user;
use crate::yaml::{Map, Value};

fn plural(n: usize) -> &'static str {
    if n > 1 { "s" } else { "" }
}

/// Runs `f` on every node at once; the first error wins.
fn on_all_nodes(
    handle: &ClusterHandle,
    f: impl Fn(&dyn CommandRunner) -> Result<()> + Sync,
) -> Result<()> {
    let runners = handle.runners();
    let results: Vec<Result<()>> = std::thread::scope(|s| {
        let f = &f;
        let tasks: Vec<_> = runners
            .iter()
            .map(|r| s.spawn(move || f(r.as_ref())))
            .collect();
        tasks
            .into_iter()
            .map(|t| {
                t.join()
                    .unwrap_or_else(|_| Err(Error::new(ErrorKind::Runtime, "sync thread panicked")))
            })
            .collect()
    });
    results.into_iter().collect()
}

/// Syncs the task's workdir (a local path) to every node.
pub fn sync_workdir(
    handle: &ClusterHandle,
    workdir: &Value,
    progress: ProgressSink<'_>,
) -> Result<()> {
    let Some(path) = workdir.as_str() else {
        return Err(Error::new(
            ErrorKind::NotSupported,
            "Git workdirs ({url, ref}) are not supported on the local infra yet.",
        ));
    };
    let full = PathBuf::from(expand_user(path));
    let full = std::path::absolute(&full).unwrap_or(full);
    if !full.is_dir() {
        return Err(Error::value(format!(
            "Workdir {path:?} does not exist or is not a directory."
        )));
    }
    let n = handle.nodes.len();
    progress(Progress::Info(format!(
        "  {DIM}Syncing workdir (to {n} node{}): {path} -> {SKY_REMOTE_WORKDIR}{RESET}",
        plural(n)
    )));
    progress(Progress::Spinner("Syncing workdir".into()));
    on_all_nodes(handle, |r| r.rsync_up(&full, SKY_REMOTE_WORKDIR))?;
    progress(Progress::Info(finishing_message("Synced workdir.")));
    Ok(())
}

/// Where a file mount lands on a node, or why the local infra refuses it.
pub fn mount_target(dst: &str) -> Result<String> {
    if dst.starts_with("~/") || dst.starts_with("/tmp/") {
        return Ok(dst.to_string());
    }
    if dst.starts_with('/') {
        return Err(Error::new(
            ErrorKind::NotSupported,
            format!(
                "File mount destination {dst:?} is outside the node: local nodes share this \
                 machine's filesystem, so only destinations under ~/, under /tmp/ or relative \
                 to the workdir are supported on the local infra."
            ),
        ));
    }
    Ok(format!("{SKY_REMOTE_WORKDIR}/{dst}"))
}

/// Syncs local-path file mounts (`dst: src`) to every node.
pub fn sync_file_mounts(
    handle: &ClusterHandle,
    mounts: &Map,
    progress: ProgressSink<'_>,
) -> Result<()> {
    let mut plan: Vec<(PathBuf, String)> = Vec::new();
    for (dst, src) in mounts.iter() {
        let dst = dst.py_str();
        let Some(src) = src.as_str() else {
            return Err(Error::new(
                ErrorKind::NotSupported,
                format!("Storage mounts ({dst}) are not supported on the local infra yet."),
            ));
        };
        if src.contains("://") {
            return Err(Error::new(
                ErrorKind::NotSupported,
                format!("Cloud storage sources ({src}) are not supported on the local infra yet."),
            ));
        }
        let full = PathBuf::from(expand_user(src));
        let full = std::path::absolute(&full).unwrap_or(full);
        if !full.exists() {
            return Err(Error::value(format!(
                "File mount source {src:?} does not exist."
            )));
        }
        plan.push((full, mount_target(&dst)?));
    }
    if plan.is_empty() {
        return Ok(());
    }
    progress(Progress::Spinner("Syncing file mounts".into()));
    on_all_nodes(handle, |r| {
        plan.iter()
            .try_for_each(|(src, dst)| r.rsync_up(Path::new(src), dst))
    })?;
    progress(Progress::Info(finishing_message("Synced file_mounts.")));
    Ok(())
}
