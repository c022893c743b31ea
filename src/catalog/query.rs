//! The catalog queries every cloud shares (SkyPilot's `catalog/common.py`
//! `*_impl` functions), with the same filters, orders and messages.

use super::df::{Df, PriceCol, count_repr};
use super::table::{NONE, VmRow};
use crate::error::{Error, Result};
use crate::spec::difflib;
use crate::yaml::{Value, py_parse_float, py_str_repr};

/// A region with its zones (`sky.clouds.Region`); `zones` is `None` for
/// clouds whose catalog has no `AvailabilityZone` column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Region {
    /// The region name as the catalog spells it.
    pub name: String,
    /// Zones offering the request, cheapest first.
    pub zones: Option<Vec<String>>,
}

/// Accelerator name and count as SkyPilot returns them (`{'V100': 1}`):
/// the count is an int when it is whole.
pub type Accelerators = crate::yaml::Map;

/// `{name: int(count) if whole else count}`.
pub fn accelerator_map(name: &str, count: f64) -> Accelerators {
    let mut m = crate::yaml::Map::new();
    let v = if count.fract() == 0.0 && count.abs() < 9.0e15 {
        Value::Int(count as i64)
    } else {
        Value::Float(count)
    };
    m.insert(name, v);
    m
}

/// `instance_type_exists_impl`.
pub fn instance_type_exists(df: &Df, instance_type: &str) -> bool {
    df.t.lookup(instance_type)
        .is_some_and(|id| df.rows.iter().any(|r| r.instance_type == id))
}

/// `difflib.get_close_matches(loc, all, n=5)`, sorted, as SkyPilot words it.
fn candidate_str(loc: &str, all: &[String]) -> String {
    let mut found = difflib::close_matches(loc, all.iter().map(String::as_str), 5, 0.6);
    found.sort();
    if found.is_empty() {
        return String::new();
    }
    format!(
        "\nDid you mean one of these: {}?",
        py_str_repr(&found.join(", "))
    )
}

/// `validate_region_zone_impl`: returns (region as the catalog spells it,
/// zone) or SkyPilot's `ValueError` with "Did you mean" candidates.
pub fn validate_region_zone(
    cloud_name: &str,
    df: &Df,
    region: Option<&str>,
    zone: Option<&str>,
) -> Result<(Option<String>, Option<String>)> {
    let all_regions: Vec<String> = df
        .unique(|r| r.region)
        .iter()
        .map(|r| r.to_lowercase())
        .fold(Vec::new(), |mut acc, r| {
            if !acc.contains(&r) {
                acc.push(r);
            }
            acc
        });
    let mut validated_region = region.map(str::to_string);
    let mut filtered = df.clone();
    if let Some(region) = region {
        filtered = filtered.region_zone(Some(region), None)?;
        if filtered.is_empty() {
            let mut msg = format!("Invalid region {}", py_str_repr(region));
            let candidates = candidate_str(&region.to_lowercase(), &all_regions);
            if candidates.is_empty() {
                if matches!(cloud_name, "azure" | "gcp") {
                    msg.push_str(
                        "\nIf a region is not included in the following list, please check the FAQ docs for how to fetch its catalog info.\nhttps://docs.skypilot.co/en/latest/reference/faq.html#advanced-how-to-make-skypilot-use-all-global-regions",
                    );
                }
                let mut sorted = all_regions.clone();
                sorted.sort();
                msg.push_str(&format!(
                    "\nList of supported {cloud_name} regions: {}",
                    py_str_repr(&sorted.join(", "))
                ));
            } else {
                msg.push_str(&candidates);
            }
            return Err(Error::value(msg));
        }
        validated_region = filtered.unique(|r| r.region).first().map(|s| s.to_string());
    }
    if let Some(zone) = zone {
        df.require("AvailabilityZone")?;
        let in_region = filtered.clone();
        let filtered = filtered.filter(|t, r| t.str(r.zone) == Some(zone));
        if filtered.is_empty() {
            let region_str = region
                .map(|r| format!(" for region {}", py_str_repr(r)))
                .unwrap_or_default();
            let zones: Vec<String> = in_region
                .unique(|r| r.zone)
                .iter()
                .map(|z| z.to_string())
                .collect();
            return Err(Error::value(format!(
                "Invalid zone {}{region_str}{}",
                py_str_repr(zone),
                candidate_str(zone, &zones)
            )));
        }
        let regions = filtered.unique(|r| r.region);
        if regions.len() != 1 {
            return Err(Error::assertion("Zone should be unique across regions."));
        }
        validated_region = Some(regions[0].to_string());
    }
    Ok((validated_region, zone.map(str::to_string)))
}

