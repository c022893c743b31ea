//! SSH node pools (`~/.sky/ssh_node_pools.yaml`): the pool file, what
//! `sky ssh up` found on each host and the ledger of which cluster holds
//! which share of which host. The provisioner (`provision::ssh`), the
//! cloud (`clouds::ssh`) and `sky check ssh` read pools only through here.

pub mod detect;
pub mod file;
pub mod inventory;
pub mod up;

pub use file::{Pool, PoolFile, PoolHost};
pub use inventory::{Allocation, Demand, HostRecord, Inventory, Share};

use crate::config::load::Env;
use crate::yaml::Value;

/// `allowed_node_pools` of the config in effect, or `None` when unset:
/// every pool is allowed. A config that cannot be read allows every pool
/// (`sky check` reports the config error itself).
pub fn allowed_node_pools(env: &Env) -> Option<Vec<String>> {
    let snap = crate::config::state::snapshot(env).ok()?;
    allowed_in(&snap.config)
}

/// `allowed_node_pools` of `config`: the active workspace's `ssh` section
/// first, then the global `ssh:` (SkyPilot's `existing_allowed_contexts`).
pub fn allowed_in(config: &crate::yaml::Map) -> Option<Vec<String>> {
    let names = |v: &Value| match v {
        Value::Seq(items) => Some(items.iter().map(Value::py_str).collect()),
        _ => None,
    };
    let workspace = crate::config::state::active_workspace(config);
    let in_workspace = config
        .get("workspaces")
        .and_then(Value::as_map)
        .and_then(|w| w.get(workspace.as_str()))
        .and_then(Value::as_map)
        .and_then(|w| w.get("ssh"))
        .and_then(Value::as_map)
        .and_then(|s| s.get("allowed_node_pools"))
        .and_then(names);
    in_workspace.or_else(|| {
        config
            .get("ssh")
            .and_then(Value::as_map)
            .and_then(|s| s.get("allowed_node_pools"))
            .and_then(names)
    })
}
