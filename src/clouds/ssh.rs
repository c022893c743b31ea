//! SSH node pools (`~/.sky/ssh_node_pools.yaml`): each pool is a region
//! `ssh-<pool>`; virtual instance types at no cost.

use super::kube_like;
use super::{Cloud, FeasibleResources, Feature, Offering, Region};
use crate::catalog::Catalogs;
use crate::error::Result;
use crate::spec::Resources;

/// SSH node pools.
#[derive(Debug, Clone, Copy)]
pub struct Ssh;

/// `ssh-<pool>` for every pool in `~/.sky/ssh_node_pools.yaml`.
pub fn pool_contexts() -> Vec<String> {
    let home = std::env::var_os("HOME")
        .map(std::path::PathBuf::from)
        .unwrap_or_default();
    let Ok(text) = std::fs::read_to_string(home.join(".sky/ssh_node_pools.yaml")) else {
        return Vec::new();
    };
    match crate::yaml::load(&text) {
        Ok(crate::yaml::Value::Map(m)) => m.keys().map(|k| format!("ssh-{}", k.py_str())).collect(),
        _ => Vec::new(),
    }
}

impl Cloud for Ssh {
    fn name(&self) -> &'static str {
        "ssh"
    }
    fn repr(&self) -> &'static str {
        "SSH"
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
        kube_like::validate_region(self, &pool_contexts(), region, zone)
    }
    fn regions_with_offering(&self, _cat: &Catalogs, o: &Offering) -> Result<Vec<Region>> {
        Ok(kube_like::offered(pool_contexts(), o))
    }
    crate::virtual_instance_methods!();
    fn feasible_resources(&self, cat: &Catalogs, r: &Resources) -> Result<FeasibleResources> {
        kube_like::feasible(self, cat, r)
    }
}
