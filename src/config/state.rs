//! The process's loaded config (SkyPilot's module-level `skypilot_config`
//! state): read on first use, reloadable, and temporarily overridable.

use std::sync::{Mutex, MutexGuard};

use super::load::{Env, Loaded, describe_paths, load};
use super::nested::{get_nested as nested_get, key_paths, pop_nested, recursive_update};
use super::schema::OVERRIDEABLE_CONFIG_KEYS_IN_TASK;
use super::validate::validate_merged;
use crate::error::{Error, Result};
use crate::yaml::{Map, Value};

/// Keys a client's config may not override on the API server
/// (`constants.SKIPPED_CLIENT_OVERRIDE_KEYS`).
pub const SKIPPED_CLIENT_OVERRIDE_KEYS: &[&[&str]] = &[
    &["api_server"],
    &["allowed_clouds"],
    &["workspaces"],
    &["db"],
    &["daemons"],
    &["metrics"],
    &["jobs", "controller", "consolidation_mode"],
    &["serve", "controller", "consolidation_mode"],
    &["jobs", "controller", "controller_logs_gc_retention_hours"],
    &["jobs", "controller", "task_logs_gc_retention_hours"],
    &["slurm", "cluster_configs"],
    &["slurm", "submit_as_user"],
    &["slurm", "username_map"],
];

/// The workspace used when none is set.
pub const DEFAULT_WORKSPACE: &str = "default";

/// The loaded config and what it came from.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Snapshot {
    /// The config in effect.
    pub config: Map,
    /// The files it came from.
    pub paths: Vec<Option<String>>,
    /// Whether an override is in effect.
    pub overridden: bool,
}

struct State {
    current: Option<Snapshot>,
    /// Snapshots to restore when each active override ends.
    saved: Vec<Snapshot>,
}

static STATE: Mutex<State> = Mutex::new(State {
    current: None,
    saved: Vec::new(),
});

fn lock() -> MutexGuard<'static, State> {
    // A panic elsewhere must not make the config unreadable.
    STATE.lock().unwrap_or_else(|e| e.into_inner())
}

/// What a (re)load found besides the config, for the caller to act on.
#[derive(Clone, Debug, Default)]
pub struct LoadNotes {
    /// A `db:` value to hand on via `SKYPILOT_DB_CONNECTION_URI`.
    pub db_url: Option<String>,
    /// YAML errors SkyPilot logs and otherwise ignores.
    pub warnings: Vec<String>,
}

fn install(st: &mut State, loaded: Loaded) -> LoadNotes {
    st.current = Some(Snapshot {
        config: loaded.config,
        paths: loaded.paths,
        overridden: false,
    });
    LoadNotes {
        db_url: loaded.db_url,
        warnings: loaded.warnings,
    }
}

/// `reload_config`: reads the config files again. On error the config
/// loaded before stays in effect.
pub fn reload(env: &Env) -> Result<LoadNotes> {
    let loaded = load(env)?;
    Ok(install(&mut lock(), loaded))
}

/// Loads the config if nothing is loaded yet (SkyPilot loads it when
/// `sky.skypilot_config` is imported; stix waits for the first use).
pub fn ensure_loaded(env: &Env) -> Result<Option<LoadNotes>> {
    let mut st = lock();
    if st.current.is_some() {
        return Ok(None);
    }
    let loaded = load(env)?;
    Ok(Some(install(&mut st, loaded)))
}

/// The config in effect (loading it first if needed).
pub fn snapshot(env: &Env) -> Result<Snapshot> {
    ensure_loaded(env)?;
    Ok(lock().current.clone().unwrap_or_default())
}

/// `skypilot_config.get_nested`: task overrides may only touch the keys
/// a task's `config:` may set. `None` means the caller's default.
pub fn get_nested(env: &Env, keys: &[Value], overrides: Option<&Map>) -> Result<Option<Value>> {
    let snap = snapshot(env)?;
    let allowed = key_paths(OVERRIDEABLE_CONFIG_KEYS_IN_TASK);
    nested_get(&snap.config, keys, overrides, Some(&allowed), None)
}

