//! `sky gpus list` (and the deprecated `sky show-gpus`): SkyPilot's tables
//! of accelerators, their counts, instance types and prices, from the local
//! catalogs (`sky.catalog.list_accelerators`).

use indexmap::IndexMap;

use crate::catalog::list::InstanceTypeInfo;
use crate::catalog::{Catalogs, ListFilter};
use crate::cli::CliError;
use crate::cli::console::Console;
use crate::clouds::text::plain_table;

/// `sky gpus list` options.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct GpusArgs {
    /// Accelerator name, optionally with a count (`A100:8`).
    pub accelerator_str: Option<String>,
    /// Show details of all GPU/TPU/accelerator offerings.
    #[arg(short = 'a', long = "all")]
    pub all: bool,
    /// Infrastructure to query. Examples: "aws", "aws/us-east-1"
    #[arg(long)]
    pub infra: Option<String>,
    /// Cloud provider to query.
    #[arg(long, hide = true)]
    pub cloud: Option<String>,
    /// The region to use. If not specified, shows accelerators from all regions.
    #[arg(long, hide = true)]
    pub region: Option<String>,
    /// Show pricing and instance details for a specified accelerator across all regions and clouds.
    #[arg(long = "all-regions")]
    pub all_regions: bool,
    /// Show the activated account for each cloud.
    #[arg(short = 'v', long)]
    pub verbose: bool,
}

const COMMON_GPUS: &[&str] = &[
    "A10",
    "A10G",
    "A100",
    "A100-80GB",
    "B200",
    "H100",
    "H200",
    "L4",
    "L40S",
    "RTX5090",
    "RTXPRO6000",
    "T4",
    "V100",
    "V100-32GB",
];
const TPUS: &[&str] = &[
    "tpu-v2-8",
    "tpu-v3-8",
    "tpu-v4-8",
    "tpu-v4-16",
    "tpu-v4-32",
    "tpu-v5litepod-1",
    "tpu-v5litepod-4",
    "tpu-v5litepod-8",
    "tpu-v5p-8",
    "tpu-v5p-16",
    "tpu-v5p-32",
    "tpu-v6e-1",
    "tpu-v6e-4",
    "tpu-v6e-8",
];

fn count_str(n: f64) -> String {
    if n.fract() == 0.0 {
        format!("{}", n as i64)
    } else {
        crate::yaml::py_float_repr(n)
    }
}

/// Whether pandas reads a cloud's `vCPUs` column as integers (every cell
/// an integer literal): SkyPilot's table then shows `-` for vCPUs, since
/// numpy integers fail its `isinstance(cpu_count, (float, int))`.
fn vcpus_read_as_int(cat: &Catalogs, cloud_display: &str) -> bool {
    let Some(cloud) = crate::clouds::by_name(cloud_display) else {
        return false;
    };
    let Some(spec) = cloud.catalog() else {
        return false;
    };
    if cloud.name() == "gcp" {
        return false;
    }
    let path = cat.root().join(spec.dir).join("vms.csv");
    let Ok(text) = std::fs::read_to_string(path) else {
        return false;
    };
    let mut col: Option<usize> = None;
    let mut all_int = true;
    crate::catalog::csv::for_each_record(&text, |fields| match col {
        None => col = fields.iter().position(|f| *f == "vCPUs"),
        Some(i) => {
            let f: &str = fields.get(i).map_or("", |f| f.as_ref());
            if f.is_empty()
                || !f
                    .trim_start_matches('-')
                    .chars()
                    .all(|c| c.is_ascii_digit())
            {
                all_int = false;
            }
        }
    });
    col.is_some() && all_int
}

fn list(
    cat: &Catalogs,
    clouds: &[String],
    filter: &ListFilter,
    require_price: bool,
) -> Result<IndexMap<String, Vec<InstanceTypeInfo>>, CliError> {
    Ok(crate::clouds::list::list_accelerators(
        cat,
        clouds,
        filter,
        require_price,
    )?)
}

/// `list_accelerator_counts`: name -> sorted distinct counts.
fn counts(listing: &IndexMap<String, Vec<InstanceTypeInfo>>) -> IndexMap<String, Vec<f64>> {
    listing
        .iter()
        .map(|(name, items)| {
            let mut c: Vec<f64> = items.iter().map(|i| i.accelerator_count).collect();
            c.sort_by(f64::total_cmp);
            c.dedup();
            (name.clone(), c)
        })
        .collect()
}

