//! Instances of one cluster on EC2, as SkyPilot's `provision/aws/instance.py`
//! handles them: found by the `ray-cluster-name` tag (so every step can be
//! run again after a crash), created one zone's subnet after another,
//! head/worker tags, and the EC2 state names mapped to cluster statuses.

use aws_sdk_ec2::Client;
use aws_sdk_ec2::types::{
    BlockDeviceMapping, EbsBlockDevice, HttpTokensState, Instance, InstanceMarketOptionsRequest,
    InstanceMetadataOptionsRequest, InstanceNetworkInterfaceSpecification, InstanceStateName,
    MarketType, ResourceType, Tag, TagSpecification, VolumeType,
};

use super::aws_client::call;
use super::aws_deploy::{AwsProviderConfig, user_data};
use super::aws_network::filter;
use super::{InstanceStatus, ProvisionRecord};
use crate::error::{Error, ErrorKind, Result};

/// SkyPilot's cluster tags (`sky/provision/constants.py`).
pub const TAG_RAY_CLUSTER_NAME: &str = "ray-cluster-name";
/// The tag `sky status` on the console shows.
pub const TAG_SKYPILOT_CLUSTER_NAME: &str = "skypilot-cluster-name";
/// Legacy head/worker marker.
pub const TAG_RAY_NODE_KIND: &str = "ray-node-type";
/// `1` on the head, `0` on workers.
pub const TAG_SKYPILOT_HEAD_NODE: &str = "skypilot-head-node";

/// States of instances that still exist (not shutting down/terminated).
pub const LIVE: &[&str] = &["pending", "running", "stopping", "stopped"];

/// The cluster's instances in `states` (any state when empty), workers only
/// when asked, sorted by id.
pub fn list(
    ec2: &Client,
    cluster: &str,
    states: &[&str],
    worker_only: bool,
) -> Result<Vec<Instance>> {
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = call("DescribeInstances", || {
            let mut req = ec2
                .describe_instances()
                .filters(filter(&format!("tag:{TAG_RAY_CLUSTER_NAME}"), &[cluster]))
                .set_next_token(token.clone());
            if !states.is_empty() {
                req = req.filters(filter("instance-state-name", states));
            }
            if worker_only {
                req = req.filters(filter(&format!("tag:{TAG_RAY_NODE_KIND}"), &["worker"]));
            }
            req.send()
        })?;
        for r in page.reservations() {
            out.extend(r.instances().iter().cloned());
        }
        token = page
            .next_token()
            .filter(|t| !t.is_empty())
            .map(str::to_string);
        if token.is_none() {
            break;
        }
    }
    out.sort_by(|a, b| a.instance_id().cmp(&b.instance_id()));
    Ok(out)
}

/// An instance's id.
pub fn id(i: &Instance) -> String {
    i.instance_id().unwrap_or_default().to_string()
}

/// An instance's EC2 state name.
pub fn state(i: &Instance) -> &str {
    i.state()
        .and_then(|s| s.name())
        .map(InstanceStateName::as_str)
        .unwrap_or("unknown")
}

/// One tag's value.
pub fn tag<'a>(i: &'a Instance, key: &str) -> Option<&'a str> {
    i.tags()
        .iter()
        .find(|t| t.key() == Some(key))
        .and_then(|t| t.value())
}

/// SkyPilot's status mapping (`None`: terminated or going away).
pub fn status_of(state: &str) -> Option<InstanceStatus> {
    match state {
        "pending" => Some(InstanceStatus::Init),
        "running" => Some(InstanceStatus::Up),
        "stopping" | "stopped" => Some(InstanceStatus::Stopped),
        _ => None,
    }
}

/// The head among `instances` (by its tags).
pub fn head_id(instances: &[Instance]) -> Option<String> {
    instances
        .iter()
        .find(|i| {
            tag(i, TAG_SKYPILOT_HEAD_NODE) == Some("1") || tag(i, TAG_RAY_NODE_KIND) == Some("head")
        })
        .map(id)
}

fn tags(pairs: impl IntoIterator<Item = (String, String)>) -> Vec<Tag> {
    pairs
        .into_iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect()
}

/// Marks `instance` as head or worker (SkyPilot's `_create_node_tag`).
fn tag_node(ec2: &Client, cluster: &str, instance: &str, head: bool) -> Result<()> {
    let (kind, flag, name) = if head {
        ("head", "1", format!("sky-{cluster}-head"))
    } else {
        ("worker", "0", format!("sky-{cluster}-worker"))
    };
    let t = tags([
        (TAG_RAY_NODE_KIND.to_string(), kind.to_string()),
        (TAG_SKYPILOT_HEAD_NODE.to_string(), flag.to_string()),
        ("Name".to_string(), name),
    ]);
    call("CreateTags", || {
        ec2.create_tags()
            .resources(instance)
            .set_tags(Some(t.clone()))
            .send()
    })?;
    Ok(())
}

