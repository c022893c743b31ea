//! Ports and security groups across a cluster's life, as SkyPilot's
//! `open_ports` / `cleanup_ports` / `terminate_instances` handle them: a
//! cluster with ports gets its own group `sky-sg-<cluster>`; teardown moves
//! the instances to the shared default group so the cluster's own group can
//! be deleted without waiting for the instances to die.

use std::collections::BTreeSet;

use aws_sdk_ec2::Client;
use aws_sdk_ec2::types::Instance;

use super::aws_client::{call, call_raw, to_error};
use super::aws_deploy::{AwsProviderConfig, default_security_group_name};
use super::aws_instance::{self as inst, LIVE};
use super::aws_network::{find_security_group, tcp_rule, vpc_id};
use crate::error::{Error, ErrorKind, Result};

/// `port_ranges_to_set`: `["80", "8000-8002"]` -> {80, 8000, 8001, 8002}.
pub fn port_set(ports: &[String]) -> Result<BTreeSet<i32>> {
    let mut out = BTreeSet::new();
    for p in ports {
        let bad = || Error::value(format!("Invalid port range {p:?}."));
        match p.split_once('-') {
            Some((a, b)) => {
                let (a, b): (i32, i32) = (
                    a.trim().parse().map_err(|_| bad())?,
                    b.trim().parse().map_err(|_| bad())?,
                );
                if a > b {
                    return Err(bad());
                }
                out.extend(a..=b);
            }
            None => {
                out.insert(p.trim().parse().map_err(|_| bad())?);
            }
        }
    }
    Ok(out)
}

/// `port_set_to_ranges`: consecutive ports folded into `(from, to)`.
pub fn ranges(ports: &BTreeSet<i32>) -> Vec<(i32, i32)> {
    let mut out: Vec<(i32, i32)> = Vec::new();
    for &p in ports {
        match out.last_mut() {
            Some((_, to)) if *to + 1 == p => *to = p,
            _ => out.push((p, p)),
        }
    }
    out
}

/// Moves `instance` into `group` unless it is already its only group.
fn move_to_group(ec2: &Client, instance: &Instance, group: &str) -> Result<()> {
    let current: Vec<&str> = instance
        .security_groups()
        .iter()
        .filter_map(|g| g.group_id())
        .collect();
    if current == [group] {
        return Ok(());
    }
    let id = inst::id(instance);
    call("ModifyInstanceAttribute", || {
        ec2.modify_instance_attribute()
            .instance_id(&id)
            .groups(group)
            .send()
    })?;
    Ok(())
}

/// `open_ports`: adds TCP rules for the ports the group does not open yet.
pub fn open(ec2: &Client, cluster: &str, ports: &[String], cfg: &AwsProviderConfig) -> Result<()> {
    let instances = inst::list(ec2, cluster, LIVE, false)?;
    if instances.is_empty() {
        return Err(Error::value(format!(
            "Instance with cluster name {cluster} not found."
        )));
    }
    let name = &cfg.security_group.group_name;
    let vpc = vpc_id(ec2, cfg)?;
    let sg = find_security_group(ec2, &vpc, name)?.ok_or_else(|| {
        Error::value(format!(
            "Cannot find new security group {name}. Please check the log above and try again."
        ))
    })?;
    let sg_id = sg.group_id().unwrap_or_default().to_string();
    for i in &instances {
        move_to_group(ec2, i, &sg_id)?;
    }
    let mut existing = BTreeSet::new();
    for rule in sg.ip_permissions() {
        let proto = rule.ip_protocol().unwrap_or_default();
        if proto == "-1" {
            // All traffic from another group: a rule the user added, which
            // already lets everything in.
            if rule
                .user_id_group_pairs()
                .iter()
                .any(|p| p.group_id() != Some(sg_id.as_str()))
            {
                return Ok(());
            }
            continue;
        }
        if proto != "tcp" {
            continue;
        }
        if let (Some(from), Some(to)) = (rule.from_port(), rule.to_port()) {
            existing.extend(from..=to);
        }
    }
    let wanted: BTreeSet<i32> = port_set(ports)?.difference(&existing).copied().collect();
    let rules: Vec<_> = ranges(&wanted)
        .into_iter()
        .map(|(a, b)| tcp_rule(a, b))
        .collect();
    if rules.is_empty() {
        return Ok(());
    }
    let r = call_raw("AuthorizeSecurityGroupIngress", || {
        ec2.authorize_security_group_ingress()
            .group_id(&sg_id)
            .set_ip_permissions(Some(rules.clone()))
            .send()
    })?;
    match r {
        Err(e) if !e.is("InvalidPermission.Duplicate") => Err(to_error(e)),
        _ => Ok(()),
    }
}

/// Whether the cluster's group is its own (created by stix for its ports),
/// as opposed to the shared default group or one the user named.
fn owns_group(cfg: &AwsProviderConfig) -> bool {
    cfg.security_group.managed && cfg.security_group.group_name != default_security_group_name()
}

/// `cleanup_ports`: deletes the cluster's own group, retrying while AWS
/// still sees it in use.
pub fn cleanup(ec2: &Client, cfg: &AwsProviderConfig) -> Result<()> {
    if !owns_group(cfg) {
        return Ok(());
    }
    let vpc = vpc_id(ec2, cfg)?;
    let Some(sg) = find_security_group(ec2, &vpc, &cfg.security_group.group_name)? else {
        return Ok(());
    };
    let sg_id = sg.group_id().unwrap_or_default().to_string();
    let mut delay = std::time::Duration::from_millis(500);
    for _ in 0..6 {
        let r = call_raw("DeleteSecurityGroup", || {
            ec2.delete_security_group().group_id(&sg_id).send()
        })?;
        match r {
            Ok(_) => return Ok(()),
            Err(e) if e.is("InvalidGroup.NotFound") => return Ok(()),
            Err(e) if e.is("DependencyViolation") => {
                std::thread::sleep(delay);
                delay *= 2;
            }
            Err(e) => return Err(to_error(e)),
        }
    }
    Err(Error::new(
        ErrorKind::Runtime,
        format!(
            "Cannot delete security group {} after 6 attempts. Please delete it manually.",
            cfg.security_group.group_name
        ),
    ))
}

/// `terminate_instances`: the cluster's own group is emptied first (moved
/// to the default group) so it can be deleted right away.
pub fn terminate(
    ec2: &Client,
    cluster: &str,
    cfg: &AwsProviderConfig,
    worker_only: bool,
) -> Result<()> {
    let instances = inst::list(ec2, cluster, LIVE, worker_only)?;
    if owns_group(cfg) && !worker_only {
        let vpc = vpc_id(ec2, cfg)?;
        if let Some(default) = find_security_group(ec2, &vpc, &default_security_group_name())? {
            let default_id = default.group_id().unwrap_or_default().to_string();
            for i in &instances {
                move_to_group(ec2, i, &default_id)?;
            }
        }
    }
    let ids: Vec<String> = instances.iter().map(inst::id).collect();
    if !ids.is_empty() {
        call("TerminateInstances", || {
            ec2.terminate_instances()
                .set_instance_ids(Some(ids.clone()))
                .send()
        })?;
    }
    if !worker_only {
        cleanup(ec2, cfg)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_ranges() {
        let s = port_set(&["80".into(), "8000-8002".into(), "8003".into()]).unwrap();
        assert_eq!(ranges(&s), vec![(80, 80), (8000, 8003)]);
        assert!(port_set(&["x".into()]).is_err());
        assert!(port_set(&["9-1".into()]).is_err());
    }
}
