//! The AWS provisioner: SkyPilot's `sky/provision/aws` function set over the
//! official aws-sdk-ec2. Every call finds the cluster's instances by their
//! `ray-cluster-name` tag first, so a launch or teardown killed at any line
//! is finished by running it again. The pieces: clients and error mapping
//! (`aws_client`), the provider config (`aws_deploy`), VPC/subnets/security
//! group (`aws_network`), instances (`aws_instance`), ports (`aws_ports`).

use std::path::PathBuf;
use std::time::Duration;

use super::aws_client::ec2;
use super::aws_deploy::AwsProviderConfig;
use super::aws_instance::{self as inst, LIVE};
use super::{
    ClusterInfo, InstanceInfo, InstanceStatus, InstanceStatuses, ProvisionConfig, ProvisionRecord,
    Provisioner,
};
use crate::error::Result;
use crate::runner::RunnerSpec;

/// How long `wait_instances` waits (SkyPilot's waiter: 120 x 5 s).
const WAIT_TIMEOUT: Duration = Duration::from_secs(600);

/// Provisions clusters on EC2.
pub struct AwsProvisioner;

fn config(pc: &serde_json::Value) -> Result<AwsProviderConfig> {
    AwsProviderConfig::from_json(pc)
}

impl Provisioner for AwsProvisioner {
    fn name(&self) -> &'static str {
        "aws"
    }

    fn bootstrap_instances(
        &self,
        region: &str,
        _cluster_name_on_cloud: &str,
        config_in: ProvisionConfig,
    ) -> Result<ProvisionConfig> {
        let mut cfg = config(&config_in.provider_config)?;
        if cfg.region.is_empty() {
            cfg.region = region.to_string();
        }
        let client = ec2(&cfg.region)?;
        // The failover loop tries one zone per call: only its subnets.
        if let Some(zone) = &config_in.zone {
            cfg.availability_zone = Some(super::aws_network::zone_name(&client, zone)?);
        }
        let cfg = super::aws_network::bootstrap(&client, cfg)?;
        Ok(ProvisionConfig {
            provider_config: cfg.to_json(),
            ..config_in
        })
    }

    fn run_instances(
        &self,
        _region: &str,
        cluster_name_on_cloud: &str,
        config_in: &ProvisionConfig,
    ) -> Result<ProvisionRecord> {
        let cfg = config(&config_in.provider_config)?;
        inst::run(
            &ec2(&cfg.region)?,
            cluster_name_on_cloud,
            &cfg,
            config_in.count,
            config_in.resume_stopped_nodes,
        )
    }

    fn wait_instances(
        &self,
        _region: &str,
        cluster_name_on_cloud: &str,
        provider_config: &serde_json::Value,
        state: Option<InstanceStatus>,
    ) -> Result<()> {
        let cfg = config(provider_config)?;
        let (among, target): (&[&str], &str) = match state {
            None | Some(InstanceStatus::Up) => (&["pending", "running"], "running"),
            Some(InstanceStatus::Stopped) => (&["stopping", "stopped"], "stopped"),
            Some(InstanceStatus::Init) => return Ok(()),
        };
        inst::wait(
            &ec2(&cfg.region)?,
            cluster_name_on_cloud,
            among,
            target,
            WAIT_TIMEOUT,
        )
    }

    fn get_cluster_info(
        &self,
        _region: &str,
        cluster_name_on_cloud: &str,
        provider_config: &serde_json::Value,
    ) -> Result<ClusterInfo> {
        let cfg = config(provider_config)?;
        let running = inst::list(
            &ec2(&cfg.region)?,
            cluster_name_on_cloud,
            &["running"],
            false,
        )?;
        let head = inst::head_id(&running);
        let mut instances: Vec<InstanceInfo> =
            running.iter().map(|i| instance_info(i, &cfg)).collect();
        // Head first, then workers by id (the list is sorted by id).
        instances.sort_by_key(|i| Some(&i.instance_id) != head.as_ref());
        Ok(ClusterInfo {
            instances,
            head_instance_id: head,
            provider_name: "aws".into(),
            provider_config: provider_config.clone(),
        })
    }

    fn query_instances(
        &self,
        cluster_name_on_cloud: &str,
        provider_config: &serde_json::Value,
        non_terminated_only: bool,
    ) -> Result<InstanceStatuses> {
        let cfg = config(provider_config)?;
        let mut out = InstanceStatuses::new();
        for i in inst::list(&ec2(&cfg.region)?, cluster_name_on_cloud, &[], false)? {
            let status = inst::status_of(inst::state(&i));
            if non_terminated_only && status.is_none() {
                continue;
            }
            out.insert(inst::id(&i), (status, None));
        }
        Ok(out)
    }

    fn stop_instances(
        &self,
        cluster_name_on_cloud: &str,
        provider_config: &serde_json::Value,
        worker_only: bool,
    ) -> Result<()> {
        let cfg = config(provider_config)?;
        let ec2 = ec2(&cfg.region)?;
        let ids: Vec<String> = inst::list(
            &ec2,
            cluster_name_on_cloud,
            &["pending", "running"],
            worker_only,
        )?
        .iter()
        .map(inst::id)
        .collect();
        if !ids.is_empty() {
            super::aws_client::call("StopInstances", || {
                ec2.stop_instances()
                    .set_instance_ids(Some(ids.clone()))
                    .send()
            })?;
        }
        Ok(())
    }

    fn terminate_instances(
        &self,
        cluster_name_on_cloud: &str,
        provider_config: &serde_json::Value,
        worker_only: bool,
    ) -> Result<()> {
        let cfg = config(provider_config)?;
        super::aws_ports::terminate(&ec2(&cfg.region)?, cluster_name_on_cloud, &cfg, worker_only)
    }

    fn open_ports(
        &self,
        cluster_name_on_cloud: &str,
        ports: &[String],
        provider_config: &serde_json::Value,
    ) -> Result<()> {
        let cfg = config(provider_config)?;
        super::aws_ports::open(&ec2(&cfg.region)?, cluster_name_on_cloud, ports, &cfg)
    }

    fn deploy_vars(
        &self,
        cat: &crate::catalog::Catalogs,
        cluster_name: &str,
        launched: &crate::backend::LaunchedResources,
        chosen: &crate::spec::resources::Resources,
    ) -> Result<serde_json::Value> {
        super::aws_deploy::from_launch(cat, cluster_name, launched, chosen)
    }

    fn cleanup_ports(
        &self,
        _cluster_name_on_cloud: &str,
        _ports: &[String],
        provider_config: &serde_json::Value,
    ) -> Result<()> {
        let cfg = config(provider_config)?;
        super::aws_ports::cleanup(&ec2(&cfg.region)?, &cfg)
    }
}

