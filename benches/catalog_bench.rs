//! Catalog load and query timings over the shared test catalogs
//! (`cargo bench --bench catalog_bench`; figures go to docs/benchmarks.md).
//! Under `cargo test` it runs once as a smoke test.

#[path = "../tests/catalog_support/mod.rs"]
mod catalog_support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use stix::catalog::fetch::Offline;
use stix::catalog::index::index_path;
use stix::catalog::{Catalogs, ListFilter};
use stix::clouds::{self, REGISTRY};
use stix::spec::Resources;
use stix::yaml::Map;

const CLOUDS: &[&str] = &[
    "aws",
    "gcp",
    "lambda",
    "runpod",
    "vast",
    "cudo",
    "primeintellect",
    "nebius",
    "hyperbolic",
    "seeweb",
    "shadeform",
    "mithril",
];

fn load_all(cat: &Catalogs) {
    for c in CLOUDS {
        cat.vms(c).expect("catalog loads");
    }
    cat.accelerator_registry().expect("registry loads");
}

/// The best of `runs` timings of `f`.
fn best(runs: usize, mut f: impl FnMut()) -> Duration {
    (0..runs)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .min()
        .unwrap_or_default()
}

fn a100x8() -> Resources {
    let mut args = Map::new();
    args.insert("accelerators", "A100:8");
    Resources::new(&args).expect("valid request")
}

/// What a planner does per request: every cloud's candidates, and the
/// cheapest one expanded to priced launchables.
fn plan(cat: &Catalogs, r: &Resources) -> usize {
    let mut n = 0;
    for cloud in REGISTRY.iter().filter(|c| c.catalog().is_some()) {
        let mut req = r.clone();
        req.cloud = stix::spec::infra::Cloud::from_str(cloud.name()).ok();
        if clouds::validate::validate(cat, &mut req, &[*cloud]).is_err() {
            continue;
        }
        let Ok(fr) = clouds::feasible_launchable_resources(cat, *cloud, &req, 1) else {
            continue;
        };
        if let Some(first) = fr.resources.first() {
            for l in clouds::make_launchables_for_valid_region_zones(cat, first, false)
                .unwrap_or_default()
            {
                if clouds::get_cost(cat, &l, 3600.0).is_ok() {
                    n += 1;
                }
            }
        }
    }
    n
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let runs = if full { 5 } else { 1 };
    let Some(home) = catalog_support::catalog_home("bench") else {
        return;
    };
    let root = home.join(".sky/catalogs/v8");
    let fresh = || Catalogs::new(root.clone(), Arc::new(Offline));
    let drop_indexes = || {
        for c in CLOUDS {
            let _ = std::fs::remove_file(index_path(&root.join(c).join("vms.csv")));
        }
    };

    let csv = best(runs, || {
        drop_indexes();
        load_all(&fresh());
    });
    // The last run left the indexes behind; later loads read them.
    let indexed = best(runs, || load_all(&fresh()));

    let cat = fresh();
    load_all(&cat);
    let r = a100x8();
    let mut launchables = 0;
    let query = best(runs * 4, || launchables = plan(&cat, &r));
    let default = best(runs * 4, || {
        let aws = clouds::by_name("aws").expect("aws");
        let q = clouds::InstanceQuery::default();
        aws.get_default_instance_type(&cat, &q).expect("default");
    });
    let list = best(runs, || {
        let f = ListFilter {
            gpus_only: true,
            case_sensitive: true,
            ..ListFilter::default()
        };
        // Prime Intellect's and Shadeform's GpuInfo cells make SkyPilot (and stix)
        // raise a KeyError; list the other clouds.
        for c in CLOUDS
            .iter()
            .filter(|c| !matches!(**c, "primeintellect" | "shadeform"))
        {
            clouds::list::list_accelerators(&cat, &[c.to_string()], &f, true).expect("list");
        }
    });
    let cold_plan = best(runs, || {
        let c = fresh();
        plan(&c, &r);
    });
    println!(
        "catalog load, all {} CSVs parsed : {:>8.2?}",
        CLOUDS.len(),
        csv
    );
    println!("catalog load, from the index     : {:>8.2?}", indexed);
    println!(
        "A100:8 on every cloud (warm)     : {:>8.2?}  ({launchables} launchables)",
        query
    );
    println!("A100:8, fresh process (indexed)  : {:>8.2?}", cold_plan);
    println!("AWS default instance (warm)      : {:>8.2?}", default);
    println!("list_accelerators, 10 clouds     : {:>8.2?}", list);
    let _ = std::fs::remove_dir_all(&home);
}
