//! `local`: stix's own infra, node sandboxes on this machine. One region
//! `local`, no zones, cost 0, and this machine's CPUs and memory as its
//! capacity (no accelerators).

use super::kube_like;
use super::virtual_type;
use super::{Cloud, FeasibleResources, Feature, InstanceQuery, Offering, Region};
use crate::catalog::Catalogs;
use crate::error::Result;
use crate::spec::Resources;

/// The local machine.
#[derive(Debug, Clone, Copy)]
pub struct Local;

/// The only region of the local infra.
pub const REGION: &str = "local";

/// (vCPUs, memory GiB) of this machine; memory is `None` if unknown.
pub fn capacity() -> (f64, Option<f64>) {
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
    let mem = std::fs::read_to_string("/proc/meminfo").ok().and_then(|s| {
        s.lines()
            .find_map(|l| l.strip_prefix("MemTotal:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
            .map(|kb| kb / 1024.0 / 1024.0)
    });
    (cpus, mem)
}

impl Cloud for Local {
    fn name(&self) -> &'static str {
        "local"
    }
    fn repr(&self) -> &'static str {
        "Local"
    }
    fn unsupported_features(&self, _r: &Resources) -> Vec<(Feature, String)> {
        let reason = |what: &str| format!("{what} not supported on the local infra.");
        vec![
            (Feature::SpotInstance, reason("Spot instances are")),
            (Feature::CustomDiskTier, reason("Custom disk tiers are")),
            (
                Feature::CustomNetworkTier,
                reason("Custom network tiers are"),
            ),
            (Feature::ImageId, reason("Custom image IDs are")),
            (Feature::DockerImage, reason("Docker images are")),
            (Feature::LocalDisk, reason("Local disk selection is")),
            (
                Feature::HighAvailabilityControllers,
                reason("High availability controllers are"),
            ),
            (
                Feature::CustomMultiNetwork,
                reason("Customized multiple network interfaces are"),
            ),
        ]
    }
    fn validate_region_zone(
        &self,
        _cat: &Catalogs,
        region: Option<&str>,
        zone: Option<&str>,
    ) -> Result<(Option<String>, Option<String>)> {
        kube_like::validate_region(self, &[REGION.to_string()], region, zone)
    }
    fn regions_with_offering(&self, _cat: &Catalogs, o: &Offering) -> Result<Vec<Region>> {
        if o.accelerators.is_some() {
            return Ok(Vec::new());
        }
        let Some((cpus, mem, acc)) = virtual_type::parse(o.instance_type) else {
            return Ok(Vec::new());
        };
        let (have_cpus, have_mem) = capacity();
        let fits = acc.is_none() && cpus <= have_cpus && have_mem.is_none_or(|m| mem <= m);
        Ok(if fits {
            kube_like::offered(vec![REGION.to_string()], o)
        } else {
            Vec::new()
        })
    }
    crate::virtual_instance_methods!();
    fn feasible_resources(&self, cat: &Catalogs, r: &Resources) -> Result<FeasibleResources> {
        if r.accelerators.is_some() {
            return Ok(super::common::hint("The local infra has no accelerators."));
        }
        let found = kube_like::feasible(self, cat, r)?;
        if found.resources.is_empty() && r.instance_type.is_none() {
            let (cpus, mem) = capacity();
            let it = virtual_type::default_instance_type(&InstanceQuery::of(r))?;
            let mem = mem.map_or("unknown".to_string(), |m| format!("{m:.1}"));
            return Ok(super::common::hint(format!(
                "{it} does not fit this machine ({cpus} vCPUs, {mem} GB memory)."
            )));
        }
        Ok(found)
    }
}
