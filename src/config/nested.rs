//! SkyPilot's nested-config operations (`config_utils.Config`): get, set
//! and pop by key path, and the override merge with its allowed and
//! disallowed keys and Kubernetes patch-merge rules.

use crate::error::{Error, ErrorKind, Result};
use crate::yaml::{Map, Value};

/// A list of key paths, such as the keys a task may override.
pub type KeyPaths = Vec<Vec<Value>>;

/// Turns a static key-path table into [`KeyPaths`].
pub fn key_paths(paths: &[&[&str]]) -> KeyPaths {
    paths
        .iter()
        .map(|p| p.iter().map(|k| Value::from(*k)).collect())
        .collect()
}

/// Python's repr of a list of key tuples: `[('docker', 'run_options'), ('db',)]`.
pub fn key_paths_repr(paths: &[Vec<Value>]) -> String {
    let tuples: Vec<String> = paths
        .iter()
        .map(|p| {
            let items: Vec<String> = p.iter().map(Value::py_repr).collect();
            if items.len() == 1 {
                format!("({},)", items[0])
            } else {
                format!("({})", items.join(", "))
            }
        })
        .collect();
    format!("[{}]", tuples.join(", "))
}

/// Kubernetes list fields merged item by item, keyed by the named field;
/// `None` marks lists that an override replaces whole.
const PATCH_MERGE_KEYS: &[(&str, Option<&str>)] = &[
    ("containers", Some("name")),
    ("initContainers", Some("name")),
    ("ephemeralContainers", Some("name")),
    ("volumes", Some("name")),
    ("volumeMounts", Some("mountPath")),
    ("resourceClaims", Some("name")),
    ("env", Some("name")),
    ("hostAliases", Some("ip")),
    ("topologySpreadConstraints", Some("topologyKey")),
    ("ports", Some("containerPort")),
    ("volumeDevices", Some("devicePath")),
    ("claims", Some("name")),
    ("args", None),
    ("command", None),
    ("imagePullSecrets", None),
];

fn patch_merge_key(key: &Value) -> Option<Option<&'static str>> {
    let key = key.as_str()?;
    PATCH_MERGE_KEYS
        .iter()
        .find(|(k, _)| *k == key)
        .map(|(_, m)| *m)
}

fn get_mut<'a>(map: &'a mut Map, key: &Value) -> Option<&'a mut Value> {
    map.0.iter_mut().find(|(k, _)| k == key).map(|(_, v)| v)
}

/// What Python raises for `override.items()` on a non-dict.
fn as_items(v: &Value) -> Result<&Map> {
    v.as_map().ok_or_else(|| {
        Error::new(
            ErrorKind::Attribute,
            format!("'{}' object has no attribute 'items'", v.py_type_name()),
        )
    })
}

/// Python's `key in base`, including its errors for non-containers.
fn py_in(base: &Value, key: &Value) -> Result<bool> {
    match (base, key) {
        (Value::Map(m), _) => Ok(m.get_value(key).is_some()),
        (Value::Str(s), Value::Str(k)) => Ok(s.contains(k.as_str())),
        (Value::Str(_), k) => Err(Error::type_error(format!(
            "'in <string>' requires string as left operand, not {}",
            k.py_type_name()
        ))),
        (Value::Seq(items), _) => Ok(items.contains(key)),
        (other, _) => Err(Error::type_error(format!(
            "argument of type '{}' is not iterable",
            other.py_type_name()
        ))),
    }
}

/// Python's `base[key]` once `key in base` held: only dicts get that far
/// without an error.
fn py_getitem<'a>(base: &'a mut Value, key: &Value) -> Result<&'a mut Value> {
    let kt = key.py_type_name();
    match base {
        Value::Map(m) => get_mut(m, key).ok_or_else(|| Error::new(ErrorKind::Key, key.py_repr())),
        Value::Str(_) => Err(Error::type_error(format!(
            "string indices must be integers, not '{kt}'"
        ))),
        _ => Err(Error::type_error(format!(
            "list indices must be integers or slices, not {kt}"
        ))),
    }
}

/// Python's `base[key] = value`.
fn py_setitem(base: &mut Value, key: &Value, value: &Value) -> Result<()> {
    match base {
        Value::Map(m) => {
            m.insert(key.clone(), value.clone());
            Ok(())
        }
        Value::Seq(_) => Err(Error::type_error(format!(
            "list indices must be integers or slices, not {}",
            key.py_type_name()
        ))),
        other => Err(Error::type_error(format!(
            "'{}' object does not support item assignment",
            other.py_type_name()
        ))),
    }
}

