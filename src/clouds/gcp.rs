//! GCP (`sky/clouds/gcp.py` + `gcp_catalog.py`): N2/N4 default VMs, GPUs
//! attached to N1 hosts or bundled in A2/A3/G2/A4/G4 machines, TPU VMs,
//! accelerators priced on top of the host, per-zone launchables.

use super::common::{self, Defaults};
use super::{
    Accelerators, CatalogSpec, Cloud, FeasibleResources, Feature, InstanceQuery, Offering, Region,
};
use crate::catalog::gcp as cat_gcp;
use crate::catalog::gcp_list;
use crate::catalog::list::{AcceleratorListing, ListFilter};
use crate::catalog::{Catalogs, Df, query};
use crate::error::{Error, Result};
use crate::spec::Resources;

/// Google Cloud Platform.
#[derive(Debug, Clone, Copy)]
pub struct Gcp;

static SPEC: CatalogSpec = CatalogSpec {
    dir: "gcp",
    list_name: "GCP",
    validate_name: "gcp",
    defaults: Some(Defaults {
        cpus: cat_gcp::DEFAULT_NUM_VCPUS,
        memory_ratio: cat_gcp::DEFAULT_MEMORY_CPU_RATIO,
    }),
    ..CatalogSpec::BASE
};

/// The host "instance type" of a TPU VM.
const TPU_VM: &str = "TPU-VM";

/// GKE TPU names (`tpu-v5-lite-podslice`) run on Kubernetes, not TPU VMs.
fn is_tpu_on_gke(acc: &str) -> bool {
    acc.starts_with("tpu-") && acc.contains("podslice") || acc.contains("-device")
}

/// (is TPU, is TPU VM, is TPU VM pod) of a request, as `gcp_utils` sees
/// it (GCP infers accelerators from machine types without the catalog).
fn tpu_kind(r: &Resources) -> (bool, bool, bool) {
    let inferred = match (&r.accelerators, &r.instance_type) {
        (Some(a), _) => Some(a.clone()),
        (None, Some(it)) => cat_gcp::accelerators_from_instance_type(it),
        (None, None) => None,
    };
    let Some((acc, _)) = inferred.as_ref().and_then(common::first_accelerator) else {
        return (false, false, false);
    };
    let is_tpu = acc.starts_with("tpu");
    let tpu_vm = is_tpu
        && !is_tpu_on_gke(&acc)
        && r.accelerator_args
            .as_ref()
            .and_then(|a| a.get("tpu_vm"))
            .is_none_or(crate::yaml::Value::truthy);
    let pod = tpu_vm && !acc.ends_with("-8");
    (is_tpu, tpu_vm, pod)
}

