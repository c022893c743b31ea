//! `sky ssh up` / `sky ssh down` (SkyPilot's `ssh_node_pools.deploy.run`),
//! without Kubernetes: every host of a pool is reached over SSH (all in
//! parallel), its CPUs, memory and GPUs are read, the stix runtime is
//! deployed on it, and what was found is recorded in the pool inventory;
//! `down` removes the runtime from the hosts and forgets the pool. Lines
//! are worded and coloured as SkyPilot logs them and go to a callback.

use std::time::Duration;

use super::detect::{self, Detected};
use super::file::{self, Pool, PoolFile};
use super::inventory::{HostRecord, Inventory};
use crate::error::{Error, ErrorKind, Result};
use crate::provision::ssh::runner_spec;
use crate::runner::{CommandRunner, RunRequest};

const CYAN: &str = "\x1b[36m";
const GREEN: &str = "\x1b[32m";
const YELLOW: &str = "\x1b[33m";
const RED: &str = "\x1b[31m";
const BRIGHT: &str = "\x1b[1m";
const RESET: &str = "\x1b[0m";

/// What `up` does on a host once it answers: deploy the runtime (or, for
/// `down`, remove it). Injected so tests and callers choose.
pub type HostAction<'a> = &'a (dyn Fn(&dyn CommandRunner) -> Result<()> + Sync);

/// Receives each log line.
pub type Log<'a> = &'a mut dyn FnMut(String);

fn success(msg: &str) -> String {
    format!("{GREEN}✔ {msg}{RESET}")
}

fn role(i: usize) -> &'static str {
    if i == 0 { "head" } else { "worker" }
}

/// Connects, detects and runs `action` on one host.
fn set_up_host(host: &file::PoolHost, action: HostAction<'_>) -> Result<Detected> {
    let runner = runner_spec(&host.ip, host, None).runner();
    let req = RunRequest::bash(detect::SCRIPT).with_timeout(Duration::from_secs(60));
    let out = runner.run(&req, None)?;
    if out.code != 0 {
        return Err(Error::new(
            ErrorKind::Runtime,
            format!(
                "Resource detection failed on {} (exit code {}): {}",
                host.ip,
                out.code,
                out.stderr.trim()
            ),
        ));
    }
    let found = detect::parse(&host.ip, &out.stdout)?;
    action(runner.as_ref())?;
    Ok(found)
}

/// Sets up one pool: every host in parallel; the head must succeed, other
/// hosts that fail are reported and left out.
fn up_pool(inv: &mut Inventory, pool: &Pool, action: HostAction<'_>, log: Log<'_>) -> Result<()> {
    let results: Vec<Result<Detected>> = std::thread::scope(|s| {
        let handles: Vec<_> = pool
            .hosts
            .iter()
            .map(|h| s.spawn(move || set_up_host(h, action)))
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(Error::new(ErrorKind::Runtime, "thread panicked")))
            })
            .collect()
    });
    if let Err(e) = &results[0] {
        let head = &pool.hosts[0].ip;
        return Err(Error::new(
            ErrorKind::Runtime,
            format!(
                "Failed to SSH to head node ({head}). Please check the SSH configuration and \
                 logs for more details. {}",
                e.message
            ),
        ));
    }
    let mut records = Vec::new();
    let mut failed = Vec::new();
    for (i, (host, r)) in pool.hosts.iter().zip(results).enumerate() {
        match r {
            Ok(found) => {
                log(success(&format!(
                    "SkyPilot runtime is up on {} node {}: {}.",
                    role(i),
                    host.ip,
                    detect::describe(&found.resources)
                )));
                if let Some(gpu) = &found.gpu_product {
                    log(format!(
                        "{YELLOW}➜ GPU {gpu} detected on {} node ({}).{RESET}",
                        role(i),
                        host.ip
                    ));
                }
                let internal_ip = if host.use_ssh_config {
                    found.address.unwrap_or_else(|| host.ip.clone())
                } else {
                    host.ip.clone()
                };
                records.push(HostRecord {
                    idx: i,
                    host: host.clone(),
                    internal_ip,
                    resources: found.resources,
                });
            }
            Err(e) => {
                log(format!(
                    "{RED}✗ Failed to set up {} node ({}): {}{RESET}",
                    role(i),
                    host.ip,
                    e.message
                ));
                failed.push(format!("\"{}\"", host.ip));
            }
        }
    }
    inv.set_pool(&pool.name, &records)?;
    if failed.is_empty() {
        log(success(&format!(
            "Node Pool `{}` deployed successfully.",
            pool.name
        )));
    } else {
        log(format!(
            "{YELLOW}Failed to deploy SkyPilot runtime on the following nodes: {}. Please check \
             the logs for more details.{RESET}",
            failed.join(", ")
        ));
    }
    Ok(())
}

