//! Clouds, catalog side: the [`Cloud`] trait the optimizer plans with (one
//! file per cloud, one [`REGISTRY`] list) and the request-level operations
//! built on it (feasibility, launchables per region/zone, cost).
//!
//! Every method takes the [`Catalogs`] to read; clouds hold no state.
//!
//! How a planner uses it (SkyPilot's `_fill_in_launchable_resources`):
//!
//! ```no_run
//! # fn plan(enabled: &[&dyn stix::clouds::Cloud], mut r: stix::spec::Resources) -> stix::Result<()> {
//! use stix::catalog::Catalogs;
//! use stix::clouds;
//! let cat = Catalogs::shared();
//! clouds::validate::validate(&cat, &mut r, enabled)?; // may infer r.cloud
//! let candidates: Vec<&dyn clouds::Cloud> = match clouds::launchable::cloud_of(&r) {
//!     Some(c) => vec![c],
//!     None => enabled.to_vec(),
//! };
//! for cloud in candidates {
//!     let found = clouds::feasible_launchable_resources(&cat, cloud, &r, 1)?;
//!     // `found.resources` is cheapest first; SkyPilot expands only the first.
//!     if let Some(cheapest) = found.resources.first() {
//!         for launchable in clouds::make_launchables_for_valid_region_zones(&cat, cheapest, false)? {
//!             let dollars = clouds::get_cost(&cat, &launchable, 3600.0)?;
//!             let shown = clouds::repr_with_region_zone(&cat, &launchable)?;
//!             println!("{shown}: ${dollars:.2}");
//!         }
//!     } // else: found.fuzzy_candidates ("Did you mean") and found.hint.
//! }
//! # Ok(()) }
//! ```

mod common;
pub mod features;
mod kube_like;
pub mod launchable;
pub mod list;
pub mod text;
pub mod validate;
pub mod virtual_type;

mod aws;
mod cudo;
mod gcp;
mod hyperbolic;
mod kubernetes;
mod lambda;
mod local;
mod mithril;
mod nebius;
mod primeintellect;
mod runpod;
mod seeweb;
mod shadeform;
mod ssh;
mod vast;

pub use crate::catalog::query::{Accelerators, Region};
pub use common::first_accelerator;
pub use features::Feature;
pub use launchable::{
    accelerators, feasible_launchable_resources, get_cost, make_launchables_for_valid_region_zones,
    repr, repr_with_region_zone, valid_regions_for_launchable,
};

use crate::catalog::Catalogs;
use crate::catalog::list::{AcceleratorListing, ListFilter};
use crate::error::{ErrorKind, Result};
use crate::spec::Resources;

/// What `_get_feasible_launchable_resources` returns: launchable copies of
/// the request (cheapest first), "did you mean" accelerator candidates,
/// and an optional hint on why nothing fits.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FeasibleResources {
    /// Launchable resources (cloud and instance type set), cheapest first.
    pub resources: Vec<Resources>,
    /// Fuzzy accelerator candidates (`A100-80GB:1`).
    pub fuzzy_candidates: Vec<String>,
    /// Why nothing is feasible, if the cloud says.
    pub hint: Option<String>,
}

/// The instance filters of a request (`get_default_instance_type` args).
#[derive(Debug, Clone, Copy, Default)]
pub struct InstanceQuery<'a> {
    /// `N` or `N+` vCPUs.
    pub cpus: Option<&'a str>,
    /// `N`, `N+` or `Nx` GiB.
    pub memory: Option<&'a str>,
    /// `low` ... `best`.
    pub disk_tier: Option<&'a str>,
    /// `nvme:500+` etc.
    pub local_disk: Option<&'a str>,
    /// Region.
    pub region: Option<&'a str>,
    /// Zone.
    pub zone: Option<&'a str>,
    /// Spot pricing.
    pub use_spot: bool,
    /// Price ceiling per hour.
    pub max_hourly_cost: Option<f64>,
}