/// `_check_allowed_and_disallowed_override_keys`: checks one key and
/// returns the allowed and disallowed paths below it.
fn check_key(
    key: &Value,
    allowed: Option<&KeyPaths>,
    disallowed: Option<&KeyPaths>,
) -> Result<(Option<KeyPaths>, Option<KeyPaths>)> {
    let next_allowed = match allowed {
        None => None,
        Some(paths) => {
            let mut below = Some(Vec::new());
            for path in paths {
                if path.first() == Some(key) {
                    if path.len() == 1 {
                        // The whole subtree is allowed.
                        below = None;
                        break;
                    }
                    if let Some(b) = below.as_mut() {
                        b.push(path[1..].to_vec());
                    }
                }
            }
            if below.as_ref().is_some_and(Vec::is_empty) {
                return Err(Error::value(format!(
                    "Key {} is not in allowed override keys: {}",
                    key.py_str(),
                    key_paths_repr(paths)
                )));
            }
            below
        }
    };
    let next_disallowed = match disallowed {
        None => None,
        Some(paths) => {
            let mut below = Vec::new();
            for path in paths {
                if path.first() == Some(key) {
                    if path.len() == 1 {
                        return Err(Error::value(format!(
                            "Key {} is in disallowed override keys: {}",
                            key.py_str(),
                            key_paths_repr(paths)
                        )));
                    }
                    below.push(path[1..].to_vec());
                }
            }
            Some(below)
        }
    };
    Ok((next_allowed, next_disallowed))
}

/// `_recursive_update`: merges `over` into `base` in place. Dicts merge
/// key by key, anything else replaces; `kubernetes:` merges its
/// `pod_config` and `custom_metadata` the Kubernetes way.
pub fn recursive_update(
    base: &mut Map,
    over: &Map,
    allowed: Option<&KeyPaths>,
    disallowed: Option<&KeyPaths>,
) -> Result<()> {
    for (key, value) in over.iter() {
        let (na, nd) = check_key(key, allowed, disallowed)?;
        let is_k8s = key.as_str() == Some("kubernetes");
        match get_mut(base, key) {
            Some(slot) if is_k8s => update_k8s(slot, value, na.as_ref(), nd.as_ref())?,
            Some(Value::Map(inner)) if value.as_map().is_some() => {
                recursive_update(inner, as_items(value)?, na.as_ref(), nd.as_ref())?
            }
            _ => base.insert(key.clone(), value.clone()),
        }
    }
    Ok(())
}

/// `_update_k8s_config`: the `kubernetes:` level of an override.
fn update_k8s(
    base: &mut Value,
    over: &Value,
    allowed: Option<&KeyPaths>,
    disallowed: Option<&KeyPaths>,
) -> Result<()> {
    for (key, value) in as_items(over)?.iter() {
        let (na, nd) = check_key(key, allowed, disallowed)?;
        let k8s_merge = matches!(key.as_str(), Some("custom_metadata" | "pod_config"));
        if k8s_merge && py_in(base, key)? {
            let slot = py_getitem(base, key)?;
            merge_k8s_configs(slot, value, na.as_ref(), nd.as_ref())?;
            continue;
        }
        if let Value::Map(over_inner) = value
            && py_in(base, key)?
            && let Value::Map(inner) = py_getitem(base, key)?
        {
            recursive_update(inner, over_inner, na.as_ref(), nd.as_ref())?;
            continue;
        }
        py_setitem(base, key, value)?;
    }
    Ok(())
}

/// `_validate_mergeable_types`: an override must have a shape the merge
/// can combine with the base value.
fn check_mergeable(key: &Value, base: &Value, over: &Value) -> Result<()> {
    let mergeable = match over {
        Value::Null => true,
        Value::Map(_) => matches!(base, Value::Map(_)),
        Value::Seq(_) => patch_merge_key(key) == Some(None) || matches!(base, Value::Seq(_)),
        _ => !matches!(base, Value::Map(_) | Value::Seq(_)),
    };
    if mergeable {
        return Ok(());
    }
    Err(Error::config(format!(
        "Cannot override config field {} of type {} with a value of type {}: {}.",
        key.py_repr(),
        base.py_type_name(),
        over.py_type_name(),
        over.py_repr()
    )))
}

/// What Python raises for `item.get(k)` on a non-dict list item.
fn item_get<'a>(item: &'a Value, key: &str) -> Result<Option<&'a Value>> {
    match item {
        Value::Map(m) => Ok(m.get(key).filter(|v| !v.is_null())),
        other => Err(Error::new(
            ErrorKind::Attribute,
            format!("'{}' object has no attribute 'get'", other.py_type_name()),
        )),
    }
}

