//! `sky.Resources`: one normalised resource request, built from keyword
//! arguments or a YAML mapping exactly as SkyPilot's constructor does.

use crate::error::{Error, Result};
use crate::spec::infra::{Cloud, InfraInfo};
use crate::spec::units::{NumKind, normalize_local_disk, normalize_ports, parse_memory_resource, parse_time_minutes};
use crate::yaml::{Map, Value, py_float_repr, py_parse_float, py_str_repr};

/// SkyPilot's default OS disk size; a YAML value equal to it is "unset".
pub const DEFAULT_DISK_SIZE_GB: i64 = 256;
const DISK_TIERS: &[&str] = &["low", "medium", "high", "ultra", "best"];
const NETWORK_TIERS: &[&str] = &["standard", "best"];
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
        let base = |idle| AutostopConfig { enabled: true, idle_minutes: idle, down: false, wait_for: None };
        Ok(match v {
            Value::Bool(b) => Some(AutostopConfig { enabled: *b, ..base(0) }),
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
                        return Err(Error::value(format!("Unsupported autostop wait mode: {}", py_str_repr(&w))));
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

fn int_of(v: &Value, field: &str) -> Result<i64> {
    match v {
        Value::Int(i) => Ok(*i),
        Value::Float(f) if f.fract() == 0.0 => Ok(*f as i64),
        other => Err(Error::type_error(format!("{field} must be an int, got {}", other.py_type_name()))),
    }
}

fn str_of(v: &Value, field: &str) -> Result<String> {
    match v {
        Value::Str(s) => Ok(s.clone()),
        other => Err(Error::type_error(format!("{field} must be a str, got {}", other.py_type_name()))),
    }
}

fn bool_of(v: &Value) -> bool {
    v.truthy()
}

/// A normalised resource request (`sky.Resources`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Resources {
    pub cloud: Option<Cloud>,
    pub region: Option<String>,
    pub zone: Option<String>,
    pub instance_type: Option<String>,
    pub cpus: Option<String>,
    pub memory: Option<String>,
    /// Accelerator name -> count (int or float), in the order given.
    pub accelerators: Option<Map>,
    pub accelerator_args: Option<Map>,
    pub use_spot: bool,
    pub use_spot_specified: bool,
    pub job_recovery: Option<Map>,
    pub disk_size: Option<i64>,
    /// Region (or `None` for any region) -> image id.
    pub image_id: Option<Map>,
    pub docker_image: Option<String>,
    pub disk_tier: Option<String>,
    pub network_tier: Option<String>,
    pub local_disk: Option<String>,
    pub max_hourly_cost: Option<Value>,
    pub ports: Option<Vec<String>>,
    pub labels: Option<Map>,
    pub autostop: Option<AutostopConfig>,
    pub hooks: Option<Vec<Map>>,
    pub priority: Option<i64>,
    pub priority_class: Option<String>,
    pub volumes: Option<Vec<Map>>,
    pub docker_login_config: Option<Map>,
    pub docker_username_for_runpod: Option<String>,
    pub is_image_managed: Option<bool>,
    pub requires_fuse: Option<bool>,
    pub cluster_config_overrides: Option<Map>,
    pub no_missing_accel_warnings: Option<bool>,
}

/// Keyword arguments of `Resources.__init__` (absent = `None`).
pub type ResourcesArgs = Map;

fn arg<'a>(args: &'a Map, key: &str) -> Option<&'a Value> {
    args.get(key).filter(|v| !v.is_null())
}

