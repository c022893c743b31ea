//! `list_accelerators`: accelerator name -> the instance types offering it
//! (SkyPilot's `list_accelerators_impl` and its `InstanceTypeInfo` rows).

use std::collections::HashSet;

use indexmap::IndexMap;

use super::accelerators::py_regex;
use super::df::{Df, cmp_f64};
use super::gpu_info::DeviceMemory;
use super::pysort::{Key, python_sort};
use crate::error::{Error, ErrorKind, Result};

/// One offering (`sky.catalog.common.InstanceTypeInfo`). Missing numbers
/// are NaN, as pandas gives them.
#[derive(Debug, Clone, PartialEq)]
pub struct InstanceTypeInfo {
    /// Cloud display name (`AWS`, `GCP`, `nebius`: SkyPilot's own spelling).
    pub cloud: String,
    /// Instance type (`None` for GCP TPUs).
    pub instance_type: Option<String>,
    /// Canonical accelerator name.
    pub accelerator_name: String,
    /// Accelerator count.
    pub accelerator_count: f64,
    /// vCPUs.
    pub cpu_count: f64,
    /// Device memory in GiB; `None` when the cloud's `GpuInfo` cannot be read.
    pub device_memory: Option<f64>,
    /// Host memory in GiB.
    pub memory: f64,
    /// On-demand price per hour.
    pub price: f64,
    /// Spot price per hour.
    pub spot_price: f64,
    /// Region.
    pub region: String,
}

/// Accelerator name -> offerings, in SkyPilot's key order.
pub type AcceleratorListing = IndexMap<String, Vec<InstanceTypeInfo>>;

/// The filters of `list_accelerators`.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    /// Only rows with `GpuInfo`.
    pub gpus_only: bool,
    /// A regular expression on the accelerator name.
    pub name_filter: Option<String>,
    /// A regular expression on the region.
    pub region_filter: Option<String>,
    /// An exact accelerator count.
    pub quantity_filter: Option<f64>,
    /// Whether the two patterns are case sensitive.
    pub case_sensitive: bool,
    /// One row per region instead of the cheapest region only.
    pub all_regions: bool,
}

/// A row of the frame `list_accelerators_impl` works on (GCP builds its own
/// with host-VM prices added).
#[derive(Debug, Clone, PartialEq)]
pub struct ListRow {
    /// `InstanceType`.
    pub instance_type: Option<String>,
    /// `AcceleratorName`.
    pub acc_name: Option<String>,
    /// `AcceleratorCount`.
    pub acc_count: f64,
    /// `vCPUs`.
    pub vcpus: f64,
    /// `MemoryGiB`.
    pub memory: f64,
    /// Whether `GpuInfo` is present.
    pub has_gpu_info: bool,
    /// Device memory derived from `GpuInfo`.
    pub device_memory: DeviceMemory,
    /// `Price`.
    pub price: f64,
    /// `SpotPrice`.
    pub spot_price: f64,
    /// `Region`.
    pub region: Option<String>,
}

impl ListRow {
    /// The row of a catalog view.
    pub fn of(df: &Df, r: &super::table::VmRow) -> ListRow {
        ListRow {
            instance_type: df.s(r.instance_type).map(str::to_string),
            acc_name: df.s(r.acc_name).map(str::to_string),
            acc_count: r.acc_count,
            vcpus: r.vcpus,
            memory: r.memory,
            has_gpu_info: r.gpu_info != super::table::NONE,
            device_memory: r.device_memory,
            price: r.price,
            spot_price: r.spot_price,
            region: df.s(r.region).map(str::to_string),
        }
    }
}

/// A hashable form of a float for `drop_duplicates`: every NaN is one
/// value and `-0.0` equals `0.0`.
fn bits(x: f64) -> u64 {
    if x.is_nan() {
        f64::NAN.to_bits()
    } else if x == 0.0 {
        0
    } else {
        x.to_bits()
    }
}

