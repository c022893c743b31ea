//! The catalog-dependent steps of SkyPilot's `Resources.validate()`:
//! canonical accelerator names, region/zone and instance type checks that
//! may infer the cloud, cpus/memory against a pinned instance type, disk
//! tier, local disk and price ceiling.

use super::launchable::cloud_of;
use super::text::{plain_table, wrap};
use super::{Cloud, Feature};
use crate::catalog::Catalogs;
use crate::error::{Error, ErrorKind, Result};
use crate::spec::Resources;
use crate::yaml::{Map, Value, py_float_repr, py_parse_float, py_str_repr};

/// `Resources.validate()` (the parts that read catalogs), updating `r`
/// the way SkyPilot does (canonical names, inferred cloud, region spelling).
/// `enabled` are the clouds `sky check` enabled, in SkyPilot's order.
pub fn validate(cat: &Catalogs, r: &mut Resources, enabled: &[&dyn Cloud]) -> Result<()> {
    canonicalize_accelerators(cat, r)?;
    validate_region_zone(cat, r, enabled)?;
    validate_instance_type(cat, r, enabled)?;
    validate_cpus_mem(cat, r)?;
    validate_image_id(cat, r)?;
    validate_disk_tier(r)?;
    validate_ports(r, enabled)?;
    validate_local_disk(cat, r, enabled)?;
    validate_max_hourly_cost(r)
}

/// `[AWS, GCP]`, as Python prints a list of clouds.
fn cloud_list(clouds: &[&dyn Cloud]) -> String {
    format!(
        "[{}]",
        clouds
            .iter()
            .map(|c| c.repr())
            .collect::<Vec<_>>()
            .join(", ")
    )
}

fn set_cloud(r: &mut Resources, cloud: &dyn Cloud) {
    r.cloud = crate::spec::infra::Cloud::from_str(cloud.name()).ok();
}

fn opt_repr(s: &Option<String>) -> String {
    s.as_deref().map_or("None".to_string(), py_str_repr)
}

/// `_try_canonicalize_accelerators`.
pub fn canonicalize_accelerators(cat: &Catalogs, r: &mut Resources) -> Result<()> {
    let Some(accs) = &r.accelerators else {
        return Ok(());
    };
    let registry = match cat.accelerator_registry() {
        Ok(reg) => reg,
        // No accelerator catalog and no way to download one (offline, a
        // fresh machine): names stay as written, so the local infra, which
        // matches them itself, still plans.
        Err(e) if e.kind == ErrorKind::Os => return Ok(()),
        Err(e) => return Err(e),
    };
    let cloud = cloud_of(r).map(|c| c.repr());
    let mut out = Map::new();
    for (name, count) in accs.iter() {
        let canon = registry.canonicalize(&name.py_str(), cloud)?;
        out.insert(canon, count.clone());
    }
    r.accelerators = Some(out);
    Ok(())
}

/// `_try_validate_and_set_region_zone`.
pub fn validate_region_zone(
    cat: &Catalogs,
    r: &mut Resources,
    enabled: &[&dyn Cloud],
) -> Result<()> {
    if r.region.is_none() && r.zone.is_none() {
        return Ok(());
    }
    let cloud = match cloud_of(r) {
        Some(c) => c,
        None if r.cloud.is_some() => return Ok(()),
        None => infer_cloud_from_region_zone(cat, r, enabled)?,
    };
    let (region, zone) = cloud.validate_region_zone(cat, r.region.as_deref(), r.zone.as_deref())?;
    set_cloud(r, cloud);
    r.region = region;
    r.zone = zone;
    Ok(())
}

