//! RunPod (`runpod.py` + `runpod_catalog.py`): zones (data centers), spot
//! ("interruptible") prices; the launchable keeps the memory request.

use super::{CatalogSpec, Cloud, Feature};

/// RunPod.
#[derive(Debug, Clone, Copy)]
pub struct RunPod;

static SPEC: CatalogSpec = CatalogSpec {
    dir: "runpod",
    list_name: "RunPod",
    validate_name: "runpod",
    unsupported: UNSUPPORTED,
    ..CatalogSpec::BASE
};

const UNSUPPORTED: &[(Feature, &str)] = &[
    (Feature::Stop, "Stopping not supported."),
    (
        Feature::MultiNode,
        "Multi-node not supported yet, as the interconnection among nodes are non-trivial on RunPod.",
    ),
    (
        Feature::CustomDiskTier,
        "Customizing disk tier is not supported yet on RunPod.",
    ),
    (
        Feature::CustomNetworkTier,
        "Custom network tier is not supported yet on RunPod.",
    ),
    (
        Feature::StorageMounting,
        "Mounting object stores is not supported on RunPod. To read data from object stores on RunPod, use `mode: COPY` to copy the data to local disk.",
    ),
    (
        Feature::HighAvailabilityControllers,
        "High availability controllers are not supported on RunPod.",
    ),
    (
        Feature::CustomMultiNetwork,
        "Customized multiple network interfaces are not supported on RunPod.",
    ),
    (Feature::LocalDisk, "Local disk is not supported on RunPod"),
];

impl Cloud for RunPod {
    fn name(&self) -> &'static str {
        "runpod"
    }
    fn repr(&self) -> &'static str {
        "RunPod"
    }
    fn catalog(&self) -> Option<&'static CatalogSpec> {
        Some(&SPEC)
    }
}
