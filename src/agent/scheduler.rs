//! SkyPilot's `FIFOScheduler` with Ray's resource gating done here: pending
//! jobs are taken in job-id order; each needs one bundle (`{CPU: 0.5,
//! <acc>: n}`) on each of `num_nodes` distinct nodes (Ray's
//! `STRICT_SPREAD`); fractional accelerators share a device as Ray's
//! `num_gpus=0.5` does; the first job that does not fit blocks the ones
//! behind it. A placed job gets its allocation recorded and a detached
//! driver; resources return when the job leaves `SETTING_UP`/`RUNNING`.

use std::path::Path;

use rusqlite::params;
use serde::{Deserialize, Serialize};

use super::db::JobsDb;
use super::script::Demand;
use super::{ClusterSpec, now};
use crate::error::{Error, Result};
use crate::provision::NodeResources;

const EPS: f64 = 1e-9;

/// What one rank of a job holds on its node.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NodeAlloc {
    /// Index of the node in the cluster (0 = head).
    pub node: usize,
    /// CPUs held.
    pub cpus: f64,
    /// (device index, fraction) per accelerator held.
    pub gpus: Vec<(u32, f64)>,
}

impl NodeAlloc {
    /// `CUDA_VISIBLE_DEVICES` for this rank on a node offering `node`: the
    /// host's device numbers, which differ from the node's own when it holds
    /// only some GPUs of a shared host.
    pub fn cuda_visible_devices(&self, node: &NodeResources) -> String {
        self.gpus
            .iter()
            .map(|(i, _)| node.device_index(*i).to_string())
            .collect::<Vec<_>>()
            .join(",")
    }
}

/// Free capacity of every node.
#[derive(Debug, Clone)]
struct Free {
    cpus: Vec<f64>,
    gpus: Vec<Vec<f64>>,
    names: Vec<Option<String>>,
}

impl Free {
    fn new(nodes: &[NodeResources]) -> Free {
        Free {
            cpus: nodes.iter().map(|n| n.cpus).collect(),
            gpus: nodes
                .iter()
                .map(|n| vec![1.0; n.accelerator_count as usize])
                .collect(),
            names: nodes.iter().map(|n| n.accelerator.clone()).collect(),
        }
    }

    fn take(&mut self, a: &NodeAlloc) {
        if let Some(c) = self.cpus.get_mut(a.node) {
            *c -= a.cpus;
        }
        for (i, f) in &a.gpus {
            if let Some(g) = self
                .gpus
                .get_mut(a.node)
                .and_then(|g| g.get_mut(*i as usize))
            {
                *g -= f;
            }
        }
    }

    /// One bundle of `demand` on `node`, if it fits.
    fn fit(&self, node: usize, demand: &Demand) -> Option<NodeAlloc> {
        if self.cpus[node] + EPS < demand.cpus {
            return None;
        }
        let mut gpus = Vec::new();
        let want = demand.accelerator_count;
        if want > EPS {
            let name_ok = match (&demand.accelerator, &self.names[node]) {
                (Some(w), Some(have)) => w.eq_ignore_ascii_case(have),
                (None, _) => true,
                _ => false,
            };
            if !name_ok {
                return None;
            }
            let free = &self.gpus[node];
            if want < 1.0 {
                let i = free.iter().position(|f| *f + EPS >= want)?;
                gpus.push((i as u32, want));
            } else {
                let whole = want.ceil() as usize;
                let idle: Vec<usize> = (0..free.len()).filter(|i| free[*i] >= 1.0 - EPS).collect();
                if idle.len() < whole {
                    return None;
                }
                gpus.extend(idle[..whole].iter().map(|i| (*i as u32, 1.0)));
            }
        }
        Some(NodeAlloc {
            node,
            cpus: demand.cpus,
            gpus,
        })
    }

    /// `num_nodes` bundles on distinct nodes, lowest node index first.
    fn place(&self, demand: &Demand, num_nodes: u32) -> Option<Vec<NodeAlloc>> {
        let picks: Vec<NodeAlloc> = (0..self.cpus.len())
            .filter_map(|n| self.fit(n, demand))
            .take(num_nodes as usize)
            .collect();
        (picks.len() == num_nodes as usize).then_some(picks)
    }
}

/// Whether the job could ever run on this cluster (checked at submit, so
/// an impossible job never blocks the queue).
pub fn check_feasible(spec: &ClusterSpec, demand: &Demand, num_nodes: u32) -> Result<()> {
    let nodes: Vec<NodeResources> = spec.nodes.iter().map(|n| n.resources.clone()).collect();
    if Free::new(&nodes).place(demand, num_nodes).is_some() {
        return Ok(());
    }
    let acc = match &demand.accelerator {
        Some(a) => format!(", {a}: {}", demand.accelerator_count),
        None => String::new(),
    };
    Err(Error::new(
        crate::error::ErrorKind::ResourcesMismatch,
        format!(
            "The job needs {num_nodes} node(s) with {{CPU: {}{acc}}} each, which the cluster \
             {:?} ({} node(s)) can never provide.",
            demand.cpus,
            spec.cluster_name,
            spec.nodes.len()
        ),
    ))
}

