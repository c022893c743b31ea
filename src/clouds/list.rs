//! `sky.catalog.list_accelerators`: every named cloud's offerings merged
//! (accelerator names in order of first appearance, clouds in the order
//! given).

use super::{Cloud, REGISTRY, by_name};
use crate::catalog::Catalogs;
use crate::catalog::list::{AcceleratorListing, ListFilter, merge};
use crate::error::{Error, Result};

/// The clouds `clouds=None` means: every cloud with a catalog (SkyPilot
/// also lists Kubernetes, whose GPUs need a live cluster).
pub fn default_clouds() -> Vec<&'static dyn Cloud> {
    REGISTRY
        .iter()
        .copied()
        .filter(|c| c.catalog().is_some())
        .collect()
}

/// `list_accelerators(gpus_only, name_filter, region_filter,
/// quantity_filter, clouds, case_sensitive, all_regions, require_price)`.
/// An empty `clouds` means all catalog clouds.
pub fn list_accelerators(
    cat: &Catalogs,
    clouds: &[String],
    filter: &ListFilter,
    require_price: bool,
) -> Result<AcceleratorListing> {
    let selected: Vec<&dyn Cloud> = if clouds.is_empty() {
        default_clouds()
    } else {
        clouds
            .iter()
            .map(|name| {
                by_name(name).ok_or_else(|| {
                    Error::value(format!(
                        "Cannot find module \"sky.catalog.{}_catalog\" for cloud \"{name}\".",
                        name.to_lowercase()
                    ))
                })
            })
            .collect::<Result<_>>()?
    };
    let mut listings = Vec::with_capacity(selected.len());
    for cloud in selected {
        listings.push(cloud.list_accelerators(cat, filter, require_price)?);
    }
    Ok(merge(listings))
}
