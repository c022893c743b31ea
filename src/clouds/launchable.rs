//! Request-level operations on a spec `Resources` that the optimizer needs:
//! feasibility with SkyPilot's feature check, launchables per region/zone,
//! and the hourly cost of a launchable (SkyPilot's `Resources` methods and
//! `resources_utils.make_launchables_for_valid_region_zones`).

use super::features::{check_supported, required_features};
use super::{Accelerators, Cloud, FeasibleResources, Offering, Region};
use crate::catalog::Catalogs;
use crate::error::{Error, ErrorKind, Result};
use crate::spec::Resources;
use crate::yaml::Value;

/// `max_hourly_cost` as a number (`None` if unset or not a number).
pub fn max_hourly_cost(r: &Resources) -> Option<f64> {
    match r.max_hourly_cost.as_ref()? {
        Value::Int(i) => Some(*i as f64),
        Value::Float(f) => Some(*f),
        _ => None,
    }
}

/// The cloud object of a request, if stix plans for that cloud.
pub fn cloud_of(r: &Resources) -> Option<&'static dyn Cloud> {
    r.cloud.and_then(super::of)
}

fn need_cloud(r: &Resources) -> Result<&'static dyn Cloud> {
    cloud_of(r).ok_or_else(|| {
        Error::assertion(match r.cloud {
            Some(c) => format!("Cloud {} has no catalog in stix", c.display()),
            None => "Cloud must be specified".to_string(),
        })
    })
}

/// `Resources.accelerators`: the requested accelerators, or those the
/// instance type carries.
pub fn accelerators(cat: &Catalogs, r: &Resources) -> Result<Option<Accelerators>> {
    if r.accelerators.is_some() {
        return Ok(r.accelerators.clone());
    }
    match (cloud_of(r), r.instance_type.as_deref()) {
        (Some(cloud), Some(it)) => cloud.get_accelerators_from_instance_type(cat, it),
        _ => Ok(None),
    }
}

/// `repr(resources)` as SkyPilot prints a planned resource: the memory and
/// accelerators its instance type implies are shown (`AWS(m6i.2xlarge,
/// mem=32.0)`), which needs the catalog.
pub fn repr(cat: &Catalogs, r: &Resources) -> Result<String> {
    let mut shown = r.clone();
    shown.accelerators = accelerators(cat, r)?;
    if let (None, Some(cloud), Some(it)) = (&shown.memory, cloud_of(r), r.instance_type.as_deref())
    {
        let (_, mem) = cloud.get_vcpus_mem_from_instance_type(cat, it)?;
        shown.memory = mem.map(crate::yaml::py_float_repr);
    }
    Ok(shown.repr())
}

/// `repr_with_region_zone` of a planned resource (see [`repr`]).
pub fn repr_with_region_zone(cat: &Catalogs, r: &Resources) -> Result<String> {
    let base = repr(cat, r)?;
    let mut extra = String::new();
    if let Some(region) = &r.region {
        extra.push_str(&format!(
            ", region={}",
            region.strip_prefix("ssh-").unwrap_or(region)
        ));
    }
    if let Some(zone) = &r.zone {
        extra.push_str(&format!(", zone={zone}"));
    }
    Ok(match base.strip_suffix(')') {
        Some(b) => format!("{b}{extra})"),
        None => format!("{base}{extra}"),
    })
}

/// `Cloud.get_feasible_launchable_resources(resources, num_nodes)`: checks
/// a launchable request's instance type/accelerator pairing, turns missing
/// features into a hint, then asks the cloud.
pub fn feasible_launchable_resources(
    cat: &Catalogs,
    cloud: &dyn Cloud,
    r: &Resources,
    num_nodes: u32,
) -> Result<FeasibleResources> {
    if r.cloud.is_some() && r.instance_type.is_some() {
        cloud.check_instance_type_accelerators_combination(cat, r)?;
    }
    let requested = required_features(r, num_nodes);
    match check_supported(
        cloud.class_repr(),
        &cloud.unsupported_features(r),
        &requested,
    ) {
        Ok(()) => cloud.feasible_resources(cat, r),
        Err(e) if e.kind == ErrorKind::NotSupported => Ok(FeasibleResources {
            hint: Some(e.message),
            ..FeasibleResources::default()
        }),
        Err(e) => Err(e),
    }
}

