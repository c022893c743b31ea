//! `bootstrap_instances` for AWS, as SkyPilot's `provision/aws/config.py`
//! does it: the VPC (the region's default one, or `aws.vpc_name`), usable
//! subnets per zone (public ones, or private ones with `use_internal_ips`),
//! and the cluster's security group (intra-group traffic + SSH), found by
//! name first so a second run changes nothing.

use aws_sdk_ec2::Client;
use aws_sdk_ec2::types::{
    Filter, IpPermission, IpRange, ResourceType, RouteTable, SecurityGroup, Subnet, Tag,
    TagSpecification, UserIdGroupPair,
};

use super::aws_client::{call, call_raw};
use super::aws_deploy::{AwsProviderConfig, default_security_group_name};
use crate::error::{Error, ErrorKind, Result};

/// SkyPilot's marker for "failed before any node was launched": the
/// failover loop moves on to the next region.
const NO_NODES_LAUNCHED: &str = "SKYPILOT_ERROR_NO_NODES_LAUNCHED";

/// A bootstrap failure that leaves nothing behind: failover material.
fn no_nodes(msg: impl std::fmt::Display) -> Error {
    Error::new(
        ErrorKind::ResourcesUnavailable,
        format!("{NO_NODES_LAUNCHED}: {msg}"),
    )
}

/// The zone name (`us-east-1b`) of a catalog zone, which the public
/// catalogs give as a zone id (`use1-az1`, the same place in every
/// account); names pass through.
pub fn zone_name(ec2: &Client, zone: &str) -> Result<String> {
    if !zone.contains("-az") {
        return Ok(zone.to_string());
    }
    let out = call("DescribeAvailabilityZones", || {
        ec2.describe_availability_zones()
            .filters(filter("zone-id", &[zone]))
            .send()
    })?;
    out.availability_zones()
        .iter()
        .find_map(|z| z.zone_name().map(str::to_string))
        .ok_or_else(|| no_nodes(format!("Availability zone {zone} is not offered here.")))
}

/// One EC2 filter.
pub fn filter(name: &str, values: &[&str]) -> Filter {
    let mut b = Filter::builder().name(name);
    for v in values {
        b = b.values(*v);
    }
    b.build()
}

/// The ids of the VPCs matching `f`.
fn vpc_ids(ec2: &Client, f: Filter) -> Result<Vec<String>> {
    let out = call("DescribeVpcs", || {
        ec2.describe_vpcs().filters(f.clone()).send()
    })?;
    Ok(out
        .vpcs()
        .iter()
        .filter_map(|v| v.vpc_id().map(str::to_string))
        .collect())
}

/// The VPC named `name` (tag `Name`), which must be unique.
pub fn vpc_id_by_name(ec2: &Client, name: &str, region: &str) -> Result<String> {
    let vpcs = vpc_ids(ec2, filter("tag:Name", &[name]))?;
    match vpcs.as_slice() {
        [one] => Ok(one.clone()),
        [] => Err(no_nodes(format!(
            "No VPC with name '{name}' is found in {region}. To fix: specify a correct VPC name."
        ))),
        many => Err(no_nodes(format!(
            "Multiple VPCs with name '{name}' found in {region}: {many:?}. It is ambiguous as to which VPC to use. To fix: specify a VPC name that is uniquely identifying."
        ))),
    }
}

/// The region's default VPC.
pub fn default_vpc_id(ec2: &Client, region: &str) -> Result<Option<String>> {
    let ids = vpc_ids(ec2, filter("isDefault", &["true"]))?;
    if ids.len() > 1 {
        return Err(Error::value(format!(
            "Multiple default VPCs found in region {region}"
        )));
    }
    Ok(ids.into_iter().next())
}

/// The VPC the provider config points at (`vpc_name` or the default one).
pub fn vpc_id(ec2: &Client, cfg: &AwsProviderConfig) -> Result<String> {
    if let Some(id) = &cfg.vpc_id {
        return Ok(id.clone());
    }
    match &cfg.vpc_name {
        Some(name) => vpc_id_by_name(ec2, name, &cfg.region),
        None => default_vpc_id(ec2, &cfg.region)?.ok_or_else(|| {
            no_nodes(format!(
                "The default VPC in {} either does not exist or has no subnets.",
                cfg.region
            ))
        }),
    }
}

