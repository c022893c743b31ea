//! GCP's catalog rules (SkyPilot's `gcp_catalog.py`): GPUs attach to N1
//! hosts or come with A2/A3/G2/A4/G4 machines, TPUs, and accelerator
//! prices billed on top of the host VM.

use super::df::{Df, PriceCol};
use super::query::{self, AcceleratorMatch, Region};
use super::table::VmTable;
use crate::error::{Error, Result};

/// CPU instance families for the default (cpus/memory only) VM.
pub const DEFAULT_INSTANCE_FAMILY: &[&str] = &[
    "n2-standard",
    "n2-highmem",
    "n2-highcpu",
    "n4-standard",
    "n4-highcpu",
    "n4-highmem",
];
/// Host families a separately attached GPU can use (N2 cannot).
pub const DEFAULT_HOST_VM_FAMILY: &[&str] = &["n1-standard", "n1-highmem", "n1-highcpu"];
/// Default vCPUs when only an instance family is known.
pub const DEFAULT_NUM_VCPUS: u32 = 8;
/// Default GiB of memory per vCPU.
pub const DEFAULT_MEMORY_CPU_RATIO: u32 = 4;
/// GiB per vCPU for GPU hosts.
const DEFAULT_GPU_MEMORY_CPU_RATIO: i64 = 4;

/// Machine types per accelerator count: [(count, machine types)].
pub type CountTable = &'static [(u32, &'static [&'static str])];
/// Largest host (vCPUs, GiB) per accelerator count.
pub type MaxHostTable = &'static [(u32, (f64, f64))];

/// Accelerators that only come with dedicated machine types:
/// name -> [(count, machine types)].
pub const ACC_INSTANCE_TYPES: &[(&str, CountTable)] = &[
    (
        "A100",
        &[
            (1, &["a2-highgpu-1g"]),
            (2, &["a2-highgpu-2g"]),
            (4, &["a2-highgpu-4g"]),
            (8, &["a2-highgpu-8g"]),
            (16, &["a2-megagpu-16g"]),
        ],
    ),
    (
        "A100-80GB",
        &[
            (1, &["a2-ultragpu-1g"]),
            (2, &["a2-ultragpu-2g"]),
            (4, &["a2-ultragpu-4g"]),
            (8, &["a2-ultragpu-8g"]),
        ],
    ),
    (
        "L4",
        &[
            (
                1,
                &[
                    "g2-standard-4",
                    "g2-standard-8",
                    "g2-standard-12",
                    "g2-standard-16",
                    "g2-standard-32",
                ],
            ),
            (2, &["g2-standard-24"]),
            (4, &["g2-standard-48"]),
            (8, &["g2-standard-96"]),
        ],
    ),
    (
        "H100",
        &[
            (1, &["a3-highgpu-1g"]),
            (2, &["a3-highgpu-2g"]),
            (4, &["a3-highgpu-4g"]),
            (8, &["a3-highgpu-8g"]),
        ],
    ),
    ("H100-MEGA", &[(8, &["a3-megagpu-8g"])]),
    ("H200", &[(8, &["a3-ultragpu-8g"])]),
    ("B200", &[(8, &["a4-highgpu-8g"])]),
    (
        "RTXPRO6000",
        &[
            (1, &["g4-standard-48"]),
            (2, &["g4-standard-96"]),
            (4, &["g4-standard-192"]),
            (8, &["g4-standard-384"]),
        ],
    ),
];

/// Host vCPUs per attached GPU count (N1 hosts): name -> [(count, cpus)].
const NUM_ACC_TO_NUM_CPU: &[(&str, &[(u32, i64)])] = &[
    ("K80", &[(1, 4), (2, 8), (4, 16), (8, 32), (16, 64)]),
    ("V100", &[(1, 8), (2, 16), (4, 32), (8, 64)]),
    ("T4", &[(1, 4), (2, 8), (4, 48)]),
    ("P100", &[(1, 8), (2, 16), (4, 32), (8, 64)]),
    ("DEFAULT", &[(1, 8), (2, 16), (4, 32), (8, 64), (16, 128)]),
];

/// Largest N1 host (vCPUs, GiB) per attached GPU count.
pub const NUM_ACC_TO_MAX_CPU_AND_MEMORY: &[(&str, MaxHostTable)] = &[
    (
        "K80",
        &[
            (1, (8.0, 52.0)),
            (2, (16.0, 104.0)),
            (4, (32.0, 208.0)),
            (8, (64.0, 208.0)),
        ],
    ),
    (
        "V100",
        &[
            (1, (12.0, 78.0)),
            (2, (24.0, 156.0)),
            (4, (48.0, 312.0)),
            (8, (96.0, 624.0)),
        ],
    ),
    (
        "T4",
        &[(1, (48.0, 312.0)), (2, (48.0, 312.0)), (4, (96.0, 624.0))],
    ),
    (
        "P4",
        &[(1, (24.0, 156.0)), (2, (48.0, 312.0)), (4, (96.0, 624.0))],
    ),
    (
        "P100",
        &[(1, (16.0, 104.0)), (2, (32.0, 208.0)), (4, (96.0, 624.0))],
    ),
];

/// Looks a count up in one of the tables above (`dict.get(count)`; a float
/// count matches an int key when equal).
pub fn by_count<T: Copy>(table: &[(u32, T)], count: f64) -> Option<T> {
    table
        .iter()
        .find(|(c, _)| f64::from(*c) == count)
        .map(|(_, v)| *v)
}

/// The dedicated machine types of `acc` (case-sensitive, as the dict is).
pub fn acc_instance_types(acc: &str) -> Option<CountTable> {
    ACC_INSTANCE_TYPES
        .iter()
        .find(|(n, _)| *n == acc)
        .map(|(_, t)| *t)
}

fn num_cpus_table(acc: &str) -> &'static [(u32, i64)] {
    NUM_ACC_TO_NUM_CPU
        .iter()
        .find(|(n, _)| *n == acc)
        .or_else(|| NUM_ACC_TO_NUM_CPU.iter().find(|(n, _)| *n == "DEFAULT"))
        .map_or(&[], |(_, t)| *t)
}

