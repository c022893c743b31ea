//! What SkyPilot prints after optimizing (`print_optimized_plan`,
//! `_print_egress_plan`, `_print_candidates`): the best plan of a
//! multi-task dag, the egress plan, one `Considered resources` table per
//! task, and the "Multiple instances satisfy" notes.

use super::ansi::{BOLD, DIM, GREEN, RESET};
use super::cost::{End, egress_between, egress_info};
use super::fill::Filled;
use super::plan::{Candidate, Target};
use super::search::Graph;
use super::table::framed_table;
use super::{Log, info, warning};
use crate::catalog::Catalogs;
use crate::clouds::launchable;
use crate::error::{Error, Result};
use crate::spec::{Resources, Task};
use crate::yaml::{Map, Value, py_float_repr, py_str_repr};

/// Everything the plan report reads.
pub struct Report<'a> {
    /// Catalogs.
    pub cat: &'a Catalogs,
    /// The tasks (as given, validated).
    pub tasks: &'a [Task],
    /// The graph with dummies.
    pub graph: &'a Graph,
    /// Topological order.
    pub order: &'a [usize],
    /// The chosen launchable per task.
    pub best: &'a [Resources],
    /// Per task: the candidates the table shows.
    pub shown: &'a [Vec<Candidate>],
    /// Cost or time.
    pub target: Target,
    /// Estimated total cost.
    pub total_cost: f64,
    /// Estimated total time (seconds).
    pub total_time: f64,
    /// `SKYPILOT_MINIMIZE_LOGGING`.
    pub minimize_logging: bool,
    /// Whether a task has a time estimator.
    pub has_estimator: &'a dyn Fn(usize) -> bool,
}

const RESOURCE_FIELDS: [&str; 5] = ["INFRA", "INSTANCE", "vCPUs", "Mem(GB)", "GPUS"];

/// `format_number`: `-`, an int, or one decimal.
fn format_number(x: Option<f64>) -> String {
    match x {
        None => "-".into(),
        Some(v) if v.fract() == 0.0 => format!("{}", v as i64),
        Some(v) => format!("{v:.1}"),
    }
}

/// `common_utils.truncate_long_string`.
pub fn truncate(s: &str, max: usize, middle: bool) -> String {
    let chars: Vec<char> = s.chars().collect();
    if chars.len() <= max {
        return s.to_string();
    }
    if middle {
        if max <= 3 {
            return "...".into();
        }
        let half = (max - 3) / 2;
        let start = half + (max - 3) % 2;
        let head: String = chars[..start].iter().collect();
        if half == 0 {
            return format!("{head}...");
        }
        let tail: String = chars[chars.len() - half..].iter().collect();
        return format!("{head}...{tail}");
    }
    let splits: Vec<&str> = s.split(' ').collect();
    if splits[0].chars().count() > max {
        return format!("{}...", splits[0].chars().take(max).collect::<String>());
    }
    let mut total = 0;
    let mut i = 0;
    for (k, part) in splits.iter().enumerate() {
        i = k;
        total += part.chars().count();
        if total >= max {
            break;
        }
    }
    let mut prefix = splits[..i].join(" ");
    let plen = prefix.chars().count();
    if plen < max {
        prefix.extend(chars[plen..max].iter());
    }
    format!("{prefix}...")
}

/// `resources.infra.formatted_str()`: `AWS (us-east-1)`.
pub fn infra_str(r: &Resources) -> String {
    let Some(cloud) = r.cloud else {
        return "-".into();
    };
    let place = match (&r.zone, &r.region) {
        (Some(z), _) if cloud.name() != "slurm" => Some(z.clone()),
        (_, Some(reg)) => Some(reg.strip_prefix("ssh-").unwrap_or(reg).to_string()),
        _ => None,
    };
    match place {
        Some(p) => format!("{} ({})", cloud.display(), truncate(&p, 25, true)),
        None => cloud.display().to_string(),
    }
}

/// `get_accelerators_str()` of a launchable (accelerators inferred from
/// its instance type).
pub fn accelerators_str(cat: &Catalogs, r: &Resources) -> Result<String> {
    Ok(match launchable::accelerators(cat, r)? {
        None => "-".into(),
        Some(m) if m.len() == 1 => {
            let (k, v) = m
                .iter()
                .next()
                .map(|(k, v)| (k.py_str(), v.py_str()))
                .unwrap_or_default();
            format!("{k}:{v}")
        }
        Some(m) => Value::Map(m).py_repr(),
    })
}

fn spot_str(r: &Resources) -> &'static str {
    if r.use_spot { "[Spot]" } else { "" }
}

fn is_kube_like(r: &Resources) -> bool {
    matches!(
        r.cloud.map(|c| c.name()),
        Some("kubernetes" | "ssh" | "slurm")
    )
}

