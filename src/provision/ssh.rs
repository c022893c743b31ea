//! The `ssh` infra: a cluster's nodes are shares of SSH node pool hosts
//! (`sky ssh up` recorded them), booked in the pool inventory's ledger,
//! one host per node. Several clusters may share a host when its CPUs,
//! memory and GPUs allow, so each node lives in its own directory on the
//! host, `~/.sky/clusters/<cluster>/`, which is the `HOME` of every process
//! the node runs (`~/sky_workdir`, `~/sky_logs` and the agent's files stay
//! apart). Terminating kills every process whose `HOME` is that directory
//! and removes it, then returns the share to the pool. SSH node pools
//! cannot stop, as in SkyPilot.

use std::time::Duration;

use serde_json::{Map, Value, json};

use super::{
    ClusterInfo, InstanceInfo, InstanceStatus, InstanceStatuses, NodeResources, ProvisionConfig,
    ProvisionRecord, Provisioner,
};
use crate::backend::LaunchedResources;
use crate::error::{Error, ErrorKind, Result};
use crate::runner::{CommandRunner, RunRequest, RunnerSpec};
use crate::ssh_pools::PoolHost;
use crate::ssh_pools::inventory::{self, Allocation, Demand, Inventory};

/// The provider name.
pub const PROVIDER: &str = "ssh";

/// The SSH node pool provisioner.
#[derive(Debug, Clone, Copy, Default)]
pub struct SshProvisioner;

/// A cluster node's home on its host, relative to the login user's home.
pub fn cluster_home(cluster_name_on_cloud: &str) -> String {
    format!(".sky/clusters/{cluster_name_on_cloud}")
}

/// How to reach a pool host; `home` makes the runner's commands and
/// `~/...` paths live in that directory (relative to the login home).
pub fn runner_spec(node_id: &str, h: &PoolHost, home: Option<&str>) -> RunnerSpec {
    RunnerSpec::Ssh {
        node_id: node_id.to_string(),
        host: h.ip.clone(),
        // An alias of ~/.ssh/config brings its own port and user.
        port: if h.use_ssh_config { 0 } else { h.port },
        user: h.user.clone(),
        identity_file: h.identity_file.clone(),
        proxy_jump: h.proxy_jump.clone(),
        home: home.map(str::to_string),
    }
}

/// The pool a region (`ssh-<pool>`) names.
pub fn pool_of(region: &str) -> &str {
    region.strip_prefix("ssh-").unwrap_or(region)
}

fn instance_id(cluster: &str, node: usize) -> String {
    if node == 0 {
        format!("{cluster}-head")
    } else {
        format!("{cluster}-worker{node}")
    }
}

fn pc_str<'a>(pc: &'a Value, key: &str) -> Result<&'a str> {
    pc.get(key).and_then(Value::as_str).ok_or_else(|| {
        Error::value(format!(
            "The ssh provider config has no `{key}`; run `sky down --purge` on the cluster."
        ))
    })
}

/// What one node takes: the launched virtual instance type, else the
/// launched cpus/memory/accelerators, else half a CPU.
fn demand_from(pc: &Map<String, Value>) -> Demand {
    let lr: Option<LaunchedResources> = pc
        .get("launched_resources")
        .and_then(|v| serde_json::from_value(v.clone()).ok());
    let Some(lr) = lr else {
        return Demand {
            cpus: 0.5,
            ..Demand::default()
        };
    };
    if let Some(d) = lr
        .instance_type
        .as_deref()
        .and_then(|it| inventory::demand_of(it, None))
    {
        return d;
    }
    Demand {
        cpus: lr.cpus.unwrap_or(0.5),
        memory_gb: lr.memory_gb.unwrap_or(0.0),
        accelerator: lr
            .accelerators
            .map(|(a, n)| (a, n.ceil().max(0.0) as u32))
            .filter(|(_, n)| *n > 0),
    }
}