/// Tears one pool down: refuses while clusters use it.
fn down_pool(inv: &mut Inventory, pool: &Pool, action: HostAction<'_>, log: Log<'_>) -> Result<()> {
    let clusters = inv.clusters_in(&pool.name)?;
    if !clusters.is_empty() {
        return Err(Error::new(
            ErrorKind::Runtime,
            format!(
                "Clusters are running on Node Pool `{}`: {}. Run `sky down {}` first.",
                pool.name,
                clusters.join(", "),
                clusters.join(" ")
            ),
        ));
    }
    let errors: Vec<(String, Error)> = std::thread::scope(|s| {
        let handles: Vec<_> = pool
            .hosts
            .iter()
            .map(|h| {
                let run = move || action(runner_spec(&h.ip, h, None).runner().as_ref());
                (h.ip.clone(), s.spawn(run))
            })
            .collect();
        handles
            .into_iter()
            .filter_map(|(ip, h)| match h.join() {
                Ok(Ok(())) => None,
                Ok(Err(e)) => Some((ip, e)),
                Err(_) => Some((ip, Error::new(ErrorKind::Runtime, "thread panicked"))),
            })
            .collect()
    });
    for (i, host) in pool.hosts.iter().enumerate() {
        match errors.iter().find(|(ip, _)| *ip == host.ip) {
            None => log(success(&format!(
                "Node {} cleaned up successfully.",
                host.ip
            ))),
            Some((_, e)) => log(format!(
                "{RED}Failed to clean up {} node ({}): {}{RESET}",
                role(i),
                host.ip,
                e.message
            )),
        }
    }
    inv.remove_pool(&pool.name)?;
    log(success(&format!(
        "Node Pool `{}` cleaned up successfully.",
        pool.name
    )));
    Ok(())
}

/// `sky ssh up` (`cleanup = false`) or `sky ssh down` over the pools of
/// `pools` that `infra` names (all when `None`).
pub fn run(
    pools: &PoolFile,
    infra: Option<&str>,
    cleanup: bool,
    action: HostAction<'_>,
    log: Log<'_>,
) -> Result<()> {
    let selected = pools.select(infra)?;
    for w in &pools.warnings {
        log(format!("{RED}{w}{RESET}"));
    }
    let names: Vec<&str> = selected.iter().map(|p| p.name.as_str()).collect();
    let plural = if names.len() > 1 { "s" } else { "" };
    log(format!(
        "{CYAN}Found {} Node Pool{plural}: {}{RESET}",
        names.len(),
        names.join(", ")
    ));
    let mut inv = Inventory::open()?;
    let (mut ok, mut failed) = (Vec::new(), Vec::new());
    for pool in selected {
        let r = if cleanup {
            down_pool(&mut inv, pool, action, log)
        } else {
            up_pool(&mut inv, pool, action, log)
        };
        match r {
            Ok(()) => {
                let what = if cleanup { "cleanup" } else { "deployment" };
                log(format!(
                    "{CYAN}Completed {what} for cluster: {}{RESET}",
                    pool.name
                ));
                ok.push(pool.name.clone());
            }
            Err(e) => failed.push((pool.name.clone(), e.message)),
        }
    }
    if !failed.is_empty() {
        let verb = if cleanup { "clean" } else { "deploy" };
        let mut msg = format!(
            "{GREEN}Successfully {verb}ed {} cluster(s) ({}). {RESET}{RED}Failed to {verb} {} \
             cluster(s): {RESET}",
            ok.len(),
            ok.join(", "),
            failed.len()
        );
        for (name, reason) in &failed {
            msg.push_str(&format!("\n  {name}: {reason}"));
        }
        log(msg);
        return Err(Error::new(
            ErrorKind::Runtime,
            "Failed to deploy SkyPilot on some Node Pools.",
        ));
    }
    log(String::new());
    let done = if cleanup {
        crate::agent::script::finishing_message("🎉 SSH Node Pools cleaned up successfully.")
    } else {
        format!(
            "{RESET}{GREEN}✓ 🎉 SSH Node Pools set up successfully. {RESET}Run \
             `{BRIGHT}sky check ssh{RESET}` to verify access, `{BRIGHT}sky launch --infra \
             ssh{RESET}` to launch a cluster.{RESET}"
        )
    };
    log(done);
    Ok(())
}

/// Deploys the stix runtime in the host's login home, where every cluster
/// node on the host then finds it (`agent::deploy`).
pub fn deploy_runtime(r: &dyn CommandRunner) -> Result<()> {
    crate::agent::deploy::ensure_runtime(r).map(|_| ())
}

/// Removes what [`deploy_runtime`] and the pool's clusters left on a host.
pub fn remove_runtime(r: &dyn CommandRunner) -> Result<()> {
    let script = format!(
        "rm -rf ~/.sky/clusters ~/{}",
        crate::agent::deploy::RUNTIME_DIR
    );
    let out = r.run(
        &RunRequest::bash(&script).with_timeout(Duration::from_secs(60)),
        None,
    )?;
    if out.code != 0 {
        return Err(Error::new(
            ErrorKind::Command,
            format!(
                "Cleanup failed (exit code {}): {}",
                out.code,
                out.stderr.trim()
            ),
        ));
    }
    Ok(())
}