fn infer_cloud_from_region_zone(
    cat: &Catalogs,
    r: &Resources,
    enabled: &[&dyn Cloud],
) -> Result<&'static dyn Cloud> {
    let mut valid: Vec<&dyn Cloud> = Vec::new();
    let mut errors: Vec<(&str, String)> = Vec::new();
    for c in enabled {
        match c.validate_region_zone(cat, r.region.as_deref(), r.zone.as_deref()) {
            Ok(_) => valid.push(*c),
            Err(e) if e.kind == ErrorKind::Value => errors.push((c.repr(), e.message)),
            Err(e) => return Err(e),
        }
    }
    let place = format!(
        "(region {}, zone {})",
        opt_repr(&r.region),
        opt_repr(&r.zone)
    );
    match valid.as_slice() {
        [] => {
            let cloud_str = match enabled {
                [one] => format!("for cloud {}", one.repr()),
                many => format!("for any cloud among {}", cloud_list(many)),
            };
            let hint = if errors.len() == 1 {
                errors[0].1.clone()
            } else {
                let mut rows = vec![vec!["-----".to_string(), "----".to_string()]];
                rows.extend(
                    errors
                        .iter()
                        .map(|(c, e)| vec![c.to_string(), wrap(e, 80).join("\n")]),
                );
                plain_table(&["Cloud", "Hint"], &rows)
            };
            Err(Error::value(format!(
                "Invalid {place} {cloud_str}. Details:\n{hint}"
            )))
        }
        [one] => super::by_name(one.name()).ok_or_else(|| Error::value("unknown cloud")),
        many => Err(Error::value(format!(
            "Cannot infer cloud from {place}. Multiple enabled clouds have region/zone of the same names: {}. To fix: explicitly specify `cloud`.",
            cloud_list(many)
        ))),
    }
}

/// `_try_validate_instance_type`.
pub fn validate_instance_type(
    cat: &Catalogs,
    r: &mut Resources,
    enabled: &[&dyn Cloud],
) -> Result<()> {
    let Some(it) = r.instance_type.clone() else {
        return Ok(());
    };
    if let Some(cloud) = cloud_of(r) {
        if !cloud.instance_type_exists(cat, &it)? {
            return Err(Error::value(format!(
                "Invalid instance type {} for cloud {}.",
                py_str_repr(&it),
                cloud.repr()
            )));
        }
        return Ok(());
    }
    if r.cloud.is_some() {
        return Ok(());
    }
    let mut valid: Vec<&dyn Cloud> = Vec::new();
    for c in enabled {
        if c.instance_type_exists(cat, &it)? {
            valid.push(*c);
        }
    }
    match valid.as_slice() {
        [] => {
            let cloud_str = match enabled {
                [one] => format!("for cloud {}", one.repr()),
                many => format!("for any cloud among {}", cloud_list(many)),
            };
            Err(Error::value(format!(
                "Invalid instance type {} {cloud_str}.",
                py_str_repr(&it)
            )))
        }
        [one] => {
            set_cloud(r, *one);
            Ok(())
        }
        many => Err(Error::value(format!(
            "Ambiguous instance type {}. Please specify cloud explicitly among {}.",
            py_str_repr(&it),
            cloud_list(many)
        ))),
    }
}

/// `_try_validate_cpus_mem`: a pinned instance type must have the cpus and
/// memory asked for.
pub fn validate_cpus_mem(cat: &Catalogs, r: &Resources) -> Result<()> {
    if r.cpus.is_none() && r.memory.is_none() {
        return Ok(());
    }
    let (Some(it), Some(cloud)) = (r.instance_type.as_deref(), cloud_of(r)) else {
        return Ok(());
    };
    let (cpus, mem) = cloud.get_vcpus_mem_from_instance_type(cat, it)?;
    let number = |s: &str| py_parse_float(s).unwrap_or(f64::NAN);
    if let Some(want) = &r.cpus {
        let have = cpus.ok_or_else(|| {
            Error::assertion(format!(
                "Can't get vCPUs from instance type: {it}, check catalog or specify cpus directly."
            ))
        })?;
        let shown = py_float_repr(have);
        if let Some(n) = want.strip_suffix('+') {
            if have < number(n) {
                return Err(Error::value(format!(
                    "{it} does not have enough vCPUs. {it} has {shown} vCPUs, but {want} is requested."
                )));
            }
        } else if have != number(want) {
            return Err(Error::value(format!(
                "{it} does not have the requested number of vCPUs. {it} has {shown} vCPUs, but {want} is requested."
            )));
        }
    }
    if let Some(want) = &r.memory {
        let have = mem.ok_or_else(|| {
            Error::assertion(format!(
                "Can't get memory from instance type: {it}, check catalog or specify memory directly."
            ))
        })?;
        let shown = py_float_repr(have);
        if let Some(n) = want.strip_suffix(['+', 'x']) {
            if have < number(n) {
                return Err(Error::value(format!(
                    "{it} does not have enough memory. {it} has {shown} GB memory, but {want} is requested."
                )));
            }
        } else if have != number(want) {
            return Err(Error::value(format!(
                "{it} does not have the requested memory. {it} has {shown} GB memory, but {want} is requested."
            )));
        }
    }
    Ok(())
}

