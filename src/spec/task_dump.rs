//! Printing a task back: `to_yaml_config` (SkyPilot's key order and
//! secret forms), `repr`, and the redaction used for user-specified YAML.

use crate::spec::task::Task;
use crate::yaml::{Map, Value};

impl Task {
    /// `Task.to_yaml_config()`.
    pub fn to_yaml_config(&self, redact_secrets: bool) -> Map {
        let mut c = Map::new();
        if let Some(n) = &self.name {
            c.insert("name", n.as_str());
        }
        c.insert("resources", self.resources_config(redact_secrets));
        if let Some(hooks) = self.resources.items().iter().find_map(|r| r.hooks.clone()) {
            let mut cfg = Map::new();
            cfg.insert(
                "hooks",
                Value::Seq(hooks.into_iter().map(Value::Map).collect()),
            );
            c.insert("config", Value::Map(cfg));
        }
        if let Some(s) = &self.service {
            c.insert("service", Value::Map(s.to_yaml_config()));
        }
        c.insert("num_nodes", self.num_nodes);
        if let Some((k, v)) = &self.inputs {
            c.insert(
                "inputs",
                Value::Map(Map(vec![(Value::from(k.as_str()), v.clone())])),
            );
        }
        if let Some((k, v)) = &self.outputs {
            c.insert(
                "outputs",
                Value::Map(Map(vec![(Value::from(k.as_str()), v.clone())])),
            );
        }
        for (k, v) in [("setup", &self.setup)] {
            if let Some(v) = v {
                c.insert(k, v.as_str());
            }
        }
        if let Some(w) = &self.workdir {
            c.insert("workdir", w.clone());
        }
        if let Some(e) = &self.event_callback {
            c.insert("event_callback", e.as_str());
        }
        if let Some(r) = &self.run {
            c.insert("run", r.as_str());
        } else if self.run_generator.is_some() {
            // The binding puts the generator object in this slot.
            c.insert("run", Value::Null);
        }
        if !self.envs.is_empty() {
            c.insert("envs", Value::Map(self.envs.clone()));
        }
        self.secrets_config(&mut c, redact_secrets);
        let mut fm = self.file_mounts.clone().unwrap_or_default();
        for (dst, s) in &self.storage_mounts {
            fm.insert(dst.as_str(), Value::Map(s.to_yaml_config()));
        }
        c.insert("file_mounts", Value::Map(fm));
        if let Some(m) = &self.file_mounts_mapping {
            c.insert("file_mounts_mapping", m.clone());
        }
        c.insert("volumes", Value::Map(self.volumes.clone()));
        if let Some(v) = &self.volume_mounts {
            c.insert("volume_mounts", Value::Seq(v.clone()));
        }
        if !self.api_server_access {
            c.insert("api_server_access", false);
        }
        if !self.metadata.is_empty() {
            c.insert("_metadata", Value::Map(self.metadata.clone()));
        }
        if let Some(y) = &self.user_specified_yaml {
            c.insert("_user_specified_yaml", y.as_str());
        }
        c
    }

    /// `_resources_to_config`: one mapping, or `{any_of|ordered: [...]}`.
    pub fn resources_config(&self, redact_secrets: bool) -> Value {
        let items = self.resources.items();
        if items.len() == 1 {
            return Value::Map(items[0].to_yaml_config(redact_secrets));
        }
        let list = items
            .iter()
            .map(|r| Value::Map(r.to_yaml_config(redact_secrets)))
            .collect();
        Value::Map(Map(vec![(Value::from(self.group_key()), Value::Seq(list))]))
    }