/// Decides which pending jobs start now (FIFO, head-of-line blocking) and
/// records their allocations. Returns the job ids to start drivers for.
pub fn pick_jobs(db: &mut JobsDb, spec: &ClusterSpec) -> Result<Vec<i64>> {
    let nodes: Vec<NodeResources> = spec.nodes.iter().map(|n| n.resources.clone()).collect();
    db.write(|tx| {
        let mut free = Free::new(&nodes);
        let mut held = tx.prepare(
            "SELECT alloc FROM jobs WHERE scheduled_at IS NOT NULL \
             AND status IN ('PENDING','SETTING_UP','RUNNING')",
        )?;
        let allocs: Vec<Option<String>> = held
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        drop(held);
        for a in allocs.into_iter().flatten() {
            for n in serde_json::from_str::<Vec<NodeAlloc>>(&a).unwrap_or_default() {
                free.take(&n);
            }
        }
        let mut pending = tx.prepare(
            "SELECT job_id, demand, num_nodes FROM jobs WHERE status = 'PENDING' \
             AND scheduled_at IS NULL ORDER BY job_id",
        )?;
        let jobs: Vec<(i64, Option<String>, i64)> = pending
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<rusqlite::Result<_>>()?;
        drop(pending);
        let mut start = Vec::new();
        for (job_id, demand, num_nodes) in jobs {
            let demand: Demand = demand
                .and_then(|d| serde_json::from_str(&d).ok())
                .unwrap_or_default();
            let Some(picks) = free.place(&demand, num_nodes.max(1) as u32) else {
                break;
            };
            for p in &picks {
                free.take(p);
            }
            let alloc = serde_json::to_string(&picks).unwrap_or_default();
            tx.execute(
                "UPDATE jobs SET scheduled_at = ?1, alloc = ?2 WHERE job_id = ?3",
                params![now(), alloc, job_id],
            )?;
            start.push(job_id);
        }
        Ok(start)
    })
}

/// `schedule_step`: places what fits and starts a detached driver for
/// each placed job, with its output appended to the job's `run.log`.
pub fn schedule_step(home: &Path) -> Result<()> {
    let spec = ClusterSpec::load(home)?;
    let mut db = JobsDb::open(home)?;
    let started = pick_jobs(&mut db, &spec)?;
    for job_id in started {
        let log_dir = super::jobs::get_job(&db, job_id)?
            .map(|r| r.log_path)
            .unwrap_or_default();
        let run_log = super::expand(home, &format!("{log_dir}/run.log"));
        let mut argv = super::self_command();
        argv.extend(["driver".to_string(), "--job-id".into(), job_id.to_string()]);
        crate::runner::procs::spawn_detached(&argv, &[], home, Some(&run_log))?;
    }
    Ok(())
}

/// The allocation recorded for a job, in rank order.
pub fn job_alloc(db: &JobsDb, job_id: i64) -> Result<Vec<NodeAlloc>> {
    let a: Option<String> = db
        .conn()
        .query_row("SELECT alloc FROM jobs WHERE job_id = ?1", [job_id], |r| {
            r.get(0)
        })
        .map_err(super::db::sql_err)?;
    Ok(a.and_then(|a| serde_json::from_str(&a).ok())
        .unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(cpus: f64, gpus: u32) -> NodeResources {
        NodeResources {
            cpus,
            memory_gb: 8.0,
            accelerator: (gpus > 0).then(|| "A100".to_string()),
            accelerator_count: gpus,
            gpu_indices: Vec::new(),
        }
    }

    fn gpu(n: f64) -> Demand {
        Demand {
            cpus: 0.5,
            accelerator: Some("a100".into()),
            accelerator_count: n,
        }
    }

    #[test]
    fn fractional_gpus_share_a_device() {
        let mut free = Free::new(&[node(4.0, 1)]);
        let a = free.place(&gpu(0.5), 1).unwrap();
        free.take(&a[0]);
        let b = free.place(&gpu(0.5), 1).unwrap();
        assert_eq!(b[0].gpus, vec![(0, 0.5)]);
        free.take(&b[0]);
        assert!(free.place(&gpu(0.5), 1).is_none());
        assert!(
            free.place(&Demand::default(), 1).is_some(),
            "CPU jobs still fit"
        );
    }

    #[test]
    fn strict_spread_and_whole_gpus() {
        let free = Free::new(&[node(1.0, 2), node(1.0, 2)]);
        let p = free.place(&gpu(2.0), 2).unwrap();
        assert_eq!(p.iter().map(|a| a.node).collect::<Vec<_>>(), [0, 1]);
        assert_eq!(p[1].cuda_visible_devices(&node(4.0, 2)), "0,1");
        // A node holding GPUs 2 and 3 of a shared host shows the host's numbers.
        let mut shared = node(4.0, 2);
        shared.gpu_indices = vec![2, 3];
        assert_eq!(p[1].cuda_visible_devices(&shared), "2,3");
        assert!(free.place(&gpu(3.0), 1).is_none());
        assert!(free.place(&Demand::default(), 3).is_none());
        let mut cpu = Free::new(&[node(1.0, 0)]);
        let x = cpu.place(&Demand::default(), 1).unwrap();
        cpu.take(&x[0]);
        let y = cpu.place(&Demand::default(), 1).unwrap();
        cpu.take(&y[0]);
        assert!(cpu.place(&Demand::default(), 1).is_none(), "0.5 CPU each");
    }
}
