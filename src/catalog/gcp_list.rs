//! GCP's `list_accelerators` (GPU price = GPU + the cheapest host VM in the
//! same zone; TPUs grouped by version) and the host/accelerator check.

use std::collections::HashMap;

use super::df::Df;
use super::gcp::{
    DEFAULT_HOST_VM_FAMILY, NUM_ACC_TO_MAX_CPU_AND_MEMORY, acc_instance_types, by_count, host_cpus,
};
use super::list::{AcceleratorListing, ListFilter, ListRow, list_accelerators_impl};
use super::pysort::{Key, python_sort};
use super::table::{NONE, VmRow, VmTable};
use crate::error::{Error, ErrorKind, Result};
use crate::yaml::Value;

/// The host VM rows of each (region, zone), lower-cased, in file order.
fn hosts_by_zone(t: &VmTable) -> HashMap<(String, String), Vec<&VmRow>> {
    let mut map: HashMap<(String, String), Vec<&VmRow>> = HashMap::new();
    for r in &t.rows {
        if r.instance_type == NONE {
            continue;
        }
        let (Some(region), Some(zone)) = (t.str(r.region), t.str(r.zone)) else {
            continue;
        };
        map.entry((region.to_lowercase(), zone.to_lowercase()))
            .or_default()
            .push(r);
    }
    map
}

/// `_get_host_instance_type`: the cheapest host for `count` GPUs of `acc`
/// in one zone. `Err(KeyError)` when the count is not in SkyPilot's tables.
fn host_instance_type<'a>(
    t: &'a VmTable,
    hosts: &HashMap<(String, String), Vec<&'a VmRow>>,
    acc: &str,
    count: f64,
    region: &str,
    zone: &str,
) -> Result<Option<&'a VmRow>> {
    let key_error = || Error::new(ErrorKind::Key, super::df::count_repr(count));
    let candidates = hosts
        .get(&(region.to_lowercase(), zone.to_lowercase()))
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    let fits: Box<dyn Fn(&VmRow) -> bool> = if let Some(table) = acc_instance_types(acc) {
        let types = by_count(table, count).ok_or_else(key_error)?;
        Box::new(move |r: &VmRow| t.str(r.instance_type).is_some_and(|it| types.contains(&it)))
    } else {
        let cpus = host_cpus(acc, count).ok_or_else(key_error)? as f64;
        let memory = cpus * 4.0;
        Box::new(move |r: &VmRow| {
            t.str(r.instance_type)
                .is_some_and(|it| DEFAULT_HOST_VM_FAMILY.iter().any(|f| it.starts_with(f)))
                && r.vcpus >= cpus
                && r.memory >= memory
        })
    };
    // dropna(subset=['Price']) then idxmin: the first cheapest.
    let mut best: Option<&VmRow> = None;
    for r in candidates
        .iter()
        .copied()
        .filter(|r| !r.price.is_nan() && fits(r))
    {
        if best.is_none_or(|b| r.price < b.price) {
            best = Some(r);
        }
    }
    Ok(best)
}

/// GCP's `list_accelerators`.
pub fn list_accelerators(
    t: &VmTable,
    f: &ListFilter,
    require_price: bool,
) -> Result<AcceleratorListing> {
    let all = Df::all(t);
    if !require_price {
        let rows = all.rows.iter().map(|r| ListRow::of(&all, r)).collect();
        return list_accelerators_impl("GCP", rows, f);
    }
    let name_re = f
        .name_filter
        .as_deref()
        .map(|p| super::accelerators::py_regex(p, f.case_sensitive))
        .transpose()?;
    let region_re = f
        .region_filter
        .as_deref()
        .map(|p| super::accelerators::py_regex(p, f.case_sensitive))
        .transpose()?;
    let accel = all.clone().filter(|t, r| {
        let Some(name) = t.str(r.acc_name) else {
            return false;
        };
        (!f.gpus_only || r.gpu_info != NONE)
            && name_re.as_ref().is_none_or(|re| re.is_match(name))
            && region_re
                .as_ref()
                .is_none_or(|re| t.str(r.region).is_some_and(|g| re.is_match(g)))
            // `astype(int)` truncates the count before the quantity filter.
            && f.quantity_filter.is_none_or(|q| r.acc_count.trunc() == q)
    });
    let hosts = hosts_by_zone(t);
    let mut gpu_rows = Vec::new();
    let mut tpu_rows = Vec::new();
    for r in &accel.rows {
        let mut row = ListRow::of(&accel, r);
        row.acc_count = r.acc_count.trunc();
        let name = row.acc_name.clone().unwrap_or_default();
        if name.starts_with("tpu-") {
            tpu_rows.push(row);
            continue;
        }
        let (Some(region), Some(zone)) = (accel.s(r.region), accel.s(r.zone)) else {
            continue;
        };
        let Some(host) = host_instance_type(t, &hosts, &name, row.acc_count, region, zone)? else {
            continue;
        };
        if row.price.is_nan() {
            continue;
        }
        row.instance_type = t.str(host.instance_type).map(str::to_string);
        row.vcpus = host.vcpus;
        row.memory = host.memory;
        row.price += host.price;
        row.spot_price += host.spot_price;
        gpu_rows.push(row);
    }
    let has_tpus = !tpu_rows.is_empty();
    gpu_rows.extend(tpu_rows);
    let mut results = list_accelerators_impl("GCP", gpu_rows, f)?;
    if has_tpus {
        let names: Vec<String> = results.keys().cloned().collect();
        for name in names {
            if !name.starts_with("tpu-") {
                continue;
            }
            let version = name.split('-').nth(1).unwrap_or_default().to_string();
            let infos = results.shift_remove(&name).unwrap_or_default();
            results
                .entry(format!("tpu-{version}"))
                .or_default()
                .extend(infos);
        }
        for (name, infos) in results.iter_mut() {
            if name.starts_with("tpu-") {
                python_sort(infos, |i| {
                    vec![
                        Key::F(i.price),
                        Key::F(i.spot_price),
                        Key::S(i.region.clone()),
                    ]
                });
            }
        }
    }
    Ok(results)
}

