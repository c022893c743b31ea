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
        return sync_git_workdir(handle, workdir, progress);
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

/// `_sync_git_workdir`: clones `workdir.url` at `workdir.ref` into
/// `~/sky_workdir` on every node.
fn sync_git_workdir(
    handle: &ClusterHandle,
    workdir: &Value,
    progress: ProgressSink<'_>,
) -> Result<()> {
    let field = |k: &str| {
        workdir
            .as_map()
            .and_then(|m| m.get(k))
            .filter(|v| !v.is_null())
            .map(Value::py_str)
    };
    let url = field("url").ok_or_else(|| Error::value("workdir.url is required."))?;
    let git_ref = field("ref").unwrap_or_default();
    // The URL that answered the access check (`GIT_URL`).
    let envs = super::git_workdir::workdir_envs(&url, &git_ref)?;
    let clone_url = envs
        .iter()
        .find(|(k, _)| k == "GIT_URL")
        .map_or(url.clone(), |(_, v)| v.clone());
    let script = super::git_workdir::clone_script(&clone_url, &git_ref);
    let n = handle.nodes.len();
    progress(Progress::Info(format!(
        "  {DIM}Syncing workdir (to {n} node{}): {SKY_REMOTE_WORKDIR}{RESET}",
        plural(n)
    )));
    progress(Progress::Spinner("Syncing workdir".into()));
    on_all_nodes(handle, |r| {
        let mut req = crate::runner::RunRequest::new(["bash", "-c", script.as_str()]);
        if let Ok(token) = std::env::var("GIT_TOKEN") {
            req.env.push(("GIT_TOKEN".into(), token));
        }
        let out = r.run(&req, None)?;
        if out.code != 0 {
            return Err(Error::new(
                ErrorKind::Command,
                format!(
                    "Failed to clone {url} into {SKY_REMOTE_WORKDIR}: {}",
                    out.stderr.trim()
                ),
            ));
        }
        Ok(())
    })?;
    progress(Progress::Info(finishing_message("Synced workdir.")));
    Ok(())
}

/// Why a bucket mount (`file_mounts: {dst: {source: s3://..., ...}}`)
/// cannot run on the local infra: buckets need a cloud store and its
/// credentials, which the offline local nodes do not have.
pub fn bucket_mount_message(dst: &str, spec: &crate::spec::storage::StorageSpec) -> String {
    let what = match (&spec.source, &spec.name) {
        (Some(src), _) => format!("source: {}", src.py_str()),
        (None, Some(name)) => format!("name: {name}"),
        (None, None) => "a bucket".to_string(),
    };
    format!(
        "file_mounts: {dst}: {{{what}}} is a storage (bucket) mount, which the local infra \
         does not support: local nodes have no cloud bucket store. Launch on a cloud (e.g. \
         --infra aws), or use a local path as the mount's source."
    )
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
                format!(
                    "file_mounts: {dst}: a storage (bucket) mount, which the local infra does \
                     not support: local nodes have no cloud bucket store."
                ),
            ));
        };
        if src.contains("://") {
            return Err(Error::new(
                ErrorKind::NotSupported,
                format!(
                    "file_mounts: {dst}: {src} is a cloud storage source, which the local infra \
                     does not support: local nodes have no cloud bucket store. Launch on a cloud \
                     (e.g. --infra aws), or use a local path as the source."
                ),
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
