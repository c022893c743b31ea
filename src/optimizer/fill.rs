//! `_fill_in_launchable_resources`: for each requested resources of a task,
//! the cheapest feasible offering of every enabled cloud, expanded to one
//! launchable per region (or zone), minus the blocked ones.

use std::collections::BTreeSet;

use super::ansi::{CYAN, GRAY, RESET};
use super::{Log, info};
use crate::catalog::Catalogs;
use crate::clouds::{self, Cloud, launchable};
use crate::error::Result;
use crate::spec::Resources;

/// What filling in one task gives.
#[derive(Debug, Default)]
pub struct Filled {
    /// Per requested resources (task order): its launchables, unblocked.
    pub launchable: Vec<Vec<Resources>>,
    /// Per cloud, every feasible candidate (for the "Multiple instances"
    /// note), clouds in the order they answered.
    pub cloud_candidates: Vec<(&'static dyn Cloud, Vec<Resources>)>,
    /// "Did you mean" accelerator names, sorted.
    pub fuzzy: Vec<String>,
    /// Per requested resources: the clouds' hints on why nothing fits.
    pub hints: Vec<Vec<String>>,
}

/// The clouds an unpinned request is planned on: the enabled ones, but
/// stix's `local` infra only when no SkyPilot cloud is enabled (it costs
/// nothing and would otherwise win every CPU-only plan).
pub fn search_clouds(enabled: &[&'static dyn Cloud]) -> Vec<&'static dyn Cloud> {
    let others: Vec<_> = enabled
        .iter()
        .copied()
        .filter(|c| c.name() != "local")
        .collect();
    if others.is_empty() {
        enabled.to_vec()
    } else {
        others
    }
}

/// Whether `cloud` is among `enabled` (`clouds.cloud_in_iterable`).
pub fn is_enabled(cloud: crate::spec::infra::Cloud, enabled: &[&'static dyn Cloud]) -> bool {
    enabled.iter().any(|c| c.name() == cloud.name())
}

/// `[AWS, GCP]` (a Python list of clouds) or `AWS` for one.
fn clouds_str(list: &[&'static dyn Cloud]) -> String {
    match list {
        [one] => one.repr().to_string(),
        many => format!(
            "[{}]",
            many.iter().map(|c| c.repr()).collect::<Vec<_>>().join(", ")
        ),
    }
}

/// `Resources.cpus` / `.memory`: the request, or what a pinned instance
/// type has.
pub fn effective_cpus_mem(cat: &Catalogs, r: &Resources) -> (Option<String>, Option<String>) {
    let (mut cpus, mut mem) = (r.cpus.clone(), r.memory.clone());
    if let (Some(cloud), Some(it)) = (launchable::cloud_of(r), r.instance_type.as_deref())
        && let Ok((v, m)) = cloud.get_vcpus_mem_from_instance_type(cat, it)
    {
        cpus = cpus.or(v.map(crate::yaml::py_float_repr));
        mem = mem.or(m.map(crate::yaml::py_float_repr));
    }
    (cpus, mem)
}

/// `resources.should_be_blocked_by(blocked)`: every field `blocked` sets
/// matches.
pub fn should_be_blocked_by(cat: &Catalogs, r: &Resources, blocked: &Resources) -> Result<bool> {
    if blocked.cloud.is_some() && r.cloud != blocked.cloud {
        return Ok(false);
    }
    if blocked.instance_type.is_some() && r.instance_type != blocked.instance_type {
        return Ok(false);
    }
    if blocked.region.is_some() && r.region != blocked.region {
        return Ok(false);
    }
    if blocked.zone.is_some() && r.zone != blocked.zone {
        return Ok(false);
    }
    let blocked_accs = launchable::accelerators(cat, blocked)?;
    if blocked_accs.is_some() && launchable::accelerators(cat, r)? != blocked_accs {
        return Ok(false);
    }
    // `blocked.use_spot` is never None in SkyPilot, so it always counts.
    Ok(r.use_spot == blocked.use_spot)
}

/// Validates every requested resources of the task in place, then finds
/// the launchables (SkyPilot's `_fill_in_launchable_resources`).
pub fn fill_in_launchable_resources(
    cat: &Catalogs,
    requested: &mut [Resources],
    num_nodes: u32,
    enabled: &[&'static dyn Cloud],
    blocked: &[Resources],
    quiet: bool,
    log: &mut Log,
) -> Result<Filled> {
    let mut out = Filled::default();
    let mut fuzzy: BTreeSet<String> = BTreeSet::new();
    for r in requested.iter_mut() {
        clouds::validate::validate(cat, r, enabled)?;
        let mut hints: Vec<String> = Vec::new();
        if let Some(c) = r.cloud
            && !is_enabled(c, enabled)
        {
            out.launchable.push(Vec::new());
            out.hints.push(hints);
            continue;
        }
        let clouds_list: Vec<&'static dyn Cloud> = match launchable::cloud_of(r) {
            Some(c) => vec![c],
            None => search_clouds(enabled),
        };
        let mut found: Vec<Resources> = Vec::new();
        let mut cloud_hints: Vec<(&'static dyn Cloud, String)> = Vec::new();
        for cloud in &clouds_list {
            let feasible = launchable::feasible_launchable_resources(cat, *cloud, r, num_nodes)?;
            if let Some(h) = &feasible.hint {
                cloud_hints.push((*cloud, h.clone()));
                hints.push(h.clone());
            }
            if let Some(cheapest) = feasible.resources.first() {
                found.extend(launchable::make_launchables_for_valid_region_zones(
                    cat, cheapest, false,
                )?);
                match out
                    .cloud_candidates
                    .iter_mut()
                    .find(|(c, _)| c.name() == cloud.name())
                {
                    Some((_, list)) => list.extend(feasible.resources.iter().cloned()),
                    None => out
                        .cloud_candidates
                        .push((*cloud, feasible.resources.clone())),
                }
            } else {
                fuzzy.extend(feasible.fuzzy_candidates.iter().cloned());
            }
        }
        if found.is_empty() && !(quiet || r.no_missing_accel_warnings.unwrap_or(false)) {
            log_missing(cat, r, num_nodes, &clouds_list, &fuzzy, &cloud_hints, log)?;
        }
        let mut kept = Vec::with_capacity(found.len());
        'each: for l in found {
            for b in blocked {
                if should_be_blocked_by(cat, &l, b)? {
                    continue 'each;
                }
            }
            kept.push(l);
        }
        out.launchable.push(kept);
        out.hints.push(hints);
    }
    out.fuzzy = fuzzy.into_iter().collect();
    Ok(out)
}

/// A Python list of strings: `['A100:1', 'A100-80GB:1']`.
pub fn py_str_list(items: &[String]) -> String {
    crate::spec::schema::list_repr(items)
}

fn log_missing(
    cat: &Catalogs,
    r: &Resources,
    num_nodes: u32,
    clouds_list: &[&'static dyn Cloud],
    fuzzy: &BTreeSet<String>,
    cloud_hints: &[(&'static dyn Cloud, String)],
    log: &mut Log,
) -> Result<()> {
    let nodes = if num_nodes > 1 {
        format!("{num_nodes}x ")
    } else {
        String::new()
    };
    info(
        log,
        format!(
            "No resource satisfying {nodes}{} on {}.",
            launchable::repr_with_region_zone(cat, r)?,
            clouds_str(clouds_list)
        ),
    );
    if !fuzzy.is_empty() {
        let list: Vec<String> = fuzzy.iter().cloned().collect();
        info(
            log,
            format!("Did you mean: {CYAN}{}{RESET}", py_str_list(&list)),
        );
    } else {
        let (cpus, mem) = effective_cpus_mem(cat, r);
        if cpus.is_some() {
            info(
                log,
                format!(
                    "{GRAY}- Try specifying a different CPU count, or add \"+\" to the end of the CPU count to allow for larger instances.{RESET}"
                ),
            );
        }
        if mem.is_some() {
            info(
                log,
                format!(
                    "{GRAY}- Try specifying a different memory size, or add \"+\" to the end of the memory size to allow for larger instances.{RESET}"
                ),
            );
        }
        if r.local_disk.is_some() {
            info(
                log,
                format!(
                    "{GRAY}- Try using \"+\" suffix for at-least matching (e.g., \"nvme:500+\"), or reduce the size requirement. {RESET}"
                ),
            );
        }
        if let Some(c) = &r.max_hourly_cost {
            info(
                log,
                format!(
                    "{GRAY}- Max hourly cost limit (${}/hr) may be too restrictive. Try increasing the limit or removing it to see available options.{RESET}",
                    c.py_str()
                ),
            );
        }
    }
    for (cloud, hint) in cloud_hints {
        info(log, format!("{GRAY}{}: {hint}{RESET}", cloud.repr()));
    }
    Ok(())
}