fn nan_last(a: f64, b: f64) -> std::cmp::Ordering {
    match (a.is_nan(), b.is_nan()) {
        (true, true) => std::cmp::Ordering::Equal,
        (true, false) => std::cmp::Ordering::Greater,
        (false, true) => std::cmp::Ordering::Less,
        _ => a.total_cmp(&b),
    }
}

/// Rows grouped by cloud, clouds by (min price, min spot price), then
/// (price, spot price), as SkyPilot's pandas sort does.
fn sort_items(items: &mut [InstanceTypeInfo]) {
    let mut mins: IndexMap<String, (f64, f64)> = IndexMap::new();
    for i in items.iter() {
        let e = mins.entry(i.cloud.clone()).or_insert((f64::NAN, f64::NAN));
        if e.0.is_nan() || i.price < e.0 {
            e.0 = i.price;
        }
        if e.1.is_nan() || i.spot_price < e.1 {
            e.1 = i.spot_price;
        }
    }
    items.sort_by(|a, b| {
        let (ma, mb) = (mins[&a.cloud], mins[&b.cloud]);
        nan_last(ma.0, mb.0)
            .then(nan_last(ma.1, mb.1))
            .then(nan_last(a.price, b.price))
            .then(nan_last(a.spot_price, b.spot_price))
    });
}

fn money(x: f64) -> String {
    if x.is_nan() {
        "-".into()
    } else {
        format!("$ {x:.3}")
    }
}

fn detail_table(cat: &Catalogs, items: &[InstanceTypeInfo], show_all: bool) -> String {
    let mut clouds: Vec<&str> = items.iter().map(|i| i.cloud.as_str()).collect();
    clouds.dedup();
    let int_cpus = clouds.iter().all(|c| vcpus_read_as_int(cat, c));
    let mut headers = vec![
        "GPU",
        "QTY",
        "CLOUD",
        "INSTANCE_TYPE",
        "DEVICE_MEM",
        "vCPUs",
        "HOST_MEM",
        "HOURLY_PRICE",
        "HOURLY_SPOT_PRICE",
    ];
    if !show_all {
        headers.push("REGION");
    }
    let rows: Vec<Vec<String>> = items
        .iter()
        .map(|i| {
            let cpu = if i.cpu_count.is_nan() || int_cpus {
                "-".into()
            } else if i.cpu_count.fract() == 0.0 {
                format!("{}", i.cpu_count as i64)
            } else {
                format!("{:.1}", i.cpu_count)
            };
            let mut row = vec![
                i.accelerator_name.clone(),
                crate::yaml::py_float_repr(i.accelerator_count),
                i.cloud.clone(),
                i.instance_type
                    .clone()
                    .unwrap_or_else(|| "(attachable)".into()),
                i.device_memory
                    .filter(|m| !m.is_nan())
                    .map_or("-".into(), |m| format!("{m:.0}GB")),
                cpu,
                if i.memory.is_nan() {
                    "-".into()
                } else {
                    format!("{:.0}GB", i.memory)
                },
                money(i.price),
                money(i.spot_price),
            ];
            if !show_all {
                row.push(i.region.clone());
            }
            row
        })
        .collect();
    plain_table(&headers, &rows)
}

