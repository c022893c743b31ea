//! `sky.Task`: one job spec, loaded from YAML (or built from Python) and
//! printed back exactly as SkyPilot's `Task.to_yaml_config` does.

use crate::error::{Error, Result};
use crate::spec::Resources;
use crate::spec::paths::expanduser;
/// `os.path.expanduser` (kept under this name for existing callers).
pub use crate::spec::paths::expanduser as expand_user;
use crate::spec::resources_yaml::{
    ResourceGroup, from_yaml_config as resources_from_yaml, validate_schema,
};
use crate::spec::schemas;
use crate::spec::service::ServiceSpec;
use crate::spec::storage::StorageSpec;
use crate::yaml::{self, Map, Value, py_str_repr};

/// A managed secret reference (`secrets:NAME`, `managed_secrets:`).
#[derive(Debug, Clone, PartialEq)]
pub struct SecretRef {
    pub name: String,
    pub mount_path: Option<String>,
    pub scope: Option<String>,
}

/// A task spec (`sky.Task`) as plain data.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Task {
    pub name: Option<String>,
    pub setup: Option<String>,
    pub run: Option<String>,
    /// Set when `run` is a command generator (a Python callable the binding
    /// keeps): the repr of its type, for `validate_run`'s message.
    pub run_generator: Option<String>,
    /// A path string or `{url, ref}`.
    pub workdir: Option<Value>,
    pub num_nodes: i64,
    pub envs: Map,
    /// Inline secrets; never printed by `repr` or logs.
    pub secrets: Map,
    pub secret_refs: Vec<SecretRef>,
    pub volumes: Map,
    pub event_callback: Option<String>,
    pub api_server_access: bool,
    pub file_mounts: Option<Map>,
    pub storage_mounts: Vec<(String, StorageSpec)>,
    pub file_mounts_mapping: Option<Value>,
    pub volume_mounts: Option<Vec<Value>>,
    pub metadata: Map,
    pub resources: ResourceGroup,
    pub service: Option<ServiceSpec>,
    /// `(inputs, estimated_inputs_size_gigabytes)`.
    pub inputs: Option<(String, Value)>,
    /// `(outputs, estimated_outputs_size_gigabytes)`.
    pub outputs: Option<(String, Value)>,
    /// `docker_image` as given (the getter applies SkyPilot's default).
    pub docker_image: Option<String>,
    /// Resources this task must not run on (`blocked_resources`).
    pub blocked_resources: Option<Vec<Resources>>,
    /// The YAML text the task came from, if any.
    pub user_specified_yaml: Option<String>,
}

