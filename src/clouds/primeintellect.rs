//! Prime Intellect (`primeintellect.py` + `primeintellect_catalog.py`):
//! one `UNSPECIFIED` region, default instances looked up everywhere.

use super::common::Template;
use super::{Accelerators, CatalogSpec, Cloud, Feature};
use crate::catalog::Catalogs;
use crate::error::{Error, Result};

/// Prime Intellect.
#[derive(Debug, Clone, Copy)]
pub struct PrimeIntellect;

static SPEC: CatalogSpec = CatalogSpec {
    dir: "primeintellect",
    list_name: "PrimeIntellect",
    validate_name: "primeintellect",
    unsupported: UNSUPPORTED,
    template: Template {
        default_ignores_location: true,
        ..Template::BASE
    },
    ..CatalogSpec::BASE
};

const UNSUPPORTED: &[(Feature, &str)] = &[
    (Feature::Autostop, "Stopping not supported."),
    (Feature::Autodown, "Auto down not supported yet."),
    (Feature::Stop, "Stopping not supported."),
    (Feature::MultiNode, "Multi-node not supported yet."),
    (
        Feature::CustomDiskTier,
        "Custom disk tier not supported yet.",
    ),
    (
        Feature::CustomNetworkTier,
        "Custom network tier not supported yet.",
    ),
    (
        Feature::CustomMultiNetwork,
        "Customized multiple network interfaces are not supported",
    ),
    (Feature::ImageId, "Custom image not supported yet."),
    (
        Feature::DockerImage,
        "Custom docker image not supported yet.",
    ),
    (Feature::LocalDisk, "Local disk is not supported yet."),
];

impl Cloud for PrimeIntellect {
    fn name(&self) -> &'static str {
        "primeintellect"
    }
    fn repr(&self) -> &'static str {
        "PrimeIntellect"
    }
    fn catalog(&self) -> Option<&'static CatalogSpec> {
        Some(&SPEC)
    }
    fn zones_provision_loop(
        &self,
        cat: &Catalogs,
        region: &str,
        _num_nodes: u32,
        instance_type: &str,
        accelerators: Option<&Accelerators>,
        use_spot: bool,
    ) -> Result<Vec<Option<Vec<String>>>> {
        let regions = self.regions_with_offering(
            cat,
            &super::Offering {
                instance_type,
                accelerators,
                use_spot,
                region: Some(region),
                zone: None,
            },
        )?;
        // SkyPilot asserts zones exist, which this catalog never has.
        regions
            .into_iter()
            .map(|r| match r.zones {
                Some(z) => Ok(Some(z)),
                None => Err(Error::assertion(format!("Region(name='{}')", r.name))),
            })
            .collect()
    }
}
