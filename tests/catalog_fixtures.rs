//! stix's catalog and cloud layer against values recorded from SkyPilot
//! 0.14.1 on the same catalog files (tests/fixtures/catalog/README.md).

mod catalog_support;

use catalog_support::{Report, catalogs, fixture, num, outcome, same, same_outcome};
use serde_json::{Value as Json, json};
use stix::catalog::Catalogs;
use stix::catalog::list::ListFilter;
use stix::clouds::{self, Cloud, InstanceQuery, Offering, Region};
use stix::spec::Resources;
use stix::yaml::{Map, Value, json_to_value};

fn cloud(name: &str) -> &'static dyn Cloud {
    clouds::by_name(name).unwrap_or_else(|| panic!("no cloud {name}"))
}

fn s(j: &Json) -> Option<&str> {
    j.as_str()
}

fn f(j: &Json) -> Option<f64> {
    j.as_f64()
}

fn regions_json(regions: Vec<Region>) -> Json {
    Json::Array(
        regions
            .into_iter()
            .map(|r| json!({"name": r.name, "zones": r.zones}))
            .collect(),
    )
}

fn map_json(m: Option<Map>) -> Json {
    match m {
        None => Json::Null,
        Some(m) => {
            let mut o = serde_json::Map::new();
            for (k, v) in m.iter() {
                let v = match v {
                    Value::Int(i) => json!(i),
                    Value::Float(x) => num(*x),
                    other => json!(other.py_str()),
                };
                o.insert(k.py_str(), v);
            }
            Json::Object(o)
        }
    }
}

fn pair_json(p: (Option<f64>, Option<f64>)) -> Json {
    json!([p.0.map(num), p.1.map(num)])
}

fn query<'a>(case: &'a Json) -> InstanceQuery<'a> {
    InstanceQuery {
        cpus: s(&case["cpus"]),
        memory: s(&case["memory"]),
        disk_tier: s(&case["disk_tier"]),
        local_disk: None,
        region: s(&case["region"]),
        zone: s(&case["zone"]),
        use_spot: case["use_spot"].as_bool().unwrap_or(false),
        max_hourly_cost: f(&case["max_hourly_cost"]),
    }
}

fn check_cloud_queries(cat: &Catalogs, name: &str, rec: &Json, report: &mut Report) {
    let c = cloud(name);
    for case in rec["default_instance_type"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let got = outcome(
            c.get_default_instance_type(cat, &query(case))
                .map(|v| json!(v)),
        );
        report.check(same_outcome(&got, &case["result"]), || {
            format!("{name} default {case}\n got {got}")
        });
    }
    for case in rec["instance_types_for_accelerator"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let kw = &case["kwargs"];
        let q = InstanceQuery {
            cpus: s(&kw["cpus"]),
            memory: s(&kw["memory"]),
            region: s(&kw["region"]),
            use_spot: kw["use_spot"].as_bool().unwrap_or(false),
            max_hourly_cost: f(&kw["max_hourly_cost"]),
            ..InstanceQuery::default()
        };
        let acc = s(&case["acc"]).unwrap_or_default();
        let count = f(&case["count"]).unwrap_or(1.0);
        let got = outcome(
            c.instance_types_for_accelerator(cat, acc, count, &q)
                .map(|(a, b)| json!([a, b])),
        );
        report.check(same_outcome(&got, &case["result"]), || {
            format!("{name} accelerator {case}\n got {got}")
        });
    }
    for item in rec["instance_types"].as_array().into_iter().flatten() {
        let it = s(&item["instance_type"]).unwrap_or_default();
        let region = s(&item["region"]);
        let zone = s(&item["zone"]);
        let mut checks: Vec<(&str, Json)> = vec![
            (
                "exists",
                outcome(c.instance_type_exists(cat, it).map(|b| json!(b))),
            ),
            (
                "vcpus_mem",
                outcome(c.get_vcpus_mem_from_instance_type(cat, it).map(pair_json)),
            ),
            (
                "accelerators",
                outcome(c.get_accelerators_from_instance_type(cat, it).map(map_json)),
            ),
            (
                "cost",
                outcome(
                    c.instance_type_to_hourly_cost(cat, it, false, None, None)
                        .map(num),
                ),
            ),
            (
                "cost_spot",
                outcome(
                    c.instance_type_to_hourly_cost(cat, it, true, None, None)
                        .map(num),
                ),
            ),
        ];
        if let Some(region) = region {
            checks.push((
                "cost_region",
                outcome(
                    c.instance_type_to_hourly_cost(cat, it, false, Some(region), None)
                        .map(num),
                ),
            ));
            let upper = region.to_uppercase();
            checks.push((
                "cost_region_upper",
                outcome(
                    c.instance_type_to_hourly_cost(cat, it, false, Some(&upper), None)
                        .map(num),
                ),
            ));
            let loop_json = |nodes: u32| {
                outcome(
                    c.zones_provision_loop(cat, region, nodes, it, None, false)
                        .map(|v| json!(v)),
                )
            };
            checks.push(("provision_loop", loop_json(1)));
            checks.push(("provision_loop_2", loop_json(2)));
        }
        if let Some(zone) = zone {
            checks.push((
                "cost_zone_spot",
                outcome(
                    c.instance_type_to_hourly_cost(cat, it, true, None, Some(zone))
                        .map(num),
                ),
            ));
        }
        for spot in [false, true] {
            let o = Offering {
                instance_type: it,
                accelerators: None,
                use_spot: spot,
                region: None,
                zone: None,
            };
            let key = if spot {
                "regions_spot_True"
            } else {
                "regions_spot_False"
            };
            checks.push((
                key,
                outcome(c.regions_with_offering(cat, &o).map(regions_json)),
            ));
        }
        for (key, got) in checks {
            report.check(same_outcome(&got, &item[key]), || {
                format!("{name} {it} {key}\n want {}\n got {got}", item[key])
            });
        }
    }
    for case in rec["validate_region_zone"].as_array().into_iter().flatten() {
        let got = outcome(
            c.validate_region_zone(cat, s(&case["region"]), s(&case["zone"]))
                .map(|(r, z)| json!([r, z])),
        );
        report.check(same_outcome(&got, &case["result"]), || {
            format!("{name} validate {case}\n got {got}")
        });
    }
    for (gb, want) in rec["egress"].as_object().into_iter().flatten() {
        let got = c.get_egress_cost(gb.parse().unwrap_or(0.0));
        report.check(same(&num(got), want), || {
            format!("{name} egress {gb}: {got} vs {want}")
        });
    }
    report.check(
        rec["optimize_by_zone"].as_bool() == Some(c.optimize_by_zone()),
        || format!("{name} optimize_by_zone"),
    );
    let base = Resources::default();
    let unsupported = c.unsupported_features(&base);
    for (feature, want) in rec["unsupported_features"]
        .as_object()
        .into_iter()
        .flatten()
    {
        let got = unsupported
            .iter()
            .find(|(f, _)| f.value() == feature)
            .map(|(f, _)| {
                clouds::features::check_supported(c.class_repr(), &unsupported, &[*f])
                    .err()
                    .map(|e| e.message)
            })
            .unwrap_or(None);
        report.check(json!(got) == *want, || {
            format!("{name} feature {feature}: {got:?} vs {want}")
        });
    }
}

