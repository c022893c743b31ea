//! A cluster record as SkyPilot's status endpoint returns it
//! (`responses.StatusResponse`): the readable INFRA and RESOURCES strings
//! (`infra_utils.InfraInfo.formatted_str`,
//! `resources_utils.get_readable_resources_repr`) and the JSON record the
//! CLI's `-o json` and the SDK's `sky.status` share.

use serde_json::{Value, json};

use crate::backend::{ClusterHandle, LaunchedResources};
use crate::clouds::virtual_type::format_float;
use crate::state::ClusterRecord;

/// `_REGION_OR_ZONE_TRUNCATION_LENGTH`.
const REGION_OR_ZONE_TRUNCATION: usize = 25;

/// `common_utils.truncate_long_string(s, max_length, truncate_middle)`.
pub fn truncate_long_string(s: &str, max_length: usize, truncate_middle: bool) -> String {
    crate::optimizer::report::truncate(s, max_length, truncate_middle)
}

/// `InfraInfo.formatted_str(truncate)`: `AWS (us-east-1a)`, `-` when unknown.
pub fn infra_str(lr: &LaunchedResources, truncate: bool) -> String {
    if lr.cloud.is_empty() {
        return "-".into();
    }
    let region_or_zone = match (&lr.zone, &lr.region) {
        (Some(z), _) if z != "*" => Some(z.clone()),
        (_, Some(r)) if r != "*" => Some(r.strip_prefix("ssh-").unwrap_or(r).to_string()),
        _ => None,
    };
    let cloud = lr.cloud_display();
    match region_or_zone {
        Some(rz) if truncate => format!(
            "{cloud} ({})",
            truncate_long_string(&rz, REGION_OR_ZONE_TRUNCATION, true)
        ),
        Some(rz) => format!("{cloud} ({rz})"),
        None => cloud,
    }
}

/// `resources_utils.format_resource`: `(cpus=8, mem=32, m6i.2xlarge, ...)`
/// simplified, or every element when `full`.
fn format_resource(lr: &LaunchedResources, full: bool) -> String {
    let k8s = lr.cloud == "kubernetes";
    let mut parts = Vec::new();
    if let Some((acc, count)) = &lr.accelerators {
        parts.push(format!("gpus={acc}:{}", format_float(*count)));
    }
    if lr.accelerators.is_none() || k8s || full {
        if let Some(c) = lr.cpus {
            parts.push(format!("cpus={}", format_float(c)));
        }
        if let Some(m) = lr.memory_gb {
            parts.push(format!("mem={}", format_float(m)));
        }
    }
    if !k8s && lr.cloud != "slurm" {
        let it = lr.instance_type.clone().unwrap_or_else(|| "None".into());
        parts.push(if full {
            it
        } else {
            truncate_long_string(&it, 15, false)
        });
    }
    if !full {
        parts.push("...".into());
    } else {
        // stix records no disk size yet: SkyPilot's default.
        parts.push("disk=256".into());
    }
    if full && !lr.ports.is_empty() {
        let ports: Vec<String> = lr
            .ports
            .iter()
            .map(|p| crate::yaml::py_str_repr(p))
            .collect();
        parts.push(format!("ports=[{}]", ports.join(", ")));
    }
    let spot = if lr.use_spot { "[spot]" } else { "" };
    format!("{spot}({})", parts.join(", "))
}

/// `get_readable_resources_repr`: `1x(cpus=2, mem=8, local, ...)`, the
/// full form when `full`; `-` for a record without a handle.
pub fn resources_str(record: &ClusterRecord, full: bool) -> String {
    match ClusterHandle::from_json(&record.handle) {
        Ok(h) if !h.launched_resources.cloud.is_empty() => format!(
            "{}x{}",
            h.launched_nodes,
            format_resource(&h.launched_resources, full)
        ),
        _ => "-".into(),
    }
}

/// The head node's IP, if the cluster has nodes.
pub fn head_ip(record: &ClusterRecord) -> Option<String> {
    ClusterHandle::from_json(&record.handle)
        .ok()
        .and_then(|h| h.head_ip().map(str::to_string))
}

