//! Hyperbolic (`hyperbolic.py` + `hyperbolic_catalog.py`): one `default`
//! region, no zones, instance types checked against the catalog.

use super::common::{self, Template};
use super::{CatalogSpec, Cloud, FeasibleResources, Feature};
use crate::catalog::Catalogs;
use crate::error::{Error, Result};
use crate::spec::Resources;

/// Hyperbolic.
#[derive(Debug, Clone, Copy)]
pub struct Hyperbolic;

static SPEC: CatalogSpec = CatalogSpec {
    dir: "hyperbolic",
    list_name: "Hyperbolic",
    validate_name: "hyperbolic",
    zone_error: Some("Hyperbolic Cloud does not support zones."),
    cloud_zone_error: Some("Hyperbolic does not support zones."),
    no_zones: true,
    single_unzoned_batch: true,
    unsupported: UNSUPPORTED,
    template: Template {
        clear_memory: true,
        memory_for_accelerators: true,
        ..Template::BASE
    },
    ..CatalogSpec::BASE
};

const UNSUPPORTED: &[(Feature, &str)] = &[
    (Feature::Stop, "Stopping not supported."),
    (Feature::MultiNode, "Multi-node not supported."),
    (Feature::CustomDiskTier, "Custom disk tiers not supported."),
    (Feature::StorageMounting, "Storage mounting not supported."),
    (
        Feature::HighAvailabilityControllers,
        "High availability controllers not supported.",
    ),
    (Feature::SpotInstance, "Spot instances not supported."),
    (Feature::CloneDiskFromCluster, "Disk cloning not supported."),
    (Feature::DockerImage, "Docker images not supported."),
    (Feature::OpenPorts, "Opening ports not supported."),
    (Feature::ImageId, "Custom image IDs not supported."),
    (
        Feature::CustomNetworkTier,
        "Custom network tiers not supported.",
    ),
    (Feature::HostControllers, "Host controllers not supported."),
    (Feature::AutoTerminate, "Auto-termination not supported."),
    (Feature::Autostop, "Auto-stop not supported."),
    (Feature::Autodown, "Auto-down not supported."),
    (
        Feature::CustomMultiNetwork,
        "Customized multiple network interfaces not supported.",
    ),
    (
        Feature::LocalDisk,
        "Local disk is not supported on Hyperbolic",
    ),
];

impl Cloud for Hyperbolic {
    fn name(&self) -> &'static str {
        "hyperbolic"
    }
    fn repr(&self) -> &'static str {
        "Hyperbolic"
    }
    fn catalog(&self) -> Option<&'static CatalogSpec> {
        Some(&SPEC)
    }
    fn feasible_resources(&self, cat: &Catalogs, r: &Resources) -> Result<FeasibleResources> {
        if let Some(it) = &r.instance_type
            && !self.instance_type_exists(cat, it)?
        {
            return Err(Error::value(format!("Invalid instance type: {it}")));
        }
        common::feasible_from_template(self, cat, r, SPEC.template)
    }
}