impl Resources {
    /// `Resources.__init__(**args)`.
    pub fn new(args: &ResourcesArgs) -> Result<Resources> {
        let known = [
            "cloud", "instance_type", "cpus", "memory", "accelerators", "accelerator_args", "infra", "use_spot",
            "job_recovery", "region", "zone", "image_id", "disk_size", "disk_tier", "network_tier", "local_disk",
            "max_hourly_cost", "ports", "labels", "autostop", "hooks", "priority", "priority_class", "volumes",
            "_docker_login_config", "_docker_username_for_runpod", "_is_image_managed", "_requires_fuse",
            "_cluster_config_overrides", "_no_missing_accel_warnings",
        ];
        if let Some((k, _)) = args.iter().find(|(k, _)| !k.as_str().is_some_and(|k| known.contains(&k))) {
            return Err(Error::type_error(format!(
                "Resources.__init__() got an unexpected keyword argument {}",
                k.py_repr()
            )));
        }
        let mut r = Resources::default();
        let infra = arg(args, "infra").map(|v| str_of(v, "infra")).transpose()?;
        let cloud_arg = arg(args, "cloud");
        let region_arg = arg(args, "region").map(|v| str_of(v, "region")).transpose()?;
        let zone_arg = arg(args, "zone").map(|v| str_of(v, "zone")).transpose()?;
        if infra.is_some() && (cloud_arg.is_some() || region_arg.is_some() || zone_arg.is_some()) {
            let show = |v: Option<String>| v.unwrap_or_else(|| "None".into());
            return Err(Error::value(format!(
                "Cannot specify both `infra` and `cloud`, `region`, or `zone` parameters. Got: infra={}, cloud={}, region={}, zone={}",
                infra.clone().unwrap_or_default(),
                show(cloud_arg.map(|c| Cloud::from_str(&c.py_str()).map(|c| c.display().to_string()).unwrap_or_else(|_| c.py_str()))),
                show(region_arg.clone()),
                show(zone_arg.clone())
            )));
        }
        if let Some(infra) = &infra {
            let info = InfraInfo::parse(infra)?;
            r.cloud = info.cloud.as_deref().map(Cloud::from_str).transpose()?;
            r.region = info.region;
            r.zone = info.zone;
        } else {
            r.cloud = cloud_arg.map(|c| Cloud::from_str(&c.py_str())).transpose()?;
            r.region = region_arg;
            r.zone = zone_arg;
        }
        r.instance_type = arg(args, "instance_type").map(|v| str_of(v, "instance_type")).transpose()?;
        if let Some(v) = args.get("use_spot").filter(|v| !v.is_null()) {
            r.use_spot_specified = true;
            r.use_spot = bool_of(v);
        }
        if let Some(v) = arg(args, "job_recovery") {
            r.job_recovery = normalize_job_recovery(v)?;
        }
        if let Some(v) = arg(args, "disk_size") {
            let parsed = parse_memory_resource(v, "disk_size", NumKind::Int, false, false)?;
            let size: i64 = parsed.parse().map_err(|_| Error::value(format!("Invalid disk_size {}", v.py_repr())))?;
            if size <= 0 {
                return Err(Error::value(format!("\"disk_size\" must be a positive integer (in GB). Got: {}.", v.py_repr())));
            }
            r.disk_size = Some(size);
        }
        r.set_image_id(arg(args, "image_id"))?;
        r.is_image_managed = arg(args, "_is_image_managed").map(bool_of);
        r.disk_tier = tier(arg(args, "disk_tier"), DISK_TIERS, "disk_tier", "Disk")?;
        r.network_tier = tier(arg(args, "network_tier"), NETWORK_TIERS, "network_tier", "Network")?;
        if let Some(p) = arg(args, "ports") {
            r.ports = normalize_ports(p)?;
        }
        r.labels = arg(args, "labels").and_then(|v| v.as_map().cloned());
        r.docker_login_config = arg(args, "_docker_login_config").and_then(|v| v.as_map().cloned());
        r.docker_username_for_runpod = arg(args, "_docker_username_for_runpod").map(Value::py_str);
        r.requires_fuse = arg(args, "_requires_fuse").map(bool_of);
        r.cluster_config_overrides = arg(args, "_cluster_config_overrides").and_then(|v| v.as_map().cloned());
        r.no_missing_accel_warnings = arg(args, "_no_missing_accel_warnings").map(bool_of);
        r.set_cpus(arg(args, "cpus"))?;
        r.set_memory(arg(args, "memory"))?;
        r.set_accelerators(arg(args, "accelerators"), arg(args, "accelerator_args"))?;
        r.set_autostop_and_hooks(arg(args, "autostop"), arg(args, "hooks"))?;
        if let Some(p) = arg(args, "priority") {
            let p = int_of(p, "priority")?;
            if !(-1000..=1000).contains(&p) {
                return Err(Error::value(format!("Priority must be between -1000 and 1000. Found: {p}")));
            }
            r.priority = Some(p);
        }
        r.priority_class = arg(args, "priority_class").map(|v| v.py_str().trim().to_string()).filter(|s| !s.is_empty());
        r.set_volumes(arg(args, "volumes"))?;
        if let Some(ld) = arg(args, "local_disk") {
            r.local_disk = Some(normalize_local_disk(&ld.py_str())?);
        }
        r.max_hourly_cost = arg(args, "max_hourly_cost").cloned();
        Ok(r)
    }

