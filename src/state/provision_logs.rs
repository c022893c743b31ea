//! Where each cluster's provision log is (`provision_log_path` of the
//! clusters table, kept in the history too so a torn-down cluster's log
//! can still be read, as SkyPilot's `/provision_logs` falls back to it).

use rusqlite::{OptionalExtension, params};

use super::{StateDb, sql_err};
use crate::error::Result;

impl StateDb {
    /// Records `path` as the cluster's provision log (record and history).
    pub fn set_provision_log_path(&mut self, name: &str, path: &str) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "UPDATE clusters SET provision_log_path = ?1 WHERE name = ?2",
                params![path, name],
            )?;
            tx.execute(
                "UPDATE cluster_history SET provision_log_path = ?1 WHERE cluster_hash = \
                 (SELECT cluster_hash FROM clusters WHERE name = ?2)",
                params![path, name],
            )
            .map(|_| ())
        })
    }

    /// `get_cluster_provision_log_path`, else the latest history entry's
    /// (`get_cluster_history_provision_log_path`).
    pub fn provision_log_path(&self, name: &str) -> Result<Option<String>> {
        let current: Option<Option<String>> = self
            .conn()
            .query_row(
                "SELECT provision_log_path FROM clusters WHERE name = ?1",
                [name],
                |r| r.get(0),
            )
            .optional()
            .map_err(sql_err)?;
        if let Some(p) = current.flatten().filter(|p| !p.is_empty()) {
            return Ok(Some(p));
        }
        let past: Option<Option<String>> = self
            .conn()
            .query_row(
                "SELECT provision_log_path FROM cluster_history WHERE name = ?1 \
                 AND provision_log_path IS NOT NULL \
                 ORDER BY COALESCE(last_activity_time, launched_at, 0) DESC LIMIT 1",
                [name],
                |r| r.get(0),
            )
            .optional()
            .map_err(sql_err)?;
        Ok(past.flatten().filter(|p| !p.is_empty()))
    }
}
