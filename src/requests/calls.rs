//! The SDK calls a request can carry (`sky.launch`, `sky.status`, ...):
//! each reads its arguments from the request body (JSON, SkyPilot's
//! argument names) and returns its result as JSON, so the same body
//! could arrive over HTTP from an API server later.

use std::path::PathBuf;

use serde_json::{Value, json};

use crate::agent::autostop::WaitFor;
use crate::backend::{self, ExecOptions, LaunchOptions, Progress, RefreshMode};
use crate::error::{Error, Result};
use crate::spec::Task;
use crate::state::StateDb;

fn s(body: &Value, key: &str) -> Option<String> {
    body[key].as_str().map(str::to_string)
}

fn b(body: &Value, key: &str) -> bool {
    body[key].as_bool().unwrap_or(false)
}

fn cluster(body: &Value) -> Result<String> {
    s(body, "cluster_name").ok_or_else(|| Error::value("cluster_name is required."))
}

fn ids(body: &Value) -> Option<Vec<i64>> {
    body["job_ids"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_i64).collect())
}

fn wait_for(body: &Value) -> Result<Option<WaitFor>> {
    s(body, "wait_for").map(|w| WaitFor::parse(&w)).transpose()
}

fn to_json<T: serde::Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

fn launched(r: backend::LaunchResult) -> Value {
    json!({
        "job_id": r.job_id,
        "cluster_name": r.cluster_name,
        "handle": r.handle.map(|h| h.to_json()),
    })
}

/// What `download_logs` did: job id -> local directory (`~/sky_logs/...`,
/// `~` unexpanded as SkyPilot returns it), and the warnings it logs.
pub struct DownloadedLogs {
    /// Job id -> directory, in job order.
    pub paths: Vec<(String, String)>,
    /// `Log directory ... already exists.` lines.
    pub warnings: Vec<String>,
}

/// `sky.download_logs`: copies the jobs' log directories from every node
/// to `~/sky_logs/<cluster>/<job dir>`.
pub fn download_logs(db: &mut StateDb, body: &Value) -> Result<DownloadedLogs> {
    let home = crate::spec::task::expand_user("~");
    let dir = PathBuf::from(&home).join("sky_logs");
    let name = cluster(body)?;
    let mut warnings = Vec::new();
    let mut existing = |p: &std::path::Path| {
        let shown = p.display().to_string().replacen(&home, "~", 1);
        warnings.push(format!(
            "Log directory {shown} already exists. This may overwrite logs from a previous \
             cluster with the same name and job ID."
        ));
    };
    let map = backend::download_logs(db, &name, ids(body).as_deref(), &dir, &mut existing)?;
    let mut out = DownloadedLogs {
        paths: Vec::new(),
        warnings,
    };
    for (id, path) in map {
        let shown = path.display().to_string().replacen(&home, "~", 1);
        out.paths.push((id.to_string(), shown));
    }
    Ok(out)
}

