//! What Kubernetes, SSH node pools and the local infra share: virtual
//! instance types, no catalog prices (cost 0), regions that are contexts
//! or pools rather than catalog rows.

use super::virtual_type;
use super::{Accelerators, Cloud, FeasibleResources, Feature, Offering, Region};
use crate::catalog::Catalogs;
use crate::error::{Error, Result};
use crate::spec::Resources;

/// Kubernetes' unsupported features without a cluster to ask (SSH pools
/// inherit them).
pub fn kubernetes_features(repr: &str) -> Vec<(Feature, String)> {
    vec![
        (
            Feature::Stop,
            "Stopping clusters is not supported on Kubernetes.".into(),
        ),
        (
            Feature::SpotInstance,
            "Spot instances are not supported in Kubernetes.".into(),
        ),
        (
            Feature::CustomDiskTier,
            "Custom disk tiers are not supported in Kubernetes.".into(),
        ),
        (
            Feature::CustomMultiNetwork,
            "Customized multiple network interfaces are not supported in Kubernetes.".into(),
        ),
        (
            Feature::CustomNetworkTier,
            "Custom network tier is not supported in this Kubernetes cluster.".into(),
        ),
        (
            Feature::LocalDisk,
            format!("Local disk is not supported on {repr}"),
        ),
        (
            Feature::Autostop,
            "Auto-stop is not supported on Kubernetes.".into(),
        ),
    ]
}

/// Regions of a virtual-instance cloud, narrowed to the pinned one.
pub fn offered(regions: Vec<String>, o: &Offering) -> Vec<Region> {
    regions
        .into_iter()
        .filter(|r| o.region.is_none_or(|want| want == r))
        .map(|name| Region { name, zones: None })
        .collect()
}

/// Validates a region against the known contexts/pools; zones never exist.
pub fn validate_region(
    cloud: &dyn Cloud,
    regions: &[String],
    region: Option<&str>,
    zone: Option<&str>,
) -> Result<(Option<String>, Option<String>)> {
    if zone.is_some() {
        return Err(Error::value(format!(
            "{} does not support zones.",
            cloud.repr()
        )));
    }
    if let Some(r) = region
        && !regions.iter().any(|x| x == r)
    {
        return Err(Error::value(format!(
            "{} region {} is not available. Available: {}",
            cloud.repr(),
            crate::yaml::py_str_repr(r),
            crate::yaml::Value::Seq(regions.iter().map(|x| x.clone().into()).collect()).py_repr()
        )));
    }
    Ok((region.map(str::to_string), None))
}

/// Kubernetes-style feasibility: the virtual instance type the request
/// asks for, if some region (context/pool) exists.
pub fn feasible(cloud: &dyn Cloud, cat: &Catalogs, r: &Resources) -> Result<FeasibleResources> {
    let regions = |it: &str, accs: Option<&Accelerators>| {
        cloud.regions_with_offering(
            cat,
            &Offering {
                instance_type: it,
                accelerators: accs,
                use_spot: r.use_spot,
                region: r.region.as_deref(),
                zone: r.zone.as_deref(),
            },
        )
    };
    if let Some(it) = &r.instance_type {
        if regions(it, r.accelerators.as_ref())?.is_empty() {
            return Ok(FeasibleResources::default());
        }
        let mut c = r.clone();
        c.accelerators = None;
        return Ok(FeasibleResources {
            resources: vec![c],
            ..FeasibleResources::default()
        });
    }
    // Kubernetes label values cannot hold spaces.
    if r.accelerators
        .as_ref()
        .and_then(super::common::first_accelerator)
        .is_some_and(|(acc, _)| acc.contains(' '))
    {
        return Ok(FeasibleResources::default());
    }
    let chosen = virtual_type::for_request(r)?;
    if regions(&chosen, None)?.is_empty() {
        return Ok(FeasibleResources::default());
    }
    let mut c = r.clone();
    c.cloud = crate::spec::infra::Cloud::from_str(cloud.name()).ok();
    c.instance_type = Some(chosen);
    c.accelerators = None;
    Ok(FeasibleResources {
        resources: vec![c],
        ..FeasibleResources::default()
    })
}

/// Implements the catalog-free methods of [`Cloud`] for a virtual-instance
/// cloud: prices are 0, instance types are parsed from their names.
#[macro_export]
#[doc(hidden)]
macro_rules! virtual_instance_methods {
    () => {
        fn instance_type_exists(&self, _cat: &Catalogs, instance_type: &str) -> Result<bool> {
            Ok(super::virtual_type::parse(instance_type).is_some())
        }
        fn instance_type_to_hourly_cost(
            &self,
            _cat: &Catalogs,
            _instance_type: &str,
            _use_spot: bool,
            _region: Option<&str>,
            _zone: Option<&str>,
        ) -> Result<f64> {
            Ok(0.0)
        }
        fn get_default_instance_type(
            &self,
            _cat: &Catalogs,
            q: &super::InstanceQuery,
        ) -> Result<Option<String>> {
            super::virtual_type::default_instance_type(q).map(Some)
        }
        fn get_accelerators_from_instance_type(
            &self,
            _cat: &Catalogs,
            instance_type: &str,
        ) -> Result<Option<super::Accelerators>> {
            super::virtual_type::accelerators_of(instance_type)
        }
        fn get_vcpus_mem_from_instance_type(
            &self,
            _cat: &Catalogs,
            instance_type: &str,
        ) -> Result<(Option<f64>, Option<f64>)> {
            super::virtual_type::vcpus_mem(instance_type)
        }
    };
}