#[test]
fn catalog_queries_match_skypilot() {
    let Some((_home, cat)) = catalogs("queries") else {
        return;
    };
    let rec = fixture("queries.json");
    let mut report = Report::default();
    for (name, r) in rec.as_object().into_iter().flatten() {
        check_cloud_queries(&cat, name, r, &mut report);
    }
    report.finish("queries");
}

fn info_json(i: &stix::catalog::InstanceTypeInfo) -> Json {
    json!([
        i.cloud,
        // pandas gives NaN for a missing instance type (GCP TPUs).
        i.instance_type.clone().unwrap_or_else(|| "nan".into()),
        i.accelerator_name,
        num(i.accelerator_count),
        num(i.cpu_count),
        i.device_memory.map(num),
        num(i.memory),
        num(i.price),
        num(i.spot_price),
        i.region
    ])
}

#[test]
fn list_accelerators_matches_skypilot() {
    let Some((_home, cat)) = catalogs("list") else {
        return;
    };
    let rec = fixture("list.json");
    let mut report = Report::default();
    for case in rec.as_array().into_iter().flatten() {
        let kw = &case["kwargs"];
        let filter = ListFilter {
            gpus_only: kw["gpus_only"].as_bool().unwrap_or(true),
            name_filter: s(&kw["name_filter"]).map(str::to_string),
            region_filter: s(&kw["region_filter"]).map(str::to_string),
            quantity_filter: f(&kw["quantity_filter"]),
            case_sensitive: kw["case_sensitive"].as_bool().unwrap_or(true),
            all_regions: kw["all_regions"].as_bool().unwrap_or(false),
        };
        let require_price = kw["require_price"].as_bool().unwrap_or(true);
        let names: Vec<String> = match &case["clouds"] {
            Json::String(c) => vec![c.clone()],
            Json::Array(a) => a
                .iter()
                .filter_map(|c| c.as_str().map(str::to_string))
                .collect(),
            _ => Vec::new(),
        };
        let got =
            stix::clouds::list::list_accelerators(&cat, &names, &filter, require_price).map(|l| {
                let mut o = serde_json::Map::new();
                for (k, v) in l {
                    o.insert(k, Json::Array(v.iter().map(info_json).collect()));
                }
                Json::Object(o)
            });
        let got = outcome(got);
        // Key order matters too: compare the key lists, then the values.
        let order_ok = match (got.get("ok"), case["result"].get("ok")) {
            (Some(g), Some(w)) => {
                g.as_object().map(|m| m.keys().collect::<Vec<_>>())
                    == w.as_object().map(|m| m.keys().collect::<Vec<_>>())
            }
            _ => true,
        };
        report.check(order_ok && same_outcome(&got, &case["result"]), || {
            let diff = catalog_support::first_difference(&got, &case["result"]);
            let want = case["result"].to_string();
            let got = got.to_string();
            let cut = |t: &str| t.chars().take(1500).collect::<String>();
            format!(
                "list {} {kw}: {diff}\n want {}\n got  {}",
                case["clouds"],
                cut(&want),
                cut(&got)
            )
        });
    }
    report.finish("list");
}

