//! The AWS provider config: what SkyPilot's `make_deploy_resources_variables`
//! plus `aws-ray.yml.j2` put in `provider` and `node_config`, as one plain
//! serde struct stored in the cluster handle. The backend builds it from the
//! launchable resources with [`provider_config`] before `bootstrap_instances`
//! fills in the network (subnets, security group ids).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::catalog::Catalogs;
use crate::config::load::Env;
use crate::error::{Error, ErrorKind, Result};
use crate::yaml::Value;

/// SkyPilot's image tags (`sky/clouds/aws.py`).
const CPU_IMAGE: &str = "skypilot:custom-cpu-ubuntu";
const CPU_ARM64_IMAGE: &str = "skypilot:custom-cpu-ubuntu-arm64";
const GPU_IMAGE: &str = "skypilot:custom-gpu-ubuntu-cuda13";
const GPU_ARM64_IMAGE: &str = "skypilot:custom-gpu-ubuntu-arm64-cuda13";
const GPU_CUDA12_IMAGE: &str = "skypilot:custom-gpu-ubuntu";
const GPU_CUDA12_ARM64_IMAGE: &str = "skypilot:custom-gpu-ubuntu-arm64";
const GPU_K80_IMAGE: &str = "skypilot:k80-ubuntu-2004";
const NEURON_IMAGE: &str = "skypilot:neuron-ubuntu-2204";
/// Root device of SkyPilot's images.
pub const DEFAULT_ROOT_DEVICE_NAME: &str = "/dev/sda1";

/// The security group entry of the provider config.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SecurityGroup {
    /// Group name.
    #[serde(rename = "GroupName")]
    pub group_name: String,
    /// False when the user named it (`aws.security_group_name`): never
    /// changed or deleted by stix then.
    #[serde(rename = "ManagedBySkyPilot", default = "yes")]
    pub managed: bool,
}

fn yes() -> bool {
    true
}

/// Everything the AWS provisioner needs, stored as the handle's
/// `provider_config`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AwsProviderConfig {
    /// Region.
    pub region: String,
    /// Zones to try, in order (`us-east-1a,us-east-1b`); all of the
    /// region's when empty.
    pub availability_zone: Option<String>,
    /// `aws.vpc_name`: use this VPC instead of the default one.
    pub vpc_name: Option<String>,
    /// `aws.use_internal_ips`: private subnets and no public IPs.
    pub use_internal_ips: bool,
    /// The cluster's security group.
    pub security_group: SecurityGroup,
    /// Instance type.
    pub instance_type: String,
    /// AMI id (tags already resolved).
    pub image_id: String,
    /// Root device of the AMI.
    pub root_device_name: String,
    /// Root disk size (GB).
    pub disk_size: u32,
    /// EBS volume type (`gp3`, `standard`, `io2`).
    pub disk_tier: String,
    /// Provisioned IOPS, if the volume type takes them.
    pub disk_iops: Option<i32>,
    /// Throughput (MB/s) for gp3.
    pub disk_throughput: Option<i32>,
    /// Spot (`InstanceMarketOptions`) instead of on-demand.
    pub use_spot: bool,
    /// Tags put on instances and volumes (labels, `skypilot-user`).
    pub tags: BTreeMap<String, String>,
    /// Login user on the image.
    pub ssh_user: String,
    /// The public key cloud-init installs for `ssh_user`.
    pub ssh_public_key: String,
    /// The matching private key on this machine.
    pub ssh_private_key: String,
    /// Ports to open (`8080`, `10000-10010`).
    pub ports: Vec<String>,
    /// What one node offers (from the catalog's row of the instance type).
    pub node_resources: crate::provision::NodeResources,
    /// Filled by `bootstrap_instances`: the VPC used.
    pub vpc_id: Option<String>,
    /// Filled by `bootstrap_instances`: usable subnets, tried in order.
    pub subnet_ids: Vec<String>,
    /// Filled by `bootstrap_instances`: the security group ids.
    pub security_group_ids: Vec<String>,
}

