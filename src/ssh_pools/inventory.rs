//! What `sky ssh up` found on each pool host (CPUs, memory, GPUs) and the
//! ledger of which cluster node holds how much of which host, in
//! `~/.sky/ssh_node_pools_info/inventory.db` (SQLite, WAL). Every change
//! is one `BEGIN IMMEDIATE` transaction, so concurrent launches never
//! book the same capacity twice.

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OptionalExtension, Transaction, params};
use serde::{Deserialize, Serialize};

use super::file::PoolHost;
use crate::error::{Error, ErrorKind, Result};
use crate::provision::NodeResources;
use crate::state::sqlite;

/// What a host has free: CPUs, memory (GB) and GPU device indices.
pub type Free = (f64, f64, Vec<u32>);

const SCHEMA_V1: &str = "
CREATE TABLE IF NOT EXISTS pool_hosts (
    pool TEXT NOT NULL,
    idx INTEGER NOT NULL,
    ip TEXT NOT NULL,
    internal_ip TEXT NOT NULL,
    host TEXT NOT NULL,
    resources TEXT NOT NULL,
    up_at INTEGER NOT NULL,
    PRIMARY KEY (pool, ip)
);
CREATE TABLE IF NOT EXISTS allocations (
    cluster TEXT NOT NULL,
    node INTEGER NOT NULL,
    pool TEXT NOT NULL,
    ip TEXT NOT NULL,
    share TEXT NOT NULL,
    PRIMARY KEY (cluster, node)
);
CREATE INDEX IF NOT EXISTS allocations_host ON allocations (pool, ip);
";

/// One host as `sky ssh up` recorded it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HostRecord {
    /// Position in the pool file (0 = head).
    pub idx: usize,
    /// How to reach it.
    pub host: PoolHost,
    /// Its address inside the pool (`SKYPILOT_NODE_IPS`).
    pub internal_ip: String,
    /// What it has.
    pub resources: NodeResources,
}

/// What one cluster node takes from its host.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Share {
    /// CPUs.
    pub cpus: f64,
    /// Memory in GiB.
    pub memory_gb: f64,
    /// Accelerator name, if any.
    pub accelerator: Option<String>,
    /// The host's GPU indices given to the node.
    pub gpu_indices: Vec<u32>,
}

/// A node's place in a pool.
#[derive(Debug, Clone, PartialEq)]
pub struct Allocation {
    /// Node index in its cluster (0 = head).
    pub node: usize,
    /// The host.
    pub host: HostRecord,
    /// What the node holds there.
    pub share: Share,
}

/// What one node of a cluster asks for.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Demand {
    /// CPUs.
    pub cpus: f64,
    /// Memory in GiB.
    pub memory_gb: f64,
    /// Accelerator name and count.
    pub accelerator: Option<(String, u32)>,
}

/// The inventory database.
pub struct Inventory {
    conn: Connection,
}

fn sql_err(e: rusqlite::Error) -> Error {
    Error::new(
        ErrorKind::Runtime,
        format!("SSH node pool inventory error: {e}"),
    )
}

fn json_err(e: serde_json::Error) -> rusqlite::Error {
    rusqlite::Error::ToSqlConversionFailure(Box::new(e))
}

/// `~/.sky/ssh_node_pools_info/inventory.db`.
pub fn default_path() -> PathBuf {
    PathBuf::from(crate::spec::task::expand_user(
        "~/.sky/ssh_node_pools_info/inventory.db",
    ))
}

fn host_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<HostRecord> {
    let idx: i64 = r.get(0)?;
    let internal_ip: String = r.get(1)?;
    let host: String = r.get(2)?;
    let res: String = r.get(3)?;
    let conv = |e: serde_json::Error| {
        rusqlite::Error::FromSqlConversionFailure(1, rusqlite::types::Type::Text, Box::new(e))
    };
    Ok(HostRecord {
        idx: idx.max(0) as usize,
        internal_ip,
        host: serde_json::from_str(&host).map_err(conv)?,
        resources: serde_json::from_str(&res).map_err(conv)?,
    })
}

fn hosts_in(conn: &Connection, pool: &str) -> rusqlite::Result<Vec<HostRecord>> {
    let mut st = conn.prepare(
        "SELECT idx, internal_ip, host, resources FROM pool_hosts WHERE pool = ?1 ORDER BY idx",
    )?;
    let rows = st.query_map([pool], host_row)?;
    rows.collect()
}