/// `loaded_config_path`.
pub fn loaded_config_path(env: &Env) -> Result<Option<String>> {
    let snap = snapshot(env)?;
    Ok(describe_paths(&snap.paths, snap.overridden))
}

/// `apply_cli_config`: lays `overrides` over the config in effect.
pub fn apply(env: &Env, overrides: &Map) -> Result<()> {
    ensure_loaded(env)?;
    let mut st = lock();
    if let Some(cur) = st.current.as_mut() {
        recursive_update(&mut cur.config, overrides, None, None)?;
    }
    Ok(())
}

/// The workspace a config selects (`active_workspace`, else `default`).
pub fn active_workspace(config: &Map) -> String {
    match config.get("active_workspace") {
        Some(Value::Null) | None => DEFAULT_WORKSPACE.to_string(),
        Some(v) => v.py_str(),
    }
}

/// The first half of `override_skypilot_config`: merges a client's config
/// over the one in effect and makes it current. Returns a token for
/// [`end_override`], or `None` when there was nothing to override. On
/// error nothing changes; `Err` carries SkyPilot's message, and
/// [`override_failure`] words the invalid-config case.
pub fn begin_override(
    env: &Env,
    overrides: &Map,
    extra_paths: Vec<Option<String>>,
) -> Result<Option<usize>> {
    if overrides.is_empty() {
        return Ok(None);
    }
    let original = snapshot(env)?;
    let mut client = overrides.clone();
    let skipped = key_paths(SKIPPED_CLIENT_OVERRIDE_KEYS);
    for key in &skipped {
        // The server's `db:` was taken out of its config, so the client's
        // is not compared with it (and trips the disallowed check below).
        if key.len() == 1 && key[0].as_str() == Some("db") {
            continue;
        }
        pop_nested(&mut client, key);
    }
    let merged = nested_get(&original.config, &[], Some(&client), None, Some(&skipped))?;
    let merged = match merged {
        Some(Value::Map(m)) => m,
        _ => Map::new(),
    };
    let workspace = active_workspace(&merged);
    let known = original
        .config
        .get("workspaces")
        .and_then(Value::as_map)
        .is_some_and(|w| w.contains(&workspace));
    if workspace != DEFAULT_WORKSPACE && !known {
        return Err(Error::value(format!(
            "Workspace {workspace} does not exist. Use `sky check` to see if it is defined on the API server and try again."
        )));
    }
    validate_merged(&merged)
        .map_err(|e| override_failure(&original.config, overrides, &e.message))?;
    let mut st = lock();
    let token = st.saved.len();
    st.saved.push(original.clone());
    let mut paths = original.paths;
    paths.extend(extra_paths);
    st.current = Some(Snapshot {
        config: merged,
        paths,
        overridden: true,
    });
    Ok(Some(token))
}

/// Ends the override `token` began: restores the config from before it.
pub fn end_override(token: usize) {
    let mut st = lock();
    if token < st.saved.len() {
        let snap = st.saved.swap_remove(token);
        st.saved.truncate(token);
        st.current = Some(snap);
    }
}

/// The client overrides as they are merged (the skipped keys taken out),
/// for the message when the merged config is invalid.
pub fn override_failure(original: &Map, overrides: &Map, details: &str) -> Error {
    let mut client = overrides.clone();
    for key in key_paths(SKIPPED_CLIENT_OVERRIDE_KEYS) {
        if !(key.len() == 1 && key[0].as_str() == Some("db")) {
            pop_nested(&mut client, &key);
        }
    }
    Error::config(format!(
        "Failed to override the SkyPilot config on API server with your local SkyPilot config:\n=== SkyPilot config on API server ===\n{}\n=== Your local SkyPilot config ===\n{}\nDetails: {details}",
        super::redact::dump_redacted_yaml(original),
        super::redact::dump_redacted_yaml(&client)
    ))
}
