//! What the catalog-backed clouds share: their `*_catalog.py` module
//! answered from `<cloud>/vms.csv`, and the usual shape of
//! `_get_feasible_launchable_resources`. Each cloud file picks its quirks.

use std::sync::Arc;

use super::{Accelerators, Cloud, FeasibleResources, InstanceQuery, Offering, Region};
use crate::catalog::list::{AcceleratorListing, ListFilter, ListRow, list_accelerators_impl};
use crate::catalog::query::{self, AcceleratorMatch};
use crate::catalog::{Catalogs, Df, VmTable};
use crate::error::{Error, ErrorKind, Result};
use crate::spec::Resources;
use crate::yaml::{Map, Value};

/// The catalog table of a catalog-backed cloud.
pub fn table_of<C: Cloud + ?Sized>(cloud: &C, cat: &Catalogs) -> Result<Arc<VmTable>> {
    match cloud.catalog() {
        Some(spec) => cat.vms(spec.dir),
        None => Err(Error::new(
            ErrorKind::NotImplemented,
            format!("{} has no catalog", cloud.repr()),
        )),
    }
}

/// The rows a catalog cloud works on (all, or Shadeform's GPU rows).
pub fn view<'a, C: Cloud + ?Sized>(cloud: &C, t: &'a VmTable) -> Df<'a> {
    let df = Df::all(t);
    if cloud.catalog().is_some_and(|s| s.gpu_rows_only) {
        df.filter(|_, r| {
            r.instance_type != crate::catalog::table::NONE
                && r.acc_name != crate::catalog::table::NONE
        })
    } else {
        df
    }
}

/// Which lookup errors a cloud's catalog swallows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lenient {
    /// None: errors propagate.
    Strict,
    /// Every `ValueError` (Mithril).
    ValueErrors,
    /// `ValueError`s saying "not found"/"not supported" (Shadeform).
    NotFound,
}

/// Applies the cloud's [`Lenient`] rule: a swallowed error is `default`.
pub fn lenient<C: Cloud + ?Sized, T>(cloud: &C, r: Result<T>, default: T) -> Result<T> {
    let rule = cloud.catalog().map_or(Lenient::Strict, |s| s.lenient);
    lenient_as(rule, r, default)
}

/// Applies `rule` if it is the cloud's rule (for lookups only one of the
/// lenient clouds wraps).
pub fn lenient_if<C: Cloud + ?Sized, T>(
    cloud: &C,
    rule: Lenient,
    r: Result<T>,
    default: T,
) -> Result<T> {
    if cloud.catalog().is_some_and(|s| s.lenient == rule) {
        lenient_as(rule, r, default)
    } else {
        r
    }
}

fn lenient_as<T>(rule: Lenient, r: Result<T>, default: T) -> Result<T> {
    match r {
        Err(e) if e.kind == ErrorKind::Value => {
            let msg = e.message.to_lowercase();
            let swallow = match rule {
                Lenient::Strict => false,
                Lenient::ValueErrors => true,
                Lenient::NotFound => msg.contains("not found") || msg.contains("not supported"),
            };
            if swallow { Ok(default) } else { Err(e) }
        }
        other => other,
    }
}

/// The regions of `instance_type` within `region` (what the zone loops
/// iterate).
pub fn regions_in<C: Cloud + ?Sized>(
    cloud: &C,
    cat: &Catalogs,
    region: &str,
    instance_type: &str,
    accelerators: Option<&Accelerators>,
    use_spot: bool,
) -> Result<Vec<Region>> {
    cloud.regions_with_offering(
        cat,
        &Offering {
            instance_type,
            accelerators,
            use_spot,
            region: Some(region),
            zone: None,
        },
    )
}