    fn set_image_id(&mut self, v: Option<&Value>) -> Result<()> {
        match v {
            None => {}
            Some(Value::Str(s)) => {
                let mut m = Map::new();
                m.insert(Value::from(self.region.clone()), s.trim());
                self.image_id = Some(m);
            }
            Some(Value::Map(given)) => {
                let mut given = given.clone();
                if let Some(d) = given.remove("docker") {
                    let d = d.py_str().trim().to_string();
                    self.docker_image = Some(d.strip_prefix("docker:").unwrap_or(&d).to_string());
                }
                if given.is_empty() {
                    self.image_id = None;
                } else if let Some(any) = given.get_value(&Value::Null) {
                    let mut m = Map::new();
                    m.insert(Value::from(self.region.clone()), any.py_str().trim());
                    self.image_id = Some(m);
                } else {
                    let mut m = Map::new();
                    for (k, v) in given.iter() {
                        m.insert(k.py_str().trim(), v.py_str().trim());
                    }
                    self.image_id = Some(m);
                }
                if let (Some(_), Some(ids)) = (&self.docker_image, &self.image_id) {
                    let prefixed: Vec<String> = ids
                        .iter()
                        .filter(|(_, v)| v.as_str().is_some_and(|s| s.starts_with("docker:")))
                        .map(|(k, v)| format!("{} (region: {})", v.py_str(), k.py_str()))
                        .collect();
                    if !prefixed.is_empty() {
                        return Err(Error::value(format!(
                            "image_id has both a 'docker' key and docker:-prefixed region values: {}. Please use only one mechanism to specify the Docker image.",
                            prefixed.join(", ")
                        )));
                    }
                }
            }
            Some(other) => return Err(Error::type_error(format!("image_id must be a str or dict, got {}", other.py_type_name()))),
        }
        if self.cloud.is_some_and(|c| c.name() == "kubernetes") {
            if let Some(ids) = &mut self.image_id {
                for (_, v) in ids.0.iter_mut() {
                    if let Value::Str(s) = v {
                        if !s.starts_with("docker:") {
                            *s = format!("docker:{s}");
                        }
                    }
                }
            }
        }
        Ok(())
    }

    fn set_cpus(&mut self, v: Option<&Value>) -> Result<()> {
        let Some(v) = v else { return Ok(()) };
        let num = match v {
            Value::Str(s) => py_parse_float(s.strip_suffix('+').unwrap_or(s)).ok_or_else(|| {
                Error::value(format!(
                    "The \"cpus\" field should be either a number or a string \"<number>+\". Found: {}",
                    v.py_repr()
                ))
            })?,
            Value::Int(i) => *i as f64,
            Value::Float(f) => *f,
            Value::Bool(b) => f64::from(u8::from(*b)),
            other => return Err(Error::type_error(format!("float() argument must be a string or a real number, not '{}'", other.py_type_name()))),
        };
        self.cpus = Some(v.py_str());
        if num.is_nan() || num <= 0.0 {
            return Err(Error::value(format!("The \"cpus\" field should be positive. Found: {}", v.py_repr())));
        }
        Ok(())
    }

    fn set_memory(&mut self, v: Option<&Value>) -> Result<()> {
        let Some(v) = v else { return Ok(()) };
        let memory = parse_memory_resource(&Value::Str(v.py_str()), "memory", NumKind::Float, true, true)?;
        let num = memory.strip_suffix(['+', 'x']).unwrap_or(&memory);
        let gb = py_parse_float(num).ok_or_else(|| {
            Error::value(format!(
                "The \"memory\" field should be either a number or a string \"<number>+\". Found: {}",
                py_str_repr(&memory)
            ))
        })?;
        let slurm = self.cloud.is_some_and(|c| c.name() == "slurm");
        if gb < 0.0 || (gb == 0.0 && !slurm) {
            return Err(Error::value(format!("The \"memory\" field should be positive. Found: {}", py_str_repr(&memory))));
        }
        self.memory = Some(memory);
        Ok(())
    }

