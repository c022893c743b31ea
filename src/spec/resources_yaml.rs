//! `Resources.from_yaml_config` / `to_yaml_config` / `repr`: the YAML forms
//! of resources (`any_of`, `ordered`, accelerator sets and lists).

use crate::error::{Error, Result, schema_error};
use crate::spec::resources::{DEFAULT_DISK_SIZE_GB, RESOURCE_ARGS, Resources};
use crate::spec::schema::first_error;
use crate::spec::schemas;
use crate::spec::units::{NumKind, parse_memory_resource};
use crate::yaml::{Map, Value, py_float_repr, py_str_repr};

/// A task's candidate resources: a set (`any_of`) or a preference list (`ordered`).
#[derive(Debug, Clone, PartialEq)]
pub enum ResourceGroup {
    /// Any of these; the optimizer picks the cheapest (a Python `set`).
    AnyOf(Vec<Resources>),
    /// Try in this order (a Python `list`).
    Ordered(Vec<Resources>),
}

impl ResourceGroup {
    /// The candidates, in order.
    pub fn items(&self) -> &[Resources] {
        match self {
            ResourceGroup::AnyOf(v) | ResourceGroup::Ordered(v) => v,
        }
    }
    /// Mutable candidates.
    pub fn items_mut(&mut self) -> &mut Vec<Resources> {
        match self {
            ResourceGroup::AnyOf(v) | ResourceGroup::Ordered(v) => v,
        }
    }
    /// Whether this is an ordered list.
    pub fn is_ordered(&self) -> bool {
        matches!(self, ResourceGroup::Ordered(_))
    }
    /// Python's `repr()` of the `list` or `set` of `Resources`.
    pub fn py_repr(&self) -> String {
        let parts: Vec<String> = self.items().iter().map(Resources::repr).collect();
        match self {
            ResourceGroup::Ordered(_) => format!("[{}]", parts.join(", ")),
            ResourceGroup::AnyOf(_) => format!("{{{}}}", parts.join(", ")),
        }
    }
}

impl Default for ResourceGroup {
    fn default() -> Self {
        ResourceGroup::AnyOf(vec![Resources::default()])
    }
}

/// Validates `obj` against `schema` as `common_utils.validate_schema` does.
pub fn validate_schema(
    obj: &Value,
    schema: &crate::spec::schema::Schema,
    prefix: &str,
    skip_none: bool,
) -> Result<()> {
    let stripped;
    let obj = match obj {
        Value::Map(m) if skip_none => {
            stripped = Value::Map(Map(m
                .iter()
                .filter(|(_, v)| !v.is_null())
                .cloned()
                .collect()));
            &stripped
        }
        other => other,
    };
    match first_error(obj, schema) {
        Some((err, path)) => Err(schema_error(prefix, err, &path)),
        None => Ok(()),
    }
}

fn apply_aliases(config: &mut Map) -> Result<()> {
    if let Some(v) = config.remove("gpus") {
        if config.contains("accelerators") {
            return Err(Error::config(
                "Cannot specify both gpus and accelerators in config.",
            ));
        }
        config.insert("accelerators", v);
    }
    Ok(())
}

fn is_memory_spec(s: &str) -> bool {
    let b = s.as_bytes();
    let s = s.strip_suffix('+').unwrap_or(s);
    let digits = s.len().saturating_sub(2);
    b.len() >= 3
        && s.len() > 2
        && s[..digits].bytes().all(|c| c.is_ascii_digit())
        && matches!(
            s.as_bytes()[digits].to_ascii_lowercase(),
            b'g' | b'm' | b't'
        )
        && s.as_bytes()[digits + 1].eq_ignore_ascii_case(&b'b')
}

