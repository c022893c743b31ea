//! `sky check`: which clouds have credentials, SkyPilot's report of it, and
//! the enabled clouds the optimizer plans on (cached in
//! `~/.sky/stix/enabled_clouds.json` until the state database takes it).
//!
//! `STIX_ASSUME_ENABLED=aws,gcp,...` makes the named clouds count as
//! enabled without any check (offline planning and tests). stix's `local`
//! infra is always enabled.

#[cfg(feature = "aws")]
pub mod aws;
pub mod creds;

use std::collections::BTreeSet;

use crate::clouds::{self, Cloud};
use crate::config::load::Env;
use crate::error::{Error, Result};
use crate::yaml::{Value, py_str_repr};
use creds::{Capability, RULES, Rule};

const DIM: &str = "\x1b[2m";
const GREEN: &str = "\x1b[32m";
const NORMAL: &str = "\x1b[22m";
const YELLOW: &str = "\x1b[93m";
const BOLD: &str = "\x1b[1m";
const RESET: &str = "\x1b[0m";

/// The environment variable that names clouds to treat as enabled.
pub const ASSUME_ENABLED_VAR: &str = "STIX_ASSUME_ENABLED";

/// The cache file, under `~`.
const CACHE: &str = "~/.sky/stix/enabled_clouds.json";

/// One cloud's check outcome per capability.
#[derive(Debug, Clone)]
pub struct CloudResult {
    /// `repr(cloud)`.
    pub repr: &'static str,
    /// `(capability, ok, reason)`.
    pub results: Vec<(Capability, bool, Option<String>)>,
}

impl CloudResult {
    /// The enabled capabilities.
    pub fn enabled(&self) -> Vec<Capability> {
        self.results.iter().filter(|r| r.1).map(|r| r.0).collect()
    }
}

/// What `sky check` did: its printed text and the enabled clouds.
#[derive(Debug, Clone)]
pub struct Report {
    /// Text as SkyPilot echoes it (colour codes included).
    pub text: String,
    /// Checked clouds, sorted by name.
    pub clouds: Vec<CloudResult>,
    /// Enabled clouds (lower-case names) after the check.
    pub enabled: Vec<String>,
}

/// `allowed_clouds` from the config (display names), or every cloud.
fn allowed(env: &Env) -> Result<Vec<String>> {
    let all = || {
        RULES
            .iter()
            .map(|r| r.repr.to_string())
            .chain(["Local".to_string()])
            .collect()
    };
    match crate::config::state::get_nested(env, &[Value::from("allowed_clouds")], None)? {
        Some(Value::Seq(items)) => {
            let mut out = Vec::new();
            for i in items {
                let name = i.py_str();
                let repr = creds::rule(&name).map_or(name.clone(), |r| r.repr.to_string());
                out.push(if name.eq_ignore_ascii_case("local") {
                    "Local".into()
                } else {
                    repr
                });
            }
            Ok(out)
        }
        _ => Ok(all()),
    }
}

fn valid_names_error(name: &str) -> Error {
    let mut all: Vec<String> = RULES.iter().map(|r| r.repr.to_lowercase()).collect();
    all.push("local".into());
    all.sort();
    Error::value(format!(
        "Cloud {} is not a valid cloud among {}",
        py_str_repr(name),
        crate::spec::schema::list_repr(&all)
    ))
}

fn read_cache(env: &Env) -> Option<(Vec<String>, Vec<String>)> {
    let text = std::fs::read_to_string(env.on_disk(&env.expanduser(CACHE))).ok()?;
    let json: serde_json::Value = serde_json::from_str(&text).ok()?;
    let list = |k: &str| -> Option<Vec<String>> {
        Some(
            json[k]
                .as_array()?
                .iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect(),
        )
    };
    Some((list("enabled")?, list("allowed")?))
}

fn write_cache(env: &Env, enabled: &[String], allowed: &[String]) -> Result<()> {
    let path = env.on_disk(&env.expanduser(CACHE));
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| crate::spec::dag::io_error(&e, &dir.to_string_lossy()))?;
    }
    let json = serde_json::json!({"enabled": enabled, "allowed": allowed});
    std::fs::write(&path, format!("{json}\n"))
        .map_err(|e| crate::spec::dag::io_error(&e, &path.to_string_lossy()))
}