fn has_igw_route(tables: &[&RouteTable]) -> bool {
    tables.iter().any(|t| {
        t.routes()
            .iter()
            .any(|r| r.gateway_id().is_some_and(|g| g.starts_with("igw-")))
    })
}

/// Whether a subnet routes to an internet gateway (explicitly, or through
/// its VPC's main route table when it has no table of its own).
fn is_public(subnet_id: &str, explicit: &[RouteTable], main: &[RouteTable]) -> bool {
    let own: Vec<&RouteTable> = explicit
        .iter()
        .filter(|t| {
            t.associations()
                .iter()
                .any(|a| a.subnet_id() == Some(subnet_id))
        })
        .collect();
    if has_igw_route(&own) {
        return true;
    }
    if !own.is_empty() {
        return false;
    }
    has_igw_route(&main.iter().collect::<Vec<_>>())
}

fn route_tables(ec2: &Client, vpc: &str, main: bool) -> Result<Vec<RouteTable>> {
    let flag = if main { "true" } else { "false" };
    let out = call("DescribeRouteTables", || {
        ec2.describe_route_tables()
            .filters(filter("association.main", &[flag]))
            .filters(filter("vpc-id", &[vpc]))
            .send()
    })?;
    Ok(out.route_tables().to_vec())
}

/// `_usable_subnets`: available subnets of `vpc`, public or private as
/// asked, ordered by the requested zones (else Z to A like SkyPilot).
pub fn usable_subnets(ec2: &Client, vpc: &str, cfg: &AwsProviderConfig) -> Result<Vec<Subnet>> {
    let out = call("DescribeSubnets", || {
        ec2.describe_subnets()
            .filters(filter("vpc-id", &[vpc]))
            .send()
    })?;
    let candidates: Vec<Subnet> = out.subnets().to_vec();
    if candidates.is_empty() {
        return Err(no_nodes(format!(
            "No candidate subnets found in specified VPC {vpc}."
        )));
    }
    let available: Vec<Subnet> = candidates
        .into_iter()
        .filter(|s| s.state().is_some_and(|st| st.as_str() == "available"))
        .collect();
    if available.is_empty() {
        return Err(no_nodes(format!(
            "All candidate subnets are pending in specified VPC {vpc}."
        )));
    }
    let explicit = route_tables(ec2, vpc, false)?;
    let main = route_tables(ec2, vpc, true)?;
    let mut subnets: Vec<Subnet> = available
        .into_iter()
        .filter(|s| {
            let public = is_public(s.subnet_id().unwrap_or_default(), &explicit, &main);
            if cfg.use_internal_ips {
                !public && !s.map_public_ip_on_launch().unwrap_or(false)
            } else {
                public
            }
        })
        .collect();
    if subnets.is_empty() {
        return Err(no_nodes(if cfg.use_internal_ips {
            "The use_internal_ips option is set to True, but all candidate subnets are public."
        } else {
            "All candidate subnets are private, did you mean to set use_internal_ips to True?"
        }));
    }
    subnets.sort_by(|a, b| b.availability_zone().cmp(&a.availability_zone()));
    if let Some(azs) = &cfg.availability_zone {
        let zones: Vec<&str> = azs.split(',').map(str::trim).collect();
        subnets = zones
            .iter()
            .flat_map(|z| {
                subnets
                    .iter()
                    .filter(move |s| s.availability_zone() == Some(*z))
            })
            .cloned()
            .collect();
        if subnets.is_empty() {
            return Err(no_nodes(format!(
                "No usable subnets matching availability zone {zones:?} found. Choose a different availability zone or try manually creating an instance in your specified region to populate the list of subnets and trying this again. If you have set `use_internal_ips`, check that this zone has a subnet that (1) has the substring 'private' in its name tag and (2) does not assign public IPs (`map_public_ip_on_launch` is False)."
            )));
        }
    }
    Ok(subnets)
}