fn resources_of(a: &Allocation) -> NodeResources {
    NodeResources {
        cpus: a.share.cpus,
        memory_gb: a.share.memory_gb,
        accelerator: a.share.accelerator.clone(),
        accelerator_count: a.share.gpu_indices.len() as u32,
        gpu_indices: a.share.gpu_indices.clone(),
    }
}

/// Runs `f` on every allocation in parallel; the errors, host by host.
fn on_hosts<F>(allocs: &[Allocation], f: F) -> Vec<(String, Error)>
where
    F: Fn(&Allocation) -> Result<()> + Sync,
{
    std::thread::scope(|s| {
        let handles: Vec<_> = allocs
            .iter()
            .map(|a| (a.host.host.ip.clone(), s.spawn(|| f(a))))
            .collect();
        handles
            .into_iter()
            .filter_map(|(ip, h)| match h.join() {
                Ok(Ok(())) => None,
                Ok(Err(e)) => Some((ip, e)),
                Err(_) => Some((ip, Error::new(ErrorKind::Runtime, "worker thread panicked"))),
            })
            .collect()
    })
}

fn host_runner(a: &Allocation) -> Box<dyn CommandRunner> {
    runner_spec(&a.host.host.ip, &a.host.host, None).runner()
}

fn run_checked(r: &dyn CommandRunner, script: &str, what: &str) -> Result<()> {
    let req = RunRequest::bash(script).with_timeout(Duration::from_secs(60));
    let out = r.run(&req, None)?;
    if out.code == 0 {
        return Ok(());
    }
    Err(Error::new(
        ErrorKind::Command,
        format!(
            "Failed to {what} on {} (exit code {}): {}",
            r.node_id(),
            out.code,
            out.stderr.trim()
        ),
    ))
}

/// Kills every process whose `HOME` is the node's directory (the agent,
/// drivers, jobs, whatever they spawned), sweeping until none is left,
/// then removes the directory.
fn cleanup_script(home_rel: &str) -> String {
    let home = crate::runner::shlex::quote(home_rel);
    format!(
        "h=\"$HOME\"/{home}; \
         for i in 1 2 3 4 5 6 7 8 9 10; do \
           pids=''; \
           for d in /proc/[0-9]*; do p=${{d#/proc/}}; [ \"$p\" = \"$$\" ] && continue; \
             if tr '\\0' '\\n' < \"$d/environ\" 2>/dev/null | grep -qxF \"HOME=$h\"; then \
               pids=\"$pids $p\"; fi; \
           done; \
           [ -z \"$pids\" ] && break; \
           kill -9 $pids 2>/dev/null; sleep 0.2; \
         done; \
         rm -rf \"$h\""
    )
}

