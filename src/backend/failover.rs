//! SkyPilot's `RetryingVmProvisioner` (`provision_with_retries`,
//! `_retry_zones`): try the optimizer's choice zone by zone (region by
//! region where an infra has no zones); when a provisioner answers
//! `ResourcesUnavailable`, tear down what the attempt left, block that
//! zone, and go on; when a whole region fails, block it, optimize again
//! without it and try the next candidate. The reasons are kept in a
//! failover history and listed in the final error as SkyPilot lists them.

use super::plan::{Planner, launched_from, log_lines};
use super::provisioning::{RecordInfo, new_handle, provision_once, provisioner_for};
use super::{ClusterHandle, LaunchedResources, Progress, ProgressSink};
use crate::catalog::Catalogs;
use crate::clouds::launchable;
use crate::error::{Error, ErrorKind, Result};
use crate::optimizer::fill::should_be_blocked_by;
use crate::optimizer::report::{infra_str, truncate};
use crate::spec::{Resources, Task};
use crate::state::StateDb;

/// The heading of the final error (`_RESOURCES_UNAVAILABLE_LOG`).
pub const RESOURCES_UNAVAILABLE_LOG: &str =
    "Reasons for provision failures (for details, please check the log above):";

/// Seconds `--retry-until-up` waits between rounds
/// (`_RETRY_UNTIL_UP_INIT_GAP_SECONDS`).
pub const RETRY_UNTIL_UP_GAP_SECONDS: u64 = 30;

/// Overrides [`RETRY_UNTIL_UP_GAP_SECONDS`] (tests wait less).
pub const RETRY_GAP_ENV: &str = "STIX_RETRY_UNTIL_UP_GAP_SECONDS";

const RESET: &str = "\x1b[0m";

/// `ux_utils.retry_message`.
pub fn retry_message(msg: &str) -> String {
    format!("{RESET}\x1b[33m↺{RESET} {msg}")
}

/// `ux_utils.provision_hint`.
pub fn provision_hint(cluster: &str) -> String {
    format!("\x1b[2mView logs: \x1b[1msky logs --provision {cluster}\x1b[0m{RESET}")
}

/// `ux_utils.error_message` with the provision log hint.
pub fn error_message(msg: &str, cluster: &str) -> String {
    format!("{RESET}\x1b[31m⨯{RESET} {msg}  {}", provision_hint(cluster))
}

/// `Launching on AWS us-east-1 (us-east-1a).` (without the starting mark).
pub fn launching_on(lr: &LaunchedResources) -> String {
    let cloud = lr.cloud_display();
    let region = lr.region.clone().unwrap_or_default();
    if matches!(lr.cloud.as_str(), "kubernetes" | "ssh") {
        // SkyPilot's Kubernetes branch: the pool in brackets, no period.
        return match region.strip_prefix("ssh-") {
            Some(pool) => format!("Launching on {cloud} ({pool})"),
            None => format!("Launching on {cloud}."),
        };
    }
    let zone = lr
        .zone
        .as_deref()
        .map(|z| format!(" ({z})"))
        .unwrap_or_default();
    format!("Launching on {cloud} {region}{RESET}{zone}.")
}

/// How long `--retry-until-up` waits.
fn retry_gap() -> u64 {
    std::env::var(RETRY_GAP_ENV)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(RETRY_UNTIL_UP_GAP_SECONDS)
}

/// `--retry-until-up` after a failed round: logs the error and SkyPilot's
/// retry hint, then waits the gap.
pub fn wait_before_retry(e: &Error, cluster: &str, progress: ProgressSink<'_>) {
    let gap = retry_gap();
    progress(Progress::Info(e.message.clone()));
    progress(Progress::Info(format!(
        "\n{} {}{RESET}",
        retry_message(&format!("Retry after {gap}s ")),
        provision_hint(cluster)
    )));
    std::thread::sleep(std::time::Duration::from_secs(gap));
}

/// The launchables that failed (`blocked_resources`): a launchable is
/// skipped when it matches every field an entry sets.
#[derive(Debug, Clone, Default)]
pub struct Blocklist {
    items: Vec<Resources>,
}