impl<'a> InstanceQuery<'a> {
    /// The filters of a request.
    pub fn of(r: &'a Resources) -> InstanceQuery<'a> {
        InstanceQuery {
            cpus: r.cpus.as_deref(),
            memory: r.memory.as_deref(),
            disk_tier: r.disk_tier.as_deref(),
            local_disk: r.local_disk.as_deref(),
            region: r.region.as_deref(),
            zone: r.zone.as_deref(),
            use_spot: r.use_spot,
            max_hourly_cost: launchable::max_hourly_cost(r),
        }
    }
}

/// An offering to place: `regions_with_offering` arguments.
#[derive(Debug, Clone, Copy)]
pub struct Offering<'a> {
    /// The instance type.
    pub instance_type: &'a str,
    /// Accelerators (requested or inferred from the instance type).
    pub accelerators: Option<&'a Accelerators>,
    /// Spot.
    pub use_spot: bool,
    /// Pinned region.
    pub region: Option<&'a str>,
    /// Pinned zone.
    pub zone: Option<&'a str>,
}

/// How a catalog-backed cloud reads `<dir>/vms.csv` (its `*_catalog.py`
/// module and the catalog calls of its `Cloud` class). Clouds start from
/// [`CatalogSpec::BASE`] and change what differs.
#[derive(Debug, Clone, Copy)]
pub struct CatalogSpec {
    /// Catalog directory (`lambda`).
    pub dir: &'static str,
    /// The cloud name `list_accelerators` puts in its rows (`Lambda`).
    pub list_name: &'static str,
    /// The name `validate_region_zone_impl` prints (`lambda`).
    pub validate_name: &'static str,
    /// `ValueError` message when the catalog module is given a zone.
    pub zone_error: Option<&'static str>,
    /// `ValueError` message when the cloud class itself is given a zone
    /// (checked before the catalog's).
    pub cloud_zone_error: Option<&'static str>,
    /// What `get_hourly_cost` raises for spot, if spot has no price.
    pub spot_error: Option<(ErrorKind, &'static str)>,
    /// cpus/memory defaults of `get_default_instance_type`.
    pub defaults: Option<common::Defaults>,
    /// Whether `us-*` regions are tried before the others.
    pub us_first: bool,
    /// Regions tried before all others (Seeweb).
    pub priority_regions: &'static [&'static str],
    /// No zones: `regions_with_offering` asserts none was pinned.
    pub no_zones: bool,
    /// Spot requests find no region.
    pub no_spot_regions: bool,
    /// `zones_provision_loop` yields one `None` whatever the region.
    pub single_unzoned_batch: bool,
    /// Only rows with an instance type and an accelerator count (Shadeform
    /// drops the rest when it loads its catalog).
    pub gpu_rows_only: bool,
    /// Which lookup errors become "no answer" instead of failing.
    pub lenient: common::Lenient,
    /// Features the cloud does not implement, with SkyPilot's reasons.
    pub unsupported: &'static [(Feature, &'static str)],
    /// The shape of its `_get_feasible_launchable_resources`.
    pub template: common::Template,
}

impl CatalogSpec {
    /// The shared behaviour; `dir` and names must be set by each cloud.
    pub const BASE: CatalogSpec = CatalogSpec {
        dir: "",
        list_name: "",
        validate_name: "",
        zone_error: None,
        cloud_zone_error: None,
        spot_error: None,
        defaults: None,
        us_first: false,
        priority_regions: &[],
        no_zones: false,
        no_spot_regions: false,
        single_unzoned_batch: false,
        gpu_rows_only: false,
        lenient: common::Lenient::Strict,
        unsupported: &[],
        template: common::Template::BASE,
    };
}