    fn group_key(&self) -> &'static str {
        if self.resources.is_ordered() {
            "ordered"
        } else {
            "any_of"
        }
    }

    /// `get_resource_config()`: like the `resources:` printout, with the
    /// fields every candidate shares moved up front
    /// (`_factor_out_common_resource_fields`).
    pub fn get_resource_config(&self) -> Map {
        let items = self.resources.items();
        let mut configs: Vec<Map> = items.iter().map(|r| r.to_yaml_config(false)).collect();
        if configs.len() <= 1 {
            return configs.pop().unwrap_or_default();
        }
        // Keys of later candidates that differ from the first are dropped;
        // keys only the first has stay (as SkyPilot does).
        let mut common = configs[0].clone();
        for config in &configs[1..] {
            for (k, v) in config.iter() {
                if common.get_value(k).is_some_and(|c| c != v) {
                    common.0.retain(|(ck, _)| ck != k);
                }
            }
        }
        let mut empty = 0;
        for config in configs.iter_mut() {
            config.0.retain(|(k, _)| common.get_value(k).is_none());
            empty += usize::from(config.is_empty());
        }
        if empty < configs.len() {
            common.insert(
                self.group_key(),
                Value::Seq(configs.into_iter().map(Value::Map).collect()),
            );
        }
        common
    }

    fn secrets_config(&self, c: &mut Map, redact: bool) {
        let shown = |v: &Value| {
            if redact {
                Value::from("<redacted>")
            } else {
                v.clone()
            }
        };
        let has_refs = self
            .secrets
            .keys()
            .any(|k| k.py_str().starts_with("secrets:"))
            || !self.secret_refs.is_empty();
        if !self.secrets.is_empty() && !has_refs {
            c.insert(
                "secrets",
                Value::Map(Map(self
                    .secrets
                    .iter()
                    .map(|(k, v)| (k.clone(), shown(v)))
                    .collect())),
            );
            return;
        }
        if self.secrets.is_empty() && !has_refs {
            return;
        }
        let inline: Vec<(Value, Value)> = self
            .secrets
            .iter()
            .filter(|(k, _)| !k.py_str().starts_with("secrets:"))
            .map(|(k, v)| (k.clone(), shown(v)))
            .collect();
        if !inline.is_empty() {
            c.insert("secrets", Value::Map(Map(inline)));
        }
        let mut refs: Vec<String> = self
            .secrets
            .keys()
            .map(Value::py_str)
            .filter(|k| k.starts_with("secrets:"))
            .collect();
        refs.sort();
        let mut managed: Vec<Value> = Vec::new();
        for r in &self.secret_refs {
            let prefix = r
                .scope
                .as_ref()
                .map(|s| format!("{s}."))
                .unwrap_or_default();
            match &r.mount_path {
                Some(p) => {
                    let mut inner = Map::new();
                    inner.insert("mount_path", p.as_str());
                    managed.push(Value::Map(Map(vec![(
                        Value::from(format!("{prefix}{}", r.name)),
                        Value::Map(inner),
                    )])));
                }
                None => refs.push(format!("secrets:{prefix}{}", r.name)),
            }
        }
        if !refs.is_empty() {
            if c.contains("secrets") {
                managed.extend(refs.into_iter().map(Value::from));
            } else {
                c.insert(
                    "secrets",
                    Value::Seq(refs.into_iter().map(Value::from).collect()),
                );
            }
        }
        if !managed.is_empty() {
            c.insert("managed_secrets", Value::Seq(managed));
        }
    }

    /// `repr(task)`.
    pub fn repr(&self) -> String {
        let run = match &self.run {
            None if self.run_generator.is_some() => "run=<fn>".to_string(),
            Some(r) => {
                let msg = r.replace('\n', "\\n");
                if msg.chars().count() > 20 {
                    format!("run='{}...'", msg.chars().take(20).collect::<String>())
                } else {
                    format!("run='{msg}'")
                }
            }
            None => "run=<empty>".to_string(),
        };
        let name = self
            .name
            .as_ref()
            .map(|n| format!("<name={n}>"))
            .unwrap_or_default();
        let mut s = format!("Task{name}({run})");
        if let Some((i, _)) = &self.inputs {
            s.push_str(&format!("\n  inputs: {i}"));
        }
        if let Some((o, _)) = &self.outputs {
            s.push_str(&format!("\n  outputs: {o}"));
        }
        if self.num_nodes > 1 {
            s.push_str(&format!("\n  nodes: {}", self.num_nodes));
        }
        let items = self.resources.items();
        if items.len() > 1 {
            let parts: Vec<String> = items.iter().map(|r| r.repr_with_region_zone()).collect();
            s.push_str(&format!("\n  resources: {{{}}}", parts.join(", ")));
        } else if items.len() == 1 && !items[0].is_empty() {
            s.push_str(&format!(
                "\n  resources: {}",
                items[0].repr_with_region_zone()
            ));
        } else {
            s.push_str("\n  resources: default instances");
        }
        s
    }
}

/// `redact_task_yaml_dict`: inline secret values become `<redacted>`.
pub fn redact_task_yaml(config: &mut Map) {
    if let Some(Value::Map(secrets)) = config.get("secrets").cloned() {
        let redacted = secrets
            .iter()
            .map(|(k, v)| {
                let keep_null = k.py_str().starts_with("secrets:") || v.is_null();
                (
                    k.clone(),
                    if keep_null {
                        Value::Null
                    } else {
                        Value::from("<redacted>")
                    },
                )
            })
            .collect();
        config.insert("secrets", Value::Map(Map(redacted)));
    }
    if let Some((_, Value::Map(res))) = config
        .0
        .iter_mut()
        .find(|(k, _)| k.as_str() == Some("resources"))
        && let Some((_, Value::Map(docker))) = res
            .0
            .iter_mut()
            .find(|(k, _)| k.as_str() == Some("_docker_login_config"))
        && docker.get("password").is_some_and(|p| !p.is_null())
    {
        docker.insert("password", "<redacted>");
    }
}