/// `_parse_accelerators_from_str`: names pass through; memory-based
/// requests (`80GB+`, `nvidia:24GB:2`) expand into every device the
/// catalog lists with that much memory (not user-named, so `false`).
fn parse_accelerator_str(s: &str) -> Result<Vec<(String, bool)>> {
    let parts: Vec<&str> = s.split(':').collect();
    let count = |c: &str| {
        crate::yaml::py_parse_int(c).ok_or_else(|| {
            Error::value(format!(
                "invalid literal for int() with base 10: {}",
                py_str_repr(c)
            ))
        })
    };
    let (maker, memory, n) = match parts.as_slice() {
        [maker, mem, c] => {
            if !is_memory_spec(mem) {
                return Err(Error::assertion(
                    "If specifying a GPU manufacturer, you must alsospecify the memory size",
                ));
            }
            (Some(*maker), *mem, count(c)?)
        }
        [mem, c] if is_memory_spec(mem) => (None, *mem, count(c)?),
        [maker, mem] if is_memory_spec(mem) => (Some(*maker), *mem, 1),
        [mem] if is_memory_spec(mem) => (None, *mem, 1),
        _ => return Ok(vec![(s.to_string(), true)]),
    };
    let parsed = crate::spec::units::parse_memory_resource(
        &Value::from(memory),
        "accelerators",
        crate::spec::units::NumKind::Int,
        true,
        false,
    )?;
    let plus = parsed.ends_with('+');
    let gb: f64 = parsed.trim_end_matches('+').parse().map_err(|_| {
        Error::value(format!(
            "invalid literal for int() with base 10: {}",
            py_str_repr(&parsed)
        ))
    })?;
    let registry = crate::catalog::Catalogs::shared().accelerator_registry()?;
    Ok(registry
        .devices_by_memory(gb, plus, maker)
        .into_iter()
        .map(|d| (format!("{d}:{n}"), false))
        .collect())
}

/// `Resources.from_yaml_config`.
pub fn from_yaml_config(config: Option<&Value>) -> Result<ResourceGroup> {
    let mut config = match config {
        None | Some(Value::Null) => return Ok(ResourceGroup::default()),
        Some(Value::Map(m)) => m.clone(),
        Some(other) => {
            return Err(Error::config(format!(
                "Invalid resources YAML: {} is not of type 'dict'. Check problematic field(s): $",
                other.py_repr()
            )));
        }
    };
    apply_aliases(&mut config)?;
    for key in ["any_of", "ordered"] {
        if let Some(Value::Seq(items)) = config.get(key).cloned() {
            let mut fixed = Vec::new();
            for item in items {
                match item {
                    Value::Map(mut m) => {
                        apply_aliases(&mut m)?;
                        fixed.push(Value::Map(m));
                    }
                    other => fixed.push(other),
                }
            }
            config.insert(key, Value::Seq(fixed));
        }
    }
    let hooks = config.remove("hooks");
    validate_schema(
        &Value::Map(config.clone()),
        schemas::resources(),
        "Invalid resources YAML: ",
        true,
    )?;
    if let Some(h) = hooks {
        config.insert("hooks", h);
    }
    build(config)
}

