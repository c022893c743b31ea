//! `Task.validate()` and its parts (`validate_name`, `validate_run`,
//! `expand_and_validate_workdir`, `expand_and_validate_file_mounts`), and
//! the destination checks storage mounts share, with SkyPilot's messages.

use std::path::Path;

use crate::error::{Error, Result};
use crate::spec::dag::git_commit;
use crate::spec::data_utils::is_cloud_store_url;
use crate::spec::paths::expand_abs;
use crate::spec::task::Task;
use crate::spec::task_name::is_valid_task_name;
use crate::yaml::{Value, py_str_repr};

/// `constants.SKY_REMOTE_WORKDIR`: where the workdir lands on the nodes.
pub const SKY_REMOTE_WORKDIR: &str = "~/sky_workdir";

const VALID_NAME_DESCR: &str = "ASCII characters and may contain lowercase and uppercase \
     letters, digits, underscores, periods, and dashes. Must start and end with alphanumeric \
     characters. No triple dashes or underscores.";

impl Task {
    /// `Task.validate(skip_file_mounts, skip_workdir)` without the per
    /// resource and plugin validators (the Python wrapper runs those).
    pub fn validate(&mut self, skip_file_mounts: bool, skip_workdir: bool) -> Result<()> {
        self.validate_name()?;
        self.validate_run()?;
        if !skip_workdir {
            self.expand_and_validate_workdir()?;
        }
        if !skip_file_mounts {
            self.expand_and_validate_file_mounts()?;
        }
        Ok(())
    }

    /// `Task.validate_name()`.
    pub fn validate_name(&self) -> Result<()> {
        match &self.name {
            Some(n) if !is_valid_task_name(n) => Err(Error::value(format!(
                "Invalid task name {n}. Valid name: {VALID_NAME_DESCR}"
            ))),
            _ => Ok(()),
        }
    }

    /// `Task.validate_run()`: `run` must be a string, not a generator.
    pub fn validate_run(&self) -> Result<()> {
        match &self.run_generator {
            Some(type_repr) => Err(Error::value(format!(
                "run must be a shell script (str). Got {type_repr}"
            ))),
            None => Ok(()),
        }
    }

    /// `Task.expand_and_validate_workdir()`: a local workdir becomes an
    /// absolute path to an existing directory; its git commit (or a git
    /// workdir's `ref`) goes into the metadata.
    pub fn expand_and_validate_workdir(&mut self) -> Result<()> {
        match self.workdir.clone() {
            Some(Value::Map(git)) => {
                if let Some(r) = git.get("ref").filter(|r| !r.is_null()) {
                    self.metadata.insert("git_commit", r.clone());
                }
            }
            Some(Value::Str(user_workdir)) => {
                let workdir = expand_abs(&user_workdir);
                self.workdir = Some(Value::Str(workdir.clone()));
                if !Path::new(&workdir).is_dir() {
                    return Err(Error::value(format!(
                        "Workdir must be a valid directory (or a symlink to a directory). \
                         {user_workdir} not found."
                    )));
                }
                if let Some(commit) = git_commit(Path::new(&workdir)) {
                    self.metadata.insert("git_commit", commit);
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// `Task.expand_and_validate_file_mounts()`: local sources become
    /// absolute paths that must exist; no path may end with `/`.
    pub fn expand_and_validate_file_mounts(&mut self) -> Result<()> {
        let Some(mounts) = self.file_mounts.clone() else {
            return Ok(());
        };
        for (target, source) in mounts.iter() {
            let (target, source) = (target.py_str(), source.py_str());
            let location = format!("file_mounts.{target}: {source}");
            self.validate_mount_target(&target, &location)?;
            validate_path(&source, &location)?;
            if is_cloud_store_url(&target) {
                return Err(Error::value(
                    "File mount destination paths cannot be cloud storage",
                ));
            }
            if !is_cloud_store_url(&source) {
                let expanded = expand_abs(&source);
                if let Some(fm) = self.file_mounts.as_mut() {
                    fm.insert(target.as_str(), expanded.as_str());
                }
                if !Path::new(&expanded).exists() && !source.starts_with("skypilot:") {
                    return Err(Error::value(format!(
                        "File mount source {} does not exist locally. To fix: check if it \
                         exists, and correct the path.",
                        py_str_repr(&source)
                    )));
                }
            }
        }
        Ok(())
    }

    /// `_validate_mount_path`: no trailing `/`, and not the workdir's place.
    fn validate_mount_target(&self, path: &str, location: &str) -> Result<()> {
        validate_path(path, location)?;
        self.check_not_workdir_target(path)
    }

    /// A mount may not land on `~/sky_workdir` while a workdir is set.
    pub fn check_not_workdir_target(&self, target: &str) -> Result<()> {
        if target == SKY_REMOTE_WORKDIR && self.workdir.is_some() {
            return Err(Error::value(format!(
                "Cannot use {} as a destination path of a file mount, as it will be used by the \
                 workdir. If uploading a file/folder to the workdir is needed, please specify the \
                 full path to the file/folder.",
                py_str_repr(SKY_REMOTE_WORKDIR)
            )));
        }
        Ok(())
    }
}

/// `_validate_path`: mount paths must not end with a slash.
fn validate_path(path: &str, location: &str) -> Result<()> {
    if path.ends_with('/') {
        return Err(Error::value(format!(
            "Mount paths cannot end with a slash Found: {path} in {location}"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::Map;

    #[test]
    fn name_and_run() {
        let mut t = Task::new();
        t.name = Some("-x".into());
        assert!(t.validate_name().is_err_and(|e| {
            e.message
                .starts_with("Invalid task name -x. Valid name: ASCII")
        }));
        t.name = Some("a.b--c".into());
        assert!(t.validate_name().is_ok());
        t.run_generator = Some("<class 'function'>".into());
        assert_eq!(
            t.validate_run().map_err(|e| e.message),
            Err("run must be a shell script (str). Got <class 'function'>".into())
        );
    }

    #[test]
    fn file_mounts_expand_and_check() {
        let mut t = Task::new();
        let mut fm = Map::new();
        fm.insert("/a", "/tmp/../tmp");
        fm.insert("/b", "s3://bkt/x");
        t.file_mounts = Some(fm);
        assert!(t.expand_and_validate_file_mounts().is_ok());
        assert_eq!(
            t.file_mounts
                .as_ref()
                .and_then(|m| m.get("/a"))
                .map(Value::py_str),
            Some("/tmp".into())
        );
        let mut bad = Map::new();
        bad.insert("/a/", "s3://x");
        t.file_mounts = Some(bad);
        assert_eq!(
            t.expand_and_validate_file_mounts().map_err(|e| e.message),
            Err("Mount paths cannot end with a slash Found: /a/ in file_mounts./a/: s3://x".into())
        );
    }

    #[test]
    fn workdir_must_exist() {
        let mut t = Task::new();
        t.workdir = Some(Value::from("/nonexistent_stix_zz"));
        assert!(t.expand_and_validate_workdir().is_err());
        t.workdir = Some(Value::from("/tmp/"));
        assert!(t.expand_and_validate_workdir().is_ok());
        assert_eq!(t.workdir, Some(Value::from("/tmp")));
    }
}
