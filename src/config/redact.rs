//! Keeping credentials out of config dumps (`config_utils.
//! redact_sensitive_values` and `dump_redacted_yaml`).

use crate::yaml::{self, Map, Value};

/// What a redacted value is replaced with.
pub const REDACTED: &str = "<redacted>";

/// Paths whose values are credentials; `*` matches every entry.
fn sensitive_paths() -> Vec<Vec<&'static str>> {
    let mut paths = vec![vec!["db"], vec!["api_server", "service_account_token"]];
    for controller in ["jobs", "serve"] {
        for res in [
            &["resources"][..],
            &["resources", "any_of", "*"],
            &["resources", "ordered", "*"],
        ] {
            let mut p = vec![controller, "controller"];
            p.extend_from_slice(res);
            p.extend(["_docker_login_config", "password"]);
            paths.push(p);
        }
    }
    paths
}

fn redact_path(node: &mut Value, path: &[&str]) {
    let Some((key, rest)) = path.split_first() else {
        return;
    };
    if *key == "*" {
        match node {
            Value::Map(m) => m.0.iter_mut().for_each(|(_, v)| redact_path(v, rest)),
            Value::Seq(items) => items.iter_mut().for_each(|v| redact_path(v, rest)),
            _ => {}
        }
        return;
    }
    let Value::Map(m) = node else { return };
    let Some((_, child)) = m.0.iter_mut().find(|(k, _)| k.as_str() == Some(key)) else {
        return;
    };
    if rest.is_empty() {
        // An unset field stays unset, so redaction is never mistaken for a value.
        if !child.is_null() {
            *child = Value::from(REDACTED);
        }
    } else {
        redact_path(child, rest);
    }
}

/// A copy of `config` safe to print.
pub fn redact_sensitive_values(config: &Map) -> Map {
    let mut out = Value::Map(config.clone());
    for path in sensitive_paths() {
        redact_path(&mut out, &path);
    }
    match out {
        Value::Map(m) => m,
        _ => Map::new(),
    }
}

/// `dump_redacted_yaml`: the config as SkyPilot prints it in messages.
pub fn dump_redacted_yaml(config: &Map) -> String {
    yaml::dump_yaml_str(&Value::Map(redact_sensitive_values(config)))
}
