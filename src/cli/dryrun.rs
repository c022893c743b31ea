//! `sky launch --dryrun`: the optimizer's plan for the task, printed as
//! SkyPilot prints it, on the enabled clouds (`sky check`, or
//! `STIX_ASSUME_ENABLED`).

use crate::backend::plan::Planner;
use crate::error::Result;
use crate::optimizer::{self, Log};
use crate::spec::Task;

pub use crate::backend::plan::{enabled_for, minimize_logging};

/// Plans `task`; returns what was logged and the outcome.
pub fn plan(mut task: Task) -> (Log, Result<optimizer::Plan>) {
    let mut log = Log::new();
    let result = Planner::for_task(&task).and_then(|p| p.optimize(&mut task, &[], false, &mut log));
    (log, result)
}
