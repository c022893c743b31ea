//! `Resources.copy(**override)`: the constructor arguments that rebuild a
//! `Resources`, overridden.

use crate::error::{Error, Result};
use crate::spec::Resources;
use crate::spec::resources::RESOURCE_ARGS;
use crate::yaml::{Map, Value};

fn opt_map(m: &Option<Map>) -> Value {
    m.clone().map_or(Value::Null, Value::Map)
}

fn opt_maps(v: &Option<Vec<Map>>) -> Value {
    v.clone().map_or(Value::Null, |v| {
        Value::Seq(v.into_iter().map(Value::Map).collect())
    })
}

impl Resources {
    /// The constructor arguments that rebuild this `Resources`.
    pub fn to_args(&self) -> Map {
        let mut m = Map::new();
        m.insert(
            "cloud",
            Value::from(self.cloud.map(|c| c.name().to_string())),
        );
        m.insert("region", Value::from(self.region.clone()));
        m.insert("zone", Value::from(self.zone.clone()));
        m.insert("instance_type", Value::from(self.instance_type.clone()));
        m.insert("cpus", Value::from(self.cpus.clone()));
        m.insert("memory", Value::from(self.memory.clone()));
        m.insert("accelerators", opt_map(&self.accelerators));
        m.insert("accelerator_args", opt_map(&self.accelerator_args));
        m.insert(
            "use_spot",
            if self.use_spot_specified {
                Value::Bool(self.use_spot)
            } else {
                Value::Null
            },
        );
        m.insert("job_recovery", opt_map(&self.job_recovery));
        m.insert("disk_size", Value::from(self.disk_size));
        let mut image = self.image_id.clone();
        if let Some(d) = &self.docker_image {
            image
                .get_or_insert_with(Map::new)
                .insert("docker", d.as_str());
        }
        m.insert("image_id", opt_map(&image));
        m.insert("disk_tier", Value::from(self.disk_tier.clone()));
        m.insert("network_tier", Value::from(self.network_tier.clone()));
        m.insert("local_disk", Value::from(self.local_disk.clone()));
        m.insert(
            "max_hourly_cost",
            self.max_hourly_cost.clone().unwrap_or(Value::Null),
        );
        m.insert(
            "ports",
            self.ports.clone().map_or(Value::Null, |p| {
                Value::Seq(p.into_iter().map(Value::from).collect())
            }),
        );
        m.insert("labels", opt_map(&self.labels));
        m.insert(
            "autostop",
            self.autostop.as_ref().map_or(Value::Null, |a| a.to_value()),
        );
        m.insert("hooks", opt_maps(&self.hooks));
        m.insert("priority", Value::from(self.priority));
        m.insert("priority_class", Value::from(self.priority_class.clone()));
        m.insert("volumes", opt_maps(&self.volumes));
        m.insert("_docker_login_config", opt_map(&self.docker_login_config));
        m.insert(
            "_docker_username_for_runpod",
            Value::from(self.docker_username_for_runpod.clone()),
        );
        m.insert("_is_image_managed", Value::from(self.is_image_managed));
        m.insert("_requires_fuse", Value::from(self.requires_fuse));
        m.insert(
            "_cluster_config_overrides",
            opt_map(&self.cluster_config_overrides),
        );
        m.insert(
            "_no_missing_accel_warnings",
            Value::from(self.no_missing_accel_warnings),
        );
        m
    }

    /// `Resources.copy(**override)`. `infra` replaces nothing: passing it
    /// to a copy of a resource with a cloud, region or zone is an error, as
    /// in SkyPilot. Unknown keys fail (AssertionError) after construction.
    /// New `_cluster_config_overrides` are laid over the current ones
    /// (only their overrideable part is kept).
    pub fn copy(&self, overrides: &Map) -> Result<Resources> {
        let mut args = self.to_args();
        let merged = crate::config::effective::merge_task_overrides(
            self.cluster_config_overrides.as_ref(),
            overrides
                .get("_cluster_config_overrides")
                .and_then(Value::as_map),
        )?;
        let mut leftover = Vec::new();
        for (k, v) in overrides.iter() {
            let key = k.py_str();
            match key.as_str() {
                // SkyPilot reads this one without the leading underscore.
                "no_missing_accel_warnings" => args.insert("_no_missing_accel_warnings", v.clone()),
                "_no_missing_accel_warnings" => leftover.push(key),
                _ if RESOURCE_ARGS.contains(&key.as_str()) => args.insert(key.as_str(), v.clone()),
                _ => leftover.push(key),
            }
        }
        args.insert(
            "_cluster_config_overrides",
            Value::from(merged.map(Value::Map)),
        );
        let copied = Resources::new(&args)?;
        if !leftover.is_empty() {
            return Err(Error::assertion(""));
        }
        Ok(copied)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn res(pairs: &[(&str, Value)]) -> Resources {
        let mut m = Map::new();
        for (k, v) in pairs {
            m.insert(*k, v.clone());
        }
        Resources::new(&m).unwrap_or_default()
    }

    #[test]
    fn infra_conflicts_with_the_copied_cloud() {
        let r = res(&[
            ("infra", Value::from("aws/us-east-1")),
            ("use_spot", Value::Bool(true)),
        ]);
        let mut over = Map::new();
        over.insert("infra", "gcp");
        assert_eq!(
            r.copy(&over).map_err(|e| e.message),
            Err(
                "Cannot specify both `infra` and `cloud`, `region`, or `zone` parameters. \
                 Got: infra=gcp, cloud=AWS, region=us-east-1, zone=None"
                    .into()
            )
        );
        assert!(Resources::default().copy(&over).is_ok());
    }

    #[test]
    fn unknown_keys_are_an_assertion_after_construction() {
        let mut over = Map::new();
        over.insert("not_a_field", 1);
        assert_eq!(
            Resources::default().copy(&over).map_err(|e| e.kind),
            Err(crate::ErrorKind::Assertion)
        );
        over.insert("cpus", "bad");
        assert_eq!(
            Resources::default().copy(&over).map_err(|e| e.kind),
            Err(crate::ErrorKind::Value)
        );
    }
}