/// The text `sky gpus list` prints (without the final newline).
pub fn render(args: &GpusArgs, console: &mut dyn Console) -> Result<String, CliError> {
    let (cloud, region, _) = crate::cli::entrypoint::handle_infra(
        args.infra.as_deref(),
        args.cloud.as_deref(),
        args.region.as_deref(),
        None,
        console,
    )?;
    let cloud = cloud.filter(|c| c != "*");
    let region = region.filter(|r| r != "*");
    if region.is_some() && cloud.is_none() {
        return Err(CliError::usage(
            "The --region flag is only valid when the --cloud flag is set.",
        ));
    }
    if args.all_regions && args.accelerator_str.is_none() {
        return Err(CliError::usage(
            "The --all-regions flag is only valid when an accelerator is specified.",
        ));
    }
    if args.all_regions && region.is_some() {
        return Err(CliError::usage(
            "--all-regions and --region flags cannot be used simultaneously.",
        ));
    }
    let clouds: Vec<String> = cloud.iter().cloned().collect();
    let cat = Catalogs::shared();
    let mut out = String::new();
    let (name, quantity) = if let Some(acc) = &args.accelerator_str {
        parse_accelerator(acc, args.all)?
    } else {
        let filter = ListFilter {
            gpus_only: true,
            region_filter: region.clone(),
            case_sensitive: true,
            ..ListFilter::default()
        };
        let mut counts = counts(&list(&cat, &clouds, &filter, false)?);
        let join = |c: &[f64]| {
            c.iter()
                .map(|n| count_str(*n))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let mut pick = |names: &[&str]| -> Vec<Vec<String>> {
            names
                .iter()
                .filter_map(|n| {
                    counts
                        .shift_remove(*n)
                        .map(|c| vec![n.to_string(), join(&c)])
                })
                .collect()
        };
        let gpus = pick(COMMON_GPUS);
        let tpus = pick(TPUS);
        // prettytable renders a table without rows as nothing at all.
        let table = |h: &[&str], rows: &[Vec<String>]| {
            if rows.is_empty() {
                String::new()
            } else {
                plain_table(h, rows)
            }
        };
        out.push_str(&table(&["COMMON_GPU", "AVAILABLE_QUANTITIES"], &gpus));
        if !tpus.is_empty() {
            out.push_str("\n\n");
            out.push_str(&table(&["GOOGLE_TPU", "AVAILABLE_QUANTITIES"], &tpus));
        }
        if args.all {
            let mut rest: Vec<(String, Vec<f64>)> = counts.into_iter().collect();
            rest.sort_by(|a, b| a.0.cmp(&b.0));
            let rows: Vec<Vec<String>> =
                rest.iter().map(|(n, c)| vec![n.clone(), join(c)]).collect();
            out.push_str("\n\n");
            out.push_str(&table(&["OTHER_GPU", "AVAILABLE_QUANTITIES"], &rows));
            out.push_str("\n\n");
        } else {
            out.push_str("\n\nHint: use -a/--all to see all accelerators (including non-common ones) and pricing.");
            return Ok(out);
        }
        (None, None)
    };
    let filter = ListFilter {
        gpus_only: true,
        name_filter: name.clone(),
        region_filter: region.clone(),
        quantity_filter: quantity.map(|q| q as f64),
        case_sensitive: false,
        all_regions: args.all_regions,
    };
    let listing = list(&cat, &clouds, &filter, true)?;
    if listing.is_empty() {
        let qty = quantity.map_or(String::new(), |q| format!(" with requested quantity {q}"));
        let where_ = match &cloud {
            Some(c) => format!(
                " on {}.",
                crate::spec::infra::Cloud::from_str(c)
                    .map_or(c.clone(), |c| c.display().to_string())
            ),
            None => " in cloud catalogs.".into(),
        };
        let name = name.as_deref().unwrap_or("None");
        out.push_str(&format!("Resources '{name}'{qty} not found{where_} "));
        out.push_str("To show available accelerators, run: sky gpus list --all");
        return Ok(out);
    }
    for (i, (_, items)) in listing.into_iter().enumerate() {
        let mut items = items;
        sort_items(&mut items);
        if i != 0 {
            out.push_str("\n\n");
        }
        out.push_str(&detail_table(&cat, &items, args.all));
    }
    Ok(out)
}

/// `NAME[:COUNT]` of `sky gpus list NAME:COUNT`.
fn parse_accelerator(acc: &str, all: bool) -> Result<(Option<String>, Option<i64>), CliError> {
    if all {
        return Err(CliError::usage("--all is only allowed without a GPU name."));
    }
    let parts: Vec<&str> = acc.split(':').collect();
    if parts.len() > 2 {
        return Err(CliError::usage(format!(
            "Invalid accelerator string {acc}. Expected format: <accelerator_name>[:<quantity>]."
        )));
    }
    let name = parts[0].to_string();
    let quantity = match parts.get(1) {
        None => None,
        Some(q) => match q.trim().parse::<i64>() {
            Ok(n) if n > 0 => Some(n),
            _ => {
                return Err(CliError::usage(format!(
                    "Invalid accelerator quantity {q}. Expected a positive integer."
                )));
            }
        },
    };
    Ok((Some(name), quantity))
}