/// One cloud's catalog-facing behaviour (SkyPilot's `sky.clouds.Cloud`
/// methods the optimizer calls), with SkyPilot's results and messages.
/// Catalog-backed clouds describe themselves with [`Cloud::catalog`] and
/// get the shared behaviour; each overrides only its quirks.
pub trait Cloud: Send + Sync + std::fmt::Debug {
    /// Canonical lower-case name (`aws`), as in `infra:` strings.
    fn name(&self) -> &'static str;
    /// `repr(cloud)` (`AWS`, `Lambda`, `RunPod`).
    fn repr(&self) -> &'static str;
    /// The class attribute `_REPR` SkyPilot puts in some messages; it
    /// differs from `repr` where a cloud forgot to set it (Shadeform).
    fn class_repr(&self) -> &'static str {
        self.repr()
    }
    /// The catalog this cloud reads, if any.
    fn catalog(&self) -> Option<&'static CatalogSpec> {
        None
    }
    /// Features `r` asks for that this cloud lacks, with SkyPilot's reasons.
    fn unsupported_features(&self, r: &Resources) -> Vec<(Feature, String)> {
        let _ = r;
        self.catalog()
            .map(|s| common::features(s.unsupported))
            .unwrap_or_default()
    }
    /// `instance_type_exists`.
    fn instance_type_exists(&self, cat: &Catalogs, instance_type: &str) -> Result<bool> {
        let t = common::table_of(self, cat)?;
        Ok(crate::catalog::query::instance_type_exists(
            &common::view(self, &t),
            instance_type,
        ))
    }
    /// `validate_region_zone`: (region as the catalog spells it, zone).
    fn validate_region_zone(
        &self,
        cat: &Catalogs,
        region: Option<&str>,
        zone: Option<&str>,
    ) -> Result<(Option<String>, Option<String>)> {
        common::validate_region_zone(self, cat, region, zone)
    }
    /// Regions (with zones) offering `o`, in provisioning order.
    fn regions_with_offering(&self, cat: &Catalogs, o: &Offering) -> Result<Vec<Region>> {
        common::regions_with_offering(self, cat, o)
    }
    /// Whether launchables are made per zone even on demand.
    fn optimize_by_zone(&self) -> bool {
        false
    }
    /// Disk tiers this cloud accepts (`_SUPPORTED_DISK_TIERS`).
    fn supported_disk_tiers(&self) -> &'static [&'static str] {
        &["best"]
    }
    /// `zones_provision_loop`: the zone batches to try in `region` (`None`
    /// for clouds without zones).
    fn zones_provision_loop(
        &self,
        cat: &Catalogs,
        region: &str,
        num_nodes: u32,
        instance_type: &str,
        accelerators: Option<&Accelerators>,
        use_spot: bool,
    ) -> Result<Vec<Option<Vec<String>>>> {
        let _ = num_nodes;
        if self.catalog().is_some_and(|s| s.single_unzoned_batch) {
            return Ok(vec![None]);
        }
        let regions = common::regions_in(self, cat, region, instance_type, accelerators, use_spot)?;
        Ok(regions.into_iter().map(|r| r.zones).collect())
    }
    /// Hourly price of the instance type (cheapest where unpinned).
    fn instance_type_to_hourly_cost(
        &self,
        cat: &Catalogs,
        instance_type: &str,
        use_spot: bool,
        region: Option<&str>,
        zone: Option<&str>,
    ) -> Result<f64> {
        common::hourly_cost(self, cat, instance_type, use_spot, region, zone)
    }
    /// Hourly price of separately billed accelerators (GCP only).
    fn accelerators_to_hourly_cost(
        &self,
        cat: &Catalogs,
        accelerators: &Accelerators,
        use_spot: bool,
        region: Option<&str>,
        zone: Option<&str>,
    ) -> Result<f64> {
        let _ = (cat, accelerators, use_spot, region, zone);
        Ok(0.0)
    }
    /// Egress price of `num_gigabytes` leaving this cloud.
    fn get_egress_cost(&self, num_gigabytes: f64) -> f64 {
        let _ = num_gigabytes;
        0.0
    }
    /// `get_default_instance_type` for cpus/memory-only requests.
    fn get_default_instance_type(
        &self,
        cat: &Catalogs,
        q: &InstanceQuery,
    ) -> Result<Option<String>> {
        let t = common::table_of(self, cat)?;
        let defaults = self.catalog().and_then(|s| s.defaults);
        common::default_instance_type(common::view(self, &t), q, defaults)
    }
    /// `{accelerator: count}` an instance type carries.
    fn get_accelerators_from_instance_type(
        &self,
        cat: &Catalogs,
        instance_type: &str,
    ) -> Result<Option<Accelerators>> {
        let t = common::table_of(self, cat)?;
        let found = crate::catalog::query::accelerators_of(&common::view(self, &t), instance_type);
        common::lenient(self, found, None)
    }
    /// (vCPUs, memory GiB) of an instance type.
    fn get_vcpus_mem_from_instance_type(
        &self,
        cat: &Catalogs,
        instance_type: &str,
    ) -> Result<(Option<f64>, Option<f64>)> {
        let t = common::table_of(self, cat)?;
        let found = crate::catalog::query::vcpus_mem(&common::view(self, &t), instance_type);
        common::lenient(self, found, (None, None))
    }
    /// `catalog.get_instance_type_for_accelerator(..., clouds=<this>)`:
    /// instance types carrying `count` × `acc` (cheapest first), or `None`
    /// and "did you mean" candidates when the accelerator is not offered.
    fn instance_types_for_accelerator(
        &self,
        cat: &Catalogs,
        acc: &str,
        count: f64,
        q: &InstanceQuery,
    ) -> Result<crate::catalog::query::AcceleratorMatch> {
        common::accelerator_lookup(self, cat, acc, count, q)
    }
    /// `_get_feasible_launchable_resources`: launchable candidates for `r`
    /// (the feature check is done by [`feasible_launchable_resources`]).
    fn feasible_resources(&self, cat: &Catalogs, r: &Resources) -> Result<FeasibleResources> {
        let template = self.catalog().map(|s| s.template).unwrap_or_default();
        common::feasible_from_template(self, cat, r, template)
    }
    /// `_check_instance_type_accelerators_combination` for a launchable
    /// request; GCP checks the GPU can be attached to the host.
    fn check_instance_type_accelerators_combination(
        &self,
        cat: &Catalogs,
        r: &Resources,
    ) -> Result<()> {
        common::check_same_accelerators(self, cat, r)
    }
    /// `is_image_tag_valid(tag, region)`: the tag resolves in this cloud's
    /// `images.csv` (clouds without images accept none).
    fn is_image_tag_valid(&self, cat: &Catalogs, tag: &str, region: Option<&str>) -> Result<bool> {
        let _ = (cat, tag, region);
        Ok(false)
    }
    /// This cloud's rows of `sky.catalog.list_accelerators`.
    fn list_accelerators(
        &self,
        cat: &Catalogs,
        filter: &ListFilter,
        require_price: bool,
    ) -> Result<AcceleratorListing> {
        let _ = require_price;
        match self.catalog() {
            Some(spec) => {
                let t = cat.vms(spec.dir)?;
                common::list(&common::view(self, &t), spec.list_name, filter)
            }
            None => Ok(AcceleratorListing::new()),
        }
    }
}

