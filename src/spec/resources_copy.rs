//! `Resources.copy(**override)`: rebuild a request from its own constructor
//! arguments with some of them replaced, as SkyPilot's `copy` does.

use crate::error::Result;
use crate::spec::Resources;
use crate::yaml::{Map, Value};

/// The constructor arguments that reproduce `r`.
pub fn to_args(r: &Resources) -> Map {
    let mut m = Map::new();
    m.insert("cloud", Value::from(r.cloud.map(|c| c.name().to_string())));
    m.insert("region", Value::from(r.region.clone()));
    m.insert("zone", Value::from(r.zone.clone()));
    m.insert("instance_type", Value::from(r.instance_type.clone()));
    m.insert("cpus", Value::from(r.cpus.clone()));
    m.insert("memory", Value::from(r.memory.clone()));
    m.insert(
        "accelerators",
        r.accelerators.clone().map_or(Value::Null, Value::Map),
    );
    m.insert(
        "accelerator_args",
        r.accelerator_args.clone().map_or(Value::Null, Value::Map),
    );
    m.insert(
        "use_spot",
        if r.use_spot_specified {
            Value::Bool(r.use_spot)
        } else {
            Value::Null
        },
    );
    m.insert(
        "job_recovery",
        r.job_recovery.clone().map_or(Value::Null, Value::Map),
    );
    m.insert("disk_size", Value::from(r.disk_size));
    let mut image = r.image_id.clone();
    if let Some(d) = &r.docker_image {
        image
            .get_or_insert_with(Map::new)
            .insert("docker", d.as_str());
    }
    m.insert("image_id", image.map_or(Value::Null, Value::Map));
    m.insert("disk_tier", Value::from(r.disk_tier.clone()));
    m.insert("network_tier", Value::from(r.network_tier.clone()));
    m.insert("local_disk", Value::from(r.local_disk.clone()));
    m.insert(
        "max_hourly_cost",
        r.max_hourly_cost.clone().unwrap_or(Value::Null),
    );
    m.insert(
        "ports",
        r.ports.clone().map_or(Value::Null, |p| {
            Value::Seq(p.into_iter().map(Value::from).collect())
        }),
    );
    m.insert("labels", r.labels.clone().map_or(Value::Null, Value::Map));
    m.insert(
        "autostop",
        r.autostop.as_ref().map_or(Value::Null, |a| a.to_value()),
    );
    m.insert(
        "hooks",
        r.hooks.clone().map_or(Value::Null, |h| {
            Value::Seq(h.into_iter().map(Value::Map).collect())
        }),
    );
    m.insert("priority", Value::from(r.priority));
    m.insert("priority_class", Value::from(r.priority_class.clone()));
    m.insert(
        "volumes",
        r.volumes.clone().map_or(Value::Null, |v| {
            Value::Seq(v.into_iter().map(Value::Map).collect())
        }),
    );
    m.insert(
        "_docker_login_config",
        r.docker_login_config
            .clone()
            .map_or(Value::Null, Value::Map),
    );
    m.insert(
        "_docker_username_for_runpod",
        Value::from(r.docker_username_for_runpod.clone()),
    );
    m.insert("_is_image_managed", Value::from(r.is_image_managed));
    m.insert("_requires_fuse", Value::from(r.requires_fuse));
    m.insert(
        "_cluster_config_overrides",
        r.cluster_config_overrides
            .clone()
            .map_or(Value::Null, Value::Map),
    );
    m.insert(
        "_no_missing_accel_warnings",
        Value::from(r.no_missing_accel_warnings),
    );
    m
}

impl Resources {
    /// `Resources.copy(**overrides)`: the constructor arguments of `self`
    /// with `overrides` laid over them. An `infra` override replaces the
    /// cloud, region and zone (the constructor refuses both at once).
    pub fn copy_with(&self, overrides: &Map) -> Result<Resources> {
        let mut args = to_args(self);
        if overrides.contains("infra") {
            for k in ["cloud", "region", "zone"] {
                args.insert(k, Value::Null);
            }
        }
        for (k, v) in overrides.iter() {
            args.insert(k.clone(), v.clone());
        }
        // Only the overrideable part of new config overrides is kept, laid
        // over the current ones.
        let merged = crate::config::effective::merge_task_overrides(
            self.cluster_config_overrides.as_ref(),
            overrides
                .get("_cluster_config_overrides")
                .and_then(Value::as_map),
        )?;
        args.insert(
            "_cluster_config_overrides",
            Value::from(merged.map(Value::Map)),
        );
        Resources::new(&args)
    }
}