/// The security group `name` in `vpc`, if it exists.
pub fn find_security_group(ec2: &Client, vpc: &str, name: &str) -> Result<Option<SecurityGroup>> {
    let out = call("DescribeSecurityGroups", || {
        ec2.describe_security_groups()
            .filters(filter("vpc-id", &[vpc]))
            .filters(filter("group-name", &[name]))
            .send()
    })?;
    Ok(out
        .security_groups()
        .iter()
        .find(|g| g.group_name() == Some(name))
        .cloned())
}

/// `_get_or_create_vpc_security_group` + the default inbound rules.
pub fn ensure_security_group(ec2: &Client, vpc: &str, name: &str) -> Result<String> {
    let group = match find_security_group(ec2, vpc, name)? {
        Some(g) => g,
        None => {
            let created = call_raw("CreateSecurityGroup", || {
                ec2.create_security_group()
                    .description("Auto-created security group for Ray workers")
                    .group_name(name)
                    .vpc_id(vpc)
                    .tag_specifications(
                        TagSpecification::builder()
                            .resource_type(ResourceType::SecurityGroup)
                            .tags(Tag::builder().key("skypilot").value("true").build())
                            .build(),
                    )
                    .send()
            })?;
            if let Err(e) = created
                && !e.is("InvalidGroup.Duplicate")
            {
                return Err(no_nodes(format!(
                    "Failed to create security group '{name}' in VPC '{vpc}'. Error: {}",
                    e.message
                )));
            }
            find_security_group(ec2, vpc, name)?
                .ok_or_else(|| Error::new(ErrorKind::Runtime, "Failed to create security group"))?
        }
    };
    let id = group.group_id().unwrap_or_default().to_string();
    if group.ip_permissions().is_empty() {
        let intra = IpPermission::builder()
            .ip_protocol("-1")
            .from_port(-1)
            .to_port(-1)
            .user_id_group_pairs(UserIdGroupPair::builder().group_id(&id).build())
            .build();
        let ssh = tcp_rule(22, 22);
        let r = call_raw("AuthorizeSecurityGroupIngress", || {
            ec2.authorize_security_group_ingress()
                .group_id(&id)
                .ip_permissions(intra.clone())
                .ip_permissions(ssh.clone())
                .send()
        })?;
        // A concurrent launch may have added the same rules meanwhile.
        if let Err(e) = r
            && !e.is("InvalidPermission.Duplicate")
        {
            return Err(super::aws_client::to_error(e));
        }
    }
    Ok(id)
}

/// A TCP rule open to the world.
pub fn tcp_rule(from: i32, to: i32) -> IpPermission {
    IpPermission::builder()
        .ip_protocol("tcp")
        .from_port(from)
        .to_port(to)
        .ip_ranges(IpRange::builder().cidr_ip("0.0.0.0/0").build())
        .build()
}

/// `bootstrap_instances`: fills the VPC, subnets and security groups in.
pub fn bootstrap(ec2: &Client, mut cfg: AwsProviderConfig) -> Result<AwsProviderConfig> {
    if cfg.image_id.is_empty() {
        return Err(no_nodes(
            "No ImageId found in the node_config. ImageId will need to be set manually in your cluster config.",
        ));
    }
    cfg.vpc_id = None;
    let vpc = vpc_id(ec2, &cfg)?;
    let subnets = usable_subnets(ec2, &vpc, &cfg)?;
    let sg = ensure_security_group(ec2, &vpc, &cfg.security_group.group_name)?;
    let default_name = default_security_group_name();
    if cfg.security_group.managed && cfg.security_group.group_name != default_name {
        // The shared default group lets `down` move instances out of the
        // cluster's own group and delete it without waiting.
        ensure_security_group(ec2, &vpc, &default_name)?;
    }
    cfg.vpc_id = Some(vpc);
    cfg.subnet_ids = subnets
        .iter()
        .filter_map(|s| s.subnet_id().map(str::to_string))
        .collect();
    cfg.security_group_ids = vec![sg];
    Ok(cfg)
}