impl Blocklist {
    /// `_add_to_blocked_resources`: adds `r` unless an entry already
    /// blocks it.
    pub fn add(&mut self, cat: &Catalogs, r: Resources) -> Result<()> {
        if !self.blocks(cat, &r)? {
            self.items.push(r);
        }
        Ok(())
    }

    /// Whether some entry blocks `r`.
    pub fn blocks(&self, cat: &Catalogs, r: &Resources) -> Result<bool> {
        for b in &self.items {
            if should_be_blocked_by(cat, r, b)? {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// The entries, for the optimizer.
    pub fn as_slice(&self) -> &[Resources] {
        &self.items
    }
}

/// `zones_provision_loop` narrowed to the launchable's region: the zones
/// to try one at a time (`[None]` for an infra without zones, nothing
/// when the region does not offer it).
pub fn zones_to_try(cat: &Catalogs, to_provision: &Resources) -> Result<Vec<Option<String>>> {
    if let Some(z) = &to_provision.zone {
        return Ok(vec![Some(z.clone())]);
    }
    let regions = launchable::valid_regions_for_launchable(cat, to_provision)?;
    let Some(region) = regions
        .into_iter()
        .find(|r| Some(&r.name) == to_provision.region.as_ref())
    else {
        return Ok(Vec::new());
    };
    Ok(match region.zones {
        Some(zones) => zones.into_iter().map(Some).collect(),
        None => vec![None],
    })
}

/// `{AWS(cpus=2)}`: the Python set of the task's requested resources.
fn requested_set(cat: &Catalogs, task: &Task) -> Result<String> {
    let mut shown = Vec::new();
    for r in task.resources.items() {
        shown.push(launchable::repr(cat, r)?);
    }
    Ok(format!("{{{}}}", shown.join(", ")))
}

/// `_insufficient_resources_msg`.
fn insufficient_msg(
    to_provision: &Resources,
    requested: &str,
    last_error_reason: Option<&str>,
) -> String {
    let mut m = String::from("Failed to acquire resources ");
    let cloud = to_provision.cloud.map_or("None", |c| c.display());
    match (&to_provision.zone, &to_provision.region) {
        (Some(z), _) => m.push_str(&format!("in {z} for {requested}. ")),
        (None, Some(region)) => match region.strip_prefix("ssh-") {
            Some(pool) if to_provision.cloud.is_some_and(|c| c.name() == "ssh") => {
                m.push_str(&format!(
                    "in SSH Node Pool ({pool}) for {requested}. The SSH Node Pool may not \
                     have enough resources."
                ))
            }
            _ if to_provision.cloud.is_some_and(|c| c.name() == "kubernetes") => {
                m.push_str(&format!("in context {region} for {requested}. "))
            }
            _ => m.push_str(&format!("in all zones in {region} for {requested}. ")),
        },
        (None, None) => m.push_str(&format!("{cloud} for {requested}. ")),
    }
    if let Some(reason) = last_error_reason {
        m = format!("{}\nReason: {reason}", m.trim_end());
    }
    m
}

/// `resources_utils.format_resource(r, simplified_only=True)`.
fn format_resource(cat: &Catalogs, r: &Resources) -> Result<String> {
    let lr = launched_from(cat, r)?;
    let mut parts = Vec::new();
    let kube = matches!(lr.cloud.as_str(), "kubernetes" | "ssh");
    if let Some((acc, n)) = &lr.accelerators {
        parts.push(format!("gpus={acc}:{}", crate::yaml::py_float_repr(*n)));
    }
    if lr.accelerators.is_none() || kube {
        let f = crate::clouds::virtual_type::format_float;
        if let Some(c) = lr.cpus {
            parts.push(format!("cpus={}", f(c)));
        }
        if let Some(m) = lr.memory_gb {
            parts.push(format!("mem={}", f(m)));
        }
    }
    if !kube && lr.cloud != "slurm" {
        parts.push(truncate(
            lr.instance_type.as_deref().unwrap_or(""),
            15,
            false,
        ));
    }
    parts.push("...".into());
    let spot = if lr.use_spot { "[spot]" } else { "" };
    Ok(format!("{spot}({})", parts.join(", ")))
}

/// `_format_provision_failure_blocks`.
fn failure_blocks(cat: &Catalogs, failures: &[(Resources, Error)]) -> Result<String> {
    let mut lines = vec![format!(
        "Provision failures (tried {} infra):\n",
        failures.len()
    )];
    for (r, e) in failures {
        lines.push(format!(
            "\u{2717} {} \u{2014} {}",
            infra_str(r),
            format_resource(cat, r)?
        ));
        for l in e.message.split('\n') {
            lines.push(if l.is_empty() {
                String::new()
            } else {
                format!("  {l}")
            });
        }
        lines.push(String::new());
    }
    Ok(format!("{}\n", lines.join("\n").trim_end()))
}

/// One launch being provisioned with failover.
pub struct Failover<'a> {
    /// The optimizer set up for the task.
    pub planner: &'a Planner,
    /// The task (re-optimized in place as resources get blocked).
    pub task: Task,
    /// The cluster's name.
    pub cluster_name: String,
    /// Nodes to launch.
    pub num_nodes: u32,
    /// What the record keeps.
    pub info: RecordInfo,
    /// Launchables that failed.
    pub blocked: Blocklist,
    /// What each failed candidate raised, in order (`failover_history`).
    pub history: Vec<Error>,
}

impl Failover<'_> {
    /// Logs a `logger.info` line.
    fn log(progress: ProgressSink<'_>, line: String) {
        progress(Progress::Info(line));
    }

    /// Tears down what a failed attempt left (the handle as last saved).
    fn cleanup(&self, state: &mut StateDb) -> Result<()> {
        let Some(record) = state.get_cluster(&self.cluster_name)? else {
            return Ok(());
        };
        let handle = ClusterHandle::from_json(&record.handle)?;
        if handle.provider_name.is_empty() || handle.provider_config.is_null() {
            return Ok(());
        }
        let p = provisioner_for(&handle.provider_name)?;
        p.terminate_instances(
            &handle.cluster_name_on_cloud,
            &handle.provider_config,
            false,
        )
        .map_err(|e| {
            Error::new(
                ErrorKind::Runtime,
                format!(
                    "During provisioner's failover, terminating {} failed. This can cause \
                         resource leakage. Please check the failure and the cluster status on \
                         the cloud, and manually terminate the cluster. Details: [{}] {}",
                    crate::yaml::py_str_repr(&self.cluster_name),
                    e.kind.python_qualname(),
                    e.message
                ),
            )
        })
    }

    /// `_retry_zones`: every unblocked zone of `to_provision`'s region.
    fn retry_zones(
        &mut self,
        state: &mut StateDb,
        to_provision: &Resources,
        progress: ProgressSink<'_>,
    ) -> Result<ClusterHandle> {
        let cat = self.planner.cat.clone();
        let requested = requested_set(&cat, &self.task)?;
        let mut last_error_reason = None;
        for zone in zones_to_try(&cat, to_provision)? {
            let mut attempt = to_provision.clone();
            attempt.zone = zone.clone();
            if zone.is_some() && self.blocked.blocks(&cat, &attempt)? {
                continue;
            }
            let launched = launched_from(&cat, &attempt)?;
            let mut handle = new_handle(&self.cluster_name, launched, self.num_nodes);
            // A provider config that cannot be built here (no image in the
            // region) fails over like a capacity error.
            let seeded = provisioner_for(&handle.provider_name).and_then(|p| {
                p.deploy_vars(
                    &cat,
                    &self.cluster_name,
                    &handle.launched_resources,
                    &attempt,
                )
            });
            let attempted = seeded.and_then(|pc| {
                handle.provider_config = pc;
                provision_once(state, handle, &self.info, None, progress)
            });
            match attempted {
                Ok(h) => return Ok(h),
                Err(e) if e.kind == ErrorKind::ResourcesUnavailable => {
                    self.cleanup(state)?;
                    let cloud = to_provision.cloud.map(|c| c.name());
                    if cloud == Some("aws") {
                        Self::log(progress, format!("AWS handler error: {}", e.message));
                    }
                    if matches!(cloud, Some("kubernetes" | "ssh")) {
                        last_error_reason = Some(e.message.clone());
                    }
                    // As in SkyPilot, a zone's error is not in the failover
                    // history; the region's summary below is.
                    self.blocked.add(&cat, attempt)?;
                }
                Err(e) => {
                    // Not a capacity problem: no other zone would do better.
                    let _ = self.cleanup(state);
                    return Err(e);
                }
            }
        }
        Err(Error::new(
            ErrorKind::ResourcesUnavailable,
            insufficient_msg(to_provision, &requested, last_error_reason.as_deref()),
        ))
    }

    /// `provision_with_retries`: tries `to_provision`, then whatever the
    /// optimizer picks with the failed launchables blocked, until one comes
    /// up or none is left. Returns the handle and the launchable used.
    pub fn run(
        &mut self,
        state: &mut StateDb,
        mut to_provision: Resources,
        progress: ProgressSink<'_>,
    ) -> Result<(ClusterHandle, Resources)> {
        let cat = self.planner.cat.clone();
        let mut failures: Vec<(Resources, Error)> = Vec::new();
        loop {
            let attempt = launched_from(&cat, &to_provision)
                .and_then(|lr| provisioner_for(&lr.cloud))
                .and_then(|_| self.retry_zones(state, &to_provision, progress));
            let e = match attempt {
                Ok(h) => return Ok((h, to_provision)),
                Err(e) if e.kind == ErrorKind::NotSupported => {
                    // Nothing of this cloud can be launched: block all of it.
                    let whole_cloud = Resources {
                        cloud: to_provision.cloud,
                        ..Resources::default()
                    };
                    self.blocked.add(&cat, whole_cloud)?;
                    e
                }
                Err(e) if e.kind == ErrorKind::ResourcesUnavailable => e,
                Err(e) => return Err(e),
            };
            progress(Progress::Info(format!(
                "{}: {}",
                e.kind.python_qualname(),
                e.message
            )));
            self.history.push(e.clone());
            self.blocked.add(&cat, to_provision.clone())?;
            failures.push((to_provision.clone(), e));
            Self::log(
                progress,
                format!("\n{}", retry_message("Trying other potential resources.")),
            );
            progress(Progress::Spinner("Looking for resources".into()));
            let mut log = Vec::new();
            let planned =
                self.planner
                    .optimize(&mut self.task, self.blocked.as_slice(), false, &mut log);
            for line in log_lines(&log) {
                Self::log(progress, line);
            }
            match planned {
                Ok(plan) => match plan.best.into_iter().next() {
                    Some(best) => to_provision = best,
                    None => return Err(Error::assertion("The optimizer chose nothing.")),
                },
                Err(e) if e.kind == ErrorKind::ResourcesUnavailable => {
                    return Err(Error::new(
                        ErrorKind::ResourcesUnavailable,
                        format!(
                            "{RESOURCES_UNAVAILABLE_LOG}\n{}",
                            failure_blocks(&cat, &failures)?
                        ),
                    )
                    .with_failover_history(self.history.clone()));
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// `CloudVmRayBackend._provision`'s wording of a failed round.
    pub fn final_error(&self, state: &mut StateDb, e: Error, retry_until_up: bool) -> Error {
        let first = self
            .task
            .resources
            .items()
            .first()
            .and_then(|r| launchable::repr(&self.planner.cat, r).ok())
            .unwrap_or_default();
        let msg = format!(
            "\x1b[31mFailed to provision all possible launchable resources.{RESET} Relax the \
             task's resource requirements: {}x {first}",
            self.num_nodes
        );
        let history = e.failover_history.clone();
        if retry_until_up {
            return Error::new(ErrorKind::ResourcesUnavailable, msg).with_failover_history(history);
        }
        let _ = state.remove_cluster(&self.cluster_name, true);
        Error::new(
            ErrorKind::ResourcesUnavailable,
            format!(
                "{msg}\nTo keep retrying until the cluster is up, use the `--retry-until-up` \
                 flag.\n{}",
                e.message
            ),
        )
        .with_failover_history(history)
    }
}

#[cfg(test)]
mod tests;
