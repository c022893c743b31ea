//! The SDK calls a request can carry (`sky.launch`, `sky.status`, ...):
//! each reads its arguments from the request body (JSON, SkyPilot's
//! argument names) and returns its result as JSON, so the same body
//! could arrive over HTTP from an API server later.

use std::path::PathBuf;

use serde_json::{Value, json};

use crate::agent::autostop::WaitFor;
use crate::backend::{self, ExecOptions, LaunchOptions, RefreshMode};
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

/// Runs the call `name` with `body` (and the task for launch / exec).
pub fn run(db: &mut StateDb, name: &str, body: &Value, task: Option<&Task>) -> Result<Value> {
    let user_hash = backend::identity::user_hash();
    let owner = (!b(body, "all_users")).then_some(user_hash.as_str());
    let need_task = || task.ok_or_else(|| Error::value("A task is required."));
    let mut quiet = |_| {};
    Ok(match name {
        "launch" => {
            let opts = LaunchOptions {
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
            launched(backend::launch(db, need_task()?, &opts, &mut quiet)?)
        }
        "exec" => {
            let opts = ExecOptions {
                dryrun: b(body, "dryrun"),
                command: Some("sky.exec".into()),
            };
            launched(backend::exec(
                db,
                need_task()?,
                &cluster(body)?,
                &opts,
                &mut quiet,
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
            to_json(&backend::status(db, names.as_deref(), mode)?)
        }
        "stop" => {
            backend::stop(db, &cluster(body)?, b(body, "purge"))?;
            Value::Null
        }
        "down" => {
            backend::down(db, &cluster(body)?, b(body, "purge"))?;
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
                &mut quiet,
            )?;
            h.to_json()
        }
        "autostop" => {
            let idle = body["idle_minutes"].as_i64().unwrap_or(5);
            backend::set_autostop(db, &cluster(body)?, idle, wait_for(body)?, b(body, "down"))?;
            Value::Null
        }
        "queue" => to_json(&backend::queue(
            db,
            &cluster(body)?,
            b(body, "skip_finished"),
            owner,
        )?),
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
            let dir = PathBuf::from(crate::spec::task::expand_user("~/sky_logs"));
            let map = backend::download_logs(db, &cluster(body)?, ids(body).as_deref(), &dir)?;
            let out: serde_json::Map<String, Value> = map
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.display().to_string().into()))
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
            let cleanup = name == "ssh_down";
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
                &mut |_| {},
            )?;
            Value::Null
        }
        // The cancelling happened at submit; the request records the ids.
        "api_cancel" => body["ids"].clone(),
        other => return Err(Error::value(format!("Unknown request {other}"))),
    })
}
