//! Provisioners: SkyPilot's `sky/provision` function set as a trait, one
//! implementation per infra (`local` here; SSH pools and clouds later), and
//! the plain data they return. The backend and the agent (for autostop) call
//! provisioners only through [`Provisioner`] and the registry [`get`].

#[cfg(feature = "aws")]
pub mod aws;
#[cfg(feature = "aws")]
pub mod aws_client;
#[cfg(feature = "aws")]
pub mod aws_deploy;
#[cfg(feature = "aws")]
pub mod aws_instance;
#[cfg(feature = "aws")]
pub mod aws_network;
#[cfg(feature = "aws")]
pub mod aws_ports;
#[cfg(feature = "aws")]
pub mod aws_zones;
pub mod local;
pub mod local_resources;
pub mod ssh;
pub mod ssh_key;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::runner::RunnerSpec;

/// An instance's state as `query_instances` reports it (SkyPilot maps cloud
/// states onto `ClusterStatus`; `None` in the map means terminated).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum InstanceStatus {
    /// Being created or started.
    Init,
    /// Running.
    Up,
    /// Stopped (restartable).
    Stopped,
}

/// What one node offers to jobs.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NodeResources {
    /// Schedulable CPUs.
    pub cpus: f64,
    /// Memory in GiB.
    pub memory_gb: f64,
    /// Accelerator name (`H100`), if the node has any.
    pub accelerator: Option<String>,
    /// How many accelerators (GPU indices `0..count`).
    pub accelerator_count: u32,
    /// The host's device index behind each of those accelerators, when the
    /// node holds only some of a shared host's GPUs (an SSH pool host that
    /// several clusters share); empty means `0..count` as they are.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub gpu_indices: Vec<u32>,
}

impl NodeResources {
    /// The host's device index of the node's accelerator `i`.
    pub fn device_index(&self, i: u32) -> u32 {
        self.gpu_indices.get(i as usize).copied().unwrap_or(i)
    }
}

/// One instance of a provisioned cluster.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InstanceInfo {
    /// The instance's id on its infra.
    pub instance_id: String,
    /// Address inside the cluster (`SKYPILOT_NODE_IPS`).
    pub internal_ip: String,
    /// Address from outside, if any.
    pub external_ip: Option<String>,
    /// How to reach the node.
    pub runner: RunnerSpec,
    /// What the node offers.
    pub resources: NodeResources,
}

/// `get_cluster_info`: the cluster's instances, head first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClusterInfo {
    /// Instances, head first, then workers by index.
    pub instances: Vec<InstanceInfo>,
    /// The head's instance id.
    pub head_instance_id: Option<String>,
    /// The provisioner's name.
    pub provider_name: String,
    /// Provider config, as `bootstrap_instances` filled it.
    pub provider_config: serde_json::Value,
}

/// What `run_instances` is asked for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProvisionConfig {
    /// Provider config (filled in by `bootstrap_instances`).
    pub provider_config: serde_json::Value,
    /// Number of nodes.
    pub count: u32,
    /// Restart stopped nodes instead of creating new ones.
    pub resume_stopped_nodes: bool,
    /// The zone to launch in (the failover loop asks one zone at a time;
    /// `None` for infras without zones).
    #[serde(default)]
    pub zone: Option<String>,
}

/// What `run_instances` did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProvisionRecord {
    /// The provisioner's name.
    pub provider_name: String,
    /// Region.
    pub region: String,
    /// Zone, if any.
    pub zone: Option<String>,
    /// Cluster name on the infra.
    pub cluster_name: String,
    /// Head instance id.
    pub head_instance_id: String,
    /// Instances started again from STOPPED.
    pub resumed_instance_ids: Vec<String>,
    /// Instances created anew.
    pub created_instance_ids: Vec<String>,
}

/// Instance id -> (status, reason); a missing or `None` status is terminated.
pub type InstanceStatuses = BTreeMap<String, (Option<InstanceStatus>, Option<String>)>;