/// INFRA, INSTANCE, vCPUs, Mem(GB), GPUS of a launchable.
fn resource_cells(cat: &Catalogs, r: &Resources) -> Result<Vec<String>> {
    let cloud =
        launchable::cloud_of(r).ok_or_else(|| Error::assertion("Cloud must be specified"))?;
    let it = r
        .instance_type
        .as_deref()
        .ok_or_else(|| Error::assertion("Instance type must be specified"))?;
    let (vcpus, mem) = cloud.get_vcpus_mem_from_instance_type(cat, it)?;
    let instance = if is_kube_like(r) {
        if r.use_spot { "" } else { "-" }
    } else {
        it
    };
    Ok(vec![
        infra_str(r),
        format!("{instance}{}", spot_str(r)),
        format_number(vcpus),
        format_number(mem),
        accelerators_str(cat, r)?,
    ])
}

/// `_get_resource_group_hash`: one table row per cloud, accelerators and
/// spot (and region, for Kubernetes-like clouds).
fn group_key(cat: &Catalogs, r: &Resources) -> Result<String> {
    let accs =
        launchable::accelerators(cat, r)?.map_or("None".to_string(), |m| Value::Map(m).py_repr());
    let cloud = r.cloud.map_or("None", |c| c.display());
    let region = if is_kube_like(r) {
        r.region.clone().unwrap_or_default()
    } else {
        String::new()
    };
    Ok(format!("{cloud}|{accs}|{}|{region}", r.use_spot))
}

fn yaml_of(r: &Resources) -> Map {
    r.to_yaml_config(false)
}

/// The `Best plan` table: TASK, #NODES and each task's chosen launchable.
pub fn best_plan_table(cat: &Catalogs, tasks: &[(&Task, &Resources)]) -> Result<String> {
    let mut rows = Vec::new();
    for (t, best) in tasks {
        let mut row = vec![
            t.name.clone().unwrap_or_else(|| "None".into()),
            t.num_nodes.to_string(),
        ];
        row.extend(resource_cells(cat, best)?);
        rows.push(row);
    }
    let mut headers = vec!["TASK", "#NODES"];
    headers.extend(RESOURCE_FIELDS);
    Ok(framed_table(&headers, &rows))
}

/// Logs the plan: target and totals (when not minimized), best plan of a
/// multi-task dag, egress plan, and one table per task.
pub fn print_plan(rep: &Report, log: &mut Log) -> Result<()> {
    let real: Vec<usize> = rep
        .order
        .iter()
        .copied()
        .filter(|&i| i < rep.tasks.len())
        .collect();
    let trivial = real.iter().all(|&i| rep.shown[i].len() == 1);
    let minimize_cost = rep.target == Target::Cost;
    if !trivial && !rep.minimize_logging {
        let metric = if minimize_cost { "cost" } else { "run time" };
        info(log, format!("{BOLD}Target:{RESET} minimizing {metric}"));
    }
    if !rep.minimize_logging {
        let single = real.len() == 1 && {
            let t = &rep.tasks[real[0]];
            !(rep.has_estimator)(real[0]) && t.inputs.is_none() && t.outputs.is_none()
        };
        if single {
            info(
                log,
                format!(
                    "{BOLD}Estimated cost: {RESET}${:.1} / hour\n",
                    rep.total_cost
                ),
            );
        } else {
            info(
                log,
                format!(
                    "{BOLD}Estimated total runtime: {RESET}{:.1} hours\n{BOLD}Estimated total cost: {RESET}${:.1}\n",
                    rep.total_time / 3600.0,
                    rep.total_cost
                ),
            );
        }
    }
    if real.len() > 1 {
        let pairs: Vec<(&Task, &Resources)> = real
            .iter()
            .map(|&i| (&rep.tasks[i], &rep.best[i]))
            .collect();
        info(log, format!("{BOLD}Best plan: {RESET}"));
        info(log, best_plan_table(rep.cat, &pairs)?);
    }
    print_egress_plan(rep, log)?;
    let metric = if minimize_cost {
        "COST ($)"
    } else {
        "TIME (hr)"
    };
    let mut headers: Vec<&str> = RESOURCE_FIELDS.to_vec();
    headers.extend([metric, "CHOSEN"]);
    for &i in &real {
        print_task_table(rep, i, real.len(), &headers, log)?;
    }
    Ok(())
}