fn check_one(env: &Env, rule: &Rule, allowed: bool) -> CloudResult {
    let results = if !allowed {
        let reason = format!(
            "{} is not included in allowed_clouds in ~/.sky/config.yaml",
            rule.repr
        );
        rule.capabilities
            .iter()
            .map(|c| (*c, false, Some(reason.clone())))
            .collect()
    } else {
        rule.capabilities
            .iter()
            .map(|c| {
                let (ok, reason) = creds::check_capability(env, rule, *c);
                (*c, ok, reason)
            })
            .collect()
    };
    CloudResult {
        repr: rule.repr,
        results,
    }
}

fn caps(list: &[Capability]) -> String {
    list.iter()
        .map(|c| c.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// `_print_checked_cloud`.
fn print_cloud(out: &mut String, r: &CloudResult) {
    let enabled = r.enabled();
    let (style, status, cap_str) = if enabled.is_empty() {
        (DIM.to_string(), "disabled", String::new())
    } else {
        (
            format!("{GREEN}{NORMAL}"),
            "enabled",
            format!("[{}]", caps(&enabled)),
        )
    };
    out.push_str(&format!(
        "{style}  {}: {status} {cap_str}{RESET}{RESET}\n",
        r.repr
    ));
    // Reasons shared by several capabilities print once, in first-seen order.
    let mut hints: Vec<(String, Vec<Capability>)> = Vec::new();
    let mut reasons: Vec<(String, Vec<Capability>)> = Vec::new();
    for (cap, ok, reason) in &r.results {
        let Some(reason) = reason else { continue };
        let bucket = if *ok { &mut hints } else { &mut reasons };
        match bucket.iter_mut().find(|(t, _)| t == reason) {
            Some((_, cs)) => cs.push(*cap),
            None => bucket.push((reason.clone(), vec![*cap])),
        }
    }
    for (text, cs) in hints {
        out.push_str(&format!(
            "    Hint [{}]: {YELLOW}{text}{RESET}\n",
            caps(&cs)
        ));
    }
    for (text, cs) in reasons {
        out.push_str(&format!("    Reason [{}]: {text}\n", caps(&cs)));
    }
}

/// `sky check [clouds...]`: checks, prints SkyPilot's report, updates the
/// enabled-cloud cache.
pub fn run_check(env: &Env, clouds: Option<&[String]>) -> Result<Report> {
    let allowed = allowed(env)?;
    let mut rules: Vec<&'static Rule> = Vec::new();
    let mut with_local = clouds.is_none();
    match clouds {
        Some(names) => {
            for n in names {
                if n.eq_ignore_ascii_case("local") {
                    with_local = true;
                    continue;
                }
                let r = creds::rule(n).ok_or_else(|| valid_names_error(n))?;
                if !rules.iter().any(|x| x.repr == r.repr) {
                    rules.push(r);
                }
            }
        }
        None => rules.extend(RULES.iter().filter(|r| allowed.iter().any(|a| a == r.repr))),
    }
    let mut results: Vec<CloudResult> = rules
        .iter()
        .map(|r| check_one(env, r, allowed.iter().any(|a| a == r.repr)))
        .collect();
    if with_local {
        let ok = allowed.iter().any(|a| a == "Local");
        let reason = (!ok)
            .then(|| "Local is not included in allowed_clouds in ~/.sky/config.yaml".to_string());
        results.push(CloudResult {
            repr: "Local",
            results: vec![(Capability::Compute, ok, reason)],
        });
    }
    results.sort_by(|a, b| a.repr.cmp(b.repr));
    let mut text = String::from("Checking credentials to enable infra for SkyPilot.\n");
    for r in &results {
        print_cloud(&mut text, r);
    }
    // (previously enabled + newly enabled - newly disabled) within allowed.
    let previous = read_cache(env).map(|(e, _)| e).unwrap_or_default();
    let mut enabled: BTreeSet<String> = previous.into_iter().collect();
    for r in &results {
        let name = r.repr.to_lowercase();
        let compute = r
            .results
            .iter()
            .any(|(c, ok, _)| *c == Capability::Compute && *ok);
        let storage_only = r.results.iter().all(|(c, _, _)| *c == Capability::Storage);
        if compute && !storage_only {
            enabled.insert(name);
        } else {
            enabled.remove(&name);
        }
    }
    enabled.retain(|c| allowed.iter().any(|a| a.eq_ignore_ascii_case(c)));
    let enabled: Vec<String> = enabled.into_iter().collect();
    write_cache(env, &enabled, &allowed)?;
    let shown: Vec<&CloudResult> = results.iter().filter(|r| !r.enabled().is_empty()).collect();
    text.push_str(&format!(
        "\n{GREEN}\u{1f389} Enabled infra \u{1f389}{RESET}"
    ));
    if shown.is_empty() {
        text.push_str("\n  No infra to check/enabled.");
    } else {
        for r in shown {
            text.push_str(&format!(
                "\n  {GREEN}{} [{}]{RESET}",
                r.repr,
                caps(&r.enabled())
            ));
        }
    }
    let disallowed: Vec<&str> = RULES
        .iter()
        .map(|r| r.repr)
        .chain(["Local"])
        .filter(|c| !allowed.iter().any(|a| a == c))
        .collect();
    if !disallowed.is_empty() {
        text.push_str(&format!(
            "\nNote: The following clouds were disabled because they were not included in allowed_clouds in ~/.sky/config.yaml: {}",
            disallowed.join(", ")
        ));
    }
    text.push('\n');
    text.push_str(&format!(
        "{DIM}\nTo enable a cloud, follow the hints above and rerun: {RESET}{BOLD}sky check{RESET}\n{DIM}If any problems remain, refer to detailed docs at: https://docs.skypilot.co/en/latest/getting-started/installation.html{RESET}\n"
    ));
    Ok(Report {
        text,
        clouds: results,
        enabled,
    })
}

/// The enabled clouds stix plans on, in registry order: the
/// `STIX_ASSUME_ENABLED` list if set, else the cached `sky check` result
/// (checked again when missing or when `allowed_clouds` changed); `local`
/// always, unless `allowed_clouds` leaves it out.
pub fn enabled_clouds(env: &Env) -> Result<Vec<&'static dyn Cloud>> {
    let allowed = allowed(env)?;
    let names: Vec<String> = match env.var(ASSUME_ENABLED_VAR) {
        Some(list) => {
            let mut out = Vec::new();
            for n in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
                let c = clouds::by_name(n).ok_or_else(|| valid_names_error(n))?;
                out.push(c.name().to_string());
            }
            out
        }
        None => match read_cache(env) {
            Some((enabled, cached_allowed)) if cached_allowed == allowed => enabled,
            _ => run_check(env, None)?.enabled,
        },
    };
    Ok(clouds::REGISTRY
        .iter()
        .copied()
        .filter(|c| c.name() == "local" || names.iter().any(|n| n == c.name()))
        .filter(|c| {
            allowed
                .iter()
                .any(|a| a.eq_ignore_ascii_case(c.name()) || a.eq_ignore_ascii_case(c.repr()))
        })
        .collect())
}

