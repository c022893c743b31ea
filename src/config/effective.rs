//! The config a task runs with: the loaded config with the task's
//! `config:` overrides merged in, as SkyPilot's launch path reads it.

use super::load::Env;
use super::nested::{get_nested, key_paths, lookup, merge_k8s_configs, pop_nested, set_nested};
use super::schema::OVERRIDEABLE_CONFIG_KEYS_IN_TASK;
use super::state::snapshot;
use crate::error::Result;
use crate::yaml::{Map, Value};

/// The loaded config with a task's overrides merged in. Overrides may only
/// change the keys a task may set (`Key ... is not in allowed override
/// keys` otherwise, where the loaded config has that section).
pub fn effective_config(env: &Env, task_overrides: Option<&Map>) -> Result<Map> {
    let snap = snapshot(env)?;
    merged_with_task(&snap.config, task_overrides)
}

/// [`effective_config`] over a given base config.
pub fn merged_with_task(base: &Map, task_overrides: Option<&Map>) -> Result<Map> {
    let allowed = key_paths(OVERRIDEABLE_CONFIG_KEYS_IN_TASK);
    match get_nested(base, &[], task_overrides, Some(&allowed), None)? {
        Some(Value::Map(m)) => Ok(m),
        _ => Ok(Map::new()),
    }
}

/// `Resources.copy(_cluster_config_overrides=new)`: keeps the overrideable
/// part of `new`, lays it over `current`, and drops keys set to null (a
/// null clears a task-level override). `None` when nothing is left.
pub fn merge_task_overrides(current: Option<&Map>, new: Option<&Map>) -> Result<Option<Map>> {
    let mut filtered = Map::new();
    let keys = key_paths(OVERRIDEABLE_CONFIG_KEYS_IN_TASK);
    if let Some(new) = new {
        for key in &keys {
            if let Some(v) = lookup(new, key) {
                set_nested(&mut filtered, key, v.clone())?;
            }
        }
    }
    let mut merged =
        super::nested::overlay(&current.cloned().unwrap_or_default(), Some(&filtered))?;
    for key in &keys {
        if lookup(&merged, key).is_some_and(Value::is_null) {
            pop_nested(&mut merged, key);
        }
    }
    Ok((!merged.is_empty()).then_some(merged))
}

/// Where a cloud keeps per-region (or per-context) settings.
fn region_key(cloud: &str) -> Option<&'static str> {
    match cloud {
        "kubernetes" | "ssh" => Some("context_configs"),
        "slurm" => Some("cluster_configs"),
        "nebius" | "oci" => Some("region_configs"),
        _ => None,
    }
}

/// `get_cloud_config_value_from_dict`: `<cloud>.<region_key>.<region>.keys`
/// when set, else `<cloud>.keys`, else `default`. For Kubernetes two dicts
/// merge the Kubernetes way; with `merge_dicts` other dicts merge shallowly.
pub fn cloud_config_value(
    config: &Map,
    cloud: &str,
    keys: &[Value],
    region: Option<&str>,
    default: Value,
    overrides: Option<&Map>,
    merge_dicts: bool,
) -> Result<Value> {
    let mut per_region = None;
    if let (Some(region), Some(rk)) = (region, region_key(cloud)) {
        let mut path = vec![Value::from(cloud), Value::from(rk), Value::from(region)];
        path.extend_from_slice(keys);
        per_region = get_nested(config, &path, overrides, None, None)?;
    }
    let mut path = vec![Value::from(cloud)];
    path.extend_from_slice(keys);
    let mut general = get_nested(config, &path, overrides, None, None)?.unwrap_or(default);
    match (&mut general, per_region) {
        (Value::Map(_), Some(region @ Value::Map(_))) if cloud == "kubernetes" => {
            merge_k8s_configs(&mut general, &region, None, None)?;
            Ok(general)
        }
        (Value::Map(g), Some(Value::Map(r))) if merge_dicts => {
            let mut out = g.clone();
            for (k, v) in r.iter() {
                out.insert(k.clone(), v.clone());
            }
            Ok(Value::Map(out))
        }
        (_, Some(region)) if !region.is_null() => Ok(region),
        _ => Ok(general),
    }
}

/// `skypilot_config.get_effective_region_config` over the loaded config.
pub fn effective_region_config(
    env: &Env,
    cloud: &str,
    keys: &[Value],
    region: Option<&str>,
    default: Value,
    overrides: Option<&Map>,
) -> Result<Value> {
    let snap = snapshot(env)?;
    cloud_config_value(&snap.config, cloud, keys, region, default, overrides, false)
}