fn print_task_table(
    rep: &Report,
    i: usize,
    num_tasks: usize,
    headers: &[&str],
    log: &mut Log,
) -> Result<()> {
    let task = &rep.tasks[i];
    let chosen = &rep.best[i];
    let task_str = if num_tasks > 1 {
        format!(
            "for task {} ",
            task.name.as_deref().map_or("None".to_string(), py_str_repr)
        )
    } else {
        String::new()
    };
    if num_tasks > 1 {
        info(log, "");
    }
    let plural = if task.num_nodes > 1 { "s" } else { "" };
    info(
        log,
        format!(
            "Considered resources {task_str}({} node{plural}):",
            task.num_nodes
        ),
    );
    // (key, resources, cost, chosen) in first-seen order; a cheaper entry
    // of a group takes its place.
    let mut groups: Vec<(String, &Resources, f64, bool)> = Vec::new();
    for c in &rep.shown[i] {
        let key = group_key(rep.cat, &c.resources)?;
        match groups.iter_mut().find(|g| g.0 == key) {
            Some(g) => {
                if c.value < g.2 {
                    g.1 = &c.resources;
                    g.2 = c.value;
                }
            }
            None => groups.push((key, &c.resources, c.value, false)),
        }
    }
    let chosen_yaml = yaml_of(chosen);
    let chosen_cost = rep.shown[i]
        .iter()
        .rev()
        .find(|c| yaml_of(&c.resources) == chosen_yaml)
        .map(|c| c.value)
        .ok_or_else(|| {
            Error::new(
                crate::error::ErrorKind::Key,
                "chosen resources not among the candidates",
            )
        })?;
    let key = group_key(rep.cat, chosen)?;
    match groups.iter_mut().find(|g| g.0 == key) {
        Some(g) => *g = (key, chosen, chosen_cost, true),
        None => groups.push((key, chosen, chosen_cost, true)),
    }
    let mut rows: Vec<(Vec<String>, f64)> = Vec::new();
    for (_, r, cost, is_chosen) in &groups {
        let cost_str = match rep.target {
            Target::Cost => format!("{cost:.2}"),
            Target::Time => format!("{:.2}", cost / 3600.0),
        };
        let parsed: f64 = cost_str.parse().unwrap_or(f64::INFINITY);
        let mut row = resource_cells(rep.cat, r)?;
        row.push(cost_str);
        row.push(if *is_chosen {
            format!("{GREEN}   \u{2714}{RESET}")
        } else {
            String::new()
        });
        rows.push((row, parsed));
    }
    if task.resources.is_ordered() {
        let mut wanted = Vec::new();
        for r in task.resources.items() {
            let accs = accelerators_str(rep.cat, r)?;
            wanted.push(format!("{accs}{}", spot_str(r)));
        }
        let mut keyed = Vec::new();
        for (row, cost) in rows {
            let spot = if row[1].contains("[Spot]") {
                "[Spot]"
            } else {
                ""
            };
            let label = format!("{}{spot}", row[4]);
            let idx = wanted
                .iter()
                .position(|w| *w == label)
                .ok_or_else(|| Error::value(format!("{} is not in list", py_str_repr(&label))))?;
            keyed.push((idx, cost, row));
        }
        keyed.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)));
        rows = keyed.into_iter().map(|(_, c, r)| (r, c)).collect();
    } else {
        rows.sort_by(|a, b| a.1.total_cmp(&b.1));
    }
    let rows: Vec<Vec<String>> = rows.into_iter().map(|(r, _)| r).collect();
    info(log, framed_table(headers, &rows));
    if chosen.disk_tier.as_deref() == Some("ultra") {
        warning(
            log,
            "Using disk_tier=ultra will utilize more advanced disks (io2 Block Express on AWS and extreme persistent disk on GCP), which can lead to significant higher costs (~$2/h).",
        );
    }
    Ok(())
}

fn size_str(task: &Task, inputs: bool) -> String {
    let v = if inputs { &task.inputs } else { &task.outputs };
    v.as_ref().map_or("None".into(), |(_, s)| s.py_str())
}

fn cloud_display(name: &str) -> String {
    crate::spec::infra::Cloud::from_str(name)
        .map_or(name.to_uppercase(), |c| c.display().to_string())
}

/// `_print_egress_plan`: edges that move data between clouds. Like
/// SkyPilot, stops at the first edge that carries no data.
fn print_egress_plan(rep: &Report, log: &mut Log) -> Result<()> {
    let mut rows: Vec<Vec<String>> = Vec::new();
    let n = rep.tasks.len();
    let end =
        |v: usize| -> End<'_> { super::plan::end_of(rep.graph, rep.tasks, v, rep.best.get(v)) };
    for (u, v) in rep.graph.edges() {
        let (src, dst, gb) = egress_info(end(u), end(v))?;
        if gb == 0.0 {
            return Ok(());
        }
        let (Some(src), Some(dst)) = (src, dst) else {
            continue;
        };
        if v >= n {
            continue;
        }
        let value = egress_between(rep.target, src, dst, gb);
        if value > 0.0 {
            let child = &rep.tasks[v];
            let (from, size) = if u == rep.graph.source() {
                let url = child
                    .inputs
                    .as_ref()
                    .map(|(u, _)| u.clone())
                    .unwrap_or_default();
                (url, size_str(child, true))
            } else {
                (rep.tasks[u].repr(), size_str(&rep.tasks[u], false))
            };
            rows.push(vec![
                format!("{from} ({})", cloud_display(src)),
                format!("{} ({})", child.repr(), cloud_display(dst)),
                size,
                py_float_repr(value),
            ]);
        }
    }
    if !rows.is_empty() {
        rows.reverse();
        let metric = if rep.target == Target::Cost {
            "COST ($)"
        } else {
            "TIME (s)"
        };
        let table = framed_table(&["SOURCE", "TARGET", "SIZE (GB)", metric], &rows);
        info(log, format!("Egress plan:\n{table}\n"));
    }
    Ok(())
}