impl Cloud for Gcp {
    fn name(&self) -> &'static str {
        "gcp"
    }
    fn repr(&self) -> &'static str {
        "GCP"
    }
    fn catalog(&self) -> Option<&'static CatalogSpec> {
        Some(&SPEC)
    }
    fn supported_disk_tiers(&self) -> &'static [&'static str] {
        &["low", "medium", "high", "ultra", "best"]
    }
    fn unsupported_features(&self, r: &Resources) -> Vec<(Feature, String)> {
        let mut f = Vec::new();
        let (is_tpu, tpu_vm, pod) = tpu_kind(r);
        if pod {
            f.push((
                Feature::Stop,
                "TPU VM pods cannot be stopped. Please refer to: https://cloud.google.com/tpu/docs/managing-tpus-tpu-vm#stopping_your_resources".to_string(),
            ));
        }
        if is_tpu && !tpu_vm {
            f.push((
                Feature::MultiNode,
                "TPU node does not support multi-node. Please set num_nodes to 1.".into(),
            ));
        }
        f.push((
            Feature::HighAvailabilityControllers,
            "High availability controllers are not supported on GCP.".into(),
        ));
        f.push((
            Feature::LocalDisk,
            "Local disk is not supported on GCP".into(),
        ));
        f
    }
    fn instance_type_exists(&self, cat: &Catalogs, instance_type: &str) -> Result<bool> {
        if instance_type == TPU_VM {
            return Ok(true);
        }
        let t = cat.vms(SPEC.dir)?;
        Ok(query::instance_type_exists(&Df::all(&t), instance_type))
    }
    fn regions_with_offering(&self, cat: &Catalogs, o: &Offering) -> Result<Vec<Region>> {
        let t = cat.vms(SPEC.dir)?;
        let vm_regions = || {
            common::region_zones_for_instance_type(&Df::all(&t), o.instance_type, o.use_spot, false)
        };
        let regions = match o.accelerators.and_then(common::first_accelerator) {
            None => vm_regions(),
            Some((acc, count)) => {
                let acc_regions =
                    cat_gcp::region_zones_for_accelerator(&t, &acc, count, o.use_spot)?;
                if o.instance_type == TPU_VM {
                    acc_regions
                } else {
                    intersect(acc_regions, vm_regions())
                }
            }
        };
        common::filter_regions(regions, o)
    }
    fn optimize_by_zone(&self) -> bool {
        true
    }
    fn zones_provision_loop(
        &self,
        cat: &Catalogs,
        region: &str,
        _num_nodes: u32,
        instance_type: &str,
        accelerators: Option<&Accelerators>,
        use_spot: bool,
    ) -> Result<Vec<Option<Vec<String>>>> {
        let regions = self.regions_with_offering(
            cat,
            &Offering {
                instance_type,
                accelerators,
                use_spot,
                region: Some(region),
                zone: None,
            },
        )?;
        // The GCP provisioner takes one zone per request.
        Ok(regions
            .into_iter()
            .flat_map(|r| r.zones.unwrap_or_default())
            .map(|z| Some(vec![z]))
            .collect())
    }
    fn instance_type_to_hourly_cost(
        &self,
        cat: &Catalogs,
        instance_type: &str,
        use_spot: bool,
        region: Option<&str>,
        zone: Option<&str>,
    ) -> Result<f64> {
        if instance_type == TPU_VM {
            // The TPU VM host costs nothing extra; the TPU is billed as an
            // accelerator.
            return Ok(0.0);
        }
        common::hourly_cost(self, cat, instance_type, use_spot, region, zone)
    }
    fn accelerators_to_hourly_cost(
        &self,
        cat: &Catalogs,
        accelerators: &Accelerators,
        use_spot: bool,
        region: Option<&str>,
        zone: Option<&str>,
    ) -> Result<f64> {
        let Some((acc, count)) = common::first_accelerator(accelerators) else {
            return Err(Error::assertion(
                crate::yaml::Value::Map(accelerators.clone()).py_repr(),
            ));
        };
        let t = cat.vms(SPEC.dir)?;
        cat_gcp::accelerator_hourly_cost(&t, &acc, count, use_spot, region, zone)
    }
    fn get_egress_cost(&self, num_gigabytes: f64) -> f64 {
        // Egress to worldwide (excluding China and Australia).
        if num_gigabytes <= 1024.0 {
            0.12 * num_gigabytes
        } else if num_gigabytes <= 1024.0 * 10.0 {
            0.11 * num_gigabytes
        } else {
            0.08 * num_gigabytes
        }
    }
    fn get_default_instance_type(
        &self,
        cat: &Catalogs,
        q: &InstanceQuery,
    ) -> Result<Option<String>> {
        let t = cat.vms(SPEC.dir)?;
        cat_gcp::default_instance_type(
            &t,
            q.cpus,
            q.memory,
            q.region,
            q.zone,
            q.use_spot,
            q.max_hourly_cost,
        )
    }
    fn get_accelerators_from_instance_type(
        &self,
        _cat: &Catalogs,
        instance_type: &str,
    ) -> Result<Option<Accelerators>> {
        Ok(cat_gcp::accelerators_from_instance_type(instance_type))
    }
    fn get_vcpus_mem_from_instance_type(
        &self,
        cat: &Catalogs,
        instance_type: &str,
    ) -> Result<(Option<f64>, Option<f64>)> {
        if instance_type == TPU_VM {
            return Ok((None, None));
        }
        let t = cat.vms(SPEC.dir)?;
        query::vcpus_mem(&Df::all(&t), instance_type)
    }
    fn instance_types_for_accelerator(
        &self,
        cat: &Catalogs,
        acc: &str,
        count: f64,
        q: &InstanceQuery,
    ) -> Result<crate::catalog::query::AcceleratorMatch> {
        let t = cat.vms(SPEC.dir)?;
        cat_gcp::instance_type_for_accelerator(
            &t,
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
    fn feasible_resources(&self, cat: &Catalogs, r: &Resources) -> Result<FeasibleResources> {
        // GCP supports every disk tier, so the tier never filters here.
        if r.instance_type.is_some() {
            return Ok(FeasibleResources {
                resources: vec![r.clone()],
                ..FeasibleResources::default()
            });
        }
        let q = InstanceQuery::of(r);
        let Some(accs) = &r.accelerators else {
            let it = self.get_default_instance_type(cat, &q)?;
            return Ok(FeasibleResources {
                resources: common::make(self, r, it.into_iter().collect(), true),
                ..FeasibleResources::default()
            });
        };
        let Some((acc, count)) = common::first_accelerator(accs) else {
            return Ok(FeasibleResources::default());
        };
        let (_, tpu_vm, _) = tpu_kind(r);
        let lookup = InstanceQuery {
            cpus: if tpu_vm { None } else { q.cpus },
            memory: if tpu_vm { None } else { q.memory },
            ..q
        };
        let (list, fuzzy) = self.instance_types_for_accelerator(cat, &acc, count, &lookup)?;
        let Some(list) = list else {
            return Ok(FeasibleResources {
                fuzzy_candidates: fuzzy,
                ..FeasibleResources::default()
            });
        };
        let host = if tpu_vm {
            if !tpu_vm_fits(&acc, r) {
                return Ok(FeasibleResources {
                    fuzzy_candidates: fuzzy,
                    ..FeasibleResources::default()
                });
            }
            TPU_VM.to_string()
        } else {
            match list.into_iter().next() {
                Some(h) => h,
                None => {
                    return Err(Error::assertion("More than one instance type matched, []"));
                }
            }
        };
        let mut c = r.clone();
        c.cloud = crate::spec::infra::Cloud::from_str("gcp").ok();
        c.instance_type = Some(host);
        // `{acc: acc_count}` with the count exactly as requested.
        c.accelerators = accs
            .iter()
            .next()
            .map(|(k, v)| crate::yaml::Map(vec![(k.clone(), v.clone())]));
        c.cpus = None;
        c.memory = None;
        Ok(FeasibleResources {
            resources: vec![c],
            fuzzy_candidates: fuzzy,
            hint: None,
        })
    }
    fn is_image_tag_valid(&self, cat: &Catalogs, tag: &str, _region: Option<&str>) -> Result<bool> {
        // GCP images are global: the region is not consulted.
        let images = cat.file("gcp/images.csv")?;
        Ok(crate::catalog::images::image_id_from_tag(&images, tag, None)?.is_some())
    }
    fn check_instance_type_accelerators_combination(
        &self,
        cat: &Catalogs,
        r: &Resources,
    ) -> Result<()> {
        let Some(it) = r.instance_type.as_deref() else {
            return Ok(());
        };
        let t = cat.vms(SPEC.dir)?;
        let acc = r.accelerators.as_ref().and_then(common::first_accelerator);
        gcp_list::check_attachable(
            &t,
            it,
            acc.as_ref().map(|(a, c)| (a.as_str(), *c)),
            r.zone.as_deref(),
        )
    }
    fn list_accelerators(
        &self,
        cat: &Catalogs,
        filter: &ListFilter,
        require_price: bool,
    ) -> Result<AcceleratorListing> {
        let t = cat.vms(SPEC.dir)?;
        gcp_list::list_accelerators(&t, filter, require_price)
    }
}

/// The regions (and zones) both offering the accelerator and the host VM,
/// in the accelerator's order.
fn intersect(acc_regions: Vec<Region>, vm_regions: Vec<Region>) -> Vec<Region> {
    let mut out = Vec::new();
    for r1 in acc_regions {
        let Some(r2) = vm_regions.iter().find(|r2| r2.name == r1.name) else {
            continue;
        };
        let vm_zones = r2.zones.clone().unwrap_or_default();
        let zones: Vec<String> = r1
            .zones
            .unwrap_or_default()
            .into_iter()
            .filter(|z| vm_zones.contains(z))
            .collect();
        if !zones.is_empty() {
            out.push(Region {
                name: r1.name,
                zones: Some(zones),
            });
        }
    }
    out
}

/// TPU VMs have 96 vCPUs / 334 GB (240 / 400 for v4): the request must fit.
fn tpu_vm_fits(acc: &str, r: &Resources) -> bool {
    let v4 = acc.contains("v4");
    let (cpus, mem) = if v4 { (240.0, 400.0) } else { (96.0, 334.0) };
    let fits = |req: &Option<String>, have: f64| match req {
        None => true,
        Some(s) => match s.strip_suffix('+') {
            Some(n) => crate::yaml::py_parse_float(n).is_some_and(|n| n <= have),
            None => crate::yaml::py_parse_float(s).is_some_and(|n| n == have),
        },
    };
    fits(&r.cpus, cpus) && fits(&r.memory, mem)
}