/// `get_hourly_cost_impl`: the cheapest price of the instance type in the
/// region/zone (or anywhere).
pub fn hourly_cost(
    df: &Df,
    instance_type: &str,
    use_spot: bool,
    region: Option<&str>,
    zone: Option<&str>,
) -> Result<f64> {
    let rows = df.clone().instance_type(instance_type, region, zone);
    if rows.is_empty() {
        let where_ = match (region, zone) {
            (_, Some(z)) => format!("zone {}", py_str_repr(z)),
            (Some(r), None) => format!("region {}", py_str_repr(r)),
            (None, None) => "all regions".to_string(),
        };
        return Err(Error::value(format!(
            "Instance type {} not found in {where_}.",
            py_str_repr(instance_type)
        )));
    }
    if zone.is_some() && rows.rows.len() != 1 {
        return Err(Error::assertion("one row per zone"));
    }
    let col = PriceCol::of(use_spot);
    // On demand, a region has one price: `len(set(df['Price'])) == 1`
    // (NaN never equals itself, so two NaN rows fail too).
    if !use_spot && region.is_some() {
        let first = col.get(rows.rows[0]);
        if rows.rows.iter().skip(1).any(|r| !(col.get(r) == first)) {
            return Err(Error::assertion("one on-demand price per region"));
        }
    }
    // idxmin: the first minimum, skipping NaN.
    let cheapest = rows
        .rows
        .iter()
        .map(|r| col.get(r))
        .filter(|p| !p.is_nan())
        .fold(None, |best: Option<f64>, p| match best {
            Some(b) if b <= p => Some(b),
            _ => Some(p),
        });
    cheapest.ok_or_else(|| {
        Error::value(format!(
            "No {} found for instance type {}.",
            col.name(),
            py_str_repr(instance_type)
        ))
    })
}

fn first_row<'a>(df: &Df<'a>, instance_type: &str) -> Result<(Df<'a>, &'a VmRow)> {
    let rows = df.clone().instance_type(instance_type, None, None);
    match rows.rows.first().copied() {
        Some(r) => Ok((rows, r)),
        None => Err(Error::value(format!(
            "No instance type {instance_type} found."
        ))),
    }
}

fn opt(v: f64) -> Option<f64> {
    (!v.is_nan()).then_some(v)
}

/// `get_vcpus_mem_from_instance_type_impl`.
pub fn vcpus_mem(df: &Df, instance_type: &str) -> Result<(Option<f64>, Option<f64>)> {
    let (rows, first) = first_row(df, instance_type)?;
    // `set(df['vCPUs'])` must have one element; NaNs never compare equal.
    let same = |get: fn(&VmRow) -> f64| {
        let v0 = get(first);
        rows.rows.iter().all(|r| get(r) == v0) || rows.rows.len() == 1
    };
    if !same(|r| r.vcpus) {
        return Err(Error::assertion(format!(
            "Cannot determine the number of vCPUs of the instance type {instance_type}."
        )));
    }
    if !same(|r| r.memory) {
        return Err(Error::assertion(format!(
            "Cannot determine the memory size of the instance type {instance_type}."
        )));
    }
    Ok((opt(first.vcpus), opt(first.memory)))
}

/// `get_accelerators_from_instance_type_impl`.
pub fn accelerators_of(df: &Df, instance_type: &str) -> Result<Option<Accelerators>> {
    let (_, row) = first_row(df, instance_type)?;
    let Some(name) = df.s(row.acc_name) else {
        return Ok(None);
    };
    if row.acc_count.is_nan() {
        return Err(Error::value("cannot convert float NaN to integer"));
    }
    Ok(Some(accelerator_map(name, row.acc_count)))
}

/// `get_arch_from_instance_type_impl`.
pub fn arch_of(df: &Df, instance_type: &str) -> Result<Option<String>> {
    let (_, row) = first_row(df, instance_type)?;
    Ok(df.s(row.arch).map(str::to_string))
}

/// `get_local_disk_from_instance_type_impl`: `nvme:<GB>`/`ssd:<GB>`.
pub fn local_disk_of(df: &Df, instance_type: &str) -> Result<Option<String>> {
    let (_, row) = first_row(df, instance_type)?;
    if df.s(row.local_disk_type) != Some("ssd") {
        return Ok(None);
    }
    if row.local_disk_size.is_nan() || row.local_disk_count.is_nan() {
        return Ok(None);
    }
    let total = row.local_disk_size * row.local_disk_count;
    let mode = if row.nvme == 1 { "nvme" } else { "ssd" };
    Ok(Some(format!("{mode}:{}", total as i64)))
}