/// The catalog clouds' `regions_with_offering`: the catalog's regions of
/// the instance type (US or priority regions first), narrowed to the pins.
pub fn regions_with_offering<C: Cloud + ?Sized>(
    cloud: &C,
    cat: &Catalogs,
    o: &Offering,
) -> Result<Vec<Region>> {
    let spec = cloud.catalog().copied().unwrap_or(super::CatalogSpec::BASE);
    if spec.no_zones && o.zone.is_some() {
        return Err(Error::assertion(format!(
            "{} does not support zones.",
            cloud.repr()
        )));
    }
    if spec.no_spot_regions && o.use_spot {
        return Ok(Vec::new());
    }
    let t = table_of(cloud, cat)?;
    let mut regions = region_zones_for_instance_type(
        &view(cloud, &t),
        o.instance_type,
        o.use_spot,
        spec.us_first,
    );
    if !spec.priority_regions.is_empty() {
        let (first, rest): (Vec<Region>, Vec<Region>) = regions
            .into_iter()
            .partition(|r| spec.priority_regions.contains(&r.name.as_str()));
        regions = first.into_iter().chain(rest).collect();
    }
    filter_regions(regions, o)
}

/// The catalog module's `validate_region_zone` (zone guard, then the
/// shared check).
pub fn validate_region_zone<C: Cloud + ?Sized>(
    cloud: &C,
    cat: &Catalogs,
    region: Option<&str>,
    zone: Option<&str>,
) -> Result<(Option<String>, Option<String>)> {
    let spec = cloud.catalog();
    no_zones(zone, spec.and_then(|s| s.cloud_zone_error))?;
    no_zones(zone, spec.and_then(|s| s.zone_error))?;
    let t = table_of(cloud, cat)?;
    let name = spec.map_or(cloud.name(), |s| s.validate_name);
    query::validate_region_zone(name, &view(cloud, &t), region, zone)
}

/// The catalog module's `get_hourly_cost`: zone guard, then the cheapest
/// price of the instance type in the region/zone.
pub fn hourly_cost<C: Cloud + ?Sized>(
    cloud: &C,
    cat: &Catalogs,
    instance_type: &str,
    use_spot: bool,
    region: Option<&str>,
    zone: Option<&str>,
) -> Result<f64> {
    let spec = cloud.catalog();
    if let Some((kind, msg)) = spec.and_then(|s| s.spot_error).filter(|_| use_spot) {
        return Err(Error::new(kind, msg));
    }
    no_zones(zone, spec.and_then(|s| s.zone_error))?;
    let t = table_of(cloud, cat)?;
    let found = query::hourly_cost(&view(cloud, &t), instance_type, use_spot, region, zone);
    // Only Mithril's catalog prices an unknown instance type at 0.
    lenient_if(cloud, Lenient::ValueErrors, found, 0.0)
}

/// `ValueError(msg)` when a zone is given to a cloud without zones.
pub fn no_zones(zone: Option<&str>, msg: Option<&str>) -> Result<()> {
    match (zone, msg) {
        (Some(_), Some(msg)) => Err(Error::value(msg)),
        _ => Ok(()),
    }
}

/// Defaults when neither cpus nor memory is given: `N+` vCPUs and `Rx`
/// memory (`None` = the cloud passes the request through unchanged).
#[derive(Debug, Clone, Copy)]
pub struct Defaults {
    /// vCPUs (`N+`) when nothing is asked.
    pub cpus: u32,
    /// GiB per vCPU when memory is not asked.
    pub memory_ratio: u32,
}

/// `get_default_instance_type` over a (possibly family-filtered) view.
pub fn default_instance_type(
    df: Df,
    q: &InstanceQuery,
    defaults: Option<Defaults>,
) -> Result<Option<String>> {
    let (cpus, memory) = match defaults {
        Some(d) => {
            let cpus = match (q.cpus, q.memory) {
                (None, None) => Some(format!("{}+", d.cpus)),
                (c, _) => c.map(str::to_string),
            };
            let memory = q
                .memory
                .map(str::to_string)
                .unwrap_or_else(|| format!("{}x", d.memory_ratio));
            (cpus, Some(memory))
        }
        None => (q.cpus.map(str::to_string), q.memory.map(str::to_string)),
    };
    query::instance_type_for_cpus_mem(
        df,
        cpus.as_deref(),
        memory.as_deref(),
        q.region,
        q.zone,
        q.use_spot,
        q.max_hourly_cost,
    )
}