fn build(mut config: Map) -> Result<ResourceGroup> {
    let any_of = config.pop("any_of");
    let ordered = config.pop("ordered");
    if any_of.is_some() && ordered.is_some() {
        return Err(Error::value(
            "Cannot specify both \"any_of\" and \"ordered\" in resources.",
        ));
    }
    let mut accels: Option<(Vec<(String, bool)>, bool)> = None;
    if let Some(a) = config
        .get("accelerators")
        .filter(|v| !v.is_null() && !config.is_empty())
    {
        let (names, is_list): (Vec<String>, bool) = match a {
            Value::Str(s) => (vec![s.clone()], false),
            Value::Map(m) => (
                m.iter()
                    .map(|(k, v)| {
                        if v.is_null() {
                            k.py_str()
                        } else {
                            format!("{}:{}", k.py_str(), v.py_str())
                        }
                    })
                    .collect(),
                false,
            ),
            Value::Seq(items) => (items.iter().map(Value::py_str).collect(), true),
            other => {
                return Err(Error::assertion(format!(
                    "Invalid accelerators type:{}",
                    other.py_type_name()
                )));
            }
        };
        let mut merged: Vec<(String, bool)> = Vec::new();
        for n in names {
            for (acc, user) in parse_accelerator_str(&n)? {
                match merged.iter_mut().find(|(a, _)| *a == acc) {
                    Some(slot) => slot.1 |= user,
                    None => merged.push((acc, user)),
                }
            }
        }
        if merged.len() > 1 && ordered.is_some() {
            return Err(Error::value(
                "Cannot specify multiple \"accelerators\" with \"ordered\" in resources.",
            ));
        }
        if merged.len() > 1 && any_of.is_some() && is_list {
            return Err(Error::value(
                "Cannot specify multiple \"accelerators\" with preferred order (i.e., list of accelerators) with \"any_of\" in resources.",
            ));
        }
        accels = Some((merged, is_list));
    }
    if let Some(Value::Seq(items)) = any_of.as_ref().filter(|v| v.truthy()) {
        return Ok(ResourceGroup::AnyOf(override_each(&config, items)?));
    }
    if let Some(Value::Seq(items)) = ordered.as_ref().filter(|v| v.truthy()) {
        return Ok(ResourceGroup::Ordered(override_each(&config, items)?));
    }
    if let Some((list, is_list)) = accels.filter(|(l, _)| !l.is_empty()) {
        let mut out = Vec::new();
        for (acc, user) in list {
            let mut single = config.clone();
            single.insert("accelerators", acc.as_str());
            if !user {
                single.insert("_no_missing_accel_warnings", true);
            }
            out.push(from_single(single)?);
        }
        return Ok(if is_list {
            ResourceGroup::Ordered(out)
        } else {
            ResourceGroup::AnyOf(out)
        });
    }
    Ok(ResourceGroup::AnyOf(vec![from_single(config)?]))
}

/// Merges the shared fields into each candidate (labels merged key-wise).
fn override_each(base: &Map, overrides: &[Value]) -> Result<Vec<Resources>> {
    let mut base = base.clone();
    let mut out = Vec::new();
    for o in overrides {
        let mut o = o.as_map().cloned().unwrap_or_default();
        let mut merged = base.clone();
        let override_labels = o.remove("labels");
        for (k, v) in o.iter() {
            merged.insert(k.clone(), v.clone());
        }
        let labels = match (merged.get("labels").cloned(), override_labels) {
            (Some(Value::Map(mut l)), Some(Value::Map(ol))) => {
                for (k, v) in ol.iter() {
                    l.insert(k.clone(), v.clone());
                }
                // SkyPilot updates the shared base `labels` dict in place, so
                // later candidates see earlier overrides; keep that behaviour.
                if base.get("labels").is_some_and(|b| b.as_map().is_some()) {
                    base.insert("labels", Value::Map(l.clone()));
                }
                Value::Map(l)
            }
            (Some(l), None) => l,
            (_, Some(ol)) => ol,
            (None, None) => Value::Null,
        };
        merged.insert("labels", labels);
        out.extend(build(merged)?.items().iter().cloned());
    }
    Ok(out)
}