/// Host vCPUs for `count` GPUs of `acc` on N1 (`None` if no such count).
pub fn host_cpus(acc: &str, count: f64) -> Option<i64> {
    by_count(num_cpus_table(acc), count)
}

/// `{instance_type: {acc: count}}` for the dedicated machine types.
pub fn accelerators_from_instance_type(instance_type: &str) -> Option<query::Accelerators> {
    for (acc, counts) in ACC_INSTANCE_TYPES {
        for (count, types) in *counts {
            if types.contains(&instance_type) {
                return Some(query::accelerator_map(acc, f64::from(*count)));
            }
        }
    }
    None
}

fn instances(t: &VmTable) -> Df<'_> {
    Df::all(t).filter(|_, r| r.instance_type != super::table::NONE)
}

fn starts_with_any(t: &VmTable, r: &super::table::VmRow, prefixes: &[&str]) -> bool {
    t.str(r.instance_type)
        .is_some_and(|it| prefixes.iter().any(|p| it.starts_with(p)))
}

/// `get_default_instance_type` (N2/N4 families; the disk tier never
/// excludes one on GCP).
#[allow(clippy::too_many_arguments)]
pub fn default_instance_type(
    t: &VmTable,
    cpus: Option<&str>,
    memory: Option<&str>,
    region: Option<&str>,
    zone: Option<&str>,
    use_spot: bool,
    max_hourly_cost: Option<f64>,
) -> Result<Option<String>> {
    let (cpus, memory) = defaults(cpus, memory);
    let families: Vec<String> = DEFAULT_INSTANCE_FAMILY
        .iter()
        .map(|f| format!("{f}-"))
        .collect();
    let families: Vec<&str> = families.iter().map(String::as_str).collect();
    let df = instances(t).filter(|t, r| starts_with_any(t, r, &families));
    query::instance_type_for_cpus_mem(
        df,
        cpus.as_deref(),
        memory.as_deref(),
        region,
        zone,
        use_spot,
        max_hourly_cost,
    )
}

/// `cpus='8+'` and memory `'4x'` when neither is given (AWS and GCP).
pub fn defaults(cpus: Option<&str>, memory: Option<&str>) -> (Option<String>, Option<String>) {
    let cpus = match (cpus, memory) {
        (None, None) => Some(format!("{DEFAULT_NUM_VCPUS}+")),
        (c, _) => c.map(str::to_string),
    };
    let memory = Some(
        memory
            .map(str::to_string)
            .unwrap_or_else(|| format!("{DEFAULT_MEMORY_CPU_RATIO}x")),
    );
    (cpus, memory)
}