fn shares_on(conn: &Connection, pool: &str, ip: &str) -> rusqlite::Result<Vec<Share>> {
    let mut st = conn.prepare("SELECT share FROM allocations WHERE pool = ?1 AND ip = ?2")?;
    let rows = st.query_map([pool, ip], |r| r.get::<_, String>(0))?;
    Ok(rows
        .filter_map(|s| serde_json::from_str(&s.ok()?).ok())
        .collect())
}

/// What is left of `host` after `taken`.
pub fn free_of(host: &NodeResources, taken: &[Share]) -> (f64, f64, Vec<u32>) {
    let cpus = host.cpus - taken.iter().map(|s| s.cpus).sum::<f64>();
    let mem = host.memory_gb - taken.iter().map(|s| s.memory_gb).sum::<f64>();
    let used: Vec<u32> = taken.iter().flat_map(|s| s.gpu_indices.clone()).collect();
    let gpus = (0..host.accelerator_count)
        .filter(|i| !used.contains(i))
        .collect();
    (cpus, mem, gpus)
}

/// The share of `host` that `want` would take, if it fits in what is free.
pub fn fit(host: &NodeResources, taken: &[Share], want: &Demand) -> Option<Share> {
    let (cpus, mem, gpus) = free_of(host, taken);
    // A little slack: `nproc` and MemTotal are whole numbers, requests
    // such as `4CPU--16GB` on a 16 GiB host should not miss by rounding.
    if want.cpus > cpus + 1e-6 || want.memory_gb > mem + 0.05 {
        return None;
    }
    let (accelerator, gpu_indices) = match &want.accelerator {
        None => (None, Vec::new()),
        Some((name, n)) => {
            let have = host.accelerator.as_deref()?;
            if !have.eq_ignore_ascii_case(name) || (gpus.len() as u32) < *n {
                return None;
            }
            (Some(have.to_string()), gpus[..*n as usize].to_vec())
        }
    };
    Some(Share {
        cpus: want.cpus,
        memory_gb: want.memory_gb,
        accelerator,
        gpu_indices,
    })
}

impl Inventory {
    /// Opens the default inventory.
    pub fn open() -> Result<Inventory> {
        Self::open_at(&default_path())
    }