fn check_feature(cloud: &dyn Cloud, r: &Resources, feature: Feature) -> Result<()> {
    super::features::check_supported(
        cloud.class_repr(),
        &cloud.unsupported_features(r),
        &[feature],
    )
}

/// The image GCP's GPUDirect-TCPX networking needs (`network_tier: best`).
const GCP_GPU_DIRECT_IMAGE_ID: &str =
    "docker:us-docker.pkg.dev/gce-ai-infra/gpudirect-tcpx/nccl-plugin-gpudirecttcpx";
/// The image Nebius' InfiniBand networking needs (`network_tier: best`).
const NEBIUS_INFINIBAND_IMAGE_ID: &str =
    "docker:cr.eu-north1.nebius.cloud/nebius-benchmarks/nccl-tests:2.23.4-ubu22.04-cu12.4";

/// `_try_validate_image_id` (without the image-size lookup, which needs the
/// cloud's API).
pub fn validate_image_id(cat: &Catalogs, r: &mut Resources) -> Result<()> {
    let cloud = cloud_of(r);
    if r.network_tier.as_deref() == Some("best") {
        let image = match cloud.map(|c| c.name()) {
            Some("gcp") => Some(GCP_GPU_DIRECT_IMAGE_ID),
            Some("nebius") => Some(NEBIUS_INFINIBAND_IMAGE_ID),
            _ => None,
        };
        match (image, &r.image_id) {
            (Some(img), None) => {
                let mut m = Map::new();
                m.insert(Value::from(r.region.clone()), img);
                r.image_id = Some(m);
            }
            (None, Some(ids)) => {
                let bad: Vec<String> = ids
                    .iter()
                    .filter(|(_, v)| !v.as_str().is_some_and(|s| s.starts_with("docker:")))
                    .map(|(k, v)| format!("{} (region: {})", v.py_str(), k.py_str()))
                    .collect();
                if !bad.is_empty() {
                    return Err(Error::value(format!(
                        "When using network_tier=BEST, image_id must be a docker image. Found non-docker images: {}. Please either: (1) use a docker image (prefix with \"docker:\"), or (2) leave image_id empty to use the default",
                        bad.join(", ")
                    )));
                }
            }
            _ => {}
        }
    }
    if r.image_id.is_none() && r.docker_image.is_none() {
        return Ok(());
    }
    if r.docker_image.is_some() {
        if let Some(c) = cloud {
            check_feature(c, r, Feature::DockerImage)?;
        }
        if r.image_id.is_none() {
            return Ok(());
        }
    }
    if r.image_id.is_some()
        && super::features::docker_image(r).is_some()
        && r.docker_image.is_none()
    {
        if let Some(c) = cloud {
            check_feature(c, r, Feature::DockerImage)?;
        }
        return Ok(());
    }
    let Some(cloud) = cloud else {
        return Err(Error::value(
            "Cloud must be specified when image_id is provided.",
        ));
    };
    if let Err(e) = check_feature(cloud, r, Feature::ImageId) {
        if e.kind != ErrorKind::NotSupported {
            return Err(e);
        }
        return Err(Error::value(if cloud.name() == "lambda" {
            "Lambda cloud only supports Docker images. Please prefix your image with \"docker:\" (e.g., image_id: docker:your-image-name)."
        } else {
            "image_id is only supported for AWS/GCP/Azure/IBM/OCI/Kubernetes/Nebius. For Lambda cloud, use \"docker:\" prefix for Docker images."
        }));
    }
    let mut ids = r.image_id.clone().unwrap_or_default();
    if let Some(region) = r.region.clone() {
        let chosen = ids
            .get_value(&Value::Null)
            .or_else(|| ids.get(&region))
            .cloned();
        let Some(img) = chosen else {
            return Err(Error::value(format!(
                "image_id {} should contain the image for the specified region {region}.",
                Value::Map(ids).py_repr()
            )));
        };
        let mut m = Map::new();
        m.insert(region.as_str(), img);
        ids = m;
        r.image_id = Some(ids.clone());
    }
    for (region, image) in ids.iter() {
        let image = image.py_str();
        let region = region.as_str().map(str::to_string);
        if image.starts_with("skypilot:")
            && !cloud.is_image_tag_valid(cat, &image, region.as_deref())?
        {
            let region_str = region
                .as_deref()
                .map(|r| format!(" ({r})"))
                .unwrap_or_default();
            return Err(Error::value(format!(
                "Image tag {} is not valid, please make sure the tag exists in {}{region_str}.",
                py_str_repr(&image),
                cloud.repr()
            )));
        }
        if cloud.name() == "aws" && !image.starts_with("skypilot:") && region.is_none() {
            return Err(Error::value(
                "image_id is only supported for AWS in a specific region, please explicitly specify the region.",
            ));
        }
    }
    Ok(())
}