    fn set_accelerators(&mut self, v: Option<&Value>, args: Option<&Value>) -> Result<()> {
        let mut accel_args = args.and_then(|a| a.as_map().cloned());
        let Some(v) = v else {
            self.accelerator_args = accel_args;
            return Ok(());
        };
        let accels: Map = match v {
            Value::Str(s) if !s.contains(':') => {
                let mut m = Map::new();
                m.insert(s.as_str(), 1i64);
                m
            }
            Value::Str(s) => {
                let parse_error = || {
                    Error::value(format!(
                        "The \"accelerators\" field as a str should be <name> or <name>:<cnt>. Found: {}",
                        v.py_repr()
                    ))
                };
                let parts: Vec<&str> = s.split(':').collect();
                if parts.len() != 2 {
                    return Err(parse_error());
                }
                let n = py_parse_float(parts[1]).ok_or_else(parse_error)?;
                let mut m = Map::new();
                m.insert(parts[0], count_value(n));
                m
            }
            Value::Map(m) => m.clone(),
            other => return Err(Error::type_error(format!("accelerators must be a str or dict, got {}", other.py_type_name()))),
        };
        for (name, count) in accels.iter() {
            let positive = match count {
                Value::Int(i) => *i > 0,
                Value::Float(f) => *f > 0.0,
                Value::Bool(b) => *b,
                _ => false,
            };
            if !positive {
                return Err(Error::value(format!(
                    "Accelerator count must be a positive number. Got: {}: {}.",
                    name.py_repr(),
                    count.py_repr()
                )));
            }
        }
        if let Some((first, _)) = accels.iter().next() {
            let acc = first.py_str();
            if acc.to_lowercase().contains("tpu") {
                self.apply_tpu_defaults(&acc, &mut accel_args)?;
            }
        }
        self.accelerators = Some(accels);
        self.accelerator_args = accel_args;
        Ok(())
    }

    fn apply_tpu_defaults(&mut self, acc: &str, accel_args: &mut Option<Map>) -> Result<()> {
        // GKE TPU names (`tpu-v5-lite-podslice`, ...) run on Kubernetes.
        let on_gke = acc.starts_with("tpu-") && acc.contains("podslice") || acc.contains("-device");
        if self.cloud.is_none() {
            self.cloud = Some(Cloud::from_str(if on_gke { "kubernetes" } else { "gcp" })?);
        }
        let cloud = self.cloud.map(Cloud::name).unwrap_or_default();
        if cloud != "gcp" && cloud != "kubernetes" {
            return Err(Error::assertion("Cloud must be GCP or Kubernetes for TPU accelerators."));
        }
        let args = accel_args.get_or_insert_with(Map::new);
        let tpu_vm = args.get("tpu_vm").is_none_or(Value::truthy);
        if cloud == "gcp" && !on_gke {
            if !args.contains("runtime_version") {
                let version = if !tpu_vm {
                    "2.12.0"
                } else if acc.starts_with("tpu-v5") {
                    "v2-alpha-tpuv5"
                } else if acc.starts_with("tpu-v6e") {
                    "v2-alpha-tpuv6e"
                } else {
                    "tpu-vm-base"
                };
                args.insert("runtime_version", version);
            }
            if let Some(it) = &self.instance_type {
                if tpu_vm && it != "TPU-VM" {
                    return Err(Error::value(format!("Cannot specify instance type (got {}) for TPU VM.", py_str_repr(it))));
                }
            }
        }
        Ok(())
    }

    fn set_autostop_and_hooks(&mut self, autostop: Option<&Value>, hooks: Option<&Value>) -> Result<()> {
        let mut legacy = None;
        let mut autostop = autostop.cloned();
        if let Some(Value::Map(m)) = &mut autostop {
            let hook = m.remove("hook");
            let timeout = m.remove("hook_timeout");
            if let Some(hook) = hook.filter(|h| !h.is_null()) {
                let event = if m.get("down").is_some_and(Value::truthy) { "down" } else { "stop" };
                let mut entry = Map::new();
                entry.insert("run", hook);
                entry.insert("events", Value::Seq(vec![Value::from(event)]));
                entry.insert("timeout", timeout.unwrap_or(Value::Null));
                legacy = Some(normalize_hook(&entry));
            }
        }
        self.autostop = autostop.as_ref().map(AutostopConfig::from_value).transpose()?.flatten();
        let mut collected: Vec<Map> = Vec::new();
        if let Some(Value::Seq(items)) = hooks {
            for item in items {
                let m = item.as_map().ok_or_else(|| Error::type_error("each hook must be a dict"))?;
                collected.push(normalize_hook(m));
            }
        }
        collected.extend(legacy);
        self.hooks = (!collected.is_empty()).then_some(collected);
        Ok(())
    }