/// `merge_k8s_configs`: dicts merge, patch-merge lists merge item by item
/// (by `name`, `mountPath`, ...), other lists are appended to.
pub fn merge_k8s_configs(
    base: &mut Value,
    over: &Value,
    allowed: Option<&KeyPaths>,
    disallowed: Option<&KeyPaths>,
) -> Result<()> {
    for (key, value) in as_items(over)?.iter() {
        let (na, nd) = check_key(key, allowed, disallowed)?;
        if !py_in(base, key)? {
            py_setitem(base, key, value)?;
            continue;
        }
        let slot = py_getitem(base, key)?;
        check_mergeable(key, slot, value)?;
        match value {
            Value::Map(_) => merge_k8s_configs(slot, value, na.as_ref(), nd.as_ref())?,
            Value::Seq(items) => match patch_merge_key(key) {
                Some(None) => *slot = value.clone(),
                Some(Some(merge_key)) => {
                    merge_list(slot, items, key, merge_key, na.as_ref(), nd.as_ref())?
                }
                None => {
                    if let Value::Seq(list) = slot {
                        list.extend(items.iter().cloned());
                    }
                }
            },
            _ => *slot = value.clone(),
        }
    }
    Ok(())
}

fn merge_list(
    slot: &mut Value,
    items: &[Value],
    key: &Value,
    merge_key: &str,
    allowed: Option<&KeyPaths>,
    disallowed: Option<&KeyPaths>,
) -> Result<()> {
    let Value::Seq(list) = slot else {
        return Ok(());
    };
    for item in items {
        if let Some(name) = item_get(item, merge_key)? {
            let mut found = None;
            for (i, existing) in list.iter().enumerate() {
                if item_get(existing, merge_key)? == Some(name) {
                    found = Some(i);
                    break;
                }
            }
            match found {
                // Items matched by name merge without key restrictions.
                Some(i) => merge_k8s_configs(&mut list[i], item, None, None)?,
                None => list.push(item.clone()),
            }
        } else if key.as_str() == Some("containers") && !list.is_empty() {
            // A container without a name merges into the first one.
            merge_k8s_configs(&mut list[0], item, allowed, disallowed)?;
        } else {
            list.push(item.clone());
        }
    }
    Ok(())
}

/// `_get_nested`: the value at `keys`, or `None` when a key is missing or
/// an intermediate value is not a dict.
pub fn lookup<'a>(config: &'a Map, keys: &[Value]) -> Option<&'a Value> {
    let (first, rest) = keys.split_first()?;
    let mut cur = config.get_value(first)?;
    for key in rest {
        cur = cur.as_map()?.get_value(key)?;
    }
    Some(cur)
}

/// `Config.get_nested`: the value at `keys` after merging `overrides`
/// (checked against the allowed and disallowed keys); `None` means the
/// caller's default. Empty `keys` give the whole merged config.
pub fn get_nested(
    config: &Map,
    keys: &[Value],
    overrides: Option<&Map>,
    allowed: Option<&KeyPaths>,
    disallowed: Option<&KeyPaths>,
) -> Result<Option<Value>> {
    let merged;
    let config = match overrides {
        Some(over) => {
            let mut copy = config.clone();
            recursive_update(&mut copy, over, allowed, disallowed)?;
            merged = copy;
            &merged
        }
        None => config,
    };
    if keys.is_empty() {
        return Ok(Some(Value::Map(config.clone())));
    }
    Ok(lookup(config, keys).cloned())
}

/// `Config.set_nested`: merges `{k1: {k2: ... value}}` into `config` (so a
/// dict value merges with what is there, as SkyPilot's does).
pub fn set_nested(config: &mut Map, keys: &[Value], value: Value) -> Result<()> {
    let Some((last, parents)) = keys.split_last() else {
        return Ok(());
    };
    let mut over = Map::new();
    over.insert(last.clone(), value);
    for key in parents.iter().rev() {
        let mut outer = Map::new();
        outer.insert(key.clone(), Value::Map(over));
        over = outer;
    }
    recursive_update(config, &over, None, None)
}

/// `Config.pop_nested`: removes and returns the value at `keys` (empty
/// `keys` return the whole config and remove nothing, as SkyPilot's do).
pub fn pop_nested(config: &mut Map, keys: &[Value]) -> Option<Value> {
    let Some((last, parents)) = keys.split_last() else {
        return Some(Value::Map(config.clone()));
    };
    let mut cur = config;
    for key in parents {
        match get_mut(cur, key) {
            Some(Value::Map(m)) => cur = m,
            _ => return None,
        }
    }
    let pos = cur.0.iter().position(|(k, _)| k == last)?;
    Some(cur.0.remove(pos).1)
}

/// `overlay_skypilot_config`: `override` merged onto a copy of `original`
/// with no key restrictions.
pub fn overlay(original: &Map, over: Option<&Map>) -> Result<Map> {
    let mut out = original.clone();
    if let Some(over) = over {
        recursive_update(&mut out, over, None, None)?;
    }
    Ok(out)
}
