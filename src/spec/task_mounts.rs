//! A task's mounts and workdir outside YAML loading: `set_storage_mounts`,
//! the local/cloud split of `file_mounts`, and `update_workdir`.

use crate::error::{Error, Result};
use crate::spec::data_utils::is_cloud_store_url;
use crate::spec::storage::StorageSpec;
use crate::spec::task::Task;
use crate::yaml::Map;

impl Task {
    /// `set_storage_mounts`: destinations must not be the workdir's place
    /// or a bucket; MOUNT/MOUNT_CACHED storage makes every resource require
    /// FUSE. `None` clears the mounts and the FUSE requirement.
    pub fn set_storage_mounts(&mut self, mounts: Option<Vec<(String, StorageSpec)>>) -> Result<()> {
        let Some(mounts) = mounts else {
            self.storage_mounts.clear();
            for r in self.resources.items_mut() {
                r.requires_fuse = Some(false);
            }
            return Ok(());
        };
        for (target, storage) in &mounts {
            self.check_not_workdir_target(target)?;
            if is_cloud_store_url(target) {
                return Err(Error::value(
                    "Storage mount destination path cannot be cloud storage",
                ));
            }
            if storage.is_mountable() {
                for r in self.resources.items_mut() {
                    r.requires_fuse = Some(true);
                }
            }
        }
        self.storage_mounts = mounts;
        Ok(())
    }

    /// `get_local_to_remote_file_mounts()`: mounts whose source and
    /// destination are both local paths.
    pub fn local_to_remote_file_mounts(&self) -> Option<Map> {
        self.file_mounts_where(false)
    }

    /// `get_cloud_to_remote_file_mounts()`: mounts from a bucket URL.
    pub fn cloud_to_remote_file_mounts(&self) -> Option<Map> {
        self.file_mounts_where(true)
    }

    fn file_mounts_where(&self, cloud_source: bool) -> Option<Map> {
        let fm = self.file_mounts.as_ref()?;
        Some(Map(fm
            .iter()
            .filter(|(k, v)| {
                !is_cloud_store_url(&k.py_str()) && is_cloud_store_url(&v.py_str()) == cloud_source
            })
            .cloned()
            .collect()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn storage_mounts_require_fuse_and_check_targets() {
        let mut t = Task::new();
        let mount = |mode| StorageSpec {
            name: Some("b".into()),
            mode,
            ..StorageSpec::default()
        };
        use crate::spec::storage_types::StorageMode;
        assert!(
            t.set_storage_mounts(Some(vec![("/c".into(), mount(StorageMode::Copy))]))
                .is_ok()
        );
        assert_eq!(t.resources.items()[0].requires_fuse, None);
        assert!(
            t.set_storage_mounts(Some(vec![("/m".into(), mount(StorageMode::Mount))]))
                .is_ok()
        );
        assert_eq!(t.resources.items()[0].requires_fuse, Some(true));
        assert!(
            t.set_storage_mounts(Some(vec![("s3://x".into(), mount(StorageMode::Mount))]))
                .is_err()
        );
        t.workdir = Some(crate::yaml::Value::from("/tmp"));
        assert!(
            t.set_storage_mounts(Some(vec![(
                "~/sky_workdir".into(),
                mount(StorageMode::Copy)
            )]))
            .is_err()
        );
        assert!(t.set_storage_mounts(None).is_ok());
        assert_eq!(t.resources.items()[0].requires_fuse, Some(false));
    }

    #[test]
    fn file_mount_split_and_workdir_updates() {
        let mut t = Task::new();
        let mut fm = Map::new();
        fm.insert("/a", "/tmp");
        fm.insert("/b", "s3://x");
        t.file_mounts = Some(fm);
        assert_eq!(t.local_to_remote_file_mounts().map(|m| m.len()), Some(1));
        assert_eq!(t.cloud_to_remote_file_mounts().map(|m| m.len()), Some(1));
        t.update_workdir(None, Some("https://g/r.git"), Some("main"));
        t.update_workdir(Some("/x"), None, Some("v2"));
        assert_eq!(
            t.workdir.as_ref().map(crate::yaml::safe_dump),
            Some("url: https://g/r.git\nref: v2\n".into())
        );
    }
}
