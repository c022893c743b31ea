//! `local`: stix's own infra, node sandboxes on this machine. One region
//! `local`, no zones, cost 0, and what a local node offers (this machine's
//! CPUs, memory and GPUs, as the local provisioner detects them) as its
//! capacity. Defaults that would not fit this machine shrink to it.

use super::kube_like;
use super::virtual_type;
use super::{Cloud, FeasibleResources, Feature, Offering, Region};
use crate::catalog::Catalogs;
use crate::error::Result;
use crate::provision::{NodeResources, local_resources};
use crate::spec::Resources;

/// The local machine.
#[derive(Debug, Clone, Copy)]
pub struct Local;

/// The only region of the local infra.
pub const REGION: &str = "local";

/// The virtual instance type for `r` on this machine: SkyPilot's
/// Kubernetes-style default, with defaults (not requests) capped at what
/// the machine has.
fn instance_type_for(r: &Resources, node: &NodeResources) -> Result<String> {
    let base = virtual_type::for_request(r)?;
    let Some((mut cpus, mut mem, acc)) = virtual_type::parse(&base) else {
        return Ok(base);
    };
    if r.cpus.is_none() {
        cpus = cpus.min(node.cpus);
    }
    if r.memory.is_none() && node.memory_gb > 0.0 {
        mem = mem.min(node.memory_gb);
    }
    Ok(virtual_type::name(
        cpus,
        mem,
        acc.as_ref().map(|(a, n)| (a.as_str(), *n)),
    ))
}

/// Why `(acc, count)` cannot run here, if it cannot.
fn accelerator_misfit(acc: &str, count: f64, node: &NodeResources) -> Option<String> {
    match &node.accelerator {
        None => Some("The local infra has no accelerators.".into()),
        Some(have) if have.eq_ignore_ascii_case(acc) && count <= node.accelerator_count as f64 => {
            None
        }
        Some(have) => Some(format!(
            "{acc}:{} requested, this machine has {have}:{}.",
            crate::yaml::py_float_repr(count),
            node.accelerator_count
        )),
    }
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
        let Some((cpus, mem, acc)) = virtual_type::parse(o.instance_type) else {
            return Ok(Vec::new());
        };
        let node = local_resources::detect();
        let acc = acc.or_else(|| o.accelerators.and_then(super::common::first_accelerator));
        let fits = cpus <= node.cpus
            && (node.memory_gb <= 0.0 || mem <= node.memory_gb)
            && acc.is_none_or(|(a, n)| accelerator_misfit(&a, n, &node).is_none());
        Ok(if fits {
            kube_like::offered(vec![REGION.to_string()], o)
        } else {
            Vec::new()
        })
    }
    crate::virtual_instance_methods!();
    fn feasible_resources(&self, cat: &Catalogs, r: &Resources) -> Result<FeasibleResources> {
        let node = local_resources::detect();
        if let Some((acc, count)) = r
            .accelerators
            .as_ref()
            .and_then(super::common::first_accelerator)
            && let Some(why) = accelerator_misfit(&acc, count, &node)
        {
            return Ok(super::common::hint(why));
        }
        if r.instance_type.is_some() {
            return kube_like::feasible(self, cat, r);
        }
        let it = instance_type_for(r, &node)?;
        let offered = self.regions_with_offering(
            cat,
            &Offering {
                instance_type: &it,
                accelerators: None,
                use_spot: r.use_spot,
                region: r.region.as_deref(),
                zone: r.zone.as_deref(),
            },
        )?;
        if offered.is_empty() {
            let mem = match node.memory_gb {
                m if m > 0.0 => format!("{m:.1}"),
                _ => "unknown".to_string(),
            };
            return Ok(super::common::hint(format!(
                "{it} does not fit this machine ({} vCPUs, {mem} GB memory).",
                node.cpus
            )));
        }
        let mut c = r.clone();
        c.cloud = crate::spec::infra::Cloud::from_str(self.name()).ok();
        c.instance_type = Some(it);
        c.accelerators = None;
        Ok(FeasibleResources {
            resources: vec![c],
            ..FeasibleResources::default()
        })
    }
}
