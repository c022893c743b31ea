//! Cluster records and their usage history, with SkyPilot's update rules
//! (`add_or_update_cluster`, `remove_cluster`, `set_cluster_status`, ...).

use rusqlite::{OptionalExtension, Row, Transaction, params};
use serde::{Deserialize, Serialize};

use super::{StateDb, now_secs, random_hex, sql_err};
use crate::error::{Error, ErrorKind, Result};

/// `status_lib.ClusterStatus`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum ClusterStatus {
    /// Provisioning or in an abnormal state.
    Init,
    /// Up and ready.
    Up,
    /// Stopped.
    Stopped,
    /// Stopping itself because of autostop.
    Autostopping,
    /// Waiting to be provisioned.
    Pending,
}

impl ClusterStatus {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            ClusterStatus::Init => "INIT",
            ClusterStatus::Up => "UP",
            ClusterStatus::Stopped => "STOPPED",
            ClusterStatus::Autostopping => "AUTOSTOPPING",
            ClusterStatus::Pending => "PENDING",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<ClusterStatus> {
        [
            ClusterStatus::Init,
            ClusterStatus::Up,
            ClusterStatus::Stopped,
            ClusterStatus::Autostopping,
            ClusterStatus::Pending,
        ]
        .into_iter()
        .find(|c| c.as_str() == s)
    }
}

/// One row of `sky status` (`get_cluster_from_name`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClusterRecord {
    /// Cluster name.
    pub name: String,
    /// Launch time (epoch seconds).
    pub launched_at: Option<i64>,
    /// The backend's handle, as JSON.
    pub handle: serde_json::Value,
    /// The command that last used it.
    pub last_use: Option<String>,
    /// Status.
    pub status: ClusterStatus,
    /// Autostop idle minutes (-1: off).
    pub autostop: i64,
    /// Autostop tears down instead of stopping.
    pub to_down: bool,
    /// Free-form metadata.
    pub metadata: serde_json::Value,
    /// Stable id across relaunches, keys the history.
    pub cluster_hash: String,
    /// Whether it was ever UP.
    pub cluster_ever_up: bool,
    /// When the status last changed.
    pub status_updated_at: Option<i64>,
    /// Owner's user hash.
    pub user_hash: Option<String>,
    /// Workspace.
    pub workspace: String,
    /// Whether a controller launched it.
    pub is_managed: bool,
    /// The YAML of the launch that created it.
    pub last_creation_yaml: Option<String>,
    /// The command of the launch that created it.
    pub last_creation_command: Option<String>,
    /// Nodes launched.
    pub launched_nodes: Option<i64>,
    /// Launched resources, as JSON.
    pub launched_resources: serde_json::Value,
    /// Cloud, region and zone, for filtering.
    pub cloud: Option<String>,
    /// Region.
    pub region: Option<String>,
    /// Zone.
    pub zone: Option<String>,
}

const COLUMNS: &str = "name, launched_at, handle, last_use, status, autostop, to_down, metadata, \
     cluster_hash, cluster_ever_up, status_updated_at, user_hash, workspace, is_managed, \
     last_creation_yaml, last_creation_command, launched_nodes, launched_resources, cloud, \
     region, zone";

fn json_col(s: Option<String>) -> serde_json::Value {
    s.and_then(|s| serde_json::from_str(&s).ok())
        .unwrap_or(serde_json::Value::Null)
}

fn record(r: &Row<'_>) -> rusqlite::Result<ClusterRecord> {
    let status: String = r.get(4)?;
    Ok(ClusterRecord {
        name: r.get(0)?,
        launched_at: r.get(1)?,
        handle: json_col(r.get(2)?),
        last_use: r.get(3)?,
        status: ClusterStatus::parse(&status).unwrap_or(ClusterStatus::Init),
        autostop: r.get::<_, Option<i64>>(5)?.unwrap_or(-1),
        to_down: r.get::<_, Option<i64>>(6)?.unwrap_or(0) != 0,
        metadata: json_col(r.get(7)?),
        cluster_hash: r.get::<_, Option<String>>(8)?.unwrap_or_default(),
        cluster_ever_up: r.get::<_, Option<i64>>(9)?.unwrap_or(0) != 0,
        status_updated_at: r.get(10)?,
        user_hash: r.get(11)?,
        workspace: r
            .get::<_, Option<String>>(12)?
            .unwrap_or_else(|| "default".into()),
        is_managed: r.get::<_, Option<i64>>(13)?.unwrap_or(0) != 0,
        last_creation_yaml: r.get(14)?,
        last_creation_command: r.get(15)?,
        launched_nodes: r.get(16)?,
        launched_resources: json_col(r.get(17)?),
        cloud: r.get(18)?,
        region: r.get(19)?,
        zone: r.get(20)?,
    })
}

