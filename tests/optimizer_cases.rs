//! stix's optimizer against SkyPilot 0.14.1's choices, costs, printed plans
//! and errors on the same catalogs (tests/fixtures/optimizer/README.md).

mod catalog_support;

use catalog_support::catalogs;
use serde_json::Value as Json;
use stix::catalog::Catalogs;
use stix::clouds::{self, Cloud, launchable};
use stix::optimizer::{self, Dag, Estimator, Options, Target};
use stix::spec::{Resources, Task};
use stix::yaml::{Map, Value, json_to_value};

fn fixture(name: &str) -> Json {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/optimizer")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The recorder's estimator: seconds by the first accelerator's name.
struct TableEstimator<'a> {
    cat: &'a Catalogs,
    specs: Vec<Option<Json>>,
}

impl Estimator for TableEstimator<'_> {
    fn has_estimator(&self, task: usize) -> bool {
        self.specs.get(task).is_some_and(Option::is_some)
    }
    fn estimate(&self, task: usize, r: &Resources) -> stix::Result<f64> {
        let spec = self.specs[task].as_ref().expect("estimator");
        let default = spec["default"].as_f64().unwrap_or(3600.0);
        let accs = launchable::accelerators(self.cat, r)?;
        Ok(
            match accs.and_then(|m| m.keys().next().map(|k| k.py_str())) {
                Some(name) => spec["by_accelerator"][name.as_str()]
                    .as_f64()
                    .unwrap_or(default),
                None => default,
            },
        )
    }
}