/// `get_valid_regions_for_launchable`: the regions (and zones) offering a
/// launchable request, narrowed to the regions its `image_id` names.
pub fn valid_regions_for_launchable(cat: &Catalogs, r: &Resources) -> Result<Vec<Region>> {
    let cloud = need_cloud(r)?;
    let Some(it) = r.instance_type.as_deref() else {
        return Err(Error::assertion("Instance type must be specified"));
    };
    let accs = accelerators(cat, r)?;
    let mut regions = cloud.regions_with_offering(
        cat,
        &Offering {
            instance_type: it,
            accelerators: accs.as_ref(),
            use_spot: r.use_spot,
            region: r.region.as_deref(),
            zone: r.zone.as_deref(),
        },
    )?;
    if let Some(ids) = &r.image_id
        && ids.get_value(&Value::Null).is_none()
    {
        regions.retain(|reg| ids.contains(&reg.name));
    }
    Ok(regions)
}

/// `make_launchables_for_valid_region_zones`: one launchable per region
/// (on demand), or per zone (spot, or clouds optimized by zone).
pub fn make_launchables_for_valid_region_zones(
    cat: &Catalogs,
    r: &Resources,
    override_optimize_by_zone: bool,
) -> Result<Vec<Resources>> {
    let cloud = need_cloud(r)?;
    let by_zone = override_optimize_by_zone || cloud.optimize_by_zone();
    let mut out = Vec::new();
    for region in valid_regions_for_launchable(cat, r)? {
        match (&region.zones, r.use_spot || by_zone) {
            (Some(zones), true) => {
                for z in zones {
                    let mut c = r.clone();
                    c.region = Some(region.name.clone());
                    c.zone = Some(z.clone());
                    out.push(c);
                }
            }
            _ => {
                let mut c = r.clone();
                c.region = Some(region.name.clone());
                out.push(c);
            }
        }
    }
    Ok(out)
}

/// The joint hourly price of the instance and its accelerators.
fn hourly_cost(
    cat: &Catalogs,
    cloud: &dyn Cloud,
    r: &Resources,
    region: Option<&str>,
    zone: Option<&str>,
) -> Result<f64> {
    let Some(it) = r.instance_type.as_deref() else {
        return Err(Error::assertion("Instance type must be specified"));
    };
    let mut cost = cloud.instance_type_to_hourly_cost(cat, it, r.use_spot, region, zone)?;
    if let Some(accs) = accelerators(cat, r)? {
        cost += cloud.accelerators_to_hourly_cost(cat, &accs, r.use_spot, region, zone)?;
    }
    Ok(cost)
}

/// `Resources.get_cost(seconds)`: without a pinned region, the cheapest
/// joint price over the regions that offer the launchable.
pub fn get_cost(cat: &Catalogs, r: &Resources, seconds: f64) -> Result<f64> {
    let cloud = need_cloud(r)?;
    let hours = seconds / 3600.0;
    if r.region.is_none() {
        let mut best: Option<f64> = None;
        for region in valid_regions_for_launchable(cat, r)? {
            match hourly_cost(cat, cloud, r, Some(&region.name), None) {
                // Python's min(): a later value wins only if strictly less.
                Ok(c) => best = Some(best.map_or(c, |b| if c < b { c } else { b })),
                Err(e) if e.kind == ErrorKind::Value => continue,
                Err(e) => return Err(e),
            }
        }
        if let Some(b) = best {
            return Ok(b * hours);
        }
    }
    Ok(hourly_cost(cat, cloud, r, r.region.as_deref(), r.zone.as_deref())? * hours)
}