/// `_filter_with_cpus`: `N` exactly or `N+` at least.
pub fn filter_cpus<'a>(df: Df<'a>, cpus: Option<&str>) -> Result<Df<'a>> {
    let Some(cpus) = cpus else { return Ok(df) };
    let plus = cpus.ends_with('+');
    let n = py_parse_float(cpus.strip_suffix('+').unwrap_or(cpus)).ok_or_else(|| {
        Error::value(format!(
            "The \"cpus\" field should be either a number or a string \"<number>+\". Found: {}",
            py_str_repr(cpus)
        ))
    })?;
    Ok(df.filter(|_, r| if plus { r.vcpus >= n } else { r.vcpus == n }))
}

/// `_filter_with_mem`: `N`, `N+`, or `Nx` (at least N GiB per vCPU).
pub fn filter_mem<'a>(df: Df<'a>, memory: Option<&str>) -> Result<Df<'a>> {
    let Some(mem) = memory else { return Ok(df) };
    let n = py_parse_float(mem.strip_suffix(['+', 'x']).unwrap_or(mem)).ok_or_else(|| {
        Error::value(format!(
            "The \"memory\" field should be either a number or a string \"<number>+\" or \"<number>x\". Found: {}",
            py_str_repr(mem)
        ))
    })?;
    Ok(if mem.ends_with('+') {
        df.filter(|_, r| r.memory >= n)
    } else if mem.ends_with('x') {
        df.filter(|_, r| r.memory >= r.vcpus * n)
    } else {
        df.filter(|_, r| r.memory == n)
    })
}

/// `filter_with_local_disk`: `nvme:500+`, `ssd:1000` (AWS columns).
pub fn filter_local_disk<'a>(df: Df<'a>, local_disk: Option<&str>) -> Result<Df<'a>> {
    let Some(spec) = local_disk else {
        return Ok(df);
    };
    let spec = spec.to_lowercase();
    let (mode, size) = spec.split_once(':').unwrap_or((&spec, ""));
    let at_least = size.ends_with('+');
    let size = py_parse_float(size.trim_end_matches('+')).ok_or_else(|| {
        Error::value(format!(
            "could not convert string to float: {}",
            py_str_repr(size)
        ))
    })?;
    if mode != "nvme" && mode != "ssd" {
        return Err(Error::value(format!(
            "Local disk should be either nvme or ssd. Got {spec}."
        )));
    }
    df.require("LocalDiskType")?;
    let nvme = mode == "nvme";
    if nvme {
        df.require("NVMeSupported")?;
    }
    let df = df.filter(|t, r| t.str(r.local_disk_type) == Some("ssd") && (!nvme || r.nvme == 1));
    df.require("LocalDiskSize")?;
    df.require("LocalDiskCount")?;
    Ok(df.filter(|_, r| {
        let zero_nan = |v: f64| if v.is_nan() { 0.0 } else { v };
        let total = zero_nan(r.local_disk_size) * zero_nan(r.local_disk_count);
        if at_least {
            total >= size
        } else {
            (total - size).abs() < 1.0
        }
    }))
}

/// `get_instance_type_for_cpus_mem_impl`: the cheapest instance type
/// meeting cpus/memory (sorted by spot price only with a price ceiling).
#[allow(clippy::too_many_arguments)]
pub fn instance_type_for_cpus_mem(
    df: Df,
    cpus: Option<&str>,
    memory: Option<&str>,
    region: Option<&str>,
    zone: Option<&str>,
    use_spot: bool,
    max_hourly_cost: Option<f64>,
) -> Result<Option<String>> {
    let df = df.region_zone(region, zone)?;
    let df = filter_cpus(df, cpus)?;
    let df = filter_mem(df, memory)?;
    if df.is_empty() {
        return Ok(None);
    }
    let col = PriceCol::of(use_spot && max_hourly_cost.is_some());
    if !df.t.columns.has(col.name()) || df.rows.iter().all(|r| col.get(r).is_nan()) {
        return Ok(None);
    }
    let mut df = df;
    if let Some(max) = max_hourly_cost {
        df = df.filter(|_, r| col.get(r) <= max);
        if df.is_empty() {
            return Ok(None);
        }
    }
    let df = df.sort_by_price(col);
    Ok(df
        .rows
        .first()
        .and_then(|r| df.s(r.instance_type))
        .map(str::to_string))
}

/// (instance types cheapest first, fuzzy candidates) as
/// `get_instance_type_for_accelerator_impl` returns them: `None` when the
/// accelerator/count is not offered at all (then the candidates apply).
pub type AcceleratorMatch = (Option<Vec<String>>, Vec<String>);