/// `common_utils.is_valid_env_var`.
pub fn is_valid_env_var(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn parse_secret_name(raw: &str) -> (String, Option<String>) {
    let raw = raw.strip_prefix("secrets:").unwrap_or(raw);
    for prefix in ["personal.", "workspace.", "global."] {
        if let Some(rest) = raw.strip_prefix(prefix) {
            return (
                rest.to_string(),
                Some(prefix.trim_end_matches('.').to_string()),
            );
        }
    }
    (raw.to_string(), None)
}

/// `_fill_in_env_vars`: substitutes `$VAR`/`${VAR}` inside strings.
fn fill_env_vars(v: &Value, envs: &Map) -> Value {
    match v {
        Value::Str(s) => Value::Str(substitute(s, envs)),
        Value::Seq(items) => Value::Seq(items.iter().map(|i| fill_env_vars(i, envs)).collect()),
        Value::Map(m) => Value::Map(Map(m
            .iter()
            .map(|(k, v)| (fill_env_vars(k, envs), fill_env_vars(v, envs)))
            .collect())),
        other => other.clone(),
    }
}

fn substitute(s: &str, envs: &Map) -> String {
    static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let re = RE.get_or_init(|| {
        regex::Regex::new(r"\$\{?\b([a-zA-Z_][a-zA-Z0-9_]*)\b\}?")
            .unwrap_or_else(|e| panic!("env regex: {e}"))
    });
    re.replace_all(s, |c: &regex::Captures| match envs.get(&c[1]) {
        Some(v) => v.py_str(),
        None => c[0].to_string(),
    })
    .into_owned()
}

impl Task {
    /// `Task()` with defaults.
    pub fn new() -> Task {
        Task {
            num_nodes: 1,
            api_server_access: true,
            ..Task::default()
        }
    }

    /// `Task.from_yaml_str`.
    pub fn from_yaml_str(text: &str) -> Result<Task> {
        let config = yaml::load(text)?;
        let mut config = match config {
            Value::Null => Map::new(),
            Value::Map(m) => m,
            Value::Str(_) => {
                return Err(Error::value(format!(
                    "YAML loaded as str, not as dict. Is it correct? content:\n{text}"
                )));
            }
            // SkyPilot fails with these TypeErrors when indexing the value.
            Value::Seq(_) => {
                return Err(Error::type_error(
                    "list indices must be integers or slices, not str",
                ));
            }
            other => {
                return Err(Error::type_error(format!(
                    "'{}' object does not support item assignment",
                    other.py_type_name()
                )));
            }
        };
        config.insert("_user_specified_yaml", text);
        Task::from_yaml_config(config, &[], &[])
    }

    /// `Task.from_yaml(path)`.
    pub fn from_yaml(path: &str) -> Result<Task> {
        let text = read_text(path)?;
        Task::from_yaml_str(&text)
    }

    /// `Task.from_yaml_config(config, env_overrides, secrets_overrides)`.
    pub fn from_yaml_config(
        mut config: Map,
        env_overrides: &[(String, Option<String>)],
        secret_overrides: &[(String, Option<String>)],
    ) -> Result<Task> {
        // SkyPilot keeps the dumped config as the user's YAML when the
        // caller gave none (`config.pop(..., dump_yaml_str(config))`).
        let user_yaml = match config.remove("_user_specified_yaml") {
            Some(Value::Null) => None,
            Some(v) => Some(v.py_str()),
            None => Some(yaml::dump_yaml_str(&Value::Map(config.clone()))),
        };
        for key in ["envs", "secrets"] {
            match config.get(key).cloned() {
                Some(Value::Map(m)) => {
                    let coerced = m
                        .iter()
                        .map(|(k, v)| {
                            (
                                Value::Str(k.py_str()),
                                if v.is_null() {
                                    Value::Null
                                } else {
                                    Value::Str(v.py_str())
                                },
                            )
                        })
                        .collect();
                    config.insert(key, Value::Map(Map(coerced)));
                }
                Some(Value::Seq(items)) if key == "secrets" => {
                    config.insert(
                        key,
                        Value::Seq(items.iter().map(|v| Value::Str(v.py_str())).collect()),
                    );
                }
                _ => {}
            }
        }
        if config
            .0
            .iter()
            .any(|(k, v)| k.as_str() == Some("envs") && v.is_null())
        {
            // SkyPilot crashes here (AttributeError); reject it with a hint.
            return Err(Error::value(
                "Invalid task YAML: `envs` is empty. Remove the key or give it a mapping of names to values.",
            ));
        }
        validate_schema(
            &Value::Map(config.clone()),
            schemas::task(),
            "Invalid task YAML: ",
            true,
        )?;
        if !env_overrides.is_empty() {
            let mut envs = config
                .get("envs")
                .and_then(Value::as_map)
                .cloned()
                .unwrap_or_default();
            for (k, v) in env_overrides {
                envs.insert(k.as_str(), Value::from(v.clone()));
            }
            config.insert("envs", Value::Map(envs));
        }
        if !secret_overrides.is_empty() {
            let mut merged = match config.get("secrets") {
                Some(Value::Seq(items)) => Map(items
                    .iter()
                    .map(|i| (Value::Str(i.py_str()), Value::Null))
                    .collect()),
                Some(Value::Map(m)) => m.clone(),
                _ => Map::new(),
            };
            for (k, v) in secret_overrides {
                merged.insert(k.as_str(), Value::from(v.clone()));
            }
            config.insert("secrets", Value::Map(merged));
        }
        let envs = config
            .get("envs")
            .and_then(Value::as_map)
            .cloned()
            .unwrap_or_default();
        if let Some((k, _)) = envs.iter().find(|(_, v)| v.is_null()) {
            let k = k.py_str();
            return Err(Error::value(format!(
                "Environment variable {} is None. Please set a value for it in task YAML or with --env flag. \
                 To set it to be empty, use an empty string ({k}: \"\" in task YAML or --env {k}=\"\" in CLI).",
                py_str_repr(&k)
            )));
        }
        let mut subst = envs.clone();
        if let Some(Value::Map(s)) = config.get("secrets") {
            for (k, v) in s.iter().filter(|(_, v)| !v.is_null()) {
                subst.insert(k.clone(), v.clone());
            }
        }
        for key in ["file_mounts", "service", "workdir", "volumes"] {
            if let Some(v) = config.get(key).filter(|v| !v.is_null()).cloned() {
                config.insert(key, fill_env_vars(&v, &subst));
            }
        }
        let mut task = Task::new();
        match config.remove("secrets") {
            Some(Value::Seq(items)) => {
                for item in items {
                    let s = item.py_str();
                    let Some(rest) = s.strip_prefix("secrets:") else {
                        return Err(Error::value(format!(
                            "Invalid secret in array form: {}. Array items must use the secrets: prefix (e.g., secrets:HF_TOKEN). \
                             For inline secrets with values, use dict form: secrets: {{MY_SECRET: \"value\"}}",
                            item.py_repr()
                        )));
                    };
                    let (name, scope) = parse_secret_name(rest);
                    task.secret_refs.push(SecretRef {
                        name,
                        mount_path: None,
                        scope,
                    });
                }
            }
            Some(Value::Map(m)) => {
                for (k, v) in m.iter() {
                    let key = k.py_str();
                    if let Some(secret) = key.strip_prefix("secrets:") {
                        if !v.is_null() {
                            return Err(Error::value(format!(
                                "Invalid secret {}: secret references (secrets: prefix) must have a null value in dict form. \
                                 To provide an inline secret value, remove the 'secrets:' prefix.",
                                py_str_repr(&key)
                            )));
                        }
                        let (name, scope) = parse_secret_name(secret);
                        task.secret_refs.push(SecretRef {
                            name,
                            mount_path: None,
                            scope,
                        });
                    } else if v.is_null() {
                        let (name, scope) = parse_secret_name(&key);
                        task.secret_refs.push(SecretRef {
                            name,
                            mount_path: None,
                            scope,
                        });
                    } else {
                        task.secrets.insert(key.as_str(), v.clone());
                    }
                }
            }
            _ => {}
        }
        task.name = config.pop("name").map(|v| v.py_str());
        task.run = config.pop("run").map(|v| v.py_str());
        task.workdir = config.pop("workdir");
        task.setup = config.pop("setup").map(|v| v.py_str());
        task.set_num_nodes(config.pop("num_nodes"))?;
        config.remove("envs");
        task.envs = envs;
        task.volumes = config
            .pop("volumes")
            .and_then(|v| v.as_map().cloned())
            .unwrap_or_default();
        task.event_callback = config.pop("event_callback").map(|v| v.py_str());
        task.api_server_access = config.pop("api_server_access").is_none_or(|v| v.truthy());
        task.file_mounts_mapping = config.pop("file_mounts_mapping");
        task.metadata = config
            .pop("_metadata")
            .and_then(|v| v.as_map().cloned())
            .unwrap_or_default();
        task.user_specified_yaml = user_yaml;
        if let Some(Value::Seq(entries)) = config.pop("managed_secrets") {
            for entry in entries {
                match entry {
                    Value::Map(m) => {
                        for (k, opts) in m.iter() {
                            let (name, scope) = parse_secret_name(&k.py_str());
                            let mount_path = opts
                                .as_map()
                                .and_then(|o| o.get("mount_path"))
                                .map(Value::py_str);
                            task.secret_refs.push(SecretRef {
                                name,
                                mount_path,
                                scope,
                            });
                        }
                    }
                    other => {
                        let (name, scope) = parse_secret_name(&other.py_str());
                        task.secret_refs.push(SecretRef {
                            name,
                            mount_path: None,
                            scope,
                        });
                    }
                }
            }
        }
        let mut volumes_for_resources: Vec<Value> = Vec::new();
        let mut storage_mounts = Vec::new();
        if let Some(Value::Map(fm)) = config.pop("file_mounts") {
            let mut copy_mounts = Map::new();
            for (dst, src) in fm.iter() {
                let dst = dst.py_str();
                match src {
                    Value::Str(s) => copy_mounts.insert(dst.as_str(), s.as_str()),
                    Value::Map(m) if m.get("store").and_then(Value::as_str) == Some("volume") => {
                        let mut vol = Map::new();
                        vol.insert("path", dst.as_str());
                        if let Some(n) = m.get("name").filter(|v| v.truthy()) {
                            vol.insert("name", n.clone());
                        }
                        let persistent = m.get("persistent").is_some_and(Value::truthy);
                        vol.insert("auto_delete", !persistent);
                        if let Some(Value::Map(detail)) = m.get("config") {
                            for (k, v) in detail.iter() {
                                vol.insert(k.clone(), v.clone());
                            }
                        }
                        volumes_for_resources.push(Value::Map(vol));
                        if let Some(source) = m.get("source").filter(|v| v.truthy()) {
                            copy_mounts.insert(
                                format!("{}/data", dst.trim_end_matches('/')),
                                source.clone(),
                            );
                        }
                    }
                    Value::Map(_) => {
                        let storage = StorageSpec::from_yaml_config(src).map_err(|mut e| {
                            if e.kind == crate::ErrorKind::StorageSource {
                                e.message = e.message.replace("<destination_path>", &dst);
                            }
                            e
                        })?;
                        storage_mounts.push((dst, storage));
                    }
                    other => {
                        return Err(Error::value(format!(
                            "Unable to parse file_mount {dst}:{}",
                            other.py_str()
                        )));
                    }
                }
            }
            task.file_mounts = Some(copy_mounts);
        }
        task.set_storage_mounts(Some(storage_mounts))?;
        for (key, slot) in [("inputs", &mut task.inputs), ("outputs", &mut task.outputs)] {
            if let Some(Value::Map(m)) = config.pop(key) {
                if m.len() != 1 {
                    return Err(Error::assertion(format!(
                        "Only one {} is allowed.",
                        &key[..key.len() - 1]
                    )));
                }
                let (k, v) = m.0[0].clone();
                *slot = Some((k.py_str(), v));
            }
        }
        let mut task_config = config
            .pop("config")
            .and_then(|v| v.as_map().cloned())
            .unwrap_or_default();
        let hooks = task_config.remove("hooks");
        let mut resources = config
            .pop("resources")
            .and_then(|v| v.as_map().cloned())
            .unwrap_or_default();
        if resources.contains("hooks") {
            return Err(Error::value(
                "Lifecycle hooks live under top-level `config.hooks:`, not `resources.hooks:`. Move the list to `config.hooks` at the top level of the task YAML.",
            ));
        }
        if let Some(h) = hooks.filter(|h| !h.is_null()) {
            resources.insert("hooks", h);
        }
        if !task_config.is_empty() {
            if resources
                .get("_cluster_config_overrides")
                .is_some_and(|v| !v.is_null())
            {
                return Err(Error::assertion(
                    "Cannot set _cluster_config_overrides in both resources and experimental.config_overrides",
                ));
            }
            resources.insert("_cluster_config_overrides", Value::Map(task_config));
        }
        if !volumes_for_resources.is_empty() {
            resources.insert("volumes", Value::Seq(volumes_for_resources));
        }
        task.set_resources(resources_from_yaml(Some(&Value::Map(resources)))?)?;
        let service = config.pop("service");
        let pool = config.remove("pool");
        if service.is_some() && pool.as_ref().is_some_and(|p| !p.is_null()) {
            return Err(Error::value(
                "Cannot set both service and pool in the same task.",
            ));
        }
        if let Some(s) = service {
            task.service = Some(ServiceSpec::from_yaml_config(&s)?);
        } else if let Some(p) = pool.filter(|p| !p.is_null()) {
            let mut wrapped = Map::new();
            wrapped.insert(
                "pool",
                if p.as_map().is_some() {
                    p
                } else {
                    Value::Map(Map::new())
                },
            );
            task.service = Some(ServiceSpec::from_yaml_config(&Value::Map(wrapped))?);
        }
        if let Some(Value::Seq(mounts)) = config.pop("volume_mounts") {
            task.volume_mounts = Some(mounts);
        }
        if !config.is_empty() {
            let keys: Vec<String> = config.keys().map(Value::py_repr).collect();
            return Err(Error::assertion(format!(
                "Invalid task args: dict_keys([{}])",
                keys.join(", ")
            )));
        }
        Ok(task)
    }

    /// The `num_nodes` setter: a positive int, `None` meaning 1.
    pub fn set_num_nodes(&mut self, v: Option<Value>) -> Result<()> {
        self.num_nodes = match v {
            None | Some(Value::Null) => 1,
            Some(Value::Int(i)) if i > 0 => i,
            Some(other) => {
                return Err(Error::value(format!(
                    "num_nodes should be a positive int. Got: {}",
                    other.py_str()
                )));
            }
        };
        Ok(())
    }

    /// `set_resources`, including `_requires_fuse` for mountable storage.
    pub fn set_resources(&mut self, mut group: ResourceGroup) -> Result<()> {
        let mut priorities = group.items().iter().filter_map(|r| r.priority);
        if let Some(first) = priorities.next()
            && priorities.any(|p| p != first)
        {
            return Err(Error::value(format!(
                "Priority is not consistent across resources: {}",
                group.py_repr()
            )));
        }
        crate::spec::docker_login::apply(group.items_mut(), &self.envs, &self.secrets)?;
        if self.storage_mounts.iter().any(|(_, s)| s.is_mountable()) {
            for r in group.items_mut() {
                r.requires_fuse = Some(true);
            }
        }
        self.resources = group;
        Ok(())
    }
}

/// Reads a task file (with `~` expanded), naming the path on failure.
pub fn read_text(path: &str) -> Result<String> {
    let expanded = expanduser(path);
    std::fs::read_to_string(&expanded).map_err(|e| {
        let kind = if e.kind() == std::io::ErrorKind::NotFound {
            crate::ErrorKind::FileNotFound
        } else {
            crate::ErrorKind::Os
        };
        Error::new(
            kind,
            format!(
                "[Errno {}] {}: {}",
                e.raw_os_error().unwrap_or(0),
                e,
                py_str_repr(path)
            ),
        )
    })
}