impl AwsProviderConfig {
    /// Reads the handle's provider config.
    pub fn from_json(v: &serde_json::Value) -> Result<Self> {
        serde_json::from_value(v.clone()).map_err(|e| {
            Error::value(format!(
                "Invalid AWS provider config in the cluster handle: {e}"
            ))
        })
    }

    /// As stored in the handle.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or_default()
    }
}

/// What the backend knows about one launchable on AWS.
#[derive(Debug, Clone, Default)]
pub struct DeployRequest {
    /// The user-facing cluster name (for `aws.security_group_name` patterns
    /// and the per-cluster ports group `sky-sg-<name>`).
    pub cluster_name: String,
    /// Region.
    pub region: String,
    /// Zones in failover order (empty: any in the region).
    pub zones: Vec<String>,
    /// Instance type.
    pub instance_type: String,
    /// The instance type's accelerator (`A100`), if any.
    pub accelerator: Option<String>,
    /// Whether the instance type is arm64.
    pub arm64: bool,
    /// `image_id` of the resources (tag or AMI), if set.
    pub image_id: Option<String>,
    /// Disk size (GB); SkyPilot's default is 256.
    pub disk_size: Option<u32>,
    /// `disk_tier` (`low`, `medium`, `high`, `ultra`, `best`).
    pub disk_tier: Option<String>,
    /// Spot.
    pub use_spot: bool,
    /// Labels (become tags).
    pub labels: BTreeMap<String, String>,
    /// Ports to open.
    pub ports: Vec<String>,
    /// `skypilot-user` tag value.
    pub user: String,
    /// The SSH key pair (private path, public key text).
    pub ssh_key: (String, String),
    /// What one node offers (from the catalog's row of the instance type).
    pub node_resources: crate::provision::NodeResources,
}

/// SkyPilot's default security group name: `sky-sg-<user>-<host hash>`
/// (`user_and_hostname_hash`: the last 4 hex digits of md5(hostname)).
pub fn default_security_group_name() -> String {
    let user = ["LOGNAME", "USER", "LNAME", "USERNAME"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|s| !s.is_empty()))
        .unwrap_or_else(|| "root".into());
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
    let digest = crate::catalog::md5::hex_digest(host.trim().as_bytes());
    format!("sky-sg-{user}-{}", &digest[digest.len() - 4..])
}

/// SkyPilot's EBS type, IOPS and throughput for a disk tier.
pub fn disk_specs(tier: Option<&str>) -> Result<(String, Option<i32>, Option<i32>)> {
    let tier = match tier.map(str::to_ascii_lowercase).as_deref() {
        None | Some("medium") => "medium",
        Some("best") | Some("ultra") => "ultra",
        Some("high") => "high",
        Some("low") => "low",
        Some(other) => {
            return Err(Error::value(format!("Invalid disk_tier {other:?}.")));
        }
    };
    Ok(match tier {
        "low" => ("standard".into(), None, None),
        "ultra" => ("io2".into(), Some(20000), None),
        "high" => ("gp3".into(), Some(7000), Some(7000 / 16)),
        _ => ("gp3".into(), Some(3500), Some(3500 / 16)),
    })
}

/// `_get_default_ami`: the image tag for an instance type's accelerator.
fn default_image_tag(accelerator: Option<&str>, arm64: bool) -> &'static str {
    let Some(acc) = accelerator else {
        return if arm64 { CPU_ARM64_IMAGE } else { CPU_IMAGE };
    };
    if acc.starts_with("Trainium") || acc.starts_with("Inferentia") {
        return NEURON_IMAGE;
    }
    if acc == "K80" {
        return GPU_K80_IMAGE;
    }
    // Pre-Turing GPUs need the proprietary-driver (CUDA 12) image.
    let legacy = matches!(acc, "V100" | "M60" | "P100" | "P4");
    match (legacy, arm64) {
        (true, true) => GPU_CUDA12_ARM64_IMAGE,
        (true, false) => GPU_CUDA12_IMAGE,
        (false, true) => GPU_ARM64_IMAGE,
        (false, false) => GPU_IMAGE,
    }
}

