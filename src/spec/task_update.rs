//! In-place updates of a [`Task`] after it was built: envs, secrets,
//! workdir and resource overrides, as the CLI applies its flags.

use crate::error::{Error, Result};
use crate::spec::Task;
use crate::spec::task::is_valid_env_var;
use crate::yaml::{Map, Value};

/// The checks `update_envs` / `update_secrets` make before touching the
/// task; `noun` is `env` or `secret`, as in SkyPilot's messages.
fn check_pairs(pairs: &[(Value, Value)], from_list: bool, noun: &str) -> Result<()> {
    if from_list {
        let unique: std::collections::HashSet<String> =
            pairs.iter().map(|(k, _)| k.py_repr()).collect();
        if unique.len() != pairs.len() {
            return Err(Error::value(format!("Duplicate {noun} keys provided.")));
        }
    }
    let capitalized = if noun == "env" { "Env" } else { "Secret" };
    for (k, _) in pairs {
        let Value::Str(key) = k else {
            return Err(Error::value(format!("{capitalized} keys must be strings.")));
        };
        if !is_valid_env_var(key) {
            return Err(Error::value(format!("Invalid {noun} key: {key}")));
        }
    }
    Ok(())
}

impl Task {
    /// `update_envs` with a list of pairs (`from_list`) or a mapping.
    pub fn update_envs(&mut self, pairs: Vec<(Value, Value)>, from_list: bool) -> Result<()> {
        check_pairs(&pairs, from_list, "env")?;
        for (k, v) in pairs {
            self.envs.insert(k, v);
        }
        self.refresh_docker_settings()
    }

    /// `update_secrets` with a list of pairs (`from_list`) or a mapping.
    pub fn update_secrets(&mut self, pairs: Vec<(Value, Value)>, from_list: bool) -> Result<()> {
        check_pairs(&pairs, from_list, "secret")?;
        for (k, v) in pairs {
            self.secrets.insert(k, v);
        }
        self.refresh_docker_settings()
    }

    /// Envs and secrets may carry registry logins (and RunPod's docker
    /// user name), which SkyPilot folds into the resources on every update.
    fn refresh_docker_settings(&mut self) -> Result<()> {
        crate::spec::docker_login::apply(self.resources.items_mut(), &self.envs, &self.secrets)
    }

    /// `set_resources_override`: every resource candidate (any-of or
    /// ordered) is copied with `overrides`, then set again.
    pub fn set_resources_override(&mut self, overrides: &Map) -> Result<()> {
        let mut group = self.resources.clone();
        for r in group.items_mut().iter_mut() {
            *r = r.copy(overrides)?;
        }
        self.set_resources(group)
    }

    /// `update_workdir(workdir, git_url, git_ref)`: a local directory
    /// replaces a path workdir; a git URL (and ref) makes or updates the
    /// `{url, ref}` form.
    pub fn update_workdir(
        &mut self,
        workdir: Option<&str>,
        git_url: Option<&str>,
        git_ref: Option<&str>,
    ) {
        match &mut self.workdir {
            None | Some(Value::Str(_)) => {
                if let Some(w) = workdir {
                    self.workdir = Some(Value::from(w));
                } else if let Some(url) = git_url {
                    let mut m = Map::new();
                    m.insert("url", url);
                    if let Some(r) = git_ref {
                        m.insert("ref", r);
                    }
                    self.workdir = Some(Value::Map(m));
                }
            }
            Some(Value::Map(m)) => {
                if let Some(url) = git_url {
                    m.insert("url", url);
                }
                if let Some(r) = git_ref {
                    m.insert("ref", r);
                }
            }
            // SkyPilot only stores str or dict workdirs.
            Some(_) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair(k: &str, v: &str) -> (Value, Value) {
        (Value::from(k), Value::from(v))
    }

    #[test]
    fn secrets_are_checked_like_envs() {
        let mut t = Task::new();
        let err = t
            .update_secrets(vec![pair("A", "1"), pair("A", "2")], true)
            .unwrap_err();
        assert_eq!(err.message, "Duplicate secret keys provided.");
        let err = t.update_secrets(vec![pair("1X", "1")], false).unwrap_err();
        assert_eq!(err.message, "Invalid secret key: 1X");
        let err = t.update_envs(vec![pair("1X", "1")], false).unwrap_err();
        assert_eq!(err.message, "Invalid env key: 1X");
        t.update_secrets(vec![pair("TOKEN", "x")], true).unwrap();
        assert_eq!(t.secrets.get("TOKEN"), Some(&Value::from("x")));
    }

    #[test]
    fn workdir_updates_follow_skypilot() {
        let mut t = Task::new();
        t.update_workdir(None, Some("https://g/x"), Some("main"));
        let w = t.workdir.clone().and_then(|w| w.as_map().cloned()).unwrap();
        assert_eq!(w.get("ref"), Some(&Value::from("main")));
        // A dict workdir keeps its form; a local dir does not replace it.
        t.update_workdir(Some("wd"), None, Some("dev"));
        let w = t.workdir.clone().and_then(|w| w.as_map().cloned()).unwrap();
        assert_eq!(w.get("ref"), Some(&Value::from("dev")));
        let mut t = Task::new();
        t.workdir = Some(Value::from("old"));
        t.update_workdir(Some("new"), None, None);
        assert_eq!(t.workdir, Some(Value::from("new")));
    }
}