fn mismatch(msg: String) -> Error {
    Error::new(ErrorKind::ResourcesMismatch, msg)
}

/// `check_accelerator_attachable_to_host`: raises SkyPilot's
/// `ResourcesMismatchError` when the GPU cannot go on that machine type.
pub fn check_attachable(
    t: &VmTable,
    instance_type: &str,
    accelerators: Option<(&str, f64)>,
    zone: Option<&str>,
) -> Result<()> {
    let inferred;
    let (acc, count) = match accelerators {
        Some(a) => a,
        None => match super::gcp::accelerators_from_instance_type(instance_type) {
            Some(m) => {
                inferred = m;
                let (k, v) = inferred
                    .iter()
                    .next()
                    .map(|(k, v)| (k.py_str(), v.clone()))
                    .unwrap_or_default();
                let count = match v {
                    Value::Int(i) => i as f64,
                    Value::Float(f) => f,
                    _ => 0.0,
                };
                return check_attachable(t, instance_type, Some((&k, count)), zone);
            }
            None => return Ok(()),
        },
    };
    let filter = ListFilter {
        gpus_only: false,
        name_filter: Some(acc.to_string()),
        case_sensitive: true,
        ..ListFilter::default()
    };
    if list_accelerators(t, &filter, true)?.is_empty() {
        return Err(mismatch(format!(
            "{acc} is not available in GCP. See 'sky gpus list --cloud gcp'"
        )));
    }
    if acc.starts_with("tpu-") {
        if instance_type != "TPU-VM" && !instance_type.starts_with("n1-") {
            return Err(mismatch(
                "TPU Nodes can be only used with N1 machines. Please refer to: https://cloud.google.com/compute/docs/general-purpose-machines#n1_machines".into(),
            ));
        }
        return Ok(());
    }
    let dedicated = acc_instance_types(acc);
    let count_str = super::df::count_repr(count);
    if let Some(table) = dedicated {
        let types =
            by_count(table, count).ok_or_else(|| Error::new(ErrorKind::Key, count_str.clone()))?;
        if !types.contains(&instance_type) {
            let list = Value::Seq(types.iter().map(|s| Value::from(*s)).collect()).py_repr();
            return Err(mismatch(format!(
                "{acc} GPUs cannot be attached to {instance_type}. Use one of {list} instead. Please refer to https://cloud.google.com/compute/docs/gpus"
            )));
        }
    } else if !instance_type.starts_with("n1-") {
        return Err(mismatch(format!(
            "{acc} GPUs cannot be attached to {instance_type}. Use N1 instance types instead. Please refer to: https://cloud.google.com/compute/docs/machine-types#gpus"
        )));
    }
    let max_table = NUM_ACC_TO_MAX_CPU_AND_MEMORY
        .iter()
        .find(|(n, _)| *n == acc)
        .map(|(_, t)| *t);
    let valid_counts: Vec<u32> = match (dedicated, max_table) {
        (Some(d), _) => d.iter().map(|(c, _)| *c).collect(),
        (None, Some(m)) => m.iter().map(|(c, _)| *c).collect(),
        (None, None) => return Err(Error::assertion(acc.to_string())),
    };
    if !valid_counts.iter().any(|c| f64::from(*c) == count) {
        let list = format!(
            "[{}]",
            valid_counts
                .iter()
                .map(u32::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        );
        return Err(mismatch(format!(
            "{acc}:{count_str} is not launchable on GCP. The valid {acc} counts are {list}."
        )));
    }
    // Catalog values print as floats (`12.0`), the table's as ints.
    let from_catalog = dedicated.is_some();
    let (max_cpus, max_memory) = if from_catalog {
        let df = Df::all(t);
        let (c, m) = super::query::vcpus_mem(&df, instance_type)?;
        (c.unwrap_or(f64::NAN), m.unwrap_or(f64::NAN))
    } else {
        let (mut c, mut m) = max_table
            .and_then(|t| by_count(t, count))
            .unwrap_or((f64::NAN, f64::NAN));
        if acc == "K80" && count == 8.0 && matches!(zone, Some("asia-east1-a" | "us-east1-d")) {
            m = 416.0;
        } else if acc == "P100"
            && count == 4.0
            && matches!(
                zone,
                Some("us-east1-c" | "europe-west1-d" | "europe-west1-b")
            )
        {
            c = 64.0;
            m = 208.0;
        }
        (c, m)
    };
    let Some(host) = Df::all(t)
        .instance_type(instance_type, None, None)
        .rows
        .first()
        .copied()
    else {
        return Err(Error::new(
            ErrorKind::Index,
            "single positional indexer is out-of-bounds",
        ));
    };
    let fmt = |x: f64| {
        if from_catalog {
            crate::yaml::py_float_repr(x)
        } else {
            super::df::count_repr(x)
        }
    };
    if host.vcpus > max_cpus {
        return Err(mismatch(format!(
            "{acc}:{count_str} cannot be attached to {instance_type}. The maximum number of vCPUs is {}. Please refer to: https://cloud.google.com/compute/docs/gpus",
            fmt(max_cpus)
        )));
    }
    if host.memory > max_memory {
        return Err(mismatch(format!(
            "{acc}:{count_str} cannot be attached to {instance_type}. The maximum CPU memory is {} GB. Please refer to: https://cloud.google.com/compute/docs/gpus",
            fmt(max_memory)
        )));
    }
    Ok(())
}