/// What `add_or_update_cluster` writes.
#[derive(Debug, Clone, Default)]
pub struct ClusterUpdate {
    /// Cluster name.
    pub name: String,
    /// The handle, as JSON.
    pub handle: serde_json::Value,
    /// Requested resources, as JSON.
    pub requested_resources: serde_json::Value,
    /// Launched resources, as JSON.
    pub launched_resources: serde_json::Value,
    /// Nodes launched.
    pub launched_nodes: i64,
    /// Cloud / region / zone of the launched resources.
    pub cloud: Option<String>,
    /// Region.
    pub region: Option<String>,
    /// Zone.
    pub zone: Option<String>,
    /// UP when ready, else INIT.
    pub ready: bool,
    /// A first launch (stamps `launched_at` and `last_use`).
    pub is_launch: bool,
    /// The command line (`sky launch ...`).
    pub last_use: Option<String>,
    /// The task's YAML, kept as `last_creation_yaml`.
    pub task_yaml: Option<String>,
    /// The current user's hash.
    pub user_hash: String,
    /// The active workspace.
    pub workspace: String,
    /// Launched by a controller.
    pub is_managed: bool,
}

/// One cluster in `cost-report` (`get_clusters_from_history`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryRecord {
    /// Cluster name.
    pub name: String,
    /// Stable id.
    pub cluster_hash: String,
    /// Nodes launched.
    pub num_nodes: Option<i64>,
    /// Requested resources (JSON).
    pub requested_resources: serde_json::Value,
    /// Launched resources (JSON).
    pub launched_resources: serde_json::Value,
    /// (start, end) of each period it was up; end `None` while up.
    pub usage_intervals: Vec<(i64, Option<i64>)>,
    /// First launch.
    pub launched_at: Option<i64>,
    /// Last start or end of a usage interval.
    pub last_activity_time: Option<i64>,
    /// Seconds up in total, until now for a running cluster.
    pub duration: i64,
    /// Current status if the cluster still exists.
    pub status: Option<ClusterStatus>,
    /// Owner.
    pub user_hash: Option<String>,
    /// Workspace.
    pub workspace: Option<String>,
    /// Creation YAML.
    pub last_creation_yaml: Option<String>,
    /// Creation command.
    pub last_creation_command: Option<String>,
    /// Cloud.
    pub cloud: Option<String>,
    /// Region.
    pub region: Option<String>,
    /// Zone.
    pub zone: Option<String>,
}

fn not_found(name: &str) -> Error {
    Error::new(
        ErrorKind::ClusterDoesNotExist,
        format!("Cluster {name} not found."),
    )
}

type Intervals = Vec<(i64, Option<i64>)>;

fn intervals(tx: &Transaction<'_>, hash: &str) -> rusqlite::Result<Intervals> {
    let s: Option<Option<String>> = tx
        .query_row(
            "SELECT usage_intervals FROM cluster_history WHERE cluster_hash = ?1",
            [hash],
            |r| r.get(0),
        )
        .optional()?;
    Ok(s.flatten()
        .and_then(|s| serde_json::from_str(&s).ok())
        .unwrap_or_default())
}

fn set_intervals(tx: &Transaction<'_>, hash: &str, iv: &Intervals) -> rusqlite::Result<()> {
    let last = iv.last().map(|(s, e)| e.unwrap_or(*s));
    tx.execute(
        "UPDATE cluster_history SET usage_intervals = ?1, last_activity_time = ?2 \
         WHERE cluster_hash = ?3",
        params![serde_json::to_string(iv).unwrap_or_default(), last, hash],
    )
    .map(|_| ())
}

fn duration(iv: &Intervals) -> i64 {
    let now = now_secs();
    iv.iter().map(|(s, e)| e.unwrap_or(now) - s).sum()
}