/// SkyPilot's provision function set for one infra. Every call must be
/// idempotent: a launch or teardown killed at any point is finished by
/// calling the same functions again.
pub trait Provisioner: Send + Sync {
    /// The provider name (`local`).
    fn name(&self) -> &'static str;
    /// Prepares the infra (networks, keys, ...) and fills the provider config.
    fn bootstrap_instances(
        &self,
        region: &str,
        cluster_name_on_cloud: &str,
        config: ProvisionConfig,
    ) -> Result<ProvisionConfig>;
    /// Creates or resumes the nodes.
    fn run_instances(
        &self,
        region: &str,
        cluster_name_on_cloud: &str,
        config: &ProvisionConfig,
    ) -> Result<ProvisionRecord>;
    /// Waits until every node reaches `state` (running when `None`).
    fn wait_instances(
        &self,
        region: &str,
        cluster_name_on_cloud: &str,
        provider_config: &serde_json::Value,
        state: Option<InstanceStatus>,
    ) -> Result<()>;
    /// Describes the running cluster.
    fn get_cluster_info(
        &self,
        region: &str,
        cluster_name_on_cloud: &str,
        provider_config: &serde_json::Value,
    ) -> Result<ClusterInfo>;
    /// The state of every instance of the cluster.
    fn query_instances(
        &self,
        cluster_name_on_cloud: &str,
        provider_config: &serde_json::Value,
        non_terminated_only: bool,
    ) -> Result<InstanceStatuses>;
    /// Stops the nodes (workers only when asked), keeping their disks.
    fn stop_instances(
        &self,
        cluster_name_on_cloud: &str,
        provider_config: &serde_json::Value,
        worker_only: bool,
    ) -> Result<()>;
    /// Removes the nodes (workers only when asked).
    fn terminate_instances(
        &self,
        cluster_name_on_cloud: &str,
        provider_config: &serde_json::Value,
        worker_only: bool,
    ) -> Result<()>;
    /// Opens ports to the outside.
    fn open_ports(
        &self,
        cluster_name_on_cloud: &str,
        ports: &[String],
        provider_config: &serde_json::Value,
    ) -> Result<()>;
    /// Closes what `open_ports` opened.
    fn cleanup_ports(
        &self,
        cluster_name_on_cloud: &str,
        ports: &[String],
        provider_config: &serde_json::Value,
    ) -> Result<()>;
    /// The provider config a new cluster's handle starts with, before
    /// `bootstrap_instances` (SkyPilot's deploy variables): `chosen` is
    /// the task's resources `launched` came from. Null: the launched
    /// resources are all this provisioner needs.
    fn deploy_vars(
        &self,
        _cat: &crate::catalog::Catalogs,
        _cluster_name: &str,
        _launched: &crate::backend::LaunchedResources,
        _chosen: &crate::spec::resources::Resources,
    ) -> Result<serde_json::Value> {
        Ok(serde_json::Value::Null)
    }
}

/// Makes a provisioner (what [`register`] keeps).
pub type Factory = Box<dyn Fn() -> Box<dyn Provisioner> + Send + Sync>;

/// Provisioners registered at run time; they win over the built-in ones
/// (tests use this to stand in for a cloud, e.g. one that refuses zones).
static REGISTERED: std::sync::RwLock<Vec<(String, Factory)>> = std::sync::RwLock::new(Vec::new());

/// Registers (or replaces) the provisioner of `provider_name`.
pub fn register(provider_name: &str, factory: Factory) {
    let name = provider_name.to_ascii_lowercase();
    let mut list = REGISTERED.write().unwrap_or_else(|e| e.into_inner());
    list.retain(|(n, _)| *n != name);
    list.push((name, factory));
}

/// Removes what [`register`] added for `provider_name`.
pub fn unregister(provider_name: &str) {
    let name = provider_name.to_ascii_lowercase();
    let mut list = REGISTERED.write().unwrap_or_else(|e| e.into_inner());
    list.retain(|(n, _)| *n != name);
}

/// The provisioner registry: one line per infra.
pub fn get(provider_name: &str) -> Option<Box<dyn Provisioner>> {
    let name = provider_name.to_ascii_lowercase();
    {
        let list = REGISTERED.read().unwrap_or_else(|e| e.into_inner());
        if let Some((_, make)) = list.iter().find(|(n, _)| *n == name) {
            return Some(make());
        }
    }
    match name.as_str() {
        "local" => Some(Box::new(local::LocalProvisioner)),
        #[cfg(feature = "aws")]
        "aws" => Some(Box::new(aws::AwsProvisioner)),
        "ssh" => Some(Box::new(ssh::SshProvisioner)),
        _ => None,
    }
}