/// Sorts the instance list of "Multiple ... instances" notes: SkyPilot
/// prints a Python set there, whose order changes from run to run.
/// Also drops the note SkyPilot's `Resources` constructor logs for TPUs
/// (the spec layer applies the default silently).
fn normalize(output: &str) -> String {
    output
        .split('\n')
        .filter(|l| !l.starts_with("Missing runtime_version in accelerator_args"))
        .map(|line| match line.find("is considered among: ") {
            Some(i) => {
                let (head, tail) = line.split_at(i + "is considered among: ".len());
                let (list, end) = tail.split_at(tail.find(".\x1b[0m").unwrap_or(tail.len()));
                let mut names: Vec<&str> = list.split(", ").collect();
                names.sort_unstable();
                format!("{head}{}{end}", names.join(", "))
            }
            None => line.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

struct Outcome {
    best: Vec<Resources>,
    error: Option<stix::Error>,
    output: String,
    candidates: Vec<Vec<optimizer::Candidate>>,
}

fn run(cat: &Catalogs, case: &Json) -> Outcome {
    let enabled: Vec<&'static dyn Cloud> = match case["enabled"].as_array() {
        Some(list) => list
            .iter()
            .map(|c| clouds::by_name(c.as_str().unwrap()).unwrap())
            .collect(),
        // The clouds with a shared catalog, in registry order.
        None => clouds::list::default_clouds(),
    };
    let mut tasks = Vec::new();
    let mut specs = Vec::new();
    for t in case["tasks"].as_array().unwrap() {
        let mut config: Map = match json_to_value(t) {
            Value::Map(m) => m,
            _ => panic!("task"),
        };
        specs.push(config.remove("estimator").map(|_| t["estimator"].clone()));
        tasks.push(Task::from_yaml_config(config, &[], &[]).expect("task"));
    }
    let edges: Vec<(usize, usize)> = case["edges"]
        .as_array()
        .map(|e| {
            e.iter()
                .map(|p| {
                    (
                        p[0].as_u64().unwrap() as usize,
                        p[1].as_u64().unwrap() as usize,
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let blocked: Vec<Resources> = case["blocked"]
        .as_array()
        .map(|b| {
            b.iter()
                .map(|args| match json_to_value(args) {
                    Value::Map(m) => Resources::new(&m).unwrap(),
                    _ => panic!("blocked"),
                })
                .collect()
        })
        .unwrap_or_default();
    let target = if case["minimize"] == "TIME" {
        Target::Time
    } else {
        Target::Cost
    };
    let est = TableEstimator { cat, specs };
    let opts = Options {
        target,
        blocked: &blocked,
        quiet: case["quiet"].as_bool().unwrap_or(false),
        enabled: &enabled,
        minimize_logging: true,
    };
    let mut log = Vec::new();
    let result = optimizer::optimize(
        cat,
        Dag {
            tasks: &mut tasks,
            edges: &edges,
        },
        &est,
        &opts,
        &mut log,
    );
    let output = optimizer::render_log(&log);
    match result {
        Ok(plan) => Outcome {
            best: plan.best,
            error: None,
            output,
            candidates: plan.candidates,
        },
        Err(e) => Outcome {
            best: Vec::new(),
            error: Some(e),
            output,
            candidates: Vec::new(),
        },
    }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

fn check_case(cat: &Catalogs, case: &Json, want: &Json) -> Vec<String> {
    let name = case["name"].as_str().unwrap();
    let got = run(cat, case);
    let mut diffs = Vec::new();
    // Multi-task dags that are not chains go to an ILP; equal-cost
    // alternatives are then resolved by the solver, not by order.
    let ilp = case["edges"].as_array().is_some_and(|e| {
        let n = case["tasks"].as_array().map_or(0, Vec::len);
        let g = stix::optimizer::search::Graph::with_dummies(
            n,
            &e.iter()
                .map(|p| {
                    (
                        p[0].as_u64().unwrap() as usize,
                        p[1].as_u64().unwrap() as usize,
                    )
                })
                .collect::<Vec<_>>(),
        );
        !g.is_chain()
    });
    match (&want.get("error"), &got.error) {
        (Some(we), Some(ge)) => {
            // `str(KeyError(k))` is `repr(k)`.
            let shown = if ge.kind == stix::ErrorKind::Key {
                stix::yaml::py_str_repr(&ge.message)
            } else {
                ge.message.clone()
            };
            if we["type"] != ge.kind.python_name() || we["message"] != shown.as_str() {
                diffs.push(format!(
                    "{name}: error {}: {:?}\n  want {}: {:?}",
                    ge.kind.python_name(),
                    ge.message,
                    we["type"],
                    we["message"]
                ));
            }
        }
        (Some(we), None) => diffs.push(format!("{name}: no error, want {we}")),
        (None, Some(ge)) => diffs.push(format!(
            "{name}: error {} {:?}",
            ge.kind.python_name(),
            ge.message
        )),
        (None, None) => {
            for (i, (b, w)) in got
                .best
                .iter()
                .zip(want["best"].as_array().unwrap())
                .enumerate()
            {
                let cost = launchable::get_cost(cat, b, 3600.0).unwrap_or(f64::NAN);
                let same_place = b.cloud.map(|c| c.display()) == w["cloud"].as_str()
                    && b.region.as_deref() == w["region"].as_str()
                    && b.zone.as_deref() == w["zone"].as_str();
                let same_type = b.instance_type.as_deref() == w["instance_type"].as_str();
                let same_cost = close(cost, w["cost_1h"].as_f64().unwrap_or(f64::NAN));
                // Under TIME every region of an offering ties; the solver
                // may pick any, so only the chosen value must match.
                let same_value = || {
                    let recorded = want["candidates"][i].as_array().and_then(|cs| {
                        cs.iter().find(|c| {
                            c[0] == w["cloud"]
                                && c[1] == w["region"]
                                && c[2] == w["zone"]
                                && c[3] == w["instance_type"]
                        })
                    });
                    let mine = got.candidates[i].iter().find(|c| &c.resources == b);
                    matches!((recorded, mine), (Some(r), Some(m)) if close(r[5].as_f64().unwrap_or(f64::NAN), m.value))
                };
                let time_ilp = ilp && case["minimize"] == "TIME";
                if !((time_ilp && same_value())
                    || (same_cost && (ilp || (same_place && same_type))))
                {
                    diffs.push(format!(
                        "{name}[{i}]: {:?} {:?} {:?} {:?} ${cost}\n  want {w}",
                        b.cloud.map(|c| c.display()),
                        b.region,
                        b.zone,
                        b.instance_type
                    ));
                }
            }
        }
    }
    if let Some(want_cands) = want["candidates"].as_array()
        && got.error.is_none()
    {
        for (i, (g, w)) in got.candidates.iter().zip(want_cands).enumerate() {
            let mut w: Vec<&Json> = w.as_array().unwrap().iter().collect();
            let mut g: Vec<&optimizer::Candidate> = g.iter().collect();
            // `any_of` is a Python set: SkyPilot visits its entries in an
            // order that changes from run to run, so compare as multisets.
            if case["tasks"][i]["resources"].get("any_of").is_some() {
                let key = |c: &str, r: &str, z: &str, t: &str| format!("{c}|{r}|{z}|{t}");
                w.sort_by_key(|w| {
                    key(
                        w[0].as_str().unwrap_or(""),
                        w[1].as_str().unwrap_or(""),
                        w[2].as_str().unwrap_or(""),
                        w[3].as_str().unwrap_or(""),
                    )
                });
                g.sort_by_key(|c| {
                    let r = &c.resources;
                    key(
                        r.cloud.map_or("", |x| x.display()),
                        r.region.as_deref().unwrap_or(""),
                        r.zone.as_deref().unwrap_or(""),
                        r.instance_type.as_deref().unwrap_or(""),
                    )
                });
            }
            let same = g.len() == w.len()
                && g.iter().zip(&w).all(|(c, w)| {
                    c.resources.cloud.map(|x| x.display()) == w[0].as_str()
                        && c.resources.region.as_deref() == w[1].as_str()
                        && c.resources.zone.as_deref() == w[2].as_str()
                        && c.resources.instance_type.as_deref() == w[3].as_str()
                        && close(c.value, w[5].as_f64().unwrap_or(f64::NAN))
                });
            if !same {
                diffs.push(format!(
                    "{name}: task {i} candidates differ ({} vs {})",
                    g.len(),
                    w.len()
                ));
            }
        }
    }
    if !ilp && normalize(&got.output) != normalize(want["output"].as_str().unwrap()) {
        diffs.push(format!(
            "{name}: output\n--- got\n{}\n--- want\n{}",
            got.output,
            want["output"].as_str().unwrap()
        ));
    }
    diffs
}

#[test]
fn optimizer_matches_skypilot() {
    let Some((_home, cat)) = catalogs("optimizer") else {
        return;
    };
    let cases = fixture("cases.json");
    let expected = fixture("expected.json");
    let only = std::env::var("STIX_OPT_CASE").ok();
    let mut diffs = Vec::new();
    let mut ran = 0;
    for (case, want) in cases
        .as_array()
        .unwrap()
        .iter()
        .zip(expected.as_array().unwrap())
    {
        assert_eq!(case["name"], want["name"]);
        if only.as_deref().is_some_and(|o| case["name"] != o) {
            continue;
        }
        ran += 1;
        diffs.extend(check_case(&cat, case, want));
    }
    assert!(ran > 0);
    assert!(
        diffs.is_empty(),
        "{} differences:\n{}",
        diffs.len(),
        diffs.join("\n")
    );
}
