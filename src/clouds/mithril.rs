//! Mithril (`mithril.py` + `mithril_catalog.py`): no zones; unknown
//! instance types cost 0 and have no specs instead of failing.

use super::common::{Lenient, Template};
use super::{CatalogSpec, Cloud, Feature};

/// Mithril.
#[derive(Debug, Clone, Copy)]
pub struct Mithril;

static SPEC: CatalogSpec = CatalogSpec {
    dir: "mithril",
    list_name: "Mithril",
    validate_name: "mithril",
    zone_error: Some("Mithril Cloud does not support zones."),
    cloud_zone_error: Some("Mithril does not support zones."),
    no_zones: true,
    single_unzoned_batch: true,
    lenient: Lenient::ValueErrors,
    unsupported: UNSUPPORTED,
    template: Template {
        clear_memory: true,
        memory_for_accelerators: true,
        ..Template::BASE
    },
    ..CatalogSpec::BASE
};

const UNSUPPORTED: &[(Feature, &str)] = &[
    (
        Feature::CustomNetworkTier,
        "Custom network tier is not supported yet on Mithril.",
    ),
    (
        Feature::CustomDiskTier,
        "Custom disk tier is not supported yet on Mithril.",
    ),
    (
        Feature::HighAvailabilityControllers,
        "High availability controllers are not supported yet on Mithril.",
    ),
    (
        Feature::CloneDiskFromCluster,
        "Disk cloning is not supported yet on Mithril.",
    ),
    (
        Feature::OpenPorts,
        "Opening ports is not supported yet on Mithril.",
    ),
    (
        Feature::ImageId,
        "Custom image IDs are not supported yet on Mithril.",
    ),
    (
        Feature::HostControllers,
        "Host controllers are not supported yet on Mithril.",
    ),
    (
        Feature::CustomMultiNetwork,
        "Customized multiple network interfaces are not supported yet on Mithril.",
    ),
    (
        Feature::LocalDisk,
        "Local disk is not supported yet on Mithril.",
    ),
];

impl Cloud for Mithril {
    fn name(&self) -> &'static str {
        "mithril"
    }
    fn repr(&self) -> &'static str {
        "Mithril"
    }
    fn catalog(&self) -> Option<&'static CatalogSpec> {
        Some(&SPEC)
    }
}
