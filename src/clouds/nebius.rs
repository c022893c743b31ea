//! Nebius (`nebius.py` + `nebius_catalog.py`): no zones, no `ultra` disk
//! tier, InfiniBand (custom network tier) only for 8-GPU H100/H200/B200/B300.

use super::common::{self, Template};
use super::{CatalogSpec, Cloud, FeasibleResources, Feature, InstanceQuery};
use crate::catalog::{Catalogs, Df};
use crate::error::Result;
use crate::spec::Resources;

/// Nebius AI Cloud.
#[derive(Debug, Clone, Copy)]
pub struct Nebius;

static SPEC: CatalogSpec = CatalogSpec {
    dir: "nebius",
    list_name: "nebius",
    validate_name: "nebius",
    zone_error: Some("Nebius does not support zones."),
    no_zones: true,
    unsupported: UNSUPPORTED,
    template: Template {
        memory_for_accelerators: true,
        ..Template::BASE
    },
    ..CatalogSpec::BASE
};

const UNSUPPORTED: &[(Feature, &str)] = &[
    (
        Feature::CloneDiskFromCluster,
        "Migrating disk is currently not supported on Nebius.",
    ),
    (
        Feature::CustomNetworkTier,
        "Custom network tier is currently only supported for H100:8, H200:8, B200:8 and B300:8 on Nebius.",
    ),
    (
        Feature::HighAvailabilityControllers,
        "High availability controllers are not supported on Nebius.",
    ),
    (
        Feature::CustomMultiNetwork,
        "Customized multiple network interfaces are not supported on Nebius.",
    ),
    (Feature::LocalDisk, "Local disk is not supported on Nebius"),
];

const INFINIBAND_ACCELERATORS: &[&str] = &["h100", "h200", "b200", "b300"];
const DISK_TIER_ULTRA: &str = "Nebius disk_tier=ultra is not supported now. Please use disk_tier={low, medium, high, best} instead.";

/// `Nebius.check_disk_tier`: everything but `ultra`.
fn check_disk_tier(disk_tier: Option<&str>) -> Result<(), &'static str> {
    if disk_tier == Some("ultra") {
        Err(DISK_TIER_ULTRA)
    } else {
        Ok(())
    }
}

impl Cloud for Nebius {
    fn name(&self) -> &'static str {
        "nebius"
    }
    fn repr(&self) -> &'static str {
        "Nebius"
    }
    fn catalog(&self) -> Option<&'static CatalogSpec> {
        Some(&SPEC)
    }
    fn supported_disk_tiers(&self) -> &'static [&'static str] {
        &["low", "medium", "high", "best"]
    }
    fn unsupported_features(&self, r: &Resources) -> Vec<(Feature, String)> {
        let mut f = common::features(UNSUPPORTED);
        let infiniband = r.accelerators.as_ref().is_some_and(|accs| {
            accs.iter().any(|(name, count)| {
                let name = name.py_str().to_lowercase();
                INFINIBAND_ACCELERATORS.contains(&name.as_str()) && common::number(count) == 8.0
            })
        });
        if infiniband {
            f.retain(|(feature, _)| *feature != Feature::CustomNetworkTier);
        }
        f
    }
    fn get_default_instance_type(
        &self,
        cat: &Catalogs,
        q: &InstanceQuery,
    ) -> Result<Option<String>> {
        let t = cat.vms(SPEC.dir)?;
        let ok = check_disk_tier(q.disk_tier).is_ok();
        let df = Df::all(&t).filter(|_, _| ok);
        common::default_instance_type(df, q, None)
    }
    fn feasible_resources(&self, cat: &Catalogs, r: &Resources) -> Result<FeasibleResources> {
        if r.instance_type.is_some() {
            return Ok(match check_disk_tier(r.disk_tier.as_deref()) {
                Err(msg) => common::hint(msg),
                Ok(()) => FeasibleResources {
                    resources: vec![r.clone()],
                    ..FeasibleResources::default()
                },
            });
        }
        common::feasible_from_template(self, cat, r, SPEC.template)
    }
}
