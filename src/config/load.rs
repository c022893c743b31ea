//! Finding and reading SkyPilot's config files: the user config
//! (`~/.sky/config.yaml` or `$SKYPILOT_GLOBAL_CONFIG`), the project config
//! (`.sky.yaml` or `$SKYPILOT_PROJECT_CONFIG`), and the internal
//! `$SKYPILOT_CONFIG` that replaces both.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::nested::{overlay, pop_nested};
use super::validate::validate_config;
use crate::error::{Error, ErrorKind, Result};
use crate::yaml::{self, Map, Value};

/// Internal: a config file that replaces every other one.
pub const ENV_VAR_SKYPILOT_CONFIG: &str = "SKYPILOT_CONFIG";
/// The user (global) config file.
pub const ENV_VAR_GLOBAL_CONFIG: &str = "SKYPILOT_GLOBAL_CONFIG";
/// The project config file.
pub const ENV_VAR_PROJECT_CONFIG: &str = "SKYPILOT_PROJECT_CONFIG";
/// Set on an API server, which reads only the global config.
pub const ENV_VAR_IS_SKYPILOT_SERVER: &str = "IS_SKYPILOT_SERVER";
/// Where a `db:` key read from a config file is handed on.
pub const ENV_VAR_DB_CONNECTION_URI: &str = "SKYPILOT_DB_CONNECTION_URI";
/// The default user config path.
pub const GLOBAL_CONFIG_PATH: &str = "~/.sky/config.yaml";
/// The default project config path (relative to the working directory).
pub const PROJECT_CONFIG_PATH: &str = ".sky.yaml";

/// The environment config loading reads: variables and the working
/// directory. Tests build their own instead of touching the process's.
#[derive(Clone, Debug, Default)]
pub struct Env {
    /// Variables; `None` means the process environment.
    pub vars: Option<HashMap<String, String>>,
    /// Directory relative paths are resolved against; `None` means the
    /// process's working directory.
    pub cwd: Option<PathBuf>,
}

impl Env {
    /// The process's own environment.
    pub fn process() -> Self {
        Env::default()
    }

    /// A fixed environment (for tests).
    pub fn fixed(vars: &[(&str, &str)], cwd: &Path) -> Self {
        Env {
            vars: Some(
                vars.iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            ),
            cwd: Some(cwd.to_path_buf()),
        }
    }

    /// One variable (`os.environ.get`).
    pub fn var(&self, name: &str) -> Option<String> {
        match &self.vars {
            Some(vars) => vars.get(name).cloned(),
            None => std::env::var(name).ok(),
        }
    }

    /// `os.path.expanduser` for `~` and `~/...` (`~user` is left alone).
    pub fn expanduser(&self, path: &str) -> String {
        let Some(rest) = path.strip_prefix('~') else {
            return path.to_string();
        };
        if !(rest.is_empty() || rest.starts_with('/')) {
            return path.to_string();
        }
        let home = match self.var("HOME") {
            Some(h) => h,
            None => match std::env::home_dir() {
                Some(h) => h.to_string_lossy().into_owned(),
                None => return path.to_string(),
            },
        };
        let home = home.trim_end_matches('/');
        let out = format!("{home}{rest}");
        if out.is_empty() { "/".into() } else { out }
    }

    /// Where `path` is on disk (relative paths from the working directory).
    pub fn on_disk(&self, path: &str) -> PathBuf {
        match &self.cwd {
            Some(cwd) => cwd.join(path),
            None => PathBuf::from(path),
        }
    }

    /// `os.path.exists`.
    pub fn exists(&self, path: &str) -> bool {
        !path.is_empty() && self.on_disk(path).exists()
    }
}

/// The message for an env var that names a missing file.
fn missing_file(var: &str, path: &str) -> Error {
    Error::new(
        ErrorKind::FileNotFound,
        format!(
            "Config file specified by env var {var} ({}) does not exist. Please double check the path or unset the env var: unset {var}",
            yaml::py_str_repr(path)
        ),
    )
}

/// The file `var` names, else `default`; `None` when that file does not
/// exist (an env var naming a missing file is an error).
fn resolve(env: &Env, var: &str, default: &str) -> Result<Option<String>> {
    // An empty variable counts as unset, as in SkyPilot.
    let path = match env.var(var).map(|p| env.expanduser(&p)) {
        Some(p) if !p.is_empty() => {
            if !env.exists(&p) {
                return Err(missing_file(var, &p));
            }
            p
        }
        _ => env.expanduser(default),
    };
    Ok(env.exists(&path).then_some(path))
}

/// `resolve_user_config_path` (also the server's config path).
pub fn resolve_user_config_path(env: &Env) -> Result<Option<String>> {
    resolve(env, ENV_VAR_GLOBAL_CONFIG, GLOBAL_CONFIG_PATH)
}

/// `_resolve_project_config_path`.
pub fn resolve_project_config_path(env: &Env) -> Result<Option<String>> {
    resolve(env, ENV_VAR_PROJECT_CONFIG, PROJECT_CONFIG_PATH)
}

/// One config file, read and checked.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ConfigFile {
    /// The config, without its `db:` key.
    pub config: Map,
    /// The `db:` value, which SkyPilot moves to `SKYPILOT_DB_CONNECTION_URI`.
    pub db_url: Option<String>,
    /// Set when the file is not valid YAML: SkyPilot logs this and goes on
    /// with an empty config.
    pub yaml_error: Option<String>,
}