    /// Opens (creating) the inventory at `path`.
    pub fn open_at(path: &Path) -> Result<Inventory> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .map_err(|e| Error::new(ErrorKind::Os, format!("{}: {e}", dir.display())))?;
        }
        let mut conn = sqlite::open_sqlite(path)?;
        sqlite::migrate(&mut conn, sql_err, &[SCHEMA_V1])?;
        Ok(Inventory { conn })
    }

    fn write<T>(&mut self, f: impl FnOnce(&Transaction<'_>) -> rusqlite::Result<T>) -> Result<T> {
        sqlite::write(&mut self.conn, sql_err, f)
    }

    /// Records a pool's hosts as `sky ssh up` found them, replacing what
    /// was recorded before (allocations on hosts still listed are kept).
    pub fn set_pool(&mut self, pool: &str, hosts: &[HostRecord]) -> Result<()> {
        let now = crate::state::now_secs();
        self.write(|tx| {
            tx.execute("DELETE FROM pool_hosts WHERE pool = ?1", [pool])?;
            for h in hosts {
                tx.execute(
                    "INSERT INTO pool_hosts (pool, idx, ip, internal_ip, host, resources, up_at) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                    params![
                        pool,
                        h.idx as i64,
                        h.host.ip,
                        h.internal_ip,
                        serde_json::to_string(&h.host).map_err(json_err)?,
                        serde_json::to_string(&h.resources).map_err(json_err)?,
                        now
                    ],
                )?;
            }
            Ok(())
        })
    }

    /// Forgets a pool (`sky ssh down`).
    pub fn remove_pool(&mut self, pool: &str) -> Result<()> {
        self.write(|tx| {
            tx.execute("DELETE FROM pool_hosts WHERE pool = ?1", [pool])
                .map(|_| ())
        })
    }

    /// Pools that are up, by name.
    pub fn pools(&self) -> Result<Vec<String>> {
        let mut st = self
            .conn
            .prepare("SELECT DISTINCT pool FROM pool_hosts ORDER BY pool")
            .map_err(sql_err)?;
        let rows = st
            .query_map([], |r| r.get::<_, String>(0))
            .map_err(sql_err)?;
        rows.collect::<rusqlite::Result<_>>().map_err(sql_err)
    }

    /// A pool's recorded hosts, head first.
    pub fn hosts(&self, pool: &str) -> Result<Vec<HostRecord>> {
        hosts_in(&self.conn, pool).map_err(sql_err)
    }

    /// Clusters holding nodes in `pool`.
    pub fn clusters_in(&self, pool: &str) -> Result<Vec<String>> {
        let mut st = self
            .conn
            .prepare("SELECT DISTINCT cluster FROM allocations WHERE pool = ?1 ORDER BY cluster")
            .map_err(sql_err)?;
        let rows = st
            .query_map([pool], |r| r.get::<_, String>(0))
            .map_err(sql_err)?;
        rows.collect::<rusqlite::Result<_>>().map_err(sql_err)
    }

    /// The free (cpus, memory, GPU indices) of each host of `pool`.
    pub fn free(&self, pool: &str) -> Result<Vec<(HostRecord, Free)>> {
        let hosts = self.hosts(pool)?;
        hosts
            .into_iter()
            .map(|h| {
                let taken = shares_on(&self.conn, pool, &h.host.ip).map_err(sql_err)?;
                let free = free_of(&h.resources, &taken);
                Ok((h, free))
            })
            .collect()
    }

    /// A cluster's nodes, by node index.
    pub fn allocations(&self, cluster: &str) -> Result<Vec<Allocation>> {
        let held = allocations_of(&self.conn, cluster).map_err(sql_err)?;
        Ok(held.into_iter().map(|h| h.alloc).collect())
    }

    /// Gives `cluster` `count` nodes in `pool`, each on its own host, each
    /// holding `want`; nodes it already holds are kept (a rerun after a
    /// crash finishes the booking). `ResourcesUnavailable` when the pool
    /// has too few hosts with that much free.
    pub fn allocate(
        &mut self,
        pool: &str,
        cluster: &str,
        count: usize,
        want: &Demand,
    ) -> Result<Vec<Allocation>> {
        let outcome = self.write(|tx| {
            let have = allocations_of(tx, cluster)?;
            if have.iter().any(|a| a.host_pool != pool) {
                return Ok(Err(None));
            }
            let hosts = hosts_in(tx, pool)?;
            // Plan first, write only a complete booking: all or nothing.
            let mut plan: Vec<Allocation> = Vec::new();
            for h in &hosts {
                if have.len() + plan.len() >= count {
                    break;
                }
                if have.iter().any(|a| a.alloc.host.host.ip == h.host.ip) {
                    continue;
                }
                let taken = shares_on(tx, pool, &h.host.ip)?;
                if let Some(share) = fit(&h.resources, &taken, want) {
                    plan.push(Allocation {
                        node: have.len() + plan.len(),
                        host: h.clone(),
                        share,
                    });
                }
            }
            if have.len() + plan.len() < count {
                return Ok(Err(Some((have.len() + plan.len(), hosts.len()))));
            }
            for a in &plan {
                tx.execute(
                    "INSERT INTO allocations (cluster, node, pool, ip, share) \
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![
                        cluster,
                        a.node as i64,
                        pool,
                        a.host.host.ip,
                        serde_json::to_string(&a.share).map_err(json_err)?
                    ],
                )?;
            }
            let mut all: Vec<Allocation> = have.into_iter().map(|h| h.alloc).collect();
            all.extend(plan);
            Ok(Ok(all))
        })?;
        match outcome {
            Ok(v) => Ok(v),
            Err(Some((fits, total))) => Err(Error::new(
                ErrorKind::ResourcesUnavailable,
                format!(
                    "SSH Node Pool {pool:?} cannot fit {count} node(s) of {} each: {fits} of \
                     its {total} host(s) can. Free: {}. Use fewer or smaller nodes, or \
                     `sky down` a cluster on the pool.",
                    demand_str(want),
                    self.free_str(pool)?
                ),
            )),
            Err(None) => Err(Error::new(
                ErrorKind::ResourcesUnavailable,
                format!("Cluster {cluster:?} already holds hosts of another node pool."),
            )),
        }
    }

    fn free_str(&self, pool: &str) -> Result<String> {
        let parts: Vec<String> = self
            .free(pool)?
            .iter()
            .map(|(h, (c, m, g))| {
                let gpus = match &h.resources.accelerator {
                    Some(a) if !g.is_empty() => format!(", {a}:{}", g.len()),
                    _ => String::new(),
                };
                format!("{} {c} CPUs, {m:.1} GB{gpus}", h.host.ip)
            })
            .collect();
        Ok(parts.join("; "))
    }

    /// Returns what `cluster`'s workers hold (its head keeps its share).
    pub fn release_workers(&mut self, cluster: &str) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "DELETE FROM allocations WHERE cluster = ?1 AND node > 0",
                [cluster],
            )
            .map(|_| ())
        })
    }

    /// Returns everything `cluster` holds.
    pub fn release(&mut self, cluster: &str) -> Result<()> {
        self.write(|tx| {
            tx.execute("DELETE FROM allocations WHERE cluster = ?1", [cluster])
                .map(|_| ())
        })
    }
}

