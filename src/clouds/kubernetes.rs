//! Kubernetes, catalog side: virtual instance types (`4CPU--16GB--H100:1`)
//! at no catalog price. Which contexts can run a request needs the live
//! clusters, which this layer does not query: no context offers anything.

use super::kube_like;
use super::{Cloud, FeasibleResources, Feature, Offering, Region};
use crate::catalog::Catalogs;
use crate::error::Result;
use crate::spec::Resources;

/// Kubernetes (any context).
#[derive(Debug, Clone, Copy)]
pub struct Kubernetes;

impl Cloud for Kubernetes {
    fn name(&self) -> &'static str {
        "kubernetes"
    }
    fn repr(&self) -> &'static str {
        "Kubernetes"
    }
    fn unsupported_features(&self, _r: &Resources) -> Vec<(Feature, String)> {
        kube_like::kubernetes_features(self.repr())
    }
    fn validate_region_zone(
        &self,
        _cat: &Catalogs,
        region: Option<&str>,
        zone: Option<&str>,
    ) -> Result<(Option<String>, Option<String>)> {
        // A region is a kubeconfig context; it is checked when provisioning.
        if zone.is_some() {
            return Err(crate::error::Error::value(
                "Kubernetes does not support zones.",
            ));
        }
        Ok((region.map(str::to_string), None))
    }
    fn regions_with_offering(&self, _cat: &Catalogs, o: &Offering) -> Result<Vec<Region>> {
        Ok(kube_like::offered(Vec::new(), o))
    }
    crate::virtual_instance_methods!();
    fn is_image_tag_valid(&self, cat: &Catalogs, tag: &str, region: Option<&str>) -> Result<bool> {
        let images = cat.file("kubernetes/images.csv")?;
        Ok(crate::catalog::images::is_image_tag_valid(
            &images, tag, region,
        ))
    }
    fn feasible_resources(&self, cat: &Catalogs, r: &Resources) -> Result<FeasibleResources> {
        kube_like::feasible(self, cat, r)
    }
}