/// What `Config.from_dict` does with a loaded document.
fn to_config(doc: Value) -> Result<Map> {
    match doc {
        Value::Null => Ok(Map::new()),
        Value::Map(m) => {
            if m.keys().any(|k| k.as_str().is_none()) {
                return Err(Error::type_error("keywords must be strings"));
            }
            Ok(m)
        }
        other => Err(Error::type_error(format!(
            "sky.utils.config_utils.Config() argument after ** must be a mapping, not {}",
            other.py_type_name()
        ))),
    }
}

fn read_error(path: &str, e: &std::io::Error) -> Error {
    let (errno, what, kind) = match e.kind() {
        std::io::ErrorKind::IsADirectory => (21, "Is a directory", ErrorKind::Os),
        std::io::ErrorKind::PermissionDenied => (13, "Permission denied", ErrorKind::Os),
        std::io::ErrorKind::NotFound => (2, "No such file or directory", ErrorKind::FileNotFound),
        std::io::ErrorKind::InvalidData => {
            return Error::value(format!("{path}: the file is not valid UTF-8"));
        }
        _ => return Error::new(ErrorKind::Os, format!("{path}: {e}")),
    };
    Error::new(
        kind,
        format!("[Errno {errno}] {what}: {}", yaml::py_str_repr(path)),
    )
}

/// `parse_and_validate_config_file`: reads `path`, takes out `db:`, and
/// validates what is left (an empty config is not validated).
pub fn parse_and_validate_config_file(env: &Env, path: &str) -> Result<ConfigFile> {
    let text = std::fs::read_to_string(env.on_disk(path)).map_err(|e| read_error(path, &e))?;
    let mut out = ConfigFile::default();
    // `yaml.safe_load` refuses a stream of several documents.
    let loaded = yaml::load_all(&text).map(|mut docs| match docs.len() {
        0 => Ok(Value::Null),
        1 => Ok(docs.remove(0)),
        _ => Err("expected a single document in the stream".to_string()),
    });
    let loaded = match loaded {
        Ok(Ok(doc)) => Ok(doc),
        Ok(Err(e)) => Err(e),
        Err(e) => Err(e.to_string()),
    };
    match loaded {
        Ok(doc) => {
            out.config = to_config(doc)?;
            let db = pop_nested(&mut out.config, &[Value::from("db")]);
            out.db_url = db.filter(Value::truthy).map(|v| v.py_str());
        }
        Err(e) => out.yaml_error = Some(format!("Error in loading config file ({path}): {e}")),
    }
    if !out.config.is_empty() {
        validate_config(&out.config, path)?;
    }
    Ok(out)
}

/// The loaded config and where it came from.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Loaded {
    /// The merged config.
    pub config: Map,
    /// The files read, in layering order (`None` for a layer with no file).
    pub paths: Vec<Option<String>>,
    /// `db:` values found, to hand on as SkyPilot does.
    pub db_url: Option<String>,
    /// YAML errors SkyPilot would log (and otherwise ignore).
    pub warnings: Vec<String>,
}

impl Loaded {
    fn read(&mut self, env: &Env, path: Option<&str>) -> Result<Map> {
        let Some(path) = path else {
            return Ok(Map::new());
        };
        let file = parse_and_validate_config_file(env, path)?;
        if file.db_url.is_some() {
            self.db_url = file.db_url;
        }
        self.warnings.extend(file.yaml_error);
        Ok(file.config)
    }
}

/// `reload_config` minus the swap: builds the config SkyPilot would load
/// in this environment.
pub fn load(env: &Env) -> Result<Loaded> {
    let mut out = Loaded::default();
    if let Some(internal) = env.var(ENV_VAR_SKYPILOT_CONFIG) {
        let path = env.expanduser(&internal);
        if !env.exists(&path) {
            return Err(missing_file(ENV_VAR_SKYPILOT_CONFIG, &path));
        }
        out.config = out.read(env, Some(&path))?;
        out.paths = vec![Some(path)];
        return Ok(out);
    }
    let user_path = resolve_user_config_path(env)?;
    let user = out.read(env, user_path.as_deref())?;
    if env.var(ENV_VAR_IS_SKYPILOT_SERVER).is_some() {
        // A server reads only its own config file.
        out.config = user;
        out.paths = vec![user_path];
        return Ok(out);
    }
    let project_path = resolve_project_config_path(env)?;
    let project = out.read(env, project_path.as_deref())?;
    // Project settings override user settings, merged key by key.
    let mut config = Map::new();
    for layer in [user, project] {
        if !layer.is_empty() {
            config = overlay(&config, Some(&layer))?;
        }
    }
    out.config = config;
    out.paths = vec![user_path, project_path];
    Ok(out)
}

/// `get_user_config`: the user config file alone.
pub fn user_config(env: &Env) -> Result<ConfigFile> {
    match resolve_user_config_path(env)? {
        Some(path) => parse_and_validate_config_file(env, &path),
        None => Ok(ConfigFile::default()),
    }
}

/// `loaded_config_path` for a list of loaded paths.
pub fn describe_paths(paths: &[Option<String>], overridden: bool) -> Option<String> {
    let mut unique: Vec<&str> = Vec::new();
    for p in paths.iter().flatten() {
        if !unique.contains(&p.as_str()) {
            unique.push(p);
        }
    }
    match unique.len() {
        0 => overridden.then(|| "<overridden>".to_string()),
        1 => Some(unique[0].to_string()),
        _ => {
            let header = if overridden { "overridden" } else { "merged" };
            Some(format!("<{header} ({})>", unique.join(", ")))
        }
    }
}