/// The catalog module's `get_instance_type_for_accelerator`: its zone
/// guard, then the shared query on the whole table.
pub fn accelerator_lookup<C: Cloud + ?Sized>(
    cloud: &C,
    cat: &Catalogs,
    acc: &str,
    count: f64,
    q: &InstanceQuery,
) -> Result<AcceleratorMatch> {
    no_zones(q.zone, cloud.catalog().and_then(|s| s.zone_error))?;
    let t = table_of(cloud, cat)?;
    instance_types_for_accelerator(&view(cloud, &t), acc, count, q)
}

/// `get_instance_type_for_accelerator_impl` on a view.
pub fn instance_types_for_accelerator(
    df: &Df,
    acc: &str,
    count: f64,
    q: &InstanceQuery,
) -> Result<AcceleratorMatch> {
    query::instance_types_for_accelerator(
        df,
        acc,
        count,
        q.cpus,
        q.memory,
        q.use_spot,
        q.region,
        q.zone,
        q.max_hourly_cost,
    )
}

/// `get_region_zones_for_instance_type` (optionally US regions first).
pub fn region_zones_for_instance_type(
    df: &Df,
    instance_type: &str,
    use_spot: bool,
    us_first: bool,
) -> Vec<Region> {
    let df = df.clone().instance_type(instance_type, None, None);
    let regions = query::region_zones(&df, use_spot);
    if us_first {
        query::us_regions_first(regions)
    } else {
        regions
    }
}

/// The common `regions_with_offering` body: keep the pinned region (and
/// zone, for clouds with zones).
pub fn filter_regions(mut regions: Vec<Region>, o: &Offering) -> Result<Vec<Region>> {
    if let Some(region) = o.region {
        regions.retain(|r| r.name == region);
    }
    if let Some(zone) = o.zone {
        for r in &mut regions {
            let Some(zones) = r.zones.as_mut() else {
                return Err(Error::assertion(format!("Region(name='{}')", r.name)));
            };
            zones.retain(|z| z == zone);
        }
        regions.retain(|r| r.zones.as_ref().is_some_and(|z| !z.is_empty()));
    }
    Ok(regions)
}

/// `list_accelerators_impl(label, df, ...)` over a view.
pub fn list(df: &Df, label: &str, f: &ListFilter) -> Result<AcceleratorListing> {
    let rows = df.rows.iter().map(|r| ListRow::of(df, r)).collect();
    list_accelerators_impl(label, rows, f)
}

/// The first (only) accelerator of a request as (name, count).
pub fn first_accelerator(accs: &Map) -> Option<(String, f64)> {
    let (k, v) = accs.iter().next()?;
    let count = match v {
        Value::Int(i) => *i as f64,
        Value::Float(f) => *f,
        Value::Bool(b) => f64::from(u8::from(*b)),
        _ => return None,
    };
    Some((k.py_str(), count))
}

/// `resources.copy(cloud=..., instance_type=..., accelerators=None,
/// cpus=None[, memory=None])` for each instance type.
pub fn make<C: Cloud + ?Sized>(
    cloud: &C,
    r: &Resources,
    instance_types: Vec<String>,
    clear_memory: bool,
) -> Vec<Resources> {
    instance_types
        .into_iter()
        .map(|it| {
            let mut c = r.clone();
            c.cloud = crate::spec::infra::Cloud::from_str(cloud.name()).ok();
            c.instance_type = Some(it);
            c.accelerators = None;
            c.cpus = None;
            if clear_memory {
                c.memory = None;
            }
            c
        })
        .collect()
}

/// How a catalog cloud's `_get_feasible_launchable_resources` is shaped.
#[derive(Debug, Clone, Copy, Default)]
pub struct Template {
    /// Spot requests are infeasible outright (Cudo).
    pub no_spot: bool,
    /// The launchable forgets the memory request too.
    pub clear_memory: bool,
    /// The accelerator lookup also filters by memory.
    pub memory_for_accelerators: bool,
    /// The default-instance lookup ignores region and zone.
    pub default_ignores_location: bool,
}

impl Template {
    /// The most common shape (RunPod's): nothing special.
    pub const BASE: Template = Template {
        no_spot: false,
        clear_memory: false,
        memory_for_accelerators: false,
        default_ignores_location: false,
    };
}

