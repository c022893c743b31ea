//! The `local` infra: a cluster is N node sandboxes under
//! `~/.sky/local_clusters/<cluster>/node-<i>/`, each the `HOME` of its
//! node's processes, all at internal IP 127.0.0.1 and offering this
//! machine's CPUs, memory and GPUs. A node's state (running or stopped) and
//! boot time sit beside its sandbox in `node-<i>.json`. Stopping kills every
//! process a node started (found by the `STIX_LOCAL_NODE` variable its
//! runner sets) and keeps the sandbox; terminating also removes it.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::{
    ClusterInfo, InstanceInfo, InstanceStatus, InstanceStatuses, NodeResources, ProvisionConfig,
    ProvisionRecord, Provisioner, local_resources,
};
use crate::error::{Error, ErrorKind, Result};
use crate::runner::RunnerSpec;
use crate::runner::local::LOCAL_NODE_ENV;
use crate::runner::procs;

/// The provider name.
pub const PROVIDER: &str = "local";
/// The one region of the local infra.
pub const REGION: &str = "local";
/// Every local node's address.
pub const LOCAL_IP: &str = "127.0.0.1";
/// Where a node's boot time is written inside its sandbox; the agent reads
/// it (VMs fall back to the kernel's boot time) to tell a restart.
pub const BOOT_TIME_FILE: &str = ".sky/boot_time";

/// The local provisioner.
#[derive(Debug, Clone, Copy, Default)]
pub struct LocalProvisioner;

#[derive(Debug, Clone, Serialize, Deserialize)]
struct NodeState {
    status: InstanceStatus,
    boot_time: f64,
}

/// `~/.sky/local_clusters` of the current user.
pub fn clusters_root() -> PathBuf {
    PathBuf::from(crate::spec::task::expand_user("~/.sky/local_clusters"))
}

fn io_err(what: &str, path: &Path, e: std::io::Error) -> Error {
    Error::new(ErrorKind::Os, format!("{what} {}: {e}", path.display()))
}

fn cluster_root(provider_config: &serde_json::Value) -> Result<PathBuf> {
    provider_config
        .get("root")
        .and_then(|v| v.as_str())
        .map(PathBuf::from)
        .ok_or_else(|| Error::value("The local provider config has no `root`."))
}

fn node_home(root: &Path, i: usize) -> PathBuf {
    root.join(format!("node-{i}"))
}

fn state_path(root: &Path, i: usize) -> PathBuf {
    root.join(format!("node-{i}.json"))
}

fn read_state(root: &Path, i: usize) -> Option<NodeState> {
    let text = fs::read_to_string(state_path(root, i)).ok()?;
    serde_json::from_str(&text).ok()
}

fn write_state(root: &Path, i: usize, state: &NodeState) -> Result<()> {
    let path = state_path(root, i);
    let tmp = root.join(format!(".node-{i}.json.tmp"));
    let text = serde_json::to_string(state).unwrap_or_default();
    fs::write(&tmp, text).map_err(|e| io_err("write", &tmp, e))?;
    fs::rename(&tmp, &path).map_err(|e| io_err("rename", &path, e))
}

/// Indices of the nodes that exist under `root` (a sandbox or a state file).
fn node_indices(root: &Path) -> Vec<usize> {
    let mut out: Vec<usize> = fs::read_dir(root)
        .map(|rd| {
            rd.filter_map(|e| {
                let name = e.ok()?.file_name().into_string().ok()?;
                let stem = name.strip_suffix(".json").unwrap_or(&name);
                stem.strip_prefix("node-")?.parse().ok()
            })
            .collect()
        })
        .unwrap_or_default();
    out.sort_unstable();
    out.dedup();
    out
}

fn now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// Creates the directories SkyPilot's runtime setup creates on a node.
fn make_sandbox(home: &Path) -> Result<()> {
    for sub in [".sky/sky_app", "sky_workdir", "sky_logs"] {
        let d = home.join(sub);
        fs::create_dir_all(&d).map_err(|e| io_err("mkdir", &d, e))?;
    }
    Ok(())
}