/// `get_instance_type_for_accelerator`: the host VM for a GPU/TPU.
#[allow(clippy::too_many_arguments)]
pub fn instance_type_for_accelerator(
    t: &VmTable,
    acc: &str,
    count: f64,
    cpus: Option<&str>,
    memory: Option<&str>,
    use_spot: bool,
    region: Option<&str>,
    zone: Option<&str>,
    max_hourly_cost: Option<f64>,
) -> Result<AcceleratorMatch> {
    let (list, fuzzy) = query::instance_types_for_accelerator(
        &Df::all(t),
        acc,
        count,
        cpus,
        memory,
        use_spot,
        region,
        zone,
        max_hourly_cost,
    )?;
    if list.is_none() {
        return Ok((None, fuzzy));
    }
    if let Some(table) = acc_instance_types(acc) {
        let Some(types) = by_count(table, count) else {
            return Ok((None, Vec::new()));
        };
        let df = instances(t)
            .filter(|t, r| t.str(r.instance_type).is_some_and(|it| types.contains(&it)));
        let it = query::instance_type_for_cpus_mem(df, cpus, memory, None, None, false, None)?;
        return Ok((it.map(|i| vec![i]), Vec::new()));
    }
    let default_cpus = host_cpus(acc, count);
    let mut cpus = cpus.map(str::to_string);
    let mut memory = memory.map(str::to_string);
    if cpus.is_none() && memory.is_none() {
        let Some(n) = default_cpus else {
            return Err(Error::assertion(format!(
                "({}, {})",
                crate::yaml::py_str_repr(if NUM_ACC_TO_NUM_CPU.iter().any(|(n, _)| *n == acc) {
                    acc
                } else {
                    "DEFAULT"
                }),
                super::df::count_repr(count)
            )));
        };
        cpus = Some(format!("{n}+"));
    }
    if memory.is_none() {
        let c = cpus.as_deref().unwrap_or_default();
        let c = c.trim_matches('+').trim_matches('x');
        let n: i64 = crate::yaml::py_parse_int(c).ok_or_else(|| {
            Error::value(format!(
                "invalid literal for int() with base 10: {}",
                crate::yaml::py_str_repr(c)
            ))
        })?;
        memory = Some(format!("{}+", n * DEFAULT_GPU_MEMORY_CPU_RATIO));
    }
    let df = instances(t).filter(|t, r| starts_with_any(t, r, DEFAULT_HOST_VM_FAMILY));
    let it = query::instance_type_for_cpus_mem(
        df,
        cpus.as_deref(),
        memory.as_deref(),
        None,
        None,
        false,
        None,
    )?;
    Ok((it.map(|i| vec![i]), Vec::new()))
}

/// `_get_accelerator`: rows of one accelerator/count (region and zone
/// compared exactly here).
pub fn accelerator_rows<'a>(
    t: &'a VmTable,
    acc: &str,
    count: f64,
    region: Option<&str>,
    zone: Option<&str>,
) -> Result<Df<'a>> {
    let full = super::accelerators::py_fullmatch(acc)?;
    Ok(Df::all(t).filter(|t, r| {
        t.str(r.acc_name).is_some_and(|n| full.is_match(n))
            && r.acc_count == count
            && region.is_none_or(|g| t.str(r.region) == Some(g))
            && zone.is_none_or(|z| t.str(r.zone) == Some(z))
    }))
}

/// `get_accelerator_hourly_cost`: the attached accelerator's price.
pub fn accelerator_hourly_cost(
    t: &VmTable,
    acc: &str,
    count: f64,
    use_spot: bool,
    region: Option<&str>,
    zone: Option<&str>,
) -> Result<f64> {
    let df = accelerator_rows(t, acc, count, region, zone)?;
    let min = |col: PriceCol| {
        df.rows
            .iter()
            .map(|r| col.get(r))
            .filter(|p| !p.is_nan())
            .fold(f64::NAN, |m, p| if m.is_nan() || p < m { p } else { m })
    };
    let on_demand = min(PriceCol::OnDemand);
    if !use_spot {
        return Ok(on_demand);
    }
    if df.is_empty() {
        return Err(Error::value("attempt to get argmin of an empty sequence"));
    }
    let spot = min(PriceCol::Spot);
    if spot.is_nan() {
        return Err(Error::value("Encountered all NA values"));
    }
    Ok(spot)
}

/// `get_region_zones_for_accelerators`.
pub fn region_zones_for_accelerator(
    t: &VmTable,
    acc: &str,
    count: f64,
    use_spot: bool,
) -> Result<Vec<Region>> {
    let df = accelerator_rows(t, acc, count, None, None)?;
    Ok(query::region_zones(&df, use_spot))
}