/// `list_accelerators_impl(cloud, df, ...)`.
pub fn list_accelerators_impl(
    cloud: &str,
    rows: Vec<ListRow>,
    f: &ListFilter,
) -> Result<AcceleratorListing> {
    let rows: Vec<ListRow> = if f.gpus_only {
        rows.into_iter().filter(|r| r.has_gpu_info).collect()
    } else {
        rows
    };
    // pandas applies literal_eval to the whole column first: one unreadable
    // cell means no device memory for anyone; then a missing key raises.
    let unreadable = rows
        .iter()
        .any(|r| r.device_memory == DeviceMemory::ValueError);
    let mut with_mem: Vec<(ListRow, Option<f64>)> = Vec::with_capacity(rows.len());
    for r in rows {
        let mem = if unreadable {
            None
        } else {
            match r.device_memory {
                DeviceMemory::GiB(v) => Some(v),
                DeviceMemory::KeyError(k) => {
                    return Err(Error::new(ErrorKind::Key, k.name()));
                }
                DeviceMemory::TypeError => {
                    return Err(Error::type_error("string indices must be integers"));
                }
                DeviceMemory::ValueError => None,
            }
        };
        with_mem.push((r, mem));
    }
    // dropna(subset=['AcceleratorName']).drop_duplicates() on the 9 columns.
    let mut seen = HashSet::new();
    let kept: Vec<(ListRow, Option<f64>)> = with_mem
        .into_iter()
        .filter(|(r, mem)| {
            r.acc_name.is_some()
                && seen.insert((
                    r.instance_type.clone(),
                    r.acc_name.clone(),
                    bits(r.acc_count),
                    bits(r.vcpus),
                    mem.map(bits),
                    bits(r.memory),
                    bits(r.price),
                    bits(r.spot_price),
                    r.region.clone(),
                ))
        })
        .collect();
    let mut kept = kept;
    if let Some(pat) = &f.name_filter {
        let re = py_regex(pat, f.case_sensitive)?;
        kept.retain(|(r, _)| r.acc_name.as_deref().is_some_and(|n| re.is_match(n)));
    }
    if let Some(pat) = &f.region_filter {
        let re = py_regex(pat, f.case_sensitive)?;
        kept.retain(|(r, _)| r.region.as_deref().is_some_and(|n| re.is_match(n)));
    }
    if let Some(q) = f.quantity_filter {
        kept.retain(|(r, _)| r.acc_count == q);
    }
    // groupby('AcceleratorName') iterates the names sorted.
    let mut groups: IndexMap<String, Vec<(ListRow, Option<f64>)>> = IndexMap::new();
    for (r, mem) in kept {
        let name = r.acc_name.clone().unwrap_or_default();
        groups.entry(name).or_default().push((r, mem));
    }
    groups.sort_keys();
    let mut out = AcceleratorListing::new();
    for (name, group) in groups {
        out.insert(name, group_list(cloud, group, f.all_regions));
    }
    Ok(out)
}

/// `make_list_from_df`: cheapest first, one row per instance type (per
/// region with `all_regions`), then SkyPilot's display order.
fn group_list(
    cloud: &str,
    mut rows: Vec<(ListRow, Option<f64>)>,
    all_regions: bool,
) -> Vec<InstanceTypeInfo> {
    rows.sort_by(|(a, _), (b, _)| {
        let o = cmp_f64(a.price, b.price).then(cmp_f64(a.spot_price, b.spot_price));
        if all_regions {
            o.then_with(|| cmp_region(&a.region, &b.region))
        } else {
            o
        }
    });
    let mut seen = HashSet::new();
    let kept: Vec<(ListRow, Option<f64>)> = rows
        .into_iter()
        .filter(|(r, _)| {
            seen.insert((
                r.instance_type.clone(),
                r.acc_name.clone(),
                bits(r.acc_count),
                bits(r.vcpus),
                bits(r.memory),
                if all_regions { r.region.clone() } else { None },
            ))
        })
        .collect();
    let mut infos: Vec<InstanceTypeInfo> = kept
        .into_iter()
        .map(|(r, mem)| InstanceTypeInfo {
            cloud: cloud.to_string(),
            instance_type: r.instance_type,
            accelerator_name: r.acc_name.unwrap_or_default(),
            accelerator_count: r.acc_count,
            cpu_count: r.vcpus,
            device_memory: mem,
            memory: r.memory,
            price: r.price,
            spot_price: r.spot_price,
            region: r.region.unwrap_or_default(),
        })
        .collect();
    python_sort(&mut infos, |i| {
        vec![
            Key::F(i.accelerator_count),
            i.instance_type.clone().map_or(Key::F(f64::NAN), Key::S),
            Key::F(if i.cpu_count.is_nan() {
                0.0
            } else {
                i.cpu_count
            }),
            Key::F(i.price),
            Key::F(i.spot_price),
            Key::S(i.region.clone()),
        ]
    });
    infos
}

/// Strings sort before missing values, as pandas puts NaN last.
fn cmp_region(a: &Option<String>, b: &Option<String>) -> std::cmp::Ordering {
    match (a, b) {
        (Some(x), Some(y)) => x.cmp(y),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => std::cmp::Ordering::Equal,
    }
}

/// Merges per-cloud listings as `sky.catalog.list_accelerators` does: keys
/// in order of first appearance, offerings appended cloud by cloud.
pub fn merge(listings: Vec<AcceleratorListing>) -> AcceleratorListing {
    let mut out = AcceleratorListing::new();
    for l in listings {
        for (k, v) in l {
            out.entry(k).or_default().extend(v);
        }
    }
    out
}