impl StateDb {
    /// `add_or_update_cluster`: the record (INIT or UP) and its history.
    pub fn add_or_update_cluster(&mut self, u: &ClusterUpdate) -> Result<()> {
        let now = now_secs();
        self.write(|tx| {
            let row: Option<(String, Option<String>, Option<String>)> = tx
                .query_row(
                    "SELECT status, cluster_hash, user_hash FROM clusters WHERE name = ?1",
                    [&u.name],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
                .optional()?;
            let prev_status = row.as_ref().and_then(|r| ClusterStatus::parse(&r.0));
            let hash = row
                .as_ref()
                .and_then(|r| r.1.clone())
                .unwrap_or_else(|| random_hex(32));
            let owner = row
                .as_ref()
                .and_then(|r| r.2.clone())
                .unwrap_or_else(|| u.user_hash.clone());
            let mut iv = intervals(tx, &hash)?;
            if iv.last().is_none_or(|(_, e)| e.is_some()) {
                iv.push((now, None));
            }
            let status = if u.ready {
                ClusterStatus::Up
            } else {
                ClusterStatus::Init
            };
            let reset_autostop = row.is_none() || prev_status == Some(ClusterStatus::Stopped);
            let new_creation = u.is_launch && prev_status != Some(ClusterStatus::Up);
            let handle = serde_json::to_string(&u.handle).unwrap_or_default();
            let launched = serde_json::to_string(&u.launched_resources).unwrap_or_default();
            let requested = serde_json::to_string(&u.requested_resources).unwrap_or_default();
            tx.execute(
                "INSERT INTO clusters (name, launched_at, handle, last_use, status, autostop, \
                 to_down, cluster_hash, cluster_ever_up, status_updated_at, user_hash, \
                 workspace, is_managed, last_creation_yaml, last_creation_command, \
                 launched_nodes, launched_resources, requested_resources, cloud, region, zone) \
                 VALUES (?1, ?2, ?3, ?4, ?5, -1, 0, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, \
                 ?15, ?16, ?17, ?18, ?19) \
                 ON CONFLICT(name) DO UPDATE SET \
                 launched_at = CASE WHEN ?20 THEN excluded.launched_at ELSE launched_at END, \
                 last_use = CASE WHEN ?20 THEN excluded.last_use ELSE last_use END, \
                 handle = excluded.handle, status = excluded.status, \
                 autostop = CASE WHEN ?21 THEN -1 ELSE autostop END, \
                 to_down = CASE WHEN ?21 THEN 0 ELSE to_down END, \
                 cluster_ever_up = MAX(cluster_ever_up, excluded.cluster_ever_up), \
                 status_updated_at = excluded.status_updated_at, \
                 user_hash = COALESCE(user_hash, excluded.user_hash), \
                 workspace = COALESCE(workspace, excluded.workspace), \
                 last_creation_yaml = CASE WHEN ?22 THEN excluded.last_creation_yaml \
                     ELSE last_creation_yaml END, \
                 last_creation_command = CASE WHEN ?22 THEN excluded.last_creation_command \
                     ELSE last_creation_command END, \
                 launched_nodes = excluded.launched_nodes, \
                 launched_resources = excluded.launched_resources, \
                 requested_resources = excluded.requested_resources, \
                 cloud = excluded.cloud, region = excluded.region, zone = excluded.zone",
                params![
                    u.name,
                    now,
                    handle,
                    u.last_use,
                    status.as_str(),
                    hash,
                    u.ready as i64,
                    now,
                    owner,
                    u.workspace,
                    u.is_managed as i64,
                    u.task_yaml,
                    u.last_use,
                    u.launched_nodes,
                    launched,
                    requested,
                    u.cloud,
                    u.region,
                    u.zone,
                    u.is_launch,
                    reset_autostop,
                    new_creation,
                ],
            )?;
            let ivs = serde_json::to_string(&iv).unwrap_or_default();
            let first = iv.first().map(|(s, _)| *s);
            let last = iv.last().map(|(s, e)| e.unwrap_or(*s));
            tx.execute(
                "INSERT INTO cluster_history (cluster_hash, name, num_nodes, \
                 requested_resources, launched_resources, usage_intervals, user_hash, \
                 last_creation_yaml, last_creation_command, workspace, last_activity_time, \
                 launched_at, cloud, region, zone, is_managed) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16) \
                 ON CONFLICT(cluster_hash) DO UPDATE SET name = excluded.name, \
                 num_nodes = excluded.num_nodes, \
                 requested_resources = excluded.requested_resources, \
                 launched_resources = excluded.launched_resources, \
                 usage_intervals = excluded.usage_intervals, \
                 last_creation_yaml = COALESCE(excluded.last_creation_yaml, last_creation_yaml), \
                 last_creation_command = COALESCE(excluded.last_creation_command, \
                     last_creation_command), \
                 last_activity_time = excluded.last_activity_time, \
                 launched_at = excluded.launched_at, cloud = excluded.cloud, \
                 region = excluded.region, zone = excluded.zone",
                params![
                    hash,
                    u.name,
                    u.launched_nodes,
                    requested,
                    launched,
                    ivs,
                    owner,
                    new_creation.then_some(u.task_yaml.clone()).flatten(),
                    new_creation.then_some(u.last_use.clone()).flatten(),
                    u.workspace,
                    last,
                    first,
                    u.cloud,
                    u.region,
                    u.zone,
                    u.is_managed as i64,
                ],
            )?;
            Ok(())
        })
    }

    /// One cluster's record.
    pub fn get_cluster(&self, name: &str) -> Result<Option<ClusterRecord>> {
        self.conn()
            .query_row(
                &format!("SELECT {COLUMNS} FROM clusters WHERE name = ?1"),
                [name],
                record,
            )
            .optional()
            .map_err(sql_err)
    }

    /// Every cluster, by name.
    pub fn get_clusters(&self) -> Result<Vec<ClusterRecord>> {
        let mut stmt = self
            .conn()
            .prepare(&format!("SELECT {COLUMNS} FROM clusters ORDER BY name"))
            .map_err(sql_err)?;
        let rows = stmt.query_map([], record).map_err(sql_err)?;
        rows.collect::<rusqlite::Result<Vec<_>>>().map_err(sql_err)
    }

    /// `set_cluster_status`.
    pub fn set_cluster_status(&mut self, name: &str, status: ClusterStatus) -> Result<()> {
        let n = self.write(|tx| {
            tx.execute(
                "UPDATE clusters SET status = ?1, status_updated_at = ?2 WHERE name = ?3",
                params![status.as_str(), now_secs(), name],
            )
        })?;
        if n == 0 {
            return Err(not_found(name));
        }
        Ok(())
    }

    /// `set_cluster_autostop_value`.
    pub fn set_cluster_autostop(
        &mut self,
        name: &str,
        idle_minutes: i64,
        to_down: bool,
    ) -> Result<()> {
        let n = self.write(|tx| {
            tx.execute(
                "UPDATE clusters SET autostop = ?1, to_down = ?2 WHERE name = ?3",
                params![idle_minutes, to_down as i64, name],
            )
        })?;
        if n == 0 {
            return Err(not_found(name));
        }
        Ok(())
    }

    /// `update_last_use`.
    pub fn update_last_use(&mut self, name: &str, command: &str) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "UPDATE clusters SET last_use = ?1 WHERE name = ?2",
                params![command, name],
            )
            .map(|_| ())
        })
    }

    /// `remove_cluster`: closes the usage interval, then deletes the record
    /// (`terminate`) or marks it STOPPED.
    pub fn remove_cluster(&mut self, name: &str, terminate: bool) -> Result<()> {
        let now = now_secs();
        self.write(|tx| {
            let hash: Option<Option<String>> = tx
                .query_row(
                    "SELECT cluster_hash FROM clusters WHERE name = ?1",
                    [name],
                    |r| r.get(0),
                )
                .optional()?;
            if let Some(hash) = hash.flatten() {
                let mut iv = intervals(tx, &hash)?;
                if let Some(last) = iv.last_mut()
                    && last.1.is_none()
                {
                    last.1 = Some(now);
                    set_intervals(tx, &hash, &iv)?;
                }
            }
            if terminate {
                tx.execute("DELETE FROM clusters WHERE name = ?1", [name])?;
            } else {
                tx.execute(
                    "UPDATE clusters SET status = 'STOPPED', status_updated_at = ?1 WHERE name = ?2",
                    params![now, name],
                )?;
            }
            Ok(())
        })
    }

    /// `get_clusters_from_history`: clusters active within `days` (all when
    /// `None`), most recent first.
    pub fn get_clusters_from_history(&self, days: Option<i64>) -> Result<Vec<HistoryRecord>> {
        let cutoff = days.map_or(i64::MIN, |d| now_secs() - d * 86400);
        let mut stmt = self
            .conn()
            .prepare(
                "SELECT h.cluster_hash, h.name, h.num_nodes, h.requested_resources, \
                 h.launched_resources, h.usage_intervals, h.user_hash, h.workspace, \
                 h.last_creation_yaml, h.last_creation_command, h.cloud, h.region, h.zone, \
                 c.status FROM cluster_history h LEFT JOIN clusters c \
                 ON c.cluster_hash = h.cluster_hash \
                 WHERE COALESCE(h.last_activity_time, 0) >= ?1 OR c.status IS NOT NULL \
                 ORDER BY h.last_activity_time DESC",
            )
            .map_err(sql_err)?;
        let rows = stmt
            .query_map([cutoff], |r| {
                let iv: Intervals = r
                    .get::<_, Option<String>>(5)?
                    .and_then(|s| serde_json::from_str(&s).ok())
                    .unwrap_or_default();
                let status: Option<String> = r.get(13)?;
                Ok(HistoryRecord {
                    cluster_hash: r.get(0)?,
                    name: r.get::<_, Option<String>>(1)?.unwrap_or_default(),
                    num_nodes: r.get(2)?,
                    requested_resources: json_col(r.get(3)?),
                    launched_resources: json_col(r.get(4)?),
                    launched_at: iv.first().map(|(s, _)| *s),
                    last_activity_time: iv.last().map(|(s, e)| e.unwrap_or(*s)),
                    duration: duration(&iv),
                    usage_intervals: iv,
                    user_hash: r.get(6)?,
                    workspace: r.get(7)?,
                    last_creation_yaml: r.get(8)?,
                    last_creation_command: r.get(9)?,
                    cloud: r.get(10)?,
                    region: r.get(11)?,
                    zone: r.get(12)?,
                    status: status.and_then(|s| ClusterStatus::parse(&s)),
                })
            })
            .map_err(sql_err)?;
        rows.collect::<rusqlite::Result<Vec<_>>>().map_err(sql_err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db(name: &str) -> StateDb {
        let dir = std::env::temp_dir().join(format!("stix-state-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        StateDb::open_at(&dir.join("state.db")).unwrap()
    }

    fn update(name: &str, ready: bool) -> ClusterUpdate {
        ClusterUpdate {
            name: name.into(),
            handle: serde_json::json!({"cluster_name": name}),
            launched_nodes: 2,
            ready,
            is_launch: true,
            last_use: Some("sky launch".into()),
            task_yaml: Some("run: echo\n".into()),
            user_hash: "u1".into(),
            workspace: "default".into(),
            ..Default::default()
        }
    }

    #[test]
    fn lifecycle_and_history() {
        let mut db = db("life");
        assert_eq!(db.schema_version().unwrap(), 1);
        db.add_or_update_cluster(&update("c1", false)).unwrap();
        let r = db.get_cluster("c1").unwrap().unwrap();
        assert_eq!(r.status, ClusterStatus::Init);
        assert!(!r.cluster_ever_up);
        db.add_or_update_cluster(&update("c1", true)).unwrap();
        db.set_cluster_autostop("c1", 10, true).unwrap();
        let r2 = db.get_cluster("c1").unwrap().unwrap();
        assert_eq!(
            (r2.status, r2.autostop, r2.to_down),
            (ClusterStatus::Up, 10, true)
        );
        assert_eq!(r2.cluster_hash, r.cluster_hash);
        db.remove_cluster("c1", false).unwrap();
        assert_eq!(
            db.get_cluster("c1").unwrap().unwrap().status,
            ClusterStatus::Stopped
        );
        db.add_or_update_cluster(&update("c1", true)).unwrap();
        let r3 = db.get_cluster("c1").unwrap().unwrap();
        assert_eq!(r3.autostop, -1, "a restart from STOPPED resets autostop");
        db.remove_cluster("c1", true).unwrap();
        assert!(db.get_cluster("c1").unwrap().is_none());
        let h = db.get_clusters_from_history(None).unwrap();
        assert_eq!(h.len(), 1);
        assert_eq!(h[0].usage_intervals.len(), 2);
        assert!(h[0].usage_intervals.iter().all(|(_, e)| e.is_some()));
        assert_eq!(h[0].status, None);
        assert!(db.set_cluster_status("nope", ClusterStatus::Up).is_err());
    }
}