/// Runs the call `name` with `body` (and the task for launch / exec),
/// reporting progress to `progress`.
pub fn run(
    db: &mut StateDb,
    name: &str,
    body: &Value,
    task: Option<&Task>,
    progress: &mut dyn FnMut(Progress),
) -> Result<Value> {
    let user_hash = backend::identity::user_hash();
    let owner = (!b(body, "all_users")).then_some(user_hash.as_str());
    let need_task = || task.ok_or_else(|| Error::value("A task is required."));
    Ok(match name.trim_start_matches("sky.") {
        "launch" => {
            let mut opts = LaunchOptions {
                cluster_name: s(body, "cluster_name"),
                retry_until_up: b(body, "retry_until_up"),
                idle_minutes_to_autostop: body["idle_minutes_to_autostop"].as_i64(),
                wait_for: wait_for(body)?,
                down: b(body, "down"),
                dryrun: b(body, "dryrun"),
                no_setup: b(body, "no_setup"),
                fast: b(body, "fast"),
                command: Some("sky.launch".into()),
                quiet_optimizer: b(body, "quiet_optimizer"),
            };
            // The CLI's `--async` passes its command line (`last_use`).
            opts.command = s(body, "_command").or(opts.command);
            launched(backend::launch(db, need_task()?, &opts, progress)?)
        }
        "exec" => {
            let mut opts = ExecOptions {
                dryrun: b(body, "dryrun"),
                command: Some("sky.exec".into()),
            };
            opts.command = s(body, "_command").or(opts.command);
            launched(backend::exec(
                db,
                need_task()?,
                &cluster(body)?,
                &opts,
                progress,
            )?)
        }
        "status" => {
            let names: Option<Vec<String>> = body["cluster_names"].as_array().map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            });
            let mode = if b(body, "refresh") {
                RefreshMode::Force
            } else {
                RefreshMode::Auto
            };
            let user = backend::identity::user_name();
            let records = backend::status(db, names.as_deref(), mode)?;
            Value::Array(
                records
                    .iter()
                    .map(|r| backend::status_view::sdk_status_record(r, &user))
                    .collect(),
            )
        }
        "stop" | "down" => {
            let down = name.ends_with("down");
            let cluster = cluster(body)?;
            if b(body, "graceful") {
                let timeout = body["graceful_timeout"].as_u64();
                let mut log = |line: String| progress(Progress::Info(line));
                backend::graceful::graceful_job_cancel(db, &cluster, timeout, down, &mut log);
            }
            if down {
                backend::down(db, &cluster, b(body, "purge"))?;
            } else {
                backend::stop(db, &cluster, b(body, "purge"))?;
            }
            Value::Null
        }
        "start" => {
            let h = backend::start(
                db,
                &cluster(body)?,
                body["idle_minutes_to_autostop"].as_i64(),
                wait_for(body)?,
                b(body, "down"),
                b(body, "retry_until_up"),
                b(body, "force"),
                progress,
            )?;
            h.to_json()
        }
        "autostop" => {
            let idle = body["idle_minutes"].as_i64().unwrap_or(5);
            backend::set_autostop(db, &cluster(body)?, idle, wait_for(body)?, b(body, "down"))?;
            Value::Null
        }
        "queue" => Value::Array(
            backend::queue(db, &cluster(body)?, b(body, "skip_finished"), owner)?
                .iter()
                .map(backend::jobs::job_response)
                .collect(),
        ),
        "job_status" => {
            let map = backend::job_status(db, &cluster(body)?, ids(body).as_deref())?;
            let out: serde_json::Map<String, Value> = map
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.map_or(Value::Null, |s| s.as_str().into())))
                .collect();
            Value::Object(out)
        }
        "cancel" => to_json(&backend::cancel(
            db,
            &cluster(body)?,
            ids(body).as_deref(),
            b(body, "all") || b(body, "all_users"),
            owner,
        )?),
        "download_logs" => {
            let out: serde_json::Map<String, Value> = download_logs(db, body)?
                .paths
                .into_iter()
                .map(|(k, v)| (k, v.into()))
                .collect();
            Value::Object(out)
        }
        "endpoints" => {
            let port = body["port"].as_u64().and_then(|p| u16::try_from(p).ok());
            let map = backend::endpoints(db, &cluster(body)?, port)?;
            let out: serde_json::Map<String, Value> = map
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.into()))
                .collect();
            Value::Object(out)
        }
        "cost_report" => to_json(&db.get_clusters_from_history(body["days"].as_i64())?),
        "ssh_up" | "ssh_down" => {
            use crate::ssh_pools::{file, up};
            let path = s(body, "file").map_or_else(file::default_path, |f| {
                PathBuf::from(crate::spec::task::expand_user(&f))
            });
            let pools = file::load(&path, &file::host_in_ssh_config)?;
            let cleanup = name.ends_with("ssh_down");
            let action: up::HostAction<'_> = if cleanup {
                &up::remove_runtime
            } else {
                &up::deploy_runtime
            };
            up::run(
                &pools,
                s(body, "infra").as_deref(),
                cleanup,
                action,
                &mut |line| progress(Progress::Info(line)),
            )?;
            Value::Null
        }
        // The cancelling happened at submit; the request records the ids.
        "api_cancel" => body["ids"].clone(),
        other => return Err(Error::value(format!("Unknown request {other}"))),
    })
}
