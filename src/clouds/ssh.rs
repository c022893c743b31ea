//! SSH node pools (`~/.sky/ssh_node_pools.yaml`): each pool that `sky ssh
//! up` set up is a region `ssh-<pool>`; virtual instance types at no cost,
//! offered by a pool when one of its hosts is big enough for them.

use super::kube_like;
use super::{Cloud, FeasibleResources, Feature, Offering, Region};
use crate::catalog::Catalogs;
use crate::error::{Error, Result};
use crate::spec::Resources;
use crate::ssh_pools::{Inventory, file, inventory};

/// SSH node pools.
#[derive(Debug, Clone, Copy)]
pub struct Ssh;

/// `ssh-<pool>` for every pool that is set up and still in
/// `~/.sky/ssh_node_pools.yaml` (SkyPilot's `existing_allowed_contexts`).
pub fn pool_contexts() -> Vec<String> {
    let in_file = file::pool_names(&file::default_path());
    let up = up_pools();
    let allowed = crate::ssh_pools::allowed_node_pools(&crate::config::load::Env::process());
    up.into_iter()
        .filter(|p| in_file.is_empty() || in_file.contains(p))
        .filter(|p| allowed.as_ref().is_none_or(|a| a.contains(p)))
        .map(|p| format!("ssh-{p}"))
        .collect()
}

fn up_pools() -> Vec<String> {
    if !inventory::default_path().exists() {
        return Vec::new();
    }
    Inventory::open()
        .and_then(|inv| inv.pools())
        .unwrap_or_default()
}

/// Whether some host of `pool` could hold one node of `instance_type`.
fn pool_offers(pool: &str, o: &Offering) -> bool {
    let Some(want) = inventory::demand_of(o.instance_type, o.accelerators) else {
        return false;
    };
    let Ok(hosts) = Inventory::open().and_then(|inv| inv.hosts(pool)) else {
        return false;
    };
    hosts
        .iter()
        .any(|h| inventory::fit(&h.resources, &[], &want).is_some())
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
        let contexts = pool_contexts();
        if let Some(r) = region
            && !contexts.iter().any(|c| c == r)
        {
            let name = r.strip_prefix("ssh-").unwrap_or(r);
            let mut msg = format!(
                "SSH Node Pool {} is not set up. Run `sky check` for more details. ",
                crate::yaml::py_str_repr(name)
            );
            if !contexts.is_empty() {
                let names: Vec<crate::yaml::Value> = contexts
                    .iter()
                    .map(|c| c.strip_prefix("ssh-").unwrap_or(c).into())
                    .collect();
                msg.push_str(&format!(
                    "Available node pools: {}",
                    crate::yaml::Value::Seq(names).py_repr()
                ));
            }
            return Err(Error::value(msg));
        }
        if zone.is_some() {
            return Err(Error::value("SSH Node Pools do not support setting zone."));
        }
        Ok((region.map(str::to_string), None))
    }
    fn regions_with_offering(&self, _cat: &Catalogs, o: &Offering) -> Result<Vec<Region>> {
        let pools: Vec<String> = pool_contexts()
            .into_iter()
            .filter(|c| pool_offers(c.strip_prefix("ssh-").unwrap_or(c), o))
            .collect();
        Ok(kube_like::offered(pools, o))
    }
    crate::virtual_instance_methods!();
    fn feasible_resources(&self, cat: &Catalogs, r: &Resources) -> Result<FeasibleResources> {
        kube_like::feasible(self, cat, r)
    }
}