/// Whether an instance type is Graviton (arm64): its family has a `g`
/// after the generation digit (`m7g`, `c6gn`, `t4g`, `im4gn`), unlike
/// `g5` or `p4d`.
pub fn is_arm64(instance_type: &str) -> bool {
    let family = instance_type.split('.').next().unwrap_or_default();
    match family.find(|c: char| c.is_ascii_digit()) {
        Some(i) => family[i..]
            .trim_start_matches(|c: char| c.is_ascii_digit())
            .split('-')
            .next()
            .is_some_and(|s| s.contains('g')),
        None => false,
    }
}

/// Resolves `image_id` (an AMI or a `skypilot:` tag) for `region`.
pub fn resolve_image(cat: &Catalogs, req: &DeployRequest) -> Result<String> {
    let tag = match &req.image_id {
        Some(id) if !id.starts_with("skypilot:") => return Ok(id.clone()),
        Some(tag) => tag.clone(),
        None => default_image_tag(req.accelerator.as_deref(), req.arm64).to_string(),
    };
    let images = cat.file("aws/images.csv")?;
    crate::catalog::images::image_id_from_tag(&images, &tag, Some(&req.region))?.ok_or_else(|| {
        Error::new(
            ErrorKind::ResourcesUnavailable,
            format!(
                "No image found in catalog for region {}. Try setting a valid image_id.",
                req.region
            ),
        )
    })
}

/// One `aws.<key>` value of the layered config.
fn aws_config(env: &Env, key: &str) -> Result<Option<Value>> {
    crate::config::state::get_nested(env, &[Value::from("aws"), Value::from(key)], None)
}

/// `aws.security_group_name`: a name, or a list of `{pattern: name}`
/// matched against the cluster name.
fn user_security_group(env: &Env, cluster: &str) -> Result<Option<String>> {
    Ok(match aws_config(env, "security_group_name")? {
        Some(Value::Str(s)) => Some(s),
        Some(Value::Seq(items)) => items.iter().find_map(|item| match item {
            Value::Map(m) => m.0.first().and_then(|(pat, name)| {
                crate::runner::ignore::glob_match(pat.py_str().as_bytes(), cluster.as_bytes())
                    .then(|| name.py_str())
            }),
            _ => None,
        }),
        _ => None,
    })
}

/// Builds the provider config for one launchable, as SkyPilot's template
/// does (the config file's `aws.*` keys included).
pub fn provider_config(
    cat: &Catalogs,
    env: &Env,
    req: &DeployRequest,
) -> Result<AwsProviderConfig> {
    let image_id = resolve_image(cat, req)?;
    let (disk_tier, disk_iops, disk_throughput) = disk_specs(req.disk_tier.as_deref())?;
    let user_sg = user_security_group(env, &req.cluster_name)?;
    let group_name = match &user_sg {
        Some(name) => name.clone(),
        None if !req.ports.is_empty() => format!("sky-sg-{}", req.cluster_name),
        None => default_security_group_name(),
    };
    let mut tags = BTreeMap::new();
    tags.insert("skypilot-user".to_string(), req.user.clone());
    if let Some(Value::Map(m)) = aws_config(env, "labels")? {
        for (k, v) in m.0 {
            tags.insert(k.py_str(), v.py_str());
        }
    }
    tags.extend(req.labels.clone());
    let use_internal_ips = matches!(
        aws_config(env, "use_internal_ips")?,
        Some(Value::Bool(true))
    );
    let vpc_name = aws_config(env, "vpc_name")?.map(|v| v.py_str());
    Ok(AwsProviderConfig {
        region: req.region.clone(),
        availability_zone: (!req.zones.is_empty()).then(|| req.zones.join(",")),
        vpc_name,
        use_internal_ips,
        security_group: SecurityGroup {
            group_name,
            managed: user_sg.is_none(),
        },
        instance_type: req.instance_type.clone(),
        image_id,
        root_device_name: DEFAULT_ROOT_DEVICE_NAME.into(),
        disk_size: req.disk_size.unwrap_or(256),
        disk_tier,
        disk_iops,
        disk_throughput,
        use_spot: req.use_spot,
        tags,
        ssh_user: "ubuntu".into(),
        ssh_private_key: req.ssh_key.0.clone(),
        ssh_public_key: req.ssh_key.1.clone(),
        ports: req.ports.clone(),
        node_resources: req.node_resources.clone(),
        ..Default::default()
    })
}

