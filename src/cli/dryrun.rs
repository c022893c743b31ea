//! `sky launch --dryrun`: the optimizer's plan for the task, printed as
//! SkyPilot prints it, on the enabled clouds (`sky check`, or
//! `STIX_ASSUME_ENABLED`).

use crate::catalog::Catalogs;
use crate::check;
use crate::config::load::Env;
use crate::error::Result;
use crate::optimizer::{self, Dag, Log, NoEstimator, Options, Target};
use crate::spec::Task;

/// `SKYPILOT_MINIMIZE_LOGGING` (on unless set to something false).
pub fn minimize_logging(env: &Env) -> bool {
    env.var("SKYPILOT_MINIMIZE_LOGGING")
        .is_none_or(|v| !matches!(v.to_lowercase().as_str(), "0" | "false" | "no"))
}

/// The enabled clouds, with clouds the tasks name checked again when not
/// enabled (`_check_specified_clouds`).
pub fn enabled_for(env: &Env, tasks: &[Task]) -> Result<Vec<&'static dyn crate::clouds::Cloud>> {
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

/// Plans `task`; returns what was logged and the outcome.
pub fn plan(task: Task) -> (Log, Result<optimizer::Plan>) {
    let env = Env::process();
    let mut log = Log::new();
    let mut tasks = vec![task];
    let result = (|| {
        let enabled = enabled_for(&env, &tasks)?;
        let cat = Catalogs::shared();
        let opts = Options {
            target: Target::Cost,
            blocked: &[],
            quiet: false,
            enabled: &enabled,
            minimize_logging: minimize_logging(&env),
        };
        optimizer::optimize(
            &cat,
            Dag {
                tasks: &mut tasks,
                edges: &[],
            },
            &NoEstimator,
            &opts,
            &mut log,
        )
    })();
    (log, result)
}
