//! `sky.Resources`: one normalised resource request, built from keyword
//! arguments or a YAML mapping exactly as SkyPilot's constructor does.

use crate::error::{Error, Result};
use crate::spec::infra::{Cloud, InfraInfo};
use crate::spec::resources_extras::AutostopConfig;
use crate::spec::units::{NumKind, normalize_local_disk, normalize_ports, parse_memory_resource};
use crate::yaml::{Map, Value, py_parse_float, py_str_repr};

/// SkyPilot's default OS disk size; a YAML value equal to it is "unset".
pub const DEFAULT_DISK_SIZE_GB: i64 = 256;
pub(crate) const DISK_TIERS: &[&str] = &["low", "medium", "high", "ultra", "best"];
const NETWORK_TIERS: &[&str] = &["standard", "best"];

pub(crate) fn int_of(v: &Value, field: &str) -> Result<i64> {
    match v {
        Value::Int(i) => Ok(*i),
        Value::Float(f) if f.fract() == 0.0 => Ok(*f as i64),
        other => Err(Error::type_error(format!(
            "{field} must be an int, got {}",
            other.py_type_name()
        ))),
    }
}

fn str_of(v: &Value, field: &str) -> Result<String> {
    match v {
        Value::Str(s) => Ok(s.clone()),
        other => Err(Error::type_error(format!(
            "{field} must be a str, got {}",
            other.py_type_name()
        ))),
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

/// `Resources.__init__` parameters in signature order (the first
/// [`POSITIONAL_ARGS`] may be passed positionally).
pub const RESOURCE_ARGS: &[&str] = &[
    "cloud",
    "instance_type",
    "cpus",
    "memory",
    "accelerators",
    "accelerator_args",
    "infra",
    "use_spot",
    "job_recovery",
    "region",
    "zone",
    "image_id",
    "disk_size",
    "disk_tier",
    "network_tier",
    "local_disk",
    "max_hourly_cost",
    "ports",
    "labels",
    "autostop",
    "hooks",
    "priority",
    "priority_class",
    "volumes",
    "_docker_login_config",
    "_docker_username_for_runpod",
    "_is_image_managed",
    "_requires_fuse",
    "_cluster_config_overrides",
    "_no_missing_accel_warnings",
];
/// How many of [`RESOURCE_ARGS`] are positional-or-keyword.
pub const POSITIONAL_ARGS: usize = 24;

/// Keyword arguments of `Resources.__init__` (absent = `None`).
pub type ResourcesArgs = Map;

fn arg<'a>(args: &'a Map, key: &str) -> Option<&'a Value> {
    args.get(key).filter(|v| !v.is_null())
}