/// `_from_yaml_config_single`.
fn from_single(mut config: Map) -> Result<Resources> {
    let mut args = Map::new();
    // Every constructor argument is read under its own name, except the two
    // that need more than a copy (below).
    for &key in RESOURCE_ARGS {
        if !matches!(key, "job_recovery" | "_cluster_config_overrides") {
            args.insert(key, config.remove(key).unwrap_or(Value::Null));
        }
    }
    // `spot_recovery` is the old name of `job_recovery` and wins over it.
    let recovery = match config.remove("spot_recovery").filter(|v| !v.is_null()) {
        Some(v) => {
            config.remove("job_recovery");
            v
        }
        None => config.remove("job_recovery").unwrap_or(Value::Null),
    };
    args.insert("job_recovery", recovery);
    let overrides = config
        .remove("_cluster_config_overrides")
        .filter(Value::truthy);
    if let Some(o) = &overrides {
        validate_schema(
            o,
            schemas::task_config(),
            "Invalid resources.config override: ",
            false,
        )?;
    }
    args.insert(
        "_cluster_config_overrides",
        overrides.unwrap_or(Value::Null),
    );
    for key in ["cpus", "memory", "local_disk"] {
        if let Some(v) = args.get(key).filter(|v| !v.is_null()) {
            let s = v.py_str();
            args.insert(key, s);
        }
    }
    if let Some(v) = args.get("disk_size").filter(|v| !v.is_null()).cloned() {
        let size = parse_memory_resource(
            &Value::Str(v.py_str()),
            "disk_size",
            NumKind::Int,
            false,
            false,
        )?;
        if size.parse::<i64>().ok() == Some(DEFAULT_DISK_SIZE_GB) {
            args.insert("disk_size", Value::Null);
        } else {
            args.insert("disk_size", v.py_str());
        }
    }
    config.remove("ephemeral_storage");
    if !config.is_empty() {
        let keys: Vec<String> = config.keys().map(Value::py_repr).collect();
        return Err(Error::assertion(format!(
            "Invalid resource args: dict_keys([{}])",
            keys.join(", ")
        )));
    }
    Resources::new(&args)
}

impl Resources {
    /// `Resources.to_yaml_config()`.
    pub fn to_yaml_config(&self, redact_secrets: bool) -> Map {
        let mut c = Map::new();
        let infra = crate::spec::infra::InfraInfo::new(
            self.cloud.map(|c| c.display().to_string()),
            self.region.clone(),
            self.zone.clone(),
        );
        if let Some(i) = infra.to_str() {
            c.insert("infra", i);
        }
        let mut put = |k: &str, v: Option<Value>| {
            if let Some(v) = v.filter(|v| !v.is_null() && v.as_str() != Some("None")) {
                c.insert(k, v);
            }
        };
        put("instance_type", self.instance_type.clone().map(Value::from));
        put("cpus", self.cpus.clone().map(Value::from));
        put("memory", self.memory.clone().map(Value::from));
        put("accelerators", self.accelerators.clone().map(Value::Map));
        put(
            "accelerator_args",
            self.accelerator_args.clone().map(Value::Map),
        );
        if self.use_spot_specified {
            put("use_spot", Some(Value::Bool(self.use_spot)));
        }
        put("job_recovery", self.job_recovery.clone().map(Value::Map));
        put("disk_size", self.disk_size.map(Value::Int));
        let mut image = self.image_id.clone();
        if let Some(d) = &self.docker_image {
            image
                .get_or_insert_with(Map::new)
                .insert("docker", d.as_str());
        }
        put("image_id", image.map(Value::Map));
        put("disk_tier", self.disk_tier.clone().map(Value::from));
        put("network_tier", self.network_tier.clone().map(Value::from));
        put("local_disk", self.local_disk.clone().map(Value::from));
        put("max_hourly_cost", self.max_hourly_cost.clone());
        put(
            "ports",
            self.ports
                .clone()
                .map(|p| Value::Seq(p.into_iter().map(Value::from).collect())),
        );
        put("labels", self.labels.clone().map(Value::Map));
        if let Some(vols) = &self.volumes {
            c.insert(
                "volumes",
                Value::Seq(vols.iter().cloned().map(Value::Map).collect()),
            );
        }
        if let Some(a) = &self.autostop {
            c.insert("autostop", a.to_value());
        }
        let mut put = |k: &str, v: Option<Value>| {
            if let Some(v) = v.filter(|v| !v.is_null() && v.as_str() != Some("None")) {
                c.insert(k, v);
            }
        };
        put(
            "_no_missing_accel_warnings",
            self.no_missing_accel_warnings.map(Value::Bool),
        );
        put("priority", self.priority.map(Value::Int));
        put(
            "priority_class",
            self.priority_class.clone().map(Value::from),
        );
        if let Some(d) = &self.docker_login_config {
            let mut d = d.clone();
            if redact_secrets {
                d.insert("password", "<redacted>");
            }
            c.insert("_docker_login_config", Value::Map(d));
        }
        if let Some(u) = &self.docker_username_for_runpod {
            c.insert("_docker_username_for_runpod", u.as_str());
        }
        if let Some(o) = &self.cluster_config_overrides {
            c.insert("_cluster_config_overrides", Value::Map(o.clone()));
        }
        if let Some(m) = self.is_image_managed {
            c.insert("_is_image_managed", m);
        }
        if let Some(f) = self.requires_fuse {
            c.insert("_requires_fuse", f);
        }
        c
    }

