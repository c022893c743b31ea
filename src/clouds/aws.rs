//! AWS (`sky/clouds/aws.py` + `aws_catalog.py`): default instances from
//! the m/r/c 6i/7i families, accelerators billed inside the instance type,
//! US regions tried first, tiered egress.

use super::common::{self, Defaults, Template};
use super::{
    Accelerators, CatalogSpec, Cloud, FeasibleResources, Feature, InstanceQuery, Offering,
};
use crate::catalog::query::AcceleratorMatch;
use crate::catalog::{Catalogs, Df, query};
use crate::error::Result;
use crate::spec::Resources;

/// Amazon Web Services.
#[derive(Debug, Clone, Copy)]
pub struct Aws;

/// Families the default instance is chosen from (`d` = local NVMe).
const DEFAULT_INSTANCE_FAMILY: &[&str] = &[
    "m6i", "m6id", "m7i", "r6i", "r6id", "r7i", "c6i", "c6id", "c7i",
];
static SPEC: CatalogSpec = CatalogSpec {
    dir: "aws",
    list_name: "AWS",
    validate_name: "aws",
    defaults: Some(Defaults {
        cpus: 8,
        memory_ratio: 4,
    }),
    us_first: true,
    template: Template {
        clear_memory: true,
        memory_for_accelerators: true,
        ..Template::BASE
    },
    ..CatalogSpec::BASE
};

impl Cloud for Aws {
    fn name(&self) -> &'static str {
        "aws"
    }
    fn repr(&self) -> &'static str {
        "AWS"
    }
    fn catalog(&self) -> Option<&'static CatalogSpec> {
        Some(&SPEC)
    }
    fn supported_disk_tiers(&self) -> &'static [&'static str] {
        &["low", "medium", "high", "ultra", "best"]
    }
    fn unsupported_features(&self, r: &Resources) -> Vec<(Feature, String)> {
        let mut f = Vec::new();
        if r.use_spot {
            f.push((
                Feature::Stop,
                "Stopping spot instances is currently not supported on AWS.".to_string(),
            ));
        }
        f.push((
            Feature::HighAvailabilityControllers,
            "High availability controllers are not supported on AWS.".into(),
        ));
        f.push((
            Feature::CustomMultiNetwork,
            "Customized multiple network interfaces are not supported on AWS.".into(),
        ));
        f
    }
    fn zones_provision_loop(
        &self,
        cat: &Catalogs,
        region: &str,
        num_nodes: u32,
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
        // The AWS provisioner takes a region's zones in one batch, except
        // for multi-node clusters (all nodes must share one zone).
        let mut out = Vec::new();
        for r in regions {
            let zones = r.zones.unwrap_or_default();
            if num_nodes > 1 {
                out.extend(zones.into_iter().map(|z| Some(vec![z])));
            } else {
                out.push(Some(zones));
            }
        }
        Ok(out)
    }
    fn get_egress_cost(&self, num_gigabytes: f64) -> f64 {
        // Tiered per-GB price out of US East (Ohio).
        let mut gb = num_gigabytes;
        if gb > 150.0 * 1024.0 {
            return 0.05 * gb;
        }
        let mut cost = 0.0;
        if gb >= 50.0 * 1024.0 {
            cost += (gb - 50.0 * 1024.0) * 0.07;
            gb -= 50.0 * 1024.0;
        }
        if gb >= 10.0 * 1024.0 {
            cost += (gb - 10.0 * 1024.0) * 0.085;
            gb -= 10.0 * 1024.0;
        }
        if gb > 1.0 {
            cost += (gb - 1.0) * 0.09;
        }
        cost
    }
    fn get_default_instance_type(
        &self,
        cat: &Catalogs,
        q: &InstanceQuery,
    ) -> Result<Option<String>> {
        let t = cat.vms("aws")?;
        let prefixes: Vec<String> = DEFAULT_INSTANCE_FAMILY
            .iter()
            .map(|f| format!("{f}."))
            .collect();
        let df = Df::all(&t).filter(|t, r| {
            t.str(r.instance_type)
                .is_some_and(|it| prefixes.iter().any(|p| it.starts_with(p.as_str())))
        });
        let df = query::filter_local_disk(df, q.local_disk)?;
        common::default_instance_type(df, q, SPEC.defaults)
    }
    fn feasible_resources(&self, cat: &Catalogs, r: &Resources) -> Result<FeasibleResources> {
        if let Some(it) = r.instance_type.as_deref() {
            let accs = super::accelerators(cat, r)?;
            let regions = self.regions_with_offering(
                cat,
                &Offering {
                    instance_type: it,
                    accelerators: accs.as_ref(),
                    use_spot: r.use_spot,
                    region: r.region.as_deref(),
                    zone: r.zone.as_deref(),
                },
            )?;
            if regions.is_empty() {
                return Ok(FeasibleResources::default());
            }
        }
        common::feasible_from_template(self, cat, r, SPEC.template)
    }
    fn is_image_tag_valid(&self, cat: &Catalogs, tag: &str, region: Option<&str>) -> Result<bool> {
        let images = cat.file("aws/images.csv")?;
        Ok(crate::catalog::images::is_image_tag_valid(
            &images, tag, region,
        ))
    }
    fn instance_types_for_accelerator(
        &self,
        cat: &Catalogs,
        acc: &str,
        count: f64,
        q: &InstanceQuery,
    ) -> Result<AcceleratorMatch> {
        let t = cat.vms(SPEC.dir)?;
        let df = query::filter_local_disk(Df::all(&t), q.local_disk)?;
        common::instance_types_for_accelerator(&df, acc, count, q)
    }
}
