//! Per-provider deploy variables: what a provisioner needs in the handle's
//! `provider_config` beyond the launched resources (SkyPilot's
//! `make_deploy_resources_variables`). Chosen by provider name here, in one
//! place, so the launch and failover code stays provider-neutral.

use super::LaunchedResources;
use crate::catalog::Catalogs;
use crate::error::Result;
use crate::spec::resources::Resources;

/// The provider config seeded before `bootstrap_instances` for one attempt
/// (`launched` is where it goes; `chosen` the task's resources it came
/// from, for what `launched` does not carry). Null for providers that read
/// the launched resources only.
pub fn provider_config(
    cat: &Catalogs,
    cluster_name: &str,
    launched: &LaunchedResources,
    chosen: &Resources,
) -> Result<serde_json::Value> {
    match launched.cloud.as_str() {
        #[cfg(feature = "aws")]
        "aws" => aws::provider_config(cat, cluster_name, launched, chosen),
        _ => {
            let _ = (cat, cluster_name, chosen);
            Ok(serde_json::Value::Null)
        }
    }
}

#[cfg(feature = "aws")]
mod aws {
    use super::*;
    use crate::config::load::Env;
    use crate::provision::aws_deploy::{self, DeployRequest};
    use crate::provision::{NodeResources, ssh_key};
    use crate::yaml::Value;

    /// The AWS deploy request of one attempt, resolved into the provider config.
    pub fn provider_config(
        cat: &Catalogs,
        cluster_name: &str,
        lr: &LaunchedResources,
        chosen: &Resources,
    ) -> Result<serde_json::Value> {
        let env = Env::process();
        let region = lr.region.clone().unwrap_or_default();
        let user_hash = super::super::identity::user_hash();
        let key_dir =
            std::path::PathBuf::from(env.expanduser(&format!("~/.sky/clients/{user_hash}/ssh")));
        let (private, public) = ssh_key::get_or_generate(&key_dir)?;
        // `image_id` is keyed by region (None: any region).
        let image_id = chosen.image_id.as_ref().and_then(|m| {
            m.get_value(&Value::from(region.clone()))
                .or_else(|| m.get_value(&Value::Null))
                .map(|v| v.py_str())
        });
        let labels = chosen
            .labels
            .as_ref()
            .map(|m| m.0.iter().map(|(k, v)| (k.py_str(), v.py_str())).collect())
            .unwrap_or_default();
        let instance_type = lr.instance_type.clone().unwrap_or_default();
        let (accelerator, count) = lr.accelerators.clone().unzip();
        let req = DeployRequest {
            cluster_name: cluster_name.to_string(),
            region,
            zones: lr.zone.iter().cloned().collect(),
            arm64: aws_deploy::is_arm64(&instance_type),
            instance_type,
            accelerator: accelerator.clone(),
            image_id,
            disk_size: chosen.disk_size.and_then(|d| u32::try_from(d).ok()),
            disk_tier: chosen.disk_tier.clone(),
            use_spot: lr.use_spot,
            labels,
            ports: lr.ports.clone(),
            user: user_hash,
            ssh_key: (private.display().to_string(), public),
            node_resources: NodeResources {
                cpus: lr.cpus.unwrap_or_default(),
                memory_gb: lr.memory_gb.unwrap_or_default(),
                accelerator,
                accelerator_count: count.map_or(0, |c| c as u32),
                gpu_indices: Vec::new(),
            },
        };
        Ok(aws_deploy::provider_config(cat, &env, &req)?.to_json())
    }
}
