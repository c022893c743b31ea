//! Cudo Compute (`cudo.py` + `cudo_catalog.py`): no zones, no spot,
//! 8-vCPU / 2x-memory default instances.

use super::common::{Defaults, Template};
use super::{CatalogSpec, Cloud, Feature};
use crate::error::ErrorKind;

/// Cudo Compute.
#[derive(Debug, Clone, Copy)]
pub struct Cudo;

static SPEC: CatalogSpec = CatalogSpec {
    dir: "cudo",
    list_name: "Cudo",
    validate_name: "cudo",
    zone_error: Some("Cudo does not support zones."),
    spot_error: Some((ErrorKind::Assertion, "Cudo does not support spot.")),
    defaults: Some(Defaults {
        cpus: 8,
        memory_ratio: 2,
    }),
    no_zones: true,
    no_spot_regions: true,
    unsupported: UNSUPPORTED,
    template: Template {
        no_spot: true,
        memory_for_accelerators: true,
        ..Template::BASE
    },
    ..CatalogSpec::BASE
};

const UNSUPPORTED: &[(Feature, &str)] = &[
    (Feature::Stop, "Stopping not supported."),
    (
        Feature::SpotInstance,
        "Spot is not supported, as Cudo API does not implement spot.",
    ),
    (
        Feature::CustomDiskTier,
        "Custom disk tier is currently not supported on Cudo Compute",
    ),
    (
        Feature::CustomNetworkTier,
        "Custom network tier is currently not supported on Cudo Compute",
    ),
    (
        Feature::ImageId,
        "Image ID is currently not supported on Cudo. ",
    ),
    (
        Feature::DockerImage,
        "Docker image is currently not supported on Cudo. You can try running docker command inside the `run` section in task.yaml.",
    ),
    (
        Feature::HostControllers,
        "Cudo Compute cannot host a controller as it does not autostopping, which will leave the controller to run indefinitely.",
    ),
    (
        Feature::HighAvailabilityControllers,
        "High availability controllers are not supported on Cudo.",
    ),
    (
        Feature::CustomMultiNetwork,
        "Customized multiple network interfaces are not supported on Cudo.",
    ),
    (Feature::LocalDisk, "Local disk is not supported on Cudo"),
];

impl Cloud for Cudo {
    fn name(&self) -> &'static str {
        "cudo"
    }
    fn repr(&self) -> &'static str {
        "Cudo"
    }
    fn catalog(&self) -> Option<&'static CatalogSpec> {
        Some(&SPEC)
    }
}