/// `_try_validate_ports`.
pub fn validate_ports(r: &Resources, enabled: &[&dyn Cloud]) -> Result<()> {
    if r.ports.is_none() {
        return Ok(());
    }
    match cloud_of(r) {
        Some(c) => check_feature(c, r, Feature::OpenPorts),
        None if r.cloud.is_none() => {
            if enabled
                .iter()
                .any(|c| check_feature(*c, r, Feature::OpenPorts).is_ok())
            {
                Ok(())
            } else {
                Err(Error::value(
                    "No enabled clouds support opening ports. To fix: do not specify resources.ports, or enable a cloud that does support this feature.",
                ))
            }
        }
        None => Ok(()),
    }
}

/// `_try_validate_disk_tier`.
pub fn validate_disk_tier(r: &Resources) -> Result<()> {
    let (Some(tier), Some(cloud)) = (r.disk_tier.as_deref(), cloud_of(r)) else {
        return Ok(());
    };
    if cloud.supported_disk_tiers().contains(&tier) {
        return Ok(());
    }
    Err(Error::value(format!(
        "Disk tier {tier} is not supported for instance type {}.",
        r.instance_type.as_deref().unwrap_or("None")
    )))
}

/// `_try_validate_local_disk`.
pub fn validate_local_disk(cat: &Catalogs, r: &Resources, enabled: &[&dyn Cloud]) -> Result<()> {
    let Some(want) = r.local_disk.as_deref() else {
        return Ok(());
    };
    let supports = |c: &dyn Cloud| {
        !c.unsupported_features(r)
            .iter()
            .any(|(f, _)| *f == Feature::LocalDisk)
    };
    match cloud_of(r) {
        Some(c) => {
            let requested = [Feature::LocalDisk];
            super::features::check_supported(
                c.class_repr(),
                &c.unsupported_features(r),
                &requested,
            )?;
        }
        None if r.cloud.is_none() && !enabled.iter().any(|c| supports(*c)) => {
            return Err(Error::value(
                "No enabled cloud supports local disk selection. To fix: enable a cloud that supports this feature.",
            ));
        }
        None => {}
    }
    let (Some(it), Some(cloud)) = (r.instance_type.as_deref(), cloud_of(r)) else {
        return Ok(());
    };
    let have = if cloud.name() == "aws" {
        let t = cat.vms("aws")?;
        crate::catalog::query::local_disk_of(&crate::catalog::Df::all(&t), it)?
    } else {
        None
    };
    if local_disk_satisfied(want, have.as_deref()) {
        return Ok(());
    }
    Err(Error::value(format!(
        "Specified instance type {it} does not have specified local disk {want}."
    )))
}

/// `resources_utils.local_disk_satisfied(requested, launched)`.
pub fn local_disk_satisfied(requested: &str, launched: Option<&str>) -> bool {
    let Some(launched) = launched else {
        return false;
    };
    let parse = |s: &str| {
        let (mode, size) = s.split_once(':').unwrap_or((s, "0"));
        let at_least = size.ends_with('+');
        let size = py_parse_float(size.trim_end_matches('+')).unwrap_or(f64::NAN);
        (mode.to_string(), size, at_least)
    };
    let (req_mode, req_size, at_least) = parse(requested);
    let (mode, size, _) = parse(launched);
    if req_mode == "nvme" && mode != "nvme" {
        return false;
    }
    if req_mode == "ssd" && mode != "ssd" && mode != "nvme" {
        return false;
    }
    if at_least {
        size >= req_size
    } else {
        (size - req_size).abs() < 1.0
    }
}

/// `_try_validate_max_hourly_cost`.
pub fn validate_max_hourly_cost(r: &Resources) -> Result<()> {
    let Some(v) = &r.max_hourly_cost else {
        return Ok(());
    };
    let n = match v {
        Value::Int(i) => *i as f64,
        Value::Float(f) => *f,
        other => {
            return Err(Error::value(format!(
                "max_hourly_cost must be a positive number, got {}",
                other.py_repr()
            )));
        }
    };
    if n <= 0.0 {
        return Err(Error::value(format!(
            "max_hourly_cost must be a positive number, got {}",
            v.py_str()
        )));
    }
    Ok(())
}
