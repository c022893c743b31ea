//! What a launch runs on: the optimizer (the same code `sky launch
//! --dryrun` prints) over the enabled infras (`sky check`'s cache,
//! `STIX_ASSUME_ENABLED`, `local` always), and the chosen launchable turned
//! into the handle's launched resources.

use std::sync::Arc;

use super::LaunchedResources;
use crate::catalog::Catalogs;
use crate::check;
use crate::clouds::{Cloud, launchable};
use crate::config::load::Env;
use crate::error::Result;
use crate::optimizer::{self, Dag, Level, Log, NoEstimator, Options, Plan, Target};
use crate::spec::{Resources, Task};

/// `SKYPILOT_MINIMIZE_LOGGING` (on unless set to something false).
pub fn minimize_logging(env: &Env) -> bool {
    env.var("SKYPILOT_MINIMIZE_LOGGING")
        .is_none_or(|v| !matches!(v.to_lowercase().as_str(), "0" | "false" | "no"))
}

/// The enabled clouds, with clouds the tasks name checked again when not
/// enabled (`_check_specified_clouds`).
pub fn enabled_for(env: &Env, tasks: &[Task]) -> Result<Vec<&'static dyn Cloud>> {
    let enabled = check::enabled_clouds(env)?;
    let mut missing: Vec<String> = Vec::new();
    for t in tasks {
        for r in t.resources.items() {
            if let Some(c) = r.cloud
                && !enabled.iter().any(|e| e.name() == c.name())
                && !missing.iter().any(|m| m == c.name())
            {
                missing.push(c.name().to_string());
            }
        }
    }
    if missing.is_empty() {
        Ok(enabled)
    } else {
        check::recheck(env, &missing)
    }
}

/// The optimizer set up for one task: catalogs, enabled infras, logging.
pub struct Planner {
    /// The catalogs.
    pub cat: Arc<Catalogs>,
    /// The enabled infras.
    pub enabled: Vec<&'static dyn Cloud>,
    /// `SKYPILOT_MINIMIZE_LOGGING`.
    pub minimize_logging: bool,
}

impl Planner {
    /// A planner for `task` in this process's environment.
    pub fn for_task(task: &Task) -> Result<Planner> {
        let env = Env::process();
        let enabled = enabled_for(&env, std::slice::from_ref(task))?;
        let cat = Catalogs::shared();
        #[cfg(feature = "aws")]
        if enabled.iter().any(|c| c.name() == "aws") {
            // The account's zone names replace the catalog's zone ids; a
            // failure leaves the ids (SkyPilot's default-catalog fallback).
            let _ = crate::provision::aws_zones::ensure(&cat);
        }
        Ok(Planner {
            enabled,
            cat,
            minimize_logging: minimize_logging(&env),
        })
    }

    /// `Optimizer.optimize` of the one-task dag, skipping `blocked`; what
    /// SkyPilot logs is appended to `log` (also when it fails). `task` is
    /// validated in place, as SkyPilot's optimizer does.
    pub fn optimize(
        &self,
        task: &mut Task,
        blocked: &[Resources],
        quiet: bool,
        log: &mut Log,
    ) -> Result<Plan> {
        let opts = Options {
            target: Target::Cost,
            blocked,
            quiet,
            enabled: &self.enabled,
            minimize_logging: self.minimize_logging,
        };
        optimizer::optimize(
            &self.cat,
            Dag {
                tasks: std::slice::from_mut(task),
                edges: &[],
            },
            &NoEstimator,
            &opts,
            log,
        )
    }

    /// The handle's launched resources for a launchable.
    pub fn launched(&self, r: &Resources) -> Result<LaunchedResources> {
        launched_from(&self.cat, r)
    }
}

/// The optimizer's log as progress lines (SkyPilot's stdout handler
/// writes inner newlines as `\r\n`).
pub fn log_lines(log: &[optimizer::LogLine]) -> impl Iterator<Item = String> + '_ {
    log.iter()
        .filter(|l| l.level != Level::Debug)
        .map(|l| l.text.replace('\n', "\r\n"))
}

/// What a launchable (cloud, region, zone, instance type) launches.
pub fn launched_from(cat: &Catalogs, r: &Resources) -> Result<LaunchedResources> {
    let cloud = launchable::cloud_of(r);
    let (cpus, memory_gb) = match (cloud, r.instance_type.as_deref()) {
        (Some(c), Some(it)) => c.get_vcpus_mem_from_instance_type(cat, it)?,
        _ => (None, None),
    };
    let accelerators = launchable::accelerators(cat, r)?.and_then(|m| {
        let (k, v) = m.iter().next()?;
        let count = match v {
            crate::yaml::Value::Int(i) => *i as f64,
            crate::yaml::Value::Float(f) => *f,
            other => other.py_str().parse().unwrap_or(1.0),
        };
        Some((k.py_str(), count))
    });
    Ok(LaunchedResources {
        cloud: r.cloud.map_or_else(String::new, |c| c.name().to_string()),
        region: r.region.clone(),
        zone: r.zone.clone(),
        instance_type: r.instance_type.clone(),
        cpus,
        memory_gb,
        accelerators,
        use_spot: r.use_spot,
        ports: r.ports.clone().unwrap_or_default(),
    })
}

/// The launchable an existing cluster was launched with (what a restart
/// or a failover of an INIT cluster provisions again).
pub fn resources_of(lr: &LaunchedResources) -> Resources {
    Resources {
        cloud: crate::spec::infra::Cloud::from_str(&lr.cloud).ok(),
        region: lr.region.clone(),
        zone: lr.zone.clone(),
        instance_type: lr.instance_type.clone(),
        use_spot: lr.use_spot,
        ports: (!lr.ports.is_empty()).then(|| lr.ports.clone()),
        ..Resources::default()
    }
}
