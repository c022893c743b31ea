//! Seeweb (`seeweb.py` + `seeweb_catalog.py`): no zones, no spot, `it-fr2`
//! tried first, and a feasibility check of its own that keeps the request's
//! fields on the launchable.

use super::common;
use super::{Accelerators, CatalogSpec, Cloud, FeasibleResources, Feature, InstanceQuery};
use crate::catalog::{Catalogs, query};
use crate::error::Result;
use crate::spec::Resources;

/// Seeweb.
#[derive(Debug, Clone, Copy)]
pub struct Seeweb;

static SPEC: CatalogSpec = CatalogSpec {
    dir: "seeweb",
    list_name: "Seeweb",
    validate_name: "Seeweb",
    zone_error: Some("Seeweb does not support zones."),
    priority_regions: &["it-fr2"],
    no_zones: true,
    no_spot_regions: true,
    unsupported: UNSUPPORTED,
    ..CatalogSpec::BASE
};

const UNSUPPORTED: &[(Feature, &str)] = &[
    (
        Feature::MultiNode,
        "Multi-node not supported. Seeweb does not support multi-node clusters.",
    ),
    (
        Feature::CustomDiskTier,
        "Custom disk tiers not supported. Seeweb does not support custom disk tiers.",
    ),
    (
        Feature::StorageMounting,
        "Storage mounting not supported. Seeweb does not support storage mounting.",
    ),
    (
        Feature::HighAvailabilityControllers,
        "High availability controllers not supported. Seeweb does not support high availability controllers.",
    ),
    (
        Feature::SpotInstance,
        "Spot instances not supported. Seeweb does not support spot instances.",
    ),
    (
        Feature::CloneDiskFromCluster,
        "Disk cloning not supported. Seeweb does not support disk cloning.",
    ),
    (
        Feature::ImageId,
        "Custom image IDs not supported. Seeweb does not support custom image IDs.",
    ),
    (
        Feature::CustomNetworkTier,
        "Custom network tiers not supported. Seeweb does not support custom network tiers.",
    ),
    (
        Feature::HostControllers,
        "Host controllers not supported. Seeweb does not support host controllers.",
    ),
    (
        Feature::CustomMultiNetwork,
        "Custom multi-network not supported. Seeweb does not support custom multi-network.",
    ),
    (Feature::LocalDisk, "Local disk is not supported on Seeweb"),
];

impl Cloud for Seeweb {
    fn name(&self) -> &'static str {
        "seeweb"
    }
    fn repr(&self) -> &'static str {
        "Seeweb"
    }
    fn catalog(&self) -> Option<&'static CatalogSpec> {
        Some(&SPEC)
    }
    fn get_default_instance_type(
        &self,
        cat: &Catalogs,
        q: &InstanceQuery,
    ) -> Result<Option<String>> {
        // Seeweb's cloud drops region and zone before asking its catalog.
        let q = InstanceQuery {
            region: None,
            zone: None,
            ..*q
        };
        let t = cat.vms(SPEC.dir)?;
        common::default_instance_type(common::view(self, &t), &q, None)
    }
    fn get_accelerators_from_instance_type(
        &self,
        cat: &Catalogs,
        instance_type: &str,
    ) -> Result<Option<Accelerators>> {
        let t = cat.vms(SPEC.dir)?;
        let df = common::view(self, &t).instance_type(instance_type, None, None);
        let Some(row) = df.rows.first() else {
            return Ok(None);
        };
        Ok(match df.s(row.acc_name) {
            Some(name) if !name.is_empty() && !row.acc_count.is_nan() => {
                Some(query::accelerator_map(name, row.acc_count))
            }
            _ => None,
        })
    }
    fn feasible_resources(&self, cat: &Catalogs, r: &Resources) -> Result<FeasibleResources> {
        if r.use_spot {
            return Ok(common::hint("Spot instances not supported on Seeweb"));
        }
        if r.accelerators.as_ref().is_some_and(|a| a.len() > 1) {
            return Ok(common::hint(
                "Multiple accelerator types not supported on Seeweb",
            ));
        }
        let mut r = r.clone();
        if r.instance_type.is_none() {
            let q = InstanceQuery::of(&r);
            let first = r
                .accelerators
                .as_ref()
                .and_then(|a| a.iter().next().cloned());
            if let Some((name, count)) = first {
                let acc = name.py_str();
                let n = common::number(&count);
                let (types, fuzzy) = common::accelerator_lookup(self, cat, &acc, n, &q)?;
                match types.and_then(|t| t.into_iter().next()) {
                    Some(it) => r.instance_type = Some(it),
                    None => {
                        return Ok(FeasibleResources {
                            resources: Vec::new(),
                            fuzzy_candidates: fuzzy,
                            hint: Some(format!(
                                "No instance type found for accelerator{acc}:{} on Seeweb",
                                count.py_str()
                            )),
                        });
                    }
                }
            } else {
                match self.get_default_instance_type(cat, &q)? {
                    Some(it) => r.instance_type = Some(it),
                    None => {
                        let show = |v: &Option<String>| v.clone().unwrap_or_else(|| "None".into());
                        return Ok(common::hint(format!(
                            "No suitable instance type found forcpus={}, memory={}",
                            show(&r.cpus),
                            show(&r.memory)
                        )));
                    }
                }
            }
        }
        if let Some(it) = r.instance_type.clone()
            && !self.instance_type_exists(cat, &it)?
        {
            return Ok(common::hint(format!(
                "Instance type {it} not available on Seeweb"
            )));
        }
        if r.cloud.is_none() {
            r.cloud = crate::spec::infra::Cloud::from_str("seeweb").ok();
        }
        Ok(FeasibleResources {
            resources: vec![r],
            ..FeasibleResources::default()
        })
    }
    fn list_accelerators(
        &self,
        cat: &Catalogs,
        filter: &crate::catalog::ListFilter,
        _require_price: bool,
    ) -> Result<crate::catalog::AcceleratorListing> {
        let t = cat.vms(SPEC.dir)?;
        let df = common::view(self, &t)
            .filter(|t, r| t.str(r.region).is_some_and(|g| !g.trim().is_empty()));
        common::list(&df, SPEC.list_name, filter)
    }
}