    fn set_volumes(&mut self, v: Option<&Value>) -> Result<()> {
        let items = match v {
            Some(Value::Seq(items)) if !items.is_empty() => items,
            _ => return Ok(()),
        };
        let mut out = Vec::new();
        for item in items {
            let Some(vol) = item.as_map() else { continue };
            let mut vol = vol.clone();
            if !vol.contains("path") {
                return Err(Error::value(format!("Invalid volume {}. Volume must have a \"path\" field.", item.py_repr())));
            }
            let lower = |v: Option<&Value>, allowed: &[&str], fallback: &str| -> String {
                let s = v.map(|s| s.py_str().to_lowercase()).unwrap_or_default();
                if allowed.contains(&s.as_str()) { s } else { fallback.to_string() }
            };
            let storage = lower(vol.get("storage_type"), &["network", "instance"], "network");
            vol.insert("storage_type", storage.as_str());
            if !vol.contains("auto_delete") {
                vol.insert("auto_delete", false);
            }
            let attach = lower(vol.get("attach_mode"), &["read_write", "read_only"], "read_write");
            vol.insert("attach_mode", attach.as_str());
            if storage == "network" {
                if let Some(Value::Float(f)) = vol.get("disk_size") {
                    if f.round() != *f {
                        return Err(Error::value(format!("Volume size must be an integer. Got: {}.", py_float_repr(*f))));
                    }
                }
                if !vol.contains("name") {
                    return Err(Error::value(format!("Network volume {} must have \"name\" field.", vol.get("path").map(Value::py_str).unwrap_or_default())));
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

fn count_value(n: f64) -> Value {
    if n.fract() == 0.0 && n.abs() < 9.0e15 { Value::Int(n as i64) } else { Value::Float(n) }
}

fn normalize_hook(entry: &Map) -> Map {
    let mut out = Map::new();
    out.insert("run", entry.get("run").cloned().unwrap_or(Value::Null));
    let events = match entry.get("events") {
        Some(Value::Seq(e)) if !e.is_empty() => e.clone(),
        _ => HOOK_EVENTS.iter().map(|e| Value::from(*e)).collect(),
    };
    out.insert("events", Value::Seq(events));
    out.insert("timeout", entry.get("timeout").filter(|t| !t.is_null()).cloned().unwrap_or(Value::Int(DEFAULT_HOOK_TIMEOUT)));
    out
}

fn tier(v: Option<&Value>, allowed: &[&str], field: &str, label: &str) -> Result<Option<String>> {
    let Some(v) = v else { return Ok(None) };
    let s = v.py_str().to_lowercase();
    if !allowed.contains(&s.as_str()) {
        return Err(Error::value(format!(
            "Invalid {field} {}. {label} tier must be one of {}.",
            py_str_repr(&s),
            allowed.join(", ")
        )));
    }
    Ok(Some(s))
}

fn normalize_job_recovery(v: &Value) -> Result<Option<Map>> {
    let mut m = match v {
        Value::Str(s) => {
            let mut m = Map::new();
            m.insert("strategy", s.as_str());
            m
        }
        Value::Map(m) => m.clone(),
        other => return Err(Error::type_error(format!("job_recovery must be a str or dict, got {}", other.py_type_name()))),
    };
    if !m.contains("strategy") {
        m.insert("strategy", Value::Null);
    }
    match m.get("strategy") {
        Some(Value::Str(s)) if s == "none" => Ok(None),
        Some(Value::Str(s)) => {
            let upper = s.to_uppercase();
            m.insert("strategy", upper);
            Ok(Some(m))
        }
        _ => Ok(Some(m)),
    }
}
