//! `_check_specified_clouds`: a task that names clouds which are not
//! enabled fails when every resources it requests is on such a cloud, and
//! is warned otherwise.

use super::ansi::{BOLD, RESET, YELLOW};
use super::fill::is_enabled;
use super::{Log, warning};
use crate::catalog::Catalogs;
use crate::clouds::Cloud;
use crate::error::{Error, ErrorKind, Result};
use crate::spec::Task;
use crate::yaml::py_str_repr;

/// Checks every task's named clouds against `enabled`.
pub fn check_specified_clouds(
    _cat: &Catalogs,
    tasks: &[Task],
    enabled: &[&'static dyn Cloud],
    log: &mut Log,
) -> Result<()> {
    if enabled.is_empty() {
        return Err(super::plan::no_cloud_access());
    }
    for task in tasks {
        // `str(resources.cloud)` of each request ('None' when unset).
        let mut specified: Vec<Option<&'static str>> = Vec::new();
        let mut disabled: Vec<&'static str> = Vec::new();
        for r in task.resources.items() {
            let name = r.cloud.map(|c| c.name());
            if !specified.contains(&name) {
                specified.push(name);
            }
            if let Some(c) = r.cloud
                && !is_enabled(c, enabled)
                && !disabled.contains(&c.name())
            {
                disabled.push(c.name());
            }
        }
        if disabled.is_empty() {
            continue;
        }
        let is_or_are = if disabled.len() == 1 { "is" } else { "are" };
        let task_name = task
            .name
            .as_deref()
            .map_or(String::new(), |n| format!(" {}", py_str_repr(n)));
        let msg = format!(
            "Task{task_name} requires {} which {is_or_are} not enabled. To enable access, change the task cloud requirement or run: {BOLD}sky check {}{RESET}",
            disabled.join(", "),
            disabled.join(" ")
        );
        let all_disabled =
            specified.len() == disabled.len() && specified.iter().all(|s| s.is_some());
        if all_disabled {
            return Err(Error::new(ErrorKind::ResourcesUnavailable, msg));
        }
        warning(log, format!("{YELLOW}{msg}{RESET}"));
    }
    Ok(())
}
