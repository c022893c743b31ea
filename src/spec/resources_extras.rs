//! Autostop, lifecycle hooks and volumes of a [`Resources`]: the parts of
//! SkyPilot's constructor that normalise nested structures.

use crate::error::{Error, Result};
use crate::spec::resources::{DISK_TIERS, Resources, int_of};
use crate::spec::units::parse_time_minutes;
use crate::yaml::{Map, Value, py_float_repr, py_str_repr};

const HOOK_EVENTS: &[&str] = &["stop", "preemption", "down"];
const DEFAULT_HOOK_TIMEOUT: i64 = 3600;

/// `AutostopConfig`: parsed `autostop:`.
#[derive(Debug, Clone, PartialEq)]
pub struct AutostopConfig {
    /// False only for `autostop: false`.
    pub enabled: bool,
    /// Idle minutes before stopping.
    pub idle_minutes: i64,
    /// Tear down instead of stopping.
    pub down: bool,
    /// `jobs_and_ssh`, `jobs` or `none`.
    pub wait_for: Option<String>,
}

impl AutostopConfig {
    fn from_value(v: &Value) -> Result<Option<AutostopConfig>> {
        let base = |idle| AutostopConfig {
            enabled: true,
            idle_minutes: idle,
            down: false,
            wait_for: None,
        };
        Ok(match v {
            Value::Bool(b) => Some(AutostopConfig {
                enabled: *b,
                ..base(0)
            }),
            Value::Int(i) => Some(base(*i)),
            Value::Str(s) => Some(base(parse_time_minutes(s)?)),
            Value::Map(m) => {
                let mut c = base(0);
                if let Some(i) = m.get("idle_minutes") {
                    c.idle_minutes = int_of(i, "idle_minutes")?;
                }
                if let Some(Value::Bool(d)) = m.get("down") {
                    c.down = *d;
                }
                if let Some(w) = m.get("wait_for") {
                    let w = w.py_str().to_lowercase();
                    if !["jobs_and_ssh", "jobs", "none"].contains(&w.as_str()) {
                        return Err(Error::value(format!(
                            "Unsupported autostop wait mode: {}",
                            py_str_repr(&w)
                        )));
                    }
                    c.wait_for = Some(w);
                }
                Some(c)
            }
            _ => None,
        })
    }

    /// `AutostopConfig.to_yaml_config()`.
    pub fn to_value(&self) -> Value {
        if !self.enabled {
            return Value::Bool(false);
        }
        let mut m = Map::new();
        m.insert("idle_minutes", self.idle_minutes);
        m.insert("down", self.down);
        if let Some(w) = &self.wait_for {
            m.insert("wait_for", w.as_str());
        }
        Value::Map(m)
    }
}

impl Resources {
    pub(crate) fn set_autostop_and_hooks(
        &mut self,
        autostop: Option<&Value>,
        hooks: Option<&Value>,
    ) -> Result<()> {
        let mut legacy = None;
        let mut autostop = autostop.cloned();
        if let Some(Value::Map(m)) = &mut autostop {
            let hook = m.remove("hook");
            let timeout = m.remove("hook_timeout");
            if let Some(hook) = hook.filter(|h| !h.is_null()) {
                let event = if m.get("down").is_some_and(Value::truthy) {
                    "down"
                } else {
                    "stop"
                };
                let mut entry = Map::new();
                entry.insert("run", hook);
                entry.insert("events", Value::Seq(vec![Value::from(event)]));
                entry.insert("timeout", timeout.unwrap_or(Value::Null));
                legacy = Some(normalize_hook(&entry));
            }
        }
        self.autostop = autostop
            .as_ref()
            .map(AutostopConfig::from_value)
            .transpose()?
            .flatten();
        let mut collected: Vec<Map> = Vec::new();
        if let Some(Value::Seq(items)) = hooks {
            for item in items {
                let m = item
                    .as_map()
                    .ok_or_else(|| Error::type_error("each hook must be a dict"))?;
                collected.push(normalize_hook(m));
            }
        }
        collected.extend(legacy);
        self.hooks = (!collected.is_empty()).then_some(collected);
        Ok(())
    }

    pub(crate) fn set_volumes(&mut self, v: Option<&Value>) -> Result<()> {
        let items = match v {
            Some(Value::Seq(items)) if !items.is_empty() => items,
            _ => return Ok(()),
        };
        let mut out = Vec::new();
        for item in items {
            let Some(vol) = item.as_map() else { continue };
            let mut vol = vol.clone();
            if !vol.contains("path") {
                return Err(Error::value(format!(
                    "Invalid volume {}. Volume must have a \"path\" field.",
                    item.py_repr()
                )));
            }
            let lower = |v: Option<&Value>, allowed: &[&str], fallback: &str| -> String {
                let s = v.map(|s| s.py_str().to_lowercase()).unwrap_or_default();
                if allowed.contains(&s.as_str()) {
                    s
                } else {
                    fallback.to_string()
                }
            };
            let storage = lower(vol.get("storage_type"), &["network", "instance"], "network");
            vol.insert("storage_type", storage.as_str());
            if !vol.contains("auto_delete") {
                vol.insert("auto_delete", false);
            }
            let attach = lower(
                vol.get("attach_mode"),
                &["read_write", "read_only"],
                "read_write",
            );
            vol.insert("attach_mode", attach.as_str());
            if storage == "network" {
                if let Some(Value::Float(f)) = vol.get("disk_size")
                    && f.round() != *f
                {
                    return Err(Error::value(format!(
                        "Volume size must be an integer. Got: {}.",
                        py_float_repr(*f)
                    )));
                }
                if !vol.contains("name") {
                    return Err(Error::value(format!(
                        "Network volume {} must have \"name\" field.",
                        vol.get("path").map(Value::py_str).unwrap_or_default()
                    )));
                }
            } else {
                vol.remove("name");
            }
            if vol.contains("disk_tier") {
                let t = lower(vol.get("disk_tier"), DISK_TIERS, "best");
                vol.insert("disk_tier", t.as_str());
            } else if storage == "network" {
                vol.insert("disk_tier", "best");
            }
            out.push(vol);
        }
        self.volumes = Some(out);
        Ok(())
    }
}

fn normalize_hook(entry: &Map) -> Map {
    let mut out = Map::new();
    out.insert("run", entry.get("run").cloned().unwrap_or(Value::Null));
    let events = match entry.get("events") {
        Some(Value::Seq(e)) if !e.is_empty() => e.clone(),
        _ => HOOK_EVENTS.iter().map(|e| Value::from(*e)).collect(),
    };
    out.insert("events", Value::Seq(events));
    out.insert(
        "timeout",
        entry
            .get("timeout")
            .filter(|t| !t.is_null())
            .cloned()
            .unwrap_or(Value::Int(DEFAULT_HOOK_TIMEOUT)),
    );
    out
}
