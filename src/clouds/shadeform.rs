//! Shadeform (`shadeform.py` + `shadeform_catalog.py`): a marketplace of
//! GPU instances (CPU-only rows are dropped), no zones, no spot; launchables
//! keep the requested accelerators.

use super::common::{self, Lenient};
use super::{CatalogSpec, Cloud, FeasibleResources, Feature, InstanceQuery};
use crate::catalog::Catalogs;
use crate::catalog::query::AcceleratorMatch;
use crate::error::{ErrorKind, Result};
use crate::spec::Resources;

/// Shadeform.
#[derive(Debug, Clone, Copy)]
pub struct Shadeform;

static SPEC: CatalogSpec = CatalogSpec {
    dir: "shadeform",
    list_name: "Shadeform",
    validate_name: "shadeform",
    spot_error: Some((
        ErrorKind::Value,
        "Spot instances are not supported on Shadeform",
    )),
    no_zones: true,
    no_spot_regions: true,
    gpu_rows_only: true,
    lenient: Lenient::NotFound,
    unsupported: UNSUPPORTED,
    ..CatalogSpec::BASE
};

const UNSUPPORTED: &[(Feature, &str)] = &[
    (
        Feature::Stop,
        "Stopping instances not supported on Shadeform.",
    ),
    (
        Feature::MultiNode,
        "Multi-node clusters not supported on Shadeform.",
    ),
    (
        Feature::SpotInstance,
        "Spot instances not supported on Shadeform.",
    ),
    (
        Feature::CustomDiskTier,
        "Custom disk tiers not supported on Shadeform.",
    ),
    (
        Feature::CustomNetworkTier,
        "Custom network tiers not supported on Shadeform.",
    ),
    (
        Feature::StorageMounting,
        "Object storage mounting not supported on Shadeform.",
    ),
    (
        Feature::HostControllers,
        "Host controllers not supported on Shadeform.",
    ),
    (
        Feature::HighAvailabilityControllers,
        "High availability controllers not supported.",
    ),
    (
        Feature::CloneDiskFromCluster,
        "Disk cloning not supported on Shadeform.",
    ),
    (
        Feature::ImageId,
        "Custom image IDs not supported on Shadeform.",
    ),
    (
        Feature::DockerImage,
        "Docker images not supported on Shadeform yet.",
    ),
    (
        Feature::CustomMultiNetwork,
        "Custom multiple network interfaces not supported.",
    ),
    (
        Feature::LocalDisk,
        "Local disk is not supported on Shadeform.",
    ),
];

impl Cloud for Shadeform {
    fn name(&self) -> &'static str {
        "shadeform"
    }
    fn repr(&self) -> &'static str {
        "Shadeform"
    }
    fn class_repr(&self) -> &'static str {
        // Shadeform's class never sets `_REPR`.
        "<Cloud>"
    }
    fn validate_region_zone(
        &self,
        _cat: &Catalogs,
        _region: Option<&str>,
        _zone: Option<&str>,
    ) -> Result<(Option<String>, Option<String>)> {
        // SkyPilot looks the catalog module up by `_REPR` (`<cloud>`), which
        // does not exist, so any pinned region fails.
        Err(crate::error::Error::value(
            "Cannot find module \"sky.catalog.<cloud>_catalog\" for cloud \"<cloud>\".",
        ))
    }
    fn catalog(&self) -> Option<&'static CatalogSpec> {
        Some(&SPEC)
    }
    fn instance_types_for_accelerator(
        &self,
        cat: &Catalogs,
        acc: &str,
        count: f64,
        q: &InstanceQuery,
    ) -> Result<AcceleratorMatch> {
        if q.use_spot {
            return Ok((
                None,
                vec!["Spot instances are not supported on Shadeform".to_string()],
            ));
        }
        let found = common::accelerator_lookup(self, cat, acc, count, q);
        common::lenient(self, found, (None, Vec::new()))
    }
    fn feasible_resources(&self, cat: &Catalogs, r: &Resources) -> Result<FeasibleResources> {
        if r.use_spot {
            return Ok(common::hint(
                "Spot instances are not supported on Shadeform.",
            ));
        }
        if let Some(it) = &r.instance_type {
            return Ok(FeasibleResources {
                resources: vec![r.clone()],
                fuzzy_candidates: vec![it.clone()],
                hint: None,
            });
        }
        let make = |types: &[String]| -> Vec<Resources> {
            types
                .iter()
                .map(|it| {
                    let mut c = r.clone();
                    c.cloud = crate::spec::infra::Cloud::from_str("shadeform").ok();
                    c.instance_type = Some(it.clone());
                    c.cpus = None;
                    c.memory = None;
                    c
                })
                .collect()
        };
        if let Some(accs) = &r.accelerators {
            let Some((name, count)) = common::first_accelerator(accs) else {
                return Ok(FeasibleResources::default());
            };
            // Shadeform asks its catalog without cpus, memory or location.
            let q = InstanceQuery {
                max_hourly_cost: super::launchable::max_hourly_cost(r),
                ..InstanceQuery::default()
            };
            let t = cat.vms(SPEC.dir)?;
            let found =
                common::instance_types_for_accelerator(&common::view(self, &t), &name, count, &q);
            let (types, errors) = common::lenient(self, found, (None, Vec::new()))?;
            return Ok(match types.filter(|t| !t.is_empty()) {
                Some(types) => FeasibleResources {
                    resources: make(&types),
                    fuzzy_candidates: types,
                    hint: None,
                },
                None => {
                    let mut msg = format!("No instances available for accelerator {name}");
                    if !errors.is_empty() {
                        msg.push_str(&format!(": {}", errors.join("; ")));
                    }
                    common::hint(msg)
                }
            });
        }
        let q = InstanceQuery {
            local_disk: None,
            disk_tier: None,
            ..InstanceQuery::of(r)
        };
        let it = self.get_default_instance_type(cat, &q)?;
        Ok(FeasibleResources {
            resources: make(&it.into_iter().collect::<Vec<_>>()),
            ..FeasibleResources::default()
        })
    }
}