fn resources(infra: &str, kwargs: &Json) -> stix::Result<Resources> {
    let mut args = Map::new();
    if !infra.is_empty() {
        args.insert("infra", infra);
    }
    if let Value::Map(m) = json_to_value(kwargs) {
        for (k, v) in m.iter() {
            args.insert(k.clone(), v.clone());
        }
    }
    Resources::new(&args)
}

fn res_json(cat: &Catalogs, r: &Resources) -> stix::Result<Json> {
    Ok(json!({
        "cloud": r.cloud.map(|c| c.display()),
        "instance_type": r.instance_type,
        "accelerators": map_json(r.accelerators.clone()),
        "cpus": r.cpus,
        "memory": r.memory,
        "region": r.region,
        "zone": r.zone,
        "use_spot": r.use_spot,
        "repr": clouds::repr(cat, r)?,
    }))
}

/// The pipeline the recorder ran: construct, validate, feasibility, then
/// the launchables of the cheapest candidate with their costs.
fn feasible_record(cat: &Catalogs, case: &Json) -> stix::Result<Json> {
    let c = cloud(s(&case["cloud"]).unwrap_or_default());
    let mut r = resources(s(&case["infra"]).unwrap_or_default(), &case["kwargs"])?;
    clouds::validate::validate(cat, &mut r, &[c])?;
    let nodes = case["num_nodes"].as_u64().unwrap_or(1) as u32;
    let mut out = json!({"validated": res_json(cat, &r)?});
    let fr = clouds::feasible_launchable_resources(cat, c, &r, nodes)?;
    out["feasible"] = Json::Array(
        fr.resources
            .iter()
            .map(|x| res_json(cat, x))
            .collect::<stix::Result<Vec<_>>>()?,
    );
    out["fuzzy"] = json!(fr.fuzzy_candidates);
    out["hint"] = json!(fr.hint);
    if let Some(cheapest) = fr.resources.first() {
        let mut launch = Vec::new();
        for lr in clouds::make_launchables_for_valid_region_zones(cat, cheapest, false)? {
            let mut item = json!({"region": lr.region, "zone": lr.zone});
            let cost = outcome(clouds::get_cost(cat, &lr, 3600.0).map(num));
            for (k, v) in cost.as_object().into_iter().flatten() {
                item[k] = v.clone();
            }
            launch.push(item);
        }
        out["launchables"] = Json::Array(launch);
        out["cheapest_cost"] = outcome(clouds::get_cost(cat, cheapest, 3600.0).map(num));
    }
    Ok(out)
}

#[test]
fn feasibility_matches_skypilot() {
    let Some((_home, cat)) = catalogs("feasible") else {
        return;
    };
    let rec = fixture("feasible.json");
    let mut report = Report::default();
    for case in rec.as_array().into_iter().flatten() {
        let got = feasible_record(&cat, case);
        let label = format!(
            "{} {} {} x{}",
            case["cloud"], case["infra"], case["kwargs"], case["num_nodes"]
        );
        match (got, case.get("error")) {
            (Err(e), Some(want)) => {
                let got = json!({"error": {"type": e.kind.python_name(), "message": e.message}});
                report.check(same_outcome(&got, &json!({"error": want})), || {
                    format!("{label}\n want error {want}\n got {got}")
                });
            }
            (Err(e), None) => report.check(false, || format!("{label}\n unexpected error {e:?}")),
            (Ok(g), Some(want)) => {
                report.check(false, || format!("{label}\n want error {want}\n got {g}"))
            }
            (Ok(g), None) => {
                for key in [
                    "validated",
                    "feasible",
                    "fuzzy",
                    "hint",
                    "launchables",
                    "cheapest_cost",
                ] {
                    let want = case.get(key).cloned().unwrap_or(Json::Null);
                    let have = g.get(key).cloned().unwrap_or(Json::Null);
                    let ok = if key == "cheapest_cost" && want.is_object() {
                        same_outcome(&have, &want)
                    } else if key == "launchables" {
                        launch_same(&have, &want)
                    } else {
                        same(&have, &want)
                    };
                    report.check(ok, || {
                        let diff = catalog_support::first_difference(&have, &want);
                        format!("{label} [{key}]: {diff}\n want {want}\n got  {have}")
                    });
                }
            }
        }
    }
    report.finish("feasible");
}

