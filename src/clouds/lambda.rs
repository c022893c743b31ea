//! Lambda Cloud (`lambda_cloud.py` + `lambda_catalog.py`): no zones, no
//! spot, 30-vCPU default instances, US regions first.

use super::common::{Defaults, Template};
use super::{CatalogSpec, Cloud, Feature};
use crate::error::ErrorKind;

/// Lambda Labs GPU Cloud.
#[derive(Debug, Clone, Copy)]
pub struct Lambda;

static SPEC: CatalogSpec = CatalogSpec {
    dir: "lambda",
    list_name: "Lambda",
    validate_name: "lambda",
    zone_error: Some("Lambda Cloud does not support zones."),
    spot_error: Some((ErrorKind::Assertion, "Lambda Cloud does not support spot.")),
    defaults: Some(Defaults {
        cpus: 30,
        memory_ratio: 4,
    }),
    us_first: true,
    no_zones: true,
    no_spot_regions: true,
    unsupported: UNSUPPORTED,
    template: Template {
        clear_memory: true,
        memory_for_accelerators: true,
        ..Template::BASE
    },
    ..CatalogSpec::BASE
};

const UNSUPPORTED: &[(Feature, &str)] = &[
    (Feature::Stop, "Lambda cloud does not support stopping VMs."),
    (
        Feature::CloneDiskFromCluster,
        "Migrating disk is currently not supported on Lambda.",
    ),
    (
        Feature::SpotInstance,
        "Spot instances are not supported in Lambda.",
    ),
    (
        Feature::ImageId,
        "Specifying image ID is not supported in Lambda.",
    ),
    (
        Feature::CustomDiskTier,
        "Custom disk tiers are not supported in Lambda.",
    ),
    (
        Feature::CustomNetworkTier,
        "Custom network tier is currently not supported in Lambda.",
    ),
    (
        Feature::HostControllers,
        "Host controllers are not supported in Lambda.",
    ),
    (
        Feature::HighAvailabilityControllers,
        "High availability controllers are not supported on Lambda.",
    ),
    (
        Feature::CustomMultiNetwork,
        "Customized multiple network interfaces are not supported in Lambda.",
    ),
    (Feature::LocalDisk, "Local disk is not supported on Lambda"),
];

impl Cloud for Lambda {
    fn name(&self) -> &'static str {
        "lambda"
    }
    fn repr(&self) -> &'static str {
        "Lambda"
    }
    fn catalog(&self) -> Option<&'static CatalogSpec> {
        Some(&SPEC)
    }
}