/// Every cloud stix plans for, in SkyPilot's `ALL_CLOUDS` order (clouds
/// without a public catalog in stix are absent), then stix's `local`.
pub static REGISTRY: &[&dyn Cloud] = &[
    &aws::Aws,
    &gcp::Gcp,
    &lambda::Lambda,
    &kubernetes::Kubernetes,
    &runpod::RunPod,
    &vast::Vast,
    &cudo::Cudo,
    &primeintellect::PrimeIntellect,
    &nebius::Nebius,
    &ssh::Ssh,
    &hyperbolic::Hyperbolic,
    &seeweb::Seeweb,
    &shadeform::Shadeform,
    &mithril::Mithril,
    &local::Local,
];

/// The cloud named `name` (canonical lower-case name or an alias such as
/// `k8s`), if stix plans for it.
pub fn by_name(name: &str) -> Option<&'static dyn Cloud> {
    let canon = crate::spec::infra::Cloud::from_str(name).ok()?;
    REGISTRY.iter().copied().find(|c| c.name() == canon.name())
}

/// The cloud a spec names (`Resources.cloud`).
pub fn of(cloud: crate::spec::infra::Cloud) -> Option<&'static dyn Cloud> {
    REGISTRY.iter().copied().find(|c| c.name() == cloud.name())
}