/// `StatusResponse.model_dump(mode='json', exclude={'handle', 'credentials'})`.
pub fn status_response(r: &ClusterRecord, user_name: &str) -> Value {
    let handle = ClusterHandle::from_json(&r.handle).ok();
    let lr = handle.as_ref().map(|h| &h.launched_resources);
    let has_lr = lr.is_some_and(|l| !l.cloud.is_empty());
    let opt = |v: Option<String>| v.map_or(Value::Null, Value::from);
    let (cloud, region, cpus, memory, accelerators) = match lr.filter(|_| has_lr) {
        Some(l) => (
            Some(l.cloud_display()),
            l.region.clone(),
            // `str(float)`.
            l.cpus.map(|c| format!("{c:?}")),
            l.memory_gb.map(|m| format!("{m:?}")),
            l.accelerators
                .as_ref()
                .map(|(a, c)| format!("{{'{a}': {}}}", format_float(*c))),
        ),
        None => (None, None, None, None, None),
    };
    let simple = has_lr.then(|| resources_str(r, false));
    let full = has_lr.then(|| resources_str(r, true));
    json!({
        "name": r.name,
        "launched_at": r.launched_at.unwrap_or(0),
        "last_use": r.last_use,
        "status": r.status.as_str(),
        "autostop": r.autostop,
        "to_down": r.to_down,
        "owner": Value::Null,
        "metadata": r.metadata,
        "cluster_hash": r.cluster_hash,
        "cluster_ever_up": r.cluster_ever_up,
        "status_updated_at": r.status_updated_at,
        "user_hash": r.user_hash.clone().unwrap_or_default(),
        "user_name": user_name,
        "config_hash": Value::Null,
        "workspace": r.workspace,
        "last_creation_yaml": r.last_creation_yaml,
        "last_creation_command": r.last_creation_command,
        "is_managed": r.is_managed,
        "last_event": super::lifecycle::last_event(r).map_or(Value::Null, Value::from),
        "init_kind": Value::Null,
        "init_status_reason": Value::Null,
        "resources_str": opt(simple),
        "resources_str_full": opt(full),
        "nodes": handle.as_ref().map_or(0, |h| h.launched_nodes),
        "cloud": opt(cloud),
        "region": opt(region),
        "cpus": opt(cpus),
        "memory": opt(memory),
        "accelerators": opt(accelerators),
        "labels": {},
        "cluster_name_on_cloud": opt(handle.as_ref().map(|h| h.cluster_name_on_cloud.clone())),
        "node_names": Value::Null,
        "priority": 0,
        "priority_class": Value::Null,
        "links": Value::Null,
    })
}

/// What `sky.status()` returns through `sky.get` (SkyPilot's decoded
/// `StatusResponse`): the `-o json` record plus the handle and the
/// (never kept) credentials, so the CLI and the SDK share one shape.
pub fn sdk_status_record(r: &ClusterRecord, user_name: &str) -> Value {
    let mut v = status_response(r, user_name);
    if let Value::Object(m) = &mut v {
        m.insert("handle".into(), r.handle.clone());
        m.insert("credentials".into(), Value::Null);
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncation_follows_common_utils() {
        assert_eq!(truncate_long_string("short", 15, false), "short");
        assert_eq!(
            truncate_long_string("abcdefghijklmnopqrstuvwxyz", 10, true),
            "abcd...xyz"
        );
        assert_eq!(
            truncate_long_string("p4de.24xlarge-extra-long", 15, false),
            "p4de.24xlarge-e..."
        );
        assert_eq!(truncate_long_string("aa bb cc dd", 5, false), "aa bb...");
    }

    #[test]
    fn resources_read_as_skypilot_prints_them() {
        let lr = LaunchedResources {
            cloud: "aws".into(),
            region: Some("us-east-1".into()),
            instance_type: Some("m6i.2xlarge".into()),
            cpus: Some(8.0),
            memory_gb: Some(32.0),
            ..LaunchedResources::default()
        };
        assert_eq!(
            format_resource(&lr, false),
            "(cpus=8, mem=32, m6i.2xlarge, ...)"
        );
        assert_eq!(infra_str(&lr, true), "AWS (us-east-1)");
        let gpu = LaunchedResources {
            accelerators: Some(("A100".into(), 8.0)),
            use_spot: true,
            ..lr
        };
        assert_eq!(
            format_resource(&gpu, false),
            "[spot](gpus=A100:8, m6i.2xlarge, ...)"
        );
    }
}