/// Kills every process started for the sandbox at `home`.
pub fn kill_node_processes(home: &Path) {
    let pids = procs::pids_with_env(LOCAL_NODE_ENV, &home.display().to_string());
    procs::terminate(&pids, Duration::from_secs(2));
}

/// Kills every process of the given nodes (and removes their sandboxes
/// when `remove`), sweeping again while anything reappears: a process of a
/// killed launch may still be starting another one (the daemon, a driver).
fn sweep(root: &Path, nodes: &[usize], remove: bool) -> Result<()> {
    for _ in 0..10 {
        for i in nodes {
            let home = node_home(root, *i);
            kill_node_processes(&home);
            if remove {
                // A process dying meanwhile may still write a file into
                // it ("Directory not empty"): the next round removes it.
                match fs::remove_dir_all(&home) {
                    Err(e)
                        if e.kind() != std::io::ErrorKind::NotFound
                            && e.kind() != std::io::ErrorKind::DirectoryNotEmpty =>
                    {
                        return Err(io_err("remove", &home, e));
                    }
                    _ => {}
                }
                let _ = fs::remove_file(state_path(root, *i));
            }
        }
        let leftovers = nodes.iter().any(|i| {
            let home = node_home(root, *i);
            (remove && home.exists())
                || !procs::pids_with_env(LOCAL_NODE_ENV, &home.display().to_string()).is_empty()
        });
        if !leftovers {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Err(Error::new(
        ErrorKind::Os,
        format!("Processes kept reappearing in {}.", root.display()),
    ))
}

fn selected(root: &Path, worker_only: bool) -> Vec<usize> {
    node_indices(root)
        .into_iter()
        .filter(|i| !worker_only || *i > 0)
        .collect()
}

fn resources_of(provider_config: &serde_json::Value) -> NodeResources {
    provider_config
        .get("resources")
        .and_then(|v| serde_json::from_value(v.clone()).ok())
        .unwrap_or_else(local_resources::detect)
}

impl Provisioner for LocalProvisioner {
    fn name(&self) -> &'static str {
        PROVIDER
    }

    fn bootstrap_instances(
        &self,
        _region: &str,
        cluster_name_on_cloud: &str,
        mut config: ProvisionConfig,
    ) -> Result<ProvisionConfig> {
        let mut pc = match config.provider_config {
            serde_json::Value::Object(m) => m,
            _ => serde_json::Map::new(),
        };
        if !pc.contains_key("root") {
            let root = clusters_root().join(cluster_name_on_cloud);
            pc.insert("root".into(), root.display().to_string().into());
        }
        if !pc.contains_key("resources") {
            let r = serde_json::to_value(local_resources::detect()).unwrap_or_default();
            pc.insert("resources".into(), r);
        }
        config.provider_config = serde_json::Value::Object(pc);
        Ok(config)
    }

    fn run_instances(
        &self,
        region: &str,
        cluster_name_on_cloud: &str,
        config: &ProvisionConfig,
    ) -> Result<ProvisionRecord> {
        let root = cluster_root(&config.provider_config)?;
        fs::create_dir_all(&root).map_err(|e| io_err("mkdir", &root, e))?;
        let (mut created, mut resumed) = (Vec::new(), Vec::new());
        for i in 0..config.count as usize {
            let home = node_home(&root, i);
            let id = format!("node-{i}");
            match read_state(&root, i) {
                Some(s) if s.status == InstanceStatus::Up => continue,
                Some(s) if s.status == InstanceStatus::Stopped && !config.resume_stopped_nodes => {
                    return Err(Error::new(
                        ErrorKind::ResourcesUnavailable,
                        format!("Local node {id} of {cluster_name_on_cloud} is stopped."),
                    ));
                }
                Some(_) => resumed.push(id),
                None => created.push(id),
            }
            make_sandbox(&home)?;
            let boot_time = now();
            let bt = home.join(BOOT_TIME_FILE);
            fs::write(&bt, format!("{boot_time}")).map_err(|e| io_err("write", &bt, e))?;
            let state = NodeState {
                status: InstanceStatus::Up,
                boot_time,
            };
            write_state(&root, i, &state)?;
        }
        Ok(ProvisionRecord {
            provider_name: PROVIDER.into(),
            region: region.into(),
            zone: None,
            cluster_name: cluster_name_on_cloud.into(),
            head_instance_id: "node-0".into(),
            resumed_instance_ids: resumed,
            created_instance_ids: created,
        })
    }

    fn wait_instances(
        &self,
        _region: &str,
        cluster_name_on_cloud: &str,
        provider_config: &serde_json::Value,
        state: Option<InstanceStatus>,
    ) -> Result<()> {
        let want = state.unwrap_or(InstanceStatus::Up);
        let statuses = self.query_instances(cluster_name_on_cloud, provider_config, false)?;
        match statuses.iter().find(|(_, (s, _))| *s != Some(want)) {
            Some((id, (s, _))) => Err(Error::new(
                ErrorKind::ResourcesUnavailable,
                format!("Local node {id} is {s:?}, expected {want:?}."),
            )),
            None => Ok(()),
        }
    }

    fn get_cluster_info(
        &self,
        _region: &str,
        _cluster_name_on_cloud: &str,
        provider_config: &serde_json::Value,
    ) -> Result<ClusterInfo> {
        let root = cluster_root(provider_config)?;
        let resources = resources_of(provider_config);
        let instances: Vec<InstanceInfo> = node_indices(&root)
            .into_iter()
            .filter(|i| read_state(&root, *i).is_some_and(|s| s.status == InstanceStatus::Up))
            .map(|i| InstanceInfo {
                instance_id: format!("node-{i}"),
                internal_ip: LOCAL_IP.into(),
                external_ip: Some(LOCAL_IP.into()),
                runner: RunnerSpec::Local {
                    node_id: format!("node-{i}"),
                    home: node_home(&root, i),
                },
                resources: resources.clone(),
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
        _cluster_name_on_cloud: &str,
        provider_config: &serde_json::Value,
        non_terminated_only: bool,
    ) -> Result<InstanceStatuses> {
        let root = cluster_root(provider_config)?;
        let mut out = InstanceStatuses::new();
        for i in node_indices(&root) {
            let status = match read_state(&root, i) {
                Some(s) => Some(s.status),
                // A sandbox without a state file was being created.
                None => Some(InstanceStatus::Init),
            };
            if status.is_some() || !non_terminated_only {
                out.insert(format!("node-{i}"), (status, None));
            }
        }
        Ok(out)
    }

    fn stop_instances(
        &self,
        _cluster_name_on_cloud: &str,
        provider_config: &serde_json::Value,
        worker_only: bool,
    ) -> Result<()> {
        let root = cluster_root(provider_config)?;
        let nodes = selected(&root, worker_only);
        for i in &nodes {
            // Recorded first: a refresh meanwhile sees the node stopping.
            let boot_time = read_state(&root, *i).map_or(0.0, |s| s.boot_time);
            let state = NodeState {
                status: InstanceStatus::Stopped,
                boot_time,
            };
            write_state(&root, *i, &state)?;
        }
        sweep(&root, &nodes, false)
    }

    fn terminate_instances(
        &self,
        _cluster_name_on_cloud: &str,
        provider_config: &serde_json::Value,
        worker_only: bool,
    ) -> Result<()> {
        let root = cluster_root(provider_config)?;
        let nodes = selected(&root, worker_only);
        sweep(&root, &nodes, true)?;
        if !worker_only && root.exists() {
            fs::remove_dir_all(&root).map_err(|e| io_err("remove", &root, e))?;
        }
        Ok(())
    }

    fn open_ports(&self, _: &str, _: &[String], _: &serde_json::Value) -> Result<()> {
        // Local nodes listen on this machine's own interfaces already.
        Ok(())
    }

    fn cleanup_ports(&self, _: &str, _: &[String], _: &serde_json::Value) -> Result<()> {
        Ok(())
    }
}