/// `get_instance_type_for_accelerator_impl`.
#[allow(clippy::too_many_arguments)]
pub fn instance_types_for_accelerator(
    df: &Df,
    acc_name: &str,
    acc_count: f64,
    cpus: Option<&str>,
    memory: Option<&str>,
    use_spot: bool,
    region: Option<&str>,
    zone: Option<&str>,
    max_hourly_cost: Option<f64>,
) -> Result<AcceleratorMatch> {
    let full = super::accelerators::py_fullmatch(acc_name)?;
    let result = df.clone().filter(|t, r| {
        t.str(r.acc_name).is_some_and(|n| full.is_match(n))
            && (r.acc_count - acc_count).abs() <= 0.01
    });
    let result = result.region_zone(region, zone)?;
    if result.is_empty() {
        return Ok((
            None,
            fuzzy_candidates(df, acc_name, acc_count, region, zone)?,
        ));
    }
    let result = filter_cpus(result, cpus)?;
    let result = filter_mem(result, memory)?;
    let result = result.region_zone(region, zone)?;
    if result.is_empty() {
        return Ok((Some(Vec::new()), Vec::new()));
    }
    let col = PriceCol::of(use_spot);
    if result.rows.iter().all(|r| col.get(r).is_nan()) {
        return Ok((Some(Vec::new()), Vec::new()));
    }
    let mut result = result;
    if let Some(max) = max_hourly_cost {
        result = result.filter(|_, r| col.get(r) <= max);
        if result.is_empty() {
            return Ok((Some(Vec::new()), Vec::new()));
        }
    }
    let result = result.sort_by_price(col);
    let mut types: Vec<String> = Vec::new();
    for r in &result.rows {
        // `drop_duplicates` keeps a NaN instance type once, as NaN.
        let name = result.s(r.instance_type).unwrap_or("nan");
        if !types.iter().any(|t| t == name) {
            types.push(name.to_string());
        }
    }
    Ok((Some(types), Vec::new()))
}

/// The "Did you mean" list: same-family accelerators with at least the
/// requested count, cheapest first, `NAME:COUNT` each once.
fn fuzzy_candidates(
    df: &Df,
    acc_name: &str,
    acc_count: f64,
    region: Option<&str>,
    zone: Option<&str>,
) -> Result<Vec<String>> {
    let contains = super::accelerators::py_regex(acc_name, false)?;
    let fuzzy = df.clone().filter(|t, r| {
        t.str(r.acc_name).is_some_and(|n| contains.is_match(n)) && r.acc_count >= acc_count
    });
    let fuzzy = fuzzy
        .region_zone(region, zone)?
        .sort_by_price(PriceCol::OnDemand);
    let mut seen: Vec<(u32, u64)> = Vec::new();
    let mut out = Vec::new();
    for r in &fuzzy.rows {
        let key = (r.acc_name, r.acc_count.to_bits());
        if seen.contains(&key) {
            continue;
        }
        seen.push(key);
        let name = fuzzy.s(r.acc_name).unwrap_or("nan");
        let count = if r.acc_count.fract() == 0.0 {
            count_repr(r.acc_count)
        } else {
            format!("{:.2}", r.acc_count)
        };
        out.push(format!("{name}:{count}"));
    }
    Ok(out)
}

/// `get_region_zones(df, use_spot)`: regions cheapest first (then by name),
/// each with its zones in the same order.
pub fn region_zones(df: &Df, use_spot: bool) -> Vec<Region> {
    let col = PriceCol::of(use_spot);
    let has_zone = df.t.columns.has("AvailabilityZone");
    let mut rows: Vec<&VmRow> = df
        .rows
        .iter()
        .copied()
        .filter(|r| !col.get(r).is_nan() && r.region != NONE && (!has_zone || r.zone != NONE))
        .collect();
    // A multi-column sort_values is a stable lexsort.
    rows.sort_by(|a, b| {
        col.get(a)
            .partial_cmp(&col.get(b))
            .unwrap_or(std::cmp::Ordering::Equal)
            .then_with(|| df.s(a.region).cmp(&df.s(b.region)))
            .then_with(|| {
                if has_zone {
                    df.s(a.zone).cmp(&df.s(b.zone))
                } else {
                    std::cmp::Ordering::Equal
                }
            })
    });
    let mut regions: Vec<Region> = Vec::new();
    for r in rows {
        let name = df.s(r.region).unwrap_or_default();
        let idx = match regions.iter().position(|x| x.name == name) {
            Some(i) => i,
            None => {
                regions.push(Region {
                    name: name.to_string(),
                    zones: has_zone.then(Vec::new),
                });
                regions.len() - 1
            }
        };
        if let (Some(zones), Some(z)) = (regions[idx].zones.as_mut(), df.s(r.zone)) {
            zones.push(z.to_string());
        }
    }
    regions
}

/// Puts `us-*` regions first, keeping the price order within each group
/// (AWS and Lambda's `get_region_zones_for_instance_type`).
pub fn us_regions_first(regions: Vec<Region>) -> Vec<Region> {
    let (us, other): (Vec<Region>, Vec<Region>) =
        regions.into_iter().partition(|r| r.name.starts_with("us-"));
    us.into_iter().chain(other).collect()
}