/// One running instance as the backend sees it: reached over SSH at its
/// private address with `use_internal_ips`, else at its public one.
fn instance_info(i: &aws_sdk_ec2::types::Instance, cfg: &AwsProviderConfig) -> InstanceInfo {
    let id = inst::id(i);
    let internal = i.private_ip_address().unwrap_or_default().to_string();
    let external = i.public_ip_address().map(str::to_string);
    let host = match (&external, cfg.use_internal_ips) {
        (Some(ip), false) => ip.clone(),
        _ => internal.clone(),
    };
    InstanceInfo {
        instance_id: id.clone(),
        internal_ip: internal,
        external_ip: external,
        runner: RunnerSpec::Ssh {
            node_id: id,
            host,
            port: 22,
            user: cfg.ssh_user.clone(),
            identity_file: (!cfg.ssh_private_key.is_empty())
                .then(|| PathBuf::from(&cfg.ssh_private_key)),
            proxy_jump: None,
            home: None,
        },
        resources: cfg.node_resources.clone(),
    }
}

/// All instances of the cluster that still exist, by id (for tests and
/// `sky status -r` reconciliation).
pub fn live_instance_ids(region: &str, cluster_name_on_cloud: &str) -> Result<Vec<String>> {
    Ok(
        inst::list(&ec2(region)?, cluster_name_on_cloud, LIVE, false)?
            .iter()
            .map(inst::id)
            .collect(),
    )
}