impl Resources {
    /// `Resources.__init__(**args)`.
    pub fn new(args: &ResourcesArgs) -> Result<Resources> {
        if let Some((k, _)) = args
            .iter()
            .find(|(k, _)| !k.as_str().is_some_and(|k| RESOURCE_ARGS.contains(&k)))
        {
            return Err(Error::type_error(format!(
                "Resources.__init__() got an unexpected keyword argument {}",
                k.py_repr()
            )));
        }
        let mut r = Resources::default();
        let infra = arg(args, "infra").map(|v| str_of(v, "infra")).transpose()?;
        let cloud_arg = arg(args, "cloud");
        let region_arg = arg(args, "region")
            .map(|v| str_of(v, "region"))
            .transpose()?;
        let zone_arg = arg(args, "zone").map(|v| str_of(v, "zone")).transpose()?;
        if infra.is_some() && (cloud_arg.is_some() || region_arg.is_some() || zone_arg.is_some()) {
            let show = |v: Option<String>| v.unwrap_or_else(|| "None".into());
            return Err(Error::value(format!(
                "Cannot specify both `infra` and `cloud`, `region`, or `zone` parameters. Got: infra={}, cloud={}, region={}, zone={}",
                infra.clone().unwrap_or_default(),
                show(cloud_arg.map(|c| {
                    Cloud::from_str(&c.py_str())
                        .map(|c| c.display().to_string())
                        .unwrap_or_else(|_| c.py_str())
                })),
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
            r.cloud = cloud_arg
                .map(|c| Cloud::from_str(&c.py_str()))
                .transpose()?;
            r.region = region_arg;
            r.zone = zone_arg;
        }
        r.instance_type = arg(args, "instance_type")
            .map(|v| str_of(v, "instance_type"))
            .transpose()?;
        if let Some(v) = args.get("use_spot").filter(|v| !v.is_null()) {
            r.use_spot_specified = true;
            r.use_spot = bool_of(v);
        }
        if let Some(v) = arg(args, "job_recovery") {
            r.job_recovery = normalize_job_recovery(v)?;
        }
        if let Some(v) = arg(args, "disk_size") {
            let parsed = parse_memory_resource(v, "disk_size", NumKind::Int, false, false)?;
            let size: i64 = parsed
                .parse()
                .map_err(|_| Error::value(format!("Invalid disk_size {}", v.py_repr())))?;
            if size <= 0 {
                return Err(Error::value(format!(
                    "\"disk_size\" must be a positive integer (in GB). Got: {}.",
                    v.py_repr()
                )));
            }
            r.disk_size = Some(size);
        }
        r.set_image_id(arg(args, "image_id"))?;
        r.is_image_managed = arg(args, "_is_image_managed").map(bool_of);
        r.disk_tier = tier(arg(args, "disk_tier"), DISK_TIERS, "disk_tier", "Disk")?;
        r.network_tier = tier(
            arg(args, "network_tier"),
            NETWORK_TIERS,
            "network_tier",
            "Network",
        )?;
        if let Some(p) = arg(args, "ports") {
            r.ports = normalize_ports(p)?;
        }
        r.labels = arg(args, "labels").and_then(|v| v.as_map().cloned());
        r.docker_login_config = arg(args, "_docker_login_config").and_then(|v| v.as_map().cloned());
        r.docker_username_for_runpod = arg(args, "_docker_username_for_runpod").map(Value::py_str);
        r.requires_fuse = arg(args, "_requires_fuse").map(bool_of);
        r.cluster_config_overrides =
            arg(args, "_cluster_config_overrides").and_then(|v| v.as_map().cloned());
        r.no_missing_accel_warnings = arg(args, "_no_missing_accel_warnings").map(bool_of);
        r.set_cpus(arg(args, "cpus"))?;
        r.set_memory(arg(args, "memory"))?;
        r.set_accelerators(arg(args, "accelerators"), arg(args, "accelerator_args"))?;
        r.set_autostop_and_hooks(arg(args, "autostop"), arg(args, "hooks"))?;
        if let Some(p) = arg(args, "priority") {
            let p = int_of(p, "priority")?;
            if !(-1000..=1000).contains(&p) {
                return Err(Error::value(format!(
                    "Priority must be between -1000 and 1000. Found: {p}"
                )));
            }
            r.priority = Some(p);
        }
        r.priority_class = arg(args, "priority_class")
            .map(|v| v.py_str().trim().to_string())
            .filter(|s| !s.is_empty());
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
            Some(other) => {
                return Err(Error::type_error(format!(
                    "image_id must be a str or dict, got {}",
                    other.py_type_name()
                )));
            }
        }
        if self.cloud.is_some_and(|c| c.name() == "kubernetes")
            && let Some(ids) = &mut self.image_id
        {
            for (_, v) in ids.0.iter_mut() {
                if let Value::Str(s) = v
                    && !s.starts_with("docker:")
                {
                    *s = format!("docker:{s}");
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
            return Err(Error::value(format!(
                "The \"cpus\" field should be positive. Found: {}",
                v.py_repr()
            )));
        }
        Ok(())
    }

    fn set_memory(&mut self, v: Option<&Value>) -> Result<()> {
        let Some(v) = v else { return Ok(()) };
        let memory = parse_memory_resource(
            &Value::Str(v.py_str()),
            "memory",
            NumKind::Float,
            true,
            true,
        )?;
        let num = memory.strip_suffix(['+', 'x']).unwrap_or(&memory);
        let gb = py_parse_float(num).ok_or_else(|| {
            Error::value(format!(
                "The \"memory\" field should be either a number or a string \"<number>+\". Found: {}",
                py_str_repr(&memory)
            ))
        })?;
        let slurm = self.cloud.is_some_and(|c| c.name() == "slurm");
        if gb < 0.0 || (gb == 0.0 && !slurm) {
            return Err(Error::value(format!(
                "The \"memory\" field should be positive. Found: {}",
                py_str_repr(&memory)
            )));
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
            other => {
                return Err(Error::type_error(format!(
                    "accelerators must be a str or dict, got {}",
                    other.py_type_name()
                )));
            }
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
            return Err(Error::assertion(
                "Cloud must be GCP or Kubernetes for TPU accelerators.",
            ));
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
            if let Some(it) = &self.instance_type
                && tpu_vm
                && it != "TPU-VM"
            {
                return Err(Error::value(format!(
                    "Cannot specify instance type (got {}) for TPU VM.",
                    py_str_repr(it)
                )));
            }
        }
        Ok(())
    }
}

fn count_value(n: f64) -> Value {
    if n.fract() == 0.0 && n.abs() < 9.0e15 {
        Value::Int(n as i64)
    } else {
        Value::Float(n)
    }
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
        other => {
            return Err(Error::type_error(format!(
                "job_recovery must be a str or dict, got {}",
                other.py_type_name()
            )));
        }
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