/// `format_resource(best, simplified_only=True)`.
fn format_simplified(cat: &Catalogs, r: &Resources) -> Result<String> {
    let accs = launchable::accelerators(cat, r)?;
    let kube = r.cloud.is_some_and(|c| c.name() == "kubernetes");
    let mut parts = Vec::new();
    if let Some(m) = &accs
        && let Some((k, v)) = m.iter().next()
    {
        parts.push(format!("gpus={}:{}", k.py_str(), v.py_str()));
    }
    if (accs.is_none() || kube)
        && let (Some(cloud), Some(it)) = (launchable::cloud_of(r), r.instance_type.as_deref())
    {
        let (vcpus, mem) = cloud.get_vcpus_mem_from_instance_type(cat, it)?;
        let fmt = |x: f64| {
            if x.fract() == 0.0 {
                format!("{x:.0}")
            } else {
                format!("{x:.1}")
            }
        };
        if let Some(c) = vcpus {
            parts.push(format!("cpus={}", fmt(c)));
        }
        if let Some(m) = mem {
            parts.push(format!("mem={}", fmt(m)));
        }
    }
    if !kube && r.cloud.is_none_or(|c| c.name() != "slurm") {
        parts.push(truncate(
            r.instance_type.as_deref().unwrap_or(""),
            15,
            false,
        ));
    }
    parts.push("...".into());
    let spot = if r.use_spot { "[spot]" } else { "" };
    Ok(format!("{spot}({})", parts.join(", ")))
}

/// `_print_candidates`: for each task whose chosen resources carry
/// accelerators, the clouds where several instance types offer them.
/// (SkyPilot lists the instance types in a set's arbitrary order; stix
/// keeps the catalog's order.)
pub fn print_candidates(
    cat: &Catalogs,
    order: &[usize],
    filled: &[Option<&Filled>],
    best: &[Resources],
    log: &mut Log,
) -> Result<()> {
    for &i in order {
        let Some(Some(f)) = filled.get(i) else {
            continue;
        };
        let Some(accs) = launchable::accelerators(cat, &best[i])? else {
            continue;
        };
        let Some((name, count)) = accs.iter().next().map(|(k, v)| (k.py_str(), v.clone())) else {
            continue;
        };
        let want = format!("{name}:{}", count.py_str());
        let mut multi = false;
        for (cloud, list) in &f.cloud_candidates {
            let mut matching = Vec::new();
            for r in list {
                if accelerators_str(cat, r)? == want {
                    matching.push(r);
                }
            }
            if matching.len() > 1 {
                multi = true;
                let mut names: Vec<&str> = Vec::new();
                for r in &matching {
                    if let Some(it) = r.instance_type.as_deref()
                        && !names.contains(&it)
                    {
                        names.push(it);
                    }
                }
                let count_int = match &count {
                    Value::Float(x) => format!("{}", x.trunc() as i64),
                    other => other.py_str(),
                };
                info(
                    log,
                    format!(
                        "{DIM}\u{1f50d} Multiple {} instances satisfy {name}:{count_int}. The cheapest {} is considered among: {}.{RESET}",
                        cloud.repr(),
                        format_simplified(cat, &best[i])?,
                        names.join(", ")
                    ),
                );
            }
        }
        if multi {
            info(
                log,
                format!("To list more details, run: sky gpus list {name}\n"),
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncation_like_skypilot() {
        assert_eq!(
            truncate("a100-80gb.sxm.8x", 15, false),
            "a100-80gb.sxm.8..."
        );
        assert_eq!(truncate("g4dn.xlarge", 15, false), "g4dn.xlarge");
        assert_eq!(
            truncate("abcdefghijklmnopqrstuvwxyz0123", 25, true),
            "abcdefghijk...tuvwxyz0123"
        );
        assert_eq!(format_number(Some(8.0)), "8");
        assert_eq!(format_number(Some(7.5)), "7.5");
        assert_eq!(format_number(None), "-");
    }
}