/// `4 CPUs, 16 GB, H100:1` for messages.
pub fn demand_str(d: &Demand) -> String {
    let mut s = format!("{} CPUs, {} GB", d.cpus, d.memory_gb);
    if let Some((a, n)) = &d.accelerator {
        s.push_str(&format!(", {a}:{n}"));
    }
    s
}

struct Held {
    host_pool: String,
    alloc: Allocation,
}

fn allocations_of(conn: &Connection, cluster: &str) -> rusqlite::Result<Vec<Held>> {
    let mut st = conn.prepare(
        "SELECT a.node, a.pool, a.share, h.idx, h.host, h.resources, h.internal_ip FROM allocations a \
         JOIN pool_hosts h ON h.pool = a.pool AND h.ip = a.ip \
         WHERE a.cluster = ?1 ORDER BY a.node",
    )?;
    let rows = st.query_map([cluster], |r| {
        let node: i64 = r.get(0)?;
        let pool: String = r.get(1)?;
        let share: String = r.get(2)?;
        let idx: i64 = r.get(3)?;
        let host: String = r.get(4)?;
        let res: String = r.get(5)?;
        let internal_ip: String = r.get(6)?;
        Ok((node, pool, share, idx, host, res, internal_ip))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (node, pool, share, idx, host, res, internal_ip) = row?;
        let (Ok(share), Ok(host), Ok(resources)) = (
            serde_json::from_str(&share),
            serde_json::from_str(&host),
            serde_json::from_str(&res),
        ) else {
            continue;
        };
        out.push(Held {
            host_pool: pool,
            alloc: Allocation {
                node: node.max(0) as usize,
                host: HostRecord {
                    idx: idx.max(0) as usize,
                    internal_ip,
                    host,
                    resources,
                },
                share,
            },
        });
    }
    Ok(out)
}

/// Whether a cluster holds anything (used by `down` of a half-made one).
pub fn holds_any(inv: &Inventory, cluster: &str) -> Result<bool> {
    inv.conn
        .query_row(
            "SELECT 1 FROM allocations WHERE cluster = ?1 LIMIT 1",
            [cluster],
            |_| Ok(()),
        )
        .optional()
        .map(|o| o.is_some())
        .map_err(sql_err)
}

#[cfg(test)]
#[path = "inventory_tests.rs"]
mod tests;

/// What one node of a virtual instance type asks for (`4CPU--16GB--H100:1`),
/// the request's accelerators taking precedence over the name's.
pub fn demand_of(
    instance_type: &str,
    accelerators: Option<&crate::clouds::Accelerators>,
) -> Option<Demand> {
    let (cpus, memory_gb, acc) = crate::clouds::virtual_type::parse(instance_type)?;
    let from_request = accelerators.and_then(crate::clouds::first_accelerator);
    let accelerator = from_request
        .or(acc)
        .map(|(name, n)| (name, n.ceil().max(0.0) as u32))
        .filter(|(_, n)| *n > 0);
    Some(Demand {
        cpus,
        memory_gb,
        accelerator,
    })
}