fn launch_same(got: &Json, want: &Json) -> bool {
    match (got.as_array(), want.as_array()) {
        (Some(g), Some(w)) => {
            g.len() == w.len()
                && g.iter().zip(w).all(|(a, b)| {
                    a["region"] == b["region"] && a["zone"] == b["zone"] && same_outcome(a, b)
                })
        }
        _ => got == want,
    }
}

#[test]
fn validation_matches_skypilot() {
    let Some((_home, cat)) = catalogs("validate") else {
        return;
    };
    let rec = fixture("validate.json");
    let enabled: Vec<&dyn Cloud> = rec["enabled"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c.as_str().and_then(clouds::by_name))
        .collect();
    let mut report = Report::default();
    for case in rec["cases"].as_array().into_iter().flatten() {
        let got = resources("", &case["kwargs"]).and_then(|mut r| {
            clouds::validate::validate(&cat, &mut r, &enabled)?;
            res_json(&cat, &r)
        });
        let got = match got {
            Ok(v) => json!({"validated": v}),
            Err(e) => json!({"error": {"type": e.kind.python_name(), "message": e.message}}),
        };
        let ok = match (got.get("error"), case.get("error")) {
            (Some(_), Some(w)) => same_outcome(&got, &json!({"error": w})),
            (None, None) => same(&got["validated"], &case["validated"]),
            _ => false,
        };
        report.check(ok, || {
            format!("validate {}\n want {case}\n got  {got}", case["kwargs"])
        });
    }
    report.finish("validate");
}

/// A broad sweep per cloud: every offered accelerator and count (sampled),
/// spot, and CPU/memory sizes; the candidates and the cheapest one's
/// launchables with their costs.
#[test]
fn request_sweep_matches_skypilot() {
    let Some((_home, cat)) = catalogs("sweep") else {
        return;
    };
    let rec = fixture("sweep.json");
    let mut report = Report::default();
    for case in rec.as_array().into_iter().flatten() {
        let name = s(&case["cloud"]).unwrap_or_default();
        let c = cloud(name);
        let got = (|| -> stix::Result<Json> {
            let mut r = resources(name, &case["kwargs"])?;
            clouds::validate::validate(&cat, &mut r, &[c])?;
            let fr = clouds::feasible_launchable_resources(&cat, c, &r, 1)?;
            let mut out = json!({
                "feasible": fr.resources.iter().map(|x| x.instance_type.clone()).collect::<Vec<_>>(),
                "fuzzy": fr.fuzzy_candidates,
                "hint": fr.hint,
            });
            if let Some(cheapest) = fr.resources.first() {
                let mut launch = Vec::new();
                for lr in clouds::make_launchables_for_valid_region_zones(&cat, cheapest, false)? {
                    let mut item = json!({"region": lr.region, "zone": lr.zone});
                    let cost = outcome(clouds::get_cost(&cat, &lr, 3600.0).map(num));
                    for (k, v) in cost.as_object().into_iter().flatten() {
                        item[k] = v.clone();
                    }
                    launch.push(item);
                }
                out["launchables"] = Json::Array(launch);
            }
            Ok(out)
        })();
        let label = format!("{name} {}", case["kwargs"]);
        match (got, case.get("error")) {
            (Err(e), Some(want)) => {
                let got = json!({"error": {"type": e.kind.python_name(), "message": e.message}});
                report.check(same_outcome(&got, &json!({"error": want})), || {
                    format!("{label}\n want error {want}\n got {got}")
                });
            }
            (Err(e), None) => report.check(false, || format!("{label}\n unexpected error {e:?}")),
            (Ok(g), Some(want)) => {
                report.check(false, || format!("{label}\n want error {want}\n got {g}"))
            }
            (Ok(g), None) => {
                for key in ["feasible", "fuzzy", "hint", "launchables"] {
                    let want = case.get(key).cloned().unwrap_or(Json::Null);
                    let have = g.get(key).cloned().unwrap_or(Json::Null);
                    let ok = if key == "launchables" {
                        launch_same(&have, &want)
                    } else {
                        same(&have, &want)
                    };
                    report.check(ok, || {
                        let diff = catalog_support::first_difference(&have, &want);
                        format!("{label} [{key}]: {diff}")
                    });
                }
            }
        }
    }
    report.finish("sweep");
}