    /// Whether nothing at all was requested (`Resources.is_empty`).
    pub fn is_empty(&self) -> bool {
        self.cloud.is_none()
            && self.instance_type.is_none()
            && self.cpus.is_none()
            && self.memory.is_none()
            && self.accelerators.is_none()
            && self.accelerator_args.is_none()
            && !self.use_spot_specified
            && self.disk_size.is_none()
            && self.disk_tier.is_none()
            && self.network_tier.is_none()
            && self.image_id.is_none()
            && self.ports.is_none()
            && self.docker_login_config.is_none()
    }

    /// `repr(resources)`.
    pub fn repr(&self) -> String {
        let mut hw = String::new();
        if let Some(it) = &self.instance_type {
            hw.push_str(it);
        }
        if self.use_spot {
            hw.push_str("[Spot]");
        }
        if let Some(c) = &self.cpus {
            hw.push_str(&format!(", cpus={c}"));
        }
        if let Some(m) = &self.memory {
            hw.push_str(&format!(", mem={m}"));
        }
        if let Some(a) = &self.accelerators {
            hw.push_str(&format!(", {}", Value::Map(a.clone()).py_repr()));
            if let Some(args) = &self.accelerator_args {
                hw.push_str(&format!(
                    ", accelerator_args={}",
                    Value::Map(args.clone()).py_repr()
                ));
            }
        }
        let mut image_parts = Vec::new();
        if let Some(ids) = &self.image_id {
            match ids.get_value(&Value::Null) {
                Some(v) => image_parts.push(v.py_str()),
                None => image_parts.push(Value::Map(ids.clone()).py_repr()),
            }
        }
        if let Some(d) = &self.docker_image {
            image_parts.push(format!("docker:{d}"));
        }
        if !image_parts.is_empty() {
            hw.push_str(&format!(", image_id={}", image_parts.join(" | ")));
        }
        if let Some(t) = &self.disk_tier {
            hw.push_str(&format!(", disk_tier={t}"));
        }
        if let Some(t) = &self.network_tier {
            hw.push_str(&format!(", network_tier={t}"));
        }
        let disk = self.disk_size.unwrap_or(DEFAULT_DISK_SIZE_GB);
        if disk != DEFAULT_DISK_SIZE_GB {
            hw.push_str(&format!(", disk_size={disk}"));
        }
        if let Some(l) = &self.local_disk {
            hw.push_str(&format!(", local_disk={l}"));
        }
        if let Some(c) = &self.max_hourly_cost {
            let shown = match c {
                Value::Float(f) => py_float_repr(*f),
                other => other.py_str(),
            };
            hw.push_str(&format!(", max_cost=${shown}/hr"));
        }
        if let Some(p) = &self.ports {
            let list: Vec<String> = p.iter().map(|s| py_str_repr(s)).collect();
            hw.push_str(&format!(", ports=[{}]", list.join(", ")));
        }
        let hw = hw.trim_start_matches([',', ' ']);
        let cloud = self.cloud.map_or("<Cloud>", |c| c.display());
        format!("{cloud}({hw})")
    }

    /// `repr_with_region_zone`.
    pub fn repr_with_region_zone(&self) -> String {
        let mut extra = String::new();
        if let Some(r) = &self.region {
            extra.push_str(&format!(", region={}", r.strip_prefix("ssh-").unwrap_or(r)));
        }
        if let Some(z) = &self.zone {
            extra.push_str(&format!(", zone={z}"));
        }
        let base = self.repr();
        match base.strip_suffix(')') {
            Some(b) => format!("{b}{extra})"),
            None => format!("{base}{extra}"),
        }
    }
}