/// Base64 (standard alphabet, padded) for `UserData`.
fn base64(data: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (i, shift) in [18, 12, 6, 0].into_iter().enumerate() {
            if i <= chunk.len() {
                out.push(A[((n >> shift) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// `_create_instances`: `count` new instances, trying each subnet (zone)
/// in order; capacity errors move on to the next zone, anything else stops.
fn create(cluster: &str, cfg: &AwsProviderConfig, count: i32) -> Result<Vec<Instance>> {
    let ec2 = super::aws_client::ec2_fail_fast(&cfg.region)?;
    let mut all_tags: Vec<(String, String)> = vec![
        ("Name".into(), cluster.into()),
        (TAG_RAY_CLUSTER_NAME.into(), cluster.into()),
        (TAG_SKYPILOT_CLUSTER_NAME.into(), cluster.into()),
    ];
    all_tags.extend(cfg.tags.iter().map(|(k, v)| (k.clone(), v.clone())));
    let spec = |rt: ResourceType| {
        TagSpecification::builder()
            .resource_type(rt)
            .set_tags(Some(tags(all_tags.clone())))
            .build()
    };
    let mut ebs = EbsBlockDevice::builder()
        .volume_size(cfg.disk_size as i32)
        .volume_type(VolumeType::from(cfg.disk_tier.as_str()))
        .encrypted(false);
    if let Some(iops) = cfg.disk_iops {
        ebs = ebs.iops(iops);
    }
    if let Some(t) = cfg.disk_throughput {
        ebs = ebs.throughput(t);
    }
    let disk = BlockDeviceMapping::builder()
        .device_name(&cfg.root_device_name)
        .ebs(ebs.build())
        .build();
    let user_data = base64(user_data(&cfg.ssh_user, &cfg.ssh_public_key).as_bytes());
    if cfg.subnet_ids.is_empty() {
        return Err(Error::new(
            ErrorKind::Runtime,
            "No subnet to launch in: bootstrap_instances has not run.",
        ));
    }
    let mut last: Option<Error> = None;
    for subnet in &cfg.subnet_ids {
        let nic = InstanceNetworkInterfaceSpecification::builder()
            .subnet_id(subnet)
            .device_index(0)
            .associate_public_ip_address(!cfg.use_internal_ips)
            .set_groups(Some(cfg.security_group_ids.clone()))
            .build();
        let r = call("RunInstances", || {
            let mut req = ec2
                .run_instances()
                .image_id(&cfg.image_id)
                .instance_type(cfg.instance_type.as_str().into())
                .min_count(count)
                .max_count(count)
                .block_device_mappings(disk.clone())
                .network_interfaces(nic.clone())
                .tag_specifications(spec(ResourceType::Instance))
                .tag_specifications(spec(ResourceType::Volume))
                .user_data(&user_data)
                .metadata_options(
                    InstanceMetadataOptionsRequest::builder()
                        .http_tokens(HttpTokensState::Required)
                        .build(),
                );
            if cfg.use_spot {
                req = req.instance_market_options(
                    InstanceMarketOptionsRequest::builder()
                        .market_type(MarketType::Spot)
                        .build(),
                );
            }
            req.send()
        });
        match r {
            Ok(out) => {
                let mut made = out.instances().to_vec();
                made.sort_by(|a, b| a.instance_id().cmp(&b.instance_id()));
                return Ok(made);
            }
            Err(e) if e.kind == ErrorKind::ResourcesUnavailable => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    let e = last.unwrap_or_else(|| Error::new(ErrorKind::Runtime, "Failed to launch instances."));
    Err(Error::new(
        e.kind,
        format!(
            "Failed to launch instances. Max attempts exceeded. {}",
            e.message
        ),
    ))
}

/// `run_instances`: resumes stopped nodes and creates the missing ones,
/// counting what already carries the cluster's tag, so a run killed at any
/// point is completed by running it again.
pub fn run(
    ec2: &Client,
    cluster: &str,
    cfg: &AwsProviderConfig,
    count: u32,
    resume: bool,
) -> Result<ProvisionRecord> {
    let existing = list(ec2, cluster, LIVE, false)?;
    let mut head = head_id(&existing);
    let by_state =
        |s: &str| -> Vec<&Instance> { existing.iter().filter(|i| state(i) == s).collect() };
    let (pending, running, stopping) = (
        by_state("pending"),
        by_state("running"),
        by_state("stopping"),
    );
    let mut stopped: Vec<String> = by_state("stopped").into_iter().map(id).collect();
    if head.is_none()
        && let Some(first) = running.first().or(pending.first())
    {
        tag_node(ec2, cluster, &id(first), true)?;
        head = Some(id(first));
    }
    let count = count as usize;
    if resume && existing.len() > count {
        return Err(Error::new(
            ErrorKind::Runtime,
            format!(
                "The number of running/stopped/stopping instances combined ({}) in cluster \"{cluster}\" is greater than the number requested by the user ({count}). This is likely a resource leak. Use \"sky down\" to terminate the cluster.",
                existing.len()
            ),
        ));
    }
    let live = running.len() + pending.len();
    if live > count {
        return Err(Error::new(
            ErrorKind::Runtime,
            format!(
                "The number of running+pending instances ({live}) in cluster \"{cluster}\" is greater than the number requested by the user ({count}). This is likely a resource leak. Use \"sky down\" to terminate the cluster."
            ),
        ));
    }
    let mut to_start = count - live;
    let mut zone = running
        .first()
        .and_then(|i| i.placement())
        .and_then(|p| p.availability_zone())
        .map(str::to_string);
    let mut resumed = Vec::new();
    if resume && to_start > 0 && (!stopping.is_empty() || !stopped.is_empty()) {
        if !stopping.is_empty() && to_start > stopped.len() {
            // Only a fully stopped instance can be started again.
            wait(
                ec2,
                cluster,
                &["stopping", "stopped"],
                "stopped",
                std::time::Duration::from_secs(480),
            )?;
            stopped.extend(stopping.iter().map(|i| id(i)));
            stopped.sort();
        }
        resumed = stopped.into_iter().take(to_start).collect::<Vec<_>>();
        call("StartInstances", || {
            ec2.start_instances()
                .set_instance_ids(Some(resumed.clone()))
                .send()
        })?;
        if !cfg.tags.is_empty() {
            let t = tags(cfg.tags.clone());
            call("CreateTags", || {
                ec2.create_tags()
                    .set_resources(Some(resumed.clone()))
                    .set_tags(Some(t.clone()))
                    .send()
            })?;
        }
        if zone.is_none() {
            zone = existing
                .iter()
                .find(|i| Some(id(i)) == resumed.first().cloned())
                .and_then(|i| i.placement())
                .and_then(|p| p.availability_zone())
                .map(str::to_string);
        }
        to_start -= resumed.len();
        if head.is_none()
            && let Some(first) = resumed.first()
        {
            tag_node(ec2, cluster, first, true)?;
            head = Some(first.clone());
        }
    }
    let mut created_ids = Vec::new();
    if to_start > 0 {
        let created = create(cluster, cfg, to_start as i32)?;
        created_ids = created.iter().map(id).collect::<Vec<_>>();
        if zone.is_none() {
            zone = created
                .first()
                .and_then(|i| i.placement())
                .and_then(|p| p.availability_zone())
                .map(str::to_string);
        }
        for (n, i) in created_ids.iter().enumerate() {
            let is_head = head.is_none() && n == 0;
            tag_node(ec2, cluster, i, is_head)?;
            if is_head {
                head = Some(i.clone());
            }
        }
    }
    let head_instance_id =
        head.ok_or_else(|| Error::new(ErrorKind::Runtime, "No head instance after provisioning."))?;
    Ok(ProvisionRecord {
        provider_name: "aws".into(),
        region: cfg.region.clone(),
        zone,
        cluster_name: cluster.into(),
        head_instance_id,
        resumed_instance_ids: resumed,
        created_instance_ids: created_ids,
    })
}

/// Polls until every instance of the cluster among `filter_states` is in
/// `target` (and there is at least one).
pub fn wait(
    ec2: &Client,
    cluster: &str,
    filter_states: &[&str],
    target: &str,
    timeout: std::time::Duration,
) -> Result<()> {
    let start = std::time::Instant::now();
    // Real EC2 takes tens of seconds; an emulator answers at once.
    let mut delay = std::time::Duration::from_millis(200);
    loop {
        let instances = list(ec2, cluster, filter_states, false)?;
        if instances.is_empty() {
            return Err(Error::new(
                ErrorKind::Runtime,
                format!("No instances found for cluster {cluster}."),
            ));
        }
        if instances.iter().all(|i| state(i) == target) {
            return Ok(());
        }
        if start.elapsed() > timeout {
            return Err(Error::new(
                ErrorKind::Runtime,
                format!("Timed out waiting for the instances of cluster {cluster} to be {target}."),
            ));
        }
        std::thread::sleep(delay);
        super::aws_client::note_wait(delay);
        delay = (delay * 2).min(std::time::Duration::from_secs(5));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_python() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"#cloud-config\n"), "I2Nsb3VkLWNvbmZpZwo=");
    }

    #[test]
    fn statuses() {
        assert_eq!(status_of("pending"), Some(InstanceStatus::Init));
        assert_eq!(status_of("stopping"), Some(InstanceStatus::Stopped));
        assert_eq!(status_of("shutting-down"), None);
        assert_eq!(status_of("terminated"), None);
    }
}