/// The infras `sky status` lists as enabled (SkyPilot's
/// `enabled_clouds(expand=True)`): the cached `sky check` result (never a
/// new check) or `STIX_ASSUME_ENABLED`, plus `local`; SSH and Kubernetes
/// first, then the clouds, each group sorted.
pub fn enabled_infras(env: &Env) -> Vec<String> {
    let mut names: Vec<String> = match env.var(ASSUME_ENABLED_VAR) {
        Some(list) => list.split(',').map(|n| n.trim().to_lowercase()).collect(),
        None => read_cache(env).map(|(e, _)| e).unwrap_or_default(),
    };
    names.push("local".into());
    let allowed = allowed(env).unwrap_or_default();
    let mut names: Vec<String> = names
        .into_iter()
        .filter(|n| !n.is_empty() && allowed.iter().any(|a| a.eq_ignore_ascii_case(n)))
        .map(|n| clouds::by_name(&n).map_or(n, |c| c.name().to_string()))
        .collect();
    names.sort_by_key(|n| (!matches!(n.as_str(), "ssh" | "kubernetes"), n.clone()));
    names.dedup();
    names
}

/// Checks `names` again (quietly) and returns the enabled clouds: what the
/// optimizer does for clouds a task names that were not enabled.
pub fn recheck(env: &Env, names: &[String]) -> Result<Vec<&'static dyn Cloud>> {
    if env.var(ASSUME_ENABLED_VAR).is_none() && !names.is_empty() {
        run_check(env, Some(names))?;
    }
    enabled_clouds(env)
}