/// The usual feasibility: a pinned instance type as is (without the
/// accelerators), else the default instance or the instance types carrying
/// the accelerator, cheapest first.
pub fn feasible_from_template<C: Cloud + ?Sized>(
    cloud: &C,
    cat: &Catalogs,
    r: &Resources,
    t: Template,
) -> Result<FeasibleResources> {
    if t.no_spot && r.use_spot {
        return Ok(FeasibleResources::default());
    }
    if r.instance_type.is_some() {
        let mut c = r.clone();
        c.accelerators = None;
        return Ok(FeasibleResources {
            resources: vec![c],
            ..FeasibleResources::default()
        });
    }
    let mut q = InstanceQuery::of(r);
    let Some(accs) = &r.accelerators else {
        if t.default_ignores_location {
            q.region = None;
            q.zone = None;
        }
        let it = cloud.get_default_instance_type(cat, &q)?;
        return Ok(FeasibleResources {
            resources: make(cloud, r, it.into_iter().collect(), t.clear_memory),
            ..FeasibleResources::default()
        });
    };
    let Some((acc, count)) = first_accelerator(accs) else {
        return Ok(FeasibleResources::default());
    };
    if !t.memory_for_accelerators {
        q.memory = None;
    }
    let (list, fuzzy) = cloud.instance_types_for_accelerator(cat, &acc, count, &q)?;
    Ok(match list {
        None => FeasibleResources {
            fuzzy_candidates: fuzzy,
            ..FeasibleResources::default()
        },
        Some(list) => FeasibleResources {
            resources: make(cloud, r, list, t.clear_memory),
            fuzzy_candidates: fuzzy,
            hint: None,
        },
    })
}

/// The base `_check_instance_type_accelerators_combination`: the requested
/// accelerators must be the instance type's (names case-insensitively).
pub fn check_same_accelerators<C: Cloud + ?Sized>(
    cloud: &C,
    cat: &Catalogs,
    r: &Resources,
) -> Result<()> {
    let Some(it) = r.instance_type.as_deref() else {
        return Ok(());
    };
    // `resources.accelerators` infers from the instance type when unset,
    // so only an explicit request can disagree.
    if r.accelerators.is_none() {
        return Ok(());
    }
    let from_type = cloud.get_accelerators_from_instance_type(cat, it)?;
    let equal = match (&r.accelerators, &from_type) {
        (None, _) => true,
        (Some(_), None) => false,
        (Some(req), Some(have)) => req.iter().all(|(name, count)| {
            let name = name.py_str().to_lowercase();
            let Some((_, have_count)) =
                have.iter().find(|(k, _)| k.py_str().to_lowercase() == name)
            else {
                return false;
            };
            let (a, b) = (number(count), number(have_count));
            // math.isclose with its default rel_tol=1e-09.
            (a - b).abs() <= 1e-9 * a.abs().max(b.abs())
        }),
    };
    if equal {
        return Ok(());
    }
    let show = |m: &Option<Accelerators>| {
        m.as_ref()
            .map_or("None".to_string(), |m| Value::Map(m.clone()).py_repr())
    };
    Err(Error::new(
        ErrorKind::ResourcesMismatch,
        format!(
            "Infeasible resource demands found:\n  Instance type requested: {it}\n  Accelerators for {it}: {}\n  Accelerators requested: {}\nTo fix: either only specify instance_type, or change the accelerators field to be consistent.",
            show(&from_type),
            show(&r.accelerators)
        ),
    ))
}

/// A count as Python compares it (`int` or `float`).
pub fn number(v: &Value) -> f64 {
    match v {
        Value::Int(i) => *i as f64,
        Value::Float(f) => *f,
        Value::Bool(b) => f64::from(u8::from(*b)),
        _ => f64::NAN,
    }
}

/// `FeasibleResources` with nothing but a hint.
pub fn hint(msg: impl Into<String>) -> FeasibleResources {
    FeasibleResources {
        hint: Some(msg.into()),
        ..FeasibleResources::default()
    }
}

/// The reasons table of a cloud, as owned pairs.
pub fn features(table: &[(super::Feature, &str)]) -> Vec<(super::Feature, String)> {
    table.iter().map(|(f, s)| (*f, s.to_string())).collect()
}