impl Provisioner for SshProvisioner {
    fn name(&self) -> &'static str {
        PROVIDER
    }

    fn bootstrap_instances(
        &self,
        region: &str,
        cluster_name_on_cloud: &str,
        mut config: ProvisionConfig,
    ) -> Result<ProvisionConfig> {
        let pool = pool_of(region);
        let mut pc = match config.provider_config {
            Value::Object(m) => m,
            _ => Map::new(),
        };
        if !pc.contains_key("pool") {
            let inv = Inventory::open()?;
            if inv.hosts(pool)?.is_empty() {
                return Err(Error::new(
                    ErrorKind::ResourcesUnavailable,
                    format!(
                        "SSH Node Pool {} is not set up. Run `sky ssh up --infra {pool}` to set \
                         up.",
                        crate::yaml::py_str_repr(pool)
                    ),
                ));
            }
            let d = demand_from(&pc);
            pc.insert("pool".into(), pool.into());
            pc.insert("home".into(), cluster_home(cluster_name_on_cloud).into());
            pc.insert(
                "demand".into(),
                json!({"cpus": d.cpus, "memory_gb": d.memory_gb, "accelerator": d.accelerator}),
            );
        }
        config.provider_config = Value::Object(pc);
        Ok(config)
    }

    fn run_instances(
        &self,
        region: &str,
        cluster_name_on_cloud: &str,
        config: &ProvisionConfig,
    ) -> Result<ProvisionRecord> {
        let pc = &config.provider_config;
        let pool = pc_str(pc, "pool")?;
        let home = pc_str(pc, "home")?;
        let d = pc.get("demand").cloned().unwrap_or_default();
        let want = Demand {
            cpus: d["cpus"].as_f64().unwrap_or(0.5),
            memory_gb: d["memory_gb"].as_f64().unwrap_or(0.0),
            accelerator: serde_json::from_value(d["accelerator"].clone()).unwrap_or(None),
        };
        let mut inv = Inventory::open()?;
        let before = inv.allocations(cluster_name_on_cloud)?.len();
        let allocs = inv.allocate(pool, cluster_name_on_cloud, config.count as usize, &want)?;
        let mkdir = format!(
            "cd && mkdir -p {0}/sky_workdir {0}/sky_logs {0}/.sky",
            crate::runner::shlex::quote(home)
        );
        let failed = on_hosts(&allocs, |a| {
            run_checked(host_runner(a).as_ref(), &mkdir, "create the node directory")
        });
        if let Some((ip, e)) = failed.into_iter().next() {
            if before == 0 {
                // Nothing of this cluster runs anywhere yet: give it all back.
                inv.release(cluster_name_on_cloud)?;
            }
            return Err(Error::new(
                ErrorKind::ResourcesUnavailable,
                format!(
                    "Host {ip} of SSH Node Pool {pool:?} is not usable: {}",
                    e.message
                ),
            ));
        }
        let ids: Vec<String> = allocs
            .iter()
            .map(|a| instance_id(cluster_name_on_cloud, a.node))
            .collect();
        Ok(ProvisionRecord {
            provider_name: PROVIDER.into(),
            region: region.into(),
            zone: None,
            cluster_name: cluster_name_on_cloud.into(),
            head_instance_id: instance_id(cluster_name_on_cloud, 0),
            resumed_instance_ids: Vec::new(),
            created_instance_ids: ids.into_iter().skip(before).collect(),
        })
    }

    fn wait_instances(
        &self,
        _region: &str,
        cluster_name_on_cloud: &str,
        _provider_config: &Value,
        state: Option<InstanceStatus>,
    ) -> Result<()> {
        if state.is_some_and(|s| s != InstanceStatus::Up) {
            return Ok(());
        }
        let allocs = Inventory::open()?.allocations(cluster_name_on_cloud)?;
        let failed = on_hosts(&allocs, |a| {
            run_checked(host_runner(a).as_ref(), "true", "reach the host")
        });
        match failed.into_iter().next() {
            None => Ok(()),
            Some((ip, e)) => Err(Error::new(
                ErrorKind::ResourcesUnavailable,
                format!("Host {ip} is unreachable: {}", e.message),
            )),
        }
    }

    fn get_cluster_info(
        &self,
        _region: &str,
        cluster_name_on_cloud: &str,
        provider_config: &Value,
    ) -> Result<ClusterInfo> {
        let home = pc_str(provider_config, "home")?;
        let allocs = Inventory::open()?.allocations(cluster_name_on_cloud)?;
        let instances: Vec<InstanceInfo> = allocs
            .iter()
            .map(|a| {
                let id = instance_id(cluster_name_on_cloud, a.node);
                InstanceInfo {
                    runner: runner_spec(&id, &a.host.host, Some(home)),
                    instance_id: id,
                    internal_ip: a.host.internal_ip.clone(),
                    external_ip: Some(a.host.host.ip.clone()),
                    resources: resources_of(a),
                }
            })
            .collect();
        Ok(ClusterInfo {
            head_instance_id: instances.first().map(|i| i.instance_id.clone()),
            instances,
            provider_name: PROVIDER.into(),
            provider_config: provider_config.clone(),
        })
    }

    fn query_instances(
        &self,
        cluster_name_on_cloud: &str,
        _provider_config: &Value,
        _non_terminated_only: bool,
    ) -> Result<InstanceStatuses> {
        let allocs = Inventory::open()?.allocations(cluster_name_on_cloud)?;
        let failed = on_hosts(&allocs, |a| {
            run_checked(host_runner(a).as_ref(), "true", "reach the host")
        });
        let mut out = InstanceStatuses::new();
        for a in &allocs {
            let id = instance_id(cluster_name_on_cloud, a.node);
            // An unreachable host is not a terminated node (it may come
            // back, and it still holds the node's share): INIT, with why.
            let entry = match failed.iter().find(|(ip, _)| *ip == a.host.host.ip) {
                None => (Some(InstanceStatus::Up), None),
                Some((ip, e)) => (
                    Some(InstanceStatus::Init),
                    Some(format!("Host {ip} is unreachable: {}", e.message)),
                ),
            };
            out.insert(id, entry);
        }
        Ok(out)
    }

    fn stop_instances(&self, _: &str, _: &Value, _: bool) -> Result<()> {
        Err(Error::new(
            ErrorKind::NotSupported,
            "Stopping is currently not supported for SSH Node Pools",
        ))
    }

    fn terminate_instances(
        &self,
        cluster_name_on_cloud: &str,
        provider_config: &Value,
        worker_only: bool,
    ) -> Result<()> {
        let home = provider_config
            .get("home")
            .and_then(Value::as_str)
            .map_or_else(|| cluster_home(cluster_name_on_cloud), str::to_string);
        let mut inv = Inventory::open()?;
        let allocs: Vec<Allocation> = inv
            .allocations(cluster_name_on_cloud)?
            .into_iter()
            .filter(|a| !worker_only || a.node > 0)
            .collect();
        let script = cleanup_script(&home);
        let failed = on_hosts(&allocs, |a| {
            run_checked(host_runner(a).as_ref(), &script, "remove the cluster")
        });
        // The shares go back even when a host is unreachable: a lost host
        // must not hold capacity forever; the error below says what is left.
        if worker_only {
            inv.release_workers(cluster_name_on_cloud)?;
        } else {
            inv.release(cluster_name_on_cloud)?;
        }
        if failed.is_empty() {
            return Ok(());
        }
        let hosts: Vec<String> = failed
            .iter()
            .map(|(ip, e)| format!("{ip}: {}", e.message))
            .collect();
        Err(Error::new(
            ErrorKind::Command,
            format!(
                "Could not remove cluster {cluster_name_on_cloud:?} from every host of its SSH \
                 Node Pool; its processes and ~/{home} may remain there.\n  {}",
                hosts.join("\n  ")
            ),
        ))
    }

    fn open_ports(&self, _: &str, _: &[String], _: &Value) -> Result<()> {
        // Pool hosts are reached directly; their ports are the user's.
        Ok(())
    }

    fn cleanup_ports(&self, _: &str, _: &[String], _: &Value) -> Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demand_from_launched_resources() {
        let mut pc = Map::new();
        assert_eq!(demand_from(&pc).cpus, 0.5);
        let lr = LaunchedResources {
            cloud: "ssh".into(),
            instance_type: Some("4CPU--16GB--H100:2".into()),
            ..LaunchedResources::default()
        };
        pc.insert(
            "launched_resources".into(),
            serde_json::to_value(&lr).unwrap(),
        );
        let d = demand_from(&pc);
        assert_eq!((d.cpus, d.memory_gb), (4.0, 16.0));
        assert_eq!(d.accelerator, Some(("H100".to_string(), 2)));
        assert_eq!(instance_id("c", 0), "c-head");
        assert_eq!(instance_id("c", 2), "c-worker2");
        assert_eq!(pool_of("ssh-p"), "p");
        assert!(cleanup_script("a b").contains("h=\"$HOME\"/'a b';"));
    }
}