/// The AWS deploy request of one attempt, resolved into the provider config.
pub fn from_launch(
    cat: &Catalogs,
    cluster_name: &str,
    lr: &crate::backend::LaunchedResources,
    chosen: &crate::spec::resources::Resources,
) -> Result<serde_json::Value> {
    let env = Env::process();
    let region = lr.region.clone().unwrap_or_default();
    let user_hash = crate::backend::identity::user_hash();
    let key_dir =
        std::path::PathBuf::from(env.expanduser(&format!("~/.sky/clients/{user_hash}/ssh")));
    let (private, public) = crate::provision::ssh_key::get_or_generate(&key_dir)?;
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
        arm64: is_arm64(&instance_type),
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
        node_resources: crate::provision::NodeResources {
            cpus: lr.cpus.unwrap_or_default(),
            memory_gb: lr.memory_gb.unwrap_or_default(),
            accelerator,
            accelerator_count: count.map_or(0, |c| c as u32),
            gpu_indices: Vec::new(),
        },
    };
    Ok(provider_config(cat, &env, &req)?.to_json())
}

/// SkyPilot's cloud-init user data: creates `user` with password-less sudo
/// and the cluster key, and turns off unattended upgrades (apt locks).
pub fn user_data(user: &str, public_key: &str) -> String {
    format!(
        "#cloud-config\nusers:\n  - name: {user}\n    shell: /bin/bash\n    sudo: ALL=(ALL) NOPASSWD:ALL\n    ssh_authorized_keys:\n      - |-\n        {key}\nwrite_files:\n  - path: /etc/apt/apt.conf.d/20auto-upgrades\n    content: |\n      APT::Periodic::Update-Package-Lists \"0\";\n      APT::Periodic::Download-Upgradeable-Packages \"0\";\n      APT::Periodic::AutocleanInterval \"0\";\n      APT::Periodic::Unattended-Upgrade \"0\";\nbootcmd:\n  - systemctl stop apt-daily.timer apt-daily-upgrade.timer unattended-upgrades.service\n  - systemctl disable apt-daily.timer apt-daily-upgrade.timer unattended-upgrades.service\n",
        key = public_key.trim()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disk_tiers() {
        assert_eq!(
            disk_specs(None).unwrap(),
            ("gp3".into(), Some(3500), Some(218))
        );
        assert_eq!(
            disk_specs(Some("low")).unwrap(),
            ("standard".into(), None, None)
        );
        assert_eq!(
            disk_specs(Some("best")).unwrap(),
            ("io2".into(), Some(20000), None)
        );
        assert!(disk_specs(Some("fast")).is_err());
    }

    #[test]
    fn image_tags() {
        assert_eq!(default_image_tag(None, false), CPU_IMAGE);
        assert_eq!(default_image_tag(Some("A100"), false), GPU_IMAGE);
        assert_eq!(default_image_tag(Some("V100"), false), GPU_CUDA12_IMAGE);
        assert_eq!(default_image_tag(Some("Inferentia2"), false), NEURON_IMAGE);
        assert_eq!(default_image_tag(None, true), CPU_ARM64_IMAGE);
        for (it, arm) in [
            ("m7g.large", true),
            ("c6gn.xlarge", true),
            ("g5.xlarge", false),
        ] {
            assert_eq!(is_arm64(it), arm, "{it}");
        }
        assert!(!is_arm64("p4d.24xlarge") && !is_arm64("m7i-flex.large"));
    }

    #[test]
    fn config_round_trips() {
        let c = AwsProviderConfig {
            region: "us-east-1".into(),
            security_group: SecurityGroup {
                group_name: "sky-sg-x".into(),
                managed: true,
            },
            ..Default::default()
        };
        let j = c.to_json();
        assert_eq!(j["security_group"]["GroupName"], "sky-sg-x");
        assert_eq!(AwsProviderConfig::from_json(&j).unwrap(), c);
    }
}
