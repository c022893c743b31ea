//! Vast.ai (`vast.py` + `vast_catalog.py`): regions are host locations,
//! no zones, spot (interruptible) prices. `vast.datacenter_only` (config)
//! is not consulted: stix plans with SkyPilot's default (all hosts).

use super::common::Template;
use super::{CatalogSpec, Cloud, Feature};

/// Vast.ai.
#[derive(Debug, Clone, Copy)]
pub struct Vast;

static SPEC: CatalogSpec = CatalogSpec {
    dir: "vast",
    list_name: "Vast",
    validate_name: "vast",
    zone_error: Some("Vast does not support zones."),
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
        Feature::MultiNode,
        "Multi-node not supported yet, as the interconnection among nodes are non-trivial on Vast.",
    ),
    (
        Feature::CustomDiskTier,
        "Customizing disk tier is not supported yet on Vast.",
    ),
    (
        Feature::CustomNetworkTier,
        "Custom network tier is currently not supported in Vast.",
    ),
    (
        Feature::StorageMounting,
        "Mounting object stores is not supported on Vast.",
    ),
    (
        Feature::HighAvailabilityControllers,
        "High availability controllers are not supported on Vast.",
    ),
    (
        Feature::CustomMultiNetwork,
        "Customized multiple network interfaces are not supported on Vast.",
    ),
    (Feature::LocalDisk, "Local disk is not supported on Vast"),
];

impl Cloud for Vast {
    fn name(&self) -> &'static str {
        "vast"
    }
    fn repr(&self) -> &'static str {
        "Vast"
    }
    fn catalog(&self) -> Option<&'static CatalogSpec> {
        Some(&SPEC)
    }
}
